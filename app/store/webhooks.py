"""The webhook outbox: events for a company's helpdesk, stored before anything is sent.

An event is written to `webhook_outbox` in the same transaction as the state change it
reports (pass `tx`), so a handoff that was committed always has its webhook, and one that
was rolled back never does. Delivery happens later, from the outbox, and survives restarts.

The body is the JSON envelope serialised once, at enqueue time; the dispatcher signs and
sends exactly the stored text, so a retry sends the same bytes under the same delivery id
and the receiver can drop duplicates by that id.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.config.handoff_policy import Webhook
from app.core.domain import new_id, utcnow
from app.store.database import Database, Row, Transaction

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
MAX_ERROR = 500  # characters of last_error kept: a reason, not a transcript


@dataclass(frozen=True)
class Delivery:
    id: str
    tenant: str
    event: str
    url: str
    secret_env: str  # the name of the environment variable; the secret itself is never stored
    body: str
    status: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    created_at: str
    delivered_at: str | None


def envelope(delivery_id: str, event: str, tenant: str, created_at: str, payload: dict[str, Any]) -> str:
    """The body a receiver gets: compact and key-sorted, so it is stable and easy to diff."""
    return json.dumps({"id": delivery_id, "event": event, "tenant": tenant, "created_at": created_at,
                       "data": payload}, separators=(",", ":"), sort_keys=True)


def _delivery(row: Row) -> Delivery:
    return Delivery(row["id"], row["tenant"], row["event"], row["url"], row["secret_env"], row["body"],
                    row["status"], row["attempts"], row["next_attempt_at"], row["last_error"], row["created_at"],
                    row["delivered_at"])


class WebhookOutbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def enqueue(self, tenant: str, event: str, payload: dict[str, Any], hooks: Sequence[Webhook], *,
                      tx: Transaction | None = None) -> builtins.list[str]:
        """One pending delivery per hook subscribed to `event`; returns their ids (none: no subscriber)."""
        subscribed = [hook for hook in hooks if event in hook.events]
        if not subscribed:
            return []
        if tx is None:
            async with self.db.transaction() as own:
                return await self.enqueue(tenant, event, payload, subscribed, tx=own)
        now, ids = utcnow(), []
        for hook in subscribed:
            delivery_id = new_id()
            await tx.execute(
                "INSERT INTO webhook_outbox (id, tenant, event, url, secret_env, body, status, attempts,"
                " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                (delivery_id, tenant, event, hook.url, hook.secret_env,
                 envelope(delivery_id, event, tenant, now, payload), PENDING, now, now))
            ids.append(delivery_id)
        return ids

    async def due(self, now: str, limit: int = 50) -> builtins.list[Delivery]:
        """Pending deliveries whose time has come, oldest first (events reach a receiver in order)."""
        rows = await self.db.fetch_all(
            "SELECT * FROM webhook_outbox WHERE status = ? AND next_attempt_at <= ?"
            " ORDER BY created_at, rowid LIMIT ?", (PENDING, now, limit))
        return [_delivery(r) for r in rows]

    async def delivered(self, delivery_id: str, at: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE webhook_outbox SET status = ?, attempts = attempts + 1, delivered_at = ?"
                " WHERE id = ? AND status = ?", (DELIVERED, at, delivery_id, PENDING))

    async def retry_later(self, delivery_id: str, error: str, next_attempt_at: str, *, give_up: bool) -> None:
        """Count a failed attempt; `give_up` marks the delivery failed for good (an operator looks)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE webhook_outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
                " WHERE id = ? AND status = ?",
                (FAILED if give_up else PENDING, error[:MAX_ERROR], next_attempt_at, delivery_id, PENDING))

    async def get(self, delivery_id: str) -> Delivery | None:
        row = await self.db.fetch_one("SELECT * FROM webhook_outbox WHERE id = ?", (delivery_id,))
        return _delivery(row) if row else None

    async def list(self, tenant: str | None = None, status: str | None = None) -> builtins.list[Delivery]:
        """Deliveries, oldest first, optionally for one tenant and/or in one status."""
        clauses, params = [], []
        for column, value in (("tenant", tenant), ("status", status)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self.db.fetch_all(f"SELECT * FROM webhook_outbox{where} ORDER BY created_at, rowid",
                                       tuple(params))
        return [_delivery(r) for r in rows]
