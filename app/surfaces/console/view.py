"""How the agent console shows the queue and a handoff packet (Markdown for Chainlit).

Pure functions of stored facts, so what an agent reads is exactly what the Queue API
returns for the same conversation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.conversation import trace_view
from app.core.language_data import language_name
from app.core.trace import DecisionTrace
from app.handoff.packet import HandoffPacket
from app.store.handoffs import QueueEntry, parse_iso

LEVEL_MARK = {"urgent": "🔴 urgent", "high": "🟠 high", "normal": "🟢 normal", "low": "⚪ low"}
TRANSCRIPT_SHOWN = 30
MESSAGE_CHARS = 600


def short(conversation_id: str) -> str:
    return conversation_id[:8]


def due_text(due_at: str | None, now: datetime) -> str:
    """'due in 12 min' or '**overdue 3 min**': the SLA clock as an agent reads it."""
    if not due_at:
        return "no SLA"
    minutes = round((parse_iso(due_at) - now).total_seconds() / 60)
    if minutes < 0:
        return f"**overdue {-minutes} min**"
    return f"due in {minutes} min" if minutes < 120 else f"due in {minutes // 60} h {minutes % 60} min"


def queue_line(entry: QueueEntry, now: datetime) -> str:
    c, h = entry.conversation, entry.handoff
    follow = (h.follow_up or {}).get("status")
    extra = f" · ticket {(h.follow_up or {}).get('ticket')}" if follow == "ticket" else (
        " · waiting for email" if follow == "awaiting_email" else "")
    incident = " · ⚠ incident" if h.incident_id else ""
    return (f"- `{short(c.id)}` · {LEVEL_MARK.get(h.level, h.level)} · {h.queue} · {due_text(h.due_at, now)} · "
            f"{c.tenant} · {c.language or '?'} · {c.channel}{incident}{extra}\n  {h.trigger or 'request'}: {h.reason}")


def _customer_line(packet: HandoffPacket) -> str:
    customer = packet.customer
    if customer is None:
        return f"Verified customer `{packet.customer_id}`" if packet.customer_id else "Guest (not signed in)"
    renewal = f", renews {customer['renewal_date']}" if customer.get("renewal_date") else ""
    return (f"{customer['name']} (`{customer['id']}`) · {customer['plan']} · "
            f"${customer['annual_contract_value']:,.0f}/year · {customer['sla_tier']} SLA{renewal}")


def _triage_score(why: DecisionTrace | None) -> str:
    """The triage score behind the level, without triage's own level: the handoff's level is
    the conversation's priority (it may be raised by the trigger), shown once."""
    priority = why.priority if why is not None else None
    if priority is None:
        return ""
    parts = [f"{name} {points}" for name, points in priority.parts.items() if points]
    score = "?" if priority.score is None else priority.score
    return f" (triage score {score}{' = ' + ' + '.join(parts) if parts else ''})"


def _entities_line(entities: dict[str, list[Any]]) -> str:
    shown = []
    for kind, values in entities.items():
        if kind == "amounts":
            values = [f"{v['value']} {v.get('currency') or ''}".strip() for v in values]
        shown.append(f"{kind.replace('_', ' ')}: {', '.join(map(str, values))}")
    return "; ".join(shown) or "none"


def render_packet(packet: HandoffPacket, now: datetime) -> str:
    h = packet.handoff
    why = DecisionTrace.load(packet.why) if packet.why else None
    mood = packet.sentiment
    lines = [
        f"**Conversation `{short(packet.conversation_id)}`** · {packet.tenant} · "
        f"{language_name(packet.language)} · channel: {packet.channel}",
        f"> {packet.summary}",
        "",
        f"**Customer:** {_customer_line(packet)}",
    ]
    if h:
        level = LEVEL_MARK.get(h.get("level", ""), h.get("level")) + _triage_score(why)
        lines.append(f"**Queue:** {h.get('queue')} · {level} · {due_text(h.get('due_at'), now)} · "
                     f"trigger {h.get('trigger')} · policy {h.get('policy_version')}")
        if h.get("follow_up"):
            lines.append(f"**Follow-up:** {h['follow_up']}")
    lines += [
        f"**Intent:** {packet.intent or '—'} · **Entities:** {_entities_line(packet.entities)}",
        f"**Tried:** {'; '.join(packet.tried) or 'nothing yet'}",
        f"**Sentiment:** {mood['label']} (score {mood['score']}, frustration {mood['frustration']}"
        f"{', ' + ', '.join(mood['signals']) if mood.get('signals') else ''})" if mood else "**Sentiment:** —",
    ]
    if why is not None:
        shown = [f for f in trace_view.UNDERSTOOD_FIELDS if not (h and f == "priority")]  # level: the Queue line
        lines += ["", trace_view.understood_markdown(why, shown)]
    if packet.notes:
        lines += ["", "**Internal notes** (the customer never sees these)"]
        lines += [f"- {n['agent']}: {n['text']}" for n in packet.notes]
    lines += ["", "**Transcript**"]
    for message in packet.transcript[-TRANSCRIPT_SHOWN:]:
        text = message["content"]
        text = text if len(text) < MESSAGE_CHARS else text[:MESSAGE_CHARS] + " …"
        lines.append(f"- **{message['author']}** ({message['role']}): {text}{mail_line(message.get('email'))}")
    return "\n".join(lines)


def mail_line(mail: dict[str, Any] | None) -> str:
    """What an agent needs of a customer's email beside its text: the subject and the attachments,
    listed by name, type and size (nothing in them is opened)."""
    if not mail:
        return ""
    parts = [f"subject “{mail.get('subject') or '(none)'}”"]
    attachments = mail.get("attachments") or []
    if attachments:
        parts.append("attachments: " + "; ".join(
            f"{a['name']} ({a['type']}, {_size(int(a['size']))})" for a in attachments))
    return f"\n  _✉ email, {', '.join(parts)}_"


def _size(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size / 1024:.0f} KB" if size < 1024 ** 2 else f"{size / 1024 ** 2:.1f} MB"


def suggestion_text(suggestion: dict[str, Any]) -> str:
    sources = ", ".join(f"[{s['title']}]({s['url']})" for s in suggestion.get("sources") or ())
    return (f"**Suggested reply** ({suggestion['method']}, {suggestion.get('language') or '?'}) — edit it and press "
            f"Send, or type your own." + (f" Sources: {sources}" if sources else ""))
