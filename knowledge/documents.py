"""The document: the one shape every loader produces and the index stores."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

MAX_DOCUMENT_BYTES = 2_000_000


@dataclass(frozen=True)
class Document:
    """One help-center document, whatever format it came from.

    Every loader normalizes its input to this shape, so one chunker serves them all: `body`
    is Markdown-like text whose `#`-`####` headings carry the structure.
    """

    doc_id: str  # stable within a tenant: a file's relative path or a URL, slugified
    title: str
    body: str
    source: str  # the file path or URL as ingested
    url: str | None = None  # the public address, when the source has one
    category: str | None = None
    updated: str | None = None  # ISO-8601 date or date-time
    language: str | None = None  # ISO 639-1, declared or detected at load

    @property
    def content_hash(self) -> str:
        material = "\x1f".join([self.title, self.body, self.url or "", self.category or "",
                                 self.updated or "", self.language or ""])
        return hashlib.sha256(material.encode()).hexdigest()


class DocumentError(ValueError):
    """A file cannot be read as a help-center article; the message says why."""
