"""Feedback on assistant messages, and model usage for metering."""

from __future__ import annotations

from typing import Any

from app.core.domain import new_id, utcnow
from app.core.errors import StoreError
from app.store.database import Database


class FeedbackStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def upsert(self, message_id: str, value: int, comment: str | None, *, owner: str) -> str | None:
        """One feedback per message: a second thumb replaces the first. Only the customer whose
        conversation holds the message may rate it: for anyone else (and for an unknown id) the
        answer is None, the same for both, so a message id's existence is not disclosed."""
        if value not in (0, 1):
            raise StoreError("Feedback must be 0 (thumbs down) or 1 (thumbs up).")
        row = await self.db.fetch_one(
            "SELECT m.conversation_id FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " WHERE m.id = ? AND c.user_identifier = ?", (message_id, owner))
        if row is None:
            return None
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO feedback (id, message_id, conversation_id, value, comment, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(message_id) DO UPDATE SET"
                " value = excluded.value, comment = excluded.comment",
                (new_id(), message_id, row["conversation_id"], value,
                 (comment or None) and comment[:2000], utcnow()),
            )
        stored = await self.db.fetch_one("SELECT id FROM feedback WHERE message_id = ?", (message_id,))
        assert stored is not None
        return str(stored["id"])

    async def delete(self, feedback_id: str, *, owner: str) -> bool:
        """Remove a feedback the owner gave; False (nothing removed) for any other id."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "DELETE FROM feedback WHERE id = ? AND conversation_id IN"
                " (SELECT id FROM conversations WHERE user_identifier = ?)", (feedback_id, owner))
        return cursor.rowcount == 1

    async def for_conversation(self, conversation_id: str) -> dict[str, dict[str, Any]]:
        rows = await self.db.fetch_all(
            "SELECT * FROM feedback WHERE conversation_id = ?", (conversation_id,))
        return {r["message_id"]: {"id": r["id"], "forId": r["message_id"], "value": r["value"],
                                  "comment": r["comment"]} for r in rows}


class UsageStore:
    """Model calls metered per tenant and conversation (tokens, and cost where priced)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, tenant: str, conversation_id: str, message_id: str | None, model: str,
                     prompt_tokens: int, completion_tokens: int, cost_usd: float | None) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO llm_usage (tenant, conversation_id, message_id, model, prompt_tokens,"
                " completion_tokens, cost_usd, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (tenant, conversation_id, message_id, model, prompt_tokens, completion_tokens, cost_usd,
                 utcnow()))

    async def totals(self, *, tenant: str | None = None, conversation_id: str | None = None) -> dict[str, Any]:
        sql = ("SELECT count(*) AS calls, coalesce(sum(prompt_tokens), 0) AS prompt_tokens,"
               " coalesce(sum(completion_tokens), 0) AS completion_tokens, sum(cost_usd) AS cost_usd"
               " FROM llm_usage WHERE 1 = 1")
        params: list[Any] = []
        if tenant is not None:
            sql, params = sql + " AND tenant = ?", [*params, tenant]
        if conversation_id is not None:
            sql, params = sql + " AND conversation_id = ?", [*params, conversation_id]
        row = await self.db.fetch_one(sql, tuple(params))
        return dict(row) if row else {}
