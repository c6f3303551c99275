"""FAQ files: question/answer pairs from a spreadsheet export or a JSON file.

A whole FAQ file becomes one document whose body has one `## <question>` section per
pair, so each pair is its own chunk and a citation points at the very question. Rows
without a question or an answer are dropped and counted in a note for the sync report;
a file with no usable pair at all is refused.

CSV: a header row naming the columns; `question`/`q` and `answer`/`a` are required,
`category` and `url`/`link` optional. Comma, semicolon and tab separators are accepted.
JSON: a list of {"question", "answer", ...} objects, or {"faqs": [...]} with optional
top-level "title", "category", "language" and "url".
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping

from knowledge.documents import DocumentError
from knowledge.loaders.base import Draft
from knowledge.loaders.encoding import decode_text

_ALIASES = {"question": {"question", "q"}, "answer": {"answer", "a"}, "category": {"category"},
            "url": {"url", "link"}}
_SEPARATORS = ",;\t"


def parse_csv(raw: bytes, fallback_title: str) -> Draft:
    text = decode_text(raw)
    header_line = text.lstrip("\n").split("\n", 1)[0]
    separator = max(_SEPARATORS, key=header_line.count)
    rows = csv.reader(io.StringIO(text.lstrip("\n")), delimiter=separator)
    try:
        header = next(rows, [])
        columns = _columns(header)
        if "question" not in columns or "answer" not in columns:
            found = ", ".join(h.strip() for h in header if h.strip()) or "nothing"
            raise DocumentError(f"the CSV needs a question and an answer column in its header row "
                                f"(found: {found})")
        # Numbered as a spreadsheet shows them: the header is row 1.
        records = [(number, {key: row[index] for key, index in columns.items() if index < len(row)})
                   for number, row in enumerate(rows, 2) if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise DocumentError(f"the CSV cannot be read: {exc}") from None
    return _faq_draft(records, fallback_title, {}, unit=("row", "rows"))


def parse_json(raw: bytes, fallback_title: str) -> Draft:
    """A JSON FAQ on its own; JSON files in general go through `json_documents`."""
    try:
        data = json.loads(decode_text(raw))
    except json.JSONDecodeError as exc:
        raise DocumentError(f"the file is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    if not is_faq(data):
        raise DocumentError('the JSON must be a list of {"question", "answer"} objects or {"faqs": [...]}')
    return faq_draft(data, fallback_title)


def is_faq(data: object) -> bool:
    """{"faqs": [...]}, or a list whose first object has a question and an answer field."""
    if isinstance(data, dict) and isinstance(data.get("faqs"), list):
        return True
    first = next((item for item in data if isinstance(item, Mapping)), None) if isinstance(data, list) else None
    if first is None:
        return False
    keys = {str(k).strip().lower() for k in first}
    return bool(keys & _ALIASES["question"]) and bool(keys & _ALIASES["answer"])


def faq_draft(data: object, fallback_title: str) -> Draft:
    """The FAQ draft of parsed JSON for which `is_faq` holds."""
    meta: Mapping[str, object] = data if isinstance(data, dict) else {}
    pairs = meta.get("faqs") if meta else data
    return _faq_draft(enumerate(pairs if isinstance(pairs, list) else [], 1), fallback_title, meta,
                      unit=("entry", "entries"))


def _columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        for key, aliases in _ALIASES.items():
            if name.strip().lower() in aliases and key not in columns:
                columns[key] = index
    return columns


def _faq_draft(items: Iterable[tuple[int, object]], fallback_title: str, meta: Mapping[str, object], *,
               unit: tuple[str, str]) -> Draft:
    pairs: list[tuple[str, str, str | None, str | None]] = []
    bad: list[int] = []
    for number, item in items:
        fields = _fields(item)
        if fields is None:
            bad.append(number)
        else:
            pairs.append(fields)
    dropped = _dropped_note(bad, unit)
    if not pairs:
        raise DocumentError("the file has no valid question and answer pair" + (f"; {dropped}" if dropped else ""))
    categories = {category for _, _, category, _ in pairs}
    urls = {url for _, _, _, url in pairs}
    common_url = urls.pop() if len(urls) == 1 else None
    sections = []
    for question, answer, _, url in pairs:
        more = f"\n\nMore: {url}" if url and not common_url else ""
        sections.append(f"## {question}\n\n{answer}{more}")
    return Draft(
        title=_text(meta.get("title")) or fallback_title,
        body="\n\n".join(sections),
        url=_text(meta.get("url")) or common_url,
        category=_text(meta.get("category")) or (categories.pop() if len(categories) == 1 else None),
        language=_text(meta.get("language")),
        notes=(dropped,) if dropped else (),
    )


def _fields(item: object) -> tuple[str, str, str | None, str | None] | None:
    """(question, answer, category, url) when the item has both a question and an answer."""
    if not isinstance(item, Mapping):
        return None
    lowered = {str(k).strip().lower(): v for k, v in item.items()}
    found = {key: next((lowered[a] for a in aliases if a in lowered), None) for key, aliases in _ALIASES.items()}
    question = " ".join((_text(found["question"]) or "").split())
    answer = _text(found["answer"])
    if not question or not answer:
        return None
    return question, answer, _text(found["category"]), _text(found["url"])


def _dropped_note(bad: list[int], unit: tuple[str, str]) -> str:
    """`2 rows without a question or an answer skipped (rows 3, 5)`; empty when none were."""
    if not bad:
        return ""
    shown = ", ".join(str(n) for n in bad[:10]) + (", ..." if len(bad) > 10 else "")
    word = unit[0] if len(bad) == 1 else unit[1]
    return f"{len(bad)} {word} without a question or an answer skipped ({word} {shown})"


def _text(value: object) -> str | None:
    """Strings and numbers as trimmed text; lists, objects and blanks as None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value).strip() or None
