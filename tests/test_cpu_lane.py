"""The turn's CPU lane (app/core/cpu_lane.py): work leaves the event loop's thread, one worker
takes jobs in the order they would finish, and what is too small to hand over runs in place."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from app.core.cpu_lane import INLINE_BELOW, CpuLane

pytestmark = pytest.mark.asyncio

LONG_JOB, SHORT_JOB = 0.020, 0.001  # estimated seconds, both above INLINE_BELOW
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


class HandMovedClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def occupy(lane: CpuLane) -> threading.Event:
    """Hold the lane's worker until the returned event is set, so that jobs queue behind it."""
    release, started = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(10)

    lane.submit(hold, cost=LONG_JOB)
    assert started.wait(10)
    return release


async def test_a_job_runs_on_the_lanes_own_thread_and_returns_its_result():
    lane = CpuLane("test-lane")
    name = await lane.run(lambda a, b: (threading.current_thread().name, a + b), 2, 3, cost=LONG_JOB)
    assert name == ("test-lane", 5)
    assert threading.current_thread().name != "test-lane"


async def test_a_job_too_small_to_hand_over_runs_in_place():
    lane = CpuLane("test-lane")
    where = await lane.run(lambda: threading.current_thread().name, cost=INLINE_BELOW / 2)
    assert where == threading.current_thread().name


async def test_a_failing_job_raises_in_the_awaiting_turn():
    lane = CpuLane("test-lane")

    def fail() -> None:
        raise ValueError("unreadable")

    with pytest.raises(ValueError, match="unreadable"):
        await lane.run(fail, cost=LONG_JOB)
    assert await lane.run(lambda: "still serving", cost=LONG_JOB) == "still serving"


async def test_the_job_sees_the_callers_context():
    lane = CpuLane("test-lane")
    request_id.set("turn-42")
    assert await lane.run(request_id.get, cost=LONG_JOB) == "turn-42"


async def test_a_short_job_overtakes_long_ones_queued_before_it():
    clock = HandMovedClock()
    lane = CpuLane("test-lane", clock=clock)
    order: list[str] = []
    release = occupy(lane)
    long_ones = [lane.submit(order.append, f"long {i}", cost=LONG_JOB) for i in range(3)]
    clock.now += 0.005  # a few milliseconds later, a greeting
    short = lane.submit(order.append, "short", cost=SHORT_JOB)
    release.set()
    for future in [*long_ones, short]:
        future.result(10)
    assert order == ["short", "long 0", "long 1", "long 2"]  # equal estimates: first come, first served


async def test_a_long_job_is_not_overtaken_by_short_ones_that_came_after_it_was_due():
    clock = HandMovedClock()
    lane = CpuLane("test-lane", clock=clock)
    order: list[str] = []
    release = occupy(lane)
    long_one = lane.submit(order.append, "long", cost=LONG_JOB)
    clock.now += LONG_JOB + 0.001  # the long job would be done by now: it goes before these
    later = [lane.submit(order.append, f"short {i}", cost=SHORT_JOB) for i in range(2)]
    release.set()
    for future in [long_one, *later]:
        future.result(10)
    assert order == ["long", "short 0", "short 1"]


async def test_the_job_of_a_cancelled_turn_is_skipped():
    lane = CpuLane("test-lane")
    ran: list[str] = []
    release = occupy(lane)
    waiting = asyncio.create_task(lane.run(ran.append, "cancelled", cost=LONG_JOB))
    await asyncio.sleep(0)  # the job is queued
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    assert await lane.run(ran.append, "next", cost=LONG_JOB) is None
    assert ran == ["next"]
