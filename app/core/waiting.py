"""How background loops wait between rounds without outliving a cancellation.

A loop told to stop must stop, or shutdown never ends. Two things in the stack can lose the
cancellation: Python 3.11's `asyncio.wait_for`/`asyncio.timeout` when it arrives as the
timeout fires, and a library that catches it mid-call (seen with the Redis client), which
leaves the task marked as cancelling but running. Loops therefore wait with `asyncio.wait`,
which never cancels the waiting task itself, and check the mark before every wait.
"""

from __future__ import annotations

import asyncio


def stop_if_cancelled() -> None:
    """Raise CancelledError if this task was cancelled and something swallowed it."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def wait_for_event(event: asyncio.Event, seconds: float) -> bool:
    """True once `event` is set, False after `seconds`; a cancellation always propagates."""
    stop_if_cancelled()
    if event.is_set():
        return True
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait((waiter,), timeout=seconds)
    finally:
        waiter.cancel()
    return event.is_set()


async def pause(seconds: float) -> None:
    """Sleep between rounds of a background loop; a cancellation always propagates."""
    stop_if_cancelled()
    await asyncio.sleep(seconds)
