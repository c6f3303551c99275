"""Plain-text articles: paragraphs kept, obvious headings and bullets made explicit.

The rules are few so that a support team can predict the result:
- a blank line separates paragraphs; the lines of one paragraph are joined with spaces;
- a paragraph that is one short line (at most 60 characters) not ending in punctuation,
  such as `GETTING STARTED` or `Refund rules`, becomes a `##` heading;
- lines starting with `-`, `*`, `•` and similar become `- ` list items; numbered lines
  (`1.`, `2)`) stay on their own line;
- the first line is the title when it is short (at most 100 characters) and not the only
  line, otherwise the file name is.
"""

from __future__ import annotations

import re

from knowledge.loaders.base import Draft
from knowledge.loaders.encoding import decode_text

TITLE_MAX_CHARS = 100
HEADING_MAX_CHARS = 60
_BULLET = re.compile(r"^[-*•·‣◦▪–]\s+(.+)")
_NUMBERED = re.compile(r"^\d{1,3}[.)]\s+\S")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def parse_text(raw: bytes, fallback_title: str) -> Draft:
    paragraphs = [p.split("\n") for p in _PARAGRAPH_BREAK.split(decode_text(raw).strip()) if p.strip()]
    title = fallback_title
    first_is_all = len(paragraphs) == 1 and len(paragraphs[0]) == 1  # as the title, it would leave no text
    if paragraphs and len(paragraphs[0][0].strip()) <= TITLE_MAX_CHARS and not first_is_all:
        title = paragraphs[0].pop(0).strip()
    return Draft(title=title, body="\n\n".join(render_paragraph(lines) for lines in paragraphs if lines))


def render_paragraph(lines: list[str]) -> str:
    """One paragraph as a heading, or as joined lines with list items kept apart."""
    if len(lines) == 1 and is_heading(lines[0]):
        return "## " + lines[0].strip()
    return reflow(lines)


def is_heading(line: str) -> bool:
    text = line.strip()
    return (0 < len(text) <= HEADING_MAX_CHARS and any(c.isalpha() for c in text)
            and not text.endswith((".", ",", ";", ":", "!", "?"))
            and not text.startswith("#") and not is_list_item(text))


def is_list_item(line: str) -> bool:
    return bool(_BULLET.match(line) or _NUMBERED.match(line))


def reflow(lines: list[str]) -> str:
    """Join wrapped lines with spaces; each list item starts a line of its own."""
    out: list[str] = []
    for line in lines:
        text = line.strip()
        if not text:
            continue
        if bullet := _BULLET.match(text):
            out.append("- " + bullet.group(1))
        elif _NUMBERED.match(text) or not out or text.startswith("#"):
            out.append(text)
        else:
            out[-1] = f"{out[-1]} {text}"
    return "\n".join(out)
