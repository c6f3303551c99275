"""The handoff packet: everything an agent needs to pick a conversation up without asking
the customer to repeat a word.

Built from the system of record alone (transcript, decision traces, the handoff row, the
CRM record), so the console, the Queue API and the webhooks all show the same facts. The
three-sentence summary is composed from those facts rather than by a model: it cannot
invent what the customer said, and it reads the same in every answer mode.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from app.core.domain import Conversation, Message, Role
from app.core.language_data import language_name
from app.core.trace import DecisionTrace
from app.store.handoffs import HandoffRecord
from connectors.base import Customer

QUOTE_CHARS = 140
TRIED_ACTIONS = 6  # the latest actions named in "tried"; all of them are in `actions`


@dataclass(frozen=True)
class HandoffPacket:
    conversation_id: str
    tenant: str
    customer_id: str | None  # verified by the company's site; None for a guest
    summary: str  # three sentences: who and what, what was tried, why a person and how urgent
    language: str
    intent: str | None
    entities: dict[str, list[Any]]
    actions: list[dict[str, Any]]  # the actions the assistant tried for the customer, with outcomes
    sentiment: dict[str, Any] | None
    customer: dict[str, Any] | None  # value, plan, SLA tier, renewal; None for a guest
    handoff: dict[str, Any]  # queue, trigger, reason, priority level, SLA deadline, policy version
    transcript: list[dict[str, Any]]
    why: dict[str, Any] | None = None  # the decision trace of the last triaged turn
    suggested_reply: dict[str, Any] | None = None  # added by the desk when an agent opens it
    notes: list[dict[str, Any]] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)  # everything tried, one line each: summary and console read it
    channel: str = "web"  # where the customer writes from: the agent's reply goes out the same way

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def channel_phrase(channel: str) -> str:
    """How the packet says where the customer writes from: "in the web chat", "by email"."""
    return {"web": "in the web chat", "email": "by email"}.get(channel, f"on {channel}")


def _clip(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _merge_entities(traces: list[DecisionTrace]) -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for trace in traces:
        found = trace.entities.model_dump(mode="json") if trace.entities is not None else {}
        for kind, values in found.items():
            bucket = merged.setdefault(kind, [])
            bucket.extend(v for v in values if v not in bucket)
    return {kind: values for kind, values in merged.items() if values}


def _actions(traces: list[DecisionTrace]) -> list[dict[str, Any]]:
    tried = []
    for trace in traces:
        for action in trace.actions or ():
            detail = action.model_dump(mode="json")
            tried.append({k: detail[k] for k in ("tool", "outcome", "reason", "reference", "approval", "order_id",
                                                  "invoice_id", "amount") if detail.get(k) not in (None, "")})
    return tried


def _tried(transcript: list[Message], actions: list[dict[str, Any]]) -> list[str]:
    """What was tried before a person was needed: actions with their outcomes, articles quoted,
    agents who had the conversation before. The one list the summary and the console show."""
    tried = [f"{a['tool']} → {a['outcome']}" + (f" ({a['reference']})" if a.get("reference") else "")
             for a in actions[-TRIED_ACTIONS:]]
    answered = [m for m in transcript if m.role is Role.ASSISTANT and m.metadata.get("citations")]
    articles = sorted({c["title"] for m in answered for c in m.metadata["citations"] if c.get("title")})
    if articles:
        tried.append(f"quoted {', '.join(articles[:3])}")
    agents = sorted({m.author for m in transcript if m.role is Role.AGENT})
    if agents:
        tried.append(f"earlier handled by {', '.join(agents)}")
    return tried


def _tried_sentence(tried: list[str]) -> str:
    return "Tried: " + "; ".join(tried) + "." if tried else "The assistant had not resolved anything yet."


def build_packet(conversation: Conversation, transcript: list[Message], traces: list[DecisionTrace],
                 handoff: HandoffRecord | None, customer: Customer | None,
                 notes: list[dict[str, Any]] | None = None) -> HandoffPacket:
    """`traces` are the decision traces of the conversation's assistant turns, oldest first."""
    triaged = [t for t in traces if t.intent is not None]
    last = triaged[-1] if triaged else None
    intent = last.intent.name if last is not None and last.intent is not None else None
    sentiment = last.sentiment.model_dump(mode="json") if last is not None and last.sentiment is not None else None
    actions = _actions(traces)
    language = conversation.language or "en"
    said = [m for m in transcript if m.role is Role.CUSTOMER]
    who = (f"{customer.name} ({customer.plan}, {customer.sla_tier} SLA)" if customer
           else "A verified customer" if conversation.customer_id else "A guest")
    first = f"{who}, writing in {language_name(language)} {channel_phrase(conversation.channel)}, "
    first += (f"asked about {intent.replace('_', ' ')}" if intent and intent != "question" else "got in touch")
    first += f": “{_clip(said[0].content)}”." if said else "."
    handoff_info: dict[str, Any] = {}
    third = "No handoff has been requested."
    if handoff is not None:
        handoff_info = {"queue": handoff.queue, "trigger": handoff.trigger, "reason": handoff.reason,
                        "level": handoff.level, "due_at": handoff.due_at, "requested_at": handoff.requested_at,
                        "policy_version": handoff.policy_version, "incident_id": handoff.incident_id,
                        "follow_up": handoff.follow_up}
        mood = f"; mood {sentiment['label']} (frustration {sentiment['frustration']})" if sentiment else ""
        third = (f"Handed over ({handoff.trigger or 'request'}): {handoff.reason.rstrip('.')} — "
                 f"{handoff.level} priority, reply due by {handoff.due_at or 'n/a'}{mood}.")
    tried = _tried(transcript, actions)
    summary = " ".join((first, _tried_sentence(tried), third))
    customer_info = None
    if customer is not None:
        customer_info = {"id": customer.id, "name": customer.name, "plan": customer.plan,
                         "annual_contract_value": customer.annual_contract_value,
                         "renewal_date": customer.renewal_date, "sla_tier": customer.sla_tier}
    return HandoffPacket(
        conversation_id=conversation.id, tenant=conversation.tenant, customer_id=conversation.customer_id,
        summary=summary, language=language,
        intent=intent, entities=_merge_entities(triaged), actions=actions, sentiment=sentiment,
        customer=customer_info, handoff=handoff_info,
        transcript=[{"id": m.id, "role": m.role.value, "author": m.author, "content": m.content,
                     "created_at": m.created_at,
                     **({"email": m.metadata["email"]} if m.metadata.get("email") else {})} for m in transcript],
        why=last.stored() if last is not None else None, notes=list(notes or []), tried=tried,
        channel=conversation.channel)
