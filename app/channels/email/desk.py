"""One inbound mail, from bytes to a reply in the customer's thread.

    size → read → automatic? (never answered) → store (once per Message-ID) → per-sender limit
    → thread → the engine's turn → reply stored, then mailed → the inbound row settled

The mail is stored before anything is answered, and settled only once its reply is stored
and queued to send, so a crash anywhere in between is finished by `recover` at start: a mail
the engine never saw runs its turn; one whose reply exists is mailed (once: the outbox keys
it by the reply); one stored without a reply is answered by the engine's own crash recovery
(app/conversation/recovery.py), whose notice reaches the thread through the channel registry.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.channels.email.loops import automated
from app.channels.email.outbox import CHANNEL, EmailOutbox, reply_subject
from app.channels.email.parsing import InboundMail, Unreadable, parse, read_headers, sender_of
from app.channels.email.sign_in_link import sign_in_link
from app.config.tenants import Tenant, TenantRegistry
from app.conversation.engine import Engine
from app.conversation.turn import Turn
from app.core import clock as clocks
from app.core.domain import Conversation, ConversationId, Identity, Message, MessageId, Ownership, TenantId, new_id
from app.core.i18n import say
from app.core.language_data import languages
from app.store import ConversationStore
from app.store.email_mail import EmailStore, InboundRow
from guardrails.abuse_limits import WindowCounter

log = logging.getLogger(__name__)

ToAgent = Callable[[Conversation, Message], Awaitable[None]]
Queued = Callable[[Conversation], Awaitable[None]]
CONCURRENT_TURNS = 4  # mails answered at once; the rest wait their turn, stored
_IDS = uuid.UUID("6f1c1a52-3d59-4c4f-9a2e-6d0b3c8e0e11")  # namespace: a mail's stored message id


@dataclass(frozen=True)
class Receipt:
    status: str  # answered, relayed, ignored, refused, limited, duplicate
    reason: str | None = None
    conversation_id: str | None = None


@dataclass(frozen=True)
class Taken:
    """A mail stored and due an answer."""

    tenant: Tenant
    mail: InboundMail
    conversation_id: str
    message_id: MessageId


def turn_message_id(tenant: str, message_id: str) -> MessageId:
    """The stored message of a mail, the same on every delivery and every replica."""
    return MessageId(str(uuid.uuid5(_IDS, f"{tenant}\n{message_id}")))


def user_identifier(address: str) -> str:
    return f"email:{address}"


class EmailDesk:
    def __init__(self, store: EmailStore, outbox: EmailOutbox, engine: Engine, conversations: ConversationStore,
                 tenants: TenantRegistry, clock: clocks.Clock = clocks.now) -> None:
        self.store = store
        self.outbox = outbox
        self.engine = engine
        self.conversations = conversations
        self.tenants = tenants
        self.clock = clock
        self.to_agent: ToAgent | None = None  # set by the UI layer: the customer's mail live in the console
        self.queued: Queued | None = None  # set by the UI layer: "New in queue" to the agents
        self._senders: dict[str, WindowCounter] = {}
        self._tasks: set[asyncio.Task[Receipt]] = set()
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # per conversation, with its users
        self._working = asyncio.Semaphore(CONCURRENT_TURNS)

    async def receive(self, tenant_id: str, raw: bytes, envelope_sender: str | None = None) -> Receipt:
        """Take one mail and answer it before returning (tests, tools that feed mail in one by one)."""
        taken = await self.take(tenant_id, raw, envelope_sender)
        return await self.answer(taken) if isinstance(taken, Taken) else taken

    async def submit(self, tenant_id: str, raw: bytes, envelope_sender: str | None = None) -> Receipt:
        """Take one mail (stored when this returns) and answer it in the background: the SMTP
        listener says 250 as soon as the mail is safe, not after the assistant has written."""
        taken = await self.take(tenant_id, raw, envelope_sender)
        if not isinstance(taken, Taken):
            return taken
        task = asyncio.create_task(self.answer(taken), name=f"email-{taken.message_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return Receipt("accepted", conversation_id=taken.conversation_id)

    async def drain(self) -> None:
        """Wait until every mail taken so far is answered (shutdown, tests, the benchmark)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def take(self, tenant_id: str, raw: bytes, envelope_sender: str | None = None) -> Receipt | Taken:
        """Read and store one mail; what is left to do is answering it (a `Taken`), or nothing."""
        tenant = self.tenants.get(tenant_id)
        if tenant is None or tenant.email is None:
            raise ValueError(f"tenant {tenant_id!r} has no email channel")
        if len(raw) > tenant.email.max_bytes:
            return await self._refuse(tenant, raw, envelope_sender, f"too large: {len(raw)} bytes",
                                      say("email.too_large", tenant.default_language,
                                          limit=f"{tenant.email.max_bytes / 1_000_000:g}"))
        try:
            mail = parse(raw, envelope_sender)
        except Unreadable as exc:
            return await self._refuse(tenant, raw, envelope_sender, str(exc),
                                      say("email.unreadable", tenant.default_language))
        if mail.automatic is not None:
            await self.store.receive(tenant.id, mail.message_id, mail.sender, mail.subject, _keep(raw),
                                     status="ignored", reason=mail.automatic)  # kept: a bounce tells of a lost reply
            log.info("mail %s from %r not answered: %s", mail.message_id, mail.sender, mail.automatic)
            return Receipt("ignored", mail.automatic)
        conversation_id = await self._thread(tenant, mail)
        message_id = turn_message_id(tenant.id, mail.message_id)
        if not await self.store.receive(tenant.id, mail.message_id, mail.sender, mail.subject, _keep(raw),
                                        conversation_id=conversation_id, turn_message_id=message_id):
            log.info("mail %s for %s received again: already stored, not answered twice", mail.message_id, tenant.id)
            return Receipt("duplicate", conversation_id=conversation_id)
        if self._counter(tenant).hit(f"{tenant.id}\n{mail.sender}"):
            reason = f"more than {tenant.email.per_sender_per_hour} mails an hour from this sender"
            await self.store.settle(tenant.id, mail.message_id, "limited", reason)
            log.warning("mail %s from %r stored, not answered: %s", mail.message_id, mail.sender, reason)
            return Receipt("limited", reason, conversation_id)
        return Taken(tenant, mail, conversation_id, message_id)

    async def answer(self, taken: Taken) -> Receipt:
        """The turn for a stored mail: one at a time per conversation, a few at a time in all."""
        key = taken.conversation_id
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with self._working, lock:
                return await self._answer(taken.tenant, taken.mail, taken.conversation_id, taken.message_id)
        except Exception:  # stored and unsettled: the next start's `recover` answers it
            log.exception("answering mail %s failed; it stays stored", taken.mail.message_id)
            return Receipt("failed", "see the log", taken.conversation_id)
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def _answer(self, tenant: Tenant, mail: InboundMail, conversation_id: str,
                      message_id: MessageId) -> Receipt:
        assert tenant.email is not None
        customer = tenant.email.verified_senders.get(mail.sender)
        locale = mail.language if mail.language in languages() else None
        identity = Identity(TenantId(tenant.id), user_identifier(mail.sender), customer,
                            mail.sender_name or mail.sender, locale, channel=CHANNEL)
        text = mail.text if mail.text.strip() else mail.subject or "(attachments only)"
        outcome = await self.engine.handle(Turn(
            ConversationId(conversation_id), message_id, identity, text, reply_id=MessageId(new_id()),
            metadata={"email": mail.metadata()}))
        conversation = outcome.conversation
        if outcome.reply is not None:
            shown = self._shown(tenant, conversation, mail, outcome.reply)
            await self.outbox.send(conversation, outcome.reply, shown)
        status = "answered" if outcome.reply is not None else "relayed"
        await self.store.settle(tenant.id, mail.message_id, status)
        if outcome.queued and self.queued is not None:
            await self.queued(conversation)
        if outcome.relay_to_agent and self.to_agent is not None:
            await self.to_agent(conversation, outcome.incoming)
        return Receipt(status, conversation_id=conversation_id)

    def _shown(self, tenant: Tenant, conversation: Conversation, mail: InboundMail, reply: Message) -> str:
        """The reply as mailed: a guest asked to sign in gets the signed link; the assistant says who wrote."""
        lang = conversation.language or tenant.default_language
        text = reply.content
        if conversation.customer_id is None and reply.metadata.get("sign_in"):
            link = sign_in_link(tenant, conversation.id, mail.sender, self.clock)
            if link is not None:
                text = f"{text}\n\n{say('email.sign_in_link', lang, link=link)}"
        return f"{text}\n\n-- \n{say('email.sign_off', lang, company=tenant.name)}"

    async def _thread(self, tenant: Tenant, mail: InboundMail) -> str:
        """The conversation a reply continues (only the same sender's: a Message-ID is no secret),
        else a new one."""
        found = await self.store.thread(tenant.id, mail.thread_ids)
        if found is not None:
            conversation = await self.conversations.get(ConversationId(found))
            if conversation is not None and conversation.user_identifier == user_identifier(mail.sender):
                return found
            log.info("mail %s names thread %s of another sender: a new conversation", mail.message_id, found)
        return new_id()

    def _counter(self, tenant: Tenant) -> WindowCounter:
        assert tenant.email is not None
        counter = self._senders.get(tenant.id)
        if counter is None or counter.limit != tenant.email.per_sender_per_hour:
            counter = self._senders[tenant.id] = WindowCounter(
                tenant.email.per_sender_per_hour, 3600.0, lambda: self.clock().timestamp())
        return counter

    async def _refuse(self, tenant: Tenant, raw: bytes, envelope_sender: str | None, reason: str,
                      reply: str) -> Receipt:
        """Keep an unreadable or oversized mail (its headers when too large) and, when it is safe
        (a person's address, not automatic, not over its limit), say so politely."""
        try:
            head = read_headers(raw)
            sender, subject = sender_of(head)[0], " ".join(str(head.get("Subject", "")).split())[:200]
            ids = [i for i in str(head.get("Message-ID", "")).split() if i.startswith("<")]
            automatic = automated(head, envelope_sender)
        except Exception:  # not even the headers: keep the bytes, answer no one
            sender, subject, ids, automatic = "", "", [], "headers unreadable"
        message_id = ids[0] if ids else f"<{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id>"
        kept = _keep(raw) if len(raw) <= tenant.email.max_bytes else _keep(raw[:64_000])  # type: ignore[union-attr]
        if not await self.store.receive(tenant.id, message_id, sender or "(unknown)", subject, kept,
                                        status="refused", reason=reason):
            return Receipt("duplicate", reason)
        log.warning("mail %s from %r refused: %s", message_id, sender or "(unknown)", reason)
        safe = bool(sender) and automatic is None and not self._counter(tenant).hit(f"{tenant.id}\n{sender}")
        if safe:
            await self.outbox.send_direct(tenant.id, str(turn_message_id(tenant.id, message_id)), sender,
                                          reply_subject(subject), reply, message_id)
        return Receipt("refused", reason)

    async def recover(self) -> int:
        """Finish every mail a crash left stored but unsettled; the count of mails taken up."""
        count = 0
        for row in await self.store.unsettled():
            try:
                await self._recover_one(row)
                count += 1
            except Exception:  # one bad row must not stop the others; it stays for the next start
                log.exception("recovering mail %s for %s failed", row.message_id, row.tenant)
        return count

    async def _recover_one(self, row: InboundRow) -> None:
        tenant = self.tenants.get(row.tenant)
        if tenant is None or tenant.email is None or row.conversation_id is None or row.turn_message_id is None:
            return
        if not await self.conversations.has_message(MessageId(row.turn_message_id)):
            mail = parse(base64.b64decode(row.raw))  # the turn never ran: run it now
            await self._answer(tenant, mail, row.conversation_id, MessageId(row.turn_message_id))
            return
        reply_id = await self.store.has_reply_after(row.conversation_id, row.turn_message_id)
        conversation = await self.conversations.get(ConversationId(row.conversation_id))
        if reply_id is not None and conversation is not None:  # answered, maybe not mailed: mail it once
            reply = next((m for m in await self.conversations.messages(conversation.id) if m.id == reply_id), None)
            if reply is not None:
                await self.outbox.send(conversation, reply, self._shown(
                    tenant, conversation, parse(base64.b64decode(row.raw)), reply))
        status = "answered" if reply_id else "relayed" if conversation and conversation.state in (
            Ownership.HUMAN, Ownership.QUEUED) else "answered"  # unanswered: the engine's recovery answers it
        await self.store.settle(row.tenant, row.message_id, status)


def _keep(raw: bytes) -> str:
    """The mail as stored: base64, so any bytes survive either database."""
    return base64.b64encode(raw).decode("ascii")
