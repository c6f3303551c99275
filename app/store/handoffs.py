"""Handoff records: the queue with its SLA deadlines, incidents, notes, suggestions and CSAT.

Ownership itself (who speaks) lives on the conversation row and changes only through
`ConversationStore.transition` and `save_assistant_reply`; this module keeps what the desk
needs around it: why and how urgently each conversation was queued, and what happened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.core.domain import Conversation, new_id, utcnow
from app.store.database import Database, Row
from app.store.rows import conversation_from_row


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class HandoffRequest:
    """What the engine decided when it queued a conversation (written with the reply)."""

    queue: str
    reason: str
    trigger: str
    level: str
    rank: int
    due_at: str
    policy_version: str
    incident_id: str | None = None
    requested_at: str | None = None  # the engine's clock; None: the reply's time


@dataclass(frozen=True)
class HandoffRecord:
    id: int
    conversation_id: str
    queue: str
    reason: str
    trigger: str | None
    level: str
    due_at: str | None
    policy_version: str | None
    requested_at: str
    claimed_by: str | None
    claimed_at: str | None
    closed_at: str | None
    outcome: str | None
    packet: dict[str, Any] | None
    follow_up: dict[str, Any] | None
    incident_id: str | None
    noticed_at: str | None


def _record(row: Row) -> HandoffRecord:
    return HandoffRecord(
        id=row["id"], conversation_id=row["conversation_id"], queue=row["queue"], reason=row["reason"],
        trigger=row["trigger_rule"], level=row["level"], due_at=row["due_at"], policy_version=row["policy_version"],
        requested_at=row["requested_at"], claimed_by=row["claimed_by"], claimed_at=row["claimed_at"],
        closed_at=row["closed_at"], outcome=row["outcome"],
        packet=json.loads(row["packet"]) if row["packet"] else None,
        follow_up=json.loads(row["follow_up"]) if row["follow_up"] else None,
        incident_id=row["incident_id"], noticed_at=row["noticed_at"])


@dataclass(frozen=True)
class QueueEntry:
    conversation: Conversation
    handoff: HandoffRecord


@dataclass(frozen=True)
class Note:
    id: str
    conversation_id: str
    agent: str
    text: str
    created_at: str


@dataclass(frozen=True)
class IncidentRecord:
    id: str
    tenant: str
    topic: str
    opened_at: str
    customers: int
    new: bool  # opened by this report


_LATEST = "h.id = (SELECT max(id) FROM handoffs WHERE conversation_id = c.id)"


class HandoffStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the queue ----------------------------------------------------------------------

    async def latest(self, conversation_id: str) -> HandoffRecord | None:
        row = await self.db.fetch_one(
            "SELECT * FROM handoffs WHERE conversation_id = ? ORDER BY id DESC LIMIT 1", (conversation_id,))
        return _record(row) if row else None

    async def history(self, conversation_id: str) -> list[HandoffRecord]:
        rows = await self.db.fetch_all("SELECT * FROM handoffs WHERE conversation_id = ? ORDER BY id",
                                       (conversation_id,))
        return [_record(r) for r in rows]

    async def queue(self, tenants: list[str] | None, *, queue: str | None = None) -> list[QueueEntry]:
        """Waiting conversations, most urgent first, then the earliest SLA deadline."""
        sql = (f"SELECT c.*, h.id AS h_id FROM conversations c JOIN handoffs h ON {_LATEST}"
               " WHERE c.state = 'queued'")
        params: list[Any] = []
        if tenants is not None:
            sql += f" AND c.tenant IN ({', '.join('?' for _ in tenants)})"
            params += tenants
        if queue is not None:
            sql += " AND h.queue = ?"
            params.append(queue)
        sql += " ORDER BY c.priority DESC, h.due_at ASC, h.id ASC"
        rows = await self.db.fetch_all(sql, tuple(params))
        handoffs = {r["id"]: r for r in await self.db.fetch_all(
            f"SELECT * FROM handoffs WHERE id IN ({', '.join('?' for _ in rows)})", tuple(r["h_id"] for r in rows))
        } if rows else {}
        return [QueueEntry(conversation_from_row(r), _record(handoffs[r["h_id"]])) for r in rows]

    async def ahead_of(self, tenant: str, queue: str, rank: int, due_at: str, handoff_id: int | None = None) -> int:
        """How many waiting conversations of this queue an agent will take before this one
        (`handoff_id` None: one not queued yet, which goes after its equals)."""
        row = await self.db.fetch_one(
            f"SELECT count(*) FROM conversations c JOIN handoffs h ON {_LATEST}"
            " WHERE c.state = 'queued' AND c.tenant = ? AND h.queue = ?"
            " AND (c.priority > ? OR (c.priority = ? AND (h.due_at < ? OR (h.due_at = ? AND h.id < ?))))",
            (tenant, queue, rank, rank, due_at, due_at, handoff_id if handoff_id is not None else 2**62))
        return int(row[0]) if row else 0

    async def recent_waits(self, tenant: str, queue: str, limit: int = 20) -> list[float]:
        """Seconds from request to claim of the latest claimed handoffs of a queue."""
        rows = await self.db.fetch_all(
            "SELECT h.requested_at, h.claimed_at FROM handoffs h JOIN conversations c ON c.id = h.conversation_id"
            " WHERE c.tenant = ? AND h.queue = ? AND h.claimed_at IS NOT NULL ORDER BY h.id DESC LIMIT ?",
            (tenant, queue, limit))
        return [(parse_iso(r["claimed_at"]) - parse_iso(r["requested_at"])).total_seconds() for r in rows]

    async def update(self, handoff_id: int, **fields: Any) -> None:
        """Set `packet`, `follow_up` (JSON) or `noticed_at` on a handoff."""
        allowed = {"packet", "follow_up", "noticed_at"}
        if not set(fields) <= allowed:
            raise ValueError(f"unexpected handoff fields: {set(fields) - allowed}")
        values = [json.dumps(v, default=str) if k != "noticed_at" and v is not None else v for k, v in fields.items()]
        async with self.db.transaction() as tx:
            await tx.execute(f"UPDATE handoffs SET {', '.join(f'{k} = ?' for k in fields)} WHERE id = ?",
                             (*values, handoff_id))

    # -- incidents ------------------------------------------------------------------------

    async def report_issue(self, tenant: str, topic: str, user: str, conversation_id: str, *,
                           customers: int, window_minutes: float, now: datetime) -> IncidentRecord | None:
        """Record that a customer reports `topic`; the open incident for it, opened now if
        `customers` different customers reported it within the window. An incident with no
        report for a whole window is closed."""
        since = iso(now - timedelta(minutes=window_minutes))
        async with self.db.transaction() as tx:
            last = await tx.fetch_one(
                "SELECT max(at) FROM issue_reports WHERE tenant = ? AND topic = ?", (tenant, topic))
            await tx.execute(
                "INSERT INTO issue_reports (tenant, topic, user_identifier, conversation_id, at)"
                " VALUES (?, ?, ?, ?, ?)", (tenant, topic, user, conversation_id, iso(now)))
            row = await tx.fetch_one(
                "SELECT * FROM incidents WHERE tenant = ? AND topic = ? AND status = 'open'", (tenant, topic)
            )
            if row is not None and last[0] is not None and last[0] < since:
                # quiet for a whole window: the incident is over, and this report starts counting afresh
                await tx.execute("UPDATE incidents SET status = 'closed', closed_at = ? WHERE id = ?",
                                 (iso(now), row["id"]))
                row = None
            if row is not None:
                return IncidentRecord(row["id"], tenant, topic, row["opened_at"], row["customers"], new=False)
            counted = await tx.fetch_one(
                "SELECT count(DISTINCT user_identifier) FROM issue_reports WHERE tenant = ? AND topic = ? AND at >= ?",
                (tenant, topic, since))
            seen = int(counted[0])
            if seen < customers:
                return None
            incident = IncidentRecord(new_id(), tenant, topic, iso(now), seen, new=True)
            await tx.execute("INSERT INTO incidents (id, tenant, topic, opened_at, customers) VALUES (?, ?, ?, ?, ?)",
                             (incident.id, tenant, topic, incident.opened_at, seen))
            return incident

    async def open_incidents(self, tenant: str | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT * FROM incidents WHERE status = 'open'", ()
        if tenant:
            sql, params = sql + " AND tenant = ?", (tenant,)
        return [dict(r) for r in await self.db.fetch_all(sql + " ORDER BY opened_at", params)]

    # -- notes, suggestions, satisfaction -----------------------------------------------

    async def add_note(self, conversation_id: str, agent: str, text: str) -> Note:
        note = Note(new_id(), conversation_id, agent, text, utcnow())
        async with self.db.transaction() as tx:
            await tx.execute("INSERT INTO agent_notes (id, conversation_id, agent, text, created_at)"
                             " VALUES (?, ?, ?, ?, ?)", (note.id, conversation_id, agent, text, note.created_at))
        return note

    async def notes(self, conversation_id: str) -> list[Note]:
        rows = await self.db.fetch_all("SELECT * FROM agent_notes WHERE conversation_id = ? ORDER BY created_at",
                                       (conversation_id,))
        return [Note(r["id"], r["conversation_id"], r["agent"], r["text"], r["created_at"]) for r in rows]

    async def offer_suggestion(self, conversation_id: str, agent: str, method: str, text: str) -> str:
        suggestion_id = new_id()
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO suggestions (id, conversation_id, agent, method, suggested, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", (suggestion_id, conversation_id, agent, method, text, utcnow()))
        return suggestion_id

    async def suggestion(self, suggestion_id: str) -> dict[str, Any] | None:
        row = await self.db.fetch_one("SELECT * FROM suggestions WHERE id = ?", (suggestion_id,))
        return dict(row) if row else None

    async def settle_suggestion(self, suggestion_id: str, *, sent: str | None, outcome: str,
                                similarity: float | None) -> bool:
        """Record what the agent did with a suggestion (once): the feedback on the drafts."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE suggestions SET sent = ?, outcome = ?, similarity = ?, decided_at = ?"
                " WHERE id = ? AND outcome = 'offered'", (sent, outcome, similarity, utcnow(), suggestion_id))
            return cursor.rowcount == 1

    async def ask_csat(self, handoff_id: int, conversation_id: str, agent: str | None) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("INSERT INTO csat (handoff_id, conversation_id, agent, asked_at) VALUES (?, ?, ?, ?)"
                             " ON CONFLICT(handoff_id) DO NOTHING", (handoff_id, conversation_id, agent, utcnow()))

    async def answer_csat(self, conversation_id: str, score: int) -> dict[str, Any] | None:
        """Store the customer's score for the latest unanswered check; None if none is open."""
        async with self.db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT * FROM csat WHERE conversation_id = ? AND answered_at IS NULL ORDER BY handoff_id DESC LIMIT 1",
                (conversation_id,))
            if row is None:
                return None
            at = utcnow()
            await tx.execute("UPDATE csat SET score = ?, answered_at = ? WHERE handoff_id = ?",
                             (score, at, row["handoff_id"]))
            return {**dict(row), "score": score, "answered_at": at}

    async def csat_scores(self, tenant: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT s.* FROM csat s JOIN conversations c ON c.id = s.conversation_id WHERE s.score IS NOT NULL"
        params: tuple[Any, ...] = ()
        if tenant:
            sql, params = sql + " AND c.tenant = ?", (tenant,)
        return [dict(r) for r in await self.db.fetch_all(sql, params)]
