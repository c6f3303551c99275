"""Abuse limits that span conversations: widget sessions per address and per tenant, agent
sign-in failures per account and per address.

The per-conversation message limit (guardrails/input.py) could be dodged by opening a new
conversation or a new guest session for every few messages: 2,000 widget sessions in 8 s all
succeeded, each a user row. These limits count per client address and per tenant instead,
and failed agent sign-ins back off exponentially per account and per address. Time comes
from an injected monotonic clock, so tests move it instead of sleeping. State is in memory
and per process, bounded by forgetting idle keys; with FRONTLINE_REDIS_URL set, replicas
count in Redis instead (guardrails/shared_limits.py).
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from guardrails.input import RateLimiter
from guardrails.verdict import Verdict

log = logging.getLogger(__name__)

Clock = Callable[[], float]
MAX_KEYS = 50_000  # beyond this many tracked keys, idle ones are dropped first


class AbuseLimits(BaseModel):
    """FRONTLINE_LIMITS__<NAME> settings; 0 turns a limit off."""

    widget_sessions_per_ip_per_minute: int = Field(default=60, ge=0)
    widget_sessions_per_tenant_per_minute: int = Field(default=1200, ge=0)
    conversations_per_identity_per_hour: int = Field(default=20, ge=0)
    messages_per_identity_per_minute: int = Field(default=30, ge=0)
    sign_in_failures_allowed: int = Field(default=5, ge=1, description="then each failure locks for longer")
    sign_in_lockout_seconds: int = Field(default=60, ge=1, description="the first lockout; it doubles")
    sign_in_max_lockout_seconds: int = Field(default=3600, ge=1)
    guest_retention_hours: int = Field(default=24, ge=1, description="guests without a conversation are pruned")


class WindowCounter:
    """At most `limit` events per key within `window` seconds (sliding)."""

    def __init__(self, limit: int, window: float, clock: Clock = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._events: dict[str, deque[float]] = {}

    def hit(self, key: str) -> float:
        """Count one event; 0 if allowed, else the seconds until one more would be (not counted)."""
        if self.limit <= 0:
            return 0.0
        now = self._clock()
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= MAX_KEYS:
                self._forget_idle(now)
            events = self._events[key] = deque()
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= self.limit:
            return max(0.001, self.window - (now - events[0]))
        events.append(now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._events.items() if not v or now - v[-1] >= self.window]:
            del self._events[key]
        while len(self._events) >= MAX_KEYS:  # all busy: drop the oldest keys
            del self._events[next(iter(self._events))]


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class SignInThrottle:
    """Failed sign-ins per account and per address: `allowed` free failures, then each further
    failure locks the key for `lockout` seconds, doubling up to `max_lockout`. A success clears
    the account (not the address: one good password must not unlock guessing at others)."""

    def __init__(self, limits: AbuseLimits, clock: Clock = time.monotonic) -> None:
        self.allowed = limits.sign_in_failures_allowed
        self.lockout, self.max_lockout = limits.sign_in_lockout_seconds, limits.sign_in_max_lockout_seconds
        self._clock = clock
        self._failures: dict[str, _Failures] = {}

    def wait(self, account: str, address: str | None) -> float:
        """Seconds until this account may try from this address again (0: now)."""
        now = self._clock()
        return max([0.0, *(f.locked_until - now for f in self._entries(account, address))])

    def failed(self, account: str, address: str | None) -> float:
        """Record a failure; the lockout it starts, in seconds (0 while failures are still free)."""
        now = self._clock()
        if len(self._failures) >= MAX_KEYS:
            self._forget_idle(now)
        longest = 0.0
        for key in self._keys(account, address):
            entry = self._failures.setdefault(key, _Failures())
            if now - entry.last > self.max_lockout:
                entry.count = 0  # a failure long ago does not count against today
            entry.count, entry.last = entry.count + 1, now
            over = entry.count - self.allowed
            if over > 0:
                seconds = min(self.lockout * 2 ** min(over - 1, 30), self.max_lockout)
                entry.locked_until = max(entry.locked_until, now + seconds)
                longest = max(longest, entry.locked_until - now)
        return longest

    def succeeded(self, account: str) -> None:
        self._failures.pop(account_key(account), None)

    def _keys(self, account: str, address: str | None) -> list[str]:
        return [account_key(account)] + ([f"address:{address}"] if address else [])

    def _entries(self, account: str, address: str | None) -> list[_Failures]:
        return [self._failures[k] for k in self._keys(account, address) if k in self._failures]

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._failures.items() if now - v.last > self.max_lockout]:
            del self._failures[key]


def account_key(account: str) -> str:
    """The key a sign-in lockout is counted under, the same in memory and in Redis."""
    return f"account:{account.strip().lower()[:200]}"


def minutes(seconds: float) -> int:
    """Whole minutes to tell a person to wait (at least 1)."""
    return max(1, math.ceil(seconds / 60))


class WidgetSessionLimits:
    """New widget sessions per client address and per tenant, per minute."""

    def __init__(self, limits: AbuseLimits, clock: Clock = time.monotonic) -> None:
        self.per_address = WindowCounter(limits.widget_sessions_per_ip_per_minute, 60.0, clock)
        self.per_tenant = WindowCounter(limits.widget_sessions_per_tenant_per_minute, 60.0, clock)

    def admit(self, tenant: str, address: str | None) -> float:
        """0 when a session may be created, else seconds to wait."""
        wait = self.per_address.hit(address) if address else 0.0
        if wait:
            log.warning("widget session refused for %s: more than %d per minute from %s", tenant,
                        self.per_address.limit, address)
            return wait
        wait = self.per_tenant.hit(tenant)
        if wait:
            log.warning("widget session refused for %s: more than %d per minute for the tenant", tenant,
                        self.per_tenant.limit)
        return wait


@dataclass
class AbuseGuards:
    """The process's limits, built once with the services (one clock for all of them)."""

    sign_in: SignInThrottle
    widget_sessions: WidgetSessionLimits

    @classmethod
    def from_limits(cls, limits: AbuseLimits, clock: Clock = time.monotonic) -> AbuseGuards:
        return cls(SignInThrottle(limits, clock), WidgetSessionLimits(limits, clock))


class IdentityRateLimiter(RateLimiter):
    """The engine's input limit, per conversation (the base class) and per customer across
    their conversations: messages per minute, and new conversations per hour. A refusal is
    the engine's translated reply (app/core/i18n.py), the message itself is kept."""

    def __init__(self, limits: AbuseLimits, clock: Clock = time.monotonic) -> None:
        super().__init__(clock=clock)
        self.messages = WindowCounter(limits.messages_per_identity_per_minute, 60.0, clock)
        self.conversations_per_hour = limits.conversations_per_identity_per_hour
        self._started: dict[str, OrderedDict[str, float]] = {}  # identity -> conversation -> first seen

    def check(self, key: str, identity: str | None = None) -> Verdict:
        if identity is not None:
            if not self._conversation_allowed(identity, key):
                log.warning("conversation %s refused: %s started more than %d in an hour", key, identity,
                            self.conversations_per_hour)
                return Verdict("rate_limit", False, f"over {self.conversations_per_hour} conversations per hour",
                               "input.too_many_conversations")
            if self.messages.hit(identity):
                log.warning("message in %s refused: %s sent more than %d per minute", key, identity,
                            self.messages.limit)
                return Verdict("rate_limit", False, f"over {self.messages.limit} messages per minute for the "
                               "customer", "input.rate_limited")
        return self._conversation_rate(key)

    def _conversation_rate(self, key: str) -> Verdict:
        """The per-conversation limit (the base class's count; guardrails/shared_limits.py counts it in Redis)."""
        return super().check(key)

    def _conversation_allowed(self, identity: str, conversation: str) -> bool:
        if self.conversations_per_hour <= 0:
            return True
        now = self._clock()
        started = self._started.get(identity)
        if started is None:
            if len(self._started) >= MAX_KEYS:
                self._started.pop(next(iter(self._started)))
            started = self._started[identity] = OrderedDict()
        while started and now - next(iter(started.values())) >= 3600:
            started.popitem(last=False)
        if conversation in started:
            return True
        if len(started) >= self.conversations_per_hour:
            return False
        started[conversation] = now
        return True
