"""BM25 sparse vectors through fastembed, with stemming for the text's language.

Token ids are hashes of stemmed words, so documents in different languages share one
sparse space; the inverse document frequency is applied by Qdrant at query time
(`Modifier.IDF`). The stop words of each language are in app/languages/<code>/search.yaml,
so nothing is downloaded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, StrictStr
from qdrant_client import models

from app.core.language_data import language_data, register

LANGUAGES = {"en": "english", "es": "spanish", "de": "german", "fr": "french", "it": "italian",
             "pt": "portuguese", "nl": "dutch"}
AVERAGE_CHUNK_WORDS = 150.0  # fixed, so stored vectors stay valid as the corpus grows

class SearchWords(BaseModel):
    """app/languages/<code>/search.yaml."""

    model_config = ConfigDict(extra="forbid")
    stopwords: list[StrictStr] = []


register("search", SearchWords)


def _language_code(language: str | None) -> str:
    code = (language or "en").lower()[:2]
    return code if code in LANGUAGES else "en"


def stem_language(code: str | None) -> str:
    """The fastembed/Snowball language name for an ISO 639-1 code (English by default)."""
    return LANGUAGES[_language_code(code)]


def stopwords(code: str) -> set[str]:
    """The language's stop words; none for a language without a search.yaml."""
    words = language_data("search").get(code)
    return set(words.stopwords) if words is not None else set()


@cache
def _empty_model_dir() -> str:
    # fastembed's BM25 needs a model folder but reads nothing from it when stopwords are given
    folder = Path(tempfile.gettempdir()) / "frontline-bm25"
    folder.mkdir(exist_ok=True)
    return str(folder)


@cache
def _model(code: str):  # type: ignore[no-untyped-def]
    from fastembed import SparseTextEmbedding

    return SparseTextEmbedding("Qdrant/bm25", specific_model_path=_empty_model_dir(),
                               language=LANGUAGES[code], avg_len=AVERAGE_CHUNK_WORDS, stopwords=stopwords(code))


def _convert(embedding) -> models.SparseVector:  # type: ignore[no-untyped-def]
    return models.SparseVector(indices=embedding.indices.tolist(), values=embedding.values.tolist())


def embed_documents(texts: Sequence[str], language: str | None) -> list[models.SparseVector]:
    model = _model(_language_code(language))
    return [_convert(e) for e in model.embed(list(texts))]


def embed_query(text: str, language: str | None) -> models.SparseVector:
    model = _model(_language_code(language))
    return _convert(next(iter(model.query_embed(text))))
