"""Whether a customer's message is about a declared incident's topic.

A lead declares a topic as a few words ("login sign-in password"); each is an alternative,
so a lead names the specific words customers use and leaves out general ones ("account").
A word matches a customer's word that starts with its first five letters (so "payments"
matches "payment" and "paying" does not match "payout"), also across two of the customer's
words written apart ("log in" for "login"); words under three letters are ignored. It is
deliberately simple and explainable (an offer's decision trace names the word that matched),
and an agent links any conversation the words missed by hand.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

STEM_LETTERS = 5
MIN_LETTERS = 3
MAX_TOPIC_CHARS = 200
_WORD = re.compile(r"\w+", re.UNICODE)


def _folded(text: str) -> str:
    """Lower case without accents: "Zahlung", "zählung" and "ZAHLUNG" read alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def topic_words(topic: str) -> list[str]:
    """The topic's matching words, in order, without repeats; empty: the topic names nothing."""
    words: list[str] = []
    for word in _WORD.findall(_folded(topic)):
        if len(word) >= MIN_LETTERS and not word.isdigit() and word not in words:
            words.append(word)
    return words


def matched_word(topic: str, text: str) -> str | None:
    """The first topic word the text is about, or None."""
    return _first_said(topic, _said(text))


def matched_words(topics: Sequence[str], text: str) -> list[str | None]:
    """`matched_word` of each topic, the text read once."""
    said = _said(text)
    return [_first_said(topic, said) for topic in topics]


def _said(text: str) -> set[str]:
    words = _WORD.findall(_folded(text))
    return {*words, *(a + b for a, b in zip(words, words[1:], strict=False))}  # "log in" reads as "login"


def _first_said(topic: str, said: set[str]) -> str | None:
    for word in topic_words(topic):
        stem = word[:STEM_LETTERS]
        if any(w.startswith(stem) for w in said):
            return word
    return None
