"""Proactive outreach: a declared incident told to the customers it affects, on their channel.

    declare  → every conversation of the tenant whose customer wrote about the topic within
               the tenant's look-back is told the problem is known (and will be told the fix)
    link     → an agent adds a conversation the topic words missed: told the same way
    (a turn) → a customer who writes about an open incident is told and offered the fix
               notice (app/conversation/updates.py, the engine's "updates" stage)
    resolve  → everyone told at declaration, linked, or who said yes is told it is fixed

Each notice is an assistant message stored in the conversation (a web customer sees it on
reload) and handed to `deliver`, which the server sets to the console's `to_customer`
(app/surfaces/console/live.py): live in an open chat, or out through the conversation's
channel (app/core/channels.py). Every notice is sent at most once per conversation
(app/store/incidents.py takes the claim first), in the conversation's language.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from app.config.tenants import TenantRegistry
from app.conversation.turn import ASSISTANT_AUTHOR
from app.conversation.updates import notice
from app.core import clock as clocks
from app.core.domain import Conversation, ConversationId, Message, MessageId, Role, new_id
from app.core.errors import IncidentError
from app.store import ConversationStore
from app.store.incidents import DeclaredIncident, How, IncidentStore
from app.understanding.incident_topic import MAX_TOPIC_CHARS, matched_word, topic_words

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000
KNOWN, FIXED = "incident.known", "incident.fixed"  # the notices' message events
Deliver = Callable[[str, Message], Awaitable[None]]  # conversation id, stored message


@dataclass(frozen=True)
class Outcome:
    incident: DeclaredIncident
    told: int  # conversations told by this call


class Outreach:
    def __init__(self, store: IncidentStore, conversations: ConversationStore, tenants: TenantRegistry,
                 clock: clocks.Clock) -> None:
        self.store = store
        self.conversations = conversations
        self.tenants = tenants
        self.clock = clock
        self.deliver: Deliver | None = None  # set by the server: the live push / channel seam

    async def declare(self, tenant: str, topic: str, message: str, *, by: str) -> Outcome:
        """Open an incident and tell the customers who already reported it."""
        topic, message = " ".join(topic.split()), message.strip()
        config = self.tenants.get(tenant)
        if config is None:
            raise IncidentError(f"No tenant {tenant[:100]!r}.")
        if not topic_words(topic):
            raise IncidentError("Name the incident's topic in words customers use (e.g. `login password`): "
                                "each word of three letters or more is matched.")
        if len(topic) > MAX_TOPIC_CHARS:
            raise IncidentError(f"The topic is {len(topic)} characters; keep it under {MAX_TOPIC_CHARS}.")
        if not message:
            raise IncidentError("Add the message customers will read, after a `|`: what is wrong, in a sentence.")
        if len(message) > MAX_MESSAGE_CHARS:
            raise IncidentError(f"The message is {len(message)} characters; keep it under {MAX_MESSAGE_CHARS}.")
        now = self.clock()
        incident = await self.store.declare(tenant, topic, message, by=by, at=clocks.stamp(now))
        log.info("incident %s declared by %s for %s: %r", incident.id, by, tenant, topic)
        since = clocks.stamp(now - timedelta(hours=config.outreach.look_back_hours))
        reporters = dict.fromkeys(r.conversation_id for r in await self.store.reports_since(tenant, since)
                                  if matched_word(topic, r.text))
        told = 0
        for conversation_id in reporters:
            told += await self._tell_known(incident, conversation_id, "reported")
        return Outcome(incident, told)

    async def link(self, incident: DeclaredIncident, conversation_id: str) -> Outcome:
        """An agent says this conversation is about the incident: told, and told the fix."""
        current = await self.store.get(incident.id)  # re-read: it may have been resolved meanwhile
        if current is None or not current.is_open:
            raise IncidentError(f"Incident `{incident.id[:8]}` is resolved already; nothing to link.")
        conversation = await self.conversations.get(ConversationId(conversation_id))
        if conversation is None or conversation.tenant != incident.tenant or conversation.kind != "customer":
            raise IncidentError(f"No conversation `{conversation_id[:100]}` of {incident.tenant} to link.")
        told = await self._tell_known(incident, conversation.id, "linked")
        if not told:  # told before (offered in a turn): linking subscribes it to the fix
            await self.store.subscribe(incident.id, conversation.id, at=clocks.stamp(self.clock()))
        return Outcome(incident, told)

    async def resolve(self, incident: DeclaredIncident, *, by: str, resolution: str = "") -> Outcome:
        """Close the incident and tell everyone subscribed that it is fixed."""
        resolution = resolution.strip()
        if len(resolution) > MAX_MESSAGE_CHARS:
            raise IncidentError(f"The message is {len(resolution)} characters; keep it under {MAX_MESSAGE_CHARS}.")
        if not await self.store.resolve(incident.id, by=by, at=clocks.stamp(self.clock()), resolution=resolution):
            raise IncidentError(f"Incident `{incident.id[:8]}` is resolved already.")
        log.info("incident %s resolved by %s", incident.id, by)
        resolved = await self.store.get(incident.id)
        assert resolved is not None
        told = 0
        for conversation_id in await self.store.to_tell_fixed(incident.id):
            if not await self.store.claim_fixed(incident.id, conversation_id, at=clocks.stamp(self.clock())):
                continue  # another replica or call told it
            conversation = await self.conversations.get(ConversationId(conversation_id))
            if conversation is not None:
                await self._send(conversation, notice(FIXED, self._lang(conversation), resolution), FIXED, incident)
                told += 1
        return Outcome(resolved, told)

    async def find(self, reference: str, serves: Callable[[str], bool]) -> DeclaredIncident:
        """The one incident `reference` names among those of tenants the caller serves."""
        found = [i for i in await self.store.find(reference) if serves(i.tenant)]
        if not found:
            raise IncidentError(f"No incident `{reference.strip()[:40]}`. `/incident list` shows them.")
        if len(found) > 1:
            raise IncidentError(f"`{reference.strip()}` names {len(found)} incidents; give more of the id.")
        return found[0]

    async def listed(self, tenants: Iterable[str] | None) -> list[DeclaredIncident]:
        return await self.store.listed(None if tenants is None else list(tenants))

    async def _tell_known(self, incident: DeclaredIncident, conversation_id: str, how: How) -> int:
        if not await self.store.add_contact(incident.id, conversation_id, how, subscribed=True,
                                            at=clocks.stamp(self.clock())):
            return 0  # told already
        conversation = await self.conversations.get(ConversationId(conversation_id))
        if conversation is None:
            return 0
        await self._send(conversation, notice(KNOWN, self._lang(conversation), incident.message), KNOWN, incident)
        return 1

    def _lang(self, conversation: Conversation) -> str:
        tenant = self.tenants.get(conversation.tenant)
        return conversation.language or (tenant.default_language if tenant else "en")

    async def _send(self, conversation: Conversation, text: str, event: str, incident: DeclaredIncident) -> None:
        """Store the notice, then push it; a failed push leaves it stored (shown on reload)."""
        message = Message(MessageId(new_id()), conversation.id, Role.ASSISTANT, ASSISTANT_AUTHOR, text,
                          metadata={"event": event, "incident": incident.id})
        await self.conversations.add_message(message)
        if self.deliver is None:
            log.info("%s for %s stored; no live delivery in this process", event, conversation.id)
            return
        try:
            await self.deliver(conversation.id, message)
        except Exception:  # the customer still sees it stored; the rest are still told
            log.exception("%s for %s stored but not delivered", event, conversation.id)
