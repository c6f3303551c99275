"""Escalation signals: words in one customer message that must reach a specialist human queue.

Some messages are not the assistant's to handle, whatever the mood of the conversation: requests
to erase personal data, legal or regulator threats and accessibility barriers carry legal duties
and deadlines (REGULATORY), and reports of something broken belong with the people who can fix
it, grouped so that a wave of identical reports opens an incident. As in `app.understanding.sentiment`, these
are curated lexicons, not a model: a routing decision must quote the words that caused it.

The lexicons live in `app/languages/<code>/signals.yaml`, one file per language, explained in
their header; every language's entries are searched in every message, whatever its language.
This module keeps what does not depend on the language: the precedence between kinds, the
promo-code exception, reading an error code and choosing the topic. Precision comes before
recall, because every hit moves a real conversation. Decisions the lexicons follow:

- "delete my account" is a deletion request (erasing an account erases its data); closing or
  cancelling an account or a subscription is not, nor is deleting a saved card or an address.
- Access requests ("a copy of my data") are not deletion. Naming GDPR/RGPD/DSGVO is a legal
  threat only next to complaint words ("GDPR violation") and never when it backs a deletion
  request; naming a regulator (ICO, CNIL, AEPD, Datenschutzbehörde) always is. A chargeback
  is a payment dispute, not a legal threat.
- A promo, discount or gift code that "doesn't work" is a commercial question, not a technical
  fault, unless the customer quotes an error code.

A technical fault carries a `topic`, the same key whatever the language or wording, so that
"the app keeps crashing" and "l'application plante" count as one problem. Matching runs on a
length-preserving folded copy of the text (lower case, accents stripped), so "eliminación",
"ELIMINACION" and "eliminacion" read the same and each phrase is quoted from the original.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import chain
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from app.core.alternation import arranged
from app.core.char_fold import CharFold
from app.core.language_data import derived, register

Kind = Literal["data_deletion", "legal_threat", "accessibility", "technical_fault"]
KINDS: tuple[Kind, ...] = ("data_deletion", "legal_threat", "accessibility", "technical_fault")
REGULATORY: frozenset[str] = frozenset({"data_deletion", "legal_threat", "accessibility"})

# What is broken, in precedence order. The first topic (in this order) named in the sentence that
# reports the fault wins, else the first named anywhere in the message, else "general": "the app
# crashes when I pay" is a payment problem, "can't log in to the app" a login one, "impossible de
# me connecter au wifi" a connection one. An explicit error code beats all of them: "error:<CODE>",
# upper case, no - or _. The lexicon files name these keys; they never change with the language.
NAMED_TOPICS: tuple[str, ...] = ("connection", "login", "payment", "email", "sync", "app", "website", "device")
TOPICS: tuple[str, ...] = (*NAMED_TOPICS, "general")  # plus "error:<CODE>"

SECONDS_PER_CHAR = 4e-7  # `detect`, measured: 1.3 ms for 3,114 characters (app/core/cpu_lane.py)
_FILLER_MAX = 3  # "{filler}": up to this many filler words, each followed by a space
_SHORTHAND = re.compile(r"\{([a-z_]+)\}")  # "{my_data}"; "{0,3}" stays a regex repeat
_ESCAPE_OR_TEXT = re.compile(r"\\.|[^\\]+", re.DOTALL)


def _regex(entry: str, filler: list[str], shorthands: dict[str, list[str]]) -> str:
    """A lexicon entry as regex source: shorthands expanded, folded like the text (escapes such as
    \\W kept), " ?" any or no whitespace, " " any whitespace. Raises ValueError naming the entry
    when it is not a valid regular expression."""
    def expand(match: re.Match[str]) -> str:
        name = match[1]
        if name == "filler":
            return rf"(?:(?:{'|'.join(filler)}) ){{0,{_FILLER_MAX}}}" if filler else ""
        if name not in shorthands:
            raise ValueError(f"entry {entry!r} uses {{{name}}}, which is not under shorthands")
        return "(?:" + "|".join(shorthands[name]) + ")"

    expanded = _SHORTHAND.sub(expand, entry)
    folded = _ESCAPE_OR_TEXT.sub(lambda m: m[0] if m[0].startswith("\\") else _fold(m[0]), expanded)
    body = folded.replace(" ?", r"\s*").replace(" ", r"\s+")
    try:
        re.compile(body)
    except re.error as exc:
        raise ValueError(f"entry {entry!r} is not a valid regular expression: {exc}") from None
    return body


class SignalLexicon(BaseModel):
    """`signals.yaml` of one language; after validation every entry is ready regex source."""

    model_config = ConfigDict(extra="forbid")
    filler_words: list[str] = []
    shorthands: dict[str, list[str]] = {}
    data_deletion: list[str] = []
    legal_threat: list[str] = []
    privacy_laws: list[str] = []
    complaint_words: list[str] = []
    privacy_complaints: list[str] = []
    accessibility: list[str] = []
    technical_fault: list[str] = []
    not_a_fault: list[str] = []
    error_code_labels: list[str] = []
    error_words: list[str] = []
    code_words: list[str] = []
    topics: dict[str, list[str]] = {}

    @field_validator("data_deletion", "legal_threat", "privacy_laws", "complaint_words", "privacy_complaints",
                     "accessibility", "technical_fault", "not_a_fault", "error_code_labels", "error_words",
                     "code_words")
    @classmethod
    def _entries_are_regexes(cls, entries: list[str], info: ValidationInfo) -> list[str]:
        return [_regex(entry, info.data.get("filler_words", []), info.data.get("shorthands", {}))
                for entry in entries]

    @field_validator("topics")
    @classmethod
    def _topics_are_known(cls, topics: dict[str, list[str]], info: ValidationInfo) -> dict[str, list[str]]:
        unknown = [topic for topic in topics if topic not in NAMED_TOPICS]
        if unknown:
            raise ValueError(f"unknown topic {unknown[0]!r}; the topics are {', '.join(NAMED_TOPICS)}")
        return {topic: cls._entries_are_regexes(entries, info) for topic, entries in topics.items()}


register("signals", SignalLexicon)


@dataclass(frozen=True)
class _Patterns:
    """Every language's lexicons compiled into one pattern per use."""

    kinds: dict[str, re.Pattern[str]]
    privacy_complaint: re.Pattern[str]
    not_a_fault: re.Pattern[str]
    error_code: re.Pattern[str]
    topics: dict[str, re.Pattern[str]]


_NEVER = "(?!)"
# A data-protection law named next to complaint words, within one sentence and a few words.
_NEAR = r"(?:[^\w.!?;\n]+\w+){0,5}?[^\w.!?;\n]+"
# An error code: any code after a label ("error code", "Fehlercode", "código de error"); after a
# bare error word ("error", "Fehler", "erreur") only one with a letter and a digit or 3+ digits
# ("error 2 times" is not a code); and anywhere a hex code ("0x80070005").
_CODE = r"[a-z]{0,5}[-_]?\d+(?:[-_.]\d+)*"
_APOSTROPHES = frozenset("\u2019\u2018\u02bc\u00b4`")
_SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$)|\n")
_CODE_SEPARATORS = re.compile(r"[-_]")


def _any(fragments: list[str]) -> str:
    """One alternation of `fragments`, arranged so that a long message is read quickly (app/core/alternation.py)."""
    return "(?:" + arranged("|".join(fragments)) + ")" if fragments else _NEVER


def _words(fragments: list[str]) -> re.Pattern[str]:
    """One pattern matching any of `fragments` as whole words."""
    return re.compile(rf"(?<!\w){_any(fragments)}(?!\w)")


def _compile(lexicons: list[SignalLexicon]) -> _Patterns:
    def gathered(field: str) -> list[str]:
        return [entry for lexicon in lexicons for entry in getattr(lexicon, field)]

    law, complaint = _any(gathered("privacy_laws")), _any(gathered("complaint_words"))
    privacy_complaint = _words([f"{law}{_NEAR}{complaint}", f"{complaint}{_NEAR}{law}",
                                *gathered("privacy_complaints")])
    error_code = re.compile(
        rf"(?<!\w){_any(gathered('error_code_labels'))}(?:\s*(?:no|nr|n°|#))?[\s:#=-]*"
        rf"(?P<named>0x[0-9a-f]{{2,}}|{_CODE})(?![\w-])"
        rf"|(?<!\w){_any(gathered('error_words'))}[\s:#=-]*"
        r"(?P<code>0x[0-9a-f]{2,}|[a-z]{1,5}[-_]?\d+(?:[-_.]\d+)*|\d{3,6})(?![\w-])"
        rf"|(?<![\w-])(?:{_any(gathered('code_words'))}[\s:#]*)?(?P<hex>0x[0-9a-f]{{4,}})(?![\w-])")
    topics = {topic: _words([entry for lexicon in lexicons for entry in lexicon.topics.get(topic, [])])
              for topic in NAMED_TOPICS}
    return _Patterns({kind: _words(gathered(kind)) for kind in KINDS}, privacy_complaint,
                     _words(gathered("not_a_fault")), error_code, topics)


def _patterns() -> _Patterns:
    """Compiled once for the loaded files (and again only after `app.core.language_data.reload()`)."""
    return derived("signals", _compile_files)


def _compile_files(files: dict[str, SignalLexicon]) -> _Patterns:
    return _compile(list(files.values()))


@dataclass(frozen=True)
class Signal:
    kind: Kind
    phrase: str  # the matched words as the customer wrote them
    topic: str | None = None  # technical_fault only: what is broken, one of TOPICS or "error:<CODE>"

    def as_trace(self) -> dict[str, object]:
        return {"kind": self.kind, "phrase": self.phrase, "topic": self.topic}


def detect(text: str) -> list[Signal]:
    """All signals in the message, at most one per kind, in the order data_deletion, legal_threat,
    accessibility, technical_fault."""
    patterns = _patterns()
    folded = _fold(text)
    found: list[Signal] = []
    deletion = patterns.kinds["data_deletion"].search(folded)
    if deletion:
        found.append(Signal("data_deletion", text[deletion.start():deletion.end()]))
    legal = patterns.kinds["legal_threat"].search(folded)
    if legal is None and deletion is None:  # "delete my data under GDPR" is a request, not a threat
        legal = patterns.privacy_complaint.search(folded)
    if legal:
        found.append(Signal("legal_threat", text[legal.start():legal.end()]))
    access = patterns.kinds["accessibility"].search(folded)
    if access:
        found.append(Signal("accessibility", text[access.start():access.end()]))
    fault = _technical_fault(patterns, text, folded)
    if fault:
        found.append(fault)
    return found


def _fold_char(ch: str) -> str:
    if ch in _APOSTROPHES:
        return "'"
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
    return base if len(base) == 1 else ch.lower() if len(ch.lower()) == 1 else ch


_fold = CharFold(_fold_char)
"""Lower case, accents stripped, apostrophes straightened, same length as the text so spans map back."""


def _technical_fault(patterns: _Patterns, text: str, folded: str) -> Signal | None:
    code = patterns.error_code.search(folded)
    candidates = chain(patterns.kinds["technical_fault"].finditer(folded), patterns.error_code.finditer(folded))
    for match in sorted(candidates, key=lambda m: m.start()):
        start, end = _sentence(folded, match.start())
        sentence = folded[start:end]
        if patterns.not_a_fault.search(sentence) and not patterns.error_code.search(sentence):
            continue  # "my discount code doesn't work"
        if code:
            topic = "error:" + _CODE_SEPARATORS.sub("", code[code.lastgroup or 0].upper())
        else:
            topic = _first_topic(patterns, sentence) or _first_topic(patterns, folded) or "general"
        return Signal("technical_fault", text[match.start():match.end()], topic)
    return None


def _sentence(folded: str, pos: int) -> tuple[int, int]:
    start = 0
    for end in _SENTENCE_END.finditer(folded):
        if end.end() > pos:
            return start, end.end()
        start = end.end()
    return start, len(folded)


def _first_topic(patterns: _Patterns, folded: str) -> str | None:
    return next((topic for topic, pattern in patterns.topics.items() if pattern.search(folded)), None)
