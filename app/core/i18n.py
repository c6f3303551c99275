"""Every sentence Frontline says to a customer, read from app/languages/<code>/messages.yaml.

`say(key, lang, **values)` falls back to English for a missing translation and never
raises for a customer: a key English lacks is a programming error caught by the tests, and
a file that could make a sentence fail (a key or a placeholder English does not have, a
stray brace) stops the server at start-up (`app.core.language_data.check_all()`).
"""

from __future__ import annotations

import string
from typing import Annotated

from pydantic import AfterValidator, RootModel

from app.core.language_data import REFERENCE, language_data, register


def placeholders(template: str) -> frozenset[str]:
    """The {names} a sentence is filled with; ValueError for anything `say` could not fill."""
    names: set[str] = set()
    for _, name, spec, conversion in string.Formatter().parse(template):  # ValueError: a lone brace
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"placeholder {{{name}...}} must be a plain {{name}}")
        names.add(name)
    return frozenset(names)


def _fillable(template: str) -> str:
    placeholders(template)
    return template


class Messages(RootModel[dict[str, Annotated[str, AfterValidator(_fillable)]]]):
    """One language's messages.yaml: key -> sentence with {placeholders}."""


def _agrees_with_english(english: Messages, translation: Messages) -> list[str]:
    problems = []
    for key, template in translation.root.items():
        if key not in english.root:
            problems.append(f"{key}: no such key in English")
        elif extra := placeholders(template) - placeholders(english.root[key]):
            problems.append(f"{key}: placeholder {', '.join(f'{{{n}}}' for n in sorted(extra))} "
                            "is not in the English sentence")
    return problems


register("messages", Messages, agrees_with_reference=_agrees_with_english)


def say(key: str, lang: str | None, **values: object) -> str:
    messages: dict[str, Messages] = language_data("messages")
    template = messages[REFERENCE].root[key]
    translation = messages.get(lang or REFERENCE)
    if translation is not None:
        template = translation.root.get(key) or template
    return template.format(**values)


def status_name(status: str, lang: str | None) -> str:
    """An order status as said inside a sentence ("in transit"); unknown ones as written."""
    key = f"order_status.{status}"
    if key not in language_data("messages")[REFERENCE].root:
        return status.replace("_", " ")
    return say(key, lang)
