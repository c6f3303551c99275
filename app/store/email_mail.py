"""The email channel's records: inbound mail stored before it is answered, outbound mail
stored before it is sent.

Inbound rows are keyed by (tenant, Message-ID): a mail delivered twice (an MX retry, the
listener and the IMAP poller both seeing it) is stored and answered once. Outbound rows are
keyed by the stored message they carry: an agent's reply pushed twice is sent once. A row
stays `pending` until the relay accepts it, so a crash between stored and sent is resent by
the sweep at start (app/channels/email/outbox.py); a sender claims a row (`sending`) before
handing it to the relay, so two senders, in one process or on two replicas, never send it at
the same time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.domain import utcnow
from app.store.database import Database

HANDLED = ("answered", "relayed", "ignored", "refused", "limited")


@dataclass(frozen=True)
class InboundRow:
    tenant: str
    message_id: str
    conversation_id: str | None
    turn_message_id: str | None
    sender: str
    subject: str
    status: str
    reason: str | None
    raw: str
    received_at: str


@dataclass(frozen=True)
class OutboundRow:
    id: str
    tenant: str
    conversation_id: str | None
    message_id: str
    recipient: str
    mail: str  # the whole RFC 5322 message, as sent
    status: str
    attempts: int


def _inbound(row: Any) -> InboundRow:
    return InboundRow(*(row[k] for k in ("tenant", "message_id", "conversation_id", "turn_message_id", "sender",
                                          "subject", "status", "reason", "raw", "received_at")))


def _outbound(row: Any) -> OutboundRow:
    return OutboundRow(*(row[k] for k in ("id", "tenant", "conversation_id", "message_id", "recipient", "mail",
                                          "status", "attempts")))


class EmailStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- inbound ----------------------------------------------------------------------

    async def receive(self, tenant: str, message_id: str, sender: str, subject: str, raw: str, *,
                      status: str = "received", reason: str | None = None,
                      conversation_id: str | None = None, turn_message_id: str | None = None) -> bool:
        """Store an inbound mail; False when this tenant already has that Message-ID."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO email_inbound (tenant, message_id, conversation_id, turn_message_id, sender, subject,"
                " status, reason, raw, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(tenant, message_id) DO NOTHING",
                (tenant, message_id, conversation_id, turn_message_id, sender, subject, status, reason, raw,
                 utcnow()))
            return cursor.rowcount == 1

    async def settle(self, tenant: str, message_id: str, status: str, reason: str | None = None) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE email_inbound SET status = ?, reason = COALESCE(?, reason)"
                             " WHERE tenant = ? AND message_id = ?", (status, reason, tenant, message_id))

    async def inbound(self, tenant: str, message_id: str) -> InboundRow | None:
        row = await self.db.fetch_one("SELECT * FROM email_inbound WHERE tenant = ? AND message_id = ?",
                                      (tenant, message_id))
        return _inbound(row) if row else None

    async def unsettled(self) -> list[InboundRow]:
        """Inbound mail stored but not yet answered, relayed or set aside (a crash came between)."""
        rows = await self.db.fetch_all(
            "SELECT * FROM email_inbound WHERE status = 'received' ORDER BY received_at, message_id")
        return [_inbound(row) for row in rows]

    async def counts(self, tenant: str | None = None) -> dict[str, int]:
        sql = "SELECT status, COUNT(*) AS n FROM email_inbound"
        rows = await self.db.fetch_all(sql + (" WHERE tenant = ? GROUP BY status" if tenant else " GROUP BY status"),
                                       (tenant,) if tenant else ())
        return {row["status"]: row["n"] for row in rows}

    # -- threads ----------------------------------------------------------------------

    async def thread(self, tenant: str, message_ids: tuple[str, ...]) -> str | None:
        """The conversation a reply continues: the first of `message_ids` that is one of its mails."""
        for message_id in message_ids:
            row = await self.db.fetch_one(
                "SELECT conversation_id FROM email_inbound WHERE tenant = ? AND message_id = ?"
                " AND conversation_id IS NOT NULL", (tenant, message_id))
            row = row or await self.db.fetch_one(
                "SELECT conversation_id FROM email_outbound WHERE tenant = ? AND message_id = ?"
                " AND conversation_id IS NOT NULL", (tenant, message_id))
            if row is not None:
                return str(row["conversation_id"])
        return None

    async def latest_inbound(self, conversation_id: str) -> InboundRow | None:
        """The customer's latest mail in a conversation: whom a reply goes to, and what it follows."""
        row = await self.db.fetch_one(
            "SELECT * FROM email_inbound WHERE conversation_id = ? AND status <> 'ignored'"
            " ORDER BY received_at DESC, message_id DESC LIMIT 1", (conversation_id,))
        return _inbound(row) if row else None

    async def thread_ids(self, conversation_id: str, limit: int = 20) -> list[str]:
        """Message-IDs of the thread, oldest first (the References of the next reply)."""
        rows = await self.db.fetch_all(
            "SELECT message_id, received_at AS at FROM email_inbound WHERE conversation_id = ? AND status <> 'ignored'"
            " UNION ALL SELECT message_id, created_at AS at FROM email_outbound WHERE conversation_id = ?"
            " ORDER BY at", (conversation_id, conversation_id))
        ids = list(dict.fromkeys(row["message_id"] for row in rows))
        return ids[:1] + ids[1:][-(limit - 1):] if len(ids) > limit else ids

    # -- outbound ---------------------------------------------------------------------

    async def queue(self, row_id: str, tenant: str, conversation_id: str | None, message_id: str, recipient: str,
                    mail: str) -> bool:
        """Store a mail to send; False when it was stored before (it is sent once)."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO email_outbound (id, tenant, conversation_id, message_id, recipient, mail, status,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT(id) DO NOTHING",
                (row_id, tenant, conversation_id, message_id, recipient, mail, utcnow()))
            return cursor.rowcount == 1

    async def outbound(self, row_id: str) -> OutboundRow | None:
        row = await self.db.fetch_one("SELECT * FROM email_outbound WHERE id = ?", (row_id,))
        return _outbound(row) if row else None

    async def pending(self, stale_before: str) -> list[OutboundRow]:
        """Mail to send: not sent yet, or claimed by a sender before `stale_before` that never
        said how it went (it died)."""
        rows = await self.db.fetch_all(
            "SELECT * FROM email_outbound WHERE status = 'pending' OR (status = 'sending' AND claimed_at < ?)"
            " ORDER BY created_at, id", (stale_before,))
        return [_outbound(row) for row in rows]

    async def claim(self, row_id: str, stale_before: str) -> OutboundRow | None:
        """Take a mail to send it (compare-and-set: one sender at a time, in any process); None
        when it is sent, given up, or another sender holds it."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE email_outbound SET status = 'sending', claimed_at = ? WHERE id = ?"
                " AND (status = 'pending' OR (status = 'sending' AND claimed_at < ?))",
                (utcnow(), row_id, stale_before))
            claimed = cursor.rowcount == 1
        return await self.outbound(row_id) if claimed else None

    async def release_claims(self, row_id: str | None = None) -> int:
        """Claimed mail back to `pending` (one row, or every row: at start on a single process)."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE email_outbound SET status = 'pending' WHERE status = 'sending'"
                + (" AND id = ?" if row_id is not None else ""), (row_id,) if row_id is not None else ())
            return cursor.rowcount

    async def sent(self, row_id: str) -> bool:
        """Mark a claimed mail sent; False when it was not claimed."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute("UPDATE email_outbound SET status = 'sent', attempts = attempts + 1,"
                                      " sent_at = ?, last_error = NULL WHERE id = ? AND status = 'sending'",
                                      (utcnow(), row_id))
            return cursor.rowcount == 1

    async def failed_attempt(self, row_id: str, error: str, *, give_up: bool = False) -> None:
        """A claimed mail the relay did not take: back to `pending` for the next sweep, or `failed`."""
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE email_outbound SET attempts = attempts + 1, last_error = ?, status = ?"
                             " WHERE id = ? AND status = 'sending'",
                             (error[:500], "failed" if give_up else "pending", row_id))

    async def has_reply_after(self, conversation_id: str, turn_message_id: str) -> str | None:
        """The id of the first assistant reply stored after a customer message, if any."""
        row = await self.db.fetch_one(
            "SELECT m.id FROM messages m JOIN messages q ON q.id = ? WHERE m.conversation_id = ?"
            " AND m.role = 'assistant' AND (m.created_at > q.created_at OR (m.created_at = q.created_at"
            " AND m.rowid > q.rowid)) ORDER BY m.created_at, m.rowid LIMIT 1", (turn_message_id, conversation_id))
        return str(row["id"]) if row else None
