"""Files and folders: every supported file becomes a document, anything else a reason.

A folder is read recursively in a stable order (sorted by relative path), ignoring hidden
files and folders such as `.git`. Ids are relative paths, so two files with the same
name in different folders do not collide; when two files would get the same id (`faq.md`
and `faq.json`), the first one in sorted order keeps it and the other is reported.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from knowledge.documents import DocumentError
from knowledge.loaders.base import Draft, LoadResult, humanize, read_file
from knowledge.loaders.faq import parse_csv, parse_json
from knowledge.loaders.html import parse_html
from knowledge.loaders.ids import file_doc_id
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
    ".json": parse_json,
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
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        return _skip(path, f"unsupported file type {path.suffix.lower()}" if path.suffix
                     else "unsupported file type (the name has no extension)")
    try:
        draft = parser(read_file(path), humanize(path.stem))
        document = draft.to_document(doc_id, str(path))
    except DocumentError as exc:
        return _skip(path, str(exc))
    return LoadResult([document], [(str(path), note) for note in draft.notes])


def _load_folder(folder: Path) -> LoadResult:
    result = LoadResult()
    owners: dict[str, Path] = {}
    for path in sorted(_visible_files(folder), key=lambda p: _sort_key(p.relative_to(folder).as_posix())):
        loaded = load_file(path, file_doc_id(path, folder))
        taken = [owners[d.doc_id] for d in loaded.documents if d.doc_id in owners]
        if taken:
            result.extend(_skip(path, f"{taken[0].name} already has the id {loaded.documents[0].doc_id!r}; "
                                      "rename one of the two files"))
            continue
        owners.update((document.doc_id, path) for document in loaded.documents)
        result.extend(loaded)
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
