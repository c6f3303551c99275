"""Files and folders: every supported file becomes a document, anything else a reason.

A folder is read recursively in a stable order (sorted by relative path), ignoring hidden
files and folders such as `.git`. Ids are relative paths, so two files with the same
name in different folders do not collide, unless the operator gives ids of their own (a
JSON "id", a front-matter `id:`), which are kept verbatim. When two documents would get
the same id (`faq.md` and `faq.json`, or one JSON id used twice), the first one in sorted
order keeps it and the other is reported, naming both.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from knowledge.documents import DocumentError
from knowledge.loaders.base import Draft, LoadResult, humanize, read_file
from knowledge.loaders.faq import parse_csv
from knowledge.loaders.html import parse_html
from knowledge.loaders.ids import file_doc_id
from knowledge.loaders.json_documents import parse_json_file
from knowledge.loaders.markdown import parse_markdown
from knowledge.loaders.pdf import parse_pdf
from knowledge.loaders.text import parse_text

log = logging.getLogger(__name__)

Parser = Callable[[bytes, str], Draft]
PARSERS: dict[str, Parser] = {
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
    ".pdf": parse_pdf,
    ".txt": parse_text,
    ".csv": parse_csv,
}


def load_path(path: Path) -> LoadResult:
    """A single file (its id is its stem) or a folder and everything under it."""
    if path.is_dir():
        return _load_folder(path)
    if path.is_file():
        return load_file(path, file_doc_id(path))
    return _skip(path, "no such file or folder")


def load_file(path: Path, doc_id: str) -> LoadResult:
    """One file through the parser for its extension; problems are reasons, never raised."""
    if path.suffix.lower() == ".json":
        return _load_json(path, doc_id)
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        return _skip(path, f"unsupported file type {path.suffix.lower()}" if path.suffix
                     else "unsupported file type (the name has no extension)")
    try:
        draft = parser(read_file(path), humanize(path.stem))
        document = draft.to_document(draft.doc_id or doc_id, str(path))
    except DocumentError as exc:
        return _skip(path, str(exc))
    return LoadResult([document], [(str(path), note) for note in draft.notes])


def _load_json(path: Path, doc_id: str) -> LoadResult:
    """A JSON file may hold many documents: each keeps the operator's id or gets `<doc_id>/<n>`."""
    try:
        entries, notes = parse_json_file(read_file(path), humanize(path.stem))
    except DocumentError as exc:
        return _skip(path, str(exc))
    result = LoadResult(skipped=[(str(path), note) for note in notes])
    for entry in entries:
        own_id = entry.doc_id or (f"{doc_id}/{entry.number}" if entry.number is not None else doc_id)
        try:
            result.documents.append(entry.draft.to_document(own_id, str(path)))
        except DocumentError as exc:
            result.skipped.append((str(path), f"{entry.where}: {exc}" if entry.where else str(exc)))
    for where, reason in result.skipped:
        log.warning("skipped %s: %s", where, reason)
    return result


def _load_folder(folder: Path) -> LoadResult:
    result = LoadResult()
    owners: dict[str, Path] = {}
    for path in sorted(_visible_files(folder), key=lambda p: _sort_key(p.relative_to(folder).as_posix())):
        loaded = load_file(path, file_doc_id(path, folder))
        result.skipped.extend(loaded.skipped)
        for document in loaded.documents:
            if owner := owners.get(document.doc_id):
                advice = "rename one of the two files" if document.doc_id == file_doc_id(path, folder) else \
                    "give one of the two another id"
                result.skipped.append((str(path), f"{owner.name} already has the id {document.doc_id!r}; {advice}"))
                log.warning("skipped %s: the id %r is taken by %s", path, document.doc_id, owner)
                continue
            owners[document.doc_id] = path
            result.documents.append(document)
    return result


def _sort_key(relative: str) -> tuple[str, str]:
    return relative.casefold(), relative  # `account.md` before `Billing/`, on every file system


def _visible_files(folder: Path) -> Iterator[Path]:
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
        for name in names:
            if not name.startswith("."):
                yield Path(directory, name)


def _skip(path: Path, reason: str) -> LoadResult:
    log.warning("skipped %s: %s", path, reason)
    return LoadResult(skipped=[(str(path), reason)])
