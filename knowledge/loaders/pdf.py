"""PDF manuals and exported articles, read for their text layer with pypdf.

Pages are read in pypdf's layout mode, which keeps the vertical gaps between paragraphs
as blank lines; from there the plain-text rules apply (short lone lines become headings,
bullets become list items). Page numbers and a line repeated at the top or bottom of most
pages (running headers and footers) are dropped. A scanned PDF has no text layer and is
refused rather than indexed empty; OCR is out of scope.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from knowledge.documents import DocumentError
from knowledge.loaders.base import Draft
from knowledge.loaders.text import TITLE_MAX_CHARS, render_paragraph

log = logging.getLogger(__name__)

SCANNED = "the PDF has no extractable text (scanned image?)"
DAMAGED = "the file is not a readable PDF (it may be damaged or incomplete)"
_PAGE_NUMBER = re.compile(r"(page\s+)?\d{1,4}(\s*(/|of)\s*\d{1,4})?", re.IGNORECASE)
_JUNK_TITLE = re.compile(r"^(untitled|microsoft \w+ - .*|.*\.(docx?|pdf|pptx?|odt|rtf))$", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]{2,}")


def parse_pdf(raw: bytes, fallback_title: str) -> Draft:
    # pypdf raises many exception types on malformed input (its own, and KeyError,
    # ValueError, RecursionError ... from deep inside); all mean "cannot read this PDF".
    try:
        reader = PdfReader(io.BytesIO(raw))
        _unlock(reader)
        pages = [_page_lines(page) for page in reader.pages]
        meta_title = reader.metadata.title if reader.metadata else None
    except DocumentError:
        raise
    except Exception as exc:
        log.info("unreadable PDF: %r", exc)
        raise DocumentError(DAMAGED) from None
    lines = _without_running_lines(pages)
    if not any(line for line in lines):
        raise DocumentError(SCANNED)
    first = next(line for line in lines if line)
    title = meta_title.strip() if isinstance(meta_title, str) and meta_title.strip() else ""
    if _JUNK_TITLE.match(title):
        title = ""
    only_line = sum(1 for line in lines if line) == 1  # as the title, it would leave no text
    if not only_line and (title.lower() == first.lower() or (not title and len(first) <= TITLE_MAX_CHARS)):
        title = title or first
        lines.remove(first)
    paragraphs = _paragraphs(lines)
    return Draft(title=title or fallback_title, body="\n\n".join(render_paragraph(p) for p in paragraphs),
                 empty_reason=SCANNED)


def _unlock(reader: PdfReader) -> None:
    """Many PDFs are encrypted with an empty password only to restrict printing; open those."""
    if not reader.is_encrypted:
        return
    try:
        if reader.decrypt(""):
            return
    except (DependencyError, NotImplementedError, FileNotDecryptedError):
        raise DocumentError("the PDF is encrypted with a method Frontline cannot open") from None
    raise DocumentError("the PDF is password-protected")


def _page_lines(page: PageObject) -> list[str]:
    """The page's lines, without the blank lines and the page number at its top or bottom."""
    try:
        text = page.extract_text(extraction_mode="layout")
    except Exception:  # layout mode is stricter about odd fonts; plain mode still gets the text
        text = page.extract_text()
    lines = _trimmed([_SPACES.sub(" ", line).strip() for line in (text or "").splitlines()])
    if lines and _PAGE_NUMBER.fullmatch(lines[0]):
        lines = _trimmed(lines[1:])
    if lines and _PAGE_NUMBER.fullmatch(lines[-1]):
        lines = _trimmed(lines[:-1])
    return lines


def _trimmed(lines: list[str]) -> list[str]:
    start = next((i for i, line in enumerate(lines) if line), len(lines))
    end = next((i for i in range(len(lines), 0, -1) if lines[i - 1]), 0)
    return lines[start:end]


def _without_running_lines(pages: list[list[str]]) -> list[str]:
    """All pages' lines, a page break being a paragraph break, minus running headers/footers."""
    edges = Counter(line for page in pages if page for line in {page[0], page[-1]})
    running = {line for line, count in edges.items() if len(pages) >= 3 and count > len(pages) / 2}
    lines: list[str] = []
    for page in pages:
        kept = [line for index, line in enumerate(page)
                if not (line in running and index in (0, len(page) - 1))]
        if kept:
            lines.extend([*kept, ""])
    return lines


def _paragraphs(lines: list[str]) -> list[list[str]]:
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]
