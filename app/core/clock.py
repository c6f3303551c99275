"""The one clock Frontline reads the time from.

Dates decide what a customer may do (a refund's 30-day window, a renewal, an SLA), so
they must come from one place that tests and demos can set: `app/services.py` builds the
clock once, passes it to the parts that reason about time (engine, triage, the action
ledger, the demo connector, webhook retries) and installs it as the process clock, which
the store's timestamps (`app.core.domain.utcnow`) read.

Security expiry (identity tokens, JWTs) stays on the operating system's time on purpose:
a clock set for a demo must never make an expired credential valid again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime

Clock = Callable[[], datetime]  # returns an aware UTC datetime


def system_clock() -> datetime:
    return datetime.now(UTC)


class StartingAt:
    """A clock that reads `start` when built and then advances with real (monotonic) time:
    results are reproducible on any calendar day, and durations still pass."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock start must carry its time zone (e.g. 2026-11-21T12:00:00Z)")
        self.start = start.astimezone(UTC)
        self._origin = time.monotonic()

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.start.timestamp() + time.monotonic() - self._origin, UTC)

    def __repr__(self) -> str:
        return f"StartingAt({self.start.isoformat()})"


_installed: Clock = system_clock


def install(clock: Clock) -> Clock:
    """Make `clock` the process clock; returns the previous one (to restore it)."""
    global _installed
    previous, _installed = _installed, clock
    return previous


def now() -> datetime:
    """The process clock's current instant."""
    return _installed()


def today(clock: Clock | None = None) -> date:
    return (clock or _installed)().date()


def stamp(moment: datetime) -> str:
    """The store's timestamp format: ISO-8601 UTC with milliseconds, sortable and JSON-ready."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
