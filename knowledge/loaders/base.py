"""The shapes every loader shares: a parsed draft, and the result of loading sources.

A format parser knows a file's content but not where it sits, so it returns a `Draft`;
the file and web loaders give it an id and a source and turn it into a `Document`.
Problems become `(source, reason)` pairs written for the person who reads the sync report,
so one bad file never stops the others from loading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.documents import MAX_DOCUMENT_BYTES, Document, DocumentError
from knowledge.loaders.language import detect_language, normalize_language

NO_TEXT = "the article has no text"
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


@dataclass
class LoadResult:
    """Documents that loaded, and (source, reason) for everything that did not."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def extend(self, other: LoadResult) -> None:
        self.documents.extend(other.documents)
        self.skipped.extend(other.skipped)


@dataclass(frozen=True)
class Draft:
    """What a format parser extracts; `notes` are partial problems, such as rows it dropped."""

    title: str
    body: str
    url: str | None = None
    category: str | None = None
    updated: str | None = None
    language: str | None = None
    notes: tuple[str, ...] = ()
    empty_reason: str = NO_TEXT
    doc_id: str | None = None  # the operator's own id (front matter), already checked

    def to_document(self, doc_id: str, source: str, *, url: str | None = None,
                    updated: str | None = None) -> Document:
        """The finished document; raises DocumentError when no text is left."""
        body = _BLANK_RUNS.sub("\n\n", self.body).strip()
        if not body:
            raise DocumentError(self.empty_reason)
        return Document(
            doc_id=doc_id,
            title=" ".join(self.title.split()) or doc_id,
            body=body,
            source=source,
            url=url or self.url,
            category=self.category,
            updated=updated or self.updated,
            language=normalize_language(self.language) or detect_language(body),
        )


def humanize(stem: str) -> str:
    """A title for a document that has none: `reset-your_password` → `Reset your password`."""
    words = re.sub(r"[-_]+", " ", stem).strip()
    words = re.sub(r"\bfaq(s?)\b", r"FAQ\1", words, flags=re.IGNORECASE)
    return words[:1].upper() + words[1:]


def read_file(path: Path) -> bytes:
    """The file's bytes, refusing before reading anything too large to be an article."""
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise DocumentError(f"the file is {size:,} bytes; the limit is {MAX_DOCUMENT_BYTES:,}")
        return path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read the file: {exc.strerror or exc}") from None
