"""Decision traces made readable: one formatting for the CLI and the agent console.

A decision trace (app/core/trace.py, stored with every assistant reply) holds language, intent,
entities, sentiment, priority, decision, guardrail verdicts, retrieval, model usage and stage
latencies, and the versions of the files that decided it. `frontline trace`, `frontline
triage`, the handoff packet and the console's `/trace` all render it through `rows`, so they
say the same thing the same way. Every part is optional: older traces and refused inputs
carry fewer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from app.core.domain import ConversationId, Message, MessageId, Role
from app.core.trace import DecisionTrace
from app.store import ConversationStore

Row = tuple[str, str]  # (label, value), plain text

__all__ = ["TURN_FIELDS", "UNDERSTOOD_FIELDS", "TurnTrace", "as_markdown", "as_text", "assistant_turns",
           "escape", "first_line", "rows", "turn_markdown", "turn_text", "understood_markdown", "when"]


def _num(value: float | None, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "?"


def _intent(trace: DecisionTrace) -> str | None:
    intent = trace.intent
    if intent is None:
        return None
    runners = list(intent.runners_up)
    method = (intent.method or "").replace("sentence-transformers/", "")
    if intent.name:
        text = f"{intent.name} {_num(intent.confidence)}"
    else:
        why = "out of scope" if intent.out_of_scope else "not confident enough"
        text = f"none ({why}"
        if runners:
            text += f"; closest {runners[0][0]} {_num(runners[0][1])}"
            runners = runners[1:]
        text += ")"
    if method:
        text += f" via {method}"
    shown = [f"{name} {_num(p)}" for name, p in runners[:3]]
    if shown:
        text += " · runners-up " + ", ".join(shown)
    return text


def _language(trace: DecisionTrace) -> str | None:
    lang = trace.language
    if lang is None:
        return None
    value, detected = lang.value or "?", lang.detected
    if not detected:
        return f"{value} (kept: too little text to detect)"
    seen = f"detected {detected} {_num(lang.confidence)}"
    if lang.switched:
        return f"{value} ({seen}, switched)"
    if detected != value:
        return f"{value} (kept; {seen})"
    return f"{value} ({seen})"


def _entities(trace: DecisionTrace) -> str | None:
    found = trace.entities
    if found is None:
        return None
    parts = []
    for values, label in ((found.order_ids, "order"), (found.invoice_ids, "invoice"), (found.dates, "date")):
        if values:
            parts.append(f"{label} {', '.join(values)}")
    if found.amounts:
        amounts = [f"{a.value} {a.currency or ''}".strip() for a in found.amounts]
        parts.append(f"amount {', '.join(amounts)}")
    if found.emails:
        parts.append(f"{len(found.emails)} email address(es), redacted")
    return "; ".join(parts) or "none"


def _sentiment(trace: DecisionTrace) -> str | None:
    mood = trace.sentiment
    if mood is None:
        return None
    text = f"{mood.label or '?'} {_num(mood.score)} · frustration {_num(mood.frustration)}"
    if mood.signals:
        text += f" ({', '.join(mood.signals)})"
    return text


def _priority(trace: DecisionTrace) -> str | None:
    priority = trace.priority
    if priority is None:
        return None
    text = f"{priority.level or '?'} {'?' if priority.score is None else priority.score}"
    scored = [f"{name} {points}" for name, points in priority.parts.items() if points]
    return text + (" = " + " + ".join(scored) if scored else " (no factor applies)")


def _decision(trace: DecisionTrace) -> str | None:
    decision = trace.decision
    if decision is None:
        return None
    text = f"{decision.action} · rule {decision.rule or '?'}"
    if decision.policy_version:
        text += f" · policy {decision.policy_version}"
    if decision.queue:
        text += f" · queue {decision.queue}"
    if decision.reason:
        text += f" — {decision.reason}"
    return text


def _blocked(trace: DecisionTrace) -> str | None:
    verdicts = [v for v in trace.guardrails or () if not v.allowed]
    if not verdicts:
        return None
    return "; ".join(v.check + (f": {v.reason}" if v.reason else "") for v in verdicts)


def _task(trace: DecisionTrace) -> str | None:
    task = trace.task
    if task is None:
        return None
    text = f"{task.flow or 'flow finished'} · {task.outcome}"
    if task.awaiting:
        text += f" · waiting for {task.awaiting}"
    return text


def _actions(trace: DecisionTrace) -> str | None:
    if not trace.actions:
        return None
    described = []
    for action in trace.actions:
        targets = [str(t) for t in action.order_ids or []]
        if action.target and str(action.target) not in targets:
            targets.append(str(action.target))
        described.append(f"{action.tool or '?'} {action.outcome or '?'}"
                         + (f" ({', '.join(targets)})" if targets else ""))
    return "; ".join(described)


def _retrieval(trace: DecisionTrace) -> str | None:
    hits = trace.retrieval
    if hits is None:
        return None
    if not hits:
        return "no passages found"
    count = f"{len(hits)} passage{'s' if len(hits) != 1 else ''}"
    return f"top {hits[0].doc} similarity {_num(hits[0].similarity)} ({count})"


def _llm(trace: DecisionTrace) -> str | None:
    llm = trace.llm
    if llm is None:
        return None
    if llm.skipped:
        return f"skipped: {llm.skipped}"
    if llm.error:
        return f"failed, answered grounded: {llm.error}"
    text = f"{llm.model or '?'} · prompt {llm.prompt_version or '?'}"
    if llm.prompt_tokens is not None or llm.completion_tokens is not None:
        text += f" · {llm.prompt_tokens or 0} + {llm.completion_tokens or 0} tokens"
    if llm.cost_usd is not None:
        text += f" · ${llm.cost_usd:.4f}"
    if llm.rounds is not None and llm.rounds > 1:
        text += f" · {llm.rounds} rounds"
    return text


def _latency(trace: DecisionTrace) -> str | None:
    latency = trace.latency_ms
    if isinstance(latency, int | float):
        return f"{latency:.0f} ms"
    if not latency:
        return None
    total = sum(latency.values())
    return f"{total:.0f} ms (" + ", ".join(f"{k} {v:.0f}" for k, v in latency.items()) + ")"


def _mode(trace: DecisionTrace) -> str | None:
    return trace.mode or None


def _versions(trace: DecisionTrace) -> str | None:
    """Which files decided (their content hashes): `frontline versions` says when each was in effect."""
    versions = trace.versions
    if versions is None:
        return None
    named = [(kind, getattr(versions, kind)) for kind in ("intents", "actions", "handoff", "knowledge", "prompt")]
    return " · ".join(f"{kind} {value}" for kind, value in named if value) or None


_FIELDS: dict[str, Callable[[DecisionTrace], str | None]] = {
    "mode": _mode, "intent": _intent, "language": _language, "entities": _entities,
    "sentiment": _sentiment, "priority": _priority, "decision": _decision, "blocked by": _blocked,
    "task": _task, "actions": _actions, "retrieval": _retrieval, "llm": _llm, "latency": _latency,
    "versions": _versions,
}
TURN_FIELDS = tuple(_FIELDS)
UNDERSTOOD_FIELDS = ("intent", "language", "entities", "sentiment", "priority", "decision")


def _plain(text: str) -> str:
    """One line of printable text: whitespace runs become a space, control characters U+FFFD
    (customer words and model output must not drive the operator's terminal)."""
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in " ".join(text.split()))


def rows(trace: DecisionTrace, fields: Iterable[str] = TURN_FIELDS) -> list[Row]:
    """(label, value) for each of `fields` the trace has, in that order."""
    out = []
    for name in fields:
        value = _FIELDS[name](trace)
        if value is not None:
            out.append((name, _plain(value)))
    return out


def as_text(table: list[Row], indent: str = "") -> str:
    """Aligned `label  value` lines for a terminal."""
    width = max((len(label) for label, _ in table), default=0)
    return "\n".join(f"{indent}{label:<{width}}  {value}" for label, value in table)


# Markdown syntax characters; "_" only where it could start or end emphasis, so identifiers
# such as order_status stay readable in the raw text
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>#|~]|(?<!\w)_|_(?!\w))")


def escape(text: str) -> str:
    """Text shown verbatim inside Markdown (customer words, reasons from a model)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def as_markdown(table: list[Row]) -> str:
    return "\n".join(f"- **{label}** {escape(value)}" for label, value in table)


_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"\*\*|__|`")
_LINE_MARK = re.compile(r"^(?:#{1,6}\s+|>\s*|[-*+]\s+)+")


def first_line(text: str, width: int = 100) -> str:
    """The first non-empty line of a message as plain text (Markdown marks dropped), shortened."""
    line = _plain(next((part for part in text.splitlines() if part.strip()), ""))
    line = _EMPHASIS.sub("", _LINK.sub(r"\1", _LINE_MARK.sub("", line)))
    return line if len(line) <= width else line[:width - 1].rstrip() + "…"


def when(created_at: str) -> str:
    """'2026-11-20T14:02:11.123Z' -> '2026-11-20 14:02:11 UTC'."""
    return created_at[:19].replace("T", " ") + " UTC" if len(created_at) >= 19 else created_at


def understood_markdown(trace: DecisionTrace, fields: Iterable[str] = UNDERSTOOD_FIELDS) -> str:
    """The handoff packet's block: what the assistant understood, and why it handed over."""
    handed_over = trace.decision is not None and trace.decision.action == "handoff"
    title = "Why the assistant handed over" if handed_over else "What the assistant understood"
    return f"**{title}** (last assistant turn)\n" + as_markdown(rows(trace, fields))


@dataclass(frozen=True)
class TurnTrace:
    """One assistant reply, the customer message it answered, and its stored trace."""

    reply: Message
    asked: Message | None
    trace: DecisionTrace | None

    def as_json(self) -> dict[str, Any]:
        return {"message_id": self.reply.id, "created_at": self.reply.created_at,
                "reply": first_line(self.reply.content, 200),
                "customer_message": self.asked.content if self.asked else None,
                "trace": self.trace.stored() if self.trace else None}


async def assistant_turns(conversations: ConversationStore, conversation_id: str) -> list[TurnTrace]:
    """The conversation's assistant turns with their traces, oldest first.

    Messages stored in the same millisecond (a refusal is that fast) keep their insertion
    order, so every reply is paired with the customer message it answered.
    """
    found = await conversations.db.fetch_all(
        "SELECT m.id, m.role, m.author, m.content, m.created_at, m.metadata, t.trace"
        " FROM messages m LEFT JOIN decision_traces t ON t.message_id = m.id"
        " WHERE m.conversation_id = ? ORDER BY m.created_at, m.rowid", (conversation_id,))
    turns: list[TurnTrace] = []
    asked: Message | None = None
    for row in found:
        message = Message(MessageId(row["id"]), ConversationId(conversation_id), Role(row["role"]),
                          row["author"], row["content"], row["created_at"], json.loads(row["metadata"]))
        if message.role is Role.CUSTOMER:
            asked = message
        elif message.role is Role.ASSISTANT:
            trace = DecisionTrace.load(json.loads(row["trace"])) if row["trace"] else None
            turns.append(TurnTrace(message, asked, trace))
            asked = None
    return turns


def turn_text(turn: TurnTrace, number: int) -> str:
    head = f"[{number}] {when(turn.reply.created_at)}  reply: {first_line(turn.reply.content)}"
    table: list[Row] = []
    if turn.asked is not None:
        table.append(("customer", first_line(turn.asked.content)))
    table += rows(turn.trace) if turn.trace else [("trace", "none stored")]
    return head + "\n" + as_text(table, indent="    ")


def turn_markdown(turn: TurnTrace) -> str:
    head = f"**{when(turn.reply.created_at)}** · reply: {escape(first_line(turn.reply.content, 80))}"
    table: list[Row] = []
    if turn.asked is not None:
        table.append(("customer", first_line(turn.asked.content, 80)))
    table += rows(turn.trace) if turn.trace else [("trace", "none stored")]
    return head + "\n" + as_markdown(table)
