"""The messaging channel's records: what bridges sent us, who their senders are, and what we owe them.

- `messaging_inbox`: every accepted webhook, keyed by (tenant, the bridge's message id), stored
  before the bridge is answered. A retried webhook hits the key and is never run twice; a row
  left `pending` or `running` by a dead process is picked up at the next start.
- `messaging_senders`: a sender's current conversation (and the quick replies last offered in
  it), so the next message from the same phone or chat lands in the same conversation.
- `messaging_outbox`: every message owed to a bridge, keyed by the stored message's id (the
  idempotency key the bridge sees), stored before it is sent, delivered in order per
  conversation, retried with backoff, and never queued twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.core.domain import utcnow
from app.store.database import Database, Row

PENDING, RUNNING, DONE = "pending", "running", "done"
SENT, FAILED = "sent", "failed"
MAX_ERROR = 500  # characters of last_error kept: a reason, not a transcript


@dataclass(frozen=True)
class InboxEntry:
    tenant: str
    bridge_message_id: str
    sender_id: str
    conversation_id: str
    message_id: str
    body: dict[str, Any]  # the validated inbound message, as the bridge sent it
    status: str
    received_at: str
    seq: int


@dataclass(frozen=True)
class Accepted:
    """The answer to one webhook: where its message went, and whether it was seen before."""

    conversation_id: str
    message_id: str
    duplicate: bool


@dataclass(frozen=True)
class OutboxEntry:
    message_id: str  # the idempotency key
    tenant: str
    conversation_id: str
    body: str  # the JSON envelope, serialised once: every attempt sends the same bytes
    status: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    created_at: str
    sent_at: str | None
    seq: int


def _inbox(row: Row) -> InboxEntry:
    return InboxEntry(row["tenant"], row["bridge_message_id"], row["sender_id"], row["conversation_id"],
                      row["message_id"], json.loads(row["body"]), row["status"], row["received_at"], row["seq"])


def _outbox(row: Row) -> OutboxEntry:
    return OutboxEntry(row["message_id"], row["tenant"], row["conversation_id"], row["body"], row["status"],
                       row["attempts"], row["next_attempt_at"], row["last_error"], row["created_at"],
                       row["sent_at"], row["seq"])


class MessagingStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- inbox -------------------------------------------------------------------------

    async def accept(self, tenant: str, bridge_message_id: str, sender_id: str, customer_id: str | None,
                     body: dict[str, Any], new_conversation: str, new_message: str) -> Accepted:
        """Store one inbound message, in one transaction with the sender's conversation: a new
        sender (or one whose verified customer changed) gets `new_conversation`. A message id
        seen before for this tenant stores nothing and returns the first one's ids."""
        now = utcnow()
        async with self.db.transaction() as tx:
            seen = await tx.fetch_one(
                "SELECT conversation_id, message_id FROM messaging_inbox WHERE tenant = ? AND bridge_message_id = ?",
                (tenant, bridge_message_id))
            if seen is not None:
                return Accepted(seen["conversation_id"], seen["message_id"], duplicate=True)
            await tx.execute(
                "INSERT INTO messaging_senders (tenant, sender_id, conversation_id, customer_id, offered, updated_at)"
                " VALUES (?, ?, ?, ?, '[]', ?) ON CONFLICT (tenant, sender_id) DO NOTHING",
                (tenant, sender_id, new_conversation, customer_id, now))
            sender = await tx.fetch_one(
                "SELECT conversation_id, customer_id FROM messaging_senders WHERE tenant = ? AND sender_id = ?",
                (tenant, sender_id))
            assert sender is not None
            conversation_id = sender["conversation_id"]
            if sender["customer_id"] != customer_id:  # verified as someone else now: a fresh conversation
                conversation_id = new_conversation
                await tx.execute(
                    "UPDATE messaging_senders SET conversation_id = ?, customer_id = ?, offered = '[]', updated_at = ?"
                    " WHERE tenant = ? AND sender_id = ?", (conversation_id, customer_id, now, tenant, sender_id))
            result = await tx.execute(
                "INSERT INTO messaging_inbox (tenant, bridge_message_id, sender_id, conversation_id, message_id,"
                " body, status, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (tenant, bridge_message_id) DO NOTHING",
                (tenant, bridge_message_id, sender_id, conversation_id, new_message,
                 json.dumps(body, separators=(",", ":")), PENDING, now))
            if result.rowcount != 1:  # a concurrent retry of the same webhook won the insert
                raise DuplicateRace(bridge_message_id)
        return Accepted(conversation_id, new_message, duplicate=False)

    async def waiting(self, limit: int = 200) -> list[InboxEntry]:
        """Inbound messages not taken yet, oldest first."""
        rows = await self.db.fetch_all(
            "SELECT *, rowid AS seq FROM messaging_inbox WHERE status = ? ORDER BY rowid LIMIT ?", (PENDING, limit))
        return [_inbox(r) for r in rows]

    async def take(self, entry: InboxEntry) -> bool:
        """Compare-and-set pending -> running: exactly one worker runs a message's turn."""
        async with self.db.transaction() as tx:
            result = await tx.execute(
                "UPDATE messaging_inbox SET status = ? WHERE tenant = ? AND bridge_message_id = ? AND status = ?",
                (RUNNING, entry.tenant, entry.bridge_message_id, PENDING))
            return result.rowcount == 1

    async def finish(self, entry: InboxEntry) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE messaging_inbox SET status = ?, done_at = ? WHERE tenant = ? AND bridge_message_id = ?",
                (DONE, utcnow(), entry.tenant, entry.bridge_message_id))

    async def release_running(self) -> int:
        """At start: turns a dead process left running go back to the queue; returns how many."""
        async with self.db.transaction() as tx:
            result = await tx.execute("UPDATE messaging_inbox SET status = ? WHERE status = ?", (PENDING, RUNNING))
            return result.rowcount

    async def inbox_entry(self, tenant: str, bridge_message_id: str) -> InboxEntry | None:
        row = await self.db.fetch_one(
            "SELECT *, rowid AS seq FROM messaging_inbox WHERE tenant = ? AND bridge_message_id = ?",
            (tenant, bridge_message_id))
        return _inbox(row) if row else None

    async def inbox_count(self, tenant: str) -> int:
        row = await self.db.fetch_one("SELECT COUNT(*) AS n FROM messaging_inbox WHERE tenant = ?", (tenant,))
        return int(row["n"]) if row else 0

    # -- senders -----------------------------------------------------------------------

    async def recipient(self, conversation_id: str) -> str | None:
        """The bridge's sender id a conversation answers to."""
        row = await self.db.fetch_one(
            "SELECT sender_id FROM messaging_inbox WHERE conversation_id = ? LIMIT 1", (conversation_id,))
        return row["sender_id"] if row else None

    async def link(self, tenant: str, sender_id: str, customer_id: str, new_conversation: str) -> None:
        """The company's site verified the sender as `customer_id` (app/surfaces/messaging/linking.py)."""
        now = utcnow()
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO messaging_senders (tenant, sender_id, conversation_id, linked_customer_id, offered,"
                " updated_at) VALUES (?, ?, ?, ?, '[]', ?) ON CONFLICT (tenant, sender_id)"
                " DO UPDATE SET linked_customer_id = excluded.linked_customer_id, updated_at = excluded.updated_at",
                (tenant, sender_id, new_conversation, customer_id, now))

    async def linked_customer(self, tenant: str, sender_id: str) -> str | None:
        row = await self.db.fetch_one(
            "SELECT linked_customer_id FROM messaging_senders WHERE tenant = ? AND sender_id = ?", (tenant, sender_id))
        return row["linked_customer_id"] if row else None

    async def take_offered(self, conversation_id: str) -> list[dict[str, str]]:
        """The quick replies last offered in a conversation, cleared: a reply can answer them once."""
        async with self.db.transaction() as tx:
            row = await tx.fetch_one("SELECT offered FROM messaging_senders WHERE conversation_id = ?",
                                     (conversation_id,))
            if row is None or row["offered"] == "[]":
                return []
            await tx.execute("UPDATE messaging_senders SET offered = '[]' WHERE conversation_id = ?",
                             (conversation_id,))
        offered: list[dict[str, str]] = json.loads(row["offered"])
        return offered

    # -- outbox ------------------------------------------------------------------------

    async def enqueue(self, message_id: str, tenant: str, conversation_id: str, body: str,
                      offered: list[dict[str, str]]) -> bool:
        """Owe one message to the bridge; False when it is owed already (never queued twice).
        The quick replies it offers replace any offered before in the conversation."""
        now = utcnow()
        async with self.db.transaction() as tx:
            result = await tx.execute(
                "INSERT INTO messaging_outbox (message_id, tenant, conversation_id, body, status, attempts,"
                " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (message_id) DO NOTHING",
                (message_id, tenant, conversation_id, body, PENDING, now, now))
            if result.rowcount != 1:
                return False
            await tx.execute("UPDATE messaging_senders SET offered = ? WHERE conversation_id = ?",
                             (json.dumps(offered, separators=(",", ":")), conversation_id))
            return True

    async def heads(self, now: str, limit: int = 500) -> list[OutboxEntry]:
        """The oldest unsent message of each conversation, when its time has come: a later
        message never overtakes an earlier one still being retried."""
        rows = await self.db.fetch_all(
            "SELECT *, rowid AS seq FROM messaging_outbox WHERE status = ? ORDER BY rowid LIMIT ?", (PENDING, limit))
        heads: dict[str, OutboxEntry] = {}
        for row in rows:
            heads.setdefault(row["conversation_id"], _outbox(row))
        return [entry for entry in heads.values() if entry.next_attempt_at <= now]

    async def claim(self, entry: OutboxEntry, until: str) -> bool:
        """Compare-and-set the head's next attempt to `until` while it is being sent: with
        replicas on one store, exactly one sends it now; if that one dies, the others may try
        again once `until` has passed."""
        async with self.db.transaction() as tx:
            result = await tx.execute(
                "UPDATE messaging_outbox SET next_attempt_at = ? WHERE message_id = ? AND status = ?"
                " AND next_attempt_at = ?", (until, entry.message_id, PENDING, entry.next_attempt_at))
            return result.rowcount == 1

    async def sent(self, message_id: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE messaging_outbox SET status = ?, attempts = attempts + 1, sent_at = ?"
                " WHERE message_id = ? AND status = ?", (SENT, utcnow(), message_id, PENDING))

    async def retry_later(self, message_id: str, error: str, next_attempt_at: str, *, give_up: bool) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE messaging_outbox SET status = ?, attempts = attempts + 1, last_error = ?,"
                " next_attempt_at = ? WHERE message_id = ? AND status = ?",
                (FAILED if give_up else PENDING, error[:MAX_ERROR], next_attempt_at, message_id, PENDING))

    async def due_now(self, now: str) -> int:
        """At start: whatever a dead process still owed is tried again at once."""
        async with self.db.transaction() as tx:
            result = await tx.execute("UPDATE messaging_outbox SET next_attempt_at = ? WHERE status = ?",
                                      (now, PENDING))
            return result.rowcount

    async def outbox_entry(self, message_id: str) -> OutboxEntry | None:
        row = await self.db.fetch_one("SELECT *, rowid AS seq FROM messaging_outbox WHERE message_id = ?",
                                      (message_id,))
        return _outbox(row) if row else None

    async def outbox(self, conversation_id: str) -> list[OutboxEntry]:
        rows = await self.db.fetch_all(
            "SELECT *, rowid AS seq FROM messaging_outbox WHERE conversation_id = ? ORDER BY rowid",
            (conversation_id,))
        return [_outbox(r) for r in rows]


class DuplicateRace(Exception):
    """Two deliveries of the same webhook arrived together and the other stored it first."""
