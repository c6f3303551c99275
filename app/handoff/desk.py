"""The handoff desk: agents take conversations, talk with the customer, and give them back.

The console (app/surfaces/console/work.py) and the Queue API (app/surfaces/queue_api.py) both work through this
desk, so a claim, a message or a release means the same in either. Transitions go through
the store's guarded updates: a claim either wins outright or fails with a sentence the
agent can act on. Each transition leaves a message in the customer's transcript (who joined,
who left), an audit event and a webhook event.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from app.config.tenants import TenantRegistry
from app.conversation.turn import EventSink, TenantRuntime
from app.core import clock as clocks
from app.core import metrics
from app.core.domain import Conversation, ConversationId, Message, MessageId, Ownership, Role, new_id
from app.core.errors import ConnectorError, OwnershipConflict
from app.core.i18n import say
from app.handoff.packet import HandoffPacket, build_packet
from app.handoff.suggestions import suggest_reply
from app.llm.translation import Translation, translator_for
from app.store import AuditLog, ConversationStore
from app.store.accounts import Agent
from app.store.handoffs import HandoffStore, Note, QueueEntry, parse_iso
from guardrails.input import storable_text
from guardrails.pii_known import known_pii
from knowledge.index import KnowledgeIndex

log = logging.getLogger(__name__)

MAX_NOTE_CHARS = 4000


@dataclass(frozen=True)
class Released:
    conversation: Conversation
    notes: tuple[Message, ...]  # what the customer sees: who left, and the CSAT question after a resolve


class HandoffDesk:
    def __init__(self, conversations: ConversationStore, handoffs: HandoffStore, audit: AuditLog,
                 tenants: TenantRegistry, runtimes: Mapping[str, TenantRuntime], knowledge: KnowledgeIndex,
                 events: EventSink | None = None) -> None:
        self.conversations = conversations
        self.handoffs = handoffs
        self.audit = audit
        self.tenants = tenants
        self.runtimes = runtimes
        self.knowledge = knowledge
        self.events = events

    def _company(self, conversation: Conversation) -> str:
        tenant = self.tenants.get(conversation.tenant)
        return tenant.name if tenant else conversation.tenant

    async def _emit(self, tenant: str, event: str, payload: dict[str, Any]) -> None:
        if self.events is not None:
            await self.events(tenant, event, payload)

    async def queue_for(self, agent: Agent) -> list[QueueEntry]:
        tenants = None if "*" in agent.tenants else agent.tenants
        return await self.handoffs.queue(tenants)

    async def _owned(self, conversation_id: str, agent: Agent) -> Conversation:
        conversation = await self.conversations.get(ConversationId(conversation_id))
        if (conversation is None or conversation.state is not Ownership.HUMAN
                or conversation.assigned_agent != agent.email):
            raise OwnershipConflict("You don't own that conversation (any more); nothing was done.")
        return conversation

    # -- ownership ------------------------------------------------------------------------

    async def claim(self, conversation_id: str, agent: Agent, *,
                    take_over: bool = False) -> tuple[Conversation, Message]:
        """Take a queued conversation, or (`take_over`) one the assistant is handling, even
        mid-answer: the assistant's reply is then dropped. Raises OwnershipConflict otherwise."""
        current = await self.conversations.get(ConversationId(conversation_id))
        if current is None:
            raise OwnershipConflict("That conversation does not exist.")
        if not agent.serves(current.tenant):
            raise OwnershipConflict("That conversation belongs to a company you don't serve.")
        note = self._note(current, "handoff.agent_joined", agent)
        expect = (Ownership.QUEUED, Ownership.ASSISTANT, Ownership.RESOLVED) if take_over else (Ownership.QUEUED,)
        conversation = await self.conversations.transition(
            conversation_id, expect=expect, to=Ownership.HUMAN, agent=agent.email, note=note)
        await self.audit.record(agent.email, "handoff.claimed", tenant=conversation.tenant, subject=conversation.id,
                                outcome="take_over" if current.state is not Ownership.QUEUED else "claimed")
        handoff = await self.handoffs.latest(conversation.id)
        if (current.state is Ownership.QUEUED and handoff is not None and handoff.due_at
                and clocks.now() > parse_iso(handoff.due_at)):  # taken after its SLA deadline
            metrics.current().sla_breach(conversation.tenant, handoff.queue)
        await self._emit(conversation.tenant, "handoff.claimed", {
            "conversation_id": conversation.id, "agent": agent.email, "agent_name": agent.name,
            "queue": handoff.queue if handoff else None, "due_at": handoff.due_at if handoff else None})
        return conversation, note

    async def resolve(self, conversation_id: str, agent: Agent) -> Released:
        """Close the conversation and ask the customer for a satisfaction score."""
        conversation, note = await self._release(conversation_id, agent, Ownership.RESOLVED, "handoff.resolved")
        handoff = await self.handoffs.latest(conversation.id)
        ask = Message(MessageId(new_id()), conversation.id, Role.SYSTEM, "Support",
                      say("csat.ask", conversation.language), metadata={"event": "csat.ask"})
        if handoff is not None:
            await self.handoffs.ask_csat(handoff.id, conversation.id, agent.email)
        await self.conversations.add_message(ask)
        return Released(conversation, (note, ask))

    async def hand_back(self, conversation_id: str, agent: Agent, note: str = "") -> Released:
        """Return the conversation to the assistant, with what the agent did for it to know."""
        note = storable_text(note).text.strip()[:MAX_NOTE_CHARS]
        key = "handoff.back_with_note" if note else "handoff.handed_back"
        conversation, said = await self._release(conversation_id, agent, Ownership.ASSISTANT, key, note=note)
        return Released(conversation, (said,))

    async def _release(self, conversation_id: str, agent: Agent, to: Ownership, key: str,
                       note: str = "") -> tuple[Conversation, Message]:
        current = await self._owned(conversation_id, agent)
        said = self._note(current, key, agent, note=note)
        conversation = await self.conversations.transition(
            conversation_id, expect=(Ownership.HUMAN,), to=to, agent=None, require_agent=agent.email, note=said)
        event = "handoff.resolved" if to is Ownership.RESOLVED else "handoff.handed_back"
        await self.audit.record(agent.email, event, tenant=conversation.tenant, subject=conversation.id,
                                detail={"note": note} if note else None)
        await self._emit(conversation.tenant, event, {"conversation_id": conversation.id, "agent": agent.email,
                                                      "note": note or None})
        return conversation, said

    def _note(self, conversation: Conversation, key: str, agent: Agent, note: str = "") -> Message:
        text = say(key, conversation.language, agent=agent.name, company=self._company(conversation), note=note)
        metadata = {"event": key, "agent": agent.email, "agent_name": agent.name}
        if note:
            metadata["note"] = note  # the assistant reads it when it resumes
        return Message(MessageId(new_id()), conversation.id, Role.SYSTEM, "Support", text, metadata=metadata)

    # -- talking ----------------------------------------------------------------------------

    async def post_agent_message(self, conversation_id: str, agent: Agent, text: str, *,
                                 suggestion_id: str | None = None) -> Message:
        """Store an agent's message, translated into the customer's language when a translator
        is configured; only the agent who owns the conversation may speak in it."""
        conversation = await self._owned(conversation_id, agent)
        customer_language = conversation.language or "en"
        storable = storable_text(text)  # console and Queue API alike: what UTF-8 can't carry is replaced
        text = storable.text
        translation = await self.translate(conversation.tenant, text, source=agent.language,
                                           target=customer_language)
        metadata: dict[str, Any] = {"agent": agent.email}
        if storable.replaced:
            metadata["replaced_characters"] = storable.replaced
        if translation.translated:
            metadata["original"] = {"language": agent.language, "text": text, "engine": translation.engine}
        message = Message(MessageId(new_id()), conversation.id, Role.AGENT, agent.name, translation.text,
                          metadata=metadata)
        await self.conversations.add_message(message)
        if suggestion_id:
            await self._settle_suggestion(suggestion_id, conversation.id, text)
        return message

    async def _settle_suggestion(self, suggestion_id: str, conversation_id: str, sent: str) -> None:
        """The agent's edit of a suggested reply is feedback on the drafts: stored with how
        much of the draft survived (1.0: sent as is)."""
        offered = await self.handoffs.suggestion(suggestion_id)
        if offered is None or offered["conversation_id"] != conversation_id:
            return
        similarity = round(difflib.SequenceMatcher(None, offered["suggested"], sent).ratio(), 3)
        outcome = "sent_as_is" if offered["suggested"].strip() == sent.strip() else "edited"
        await self.handoffs.settle_suggestion(suggestion_id, sent=sent, outcome=outcome, similarity=similarity)

    async def translate(self, tenant: str, text: str, *, source: str | None, target: str) -> Translation:
        runtime = self.runtimes.get(tenant)
        return await translator_for(runtime.llm if runtime else None).translate(text, source=source, target=target)

    async def for_agent(self, message: Message, conversation: Conversation, agent: Agent) -> Translation:
        """A customer's message as the agent reads it (in the agent's language when possible)."""
        return await self.translate(conversation.tenant, message.content, source=conversation.language,
                                    target=agent.language)

    async def add_note(self, conversation_id: str, agent: Agent, text: str) -> Note:
        """An internal note: agents see it in the packet; the customer never does."""
        conversation = await self.conversations.get(ConversationId(conversation_id))
        if conversation is None or not agent.serves(conversation.tenant):
            raise OwnershipConflict("That conversation does not exist or belongs to a company you don't serve.")
        text = storable_text(text).text.strip()
        if not text or len(text) > MAX_NOTE_CHARS:
            raise OwnershipConflict(f"Notes must be 1–{MAX_NOTE_CHARS} characters; nothing was saved.")
        return await self.handoffs.add_note(conversation.id, agent.email, text)

    # -- the packet -----------------------------------------------------------------------

    async def packet(self, conversation_id: str, agent: Agent | None = None, *,
                     suggest: bool = False) -> HandoffPacket | None:
        """The packet as it stands now; with `suggest`, a reply drafted for `agent` is added
        (and recorded, so the agent's edit of it becomes feedback)."""
        conversation = await self.conversations.get(ConversationId(conversation_id))
        if conversation is None or (agent is not None and not agent.serves(conversation.tenant)):
            return None
        transcript = await self.conversations.messages(conversation.id, limit=200)
        traces = await self.conversations.traces(conversation.id)
        handoff = await self.handoffs.latest(conversation.id)
        notes = [{"agent": n.agent, "text": n.text, "at": n.created_at}
                 for n in await self.handoffs.notes(conversation.id)]
        packet = build_packet(conversation, transcript, traces, handoff, await self._customer(conversation),
                              notes)
        if suggest and agent is not None:
            packet = replace(packet, suggested_reply=await self.suggest(conversation, transcript, agent))
        return packet

    async def suggest(self, conversation: Conversation, transcript: list[Message], agent: Agent) -> dict[str, Any]:
        runtime = self.runtimes.get(conversation.tenant)
        llm = runtime.llm if runtime else None
        known = None  # the customer's own details, read only when a model will see the transcript
        if runtime is not None and llm is not None and llm.available():
            known = await known_pii(runtime.connector, conversation.customer_id)
        suggestion = await suggest_reply(
            transcript=transcript, language=conversation.language or "en", tenant_id=conversation.tenant,
            knowledge=self.knowledge, llm=llm, company=self._company(conversation), agent_name=agent.name,
            known=known)
        text = suggestion.text
        shown = await self.translate(conversation.tenant, text, source=conversation.language, target=agent.language)
        suggestion_id = await self.handoffs.offer_suggestion(conversation.id, agent.email, suggestion.method,
                                                             shown.text)
        return {"id": suggestion_id, "text": shown.text, "language": agent.language if shown.translated
                else conversation.language, "method": suggestion.method,
                "sources": [c.__dict__ for c in suggestion.sources]}

    async def _customer(self, conversation: Conversation) -> Any:
        runtime = self.runtimes.get(conversation.tenant)
        if not conversation.customer_id or runtime is None or runtime.connector is None:
            return None
        try:
            return await runtime.connector.customer(conversation.customer_id)
        except ConnectorError as exc:
            log.warning("packet without CRM data for %s: %s", conversation.id, exc)
            return None
