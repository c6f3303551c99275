"""A turn as the support team watches it: one span with a child span per stage, the stage
latencies and the turn count in the metrics, and the tenant and conversation ids on every
log line meanwhile.

The engine's stage loop (`Engine.handle`) runs every stage through `TurnWatch.stage`, so the
stages themselves know nothing of spans or metrics. Spans come from app/core/telemetry.py
(no-op unless an OTLP endpoint is set), series from app/core/metrics.py.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Any

from opentelemetry.trace import Span

from app.conversation.turn import Turn, TurnOutcome, TurnState
from app.core import log_context, metrics, telemetry

log = logging.getLogger(__name__)
TURN_SPAN = "frontline.turn"
STAGE_SPAN = "frontline.stage."  # + the stage's name


class TurnWatch:
    """`async with TurnWatch(turn, tenant_ids) as watch:` around one turn; `await watch.stage(name, fn, *args)`
    runs a stage (sync or async) inside its span; `watch.ended(outcome)` records how it ended."""

    def __init__(self, turn: Turn, tenants: Collection[str]) -> None:
        self.turn = turn
        # the metrics' tenant label: a configured tenant id, whatever the turn claims
        self.tenant = turn.identity.tenant if turn.identity.tenant in tenants else "unknown"
        self.state: TurnState | None = None  # set once the input is stored
        self._ended = False
        self._span_context: AbstractContextManager[Span] | None = None
        self._span: Span | None = None
        self._unbind: Callable[[], None] = lambda: None
        self._started = time.perf_counter()

    async def __aenter__(self) -> TurnWatch:
        tenant, conversation = self.turn.identity.tenant, self.turn.conversation_id
        self._unbind = log_context.bind(tenant, conversation)
        self._span_context = telemetry.tracer().start_as_current_span(
            TURN_SPAN, attributes={"frontline.tenant": tenant, "frontline.conversation_id": conversation})
        self._span = self._span_context.__enter__()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        try:
            if not self._ended:
                self._count("error" if error is not None else "ended")
            assert self._span_context is not None
            self._span_context.__exit__(kind, error, traceback)
        finally:
            self._unbind()

    async def stage(self, name: str, run: Callable[..., Any], *args: Any) -> Any:
        """`run(*args)`, awaited when it returns an awaitable, timed and inside its own span."""
        span = (telemetry.tracer().start_as_current_span(STAGE_SPAN + name, attributes={"frontline.stage": name})
                if telemetry.recording() else nullcontext())
        with span:
            started = time.perf_counter()
            try:
                result = run(*args)
                if inspect.isawaitable(result):
                    result = await result
            finally:
                metrics.current().stage(name, time.perf_counter() - started)
        if isinstance(result, TurnState):
            self.state = result
        return result

    def ended(self, outcome: TurnOutcome, how: str | None = None) -> TurnOutcome:
        """Record the turn's end. `how` defaults to what the outcome shows: handed over, answered,
        or dropped (a person took the conversation while it was answered)."""
        if how is None:
            how = "handoff" if outcome.queued else ("answered" if outcome.reply is not None else "dropped")
        self._count(how)
        return outcome

    def _count(self, how: str) -> None:
        self._ended = True
        state = self.state
        decision = state.decision.action.value if state is not None and state.decision is not None else "none"
        metrics.current().turn(self.tenant, decision, how)
        log.info("turn %s: decision %s, %.0f ms", how, decision, (time.perf_counter() - self._started) * 1000)
        if self._span is not None and self._span.is_recording():
            self._span.set_attribute("frontline.decision", decision)
            self._span.set_attribute("frontline.outcome", how)
            if state is not None:
                self._span.set_attribute("frontline.language", state.lang)
