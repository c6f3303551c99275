"""Opposite actions: "turn on 2FA" must not be answered with the section on turning it off.

Embeddings and BM25 place "Turning off two-factor authentication" right next to "turn on
two-factor authentication": the words that differ are short, common, or stop words. Each
language lists pairs of opposite actions (app/languages/<code>/opposites.yaml, the same pair
names in every language); when a question names one side of a pair and not the other, an
article's sections whose heading names that side come first and those whose heading names only
the other side move behind the article's other sections (knowledge/sections.py). Articles keep
their places: this chooses a section, never an article.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.core.language_data import REFERENCE, RegexEntry, derived, register
from knowledge.hits import Hit


class Sides(BaseModel):
    model_config = ConfigDict(extra="forbid")
    one: list[RegexEntry]
    other: list[RegexEntry]


class OppositeWords(BaseModel):
    """app/languages/<code>/opposites.yaml."""

    model_config = ConfigDict(extra="forbid")
    pairs: dict[str, Sides] = {}


def _agrees(english: OppositeWords, other: OppositeWords) -> list[str]:
    return [f"pair {name!r} is not in the English file" for name in other.pairs if name not in english.pairs]


register("opposites", OppositeWords, _agrees)

_REMEMBERED = 4096  # texts whose sides a language keeps (headings recur question after question)


class _LanguagePairs:
    """One language's compiled pairs, and the sides of the texts seen lately."""

    def __init__(self, pairs: dict[str, tuple[re.Pattern[str], re.Pattern[str]]]) -> None:
        self.pairs = pairs
        self._seen: dict[str, dict[str, int]] = {}

    def sides(self, text: str) -> dict[str, int]:
        found = self._seen.get(text)
        if found is None:
            found = {}
            for name, (one, other) in self.pairs.items():
                has_one, has_other = bool(one.search(text)), bool(other.search(text))
                if has_one != has_other:
                    found[name] = 0 if has_one else 1
            if len(self._seen) >= _REMEMBERED:
                self._seen.clear()
            self._seen[text] = found
        return dict(found)


def _compile(data: dict[str, Any]) -> dict[str, _LanguagePairs]:
    def pattern(entries: list[str]) -> re.Pattern[str]:
        return re.compile(rf"\b(?:{'|'.join(entries)})\b", re.IGNORECASE)
    return {code: _LanguagePairs({name: (pattern(sides.one), pattern(sides.other))
                                  for name, sides in words.pairs.items()})
            for code, words in data.items()}


def _pairs(language: str | None) -> _LanguagePairs:
    patterns = derived("opposites", _compile)
    return patterns.get((language or REFERENCE).lower()[:2]) or patterns[REFERENCE]


def asked_sides(text: str, language: str | None) -> dict[str, int]:
    """For each pair the text names one side of (and not the other): 0 or 1, which side."""
    return _pairs(language).sides(text)


def agreement(asked: dict[str, int], hit: Hit) -> int:
    """0: the passage's heading names the action asked; 2: only its opposite; 1: neither."""
    if not asked or not hit.heading_path:
        return 1
    named = asked_sides(" ".join(hit.heading_path), hit.language)
    if any(name in named and named[name] != side for name, side in asked.items()):
        return 2
    return 0 if any(named.get(name) == side for name, side in asked.items()) else 1


def contradicts(asked: dict[str, int], hit: Hit) -> bool:
    """Whether the passage's heading names only the side of a pair the question did not ask."""
    return agreement(asked, hit) == 2
