"""Taking a conversation into the human queue, and looking after the customer while it waits.

An escalation becomes a queue entry with an SLA deadline; the customer hears why a person is
coming and the expected wait. When nobody can take it (closed hours, nobody online), the
request is captured for follow-up: a ticket in the company's helpdesk through the action
gate, reaching a verified customer at their account email and a guest at the address they
give. The conversation stays queued either way, so whoever comes online first answers it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from app.actions.gate import ActionRequest
from app.config.handoff_policy import LEVELS, HandoffPolicy, Level, rank
from app.conversation.escalation import Escalation
from app.conversation.turn import Act, EventSink, Handover
from app.core import metrics
from app.core.domain import Conversation, Message
from app.core.i18n import say
from app.core.trace import HandoffTrace
from app.handoff.packet import build_packet
from app.handoff.queues import AgentsOnline, place
from app.store import AuditLog, ConversationStore
from app.store.handoffs import HandoffRecord, HandoffRequest, HandoffStore, iso, parse_iso
from app.understanding.entities import extract_entities
from connectors.base import Customer

log = logging.getLogger(__name__)

NOTICE_EVERY = timedelta(minutes=2)  # a waiting customer hears their place at most this often
TICKET_MESSAGES = 30


@dataclass(frozen=True)
class Intake:
    request: HandoffRequest
    text: str  # what the customer is told, after the reply's own opening
    follow_up: dict[str, str] | None  # {"status": "ticket"|"awaiting_email"|"failed", ...}
    trace: HandoffTrace


def ticket_body(reason: str, transcript: list[Message]) -> str:
    lines = [f"Handed over: {reason}", "", "Conversation so far:"]
    for message in transcript[-TICKET_MESSAGES:]:
        lines.append(f"{message.author} ({message.role.value}): {message.content[:1000]}")
    return "\n".join(lines)


class HandoffIntake:
    """The human queue as a turn reaches it (the `HumanQueue` of app/conversation/turn.py)."""

    def __init__(self, store: HandoffStore, agents_online: AgentsOnline, conversations: ConversationStore,
                 audit: AuditLog, events: EventSink | None = None) -> None:
        self.store = store
        self.agents_online = agents_online
        self.conversations = conversations
        self.audit = audit
        self.events = events

    async def emit(self, tenant: str, event: str, payload: dict[str, Any]) -> None:
        if self.events is not None:
            await self.events(tenant, event, payload)

    async def record(self, conversation: Conversation, intake: Handover, escalation: Escalation,
                     customer: Customer | None) -> None:
        """After the handoff is committed: its packet, the audit events and the webhooks."""
        handoff = await self.store.latest(conversation.id)
        assert handoff is not None
        if intake.follow_up is not None:
            await self.store.update(handoff.id, follow_up=intake.follow_up)
            handoff = replace(handoff, follow_up=intake.follow_up)
        packet = build_packet(conversation, await self.conversations.messages(conversation.id, limit=200),
                              await self.conversations.traces(conversation.id), handoff, customer)
        await self.store.update(handoff.id, packet=packet.as_dict())
        metrics.current().handoff(conversation.tenant, escalation.trigger, handoff.queue)
        await self.audit.record("assistant", "handoff.requested", tenant=conversation.tenant, subject=conversation.id,
                                policy_version=handoff.policy_version, outcome=escalation.trigger,
                                detail={"queue": handoff.queue, "level": handoff.level, "due_at": handoff.due_at,
                                        "reason": handoff.reason, "incident": handoff.incident_id})
        incident = escalation.incident
        if incident is not None and incident.new:
            await self.audit.record("assistant", "incident.opened", tenant=conversation.tenant, subject=incident.id,
                                    policy_version=handoff.policy_version,
                                    detail={"topic": incident.topic, "customers": incident.customers})
            await self.emit(conversation.tenant, "incident.opened", {
                "incident_id": incident.id, "topic": incident.topic, "customers": incident.customers,
                "opened_at": incident.opened_at})
        await self.emit(conversation.tenant, "handoff.requested", {
            "conversation_id": conversation.id, "queue": handoff.queue, "trigger": handoff.trigger,
            "level": handoff.level, "due_at": handoff.due_at, "summary": packet.summary,
            "language": packet.language, "follow_up": intake.follow_up, "incident_id": handoff.incident_id})
        if (intake.follow_up or {}).get("status") == "ticket":
            await self.emit(conversation.tenant, "handoff.follow_up", {"conversation_id": conversation.id,
                                                                       **(intake.follow_up or {})})

    async def take(self, escalation: Escalation, *, policy: HandoffPolicy, conversation: Conversation,
                   transcript: list[Message], email: str | None, lang: str, act: Act, now: datetime) -> Intake:
        """Place the conversation and say what happens next (creating the follow-up ticket if
        nobody can take it now)."""
        placement = await place(policy, self.store, self.agents_online, tenant=conversation.tenant,
                                queue=escalation.queue, level=escalation.level, rank=escalation.rank, now=now)
        request = HandoffRequest(escalation.queue, escalation.reason, escalation.trigger, escalation.level,
                                 escalation.rank, placement.due_at, policy.version,
                                 escalation.incident.id if escalation.incident else None, requested_at=iso(now))
        opening = say(f"handoff.why.{escalation.trigger}", lang) if escalation.trigger in _WHY else ""
        parts = [opening]
        follow_up = None
        if placement.available:
            parts.append(say("handoff.queued", lang))
            parts.append(say("handoff.wait", lang, position=placement.ahead + 1, minutes=placement.wait_minutes))
        else:
            parts.append(say("handoff.nobody_online", lang) if placement.open_now
                         else say("handoff.closed", lang, hours=placement.hours))
            if policy.follow_up == "ticket":
                follow_up, said = await self.follow_up(conversation, escalation.reason, escalation.level, transcript,
                                                       email, lang, act, attempt=0)
                parts.append(said)
        trace = HandoffTrace(**placement.as_trace().model_dump(), trigger=escalation.trigger,
                             policy_version=policy.version, follow_up=follow_up, incident=request.incident_id)
        return Intake(request, " ".join(p for p in parts if p), follow_up, trace)

    async def follow_up(self, conversation: Conversation, reason: str, level: str, transcript: list[Message],
                        email: str | None, lang: str, act: Act, *, attempt: int) -> tuple[dict[str, str], str]:
        if not email:
            return {"status": "awaiting_email"}, say("handoff.ask_email", lang)
        result = await act(ActionRequest(
            "create_ticket", {"subject": f"Chat follow-up: {reason}"[:200], "body": ticket_body(reason, transcript),
                              "priority": level, "email": email},
            idempotency_key=f"handoff-ticket:{conversation.id}:{len(transcript)}:{attempt}"))
        if result.outcome in ("done", "submitted") and result.reference:
            return ({"status": "ticket", "ticket": result.reference, "email": email},
                    say("handoff.ticket_created", lang, ticket=result.reference, email=email))
        log.warning("follow-up ticket for %s not created: %s %s", conversation.id, result.outcome, result.reason)
        return {"status": "failed", "reason": result.rule or result.outcome}, say("handoff.ticket_failed", lang)

    async def while_queued(self, conversation: Conversation, incoming: Message, transcript: list[Message],
                           lang: str, act: Act, now: datetime) -> str | None:
        """What to tell a customer who writes while waiting: a follow-up email taken, or (at
        most every two minutes) their place in line. None: stay quiet, the agent will see it."""
        handoff = await self.store.latest(conversation.id)
        if handoff is None:
            return None
        follow_up = handoff.follow_up or {}
        if follow_up.get("status") == "awaiting_email":
            emails = extract_entities(incoming.content, language=lang).emails
            if not emails:
                return say("handoff.email_invalid", lang) if "@" in incoming.content else None
            captured, said = await self.follow_up(conversation, handoff.reason, handoff.level, transcript, emails[0],
                                                  lang, act, attempt=1)
            await self.store.update(handoff.id, follow_up=captured, noticed_at=iso(now))
            if captured.get("status") == "ticket":
                await self.emit(conversation.tenant, "handoff.follow_up", {"conversation_id": conversation.id,
                                                                           **captured})
            return said
        if handoff.noticed_at and now - parse_iso(handoff.noticed_at) < NOTICE_EVERY:
            return None
        if handoff.noticed_at is None and now - parse_iso(handoff.requested_at) < NOTICE_EVERY:
            return None
        ahead = await self.store.ahead_of(conversation.tenant, handoff.queue, rank(_level(handoff)),
                                          handoff.due_at or handoff.requested_at, handoff.id)
        await self.store.update(handoff.id, noticed_at=iso(now))
        return say("handoff.still_waiting", lang, position=ahead + 1)


_WHY = frozenset({"incident", "regulatory", "high_value_urgent", "frustration", "technical_fault"})


def _level(handoff: HandoffRecord) -> Level:
    return next((level for level in LEVELS if level == handoff.level), "normal")
