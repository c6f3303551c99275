"""Progress of a long CLI step on stderr, readable in a terminal and in a log file alike.

On a terminal a tqdm bar redraws in place. When stderr is a pipe or a file (a cron job, CI,
`docker logs`), a redrawn bar is either suppressed or a mess, and a silent command looks
hung for minutes; there a plain line is printed every `every_items` items or every
`every_seconds` seconds, whichever comes first, and one closing line:

    embedded 120/698 documents (17%), 41 docs/s
    embedded 698 documents in 17.0 s, 41 docs/s
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

EVERY_ITEMS = 50
EVERY_SECONDS = 2.0


class Progress:
    """Counts items done out of `total` and reports them on `stream` (stderr by default)."""

    def __init__(self, total: int, *, label: str = "", stream: TextIO | None = None,
                 every_items: int = EVERY_ITEMS, every_seconds: float = EVERY_SECONDS,
                 now: Callable[[], float] = time.monotonic, terminal: bool | None = None,
                 unit: str = "documents", verb: str = "embedded") -> None:
        self.total, self.done = total, 0
        self.unit, self.verb = unit, verb
        self.rate_unit = "docs/s" if unit == "documents" else f"{unit}/s"
        self.stream = stream if stream is not None else sys.stderr
        self.every_items, self.every_seconds, self.now = every_items, every_seconds, now
        self.started = self.last_time = now()
        self.last_done = 0
        self._bar: Any = None
        if terminal if terminal is not None else self.stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label[-40:], unit="doc" if unit == "documents" else unit.rstrip("s"),
                             file=self.stream)

    def update(self, count: int = 1) -> None:
        self.done += count
        if self._bar is not None:
            self._bar.update(count)
            return
        current = self.now()
        if self.done - self.last_done >= self.every_items or current - self.last_time >= self.every_seconds:
            share = f" ({self.done / self.total:.0%})" if self.total else ""
            print(f"{self.verb} {self.done}/{self.total} {self.unit}{share}, {self._rate(current)}",
                  file=self.stream, flush=True)
            self.last_done, self.last_time = self.done, current

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            return
        current = self.now()
        print(f"{self.verb} {self.done} {self.unit} in {current - self.started:.1f} s, {self._rate(current)}",
              file=self.stream, flush=True)

    def _rate(self, current: float) -> str:
        elapsed = current - self.started
        if elapsed <= 0:
            return f"- {self.rate_unit}"
        rate = self.done / elapsed
        return f"{rate:.0f} {self.rate_unit}" if rate >= 10 else f"{rate:.1f} {self.rate_unit}"

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
