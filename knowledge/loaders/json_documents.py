"""JSON files: an operator's own documents, or an FAQ of question/answer pairs.

Help centers and CMSs export articles as JSON in a handful of shapes; all of these load:

    [{"id": "kb-1", "title": "...", "content": "..."}, ...]      a list of documents
    {"id": "kb-1", "title": "...", "body": "<p>...</p>"}         one document per file
    {"articles": [...]}  (or documents, docs, items, data, results, pages)

The text is the first of "content", "body", "text" or "html"; HTML is rendered to text as
the HTML loader does. Optional fields: "url"/"link", "language"/"lang"/"locale",
"updated_at"/"updated"/"modified_at"/"last_modified", "category"/"section" and "tags". The
operator's "id" is kept verbatim (checked by `operator_doc_id`); a document without one is
`<file id>/<entry number>`. An entry that is not a document is skipped and named in a note;
a file with no document at all is refused with the reason for its first entry. A file of
{"question", "answer"} pairs (or {"faqs": [...]}) is an FAQ and goes to `faq.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from knowledge.documents import DocumentError
from knowledge.loaders.base import Draft
from knowledge.loaders.encoding import decode_text
from knowledge.loaders.faq import faq_draft, is_faq
from knowledge.loaders.html import html_fragment_text
from knowledge.loaders.ids import operator_doc_id

CONTENT_KEYS = ("content", "body", "text", "html")
LIST_KEYS = ("documents", "articles", "docs", "items", "data", "results", "pages")
_TITLE_KEYS = ("title", "name", "subject", "heading")
_URL_KEYS = ("url", "link", "href", "permalink")
_LANGUAGE_KEYS = ("language", "lang", "locale")
_UPDATED_KEYS = ("updated_at", "updated", "modified_at", "modified", "last_modified", "date")
_CATEGORY_KEYS = ("category", "section", "collection")
_ID_KEYS = ("id", "doc_id")
_LOOKS_LIKE_HTML = re.compile(r"<(?:p|div|br|h[1-6]|ul|ol|li|table|span|a|strong|em|b|i|section|article)\b[^>]*>",
                              re.IGNORECASE)
SHOWN_NOTES = 5


@dataclass(frozen=True)
class JsonEntry:
    """One document of a JSON file: its draft, the operator's id if any, and where it stands."""

    draft: Draft
    doc_id: str | None
    number: int | None = None  # its place in the file's list; None for a file that is one document

    @property
    def where(self) -> str:
        return f"entry {self.number}" if self.number is not None else ""


def parse_json_file(raw: bytes, fallback_title: str) -> tuple[list[JsonEntry], list[str]]:
    """The documents in a JSON file, and notes on entries skipped; raises DocumentError when none."""
    try:
        data = json.loads(decode_text(raw))
    except json.JSONDecodeError as exc:
        raise DocumentError(f"the file is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    if is_faq(data):
        draft = faq_draft(data, fallback_title)
        return [JsonEntry(draft, None)], list(draft.notes)
    if isinstance(data, Mapping) and _first(data, CONTENT_KEYS) is not None:
        return [JsonEntry(_draft(data, fallback_title), _id(data))], []
    items = _listed(data)
    entries: list[JsonEntry] = []
    problems: list[str] = []
    first_entry: dict[str, str] = {}
    for number, item in enumerate(items, 1):
        where = f"entry {number}"
        try:
            entry = _entry(item, number, fallback_title)
        except DocumentError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if entry.doc_id is not None:
            if entry.doc_id in first_entry:
                problems.append(f"{where}: the id {entry.doc_id!r} is already taken by {first_entry[entry.doc_id]}")
                continue
            first_entry[entry.doc_id] = where
        entries.append(entry)
    if not entries:
        first = problems[0] if problems else "the list is empty"
        raise DocumentError(f"the JSON has no document ({first}); {_EXPECTED}")
    notes = problems[:SHOWN_NOTES]
    if len(problems) > SHOWN_NOTES:
        notes.append(f"{len(problems) - SHOWN_NOTES} more entries skipped")
    return entries, notes


_EXPECTED = ('expected documents such as {"id", "title", "content"} (one object or a list) '
             'or FAQ pairs {"question", "answer"}')


def _listed(data: object) -> list[object]:
    """The list of documents in `data`, or a DocumentError saying what was found instead."""
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping):
        for key in LIST_KEYS:
            if isinstance(data.get(key), list):
                return list(data[key])
        keys = ", ".join(str(k) for k in list(data)[:8]) or "none"
        raise DocumentError(f"the JSON object has no text field (keys: {keys}); {_EXPECTED}")
    raise DocumentError(f"the JSON is a {type(data).__name__}; {_EXPECTED}")


def _entry(item: object, number: int, fallback_title: str) -> JsonEntry:
    if not isinstance(item, Mapping):
        raise DocumentError(f"a {type(item).__name__}, not an object")
    return JsonEntry(_draft(item, fallback_title), _id(item), number)


def _draft(item: Mapping[str, object], fallback_title: str) -> Draft:
    lowered = _lowered(item)
    key = next((k for k in CONTENT_KEYS if _text(lowered.get(k)) is not None), None)
    if key is None:
        found = ", ".join(str(k) for k in list(item)[:8]) or "none"
        raise DocumentError(f"no text in any of {', '.join(CONTENT_KEYS)} (keys: {found})")
    content = str(_text(lowered[key]))
    if key == "html" or _LOOKS_LIKE_HTML.search(content):
        content = html_fragment_text(content)
    category = _text(_first(item, _CATEGORY_KEYS))
    tags = lowered.get("tags")
    if category is None and isinstance(tags, list):
        category = ", ".join(t for t in (_text(tag) for tag in tags) if t) or None
    return Draft(
        title=_text(_first(item, _TITLE_KEYS)) or fallback_title,
        body=content,
        url=_text(_first(item, _URL_KEYS)),
        category=category,
        updated=_text(_first(item, _UPDATED_KEYS)),
        language=_text(_first(item, _LANGUAGE_KEYS)),
    )


def _id(item: Mapping[str, object]) -> str | None:
    value = _first(item, _ID_KEYS)
    return None if value is None else operator_doc_id(value)


def _first(item: Mapping[str, object], keys: tuple[str, ...]) -> object:
    """The value of the first of `keys` present (case-insensitive), or None."""
    lowered = _lowered(item)
    return next((lowered[k] for k in keys if lowered.get(k) is not None), None)


def _lowered(item: Mapping[str, object]) -> dict[str, object]:
    return {str(k).strip().lower(): v for k, v in item.items()}


def _text(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value).strip() or None
