"""Bytes to text, with the reasons a person needs when a file cannot be read.

Help centers are exported by many tools: most write UTF-8, some add a byte-order mark,
Windows tools write UTF-16. Anything else is refused rather than guessed, because a wrong
guess puts mojibake into answers. HTML may declare its own charset, which is honoured.
"""

from __future__ import annotations

import codecs
import re

from knowledge.documents import DocumentError

NOT_UTF8 = "the file is not valid UTF-8 text"
BINARY = "the file is binary, not text"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_WINDOWS_1252_LABELS = {"ascii", "iso8859-1"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def decode_text(raw: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM; newlines become `\\n`."""
    if raw.startswith(_UTF16_BOMS):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise DocumentError("the file starts like UTF-16 text but is not valid UTF-16") from None
    elif b"\x00" in raw:
        raise DocumentError(BINARY)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DocumentError(NOT_UTF8) from None
    if "\x00" in text:
        raise DocumentError(BINARY)
    return normalize_newlines(text)


def decode_html(raw: bytes, declared: str | None = None) -> str:
    """HTML in the charset the server or the page declares, else as `decode_text` would."""
    charset = declared or _meta_charset(raw)
    if not charset or raw.startswith((*_UTF16_BOMS, codecs.BOM_UTF8)):
        return decode_text(raw)  # a byte-order mark outranks any declaration
    try:
        codec = codecs.lookup(charset)
    except LookupError:
        raise DocumentError(f"the page declares an unknown character set {charset!r}") from None
    if codec.name.startswith("utf-8"):
        return decode_text(raw)
    if codec.name in _WINDOWS_1252_LABELS:  # as browsers do: these labels mean windows-1252
        codec = codecs.lookup("cp1252")
    if b"\x00" in raw and not codec.name.startswith(("utf-16", "utf-32")):
        raise DocumentError(BINARY)
    try:
        return normalize_newlines(raw.decode(codec.name))
    except UnicodeDecodeError:
        raise DocumentError(f"the page is not valid {charset} text, although it says it is") from None


def _meta_charset(raw: bytes) -> str | None:
    """`<meta charset>` or `<meta http-equiv content="...; charset=...">` in the first 2 KB."""
    match = _META_CHARSET.search(raw[:2048])
    return match.group(1).decode("ascii") if match else None


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
