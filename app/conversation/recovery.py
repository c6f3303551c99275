"""Picking up after a crash: writes cut off mid-call, and messages that were never answered.

A process killed between "yes" and the company system's answer leaves the write's ledger row
`running`: nothing may run it twice, and nothing told the customer. A process killed in the
middle of a turn leaves the customer's message stored with no reply. At start-up (and, for
writes, on a timer) this module resolves both, once:

- a cut-off write is taken over (compare-and-set on the ledger row), its outcome asked of
  the company's system by idempotency key when the connector can tell, or the request sent
  once more under the same key (the system deduplicates it); the result is audited and the
  customer is told in their language, in their conversation (and live if their chat is open);
- an unanswered message in a conversation the assistant owns is answered by running its turn
  again under the message's own id (stored once), or, if that fails, with an apology.

On one server (the SQLite deployment) every write still running from before the start
belongs to a dead process, and every unanswered message to a dead turn. Replicas sharing a
store (PostgreSQL and Redis) cannot assume that: another replica may be in the middle of
that write or turn. There, a write is taken over only once it has run longer than
STALE_RUN (by compare-and-set, so one replica wins), and unanswered messages older than
STALE_RUN are answered on every sweep by the one replica that holds the recovery `Lease`:
a replica that dies mid-turn leaves its customers answered by another within minutes, once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from app.actions.gate import GuardedActions
from app.conversation.engine import Engine
from app.conversation.turn import ASSISTANT_AUTHOR
from app.core import clock as clocks
from app.core.domain import Conversation, Message, MessageId, Ownership, Role, new_id
from app.core.i18n import say
from app.core.lease import Lease
from app.core.trace import ActionTrace, DecisionPart, DecisionTrace
from app.core.waiting import pause
from app.store import ConversationStore
from app.store.actions import STALE_RUN, LedgerEntry
from connectors.base import Connector

log = logging.getLogger(__name__)

Notify = Callable[[str, Message], Awaitable[None]]  # conversation id, stored message: push it live
SWEEP_EVERY = 30.0  # seconds between sweeps for writes cut off while this process runs
UNANSWERED_WITHIN = timedelta(hours=24)  # older unanswered messages are left alone at start-up


class Recovery:
    def __init__(self, actions: GuardedActions, conversations: ConversationStore, engine: Engine,
                 connectors: Mapping[str, Connector | None], clock: clocks.Clock,
                 lease: Lease | None = None) -> None:
        self.lease = lease  # None: this process is the only one on its store
        self.actions = actions
        self.conversations = conversations
        self.engine = engine
        self.connectors = connectors
        self.clock = clock
        self.started_at = clock()
        self.notify: Notify | None = None  # set by the UI layer (app/surfaces/chainlit_app.py)

    async def run(self, every: float = SWEEP_EVERY) -> None:
        """The background task: recover what the last process left, then keep sweeping."""
        await self.at_start()
        while True:
            await pause(every)
            try:
                await self.sweep(every)
            except Exception:  # a sweep must never end the task
                log.exception("sweeping cut-off writes failed")

    async def sweep(self, every: float = SWEEP_EVERY) -> tuple[int, int]:
        """Writes cut off more than STALE_RUN ago; with replicas, and only on the lease holder,
        messages left unanswered that long too. Returns (writes resolved, messages answered)."""
        resolved = await self.resolve_writes(self.clock() - STALE_RUN)
        answered = 0
        if self.lease is not None and await self.lease.hold("recovery", every * 3):
            answered = await self.answer_unanswered(self.clock() - STALE_RUN)
        return resolved, answered

    async def at_start(self) -> None:
        if self.lease is not None:  # replicas: what is younger may belong to a live one
            resolved, answered = await self.sweep()
            log.info("recovery at start: %d writes resolved, %d messages answered", resolved, answered)
            return
        counts = []
        for step in (lambda: self.resolve_writes(self.started_at), self.answer_unanswered):
            try:
                counts.append(await step())
            except Exception:
                log.exception("recovery after restart failed")
                counts.append(0)
        log.info("recovery after restart: %d writes resolved, %d messages answered", *counts)

    async def resolve_writes(self, started_before: datetime) -> int:
        """Resolve writes still running that started before `started_before`; returns how many."""
        resolved = 0
        for entry in await self.actions.ledger.running_before(started_before):
            if not await self.actions.ledger.take_over(entry):
                continue  # a customer's retry or another sweep got there first
            result = await self.actions.recover(entry, self.connectors.get(entry.tenant))
            log.info("recovered %s %s in %s: %s", entry.action, entry.idempotency_key, entry.conversation_id,
                     result.outcome)
            await self._tell_customer(entry, result.outcome, result.reference)
            resolved += 1
        return resolved

    async def answer_unanswered(self, before: datetime | None = None) -> int:
        """Answer the customer messages stored before `before` (default: this process's start)
        and never answered."""
        before = before or self.started_at
        since = clocks.stamp(before - UNANSWERED_WITHIN)
        answered = 0
        for conversation, message in await self.conversations.unanswered(since, clocks.stamp(before)):
            log.info("answering message %s in %s, left unanswered by a restart", message.id, conversation.id)
            try:
                outcome = await self.engine.answer_stored(conversation, message)
                reply = outcome.reply if outcome is not None else None
            except Exception:
                log.exception("answering %s again failed; apologising instead", message.id)
                reply = await self._say(conversation, say("turn.interrupted", self._language(conversation)),
                                        "turn.interrupted")
            if reply is not None:
                answered += 1
                await self._push(conversation.id, reply)
        return answered

    async def _tell_customer(self, entry: LedgerEntry, outcome: str, reference: str) -> None:
        conversation = await self.conversations.get(entry.conversation_id)  # type: ignore[arg-type]
        if conversation is None:
            return
        lang = self._language(conversation)
        if outcome in ("done", "submitted"):
            text = say("action.recovered.done", lang, reference=say(
                "action.recovered.reference", lang, reference=reference) if reference else "")
        elif outcome == "rejected":
            text = say("action.recovered.rejected", lang)
        else:
            text = say("action.recovered.failed", lang)
        message = Message(MessageId(new_id()), conversation.id, Role.ASSISTANT, ASSISTANT_AUTHOR, text,
                          metadata={"event": "action.recovered", "action": entry.action, "outcome": outcome})
        trace = DecisionTrace(decision=DecisionPart(action="recovered_action"), mode="grounded", actions=[
            ActionTrace(tool=entry.action, outcome=outcome, reference=reference,
                        idempotency_key=entry.idempotency_key, recovered=True)])
        # the task that asked for it is over: a later "yes" must not resume its question
        if await self.conversations.save_assistant_reply(message, trace, updates={"flow": None}):
            await self._push(conversation.id, message)
        else:  # a person owns the conversation now: they see the outcome in the audit trail
            log.info("recovered %s in %s not announced: %s owns it", entry.action, conversation.id,
                     conversation.state)

    async def _say(self, conversation: Conversation, text: str, event: str) -> Message | None:
        message = Message(MessageId(new_id()), conversation.id, Role.ASSISTANT, ASSISTANT_AUTHOR, text,
                          metadata={"event": event})
        stored = await self.conversations.add_message_in_state(message, Ownership.ASSISTANT)
        return message if stored else None

    def _language(self, conversation: Conversation) -> str:
        runtime = self.engine.tenants.get(conversation.tenant)
        return conversation.language or (runtime.tenant.default_language if runtime else "en")

    async def _push(self, conversation_id: str, message: Message) -> None:
        if self.notify is None:
            return
        try:
            await self.notify(conversation_id, message)
        except Exception:  # the message is stored: the customer sees it when they come back
            log.exception("live delivery of %s failed", message.id)
