"""The baseline of `frontline replay`: a tenant's stored customer turns in a time window, each with
the assistant reply that answered it and that reply's decision trace and cited articles (what
actually decided then). Turns a person answered, or left unanswered, have no trace and are skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from app.core.trace import DecisionTrace
from app.evaluation.replay_diff import Decided
from app.store.database import Database


@dataclass(frozen=True)
class StoredTurn:
    conversation_id: str
    message_id: str  # the customer's message
    text: str
    created_at: str
    baseline: Decided


async def stored_turns(db: Database, tenant: str, since: str, until: str | None = None,
                       limit: int | None = None) -> list[StoredTurn]:
    """Oldest first; `since`/`until` are ISO timestamps compared with the customer message's time."""
    window = "AND m.created_at >= ?" + (" AND m.created_at < ?" if until else "")
    rows = await db.fetch_all(
        "SELECT m.id, m.conversation_id, m.role, m.content, m.created_at, m.metadata, t.trace"
        " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " LEFT JOIN decision_traces t ON t.message_id = m.id"
        f" WHERE c.tenant = ? AND c.kind = 'customer' AND m.role IN ('customer', 'assistant') {window}"
        " ORDER BY m.conversation_id, m.created_at, CASE m.role WHEN 'customer' THEN 0 ELSE 1 END",
        (tenant, since, *((until,) if until else ())))
    turns: list[StoredTurn] = []
    waiting = None  # the customer message not answered yet in the current conversation
    for row in rows:
        if waiting is not None and row["conversation_id"] != waiting["conversation_id"]:
            waiting = None
        if row["role"] == "customer":
            waiting = row
            continue
        if waiting is None or row["trace"] is None:
            continue
        metadata = json.loads(row["metadata"] or "{}")
        articles = [c.get("url") or c.get("title", "") for c in metadata.get("citations", [])]
        trace = DecisionTrace.load(json.loads(row["trace"]))
        turns.append(StoredTurn(waiting["conversation_id"], waiting["id"], waiting["content"],
                                waiting["created_at"], Decided.of(trace, articles)))
        waiting = None
    turns.sort(key=lambda turn: turn.created_at)
    return turns[:limit] if limit is not None else turns
