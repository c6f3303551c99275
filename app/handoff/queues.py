"""Placing a conversation in a queue: its SLA deadline, whether anyone can take it now,
and the wait the customer is told.

The expected wait is an estimate a customer can hold us to, so it is built from what is
known, not guessed:

    wait = pickup + ceil(max(0, ahead + 1 - agents) / agents) × handle_minutes

`ahead` counts the conversations an agent takes first (higher priority, or the same
priority and an earlier deadline); `pickup` is the median time the queue's last claims took
(two minutes until there are three of them); `handle_minutes` is the queue's typical time
per conversation from the policy. Closed hours or no agent online: nobody can take it now,
and the request is captured for follow-up instead (app/handoff/intake.py).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.config.handoff_policy import HandoffPolicy, Level
from app.core.trace import PlacementTrace
from app.store.handoffs import HandoffStore, iso

DEFAULT_PICKUP_MINUTES = 2.0
MIN_SAMPLES = 3

AgentsOnline = Callable[[str], int]  # tenant -> agents serving it who are online now


@dataclass(frozen=True)
class Placement:
    queue: str
    level: Level
    due_at: str
    open_now: bool
    agents_online: int
    ahead: int
    wait_minutes: int | None  # None when nobody can take it now
    hours: str  # the queue's opening hours, to tell a customer when someone is back

    @property
    def available(self) -> bool:
        return self.wait_minutes is not None

    def as_trace(self) -> PlacementTrace:
        return PlacementTrace(queue=self.queue, level=self.level, due_at=self.due_at, open_now=self.open_now,
                              agents_online=self.agents_online, ahead=self.ahead, wait_minutes=self.wait_minutes)


async def place(policy: HandoffPolicy, store: HandoffStore, agents_online: AgentsOnline, *, tenant: str,
                queue: str, level: Level, rank: int, now: datetime) -> Placement:
    due = iso(policy.due(queue, level, now))
    hours = policy.hours_of(queue)
    open_now = hours.is_open(now)
    agents = agents_online(tenant)
    ahead = await store.ahead_of(tenant, queue, rank, due)
    wait = None
    if open_now and agents > 0:
        waits = await store.recent_waits(tenant, queue)
        pickup = statistics.median(waits) / 60 if len(waits) >= MIN_SAMPLES else DEFAULT_PICKUP_MINUTES
        rounds = math.ceil(max(0, ahead + 1 - agents) / agents)
        wait = max(1, round(pickup + rounds * policy.queue(queue).handle_minutes))
    return Placement(queue, level, due, open_now, agents, ahead, wait, hours.describe())
