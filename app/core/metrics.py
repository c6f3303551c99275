"""Prometheus metrics: what a support team watches on a dashboard and alerts on.

The definitions live in the kernel so that every layer, the libraries too (a connector
counting its errors, app/core/resilience.py reporting its breakers), records into the same
place without an upward import. They live in their own registry, not prometheus-client's
global one: a test installs a fresh `Metrics` (`install`) and reads only what its own turn
recorded, and nothing a library registers globally leaks into GET /metrics.

Label values are bounded by configuration and code, never by what a customer typed: tenant
ids (tenant files), stage names, decision actions, queue and trigger names (handoff policy),
connector names and operations (tenant files), breaker names (code). No user id, no
conversation id, no text. docs/operations.md lists every series.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BREAKER_VALUES = {"closed": 0, "half_open": 1, "open": 2}  # the gauge's value per breaker state
# Stage latencies run from well under a millisecond (decide) to seconds (a model's answer).
STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Watched(Protocol):
    """A circuit breaker as the gauge reads it (app/core/resilience.py CircuitBreaker)."""

    name: str

    @property
    def state(self) -> str: ...


_breakers: weakref.WeakSet[Watched] = weakref.WeakSet()  # every live breaker in the process


def watch_breaker(breaker: Watched) -> None:
    """Report `breaker` in frontline_circuit_breaker_state for as long as it lives."""
    _breakers.add(breaker)


class _BreakerStates(Collector):
    """The breakers' states read at scrape time: a breaker turns half-open by the passing of
    time, with no call to record it, so a value set on each transition would go stale."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("frontline_circuit_breaker_state",
                                   "Circuit breaker state: 0 closed, 1 half-open, 2 open "
                                   "(the worst of the breakers sharing a name).", labels=["breaker"])
        worst: dict[str, int] = defaultdict(int)
        for breaker in list(_breakers):
            worst[breaker.name] = max(worst[breaker.name], BREAKER_VALUES.get(str(breaker.state), 0))
        for name, value in sorted(worst.items()):
            family.add_metric([name], value)
        yield family


class Metrics:
    """Every Frontline series, in one registry."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.turns = Counter("frontline_turns", "Customer turns handled, by the decision taken and how the turn ended.",
                             ["tenant", "decision", "outcome"], registry=registry)
        self.stage_seconds = Histogram("frontline_turn_stage_seconds", "Time spent in each stage of a turn.",
                                       ["stage"], buckets=STAGE_BUCKETS, registry=registry)
        self.handoffs = Counter("frontline_handoffs", "Conversations handed to the human queue.",
                                ["tenant", "trigger", "queue"], registry=registry)
        self.sla_breaches = Counter("frontline_sla_breaches",
                                    "Handoffs an agent took only after their SLA deadline had passed.",
                                    ["tenant", "queue"], registry=registry)
        self.llm_tokens = Counter("frontline_llm_tokens", "Model tokens used, prompt and completion.",
                                  ["tenant", "kind"], registry=registry)
        self.llm_cost = Counter("frontline_llm_cost_usd", "Model cost in US dollars (priced models only).",
                                ["tenant"], registry=registry)
        self.connector_errors = Counter("frontline_connector_errors",
                                        "Failed calls to a company system, by connector and operation.",
                                        ["connector", "operation"], registry=registry)
        self.live_sessions = Gauge("frontline_live_sessions", "Chat sessions (customers and agents) open now.",
                                   registry=registry)
        registry.register(_BreakerStates())

    def exposition(self) -> bytes:
        """The registry in Prometheus text format (CONTENT_TYPE)."""
        return generate_latest(self.registry)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float | None:
        """One sample's current value (tests and the docs' examples read series this way)."""
        return self.registry.get_sample_value(name, labels or {})

    # -- recording, one call per event ------------------------------------------------------

    def turn(self, tenant: str, decision: str, outcome: str) -> None:
        self.turns.labels(tenant, decision, outcome).inc()

    def stage(self, stage: str, seconds: float) -> None:
        self.stage_seconds.labels(stage).observe(seconds)

    def handoff(self, tenant: str, trigger: str, queue: str) -> None:
        self.handoffs.labels(tenant, trigger, queue).inc()

    def sla_breach(self, tenant: str, queue: str) -> None:
        self.sla_breaches.labels(tenant, queue).inc()

    def llm_usage(self, tenant: str, prompt_tokens: int, completion_tokens: int, cost_usd: float | None) -> None:
        self.llm_tokens.labels(tenant, "prompt").inc(max(0, prompt_tokens))
        self.llm_tokens.labels(tenant, "completion").inc(max(0, completion_tokens))
        if cost_usd:
            self.llm_cost.labels(tenant).inc(max(0.0, cost_usd))

    def connector_error(self, connector: str, operation: str) -> None:
        self.connector_errors.labels(connector, operation).inc()


_current = Metrics()


def current() -> Metrics:
    """The metrics every part records into (the server's, or a test's)."""
    return _current


def install(metrics: Metrics) -> Metrics:
    """Record into `metrics` from now on; returns the previous ones (a test puts them back)."""
    global _current
    previous, _current = _current, metrics
    return previous
