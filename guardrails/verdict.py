"""A guardrail's verdict, and the runner that applies checks in order.

A check is a small named function returning a Verdict. The runner stops at the first one
that blocks and keeps every verdict for the decision trace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Verdict:
    check: str
    allowed: bool
    reason: str = ""  # for logs and the trace, written for an operator
    reply_key: str | None = None  # the translated sentence the customer sees when blocked

    @classmethod
    def ok(cls, check: str) -> Verdict:
        return cls(check, True)

    def as_trace(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


Check = Callable[[T], Verdict]


def run_checks(checks: Sequence[Check[T]], subject: T) -> tuple[Verdict | None, list[Verdict]]:
    """Apply checks in order; return the first blocking verdict (or None) and all verdicts."""
    verdicts: list[Verdict] = []
    for check in checks:
        verdict = check(subject)
        verdicts.append(verdict)
        if not verdict.allowed:
            return verdict, verdicts
    return None, verdicts
