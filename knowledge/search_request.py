"""One `kb search` question: the checks it must pass and the rows it answers with.

`frontline kb search` answers from the running server when one is up (POST /api/kb/search)
and from the index on disk otherwise; both check a question with these functions and shape
hits with `hit_rows`, so an operator sees the same output, and the same refusals, either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, get_args

from knowledge.hits import Hit, Mode

MAX_LIMIT = 100
MODES: tuple[str, ...] = get_args(Mode)
LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}")  # en, pt-BR, zh-Hant-TW


def query_problem(question: str, limit: int, mode: str, language: str | None, max_chars: int) -> str | None:
    """Why this question cannot be searched, in words for the operator; None when it can."""
    if not question.strip():
        return "The question is empty: give the words a customer would type."
    if len(question) > max_chars:
        return (f"The question is {len(question)} characters long; at most {max_chars} are searched "
                "(FRONTLINE_MAX_MESSAGE_CHARS).")
    if not 1 <= limit <= MAX_LIMIT:
        return f"--limit must be between 1 and {MAX_LIMIT}."
    if mode not in MODES:
        return f"--mode must be one of {', '.join(MODES)}."
    if language is not None and not LANGUAGE_CODE.fullmatch(language):
        return "--language must be a language code such as en or de."
    return None


def unknown_tenant(tenant_id: str) -> str:
    return f"No tenant {tenant_id!r} is configured (FRONTLINE_TENANTS)."


def hit_rows(hits: Iterable[Hit]) -> list[dict[str, Any]]:
    """The hits as the JSON rows `kb search --json` prints, rounded as it prints them."""
    return [{"source": h.source, "title": h.title, "score": round(h.score, 6),
             "similarity": round(h.similarity, 4), "heading": h.heading, "url": h.url,
             "doc_id": h.doc_id, "text": h.text} for h in hits]
