"""One worker thread for the CPU-bound work of customer turns, shortest job first.

A turn's pure-Python reading of the message (the injection patterns, escalation signals,
entities, sentiment), its language detection and its intent embedding take milliseconds per
thousand characters. Run on the event loop, a long message holds every other chat's socket
traffic for that long; run here, the loop keeps serving while the work is done.

- One thread, not a pool: every thread that runs Python competes with the event loop for the
  interpreter lock, so one worker is the least the loop shares it with.
- Each job comes with an estimate of its cost, and jobs are taken in the order they would
  finish if each ran alone from when it arrived (arrival plus estimate): a greeting's triage
  never waits behind a queue of 3,000-character messages, and a long message still waits only
  for the jobs that were due before it, not for every short one that comes after.
- A job estimated under INLINE_BELOW runs at once on the caller's thread: handing it to the
  worker and back would cost the caller more than the work (and, with the worker busy, wait
  for the job in progress).
- While its worker runs, the interpreter hands the lock over every SWITCH_INTERVAL instead of
  Python's 5 ms: the event loop, woken by a socket or a database reply, waits at most that
  long for the worker's Python to let it run. Every trip to the database's thread pays it
  twice (there and back), and a transaction holds the write lock across its trips: at 1 ms,
  a greeting beside four long messages waited 120 ms (p50), most of it to store itself; at
  0.2 ms it waits about 65 ms, with the same turns/s (docs/benchmarks.md).

The job runs in a copy of the caller's context, as `asyncio.to_thread` does: the log lines
and spans it writes keep the turn's tenant and conversation.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

INLINE_BELOW = 0.0005  # seconds of estimated work: cheaper to do than to hand over
SWITCH_INTERVAL = 0.0002  # seconds; Python's default is 0.005


class CpuLane:
    """A single worker thread whose queue is ordered by estimated finish time."""

    def __init__(self, name: str = "frontline-cpu", clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._clock = clock
        self._order = itertools.count()  # equal estimates: first come, first served
        self._jobs: list[tuple[float, int, Callable[[], Any], Future[Any]]] = []
        self._ready = threading.Condition()
        self._worker: threading.Thread | None = None
        os.register_at_fork(after_in_child=self._forget_worker)

    async def run(self, fn: Callable[..., T], *args: Any, cost: float) -> T:
        """`fn(*args)`, on the worker thread unless `cost` (estimated seconds) is under INLINE_BELOW."""
        if cost < INLINE_BELOW:
            return fn(*args)
        context = contextvars.copy_context()
        return await asyncio.wrap_future(self.submit(context.run, fn, *args, cost=cost))

    def submit(self, fn: Callable[..., T], *args: Any, cost: float) -> Future[T]:
        """`fn(*args)` queued for the worker thread, whatever its cost."""
        future: Future[T] = Future()
        due = self._clock() + cost
        with self._ready:
            if self._worker is None:  # started with the first job
                sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
                self._worker = threading.Thread(target=self._work, name=self.name, daemon=True)
                self._worker.start()
            heapq.heappush(self._jobs, (due, next(self._order), lambda: fn(*args), future))
            self._ready.notify()
        return future

    def _forget_worker(self) -> None:
        """In a forked child: no worker thread (fork copies none), and the parent's jobs are the parent's."""
        self._ready = threading.Condition()
        self._jobs = []
        self._worker = None

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._jobs:
                    self._ready.wait()
                _, _, job, future = heapq.heappop(self._jobs)
            if not future.set_running_or_notify_cancel():  # the turn was cancelled meanwhile
                continue
            try:
                result = job()
            except BaseException as exc:  # handed to the awaiting turn, as an executor does
                future.set_exception(exc)
            else:
                future.set_result(result)


TURN_WORK = CpuLane("frontline-turn-cpu")
"""The lane every customer turn's CPU-bound work runs in."""
