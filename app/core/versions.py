"""Content versions: a short hash of what a file says, so every decision trace names exactly
which prompt, intents, policies and help center decided it (`frontline versions` lists them).

The bytes are normalized first (UTF-8 byte-order mark, line endings, trailing spaces and
blank lines at the end), so re-saving a file in another editor is not a new version, while
any change to its content is. Switching a file back brings its old hash back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

DIGITS = 12  # 48 bits: enough to tell a tenant's versions apart, short enough to read


def normalized(data: bytes) -> bytes:
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip("\n").encode("utf-8", errors="surrogateescape")


def content_version(data: bytes) -> str:
    """The short sha256 of the normalized bytes."""
    return hashlib.sha256(normalized(data)).hexdigest()[:DIGITS]


def file_version(path: Path) -> str:
    return content_version(path.read_bytes())


def folders_version(folders: Iterable[Path]) -> str:
    """One version for every file under the folders (or a file named instead of a folder):
    their relative paths and contents."""
    digest = hashlib.sha256()
    for folder in folders:
        if folder.is_dir():
            files, base = sorted(p for p in folder.rglob("*") if p.is_file()), folder
        else:
            files, base = ([folder] if folder.is_file() else []), folder.parent
        for path in files:
            digest.update(path.relative_to(base).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(normalized(path.read_bytes())).digest())
    return digest.hexdigest()[:DIGITS]
