"""The audit log: append-only and hash-chained, so any altered or missing event shows.

Each event's hash covers its fields and the previous event's hash. Changing an event breaks
its own hash; removing one breaks the next event's link (and leaves a gap in the ids);
removing the newest leaves the id sequence ahead of the last row. Triggers (SQLite's, and
PostgreSQL's in app/store/postgres/) refuse UPDATE and DELETE on the table, so only someone
bypassing Frontline can try either, and `frontline audit verify` finds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.core.domain import utcnow
from app.store.audit_chain import HASHED_FIELDS, chain_hash
from app.store.database import Database, Transaction


class AuditLog:
    """Who or what acted, on what, under which policy version, with what outcome."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, actor: str, action: str, *, tenant: str | None = None, subject: str | None = None,
                     detail: dict[str, Any] | None = None, policy_version: str | None = None,
                     outcome: str | None = None, tx: Transaction | None = None) -> str:
        """Append one event (inside `tx` when given, so it commits with the change it records);
        returns its hash."""
        if tx is None:
            async with self.db.transaction() as own:
                return await self.record(actor, action, tenant=tenant, subject=subject, detail=detail,
                                         policy_version=policy_version, outcome=outcome, tx=own)
        row = await tx.fetch_one("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1")
        previous = (row["hash"] or "") if row else ""
        event = {"at": utcnow(), "tenant": tenant, "actor": actor, "action": action, "subject": subject,
                 "detail": json.dumps(detail or {}, default=str, sort_keys=True),
                 "policy_version": policy_version, "outcome": outcome}
        digest = chain_hash(previous, event)
        await tx.execute(
            "INSERT INTO audit_events (at, tenant, actor, action, subject, detail, policy_version, outcome,"
            " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*(event[name] for name in HASHED_FIELDS), previous, digest))
        return digest

    async def events(self, *, tenant: str | None = None, subject: str | None = None,
                     limit: int = 50) -> list[dict[str, Any]]:
        """The newest events, newest last."""
        sql, params = "SELECT * FROM audit_events WHERE 1 = 1", []
        for column, value in (("tenant", tenant), ("subject", subject)):
            if value is not None:
                sql, params = sql + f" AND {column} = ?", [*params, value]
        rows = await self.db.fetch_all(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
        return [dict(r) for r in reversed(rows)]


@dataclass
class AuditReport:
    events: int = 0
    head: str = ""  # the newest hash: keep it elsewhere to anchor the chain
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


async def verify(db: Database) -> AuditReport:
    """Walk the whole chain; report every altered, missing or reordered event."""
    report = AuditReport()
    previous_hash, previous_id = "", 0
    rows = await db.fetch_all("SELECT * FROM audit_events ORDER BY id")
    for row in rows:
        event = dict(row)
        report.events += 1
        if event["id"] != previous_id + 1:
            missing = (f"event {previous_id + 1}" if event["id"] == previous_id + 2
                       else f"events {previous_id + 1}–{event['id'] - 1}")
            report.problems.append(f"{missing} missing (before event {event['id']})")
        if (event["prev_hash"] or "") != previous_hash:
            report.problems.append(f"event {event['id']} does not follow the event before it (chain broken)")
        if chain_hash(event["prev_hash"] or "", event) != event["hash"]:
            report.problems.append(f"event {event['id']} was altered (its hash does not match its content)")
        previous_hash, previous_id = event["hash"] or "", event["id"]
    sequence = await db.sequence_value("audit_events")
    if sequence is not None and sequence > previous_id:
        report.problems.append(f"the newest events {previous_id + 1}–{sequence} are missing")
    report.head = previous_hash
    return report
