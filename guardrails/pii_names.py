"""Names in the words around them: greetings, signatures, introductions and titles.

A name has no shape a pattern can check (no digits, no checksum), so a name is found only
where the text itself says one follows: "Dear Maria,", "Thanks, Maria Lopez" at the end of a
line, "My name is sarah", "I'm Maria", "This is Maria from Acme", "Mr. Okafor", and the same
in es/de/fr ("Hola, soy Lucía", "Ich heiße Jonas", "Je m'appelle Camille"). A name anywhere
else ("Maybe it's under Mathias Ruud") is out of reach of this approach; the customer's own
name is still redacted there when the connector knows it (`guardrails.pii_known`).

The words are language data (`app/languages/<code>/pii.yaml`, the "Names" section); a name
is one to three capitalised words, initials and particles ("Maika van de Noort", "K."),
never a word listed as not a name ("Hi team,", "I'm Canadian").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from app.core.language_data import alternation, derived

_UP = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĘĚĞŁŃŇŐŒŘŚŞŠŢŤŮŰŸŹŻŽ"
_LOW = "a-zß-öø-ÿāăąćčďđęěğłńňőœřśşšţťůűźżž"


@dataclass(frozen=True)
class NamePatterns:
    contexts: tuple[re.Pattern[str], ...]  # each with a group "name"
    not_name: re.Pattern[str]  # a whole word that is never a name
    also_words: re.Pattern[str]  # a name part that is also a common word: needs a capital


def _build(data: dict[str, Any]) -> NamePatterns:
    def a(category: str) -> str:
        return alternation(data, category)

    not_name = rf"(?!(?i:{a('not_names')})(?![\w'’-]))"
    word = rf"(?:{not_name}[{_UP}][{_LOW}]+(?:['’-][{_UP}{_LOW}][{_LOW}]+)*(?:['’]s)?|[{_UP}]\.)"
    full = rf"{word}(?:[ \t]+(?:(?:{a('name_particles')})[ \t]+)*{word}){{0,2}}"
    lower = rf"{not_name}[{_LOW}]{{2,}}(?![\w'’-])"
    line_start = r"(?:^|(?<=[\n.!?>]))[ \t]*"
    contexts = (
        rf"(?<![\w'’])(?i:{a('name_intros_strong')})[ \t]*[:,]?[ \t]*(?P<name>{full}|{lower})",
        rf"(?<![\w'’])(?i:{a('name_intros')})[ \t]*,?[ \t]+(?P<name>{full})(?![\w'’-])",
        rf"(?<![\w'’])(?i:{a('company_intros')})[ \t]+(?P<name>{full})[ \t]*,?[ \t]+(?i:{a('company_links')})\b",
        rf"{line_start}(?i:{a('greetings')})[ \t]*,?[ \t]+(?P<name>{full})[ \t]*(?=[,!:\n]|$)",
        rf"(?<![\w'’])(?i:{a('sign_offs')})[ \t]*[,!.:-]?[ \t]*\n?[ \t]*(?P<name>{full})[ \t]*[.!]?[ \t]*(?=\n|$)",
        rf"(?<![\w.])(?:{a('honorifics')})\.?[ \t]+(?P<name>{full})",
    )
    return NamePatterns(
        contexts=tuple(re.compile(p, re.MULTILINE) for p in contexts),
        not_name=re.compile(rf"(?i:{a('not_names')})"),
        also_words=re.compile(rf"(?i:{a('name_words_also_words')})"),
    )


def name_patterns() -> NamePatterns:
    """The name patterns with every language's words, compiled once per load."""
    return derived("pii", _build)


def find_names(text: str) -> Iterator[tuple[int, int]]:
    """Spans of names that a greeting, a signature, an introduction or a title announces."""
    for pattern in name_patterns().contexts:
        for match in pattern.finditer(text):
            start, end = match.span("name")
            name = text[start:end]
            if name.endswith(("'s", "’s")):  # "Amanda's daughter": the name without the possessive
                end -= 2
            if end > start:
                yield start, end
