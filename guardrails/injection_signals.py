"""Signals of prompt injection: each pattern with its weight in a customer message and in a
help-center passage.

The words and phrases are language data (`app/languages/<code>/injection.yaml`, one list per
category); the patterns here arrange them. A `{category}` in a pattern stands for the entries
of that category in every language together, as alternatives, so an attack that mixes
languages is still read; a category no language fills matches nothing. The patterns read
text already normalised by `guardrails.injection.normalize` (case folded, accents stripped,
disguised letters restored). Chat-template tokens and markdown image tricks are the same in
every language and stay here. Kept apart from the scoring so the vocabulary can grow without
touching how scores combine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict, create_model

from app.core.alternation import arranged
from app.core.language_data import RegexEntry, alternation, derived, register

# (signal, pattern, weight in a customer message, weight in a help-center passage)
_RULES: list[tuple[str, str, float, float]] = [
    # --- ignore / override earlier instructions
    ("override_instructions",
     r"\b(?:{override_verbs})\b[\s,:]+(?:[\w'-]+[\s,]+){0,3}?(?:{override_qualifiers})\b[\s,]*"
     r"(?:[\w'-]+[\s,]+){0,3}?(?:{override_nouns})\b", 0.9, 0.9),
    ("override_instructions",
     r"\b(?:{override_verbs})\b[\s,:]+(?:(?:{override_articles}) )?(?:{override_nouns}) (?:{override_after})\b",
     0.9, 0.9),
    ("override_instructions",  # where the verb comes last: "alle vorherigen Anweisungen ignorieren"
     r"\b(?:{override_qualifiers}) (?:[\w'-]+ ){0,2}?(?:{override_nouns}) (?:[\w'-]+ ){0,3}?"
     r"(?:{override_verbs_at_end})\b", 0.9, 0.9),
    ("override_instructions",
     r"\b(?:{void_qualifiers}) (?:{void_nouns}) (?:{void_verbs}) (?:(?:{void_now}) )?(?:{void_states})\b",
     0.9, 0.9),
    ("override_instructions", r"(?:{instructions_replaced})", 0.8, 0.8),
    ("override_context", r"(?:{context_dismissals})", 0.5, 0.4),
    ("override_context", r"\b(?:{dismiss_verbs}) (?:{what_you_were_told})\b", 0.5, 0.4),
    ("new_instructions",
     r"\b(?:{new_adjectives}) (?:(?:{system_prefix}) )?(?:{new_instruction_nouns})\s*:", 0.6, 0.4),
    # --- reveal the system prompt
    ("prompt_leak", r"(?:{prompt_requests})", 0.9, 0.7),
    ("prompt_leak", r"(?:{instruction_requests})", 0.8, 0.5),
    ("prompt_leak", r"(?:{instruction_questions})", 0.6, 0.3),
    ("prompt_leak", r"(?:{text_above_requests})", 0.6, 0.5),
    ("prompt_leak", r"\b(?:{prompt_names})\b", 0.6, 0.3),
    # --- persona hijacking and jailbreak families
    ("new_persona", r"(?:{persona_announcements})", 0.5, 0.4),
    ("new_persona", r"\b(?:{persona_phrases})\b", 0.5, 0.4),
    ("new_persona", r"\b(?:{role_play_phrases})\b", 0.6, 0.4),
    ("persona_hijack", r"(?:{persona_hijacks})", 0.9, 0.9),
    ("persona_hijack", r"(?:{pretend_phrases})", 0.6, 0.5),
    ("persona_hijack",
     r"\b(?:{hijack_verbs})(?: (?:{hijack_links}))?(?: (?:{hijack_conditionals}))?(?: (?:{hijack_articles}))? "
     r"(?:[\w'-]+ ){0,2}?(?:{ai_nouns}) (?:{hijack_without}) (?:[\w'-]+ )?(?:{hijack_limits})\b", 0.9, 0.9),
    ("jailbreak", r"\b(?:{jailbreak_phrases})\b", 0.9, 0.9),
    ("jailbreak", r"\bjailbr(?:ea|o)k\w*\b", 0.5, 0.4),  # the word is borrowed as is in every language
    ("mode_switch",
     r"\b(?:{mode_names}) ?-?(?:{mode_words})\b|\b(?:{mode_words_first}) (?:{mode_names_after})\b", 0.8, 0.7),
    ("mode_switch", r"\b(?:{developer_modes})\b", 0.5, 0.2),
    ("mode_switch", r"(?:{developer_mode_switches})", 0.8, 0.4),
    ("no_restrictions", r"(?:{no_restriction_phrases})", 0.5, 0.3),
    ("no_restrictions", r"\b(?:{without}) (?:(?:{without_any}) )?(?:{without_what})\b", 0.5, 0.3),
    # --- fake conversation and role markers
    ("role_marker",
     r"<\|?(?:im_start|im_end|im_sep|endoftext|system|user|assistant|begin_of_text|start_header_id|end_header_id|"
     r"eot_id)\|?>|\[/?inst\]|<</?sys>>", 0.9, 0.9),
    ("role_marker", r"</s>|<s>(?=\s*\[)", 0.6, 0.3),
    ("role_marker", r"(?:^|\n)\s*(?:#{1,4}\s*)?(?:{role_names})\s*:", 0.6, 0.4),
    ("role_marker", r"(?:^|\n)\s*(?:{user_role_names})\s*:", 0.3, 0.2),
    ("role_marker", r"(?:{markup_headings})", 0.7, 0.6),
    ("role_marker", r"(?:{prompt_boundaries})", 0.6, 0.3),
    # --- addressed to an AI reader (mostly in documents)
    ("addressed_to_ai", r"(?:{ai_reader_phrases})", 0.6, 0.9),
    ("addressed_to_ai", r"(?:{ai_reader_conditions})", 0.3, 0.9),
    ("addressed_to_ai", r"(?:{ai_reader_orders})", 0.5, 0.8),
    ("addressed_to_ai", r"(?:{notes_to_ai})", 0.5, 0.85),
    ("addressed_to_ai", r"(?:{verified_claims})", 0.3, 0.5),
    # --- task hijack: orders about the answer itself (its format, language, persona, links, code,
    #     extra lines, what it tells the reader). Read in reference text only: a customer may well
    #     ask for a short answer in French, but a help-center page never tells the assistant how to answer.
    ("answer_format",
     r"\b(?:{reply_verbs})\b(?: (?:{reply_fillers}))*,? (?:{style_prepositions}) (?:(?:{style_fillers}) )*"
     r"(?:{answer_styles})\b", 0.0, 0.9),
    ("answer_format", r"\b(?:{reply_verbs})\b (?:{only_words}) (?:(?:{style_fillers}) )*(?:{answer_styles})\b",
     0.0, 0.85),
    ("answer_format", r"\b(?:{reply_verbs})\b(?: (?:{reply_fillers}))*,? (?:{persona_prepositions})", 0.0, 0.85),
    ("answer_format", r"(?:{answer_format_phrases})", 0.0, 0.9),
    ("answer_insertion",
     r"\b(?:{insert_verbs})\b (?!(?:{customer_own})\b)(?:[^\s.!?]+ ){0,14}?(?:{answer_places})\b", 0.0, 0.85),
    ("answer_insertion",
     r"\b(?:{insert_verbs}) (?:{payload_determiners}) (?:[\w-]+ ){0,2}?(?:{payload_nouns})\b\s*(?::|https?://|www\.|[\"'<`])",
     0.0, 0.8),
    ("answer_insertion",
     r"\b(?:{end_verbs}) (?:{answer_owners}) (?:[\w-]+ )?(?:{answer_nouns}) (?:{end_prepositions})\b", 0.0, 0.9),
    ("answer_insertion", r"(?:{answer_places}),? (?:{insert_verbs}|{say_verbs})\b(?! (?:{customer_own})\b)", 0.0, 0.85),
    ("answer_insertion", r"(?:{answer_insertion_phrases})", 0.0, 0.9),
    ("reader_directive", r"\b(?:{tell_verbs}) (?:{reader_nouns})\b", 0.0, 0.85),
    ("reader_directive", r"\b(?:{reader_nouns}) (?:{must_be}) (?:{told_participles})\b", 0.0, 0.9),
    ("reader_directive", r"(?:{reader_directive_phrases})", 0.0, 0.9),
    ("summary_hijack", r"(?:{summary_conditions})", 0.0, 0.9),
    ("answer_override", r"(?:{answer_overrides})", 0.0, 0.9),
    ("addressed_to_ai", r"(?:{ai_vocatives})", 0.0, 0.5),
    ("addressed_to_ai", r"(?:{ai_tags})", 0.0, 0.85),
    # --- tool and action coercion
    ("tool_coercion", r"(?:{tool_calls})", 0.5, 0.4),
    ("tool_coercion", r"(?:{money_tool_calls})", 0.8, 0.6),
    ("tool_coercion", r"(?:{payouts_to_everyone})", 0.9, 0.7),
    ("tool_coercion", r"(?:{bulk_approvals})", 0.6, 0.3),
    ("tool_coercion", r"(?:{bulk_approvals_named})", 0.8, 0.4),
    ("tool_coercion", r"(?:{limit_changes})", 0.4, 0.2),
    ("tool_coercion", r"(?:{refunds_to_everyone})", 0.7, 0.3),
    ("tool_coercion", r"\b(?:{limit_verbs})\s+(?:\w+\s+){0,3}?(?:{limit_nouns})\w*\s+(?:{limit_prepositions})\b",
     0.4, 0.2),
    ("privilege_escalation", r"(?:{admin_requests})", 0.6, 0.3),
    ("disable_safety", r"(?:{safety_disabling})", 0.6, 0.3),
    # --- exfiltration
    ("exfiltration", r"(?:{exfiltration_requests})", 0.8, 0.9),
    ("exfiltration", r"(?:{exfiltration_to_email})", 0.6, 0.9),
    ("exfiltration", r"!\[[^\]\n]{0,100}\]\(\s*https?://[^)\s]+\?[^)\s]*=[^)\s]*\)", 0.6, 0.6),
    ("exfiltration",
     r"!\[[^\]\n]{0,100}\]\(\s*https?://[^)\s]*(?:[{}<>$]|%7b|%24|data=|q=|conversation|chat=|prompt|secret|token|"
     r"history|message=|email=)[^)\s]*\)", 0.9, 0.9),
    ("exfiltration", r"(?:{hidden_image_requests})", 0.5, 0.5),
    ("exfiltration", r"(?:{data_in_url_requests})", 0.9, 0.9),
    ("exfiltration",
     r"\b(?:{send_verbs})\s+(?:\w+\s+){0,3}?(?:{sent_things})\s+(?:\w+\s+){0,3}?(?:{send_to})\s+"
     r"(?:https?://|www\.|\S+\.(?:com|net|org|io|ru|xyz)\b(?!@))", 0.8, 0.9),
    # --- obfuscation used to smuggle instructions
    ("obfuscation", r"(?:{decode_and_follow})", 0.7, 0.7),
]

# Looked for with every non-letter removed, when the text was disguised ("i.g.n.0.r.e...")
_SQUASHED_RULES: list[tuple[str, str, float, float]] = [
    ("override_instructions",
     r"(?:{squashed_override_verbs})(?:{squashed_override_fillers})+(?:{squashed_override_nouns})", 0.9, 0.9),
    ("prompt_leak", r"(?:{squashed_prompt_names})", 0.6, 0.3),
    ("jailbreak", r"(?:{squashed_jailbreaks})", 0.7, 0.7),
    ("mode_switch", r"(?:{squashed_developer_mode})", 0.8, 0.4),
]

# An instruction to ignore a customer's own instructions, or delivery instructions, is not an attack.
_OWN_INSTRUCTIONS = r"\b(?:{own_words}|{errands})\b"
_OWN_AFTER = (r" ?(?:(?:{errand_prepositions}) )?(?:(?:{errand_articles}) ?)?(?:{errands})\b"
              r"| ?,? ?(?:(?:{relative_pronouns}) )?(?:{first_person}) ?(?:{sent_verbs})\b")

_CATEGORY = re.compile(r"\{([a-z_]+)\}")


def _categories() -> list[str]:
    patterns = [p for _, p, _, _ in _RULES + _SQUASHED_RULES] + [_OWN_INSTRUCTIONS, _OWN_AFTER]
    return list(dict.fromkeys(name for p in patterns for name in _CATEGORY.findall(p)))


InjectionWords = create_model(  # type: ignore[call-overload]
    "InjectionWords", __config__=ConfigDict(extra="forbid"),
    **{name: (list[RegexEntry], []) for name in _categories()})
"""`app/languages/<code>/injection.yaml`: one list of regex entries per category the patterns name."""

register("injection", InjectionWords)

Rule = tuple[str, re.Pattern[str], float, float]


@dataclass(frozen=True)
class InjectionPatterns:
    rules: list[Rule]
    squashed: list[Rule]
    own_instructions: re.Pattern[str]  # searched in an override_instructions match
    own_after: re.Pattern[str]  # matched right after it


def _build(data: dict[str, Any]) -> InjectionPatterns:
    def compiled(pattern: str) -> re.Pattern[str]:  # arranged: a long message is read several times faster
        return re.compile(_CATEGORY.sub(lambda m: arranged(alternation(data, m[1])), pattern))

    def rules(table: list[tuple[str, str, float, float]]) -> list[Rule]:
        return [(signal, compiled(p), w_message, w_document) for signal, p, w_message, w_document in table]

    return InjectionPatterns(rules(_RULES), rules(_SQUASHED_RULES), compiled(_OWN_INSTRUCTIONS),
                             compiled(_OWN_AFTER))


def injection_patterns() -> InjectionPatterns:
    """The patterns with every language's words in place, compiled once per load."""
    return derived("injection", _build)
