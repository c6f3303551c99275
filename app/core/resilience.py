"""Calling a system that can fail for a while (an LLM provider, a company's API) without
hanging on it or hammering it: a circuit breaker that fails fast while the system is down,
and retries with exponential backoff and jitter.

The caller decides what counts: which exceptions are failures for the breaker and which
are worth another attempt. The breaker's clock, the retry sleep and the jitter's randomness
are injected, so tests neither sleep nor flake.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TypeVar

from app.core import metrics
from app.core.clock import Clock, system_clock

log = logging.getLogger(__name__)

T = TypeVar("T")
Seconds = Callable[[], float]  # a monotonic clock: durations, not dates
Sleep = Callable[[float], Awaitable[None]]


class BreakerState(StrEnum):
    """What a breaker does with the next call. These names are the ones traces, logs and docs show."""

    CLOSED = "closed"  # calls go through
    OPEN = "open"  # calls fail fast, without touching the system
    HALF_OPEN = "half_open"  # the reset period has passed: one trial call goes through


class BreakerOpen(Exception):
    """The breaker refused a call; `retry_in` is how long until it lets a trial through.
    Callers turn it into their own error (ConnectorError, ProviderError)."""

    def __init__(self, name: str, failures: int, retry_in: float) -> None:
        super().__init__(f"open after {failures} consecutive failures; next try in {retry_in:.0f} s")
        self.name, self.failures, self.retry_in = name, failures, retry_in


class CircuitBreaker:
    """Opens after `failures` consecutive failed calls. While open, calls are refused without
    touching the system. After `reset_seconds` it is half-open: one trial call goes through
    (others are still refused); its success closes the breaker, its failure opens it again
    for another period. A call that ends without a verdict (cancelled, or an error the caller
    does not count) frees the trial for the next call."""

    def __init__(self, failures: int, reset_seconds: float, *, name: str, clock: Seconds = time.monotonic) -> None:
        if failures < 1 or reset_seconds <= 0:
            raise ValueError("a circuit breaker needs failures >= 1 and reset_seconds > 0")
        self.threshold, self.reset_seconds, self.name = failures, reset_seconds, name
        self._clock = clock
        self.failures = 0  # consecutive failed calls
        self._opened_at: float | None = None
        self._trial = False  # a half-open trial call is in flight
        metrics.watch_breaker(self)  # frontline_circuit_breaker_state shows it while it lives

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.reset_seconds:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allows_call(self) -> bool:
        """Whether a call made now would be let through (closed, or half-open with no trial in flight)."""
        state = self.state
        return state is BreakerState.CLOSED or (state is BreakerState.HALF_OPEN and not self._trial)

    async def call(self, operation: Callable[[], Awaitable[T]], *, is_failure: Callable[[Exception], bool]) -> T:
        """`operation()` through the breaker. Raises BreakerOpen, without calling, when it must
        fail fast. A return closes the breaker; an exception `is_failure` accepts counts
        against it; any other exception (or a cancellation) leaves the count as it was."""
        trial = self._acquire()
        try:
            result = await operation()
        except Exception as exc:
            if is_failure(exc):
                self._failure(trial)
            elif trial:
                self._trial = False
            raise
        except BaseException:
            if trial:
                self._trial = False
            raise
        self._success()
        return result

    def _acquire(self) -> bool:
        """True when the call is the half-open trial."""
        state = self.state
        if state is BreakerState.CLOSED:
            return False
        if state is BreakerState.HALF_OPEN and not self._trial:
            self._trial = True
            return True
        assert self._opened_at is not None
        retry_in = max(0.0, self.reset_seconds - (self._clock() - self._opened_at))
        raise BreakerOpen(self.name, self.failures, retry_in)

    def _success(self) -> None:
        if self._opened_at is not None:
            log.info("%s circuit breaker closed: calls succeed again", self.name)
        self.failures, self._opened_at, self._trial = 0, None, False

    def _failure(self, trial: bool) -> None:
        self.failures += 1
        if trial:
            self._trial = False
        if trial or (self._opened_at is None and self.failures >= self.threshold):
            self._opened_at = self._clock()
            log.warning("%s circuit breaker open after %d consecutive failed calls; next try in %.0f s",
                        self.name, self.failures, self.reset_seconds)


@dataclass
class Backoff:
    """Exponential backoff with jitter: the wait after attempt n (1-based) is about
    `base * 2**(n-1)`, somewhere between half and all of it, never more than `maximum`. A
    server's Retry-After makes it at least that long, up to `retry_after_cap`."""

    base: float = 0.2
    maximum: float = 5.0
    retry_after_cap: float = 5.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        exponential = min(self.maximum, self.base * 2 ** (attempt - 1))
        jittered = exponential * (0.5 + self.rng.random() / 2)
        if retry_after is not None:
            return max(jittered, min(retry_after, self.retry_after_cap))
        return jittered


def _no_hint(_: Exception) -> float | None:
    return None


def _quiet(_attempt: int, _exc: Exception, _delay: float) -> None:
    return None


async def retry(attempt: Callable[[], Awaitable[T]], *, attempts: int, backoff: Backoff,
                retryable: Callable[[Exception], bool],
                retry_after: Callable[[Exception], float | None] = _no_hint,
                on_retry: Callable[[int, Exception, float], None] = _quiet,
                sleep: Sleep = asyncio.sleep) -> T:
    """`attempt()` up to `attempts` times. After an exception `retryable` accepts it waits
    (`backoff`, at least `retry_after(exc)` when that is known) and tries again; the last
    attempt's exception propagates, and so does any other exception, at once.
    `on_retry(attempt, exc, delay)` is told before each wait, to log it."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    number = 1
    while True:
        try:
            return await attempt()
        except Exception as exc:
            if number >= attempts or not retryable(exc):
                raise
            delay = backoff.delay(number, retry_after(exc))
            on_retry(number, exc, delay)
        await sleep(delay)
        number += 1


def parse_retry_after(value: str | None, now: Clock = system_clock) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable.

    An HTTP date is the remote server's wall time, so it is compared with the system's, not
    with Frontline's (possibly shifted) clock."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())
