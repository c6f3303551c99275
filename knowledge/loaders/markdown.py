"""Markdown articles with optional YAML front matter: the native help-center format.

Front matter may set id, title, category, updated, language and url; an `id` is the
operator's and kept verbatim (`ids.operator_doc_id`), otherwise the file's path names it. The body is kept as
written; only a leading `# Title` line is dropped, because the title is its own field.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import yaml

from knowledge.documents import Document, DocumentError
from knowledge.loaders.base import Draft, humanize, read_file
from knowledge.loaders.encoding import decode_text
from knowledge.loaders.ids import file_doc_id, operator_doc_id

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_TITLE_LINE = re.compile(r"\A#[ \t]+(.+?)[ \t#]*(?:\n|\Z)")


def parse_markdown(raw: bytes, fallback_title: str) -> Draft:
    text = decode_text(raw)
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
    heading = _TITLE_LINE.match(body)
    if heading:
        body = body[heading.end():]
    return Draft(
        title=_text(meta.get("title")) or (heading.group(1) if heading else fallback_title),
        body=body,
        url=_text(meta.get("url")),
        category=_text(meta.get("category")),
        updated=_date(meta.get("updated")),
        language=_text(meta.get("language")) or _text(meta.get("lang")),
        doc_id=operator_doc_id(meta["id"]) if meta.get("id") is not None else None,
    )


def load_markdown(path: Path) -> Document:
    """One Markdown file on its own, its id the file's stem; raises DocumentError."""
    draft = parse_markdown(read_file(path), humanize(path.stem))
    return draft.to_document(draft.doc_id or file_doc_id(path), str(path))


def _text(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None


def _date(value: object) -> str | None:
    """YAML reads `2026-01-01` as a date; keep the ISO-8601 text either way."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _text(value)
