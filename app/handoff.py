"""The handoff desk: agents take conversations from the queue, answer, and give them back.

Transitions go through the store's guarded updates, so a claim either wins outright or
fails with a sentence the agent can act on. Each transition leaves a message in the
customer's transcript (who joined, who left) and an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain import Conversation, ConversationId, Message, MessageId, Ownership, Role, new_id
from app.errors import OwnershipConflict
from app.i18n import say
from app.store import AuditLog, ConversationStore
from app.store.accounts import Agent
from app.tenants import TenantRegistry


@dataclass(frozen=True)
class HandoffPacket:
    """What an agent needs to pick up a conversation without asking the customer again."""

    conversation: Conversation
    reason: str | None
    transcript: list[Message]
    last_intent: str | None
    last_trace: dict[str, Any] | None = None  # the decision trace of the last triaged assistant turn


class HandoffDesk:
    def __init__(self, conversations: ConversationStore, audit: AuditLog,
                 tenants: TenantRegistry) -> None:
        self.conversations = conversations
        self.audit = audit
        self.tenants = tenants

    def _company(self, conversation: Conversation) -> str:
        tenant = self.tenants.get(conversation.tenant)
        return tenant.name if tenant else conversation.tenant

    async def queue_for(self, agent: Agent) -> list[Conversation]:
        tenants = None if "*" in agent.tenants else agent.tenants
        return await self.conversations.queue(tenants)

    async def claim(self, conversation_id: str, agent: Agent) -> tuple[Conversation, Message]:
        """Take a queued conversation. Raises OwnershipConflict if it is not queued any more."""
        current = await self.conversations.get(ConversationId(conversation_id))
        if current is not None and not agent.serves(current.tenant):
            raise OwnershipConflict("That conversation belongs to a company you don't serve.")
        note = self._note(current, "handoff.agent_joined", agent) if current else None
        conversation = await self.conversations.transition(
            conversation_id, expect=Ownership.QUEUED, to=Ownership.HUMAN, agent=agent.email,
            note=note)
        await self.audit.record(agent.email, "handoff.claimed", tenant=conversation.tenant,
                                subject=conversation.id)
        assert note is not None
        return conversation, note

    async def resolve(self, conversation_id: str, agent: Agent) -> tuple[Conversation, Message]:
        return await self._release(conversation_id, agent, Ownership.RESOLVED, "handoff.resolved")

    async def hand_back(self, conversation_id: str, agent: Agent) -> tuple[Conversation, Message]:
        return await self._release(conversation_id, agent, Ownership.ASSISTANT, "handoff.handed_back")

    async def _release(self, conversation_id: str, agent: Agent, to: Ownership,
                       key: str) -> tuple[Conversation, Message]:
        current = await self.conversations.get(ConversationId(conversation_id))
        note = self._note(current, key, agent) if current else None
        conversation = await self.conversations.transition(
            conversation_id, expect=Ownership.HUMAN, to=to, agent=None,
            require_agent=agent.email, note=note)
        await self.audit.record(agent.email, f"handoff.{to.value}", tenant=conversation.tenant,
                                subject=conversation.id)
        assert note is not None
        return conversation, note

    def _note(self, conversation: Conversation, key: str, agent: Agent) -> Message:
        text = say(key, conversation.language, agent=agent.name, company=self._company(conversation))
        return Message(MessageId(new_id()), conversation.id, Role.SYSTEM, "Support", text,
                       metadata={"event": key, "agent": agent.email})

    async def post_agent_message(self, conversation_id: str, agent: Agent, text: str) -> Message:
        """Store an agent's message; only the agent who owns the conversation may speak in it."""
        conversation = await self.conversations.get(ConversationId(conversation_id))
        if (conversation is None or conversation.state is not Ownership.HUMAN
                or conversation.assigned_agent != agent.email):
            raise OwnershipConflict("You no longer own that conversation; your message was not sent.")
        message = Message(MessageId(new_id()), conversation.id, Role.AGENT, agent.name, text,
                          metadata={"agent": agent.email})
        await self.conversations.add_message(message)
        return message

    async def packet(self, conversation_id: str) -> HandoffPacket | None:
        conversation = await self.conversations.get(ConversationId(conversation_id))
        if conversation is None:
            return None
        transcript = await self.conversations.messages(conversation.id, limit=200)
        last_intent, last_trace = None, None
        for message in reversed(transcript):
            if message.role is Role.ASSISTANT:
                trace = await self.conversations.trace(message.id)
                if trace and trace.get("intent"):
                    last_intent, last_trace = trace["intent"].get("name"), trace
                    break
        reason = await self.conversations.latest_handoff_reason(conversation.id)
        return HandoffPacket(conversation, reason, transcript, last_intent, last_trace)
