"""The turns of messaging customers: each stored webhook runs once through the same engine as
the web chat, in order per conversation, and what the engine says is owed to the bridge.

The webhook answered 202 as soon as the message was in `messaging_inbox`; this worker does the
rest in the background. A message is taken by compare-and-set (one worker runs it), and marked
done only after its reply is owed. A process killed in between leaves the row `running`; at the
next start it runs again, unless the engine had already stored the message: then the turn is not
repeated (the crash-recovery sweep answers a stored message left unanswered, and its answer
reaches the bridge through the channel), and replies already stored are owed again, which the
outbox stores once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from app.conversation.turn import ASSISTANT_AUTHOR, Turn, TurnOutcome
from app.core.domain import (
    Conversation,
    ConversationId,
    Identity,
    Message,
    MessageId,
    Ownership,
    Role,
    TenantId,
    new_id,
)
from app.core.i18n import say
from app.core.waiting import wait_for_event
from app.store.messaging import InboxEntry, MessagingStore
from app.surfaces.console import approvals as console_approvals
from app.surfaces.console import live as console_live
from app.surfaces.console.agent_label import shown_to_customer
from app.surfaces.messaging.delivery import CHANNEL, BridgeOutbox
from app.surfaces.messaging.linking import sign_in_link

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)

TURNS_AT_ONCE = 4  # conversations whose turns run at the same time (a turn is mostly CPU on this host)


def sender_identifier(tenant: str, sender_id: str) -> str:
    """The user identifier of a messaging sender: per-sender limits and follow-ups key on it."""
    return f"messaging:{tenant}:{sender_id}"


def with_attachments(text: str, attachments: Sequence[Mapping[str, Any]]) -> str:
    """The customer's text with the attachments listed (never fetched or opened): the agent
    and the assistant know something was sent."""
    if not attachments:
        return text
    names = ", ".join(str(a.get("name") or a.get("type") or "file") for a in attachments)
    return f"{text}\n\n[attachments: {names}]".strip()


def picked(text: str, choice: str | None, offered: Sequence[Mapping[str, str]]) -> str | None:
    """The quick reply a message answers: the bridge's `choice` when it names an offered value,
    else typed text equal to an offered value or label (any case). None: plain text."""
    values = {c["value"] for c in offered}
    if choice is not None and choice in values:
        return choice
    typed = text.strip().casefold()
    for option in offered:
        if typed and typed in (option["value"].casefold(), option["label"].casefold()):
            return option["value"]
    return None


class InboxWorker:
    """Runs the stored webhooks' turns: `run()` as a background task, `wake()` after a store."""

    def __init__(self, services: Services, store: MessagingStore, outbox: BridgeOutbox) -> None:
        self.services = services
        self.store = store
        self.outbox = outbox
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(TURNS_AT_ONCE)
        self._busy: set[str] = set()  # conversations with a task running their messages

    def wake(self) -> None:
        self._wake.set()

    async def run(self, interval: float = 1.0) -> None:
        released = await self.store.release_running()
        if released:
            log.info("messaging: %d messages cut off by a restart are taken up again", released)
        async with asyncio.TaskGroup() as tasks:
            while True:
                self._wake.clear()
                try:
                    waiting = await self.store.waiting()
                except Exception:
                    log.exception("messaging inbox could not be read; trying again in %g s", interval)
                    waiting = []
                by_conversation: dict[str, list[InboxEntry]] = {}
                for entry in waiting:
                    if entry.conversation_id not in self._busy:
                        by_conversation.setdefault(entry.conversation_id, []).append(entry)
                for conversation_id, entries in by_conversation.items():
                    self._busy.add(conversation_id)
                    task = tasks.create_task(self._conversation(entries), name=f"messaging-{conversation_id[:8]}")
                    task.add_done_callback(lambda _task, c=conversation_id: self._done(c))
                await wait_for_event(self._wake, interval)

    def _done(self, conversation_id: str) -> None:
        self._busy.discard(conversation_id)
        self._wake.set()  # its later messages may be waiting

    async def _conversation(self, entries: list[InboxEntry]) -> None:
        """One conversation's waiting messages, one after the other."""
        for entry in entries:
            async with self._slots:
                try:
                    await self.process(entry)
                except Exception:  # logged; the row stays `running` until the next start, the next message runs
                    log.exception("messaging message %s of %s failed", entry.bridge_message_id, entry.tenant)

    async def process(self, entry: InboxEntry) -> None:
        if not await self.store.take(entry):
            return  # another worker has it
        if await self.services.conversations.has_message(MessageId(entry.message_id)):
            await self._owe_stored_replies(entry)  # a turn a dead process began
        else:
            await self._turn(entry)
        await self.store.finish(entry)

    async def _turn(self, entry: InboxEntry) -> None:
        inbound: dict[str, Any] = entry.body["message"]
        customer_id: str | None = entry.body.get("customer_id")
        identity = Identity(TenantId(entry.tenant), sender_identifier(entry.tenant, entry.sender_id),
                            customer_id=customer_id, display_name="Customer" if customer_id else "Guest",
                            locale=inbound.get("locale"), channel=CHANNEL)
        offered = await self.store.take_offered(entry.conversation_id)
        text = with_attachments(inbound.get("text") or "", inbound.get("attachments") or ())
        choice = picked(text, inbound.get("choice"), offered)
        if choice is not None and not text.strip():  # a tapped button says its label, as in the widget
            text = next(c["label"] for c in offered if c["value"] == choice)
        try:
            outcome = await self.services.engine.handle(Turn(
                ConversationId(entry.conversation_id), MessageId(entry.message_id), identity, text, choice=choice))
        except Exception:
            log.exception("messaging turn for %s in %s failed", entry.message_id, entry.conversation_id)
            await self._apologise(entry)
            return
        await self._after(outcome, entry)

    async def _after(self, outcome: TurnOutcome, entry: InboxEntry) -> None:
        """What the web chat does after a turn (app/surfaces/chainlit_app.py): the reply, and the
        console told about a queue entry, approvals or a message for the agent."""
        conversation = outcome.conversation
        if outcome.reply is not None:
            choices = [{"label": c.label, "value": c.value} for c in outcome.choices]
            shown = outcome.reply.content
            if not conversation.verified and outcome.reply.metadata.get("sign_in"):
                shown = self._with_sign_in_link(shown, conversation, entry.sender_id)
            await self.outbox.owe(conversation, outcome.reply, shown, choices, entry.bridge_message_id)
        try:
            if outcome.queued:
                await console_live.announce_queued(conversation)
            if outcome.approvals:
                await console_approvals.announce_approvals(outcome.approvals)
            if outcome.relay_to_agent:
                await console_live.to_agent(conversation, outcome.incoming)
        except Exception:  # the console shows it from the store on the agent's next look
            log.exception("telling the console about %s failed", conversation.id)

    def _with_sign_in_link(self, text: str, conversation: Conversation, sender_id: str) -> str:
        tenant = self.services.tenants.get(conversation.tenant)
        link = sign_in_link(tenant, sender_id) if tenant is not None else None
        return f"{text}\n\n{say('messaging.sign_in_link', conversation.language, link=link)}" if link else text

    async def _apologise(self, entry: InboxEntry) -> None:
        """A turn that failed: the customer hears so in their language (saved or not)."""
        services = self.services
        conversation = await services.conversations.get(ConversationId(entry.conversation_id))
        if conversation is None:
            log.error("messaging message %s was not stored and cannot be answered", entry.message_id)
            return
        saved = await services.conversations.has_message(MessageId(entry.message_id))
        message = Message(MessageId(new_id()), conversation.id, Role.ASSISTANT, ASSISTANT_AUTHOR,
                          say("error.generic" if saved else "error.unexpected", conversation.language),
                          metadata={"event": "turn.failed"})
        if conversation.state is Ownership.ASSISTANT:
            await services.conversations.add_message_in_state(message, Ownership.ASSISTANT)
        await self.outbox.owe(conversation, message, message.content, in_reply_to=entry.bridge_message_id)

    async def _owe_stored_replies(self, entry: InboxEntry) -> None:
        """Everything stored after the message for the customer is owed (once) to the bridge."""
        services = self.services
        conversation = await services.conversations.get(ConversationId(entry.conversation_id))
        if conversation is None:
            return
        transcript = await services.conversations.messages(conversation.id)
        ids = [m.id for m in transcript]
        if entry.message_id not in ids:
            return
        tenant = services.tenants.get(conversation.tenant)
        for message in transcript[ids.index(entry.message_id) + 1:]:
            if message.role in (Role.ASSISTANT, Role.AGENT):
                shown = shown_to_customer(message, tenant.name if tenant else "", conversation.language)
                if await self.outbox.owe(conversation, message, shown):
                    log.info("messaging: reply %s stored before a restart is owed to the bridge", message.id)
