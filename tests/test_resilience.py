"""The circuit breaker and the retry helper alone (app/core/resilience.py), with an injected clock
and sleep: no test waits. Their use over HTTP is in tests/test_rest_connector.py, and by the
LLM client in tests/test_llm_mode.py and tests/test_translation.py."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest

from app.core.resilience import Backoff, BreakerOpen, BreakerState, CircuitBreaker, parse_retry_after, retry


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Down(Exception):
    """The system failed: counts against the breaker, and is worth another attempt."""


class Refused(Exception):
    """The system answered "no": neither a breaker failure nor worth retrying."""


def counted(exc: Exception) -> bool:
    return isinstance(exc, Down)


async def ok() -> str:
    return "ok"


async def down() -> str:
    raise Down("HTTP 503")


async def refused() -> str:
    raise Refused("HTTP 401")


async def fail(breaker: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(Down):
            await breaker.call(down, is_failure=counted)


# The circuit breaker


async def test_opens_after_consecutive_failures_and_then_fails_fast() -> None:
    clock = Clock()
    breaker = CircuitBreaker(3, 30, name="billing", clock=clock)
    await fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED and breaker.failures == 2
    await fail(breaker)
    assert breaker.state is BreakerState.OPEN and not breaker.allows_call()

    calls = []

    async def reached() -> str:
        calls.append(1)
        return "ok"

    clock.now += 12
    with pytest.raises(BreakerOpen) as refusal:
        await breaker.call(reached, is_failure=counted)
    assert calls == []  # refused without calling
    assert refusal.value.name == "billing" and refusal.value.retry_in == 18
    assert str(refusal.value) == "open after 3 consecutive failures; next try in 18 s"


async def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker(2, 30, name="billing", clock=Clock())
    await fail(breaker)
    assert await breaker.call(ok, is_failure=counted) == "ok"
    await fail(breaker)
    assert breaker.state is BreakerState.CLOSED and breaker.failures == 1


async def test_errors_the_caller_does_not_count_leave_the_breaker_alone() -> None:
    breaker = CircuitBreaker(1, 30, name="billing", clock=Clock())
    for _ in range(3):
        with pytest.raises(Refused):
            await breaker.call(refused, is_failure=counted)
    assert breaker.state is BreakerState.CLOSED and breaker.failures == 0


async def test_half_open_after_the_reset_period_then_a_failed_trial_opens_it_again() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 30, name="billing", clock=clock)
    await fail(breaker)
    clock.now += 29.9
    assert breaker.state is BreakerState.OPEN
    clock.now += 0.1
    assert breaker.state is BreakerState.HALF_OPEN and breaker.allows_call()
    await fail(breaker)  # the trial fails: open for another full period
    assert breaker.state is BreakerState.OPEN
    clock.now += 29
    with pytest.raises(BreakerOpen):
        await breaker.call(ok, is_failure=counted)
    clock.now += 1
    assert await breaker.call(ok, is_failure=counted) == "ok"  # the trial succeeds
    assert breaker.state is BreakerState.CLOSED and breaker.failures == 0


async def test_half_open_lets_one_trial_through_at_a_time() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 10, name="billing", clock=clock)
    await fail(breaker)
    clock.now += 10
    answer = asyncio.Event()

    async def slow_ok() -> str:
        await answer.wait()
        return "ok"

    trial = asyncio.create_task(breaker.call(slow_ok, is_failure=counted))
    await asyncio.sleep(0)  # the trial is in flight
    assert breaker.state is BreakerState.HALF_OPEN and not breaker.allows_call()
    with pytest.raises(BreakerOpen):
        await breaker.call(ok, is_failure=counted)
    answer.set()
    assert await trial == "ok"
    assert breaker.state is BreakerState.CLOSED and breaker.allows_call()


@pytest.mark.parametrize("ending", ["cancelled", "not counted"])
async def test_a_trial_without_a_verdict_frees_the_trial_for_the_next_call(ending: str) -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 10, name="billing", clock=clock)
    await fail(breaker)
    clock.now += 10
    if ending == "cancelled":
        trial = asyncio.create_task(breaker.call(asyncio.Event().wait, is_failure=counted))
        await asyncio.sleep(0)
        assert not breaker.allows_call()
        trial.cancel()
        with pytest.raises(asyncio.CancelledError):
            await trial
    else:
        with pytest.raises(Refused):
            await breaker.call(refused, is_failure=counted)
    assert breaker.state is BreakerState.HALF_OPEN and breaker.allows_call()
    assert await breaker.call(ok, is_failure=counted) == "ok"
    assert breaker.state is BreakerState.CLOSED


def test_state_names_are_the_ones_traces_and_docs_show() -> None:
    assert [s.value for s in BreakerState] == ["closed", "open", "half_open"]
    assert BreakerState.HALF_OPEN == "half_open" and f"{BreakerState.OPEN}" == "open"


# Retries with backoff


class Attempts:
    """An operation that fails with the given exceptions, in order, then answers "ok"."""

    def __init__(self, *failures: Exception) -> None:
        self.failures, self.count = list(failures), 0

    async def __call__(self) -> str:
        self.count += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def sleep(sleeps: list[float]):
    async def record(seconds: float) -> None:
        sleeps.append(seconds)
    return record


def backoff() -> Backoff:
    return Backoff(base=1.0, maximum=3.0, retry_after_cap=10.0, rng=random.Random(3))


async def test_retryable_errors_are_retried_with_growing_waits(sleeps: list[float], sleep) -> None:
    operation = Attempts(Down("1"), Down("2"), Down("3"))
    told = []
    result = await retry(operation, attempts=4, backoff=backoff(), retryable=counted, sleep=sleep,
                         on_retry=lambda attempt, exc, delay: told.append((attempt, str(exc), delay)))
    assert result == "ok" and operation.count == 4
    assert [(a, e) for a, e, _ in told] == [(1, "1"), (2, "2"), (3, "3")]
    assert [d for _, _, d in told] == sleeps
    for wait, full in zip(sleeps, (1.0, 2.0, 3.0), strict=True):  # doubling, jittered, capped at `maximum`
        assert full / 2 <= wait <= full


async def test_the_last_attempts_error_propagates(sleeps: list[float], sleep) -> None:
    operation = Attempts(Down("1"), Down("2"), Down("3"))
    with pytest.raises(Down, match="^3$"):
        await retry(operation, attempts=3, backoff=backoff(), retryable=counted, sleep=sleep)
    assert operation.count == 3 and len(sleeps) == 2


async def test_a_single_attempt_never_waits(sleeps: list[float], sleep) -> None:
    operation = Attempts(Down("1"))
    with pytest.raises(Down):
        await retry(operation, attempts=1, backoff=backoff(), retryable=counted, sleep=sleep)
    assert operation.count == 1 and sleeps == []


async def test_non_retryable_errors_pass_through_at_once(sleeps: list[float], sleep) -> None:
    operation = Attempts(Down("1"), Refused("no"))
    with pytest.raises(Refused, match="no"):
        await retry(operation, attempts=5, backoff=backoff(), retryable=counted, sleep=sleep)
    assert operation.count == 2 and len(sleeps) == 1


async def test_a_retry_after_hint_lengthens_the_wait_up_to_the_cap(sleeps: list[float], sleep) -> None:
    hints = {"soon": 4.0, "late": 120.0}
    operation = Attempts(Down("soon"), Down("late"))
    await retry(operation, attempts=3, backoff=backoff(), retryable=counted, sleep=sleep,
                retry_after=lambda exc: hints[str(exc)])
    assert sleeps == [4.0, 10.0]


async def test_at_least_one_attempt_is_required(sleep) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        await retry(Attempts(), attempts=0, backoff=backoff(), retryable=counted, sleep=sleep)


def test_retry_after_headers_and_backoff_bounds() -> None:
    now = datetime(2026, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:30 GMT", now=lambda: now) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2026 07:27:00 GMT", now=lambda: now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    backoff = Backoff(base=0.2, maximum=1.0, retry_after_cap=5.0, rng=random.Random(7))
    for attempt, full in ((1, 0.2), (2, 0.4), (3, 0.8), (4, 1.0), (9, 1.0)):
        assert full / 2 <= backoff.delay(attempt) <= full
    assert backoff.delay(1, retry_after=30) == 5.0
