"""A tenant's stored decision traces in the order they were decided, read a page at a time, so
a command can walk months of traces without holding them all (`frontline versions`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from app.store.database import Database

PAGE = 2000


async def tenant_traces(db: Database, tenant: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """(when, trace) for every assistant reply of the tenant, oldest first."""
    after = ("", "")
    while True:
        rows = await db.fetch_all(
            "SELECT t.message_id, t.created_at, t.trace FROM decision_traces t"
            " JOIN conversations c ON c.id = t.conversation_id"
            " WHERE c.tenant = ? AND (t.created_at > ? OR (t.created_at = ? AND t.message_id > ?))"
            " ORDER BY t.created_at, t.message_id LIMIT ?",
            (tenant, after[0], after[0], after[1], PAGE))
        for row in rows:
            yield row["created_at"], json.loads(row["trace"])
        if len(rows) < PAGE:
            return
        after = (rows[-1]["created_at"], rows[-1]["message_id"])
