"""Decision traces made readable: one formatting for the CLI and the agent console.

A decision trace (stored with every assistant reply, see app/engine.py) is a JSON object:
language, intent, entities, sentiment, priority, decision, guardrail verdicts, retrieval,
model usage and stage latencies. `frontline trace`, `frontline triage`, the handoff packet
and the console's `/trace` all render it through `rows`, so they say the same thing the
same way. Every field is optional here: older traces and refused inputs carry fewer keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.domain import ConversationId, Message, MessageId, Role
from app.store import ConversationStore

Trace = Mapping[str, Any]
Row = tuple[str, str]  # (label, value), plain text

__all__ = ["TURN_FIELDS", "UNDERSTOOD_FIELDS", "TurnTrace", "as_markdown", "as_text", "assistant_turns",
           "escape", "first_line", "rows", "turn_markdown", "turn_text", "understood_markdown", "when"]


def _num(value: Any, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "?"


def _intent(trace: Trace) -> str | None:
    intent = trace.get("intent")
    if not isinstance(intent, Mapping):
        return None
    runners = [(str(r[0]), r[1]) for r in intent.get("runners_up") or []
               if isinstance(r, list | tuple) and len(r) == 2]
    method = str(intent.get("method") or "").replace("sentence-transformers/", "")
    if intent.get("name"):
        text = f"{intent['name']} {_num(intent.get('confidence'))}"
    else:
        why = "out of scope" if intent.get("out_of_scope") else "not confident enough"
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


def _language(trace: Trace) -> str | None:
    lang = trace.get("language")
    if not isinstance(lang, Mapping):
        return None
    value, detected = lang.get("value") or "?", lang.get("detected")
    if not detected:
        return f"{value} (kept: too little text to detect)"
    seen = f"detected {detected} {_num(lang.get('confidence'))}"
    if lang.get("switched"):
        return f"{value} ({seen}, switched)"
    if detected != value:
        return f"{value} (kept; {seen})"
    return f"{value} ({seen})"


def _entities(trace: Trace) -> str | None:
    found = trace.get("entities")
    if not isinstance(found, Mapping):
        return None
    parts = []
    for key, label in (("order_ids", "order"), ("invoice_ids", "invoice"), ("dates", "date")):
        if found.get(key):
            parts.append(f"{label} {', '.join(str(v) for v in found[key])}")
    if found.get("amounts"):
        amounts = [f"{a.get('value')} {a.get('currency') or ''}".strip() for a in found["amounts"]
                   if isinstance(a, Mapping)]
        parts.append(f"amount {', '.join(amounts)}")
    if found.get("emails"):
        parts.append(f"{len(found['emails'])} email address(es), redacted")
    return "; ".join(parts) or "none"


def _sentiment(trace: Trace) -> str | None:
    mood = trace.get("sentiment")
    if not isinstance(mood, Mapping):
        return None
    text = (f"{mood.get('label', '?')} {_num(mood.get('score'))} · frustration "
            f"{_num(mood.get('frustration'))}")
    if mood.get("signals"):
        text += f" ({', '.join(str(s) for s in mood['signals'])})"
    return text


def _priority(trace: Trace) -> str | None:
    priority = trace.get("priority")
    if not isinstance(priority, Mapping):
        return None
    text = f"{priority.get('level', '?')} {priority.get('score', '?')}"
    parts = priority.get("parts") or {}
    scored = [f"{name} {points}" for name, points in parts.items() if points]
    return text + (" = " + " + ".join(scored) if scored else " (no factor applies)")


def _decision(trace: Trace) -> str | None:
    decision = trace.get("decision")
    if not isinstance(decision, Mapping):
        return None
    text = f"{decision.get('action', '?')} · rule {decision.get('rule', '?')}"
    if decision.get("policy_version"):
        text += f" · policy {decision['policy_version']}"
    if decision.get("queue"):
        text += f" · queue {decision['queue']}"
    if decision.get("reason"):
        text += f" — {decision['reason']}"
    return text


def _blocked(trace: Trace) -> str | None:
    verdicts = [v for v in trace.get("guardrails") or []
                if isinstance(v, Mapping) and v.get("allowed") is False]
    if not verdicts:
        return None
    return "; ".join(f"{v.get('check', '?')}" + (f": {v['reason']}" if v.get("reason") else "")
                     for v in verdicts)


def _task(trace: Trace) -> str | None:
    task = trace.get("task")
    if not isinstance(task, Mapping):
        return None
    text = f"{task.get('flow') or 'flow finished'} · {task.get('outcome', '?')}"
    if task.get("awaiting"):
        text += f" · waiting for {task['awaiting']}"
    return text


def _actions(trace: Trace) -> str | None:
    done = [a for a in trace.get("actions") or [] if isinstance(a, Mapping)]
    if not done:
        return None
    described = []
    for action in done:
        targets = [str(t) for t in action.get("order_ids") or []]
        if action.get("target") and str(action["target"]) not in targets:
            targets.append(str(action["target"]))
        described.append(f"{action.get('tool', '?')} {action.get('outcome', '?')}"
                         + (f" ({', '.join(targets)})" if targets else ""))
    return "; ".join(described)


def _retrieval(trace: Trace) -> str | None:
    hits = trace.get("retrieval")
    if not isinstance(hits, list):
        return None
    if not hits:
        return "no passages found"
    top = hits[0] if isinstance(hits[0], Mapping) else {}
    count = f"{len(hits)} passage{'s' if len(hits) != 1 else ''}"
    return f"top {top.get('doc', '?')} similarity {_num(top.get('similarity'))} ({count})"


def _llm(trace: Trace) -> str | None:
    llm = trace.get("llm")
    if not isinstance(llm, Mapping):
        return None
    if llm.get("skipped"):
        return f"skipped: {llm['skipped']}"
    if llm.get("error"):
        return f"failed, answered grounded: {llm['error']}"
    text = f"{llm.get('model', '?')} · prompt {llm.get('prompt_version', '?')}"
    if llm.get("prompt_tokens") is not None or llm.get("completion_tokens") is not None:
        text += f" · {llm.get('prompt_tokens', 0)} + {llm.get('completion_tokens', 0)} tokens"
    if isinstance(llm.get("cost_usd"), int | float):
        text += f" · ${llm['cost_usd']:.4f}"
    if isinstance(llm.get("rounds"), int) and llm["rounds"] > 1:
        text += f" · {llm['rounds']} rounds"
    return text


def _latency(trace: Trace) -> str | None:
    latency = trace.get("latency_ms")
    if isinstance(latency, int | float):
        return f"{latency:.0f} ms"
    if not isinstance(latency, Mapping) or not latency:
        return None
    stages = {k: v for k, v in latency.items() if isinstance(v, int | float)}
    total = sum(stages.values())
    return f"{total:.0f} ms (" + ", ".join(f"{k} {v:.0f}" for k, v in stages.items()) + ")"


def _mode(trace: Trace) -> str | None:
    mode = trace.get("mode")
    return str(mode) if mode else None


_FIELDS: dict[str, Callable[[Trace], str | None]] = {
    "mode": _mode, "intent": _intent, "language": _language, "entities": _entities,
    "sentiment": _sentiment, "priority": _priority, "decision": _decision, "blocked by": _blocked,
    "task": _task, "actions": _actions, "retrieval": _retrieval, "llm": _llm, "latency": _latency,
}
TURN_FIELDS = tuple(_FIELDS)
UNDERSTOOD_FIELDS = ("intent", "language", "entities", "sentiment", "priority", "decision")


def _plain(text: str) -> str:
    """One line of printable text: whitespace runs become a space, control characters U+FFFD
    (customer words and model output must not drive the operator's terminal)."""
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in " ".join(text.split()))


def rows(trace: Trace, fields: Iterable[str] = TURN_FIELDS) -> list[Row]:
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


def understood_markdown(trace: Trace, fields: Iterable[str] = UNDERSTOOD_FIELDS) -> str:
    """The handoff packet's block: what the assistant understood, and why it handed over."""
    decision = trace.get("decision")
    handed_over = isinstance(decision, Mapping) and decision.get("action") == "handoff"
    title = "Why the assistant handed over" if handed_over else "What the assistant understood"
    return f"**{title}** (last assistant turn)\n" + as_markdown(rows(trace, fields))


@dataclass(frozen=True)
class TurnTrace:
    """One assistant reply, the customer message it answered, and its stored trace."""

    reply: Message
    asked: Message | None
    trace: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        return {"message_id": self.reply.id, "created_at": self.reply.created_at,
                "reply": first_line(self.reply.content, 200),
                "customer_message": self.asked.content if self.asked else None,
                "trace": self.trace}


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
            turns.append(TurnTrace(message, asked, json.loads(row["trace"]) if row["trace"] else None))
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
