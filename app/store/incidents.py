"""Declared incidents: an outage a lead announces, and every conversation told about it.

Not the incidents the handoff policy opens by itself when several customers report the same
fault (`incidents` in app/store/handoffs.py, a routing signal): a declared incident is a
person's statement that something is broken, with a message for the customers.

A contact row per (incident, conversation) is what makes the outreach happen once: its
insert is the claim to tell the customer that the problem is known, and setting `fixed_at`
(only while it is empty) the claim to tell them it is fixed. Claims are taken before the
message is sent, so a second replica or a retried call never sends it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from app.core.domain import new_id
from app.store.database import Database, Row

How = Literal["reported", "linked", "offered"]  # reported: matched at declaration; offered: asked in a turn
MIN_REFERENCE = 4  # characters of an id that name an incident


@dataclass(frozen=True)
class DeclaredIncident:
    id: str
    tenant: str
    topic: str
    message: str
    status: str  # "open" or "resolved"
    declared_by: str
    declared_at: str
    resolved_by: str | None
    resolved_at: str | None
    resolution: str | None

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class ContactCounts:
    told: int  # told it is known
    subscribed: int  # will be (or were) told it is fixed
    fixed: int  # told it is fixed


@dataclass(frozen=True)
class Report:
    """A customer message that may be about an incident."""

    conversation_id: str
    text: str


def _incident(row: Row) -> DeclaredIncident:
    return DeclaredIncident(row["id"], row["tenant"], row["topic"], row["message"], row["status"],
                            row["declared_by"], row["declared_at"], row["resolved_by"], row["resolved_at"],
                            row["resolution"])


class IncidentStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def declare(self, tenant: str, topic: str, message: str, *, by: str, at: str) -> DeclaredIncident:
        incident = DeclaredIncident(new_id(), tenant, topic, message, "open", by, at, None, None, None)
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO declared_incidents (id, tenant, topic, message, status, declared_by, declared_at)"
                " VALUES (?, ?, ?, ?, 'open', ?, ?)", (incident.id, tenant, topic, message, by, at))
        return incident

    async def get(self, incident_id: str) -> DeclaredIncident | None:
        row = await self.db.fetch_one("SELECT * FROM declared_incidents WHERE id = ?", (incident_id,))
        return None if row is None else _incident(row)

    async def find(self, reference: str) -> list[DeclaredIncident]:
        """The incidents whose id is or starts with `reference` (the console shows 8 characters)."""
        reference = reference.strip().lower()
        if len(reference) < MIN_REFERENCE or not reference.replace("-", "").isalnum():  # no LIKE wildcards
            return []
        rows = await self.db.fetch_all("SELECT * FROM declared_incidents WHERE id LIKE ? ORDER BY declared_at",
                                       (reference + "%",))
        return [_incident(r) for r in rows]

    async def listed(self, tenants: list[str] | None = None, *, only_open: bool = False) -> list[DeclaredIncident]:
        """Incidents of `tenants` (None: every tenant), newest first."""
        sql, params = "SELECT * FROM declared_incidents WHERE 1 = 1", []
        if tenants is not None:
            if not tenants:
                return []
            sql += f" AND tenant IN ({', '.join('?' for _ in tenants)})"
            params += tenants
        if only_open:
            sql += " AND status = 'open'"
        rows = await self.db.fetch_all(sql + " ORDER BY declared_at DESC, id", tuple(params))
        return [_incident(r) for r in rows]

    async def resolve(self, incident_id: str, *, by: str, at: str, resolution: str) -> bool:
        """Close an open incident; False when it was resolved already (by someone else first)."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE declared_incidents SET status = 'resolved', resolved_by = ?, resolved_at = ?, resolution = ?"
                " WHERE id = ? AND status = 'open'", (by, at, resolution, incident_id))
            return cursor.rowcount == 1

    # -- who is told ----------------------------------------------------------------------

    async def add_contact(self, incident_id: str, conversation_id: str, how: How, *, subscribed: bool,
                          at: str) -> bool:
        """Claim telling this conversation the problem is known; False when it was told already."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO incident_contacts (incident_id, conversation_id, how, subscribed, known_at,"
                " subscribed_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id, conversation_id) DO NOTHING",
                (incident_id, conversation_id, how, int(subscribed), at, at if subscribed else None))
            return cursor.rowcount == 1

    async def subscribe(self, incident_id: str, conversation_id: str, *, at: str) -> bool:
        """The customer asked to be told when it is fixed; False when already subscribed."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE incident_contacts SET subscribed = 1, subscribed_at = ?"
                " WHERE incident_id = ? AND conversation_id = ? AND subscribed = 0",
                (at, incident_id, conversation_id))
            return cursor.rowcount == 1

    async def contact(self, incident_id: str, conversation_id: str) -> dict[str, Any] | None:
        row = await self.db.fetch_one(
            "SELECT * FROM incident_contacts WHERE incident_id = ? AND conversation_id = ?",
            (incident_id, conversation_id))
        return None if row is None else dict(row)

    async def to_tell_fixed(self, incident_id: str) -> list[str]:
        """Conversations subscribed to the fix that have not been told yet, in the order they were told."""
        rows = await self.db.fetch_all(
            "SELECT conversation_id FROM incident_contacts WHERE incident_id = ? AND subscribed = 1"
            " AND fixed_at IS NULL ORDER BY known_at, conversation_id", (incident_id,))
        return [r["conversation_id"] for r in rows]

    async def claim_fixed(self, incident_id: str, conversation_id: str, *, at: str) -> bool:
        """Claim telling this conversation it is fixed; False when it was told already."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE incident_contacts SET fixed_at = ? WHERE incident_id = ? AND conversation_id = ?"
                " AND subscribed = 1 AND fixed_at IS NULL", (at, incident_id, conversation_id))
            return cursor.rowcount == 1

    async def counts(self, incident_id: str) -> ContactCounts:
        row = await self.db.fetch_one(
            "SELECT count(*) AS told, coalesce(sum(subscribed), 0) AS subscribed,"
            " coalesce(sum(CASE WHEN fixed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS fixed"
            " FROM incident_contacts WHERE incident_id = ?", (incident_id,))
        assert row is not None
        return ContactCounts(int(row["told"]), int(row["subscribed"]), int(row["fixed"]))

    async def reports_since(self, tenant: str, since: str) -> list[Report]:
        """The tenant's customers' messages written at or after `since` (the declaration's look-back)."""
        rows = await self.db.fetch_all(
            "SELECT m.conversation_id, m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " WHERE c.tenant = ? AND c.kind = 'customer' AND m.role = 'customer' AND m.created_at >= ?"
            " ORDER BY m.created_at, m.id", (tenant, since))
        return [Report(r["conversation_id"], r["content"]) for r in rows]
