"""Multi-part questions: one message that asks two things is searched as two questions.

"How do I change my email and also download last month's invoice?" has one answer in the
email article and another in the invoices article; searched whole, the two halves compete and
one of them loses the top results. A message is split where a second question starts: after a
question mark followed by more text, at a joiner ("and also", "außerdem", "y también"), or at
"and" followed by a question word ("... and how do I ..."). The words are per language, in
app/languages/<code>/questions.yaml. A piece with too few words of its own ("Can I" before
"also ...") is not a question: it stays joined to its neighbour.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.core.language_data import REFERENCE, RegexEntry, derived, register
from knowledge.sparse import stopwords

MAX_PARTS = 3
MIN_PART_WORDS = 2  # words that are not stop words, for a piece to count as a question


class QuestionWords(BaseModel):
    """app/languages/<code>/questions.yaml."""

    model_config = ConfigDict(extra="forbid")
    joiners: list[RegexEntry] = []
    and_words: list[RegexEntry] = []
    question_starters: list[RegexEntry] = []
    how_words: list[RegexEntry] = []


register("questions", QuestionWords)


def _boundaries(data: dict[str, Any]) -> dict[str, re.Pattern[str]]:
    """Per language, the pattern of a place where a new part starts (the match is dropped)."""
    patterns = {}
    for code, words in data.items():
        alternatives = [r"(?<=\?)\s+(?=\S)"]
        if words.joiners:
            alternatives.append(rf"\s*[,;]?\s*\b(?:{'|'.join(words.joiners)})\b[,:]?\s*")
        if words.and_words and words.question_starters:
            alternatives.append(rf"\s*(?:,\s*(?:{'|'.join(words.and_words)})?|\b(?:{'|'.join(words.and_words)}))"
                                rf"\s+(?=(?:{'|'.join(words.question_starters)})\b)")
        patterns[code] = re.compile("|".join(alternatives), re.IGNORECASE)
    return patterns


def _content_words(text: str, language: str) -> int:
    common = stopwords(language)
    return sum(1 for word in re.findall(r"\w+", text.lower()) if word not in common)


def split_question(text: str, language: str | None = None) -> list[str]:
    """The parts of a customer's message, in order; a one-part message comes back as itself."""
    code = (language or REFERENCE).lower()[:2]
    patterns = derived("questions", _boundaries)
    pattern = patterns.get(code) or patterns[REFERENCE]
    text = text.strip()
    spans, start = [], 0
    for match in pattern.finditer(text):
        if match.end() > match.start():
            spans.append((start, match.start()))
            start = match.end()
    spans.append((start, len(text)))
    spans = [(a, b) for a, b in spans if text[a:b].strip(" ,;")]
    merged: list[tuple[int, int]] = []
    for span in spans:  # a piece too short to be a question stays with its neighbour, joiner and all
        if merged and (_content_words(text[span[0]:span[1]], code) < MIN_PART_WORDS
                       or _content_words(text[merged[-1][0]:merged[-1][1]], code) < MIN_PART_WORDS):
            merged[-1] = (merged[-1][0], span[1])
        else:
            merged.append(span)
    if len(merged) > MAX_PARTS:  # the tail beyond the last part searched stays with it
        merged = merged[:MAX_PARTS - 1] + [(merged[MAX_PARTS - 1][0], merged[-1][1])]
    parts = [text[a:b].strip(" ,;") for a, b in merged]
    return parts or [text]


def _procedural(data: dict[str, Any]) -> dict[str, re.Pattern[str]]:
    return {code: re.compile(rf"\b(?:{'|'.join(words.how_words) or '(?!)'})\b", re.IGNORECASE)
            for code, words in data.items()}


def asks_for_steps(text: str, language: str | None = None) -> bool:
    """Whether the question asks how to do something (its answer is likely a list of steps)."""
    patterns = derived("questions", _procedural)
    pattern = patterns.get((language or REFERENCE).lower()[:2]) or patterns[REFERENCE]
    return bool(pattern.search(text))
