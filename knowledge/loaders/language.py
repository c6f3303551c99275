"""Document language: the declared one when there is one, a detected one only from prose.

Retrieval and answers are per language, so every document carries an ISO 639-1 code, and a
wrong code hides a document from keyword (BM25) search in its real language. langdetect
guesses confidently from very little: a price table or a list of codes comes back as French
or Somali. So a document's language is, in order: the one it declares (front matter, a JSON
field, `<html lang>`); the detected one when there is enough running prose and langdetect is
sure; otherwise None, which the caller replaces with the tenant's default language
(`with_default_language`). langdetect is random by default; a fixed seed makes the same text
get the same code on every run, so a re-sync does not see a changed document.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from langdetect.lang_detect_exception import LangDetectException

from app.core.langid import detect_langs
from knowledge.documents import Document

SAMPLE_CHARS = 2000
MIN_PROSE_LETTERS = 100  # below this langdetect guesses wrong too often; the tenant default is safer
MIN_CONFIDENCE = 0.90
_CODE = re.compile(r"[a-z]{2}")
_TABLE_ROW = re.compile(r"^\s*\|?.*\S\s+\|\s+\S.*$")  # "cell | cell" as the loaders render tables
_NOT_WORD = re.compile(r"\S*[\d@/\\_=|#*<>{}\[\]]\S*")  # numbers, codes, addresses, markup
_LETTER = re.compile(r"[^\W\d_]")


def normalize_language(declared: object) -> str | None:
    """`en-US`, `EN`, `pt_BR` → `en`, `en`, `pt`; anything else → None."""
    if not isinstance(declared, str):
        return None
    primary = re.split(r"[-_]", declared.strip().lower(), maxsplit=1)[0]
    return primary if _CODE.fullmatch(primary) else None


def prose(body: str) -> str:
    """The running text of a body: table rows, and words holding digits or symbols, left out."""
    lines = (line for line in body.splitlines() if not _TABLE_ROW.match(line))
    return " ".join(_NOT_WORD.sub(" ", line).strip() for line in lines).strip()


def detect_language(body: str) -> str | None:
    """The language of the body's prose, or None when there is too little prose to be sure."""
    text = prose(body[: SAMPLE_CHARS * 4])[:SAMPLE_CHARS]
    if len(_LETTER.findall(text)) < MIN_PROSE_LETTERS:
        return None
    try:
        best = detect_langs(text)[0]
    except (LangDetectException, IndexError):
        return None
    return normalize_language(best.lang) if best.prob >= MIN_CONFIDENCE else None


def with_default_language(documents: Iterable[Document], default: str | None) -> list[Document]:
    """The documents, those without a language given `default` (the tenant's language)."""
    code = normalize_language(default)
    return [dataclasses.replace(d, language=code) if d.language is None and code else d for d in documents]
