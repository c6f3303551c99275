"""Document language: the declared one when there is one, otherwise a detected guess.

Retrieval and answers are per language, so every document carries an ISO 639-1 code.
langdetect is random by default; a fixed seed makes the same text get the same code on
every run, so a re-sync does not see a changed document where nothing changed.
"""

from __future__ import annotations

import re

from langdetect import DetectorFactory, detect
from langdetect.lang_detect_exception import LangDetectException

DetectorFactory.seed = 0
SAMPLE_CHARS = 2000
_CODE = re.compile(r"[a-z]{2}")


def normalize_language(declared: object) -> str | None:
    """`en-US`, `EN`, `pt_BR` → `en`, `en`, `pt`; anything else → None."""
    if not isinstance(declared, str):
        return None
    primary = re.split(r"[-_]", declared.strip().lower(), maxsplit=1)[0]
    return primary if _CODE.fullmatch(primary) else None


def detect_language(body: str) -> str | None:
    """The language of the first ~2000 characters, or None when there is too little to tell."""
    try:
        return normalize_language(detect(body[:SAMPLE_CHARS]))
    except LangDetectException:
        return None
