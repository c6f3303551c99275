"""Background loops stop when cancelled, even when a library they call swallows the cancellation.

Seen in the replica tests: a webhook dispatcher whose lease call into the Redis client lost
the cancellation kept running, and the shutdown waiting for it never ended.
"""

from __future__ import annotations

import asyncio

import pytest

from app.core.waiting import pause, wait_for_event


async def swallows_cancellation() -> None:
    """A library call that catches CancelledError and returns normally."""
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:
        pass


@pytest.mark.parametrize("wait", ["event", "pause"])
async def test_a_loop_stops_even_if_a_call_swallowed_its_cancellation(wait):
    event = asyncio.Event()
    rounds = 0

    async def loop() -> None:
        nonlocal rounds
        while True:
            rounds += 1
            await swallows_cancellation()
            if wait == "event":
                await wait_for_event(event, 0.01)
            else:
                await pause(0.01)

    task = asyncio.create_task(loop())
    await asyncio.sleep(0.05)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done and task.cancelled(), f"still running after {rounds} rounds"


async def test_wait_for_event_returns_when_set_and_after_its_timeout():
    event = asyncio.Event()
    assert await wait_for_event(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_for_event(event, 5) is True
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]  # its waiter is gone


async def test_a_cancellation_during_the_wait_propagates_at_once():
    task = asyncio.create_task(wait_for_event(asyncio.Event(), 30))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
