"""Follow-ups: whether an automated resolution really solved the customer's problem.

A conversation is *automatically resolved* when the assistant answered it, it was never
handed to a person and no assistant reply got a thumbs down (the report's `contained`,
docs/analytics.md). At most one follow-up exists per such conversation: asked once (its row
is written when the question is shown), answered once (`solved` / `not_solved`), or left
unanswered (`none`). A conversation in which a follow-up was asked is never followed up
itself, nor one told about a declared incident (app/store/incidents.py: its fix notice follows).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from app.store.database import Database
from app.store.sql_dialect import json_text

Answer = Literal["solved", "not_solved"]
TOPIC_CHARS = 80


@dataclass(frozen=True)
class Resolved:
    """An automatically resolved conversation, with what the follow-up needs to say and hand over."""

    conversation_id: str
    tenant: str
    user_identifier: str
    updated_at: str
    question: str  # the customer's first message
    answer: str  # the assistant's last reply
    citations: list[dict[str, Any]]
    trace: dict[str, Any] | None  # the decision trace of that reply

    @property
    def topic(self) -> str:
        """The question, short enough to quote back."""
        text = " ".join(self.question.split())
        return text if len(text) <= TOPIC_CHARS else text[:TOPIC_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class FollowUp:
    conversation_id: str  # the conversation asked about
    asked_in: str | None  # the conversation the question was shown in
    asked_at: str
    answer: str  # "solved", "not_solved" or "none"
    answered_at: str | None
    handoff_id: int | None


_AUTOMATED = (
    "EXISTS (SELECT 1 FROM messages a WHERE a.conversation_id = c.id AND a.role = 'assistant')"
    " AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.conversation_id = c.id)"
    " AND NOT EXISTS (SELECT 1 FROM feedback f JOIN messages m ON m.id = f.message_id"
    "     WHERE f.conversation_id = c.id AND f.value = 0 AND m.role = 'assistant')"
    " AND NOT EXISTS (SELECT 1 FROM follow_ups u WHERE u.conversation_id = c.id OR u.asked_in = c.id)"
    # told about a declared incident: the fix notice follows, not "did that solve it?"
    " AND NOT EXISTS (SELECT 1 FROM incident_contacts ic WHERE ic.conversation_id = c.id)"
)


def _follow_up(row: Any) -> FollowUp:
    return FollowUp(row["conversation_id"], row["asked_in"], row["asked_at"], row["answer"], row["answered_at"],
                    row["handoff_id"])


class FollowUpStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def due(self, tenant: str, user_identifier: str, *, current: str, since: str) -> Resolved | None:
        """The customer's latest conversation (other than `current`), if it was automatically
        resolved, last touched at or after `since` and not followed up yet; else None. Only the
        latest counts: a problem the customer came back about since is not asked about."""
        latest = await self.db.fetch_one(
            "SELECT c.id, c.updated_at FROM conversations c WHERE c.tenant = ? AND c.user_identifier = ?"
            " AND c.kind = 'customer' AND c.id <> ?"
            " AND EXISTS (SELECT 1 FROM messages q WHERE q.conversation_id = c.id AND q.role = 'customer')"
            " ORDER BY c.updated_at DESC, c.id DESC LIMIT 1", (tenant, user_identifier, current))
        if latest is None or latest["updated_at"] < since:
            return None
        row = await self.db.fetch_one(
            f"SELECT c.id FROM conversations c WHERE c.id = ? AND c.state = 'assistant' AND {_AUTOMATED}",
            (latest["id"],))
        return None if row is None else await self.resolved(latest["id"])

    async def silent_elsewhere(self, tenant: str, *, before: str, limit: int = 200) -> list[str]:
        """Conversations of `tenant` on a channel other than the web chat (whose open page has
        its own timer) that are automatically resolved, not followed up, and whose last message
        is an answer of the assistant written before `before` (not a notice of an incident)."""
        rows = await self.db.fetch_all(
            "SELECT c.id FROM conversations c WHERE c.tenant = ? AND c.channel <> 'web' AND c.kind = 'customer'"
            f" AND c.state = 'assistant' AND c.updated_at < ? AND {_AUTOMATED}"
            " AND EXISTS (SELECT 1 FROM messages l WHERE l.conversation_id = c.id AND l.role = 'assistant'"
            f"     AND coalesce({json_text(self.db.backend, 'l.metadata', 'event')}, '') NOT LIKE 'incident.%'"
            "     AND NOT EXISTS (SELECT 1 FROM messages n WHERE n.conversation_id = c.id"
            "         AND (n.created_at > l.created_at OR (n.created_at = l.created_at AND n.rowid > l.rowid))))"
            " ORDER BY c.updated_at LIMIT ?", (tenant, before, limit))
        return [r["id"] for r in rows]

    async def resolved(self, conversation_id: str) -> Resolved | None:
        """The context of a conversation as a follow-up quotes it and a handoff carries it."""
        conversation = await self.db.fetch_one(
            "SELECT id, tenant, user_identifier, updated_at FROM conversations WHERE id = ?", (conversation_id,))
        if conversation is None:
            return None
        question = await self.db.fetch_one(
            "SELECT content FROM messages WHERE conversation_id = ? AND role = 'customer'"
            " ORDER BY created_at, rowid LIMIT 1", (conversation_id,))
        reply = await self.db.fetch_one(
            "SELECT m.content, m.metadata, t.trace FROM messages m LEFT JOIN decision_traces t ON t.message_id = m.id"
            " WHERE m.conversation_id = ? AND m.role = 'assistant' ORDER BY m.created_at DESC, m.rowid DESC LIMIT 1",
            (conversation_id,))
        metadata = json.loads(reply["metadata"]) if reply and reply["metadata"] else {}
        return Resolved(
            conversation_id, conversation["tenant"], conversation["user_identifier"], conversation["updated_at"],
            question["content"] if question else "", reply["content"] if reply else "",
            list(metadata.get("citations") or []),
            json.loads(reply["trace"]) if reply and reply["trace"] else None)

    async def ask(self, resolved: Resolved, *, asked_in: str, at: str) -> bool:
        """Record that the question is shown now; False when it was already asked (another tab)."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO follow_ups (conversation_id, tenant, user_identifier, asked_in, asked_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(conversation_id) DO NOTHING",
                (resolved.conversation_id, resolved.tenant, resolved.user_identifier, asked_in, at))
            return cursor.rowcount == 1

    async def open_in(self, asked_in: str) -> FollowUp | None:
        """The unanswered follow-up shown in conversation `asked_in`, if any."""
        row = await self.db.fetch_one(
            "SELECT * FROM follow_ups WHERE asked_in = ? AND answer = 'none' ORDER BY asked_at DESC LIMIT 1",
            (asked_in,))
        return None if row is None else _follow_up(row)

    async def get(self, conversation_id: str) -> FollowUp | None:
        row = await self.db.fetch_one("SELECT * FROM follow_ups WHERE conversation_id = ?", (conversation_id,))
        return None if row is None else _follow_up(row)

    async def answer(self, conversation_id: str, answer: Answer, *, at: str) -> bool:
        """Record the customer's answer, once; False when it was answered already."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE follow_ups SET answer = ?, answered_at = ? WHERE conversation_id = ? AND answer = 'none'",
                (answer, at, conversation_id))
            return cursor.rowcount == 1

    async def reopened(self, conversation_id: str, handoff_id: int) -> None:
        """The handoff that took a `not_solved` answer to a person."""
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE follow_ups SET handoff_id = ? WHERE conversation_id = ?",
                             (handoff_id, conversation_id))
