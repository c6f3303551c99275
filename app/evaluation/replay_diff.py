"""The pure half of `frontline replay`: how one customer turn was decided (a `Decided`), read from
its stored decision trace and cited articles, and how a baseline and a candidate decision of the
same turn differ. Kept apart from the replay runner so the comparison is testable without a store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from app.core.trace import DecisionTrace

KINDS = ("answer_to_handoff", "handoff_to_answer", "task_to_answer", "answer_to_task", "intent_changed",
         "different_article", "new_refusal", "refusal_lifted", "queue_changed")


@dataclass(frozen=True)
class Decided:
    """What a turn came to: one of answer / handoff / task / refusal, with what it rested on."""
    kind: str
    intent: str | None = None
    articles: tuple[str, ...] = ()
    queue: str | None = None

    @classmethod
    def of(cls, trace: DecisionTrace, articles: Iterable[str] = ()) -> Decided:
        action = trace.decision.action if trace.decision else ""
        if trace.handoff is not None:
            kind = "handoff"
        elif action.startswith("refuse"):
            kind = "refusal"
        elif trace.task is not None:
            kind = "task"
        else:
            kind = "answer"
        return cls(kind, trace.intent.name if trace.intent else None, tuple(sorted(set(articles))),
                   trace.handoff.queue if trace.handoff else None)


def changes(before: Decided, after: Decided) -> list[str]:
    """Every change kind (KINDS) between two decisions of one turn; empty: the turn decides the same."""
    found = []
    pair = (before.kind, after.kind)
    simple = {("answer", "handoff"): "answer_to_handoff", ("handoff", "answer"): "handoff_to_answer",
              ("task", "answer"): "task_to_answer", ("answer", "task"): "answer_to_task"}
    if pair in simple:
        found.append(simple[pair])
    if after.kind == "refusal" and before.kind != "refusal":
        found.append("new_refusal")
    if before.kind == "refusal" and after.kind != "refusal":
        found.append("refusal_lifted")
    if before.intent != after.intent:
        found.append("intent_changed")
    if before.kind == after.kind == "answer" and before.articles != after.articles:
        found.append("different_article")
    if before.kind == after.kind == "handoff" and before.queue != after.queue:
        found.append("queue_changed")
    return found


@dataclass
class Example:
    conversation: str
    text: str
    before: Decided
    after: Decided


@dataclass
class ReplayDiff:
    """Counts and examples of changed decisions, and the KPIs on both sides."""
    examples_per_kind: int = 3
    turns: int = 0
    changed: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[Example]] = field(default_factory=dict)
    _before: list[Decided] = field(default_factory=list)
    _after: list[Decided] = field(default_factory=list)

    def add(self, conversation: str, text: str, before: Decided, after: Decided) -> list[str]:
        self.turns += 1
        self._before.append(before)
        self._after.append(after)
        found = changes(before, after)
        self.changed += bool(found)
        for kind in found:
            self.counts[kind] += 1
            shown = self.examples.setdefault(kind, [])
            if len(shown) < self.examples_per_kind:
                shown.append(Example(conversation[:8], _short(text), before, after))
        return found

    def kpis(self) -> dict[str, tuple[float, float]]:
        """Each rate as (baseline, candidate), 0..1."""
        return {name: (rate(self._before), rate(self._after)) for name, rate in KPIS.items()}


def _rate(test: Callable[[Decided], bool]) -> Callable[[Sequence[Decided]], float]:
    def rate(decisions: Sequence[Decided]) -> float:
        return sum(map(test, decisions)) / len(decisions) if decisions else 0.0
    return rate


KPIS = {
    "handoff_rate": _rate(lambda d: d.kind == "handoff"),
    "answer_with_citation_rate": _rate(lambda d: d.kind == "answer" and bool(d.articles)),
    "refusal_rate": _rate(lambda d: d.kind == "refusal"),
    "task_rate": _rate(lambda d: d.kind == "task"),
}


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"
