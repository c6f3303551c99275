"""Chunking: documents into quotable, searchable pieces that follow the headings.

Each section (the text under one heading) becomes one chunk when it is short enough, so
an answer quotes a whole section. A long section is split at paragraph boundaries, and each
split chunk repeats the last sentences of the chunk before it (the overlap), so a fact on a
boundary is found from either side. Every chunk knows its document's title, its heading
path, an anchor for linking, its language and when the document was last updated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.documents import Document

CHUNKER_VERSION = "3"  # part of the index fingerprint: change it when chunk boundaries change
TARGET_WORDS = 150
MAX_WORDS = 200
OVERLAP_WORDS = 30

_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    position: int
    title: str
    heading_path: tuple[str, ...]
    text: str
    source: str
    url: str | None
    anchor: str | None
    language: str | None
    updated: str | None

    @property
    def heading(self) -> str | None:
        return self.heading_path[-1] if self.heading_path else None

    @property
    def embedding_text(self) -> str:
        """What is embedded: the title and headings give a short section its context."""
        path = " › ".join(self.heading_path)
        return f"{self.title}{' — ' + path if path else ''}\n{self.text}"


def anchor_for(heading: str) -> str:
    return re.sub(r"[^\w]+", "-", heading.lower(), flags=re.UNICODE).strip("-")


def _sections(body: str) -> list[tuple[tuple[str, ...], str]]:
    """(heading path, text) for the intro and every heading, in document order."""
    sections: list[tuple[tuple[str, ...], list[str]]] = [((), [])]
    path: list[tuple[int, str]] = []
    for line in body.splitlines():
        match = _HEADING.match(line)
        if match:
            level, heading = len(match.group(1)), match.group(2).strip()
            path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, heading)]
            sections.append((tuple(h for _, h in path), []))
        else:
            sections[-1][1].append(line)
    return [(headings, "\n".join(lines).strip()) for headings, lines in sections
            if "\n".join(lines).strip()]


def _words(text: str) -> int:
    return len(text.split())


def _tail(text: str, words: int) -> str:
    """The last whole sentences of `text` that fit in about `words` words."""
    sentences = _SENTENCE_END.split(text.strip())
    kept: list[str] = []
    for sentence in reversed(sentences):
        if kept and _words(" ".join(kept)) + _words(sentence) > words:
            break
        kept.insert(0, sentence)
    tail = " ".join(kept)
    return tail if _words(tail) <= words * 2 else " ".join(tail.split()[-words:])


def _split(text: str) -> list[str]:
    """Split a long section at paragraph (then sentence) boundaries, with overlap."""
    if _words(text) <= MAX_WORDS:
        return [text]
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        if _words(paragraph) <= MAX_WORDS:
            units.append(paragraph.strip())
        else:
            units.extend(s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip())
    pieces, current = [], ""
    for unit in units:
        if current and _words(current) + _words(unit) > TARGET_WORDS:
            pieces.append(current)
            current = _tail(current, OVERLAP_WORDS) + "\n\n" + unit
        else:
            current = f"{current}\n\n{unit}" if current else unit
    if current:
        pieces.append(current)
    # a single unit longer than MAX_WORDS (no sentence breaks) is cut by words
    final: list[str] = []
    for piece in pieces:
        words = piece.split()
        step = MAX_WORDS - OVERLAP_WORDS
        final.extend(" ".join(words[i:i + MAX_WORDS]) for i in range(0, max(len(words) - OVERLAP_WORDS, 1), step))
    return final


def chunk_document(document: Document) -> list[Chunk]:
    chunks: list[Chunk] = []
    for headings, text in _sections(document.body):
        anchor = anchor_for(headings[-1]) if headings else None
        for piece in _split(text):
            chunks.append(Chunk(
                doc_id=document.doc_id, position=len(chunks), title=document.title,
                heading_path=headings, text=piece, source=document.source, url=document.url,
                anchor=anchor, language=document.language, updated=document.updated))
    return chunks
