"""Prompt injection: instructions hidden in a customer message or in a retrieved passage.

Heuristic and multilingual (en/es/de/fr). The text is normalised first: NFKC, invisible
format characters (zero-width spaces, joiners, bidi marks, soft hyphens) removed, common
Cyrillic/Greek look-alikes mapped to Latin, case folded, accents stripped, digits and symbols
used as letters inside words read as letters ("1gn0r3" -> "ignore"), and letters spelled out
one by one ("i g n o r e", "i.g.n.o.r.e") joined. Every pattern runs on that text and on a copy
with punctuation inside words removed ("ig-nore" -> "ignore"); when the text was obfuscated,
a few compact phrases are also looked for with every non-letter removed.

Each matching pattern contributes a signal with a weight; the score is the noisy-OR of the
strongest weight per signal, and a text is an injection at THRESHOLD or above. A strong
signal (an instruction to ignore previous instructions, a request for the system prompt, a
chat-template token, a DAN-style persona) is enough alone; weaker ones ("developer mode",
"no restrictions", "you are now ...") need a second signal.

Documents are scored with their own weights: help-center articles legitimately say "ignore",
"system", "instructions", "admin", "approve", so feature descriptions weigh less there, and
sentences addressed to an AI reader ("note to the AI", "assistants reading this must...")
weigh more.

The patterns and their weights live in `guardrails.injection_signals`, their words in
`app/languages/<code>/injection.yaml`; this module normalises, scores and caches.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from app.core.char_fold import CharFold
from guardrails.injection_signals import injection_patterns
from guardrails.verdict import Verdict

THRESHOLD = 0.75
SECONDS_PER_CHAR = 2.2e-6  # a customer message's check, measured: 6.6 ms for 3,114 characters (app/core/cpu_lane.py)


@dataclass(frozen=True)
class InjectionFinding:
    score: float
    signals: tuple[str, ...]

    @property
    def is_injection(self) -> bool:
        return self.score >= THRESHOLD


# --- normalisation -----------------------------------------------------------------------

_LOOKALIKES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "ɡ": "g", "һ": "h", "ӏ": "l", "ո": "n", "ս": "u", "ν": "v", "ο": "o", "α": "a", "ε": "e",
    "ι": "i", "κ": "k", "τ": "t", "А": "A", "Е": "E", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X",
    "І": "I", "К": "K", "М": "M", "Н": "H", "В": "B", "\u2019": "'", "\u2018": "'", "\u02bc": "'",
    "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"', "\u2010": "-", "\u2011": "-", "\u2013": "-",
    "\u2014": "-", "\u00a0": " ", "\u3000": " ",
})
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
_LEET_CHAR = re.compile(r"(?<=[a-z])[013457@$]|[013457@$](?=[a-z])")
_SPELLED = re.compile(r"(?<![\w'])(?:[a-z][ .\-_*·+|/]){3,}[a-z](?![\w'])")
_SPELLED_WIDE = re.compile(r"(?<![\w'])(?:[a-z](?: {1,2}|[.\-_*·+|/])){5,}[a-z](?![\w'])")
_INNER_PUNCT = re.compile(r"(?<=[a-z])[.\-_*·+|~^'`\"/\\]+(?=[a-z])")
_SPACES = re.compile(r"[ \t\f\v]+")
_PUNCT = re.compile(r"[.,;!?*_\"()~^`]+")
_HIDDEN_IN_WORD = re.compile(r"\w[\u00ad\u180e\u200b\u200c\u200e\u200f\u2060-\u2064\ufeff]+\w")
_drop_format = CharFold(lambda ch: "" if unicodedata.category(ch) == "Cf" else ch)  # invisible format characters
_drop_combining = CharFold(lambda ch: "" if unicodedata.combining(ch) else ch)  # accents, once decomposed


def normalize(text: str) -> tuple[str, bool]:
    """The text as the patterns read it, and whether it looked deliberately obfuscated."""
    text = unicodedata.normalize("NFKC", text)
    obfuscated = _HIDDEN_IN_WORD.search(text) is not None
    text = _drop_format(text).translate(_LOOKALIKES).casefold()
    text = _drop_combining(unicodedata.normalize("NFD", text))
    leet = _LEET_CHAR.sub(lambda m: _LEET[m.group()], text)

    def join(m: re.Match[str]) -> str:
        return re.sub(r"[^a-z]", "", m.group()) + " "

    spelled = _SPELLED_WIDE.sub(join, _SPELLED.sub(join, leet))
    obfuscated = obfuscated or spelled != leet
    return _SPACES.sub(" ", spelled), obfuscated

# --- scoring -----------------------------------------------------------------------------

def _score(text: str, document: bool) -> InjectionFinding:
    normalized, obfuscated = normalize(text)
    variants = [normalized]
    for variant in (_INNER_PUNCT.sub("", normalized), _SPACES.sub(" ", _PUNCT.sub(" ", normalized))):
        if variant not in variants:
            variants.append(variant)
    weights: dict[str, float] = {}

    def hit(signal: str, weight: float) -> None:
        if weight > weights.get(signal, 0.0):
            weights[signal] = weight

    patterns = injection_patterns()
    for signal, pattern, w_message, w_document in patterns.rules:
        weight = w_document if document else w_message
        if weight <= weights.get(signal, 0.0):  # a rule for the other kind of text, or nothing it could add
            continue
        for variant in variants:
            for m in pattern.finditer(variant):
                if signal == "override_instructions" and (
                        patterns.own_instructions.search(m.group()) or patterns.own_after.match(variant, m.end())):
                    continue
                hit(signal, weight)
                break
            if signal in weights and weights[signal] >= weight:
                break
    if obfuscated:
        hit("obfuscation", 0.3)
    if obfuscated or _LEET_CHAR.search(text.casefold()):  # squashed phrases only where letters were disguised
        squashed = re.sub(r"[^a-z]", "", normalized)
        for signal, pattern, w_message, w_document in patterns.squashed:
            if pattern.search(squashed):
                hit(signal, w_document if document else w_message)
    remaining = 1.0
    for weight in weights.values():
        remaining *= 1.0 - weight
    signals = tuple(sorted(weights, key=lambda s: (-weights[s], s)))
    return InjectionFinding(round(1.0 - remaining, 3), signals)


def detect_injection(text: str) -> InjectionFinding:
    """Score a customer message."""
    return _score(text, document=False)


@lru_cache(maxsize=4096)
def detect_document_injection(text: str) -> InjectionFinding:
    """Score a help-center passage: the same signals, weighted for documents, plus sentences
    addressed to an AI reader. Passages come back turn after turn, so results are cached."""
    return _score(text, document=True)


def no_injection(text: str) -> Verdict:
    """Input check: refuse a customer message that reads as a prompt injection."""
    finding = detect_injection(text)
    if finding.is_injection:
        return Verdict("prompt_injection", False, f"score {finding.score:.2f}: {', '.join(finding.signals)}",
                       "input.injection")
    if finding.signals:  # below the threshold; kept in the trace for an operator
        return Verdict("prompt_injection", True, f"score {finding.score:.2f} below {THRESHOLD}: "
                                                 f"{', '.join(finding.signals)}")
    return Verdict.ok("prompt_injection")
