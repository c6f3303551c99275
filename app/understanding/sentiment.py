"""Sentiment and frustration of a customer turn, from transparent signals.

Not a model on purpose: the result must explain itself in the decision trace and to the agent
("why was this escalated?"), run in microseconds, and behave the same tomorrow. Each signal
has a named weight and a strength in [0, 1]; frustration combines them as a noisy-OR:

    frustration = 1 - Π (1 - weight_i × strength_i)

so it stays in [0, 1], every extra signal (or a stronger one) raises it and never lowers it,
and no single signal can reach 1 alone. The score (negative = upset) is then

    score = positivity × (1 - frustration) - frustration

where positivity comes from positive words and emoji: thanks can soften a complaint but never
hide one. Lexicons are small, curated, and matched on lower-cased, accent-stripped text, so
"inútil" and "inutil", "unverschämt" and "UNVERSCHÄMT" read the same. They live in
`app/languages/<code>/sentiment.yaml`, one file per language; the weights and scoring stay here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from app.core.char_fold import CharFold
from app.core.language_data import derived, register

Label = Literal["negative", "neutral", "positive"]

# Signal weights: the frustration one signal at full strength adds on its own.
NEGATIVE_WORDS = 0.45  # full strength at two hits; one word alone is mild ("disappointed")
PROFANITY = 0.5  # swearing at a support desk is rarely happy
ALL_CAPS = 0.3  # shouting amplifies, but some people just type in caps
EXCLAMATIONS = 0.15  # "!!!" / "???" alone is weak: it is also enthusiasm or confusion
REPETITION = 0.35  # saying it again means the last answer did not land
REPEATED_FAILURES = 0.6  # the assistant failing in a row is the strongest predictor of escalation
THREAT_TO_LEAVE = 0.6  # churn risk: a person should see it
LEGAL_THREAT = 0.7  # lawyers and regulators: a person must see it

_WEIGHTS = {  # also the order signals are reported in
    "negative_words": NEGATIVE_WORDS, "profanity": PROFANITY, "all_caps": ALL_CAPS, "exclamations": EXCLAMATIONS,
    "repetition": REPETITION, "repeated_failures": REPEATED_FAILURES, "threat_to_leave": THREAT_TO_LEAVE,
    "legal_threat": LEGAL_THREAT,
}

NEGATIVE_WORDS_FULL_AT = 2
FAILURES_MIN = 2  # one miss is a rephrase; two in a row is a pattern
FAILURES_FULL_AT = 4
POSITIVE_STEP = 0.5  # positivity per positive word: 1 word 0.5, 2 words 0.75, ...
CAPS_MIN_LETTERS = 12  # "OK", "GDPR", "BW-10234" are not shouting
CAPS_RATIO = 0.7
REPEAT_LOOKBACK = 5  # recent customer messages compared with this one
REPEAT_CONTAINED = 0.85  # share of an earlier message's words that come back ("where is my order" again)
REPEAT_SIMILARITY = 0.5  # Jaccard overlap, so a short message buried in a long new one does not count
REPEAT_MIN_TOKENS = 3
NEGATION_WINDOW = 3  # a negator up to 3 tokens before flips a word: "not very good"
LABEL_THRESHOLD = 0.2  # |score| below this is neutral

_NEGATIVE_EMOJI = frozenset("😡🤬😠😤👎💩🙄😒😞😢😭")
_POSITIVE_EMOJI = frozenset("🙂😊😀😃😄😁👍🙏❤♥💯🎉😍🥰")
_WORD = r"'?[^\W_]+(?:'[^\W_]*)*"  # a word as `_TOKEN` reads it, or a part of one
_WORD_ENTRY = re.compile(rf"\*?{_WORD}|{_WORD}\*")  # "word", "word*" (a beginning) or "*word" (an ending)
_ESCAPE_OR_TEXT = re.compile(r"\\.|[^\\]+", re.DOTALL)


def _folded_words(entries: list[str]) -> list[str]:
    """Entries folded like the text; ValueError naming an entry that is not one word."""
    words = []
    for entry in entries:
        word = _fold(entry)
        if not _WORD_ENTRY.fullmatch(word):
            raise ValueError(f"entry {entry!r} is not one word (phrases go under complaints, threats_to_leave "
                             "or legal_threats)")
        words.append(word)
    return words


def _folded_phrases(entries: list[str]) -> list[str]:
    """Entries folded like the text (escapes such as \\W kept); ValueError naming an invalid regex."""
    phrases = []
    for entry in entries:
        phrase = _ESCAPE_OR_TEXT.sub(lambda m: m[0] if m[0].startswith("\\") else _fold(m[0]), entry)
        try:
            re.compile(phrase)
        except re.error as exc:
            raise ValueError(f"entry {entry!r} is not a valid regular expression: {exc}") from None
        phrases.append(phrase)
    return phrases


class SentimentLexicon(BaseModel):
    """`sentiment.yaml` of one language, folded like the text: words and phrases (regex source)."""

    model_config = ConfigDict(extra="forbid")
    negative_words: list[str] = []
    positive_words: list[str] = []
    gratitude: list[str] = []  # "no thanks" is polite
    profanity: list[str] = []
    negators: list[str] = []
    false_friends: list[str] = []  # German "Bad" is a bathroom
    complaints: list[str] = []
    threats_to_leave: list[str] = []
    legal_threats: list[str] = []

    @field_validator("negative_words", "positive_words", "gratitude", "profanity", "negators", "false_friends")
    @classmethod
    def _one_word_each(cls, entries: list[str]) -> list[str]:
        return _folded_words(entries)

    @field_validator("complaints", "threats_to_leave", "legal_threats")
    @classmethod
    def _phrases_are_regexes(cls, entries: list[str]) -> list[str]:
        return _folded_phrases(entries)


register("sentiment", SentimentLexicon)


@dataclass(frozen=True)
class _Words:
    """A word list: "word" exactly, "word*" as a beginning, "*word" as an ending."""

    exact: frozenset[str]
    beginnings: tuple[str, ...]
    endings: tuple[str, ...]

    @classmethod
    def of(cls, entries: list[str]) -> _Words:
        return cls(frozenset(e for e in entries if "*" not in e),
                   tuple(e[:-1] for e in entries if e.endswith("*")),
                   tuple(e[1:] for e in entries if e.startswith("*")))

    def __contains__(self, token: str) -> bool:
        return token in self.exact or token.startswith(self.beginnings) or token.endswith(self.endings)


@dataclass(frozen=True)
class _Lexicons:
    """Every language's lists merged, compiled once."""

    negative: _Words
    positive: _Words
    gratitude: _Words
    profanity: _Words
    negators: _Words
    false_friends: dict[str, _Words]  # by language: ignored only in that language
    complaints: re.Pattern[str]
    threat_to_leave: re.Pattern[str]
    legal_threat: re.Pattern[str]


def _phrases(entries: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(entries) + r")\b" if entries else "(?!)")


def _compile(files: dict[str, SentimentLexicon]) -> _Lexicons:
    lexicons = list(files.values())

    def words(field: str) -> _Words:
        return _Words.of([word for lexicon in lexicons for word in getattr(lexicon, field)])

    def phrases(field: str) -> re.Pattern[str]:
        return _phrases([phrase for lexicon in lexicons for phrase in getattr(lexicon, field)])

    return _Lexicons(words("negative_words"), words("positive_words"), words("gratitude"), words("profanity"),
                     words("negators"), {code: _Words.of(lexicon.false_friends) for code, lexicon in files.items()},
                     phrases("complaints"), phrases("threats_to_leave"), phrases("legal_threats"))


_NO_WORDS = _Words.of([])
def _lexicons() -> _Lexicons:
    """Compiled once for the loaded files (and again only after `app.core.language_data.reload()`)."""
    return derived("sentiment", _compile)


_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_PUNCT_RUN = re.compile(r"[!?¡¿]{2,}")
_CLAUSE_END = re.compile(r"[.,;:!?¡¿()\n]+")


@dataclass(frozen=True)
class Sentiment:
    score: float  # [-1, 1]; negative = upset
    frustration: float  # [0, 1]
    signals: list[str]  # the frustration signals that fired, in a fixed order
    label: Label

    def as_trace(self) -> dict[str, object]:
        return {"score": round(self.score, 3), "frustration": round(self.frustration, 3),
                "signals": list(self.signals), "label": self.label}


def assess(text: str, history: Sequence[str] = (), *, failures: int = 0,
           language: str | None = None) -> Sentiment:
    """Read the customer's mood from `text`, their recent messages and the assistant's misses.

    `history` holds the customer's previous messages, oldest first; `failures` counts the
    assistant turns in a row that did not help; `language` only switches off false friends.
    """
    lexicons = _lexicons()
    folded = _fold(text)
    strengths: dict[str, float] = {}
    negative, positive = _word_hits(lexicons, folded, language)
    negative += sum(map(_NEGATIVE_EMOJI.__contains__, text))
    positive += sum(map(_POSITIVE_EMOJI.__contains__, text))
    tokens = _TOKEN.findall(folded)
    profane = any(t in lexicons.profanity for t in set(tokens))
    if negative:
        strengths["negative_words"] = min(1.0, negative / NEGATIVE_WORDS_FULL_AT)
    if profane:
        strengths["profanity"] = 1.0
    if lexicons.threat_to_leave.search(folded):
        strengths["threat_to_leave"] = 1.0
    if lexicons.legal_threat.search(folded):
        strengths["legal_threat"] = 1.0
    if not (positive and not strengths):  # shouting "THANK YOU!!!" is enthusiasm, not anger
        if _is_shouting(text):
            strengths["all_caps"] = 1.0
        if any(_is_emphatic(run) for run in _PUNCT_RUN.findall(text)):
            strengths["exclamations"] = 1.0
    if _repeats(tokens, history):
        strengths["repetition"] = 1.0
    if failures >= FAILURES_MIN:
        strengths["repeated_failures"] = min(failures, FAILURES_FULL_AT) / FAILURES_FULL_AT
    calm = 1.0
    for signal, strength in strengths.items():
        calm *= 1.0 - _WEIGHTS[signal] * strength
    frustration = 1.0 - calm
    positivity = 1.0 - (1.0 - POSITIVE_STEP) ** positive
    score = max(-1.0, min(1.0, positivity * (1.0 - frustration) - frustration))
    label: Label = "negative" if score <= -LABEL_THRESHOLD else "positive" if score >= LABEL_THRESHOLD else "neutral"
    return Sentiment(score, frustration, [s for s in _WEIGHTS if s in strengths], label)


def _fold_char(ch: str) -> str:
    """One character as `_fold` reads it. NFKD decomposes each character on its own and only
    reorders combining marks, which are dropped, and casefold has no context: so folding
    character by character is the same as folding the whole text."""
    if ch == "\u2019":
        return "'"
    return "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).casefold()


_fold = CharFold(_fold_char)
"""Apostrophes straightened, compatibility-decomposed, accents dropped, case folded."""


def _word_hits(lexicons: _Lexicons, folded: str, language: str | None) -> tuple[int, int]:
    """(negative, positive) counts; a negated positive word counts as negative, a negated negative as neither."""
    negative = len(lexicons.complaints.findall(folded))
    ignored = lexicons.false_friends.get(language or "", _NO_WORDS)
    positive = 0
    polarities: dict[str, int] = {}  # a long message repeats its words: each is looked up once
    negators: dict[str, bool] = {}
    for clause in _CLAUSE_END.split(lexicons.complaints.sub(" ", folded)):  # "No problem, great job": no negation
        tokens = _TOKEN.findall(clause)
        for i, token in enumerate(tokens):
            polarity = polarities.get(token)
            if polarity is None:
                polarity = polarities[token] = _polarity(lexicons, ignored, token)
            if polarity == _NEUTRAL:
                continue
            negated = False
            for t in tokens[max(0, i - NEGATION_WINDOW):i]:
                is_negator = negators.get(t)
                if is_negator is None:
                    is_negator = negators[t] = t in lexicons.negators
                if is_negator:
                    negated = True
                    break
            if polarity == _NEGATIVE:
                negative += not negated
            elif negated and polarity == _POSITIVE:  # "no thanks" stays a thank-you
                negative += 1
            else:
                positive += 1
    return negative, positive


_NEUTRAL, _NEGATIVE, _POSITIVE, _GRATITUDE = range(4)


def _polarity(lexicons: _Lexicons, ignored: _Words, token: str) -> int:
    if token in ignored:
        return _NEUTRAL
    if token in lexicons.negative:
        return _NEGATIVE
    if token in lexicons.positive:
        return _GRATITUDE if token in lexicons.gratitude else _POSITIVE
    return _NEUTRAL


def _is_shouting(text: str) -> bool:
    upper = sum(map(str.isupper, text))
    cased = upper + sum(map(str.islower, text))
    return cased >= CAPS_MIN_LETTERS and upper / cased >= CAPS_RATIO


def _is_emphatic(run: str) -> bool:
    """ "!!", "?!" and "???" are emphatic; a doubled "??" is just a question."""
    bangs = sum(ch in "!¡" for ch in run)
    return bangs >= 2 or (bangs >= 1 and len(run) > bangs) or len(run) >= 3


def _repeats(tokens: list[str], history: Sequence[str]) -> bool:
    """Whether this message nearly repeats one of the customer's recent messages.

    Almost all of the earlier message's words must come back ("where is my invoice" does not
    repeat "where is my order"), and they must be most of the new message too.
    """
    current = set(tokens)
    if len(current) < REPEAT_MIN_TOKENS:
        return False
    for previous in history[-REPEAT_LOOKBACK:]:
        earlier = set(_TOKEN.findall(_fold(previous)))
        if len(earlier) < REPEAT_MIN_TOKENS:
            continue
        shared = len(current & earlier)
        if shared / len(earlier) >= REPEAT_CONTAINED and shared / len(current | earlier) >= REPEAT_SIMILARITY:
            return True
    return False
