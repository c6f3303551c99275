"""Progress lines for a long ingest when stderr is a log, not a terminal."""

from __future__ import annotations

import io

from app.cli.progress import Progress


class Ticks:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def test_a_line_every_n_items_or_every_few_seconds_and_one_summary():
    stream, clock = io.StringIO(), Ticks()
    with Progress(698, stream=stream, every_items=100, every_seconds=2.0, now=clock, terminal=False) as progress:
        for _ in range(120):
            clock.value += 0.01
            progress.update()
        clock.value += 5  # a slow document: a line after two seconds, whatever the count
        progress.update()
    assert stream.getvalue().splitlines() == [
        "embedded 100/698 documents (14%), 100 docs/s",
        "embedded 121/698 documents (17%), 20 docs/s",
        "embedded 121 documents in 6.2 s, 20 docs/s",
    ]


def test_nothing_embedded_still_closes_with_a_summary():
    stream, clock = io.StringIO(), Ticks()
    Progress(3, stream=stream, now=clock, terminal=False).close()
    assert stream.getvalue() == "embedded 0 documents in 0.0 s, - docs/s\n"


def test_a_slow_rate_keeps_a_decimal():
    stream, clock = io.StringIO(), Ticks()
    progress = Progress(10, stream=stream, every_seconds=2.0, now=clock, terminal=False)
    clock.value += 8
    progress.update()
    assert stream.getvalue() == "embedded 1/10 documents (10%), 0.1 docs/s\n"
