"""Document ids: stable across runs, readable, and the same for the same file or page.

An id names a document inside a tenant's index, so a re-sync updates the same entry and
links such as /kb/<tenant>/<doc_id> keep working. An id the operator gives (a JSON "id", a
front-matter `id:`) is kept exactly as written, because their other systems know it by that
name; it is only checked. Otherwise the id comes from where a document lives (file path or
URL, slugified), never from its content.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import PurePath
from urllib.parse import urlsplit

from knowledge.documents import DocumentError

_NOT_SLUG = re.compile(r"[^a-z0-9/-]+")
_NOT_HOST = re.compile(r"[^a-z0-9.-]+")
_PAGE_SUFFIX = re.compile(r"\.(html?|php|aspx?)$")
MAX_ID_CHARS = 200


def operator_doc_id(value: object) -> str:
    """An id the operator wrote, verbatim once checked; raises DocumentError saying what is wrong.

    Any printable text up to MAX_ID_CHARS works (`doc_bank_accounts_(general)_001`, `KB-12`,
    `billing/refunds`); numbers are read as their digits. Control and invisible format
    characters, surrounding spaces, empty path segments and `.`/`..` segments are refused,
    because they would not survive a link or a shell.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise DocumentError(f"the id must be text, not {type(value).__name__}")
    text = str(value)
    if not text.strip():
        raise DocumentError("the id is empty")
    if text != text.strip():
        raise DocumentError(f"the id {text!r} starts or ends with a space")
    if len(text) > MAX_ID_CHARS:
        raise DocumentError(f"the id is {len(text)} characters long; the limit is {MAX_ID_CHARS}")
    if bad := next((ch for ch in text if unicodedata.category(ch)[0] == "C"), None):
        raise DocumentError(f"the id {text!r} holds the control character U+{ord(bad):04X}")
    if any(segment in ("", ".", "..") for segment in text.split("/")):
        raise DocumentError(f"the id {text!r} has an empty, '.' or '..' part between slashes")
    return text


def slugify(text: str) -> str:
    """Lowercase ASCII where every run of other characters is one `-`; `/` is kept."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    parts = (_NOT_SLUG.sub("-", part.lower()).strip("-") for part in ascii_text.split("/"))
    slug = "/".join(part for part in parts if part)
    # A name with no ASCII letters at all (e.g. Japanese) still needs an id that is stable.
    return slug or "doc-" + hashlib.sha256(text.encode()).hexdigest()[:10]


def file_doc_id(path: PurePath, root: PurePath | None = None) -> str:
    """`billing/Refund Policy.md` under `root` → `billing/refund-policy`; alone → its stem."""
    if root is None:
        return slugify(path.stem)
    return slugify(path.relative_to(root).with_suffix("").as_posix())


def url_doc_id(url: str) -> str:
    """`https://help.example.com/articles/reset-password.html` → `help.example.com/articles/reset-password`."""
    parts = urlsplit(url)
    host = parts.hostname or ""  # never the user:password part of an address
    try:
        host += f":{parts.port}" if parts.port else ""
    except ValueError:
        pass
    host = _NOT_HOST.sub("-", host.lower()).strip("-")
    path = _PAGE_SUFFIX.sub("", parts.path.rstrip("/"))
    if parts.query:
        path = f"{path}-{parts.query}"
    slug = slugify(path) if path.strip("/") else ""
    return f"{host}/{slug}" if slug else host
