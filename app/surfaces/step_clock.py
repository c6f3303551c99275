"""Chainlit's messages and steps are made without stopping every other chat for a millisecond.

Chainlit 2's `Message.__init__` and `Step.__init__` begin with `time.sleep(0.001)`: a blocking
sleep, on the event loop, so that two steps made one after the other get different creation
times. A turn makes about three (the customer's message, the reply, ...), so each turn stood
the whole server still for ~3.3 ms, every other customer's socket traffic included: a
serial cost that no second core can take. Once at start-up, those two modules are given a
`time` whose `sleep` only waits for the clock to move on by one tick (a microsecond), which
is all the creation times need.
"""

from __future__ import annotations

import importlib
import time
from datetime import UTC, datetime
from typing import Any

MODULES = ("chainlit.message", "chainlit.step")  # by name: `chainlit.step` is also a decorator's name


class _TimeWithoutBlockingSleep:
    """The `time` module, but `sleep` returns as soon as the wall clock has moved on."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(_seconds: float) -> None:
        started = datetime.now(UTC)
        while datetime.now(UTC) == started:  # creation times are read at microsecond resolution
            pass


def install() -> None:
    """Idempotent; called where the Chainlit app is wired (app/surfaces/chainlit_app.py)."""
    for name in MODULES:
        importlib.import_module(name).time = _TimeWithoutBlockingSleep()
