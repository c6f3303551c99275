"""Help-center documents and the sections they are searched and quoted by."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 2_000_000
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_HEADING = re.compile(r"^(#{2,3})\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Section:
    """A quotable piece of an article: one heading and the text under it."""

    doc_id: str
    title: str
    heading: str | None
    text: str
    position: int

    @property
    def embedding_text(self) -> str:
        heading = f" — {self.heading}" if self.heading else ""
        return f"{self.title}{heading}\n{self.text}"


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

    def sections(self) -> list[Section]:
        """Split at `##`/`###` headings; the text before the first heading is the intro."""
        sections: list[Section] = []
        matches = list(_HEADING.finditer(self.body))
        intro = self.body[: matches[0].start()] if matches else self.body
        if intro.strip():
            sections.append(Section(self.doc_id, self.title, None, intro.strip(), 0))
        for index, match in enumerate(matches):
            end = matches[index + 1].start() if index + 1 < len(matches) else len(self.body)
            text = self.body[match.end():end].strip()
            if text:
                sections.append(Section(self.doc_id, self.title, match.group(2).strip(), text,
                                        len(sections)))
        return sections


class DocumentError(ValueError):
    """A file cannot be read as a help-center article; the message says why."""


def load_markdown(path: Path) -> Document:
    """One Markdown article with optional YAML front matter (title, category, updated)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(f"cannot read the file: {exc.strerror}") from None
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"the file is {size:,} bytes; the limit is {MAX_DOCUMENT_BYTES:,}")
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise DocumentError("the file is binary, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentError("the file is not valid UTF-8 text") from None
    meta: dict[str, object] = {}
    if match := _FRONT_MATTER.match(text):
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError:
            raise DocumentError("the front matter is not valid YAML") from None
        if isinstance(loaded, dict):
            meta = loaded
        text = text[match.end():]
    body = text.strip()
    if not body:
        raise DocumentError("the article has no text")
    title = str(meta.get("title") or _first_heading(body) or path.stem.replace("-", " ").title())
    updated = meta.get("updated")
    return Document(
        doc_id=path.stem,
        title=title,
        body=re.sub(r"\A#\s+.+\n", "", body).strip(),
        source=str(path),
        category=str(meta["category"]) if meta.get("category") else None,
        updated=str(updated) if updated else None,
    )


def _first_heading(body: str) -> str | None:
    match = re.match(r"#\s+(.+)", body)
    return match.group(1).strip() if match else None


def load_folder(folder: Path) -> tuple[list[Document], list[tuple[str, str]]]:
    """All Markdown articles under `folder`, and (file, reason) for each one skipped."""
    documents, skipped = [], []
    for path in sorted(folder.rglob("*.md")):
        try:
            documents.append(load_markdown(path))
        except DocumentError as exc:
            log.warning("skipped %s: %s", path, exc)
            skipped.append((str(path), str(exc)))
    return documents, skipped
