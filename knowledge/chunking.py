"""Chunking: documents into quotable, searchable pieces that follow the headings.

Each section (the text under one heading) becomes one chunk when it is short enough, so
an answer quotes a whole section. A long section is split between answering units, never
inside one: a numbered or bulleted list or a table stays together with the sentence that
introduces it ("To download an invoice:" and its steps), because a quote of the introduction
without the steps answers nothing. Only a list too long for any chunk is split, between its
items, each piece repeating the introduction. Prose is split at paragraphs (then sentences),
and a prose chunk repeats the last sentences of the chunk before it (the overlap), so a fact
on a boundary is found from either side. Every chunk knows its document's title, its heading
path, an anchor for linking, its language and when the document was last updated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.documents import Document

CHUNKER_VERSION = "4"  # part of the index fingerprint: change it when chunk boundaries change
TARGET_WORDS = 150
MAX_WORDS = 200
OVERLAP_WORDS = 30
UNIT_MAX_WORDS = 350  # a list or table up to this size stays in one chunk, even past MAX_WORDS
INTRO_MAX_WORDS = 60  # a longer paragraph before a list lends it only its last sentence

_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+•]|\d{1,3}[.)])\s+\S")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_LIST_LINE = re.compile(r"(?m)^\s{0,3}(?:[-*+•]|\d{1,3}[.)])\s+\S|^\s*\|.*\|\s*$")


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


@dataclass(frozen=True)
class _Unit:
    """Text that is quoted whole: a paragraph, or a list/table with the sentence introducing it."""

    text: str
    structured: bool  # a list or table (with its introduction), split only between its items
    intro: str = ""  # the introducing sentence(s), repeated if an oversized list must be split
    sentence: bool = False  # one sentence of a long paragraph: joined to its neighbours by a space


def _is_item(line: str) -> bool:
    return bool(_LIST_ITEM.match(line) or _TABLE_ROW.match(line))


def _blocks(text: str) -> list[tuple[bool, str]]:
    """(is a list or table, text) for each paragraph, a paragraph's trailing list split off and
    the paragraphs of one loose list (items separated by blank lines) joined."""
    blocks: list[tuple[bool, str]] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = paragraph.strip("\n").splitlines()
        first_item = next((i for i, line in enumerate(lines) if _is_item(line)), None)
        continues_list = bool(blocks) and blocks[-1][0] and (first_item == 0 or lines[0][:1].isspace())
        if continues_list:
            blocks[-1] = (True, blocks[-1][1] + "\n\n" + "\n".join(lines))
            continue
        if first_item is None:
            blocks.append((False, "\n".join(lines).strip()))
            continue
        if first_item > 0:
            blocks.append((False, "\n".join(lines[:first_item]).strip()))
        blocks.append((True, "\n".join(lines[first_item:])))
    return [(structured, body) for structured, body in blocks if body.strip()]


def _units(text: str) -> list[_Unit]:
    """The section as answering units: a list or table takes the paragraph right before it as its
    introduction (or, from a long paragraph, its last sentence)."""
    units: list[_Unit] = []
    for structured, body in _blocks(text):
        if structured and units and not units[-1].structured:
            intro = units.pop().text
            if _words(intro) > INTRO_MAX_WORDS:
                sentences = _SENTENCE_END.split(intro)
                units.append(_Unit(" ".join(sentences[:-1]), False))
                intro = sentences[-1]
            units.append(_Unit(f"{intro}\n\n{body}", True, intro))
        else:
            units.append(_Unit(body, structured))
    return units


def _items(body: str) -> list[str]:
    """A list's items (each with its continuation lines) or a table's rows, in order."""
    items: list[str] = []
    for line in body.splitlines():
        if _is_item(line) or not items:
            items.append(line)
        else:
            items[-1] += "\n" + line
    return [item.strip("\n") for item in items if item.strip()]


def _split_structured(unit: _Unit) -> list[str]:
    """An oversized list or table, split between items; every piece repeats the introduction (and
    a table's header rows), so each piece still reads as the start of the list."""
    body = unit.text[len(unit.intro):].strip() if unit.intro else unit.text
    items = _items(body)
    header: list[str] = []
    if items and _TABLE_ROW.match(items[0]) and len(items) > 2 and set(items[1]) <= set("|-: "):
        header, items = items[:2], items[2:]
    lead = "\n\n".join(p for p in (unit.intro, "\n".join(header)) if p)
    pieces: list[str] = []
    current: list[str] = []
    for item in items:
        if current and _words(lead) + _words("\n".join(current + [item])) > MAX_WORDS:
            pieces.append("\n".join(current))
            current = []
        current.append(item)
    if current:
        pieces.append("\n".join(current))
    return [f"{lead}\n\n{piece}" if lead else piece for piece in pieces]


def _prose_units(unit: _Unit) -> list[_Unit]:
    """A paragraph too long for one chunk, as its sentences."""
    if unit.structured or _words(unit.text) <= MAX_WORDS:
        return [unit]
    return [_Unit(s.strip(), False, sentence=True) for s in _SENTENCE_END.split(unit.text) if s.strip()]


def _split(text: str) -> list[str]:
    """A section as chunks: whole when short enough; otherwise packed from whole units, a new
    chunk starting between units (prose chunks repeat the last sentences before them)."""
    units = [piece for unit in _units(text) for piece in _prose_units(unit)]
    if _words(text) <= MAX_WORDS:
        return [text.strip()]
    pieces: list[str] = []
    current, current_ends_in_prose, previous = "", False, None
    for unit in units:
        joiner = " " if unit.sentence and previous is not None and previous.sentence else "\n\n"
        previous = unit
        if unit.structured and _words(unit.text) > UNIT_MAX_WORDS:
            if current:
                pieces.append(current)
            pieces.extend(_split_structured(unit))
            current, current_ends_in_prose = "", False
            continue
        if current and _words(current) + _words(unit.text) > TARGET_WORDS:
            pieces.append(current)
            overlap = _tail(current, OVERLAP_WORDS) if current_ends_in_prose and not unit.structured else ""
            current = f"{overlap}{joiner}{unit.text}" if overlap else unit.text
        else:
            current = f"{current}{joiner}{unit.text}" if current else unit.text
        current_ends_in_prose = not unit.structured
    if current:
        pieces.append(current)
    # a single sentence longer than MAX_WORDS (no sentence breaks) is cut by words
    final: list[str] = []
    step = MAX_WORDS - OVERLAP_WORDS
    for piece in pieces:
        words = piece.split()
        if len(words) <= UNIT_MAX_WORDS and (_LIST_LINE.search(piece) or len(words) <= MAX_WORDS):
            final.append(piece)
        else:
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
