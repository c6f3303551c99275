"""HTML elements to the Markdown-like blocks every loader produces.

h1-h4 become `#`-`####` headings, list items `- ` lines (nested ones indented), `<pre>`
an indented block (so a `# comment` in code is never taken for a heading), table rows
`cell | cell` lines, and everything else paragraphs of running text with links reduced
to their text. Blocks are joined with blank lines by the caller.
"""

from __future__ import annotations

import re

from bs4.element import NavigableString, PreformattedString, Tag

_BREAK = "\x00"  # a <br>; NUL never survives decoding, so it cannot clash with page text
_SPACE = re.compile(r"[^\S\x00]+")
_HEADINGS = {"h1": "#", "h2": "##", "h3": "###", "h4": "####"}
_BLOCKS = {"p", "div", "section", "article", "main", "header", "blockquote", "figure", "figcaption",
           "details", "summary", "address", "dl", "dt", "dd", "hr", "center", "fieldset", "li",
           "h5", "h6", "body", "html", "tr", "td", "th", "caption", "tbody", "thead", "tfoot"}
_LAYOUT_CELL_CONTENT = ["p", "div", "ul", "ol", "table", "h1", "h2", "h3", "h4", "pre"]


def render_blocks(root: Tag) -> list[str]:
    """The blocks of `root`, in document order."""
    renderer = _Renderer()
    renderer.walk(root)
    renderer.flush()
    return renderer.blocks


class _Renderer:
    def __init__(self) -> None:
        self.blocks: list[str] = []
        self._inline: list[str] = []

    def flush(self) -> None:
        lines = (_SPACE.sub(" ", line).strip() for line in "".join(self._inline).split(_BREAK))
        text = "\n".join(line for line in lines if line)
        self._inline = []
        if text:
            self.blocks.append(text)

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Tag):
                self.element(child)
            elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
                self._inline.append(str(child).replace(_BREAK, ""))

    def element(self, tag: Tag) -> None:
        name = tag.name
        if name == "br":
            self._inline.append(_BREAK)
        elif name in _HEADINGS:
            text = inline_text(tag)
            self._block(f"{_HEADINGS[name]} {text}" if text else "")
        elif name in ("ul", "ol"):
            self._block("\n".join(_list_lines(tag)))
        elif name == "pre":
            code = tag.get_text().strip("\n")
            self._block("\n".join("    " + line for line in code.splitlines()) if code.strip() else "")
        elif name == "table" and not tag.find(_LAYOUT_CELL_CONTENT):
            self._block("\n".join(_table_rows(tag)))
        elif name in _BLOCKS or name == "table":  # a layout table is read as nested blocks
            self.flush()
            self.walk(tag)
            self.flush()
        elif name != "img":
            self.walk(tag)  # inline: a, span, strong, em, code, ...

    def _block(self, text: str) -> None:
        self.flush()
        if text:
            self.blocks.append(text)


def inline_text(tag: Tag) -> str:
    """The element's text on one line."""
    return " ".join(" ".join(render_blocks(tag)).split())


def _list_lines(list_tag: Tag) -> list[str]:
    """`- item` lines; a nested list or a second paragraph is indented under its item."""
    lines: list[str] = []
    items = [li for li in list_tag.find_all("li") if li.find_parent(["ul", "ol"]) is list_tag]
    for item in items:
        blocks = render_blocks(item)
        if not blocks:
            continue
        first, rest = (blocks[0], blocks[1:]) if not blocks[0].startswith("- ") else ("", blocks)
        lines.append("- " + " ".join(first.split()) if first else "-")
        lines.extend("  " + line for block in rest for line in block.split("\n"))
    return lines


def _table_rows(table: Tag) -> list[str]:
    rows = []
    for row in table.find_all("tr"):
        cells = [inline_text(cell) for cell in row.find_all(["th", "td"])]
        if any(cells):
            rows.append(" | ".join(cells))
    return rows
