"""The domain stores' SQL, written once for SQLite, as PostgreSQL reads it.

Two differences matter to the stores' statements: PostgreSQL numbers its placeholders
(`$1, $2, ...` where SQLite takes `?`), and its LIKE is case-sensitive where SQLite's is not
(ILIKE keeps the search in the conversation list and the short-id lookups behaving the
same). Quoted text is left untouched, so a `?` or the word LIKE inside a literal stays.
Everything else the stores use (ON CONFLICT ... DO NOTHING/UPDATE, `excluded.`, a `rowid`
column for insertion order) is written so both engines accept it as is.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@lru_cache(maxsize=2048)
def to_postgres(sql: str) -> str:
    """`sql` with `?` as `$n` and LIKE as ILIKE outside quoted literals and identifiers."""
    out: list[str] = []
    number, i, size = 0, 0, len(sql)
    while i < size:
        char = sql[i]
        if char in ("'", '"'):  # a literal or quoted identifier runs to its closing quote ('' repeats it)
            end = i + 1
            while end < size:
                if sql[end] == char:
                    if end + 1 < size and sql[end + 1] == char:
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i:end + 1])
            i = end + 1
        elif char == "?":
            number += 1
            out.append(f"${number}")
            i += 1
        elif char.isalpha() or char == "_":
            word = _WORD.match(sql, i)
            assert word is not None
            text = word.group()
            out.append("ILIKE" if text.upper() == "LIKE" else text)
            i = word.end()
        else:
            out.append(char)
            i += 1
    return "".join(out)


def json_text(backend: str, column: str, *path: str) -> str:
    """An SQL expression for the text at `path` in a JSON text column, NULL when absent.

    The stores keep JSON as TEXT on both engines, and JSON functions are the one thing the two
    spell differently: SQLite's `json_extract`, PostgreSQL's `#>>` on the value read as jsonb.
    An object or array comes back as its compact JSON text on both (`'[]'` for an empty list).
    `path` is code, never input: only identifiers are accepted."""
    if not path or not all(part.isidentifier() for part in path) or not column.replace(".", "_").isidentifier():
        raise ValueError(f"not a JSON path: {column} {path}")
    if backend == "postgresql":
        return f"({column}::jsonb #>> '{{{','.join(path)}}}')"
    return f"json_extract({column}, '$.{'.'.join(path)}')"
