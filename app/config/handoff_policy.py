"""The handoff policy: when the assistant brings in a person, which queue, how urgent, by when.

    version: brightwave-handoff-2026.11.1
    hours: {timezone: Europe/Madrid, open: {mon-fri: "08:00-20:00", sat: "09:00-14:00"}}
    sla_minutes: {urgent: 5, high: 15, normal: 30, low: 120}
    queues:
      general: {label: General support}
      crisis: {label: Incident response, hours: always, sla_minutes: {urgent: 5}}
    triggers:
      human_request: {queue: general, priority: normal}
      incident: {queue: crisis, priority: urgent, customers: 3, window_minutes: 15}
    follow_up: ticket
    webhooks: [{url: https://helpdesk.example/hooks, secret_env: BRIGHTWAVE_WEBHOOK_SECRET}]
    allow_private_webhooks: false   # true: webhooks may go to loopback/private addresses

Every trigger names its queue and the lowest priority it gives; a conversation's own
triage priority can raise it, never lower it. The SLA deadline is the request time plus the
queue's minutes for that priority. Decisions name the policy version they were made under.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.config.webhook_targets import literal_problem
from app.core.config_file import load_config_file

Level = Literal["low", "normal", "high", "urgent"]
LEVELS: tuple[Level, ...] = ("low", "normal", "high", "urgent")  # rank = index: the queue sorts by it
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
WEBHOOK_EVENTS = frozenset({"handoff.requested", "handoff.claimed", "handoff.resolved", "handoff.handed_back",
                            "handoff.follow_up", "incident.opened", "csat.recorded"})


def rank(level: Level) -> int:
    return LEVELS.index(level)


def level_of(rank_value: int) -> Level:
    return LEVELS[max(0, min(len(LEVELS) - 1, rank_value))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Hours(_Strict):
    """Opening hours: `open` maps days ("mon-fri", "sat") to "HH:MM-HH:MM"; unlisted days are closed."""

    timezone: str = "UTC"
    open: dict[str, str] = Field(default_factory=lambda: {"mon-sun": "00:00-24:00"})

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Madrid)") from None
        return value

    @field_validator("open")
    @classmethod
    def _valid_spans(cls, value: dict[str, str]) -> dict[str, str]:
        for days, span in value.items():
            _days(days)
            match = _SPAN.match(span.replace(" ", ""))
            if not match or (int(match[1]), int(match[2])) >= (int(match[3]), int(match[4])):
                raise ValueError(f"{days}: {span!r} is not a span like 08:00-20:00")
        return value

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        day, clock = DAYS[local.weekday()], local.time()
        for days, span in self.open.items():
            if day in _days(days):
                start, end = _span(span)
                if start <= clock and (clock < end or end == time.max):
                    return True
        return False

    def describe(self) -> str:
        return ", ".join(f"{days} {span}" for days, span in self.open.items()) + f" ({self.timezone})"


def _days(spec: str) -> list[str]:
    first, _, last = spec.strip().lower().partition("-")
    if first not in DAYS or (last and last not in DAYS):
        raise ValueError(f"{spec!r}: days are mon..sun, alone or as a range like mon-fri")
    start, end = DAYS.index(first), DAYS.index(last or first)
    return [DAYS[(start + i) % 7] for i in range((end - start) % 7 + 1)]


def _span(span: str) -> tuple[time, time]:
    match = _SPAN.match(span.replace(" ", ""))
    assert match is not None  # validated on load
    end = time.max if match[3] == "24" else time(int(match[3]), int(match[4]))
    return time(int(match[1]), int(match[2])), end


SlaMinutes = dict[Level, int]


class Queue(_Strict):
    label: str = ""
    hours: Hours | Literal["always", "business"] = "business"
    sla_minutes: SlaMinutes = Field(default_factory=dict)  # overrides the policy's per priority
    handle_minutes: float = Field(default=8.0, gt=0, le=480)  # typical time an agent spends per conversation


class Trigger(_Strict):
    queue: str
    priority: Level = "normal"
    enabled: bool = True


class RepeatedFailure(Trigger):
    after: int = Field(default=2, ge=1, le=10)  # unanswered questions or failed tasks in a row


class Frustration(Trigger):
    priority: Level = "high"
    # app/understanding/sentiment.py frustration, 0-1. Negative words alone reach 0.45 at most: the default
    # needs a second signal on top (shouting, "!!!", repeating, failures, a threat to leave).
    threshold: float = Field(default=0.5, gt=0, le=1)


class HighValueUrgent(Trigger):
    """A key account whose issue triage scores as urgent (app/understanding/priority.py: value, SLA, mood,
    money or access blocked) goes straight to a person."""

    priority: Level = "urgent"
    min_contract_value: float = Field(default=10_000, ge=0)
    sla_tiers: list[str] = Field(default_factory=lambda: ["enterprise"])  # count as high value too
    urgency: Level = "urgent"  # the triage priority level from which an issue counts as urgent
    intents: list[str] = Field(default_factory=list)  # if set, only these intents


class Incident(Trigger):
    priority: Level = "urgent"
    customers: int = Field(default=3, ge=2, le=10_000)  # distinct customers reporting the same issue
    window_minutes: float = Field(default=15, gt=0, le=1440)


class Triggers(_Strict):
    human_request: Trigger = Trigger(queue="general")
    repeated_failure: RepeatedFailure = RepeatedFailure(queue="general")
    frustration: Frustration = Frustration(queue="general")
    high_value_urgent: HighValueUrgent = HighValueUrgent(queue="general")
    regulatory: Trigger = Trigger(queue="general", priority="high")
    technical_fault: Trigger = Trigger(queue="general")
    incident: Incident = Incident(queue="general")


class Webhook(_Strict):
    url: str = Field(pattern=r"^https?://", max_length=2000)
    secret_env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]*$", description="the variable holding the signing secret")
    events: list[str] = Field(default_factory=lambda: sorted(WEBHOOK_EVENTS))

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - WEBHOOK_EVENTS)
        if unknown:
            raise ValueError(f"unknown events {unknown}; known: {sorted(WEBHOOK_EVENTS)}")
        return value


class HandoffPolicy(_Strict):
    version: str = Field(min_length=1, max_length=80)
    hours: Hours = Field(default_factory=Hours)
    sla_minutes: SlaMinutes = Field(default_factory=lambda: {"urgent": 5, "high": 15, "normal": 30, "low": 120})
    queues: dict[str, Queue] = Field(default_factory=lambda: {"general": Queue(label="General support")})
    triggers: Triggers = Field(default_factory=Triggers)
    follow_up: Literal["ticket", "none"] = "ticket"  # what happens when no agent is available
    webhooks: list[Webhook] = Field(default_factory=list)
    # Webhooks to loopback, private or link-local (cloud metadata) addresses are refused unless
    # the operator says the helpdesk really lives inside the network (see app/config/webhook_targets.py).
    allow_private_webhooks: bool = False

    @field_validator("sla_minutes")
    @classmethod
    def _every_level(cls, value: SlaMinutes) -> SlaMinutes:
        missing = [level for level in LEVELS if level not in value]
        if missing:
            raise ValueError(f"give minutes for every priority; missing {missing}")
        if any(minutes <= 0 for minutes in value.values()):
            raise ValueError("SLA minutes must be positive")
        return value

    @model_validator(mode="after")
    def _queues_exist(self) -> HandoffPolicy:
        for name in type(self.triggers).model_fields:
            trigger = getattr(self.triggers, name)
            if trigger.queue not in self.queues:
                raise ValueError(f"triggers.{name}.queue: {trigger.queue!r} is not one of the queues "
                                 f"({', '.join(sorted(self.queues))})")
        return self

    @model_validator(mode="after")
    def _public_webhooks(self) -> HandoffPolicy:
        if not self.allow_private_webhooks:
            for index, hook in enumerate(self.webhooks):
                if (problem := literal_problem(hook.url)) is not None:
                    raise ValueError(f"webhooks.{index}.url: {problem}")
        return self

    def queue(self, name: str) -> Queue:
        return self.queues.get(name) or self.queues[self.triggers.human_request.queue]

    def hours_of(self, queue: str) -> Hours:
        hours = self.queue(queue).hours
        if hours == "always":
            return Hours()
        return self.hours if hours == "business" else hours

    def due(self, queue: str, level: Level, requested: datetime) -> datetime:
        """The SLA deadline: when a person must have answered."""
        minutes = self.queue(queue).sla_minutes.get(level) or self.sla_minutes[level]
        return requested + timedelta(minutes=minutes)


DEFAULT_HANDOFF_POLICY = HandoffPolicy(version="builtin-handoff-2026.11", hours=Hours())


def load_handoff_policy(path: Path) -> HandoffPolicy:
    return load_config_file(path, HandoffPolicy, "Handoff policy file")
