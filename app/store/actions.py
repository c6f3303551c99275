"""The ledger of writes to a company's systems, and the approvals some of them wait for.

A ledger row is claimed under the request's idempotency key before the connector is
called, so a retried, double-clicked or replayed request finds the row and never runs the
write twice. The ledger also counts what a customer already did, for the policy's quotas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.core import clock as clocks
from app.core.clock import Clock
from app.core.domain import new_id, utcnow
from app.store.database import Database, Row, Transaction

RUNNING, PENDING_APPROVAL, FAILED = "running", "pending_approval", "failed"
COUNTED = ("done", "submitted")  # what counts toward a quota: writes the company's system accepted
STALE_RUN = timedelta(minutes=2)  # a "running" row older than this was cut off (a crash): retry it


@dataclass(frozen=True)
class LedgerEntry:
    tenant: str
    conversation_id: str
    customer_id: str | None
    action: str
    arguments: dict[str, Any]
    amount: float | None
    idempotency_key: str
    policy_version: str
    status: str = RUNNING
    reference: str = ""
    reason: str = ""
    created_at: str = ""

    def stale(self, now: datetime) -> bool:
        """Running for longer than a write takes: the process running it was cut off."""
        try:
            started = datetime.fromisoformat(self.created_at)
        except ValueError:
            return True
        return self.status == RUNNING and now - started > STALE_RUN


@dataclass(frozen=True)
class Approval:
    id: str
    tenant: str
    conversation_id: str
    customer_id: str | None
    language: str
    action: str
    arguments: dict[str, Any]
    amount: float | None
    summary: str  # what will be done, for the agent (English)
    customer_summary: str  # the same, in the customer's language
    why: str  # why it needs an approval (the policy rule, in plain words)
    idempotency_key: str
    policy_version: str
    status: str = "pending"
    requested_at: str = ""
    decided_by: str | None = None
    note: str | None = None


def _since(now: datetime, days: float) -> str:
    return clocks.stamp(now - timedelta(days=days))


def _entry(row: Row) -> LedgerEntry:
    return LedgerEntry(row["tenant"], row["conversation_id"], row["customer_id"], row["action"],
                       json.loads(row["arguments"]), row["amount"], row["idempotency_key"], row["policy_version"],
                       row["status"], row["reference"], row["reason"], row["created_at"])


def _approval(row: Row) -> Approval:
    return Approval(row["id"], row["tenant"], row["conversation_id"], row["customer_id"], row["language"],
                    row["action"], json.loads(row["arguments"]), row["amount"], row["summary"],
                    row["customer_summary"], row["why"], row["idempotency_key"], row["policy_version"],
                    row["status"], row["requested_at"], row["decided_by"], row["note"])


class ActionLedger:
    def __init__(self, db: Database, clock: Clock = clocks.now) -> None:
        self.db = db
        self.clock = clock

    async def get(self, key: str) -> LedgerEntry | None:
        row = await self.db.fetch_one("SELECT * FROM action_ledger WHERE idempotency_key = ?", (key,))
        return _entry(row) if row else None

    async def used(self, tenant: str, action: str, *, customer_id: str | None, customer_days: float | None,
                   conversation_id: str, conversation_days: float | None) -> tuple[int, int]:
        """How many accepted writes of `action` this customer and this conversation had within
        each period (None: not counted)."""
        marks = ", ".join("?" for _ in COUNTED)
        counts = []
        for column, value, days in (("customer_id", customer_id, customer_days),
                                    ("conversation_id", conversation_id, conversation_days)):
            if days is None or value is None:
                counts.append(0)
                continue
            since = _since(self.clock(), days)
            row = await self.db.fetch_one(
                f"SELECT count(*) FROM action_ledger WHERE tenant = ? AND action = ? AND {column} = ?"
                f" AND status IN ({marks}) AND created_at >= ?", (tenant, action, value, *COUNTED, since))
            counts.append(int(row[0]) if row else 0)
        return counts[0], counts[1]

    async def claim(self, entry: LedgerEntry, *, tx: Transaction | None = None) -> bool:
        """Record the request as running (or as waiting for approval); False if its key is taken."""
        if tx is None:
            async with self.db.transaction() as own:
                return await self.claim(entry, tx=own)
        inserted = await tx.execute(  # the key's unique index decides, on either engine, without an error
            "INSERT INTO action_ledger (tenant, conversation_id, customer_id, action, arguments, amount,"
            " idempotency_key, policy_version, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(idempotency_key) DO NOTHING",
            (entry.tenant, entry.conversation_id, entry.customer_id, entry.action,
             json.dumps(entry.arguments, sort_keys=True), entry.amount, entry.idempotency_key,
             entry.policy_version, entry.status, utcnow()))
        return inserted.rowcount == 1

    async def reclaim(self, key: str, from_statuses: tuple[str, ...]) -> bool:
        """Take a row back to running (a failed attempt, a cut-off one, an approved request)."""
        marks = ", ".join("?" for _ in from_statuses)
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                f"UPDATE action_ledger SET status = ?, created_at = ? WHERE idempotency_key = ?"
                f" AND status IN ({marks})", (RUNNING, utcnow(), key, *from_statuses))
        return cursor.rowcount == 1

    async def running_before(self, cutoff: datetime) -> list[LedgerEntry]:
        """Writes still marked running that started before `cutoff`: their process was cut off."""
        rows = await self.db.fetch_all(
            "SELECT * FROM action_ledger WHERE status = ? AND created_at < ? ORDER BY created_at",
            (RUNNING, clocks.stamp(cutoff)))
        return [_entry(r) for r in rows]

    async def take_over(self, entry: LedgerEntry) -> bool:
        """Claim a cut-off running write for recovery; False if anyone touched it since it was read
        (a customer's retry, another sweep), so exactly one of them resolves it."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE action_ledger SET created_at = ? WHERE idempotency_key = ? AND status = ? AND created_at = ?",
                (utcnow(), entry.idempotency_key, RUNNING, entry.created_at))
        return cursor.rowcount == 1

    async def decline(self, key: str) -> None:
        """An agent rejected the held request: it will not run, and a replay is told so."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE action_ledger SET status = 'declined', reason = 'rejected_by_agent', finished_at = ?"
                " WHERE idempotency_key = ? AND status = ?", (utcnow(), key, PENDING_APPROVAL))

    async def finish(self, key: str, status: str, reference: str, reason: str, tx: Transaction) -> None:
        await tx.execute(
            "UPDATE action_ledger SET status = ?, reference = ?, reason = ?, finished_at = ? WHERE idempotency_key = ?",
            (status, reference, reason, utcnow(), key))


class ApprovalStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, approval: Approval, tx: Transaction) -> Approval:
        approval_id = approval.id or new_id()
        await tx.execute(
            "INSERT INTO approvals (id, tenant, conversation_id, customer_id, language, action, arguments, amount,"
            " summary, customer_summary, why, idempotency_key, policy_version, status, requested_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
            (approval_id, approval.tenant, approval.conversation_id, approval.customer_id, approval.language,
             approval.action, json.dumps(approval.arguments, sort_keys=True), approval.amount, approval.summary,
             approval.customer_summary, approval.why, approval.idempotency_key, approval.policy_version, utcnow()))
        stored = await tx.fetch_one("SELECT * FROM approvals WHERE id = ?", (approval_id,))
        assert stored is not None
        return _approval(stored)

    async def get(self, approval_id: str) -> Approval | None:
        row = await self.db.fetch_one("SELECT * FROM approvals WHERE id = ?", (approval_id,))
        return _approval(row) if row else None

    async def starting_with(self, prefix: str) -> list[Approval]:
        """Approvals whose id starts with `prefix` (the short ids the console shows)."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self.db.fetch_all("SELECT * FROM approvals WHERE id LIKE ? ESCAPE '\\' LIMIT 5", (pattern,))
        return [_approval(r) for r in rows]

    async def for_key(self, key: str) -> Approval | None:
        row = await self.db.fetch_one("SELECT * FROM approvals WHERE idempotency_key = ?", (key,))
        return _approval(row) if row else None

    async def pending(self, tenants: list[str] | None = None) -> list[Approval]:
        """Waiting approvals, oldest first; `tenants` None means every tenant."""
        rows = await self.db.fetch_all("SELECT * FROM approvals WHERE status = 'pending' ORDER BY requested_at")
        return [_approval(r) for r in rows if tenants is None or r["tenant"] in tenants]

    async def decide(self, approval_id: str, status: str, agent: str, note: str | None) -> bool:
        """Move a pending approval to approved or rejected; False if someone decided first."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ?"
                " AND status = 'pending'", (status, agent, utcnow(), (note or None) and note[:1000], approval_id))
        return cursor.rowcount == 1

    async def reopen(self, approval_id: str) -> None:
        """Back to pending: the approved write could not reach the company's system."""
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE approvals SET status = 'pending', decided_by = NULL, decided_at = NULL"
                             " WHERE id = ? AND status = 'approved'", (approval_id,))

    async def record_result(self, approval_id: str, result: dict[str, Any], tx: Transaction) -> None:
        await tx.execute("UPDATE approvals SET result = ? WHERE id = ?", (json.dumps(result), approval_id))
