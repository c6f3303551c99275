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


def test_chunks_counted_in_batches_name_their_unit_and_verb():
    stream, clock = io.StringIO(), Ticks()
    with Progress(128, stream=stream, every_items=64, now=clock, terminal=False, unit="chunks") as progress:
        clock.value += 2.0
        progress.update(64)
        clock.value += 2.0
        progress.update(64)
    assert stream.getvalue().splitlines() == [
        "embedded 64/128 chunks (50%), 32 chunks/s",
        "embedded 128/128 chunks (100%), 32 chunks/s",
        "embedded 128 chunks in 4.0 s, 32 chunks/s",
    ]
    stream = io.StringIO()
    Progress(3, stream=stream, now=clock, terminal=False, verb="indexed").close()
    assert stream.getvalue() == "indexed 0 documents in 0.0 s, - docs/s\n"
