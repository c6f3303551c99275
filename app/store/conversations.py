"""Conversations, messages, decision traces and ownership transitions in the system of record.

Every ownership change is one guarded UPDATE inside an IMMEDIATE transaction: it applies
only if the conversation is still in the state the caller saw, so two agents claiming at
once, or an agent claiming while the assistant is answering, resolve to exactly one winner.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from app.core import clock
from app.core.domain import (
    Conversation,
    ConversationId,
    Identity,
    Message,
    MessageId,
    Ownership,
    Role,
    utcnow,
)
from app.core.errors import OwnershipConflict
from app.core.trace import DecisionTrace
from app.store.database import Database, Row, Step, Transaction
from app.store.rows import conversation_from_row

if TYPE_CHECKING:
    from app.store.handoffs import HandoffRequest


def _message(row: Row) -> Message:
    return Message(
        id=MessageId(row["id"]),
        conversation_id=ConversationId(row["conversation_id"]),
        role=Role(row["role"]),
        author=row["author"],
        content=row["content"],
        created_at=row["created_at"],
        metadata=json.loads(row["metadata"]),
    )


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ensure(
        self, conversation_id: str, identity: Identity, *, kind: str = "customer",
        language: str | None = None,
    ) -> Conversation:
        """Create the conversation on first sight; later calls return it unchanged (read, without
        taking the write lock: every turn calls this, and only its first creates anything)."""
        if (existing := await self.get(ConversationId(conversation_id))) is not None:
            return existing
        now = utcnow()
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO conversations (id, tenant, kind, user_identifier, customer_id,"
                " verified, language, channel, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
                (conversation_id, identity.tenant, kind, identity.user_identifier,
                 identity.customer_id, int(identity.verified), language, identity.channel, now, now),
            )
        conversation = await self.get(ConversationId(conversation_id))
        assert conversation is not None
        return conversation

    async def get(self, conversation_id: ConversationId) -> Conversation | None:
        row = await self.db.fetch_one("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        return conversation_from_row(row) if row else None

    async def for_user(self, user_identifier: str, limit: int, before: str | None = None,
                       search: str | None = None) -> list[Conversation]:
        sql = ("SELECT * FROM conversations WHERE user_identifier = ? AND kind = 'customer'"
               " AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id)")
        params: list[Any] = [user_identifier]
        if before:
            sql += " AND updated_at < ?"
            params.append(before)
        if search:
            sql += " AND (name LIKE ? ESCAPE '\\')"
            params.append("%" + search.replace("%", "\\%").replace("_", "\\_") + "%")
        sql += " ORDER BY updated_at DESC LIMIT ?"
        params.append(limit)
        return [conversation_from_row(r) for r in await self.db.fetch_all(sql, tuple(params))]

    async def recent_contacts(self, user_identifier: str, days: int) -> int:
        """How many conversations this customer has had with messages in the last `days` days."""
        since = clock.stamp(clock.now() - timedelta(days=days))
        row = await self.db.fetch_one(
            "SELECT count(*) FROM conversations WHERE user_identifier = ? AND kind = 'customer'"
            " AND updated_at >= ?", (user_identifier, since))
        return int(row[0]) if row else 0

    async def set_name(self, conversation_id: str, name: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE conversations SET name = COALESCE(name, ?) WHERE id = ?",
                (name[:120], conversation_id),
            )

    async def record_tier(self, conversation_id: str, tier: str) -> bool:
        """Keep the verified customer's tier on the conversation, so its model spend is counted
        under it (app/analytics/report.py). An empty tier never replaces a known one; a changed
        tier (an upgrade mid-conversation) replaces the old. True when the row changed."""
        tier = tier.strip().lower()
        if not tier:
            return False
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE conversations SET customer_tier = ? WHERE id = ?"
                " AND (customer_tier IS NULL OR customer_tier <> ?)", (tier, conversation_id, tier))
        return cursor.rowcount == 1

    async def delete(self, conversation_id: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(  # a follow-up asked here stays counted for the conversation it was about
                "UPDATE follow_ups SET asked_in = NULL, handoff_id = NULL WHERE asked_in = ?", (conversation_id,))
            for table in ("feedback", "decision_traces", "agent_notes", "suggestions", "csat", "follow_ups",
                          "incident_contacts", "handoffs"):
                await tx.execute(f"DELETE FROM {table} WHERE conversation_id = ?", (conversation_id,))
            await tx.execute(  # nobody is left to tell the result
                "UPDATE approvals SET status = 'withdrawn' WHERE conversation_id = ? AND status = 'pending'",
                (conversation_id,))
            await tx.execute("DELETE FROM email_outbound WHERE conversation_id = ?", (conversation_id,))
            await tx.execute(  # the mail goes; its Message-ID stays, so a redelivery is not answered again
                "UPDATE email_inbound SET raw = '', subject = '', sender = '(deleted)', conversation_id = NULL,"
                " turn_message_id = NULL WHERE conversation_id = ?", (conversation_id,))
            await tx.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
            await tx.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    # -- messages ---------------------------------------------------------------------

    async def add_message(self, message: Message, *, tx: Transaction | None = None) -> bool:
        """Store a message; returns False if a message with that id was already stored."""
        insert, touch = _message_step(message), Step("UPDATE conversations SET updated_at = ? WHERE id = ?",
                                                     (message.created_at, message.conversation_id))
        if tx is None:  # every turn stores its message: one trip (`Step`, app/store/database.py)
            inserted, _ = await self.db.run_steps([insert, touch])
            return inserted.rowcount == 1
        stored = (await tx.execute(insert.sql, insert.params)).rowcount == 1
        await tx.execute(touch.sql, touch.params)
        return stored

    async def has_message(self, message_id: MessageId) -> bool:
        row = await self.db.fetch_one("SELECT 1 FROM messages WHERE id = ?", (message_id,))
        return row is not None

    async def add_message_in_state(self, message: Message, state: Ownership) -> bool:
        """Store a message only while the conversation is in `state` (the assistant speaking
        to a queued customer must not talk over an agent who just claimed them)."""
        async with self.db.transaction() as tx:
            row = await tx.fetch_one("SELECT state FROM conversations WHERE id = ?",
                                          (message.conversation_id,))
            if row is None or row["state"] != state.value:
                return False
            return await self.add_message(message, tx=tx)

    async def unanswered(self, since: str, before: str) -> list[tuple[Conversation, Message]]:
        """Customer messages that are the last word in a conversation the assistant owns, stored
        between `since` and `before`: a turn the process died in the middle of."""
        rows = await self.db.fetch_all(
            "SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " WHERE c.state = 'assistant' AND c.kind = 'customer' AND m.role = 'customer'"
            " AND m.created_at >= ? AND m.created_at < ?"
            " AND m.rowid = (SELECT rowid FROM messages l WHERE l.conversation_id = m.conversation_id"
            "                ORDER BY l.created_at DESC, l.rowid DESC LIMIT 1)"
            " ORDER BY m.created_at", (since, before))
        found = []
        for row in rows:
            conversation = await self.get(ConversationId(row["conversation_id"]))
            if conversation is not None:
                found.append((conversation, _message(row)))
        return found

    async def messages(self, conversation_id: ConversationId, limit: int = 500) -> list[Message]:
        rows = await self.db.fetch_all(
            "SELECT * FROM (SELECT *, rowid AS seq FROM messages WHERE conversation_id = ?"
            " ORDER BY created_at DESC, rowid DESC LIMIT ?) AS recent ORDER BY created_at, seq",
            (conversation_id, limit),
        )
        return [_message(r) for r in rows]

    async def save_assistant_reply(
        self, message: Message, trace: DecisionTrace, *, updates: dict[str, Any],
        handoff: HandoffRequest | None = None,
    ) -> bool:
        """Commit the assistant's reply only if the assistant still owns the conversation.

        `updates` sets conversation columns (language, misses, flow) in the same transaction;
        `handoff` moves the conversation to the queue with it.
        Returns False, storing nothing, when a human took over meanwhile.
        """
        return await self.commit_reply(message, trace, updates=updates, handoff=handoff) is not None

    async def commit_reply(
        self, message: Message, trace: DecisionTrace, *, updates: dict[str, Any],
        handoff: HandoffRequest | None = None,
    ) -> Conversation | None:
        """`save_assistant_reply`, returning the conversation as the commit left it (read back by
        the commit's own last statement), or None when nothing was stored."""
        allowed = {"language", "misses", "priority", "flow"}
        if not set(updates) <= allowed:
            raise ValueError(f"unexpected conversation fields: {set(updates) - allowed}")
        columns: dict[str, Any] = {
            "updated_at": message.created_at,
            "state": (Ownership.QUEUED if handoff else Ownership.ASSISTANT).value,
            **{k: json.dumps(v) if k == "flow" and v is not None else v for k, v in updates.items()}}
        if handoff:  # to the queue: its priority is the handoff's
            columns |= {"queue": handoff.queue, "priority": handoff.rank, "assigned_agent": None}
        steps = [
            Step("SELECT state FROM conversations WHERE id = ?", (message.conversation_id,), rows=True,
                 proceed=lambda guard: bool(guard.rows)
                 and guard.rows[0]["state"] in (Ownership.ASSISTANT, Ownership.RESOLVED)),
            _message_step(message),
            Step("INSERT INTO decision_traces (message_id, conversation_id, trace, created_at) VALUES (?, ?, ?, ?)",
                 (message.id, message.conversation_id, json.dumps(trace.stored()), message.created_at)),
            # the reply's time and the conversation's new state in one statement, read back by it
            Step(f"UPDATE conversations SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ? RETURNING *",
                 (*columns.values(), message.conversation_id), rows=True)]
        if handoff:
            steps.append(Step(
                "INSERT INTO handoffs (conversation_id, queue, reason, priority, requested_at, trigger_rule,"
                " level, due_at, policy_version, incident_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (message.conversation_id, handoff.queue, handoff.reason, handoff.rank,
                 handoff.requested_at or message.created_at,
                 handoff.trigger, handoff.level, handoff.due_at, handoff.policy_version, handoff.incident_id)))
        # one trip (`Step`, app/store/database.py): every turn commits a reply, and the write lock is held meanwhile
        done = await self.db.run_steps(steps)
        if len(done) == 1:  # a person owns the conversation now: nothing stored
            return None
        saved = done[3].rows[0] if done[3].rows else None
        assert saved is not None  # the row was there at the transaction's start, under its write lock
        return conversation_from_row(saved)

    async def traces(self, conversation_id: str) -> list[DecisionTrace]:
        """The decision traces of the conversation's assistant turns, oldest first, whatever their age."""
        rows = await self.db.fetch_all(
            "SELECT trace FROM decision_traces WHERE conversation_id = ? ORDER BY created_at, rowid",
            (conversation_id,))
        return [DecisionTrace.load(json.loads(r["trace"])) for r in rows]

    async def trace(self, message_id: str) -> dict[str, Any] | None:
        row = await self.db.fetch_one(
            "SELECT trace FROM decision_traces WHERE message_id = ?", (message_id,))
        return json.loads(row["trace"]) if row else None

    # -- ownership --------------------------------------------------------------------

    async def transition(
        self, conversation_id: str, *, expect: tuple[Ownership, ...], to: Ownership, agent: str | None,
        require_agent: str | None = None, note: Message | None = None,
    ) -> Conversation:
        """Move from one of `expect` to `to` atomically, or raise OwnershipConflict naming the real state.

        An agent taking over a conversation nobody queued opens a handoff row for it, so
        every stretch a person owned a conversation has one.
        """
        now = utcnow()
        async with self.db.transaction() as tx:
            row = await tx.fetch_one("SELECT state, assigned_agent FROM conversations WHERE id = ?",
                                          (conversation_id,))
            if row is None:
                raise OwnershipConflict("That conversation does not exist.")
            states = ", ".join(f"'{state.value}'" for state in expect)
            sql = "UPDATE conversations SET state = ?, assigned_agent = ?, updated_at = ?"
            params: list[Any] = [to.value, agent, now]
            if to is not Ownership.ASSISTANT or Ownership.ASSISTANT not in expect:
                sql += ", flow = NULL"  # a task half-asked before a person stepped in is stale
            if to is Ownership.ASSISTANT:
                sql += ", misses = 0"
            sql += f" WHERE id = ? AND state IN ({states})"
            params.append(conversation_id)
            if require_agent is not None:
                sql += " AND assigned_agent = ?"
                params.append(require_agent)
            cursor = await tx.execute(sql, tuple(params))
            if cursor.rowcount != 1:
                holder = f" by {row['assigned_agent']}" if row["assigned_agent"] else ""
                wanted = " or ".join(state.value for state in expect)
                raise OwnershipConflict(f"The conversation is {row['state']}{holder}, not {wanted}.")
            if to is Ownership.HUMAN:
                if row["state"] != Ownership.QUEUED.value:
                    await tx.execute(
                        "INSERT INTO handoffs (conversation_id, queue, reason, priority, requested_at, trigger_rule,"
                        " level) VALUES (?, 'direct', 'An agent took the conversation over.', 0, ?, 'agent_takeover',"
                        " 'normal')", (conversation_id, now))
                await tx.execute(
                    "UPDATE handoffs SET claimed_by = ?, claimed_at = ? WHERE conversation_id = ?"
                    " AND claimed_at IS NULL", (agent, now, conversation_id))
            elif Ownership.HUMAN in expect:
                outcome = "resolved" if to is Ownership.RESOLVED else "handed_back"
                await tx.execute(
                    "UPDATE handoffs SET closed_at = ?, outcome = ? WHERE conversation_id = ?"
                    " AND closed_at IS NULL", (now, outcome, conversation_id))
            if note is not None:
                await self.add_message(note, tx=tx)
        conversation = await self.get(ConversationId(conversation_id))
        assert conversation is not None
        return conversation

    async def live(self, tenants: list[str] | None, limit: int = 50) -> list[Conversation]:
        """Customer conversations the assistant is handling, most recently active first (an
        agent may take one over)."""
        sql = "SELECT * FROM conversations WHERE kind = 'customer' AND state IN ('assistant', 'resolved')"
        params: list[Any] = []
        if tenants is not None:
            sql += f" AND tenant IN ({', '.join('?' for _ in tenants)})"
            params += tenants
        rows = await self.db.fetch_all(sql + " ORDER BY updated_at DESC LIMIT ?", (*params, limit))
        return [conversation_from_row(r) for r in rows]

    async def assigned_to(self, agent: str) -> list[Conversation]:
        rows = await self.db.fetch_all(
            "SELECT * FROM conversations WHERE state = 'human' AND assigned_agent = ?"
            " ORDER BY updated_at", (agent,))
        return [conversation_from_row(r) for r in rows]


def _message_step(message: Message) -> Step:
    """The message's row (the caller keeps the conversation's updated_at); it changes no row
    when a message with that id was already stored."""
    return Step("INSERT INTO messages (id, conversation_id, role, author, content, created_at, metadata)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
                (message.id, message.conversation_id, message.role.value, message.author,
                 message.content, message.created_at, json.dumps(message.metadata)))
