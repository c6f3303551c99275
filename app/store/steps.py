"""A write transaction sent as a whole: its statements listed up front, run in one trip.

Inside `async with db.transaction()`, every statement is a round trip: to the database (for
SQLite, its connection's thread) and back to the event loop, which resumes the transaction only
when its turn in the loop's queue comes. The write lock is held all along. With 10 to 50
customers chatting, the two transactions of a turn (storing the customer's message, committing
the reply; ten trips) held it 16-18 ms per turn against 2 ms for one customer, and the lock was
held 88% of the time: at 50 customers a turn waited about a second for it.

The hot transactions are therefore written as `Step`s: statements with their parameters,
each optionally fetching its rows (a guard's SELECT, an UPDATE ... RETURNING) and deciding
whether the rest runs. `Database.run_steps` runs them all in one trip (SQLite: on the
connection's thread, BEGIN to COMMIT) and returns what each one did.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from app.store.database import Params, Row, Transaction


@dataclass(frozen=True)
class StepResult:
    """What one statement did: the rows it returned (when asked for) and the rows it changed."""

    rows: list[Row] = field(default_factory=list)
    rowcount: int = 0


@dataclass(frozen=True)
class Step:
    """One statement of a transaction run as a whole.

    `rows`: fetch what the statement returns (a SELECT, or RETURNING). `proceed`: given this
    statement's result, whether the later steps run; when it says no, the transaction commits
    what ran so far (a guard's SELECT: nothing) and the result list ends with this step."""

    sql: str
    params: Params = ()
    rows: bool = False
    proceed: Callable[[StepResult], bool] | None = None


async def run_steps_in(tx: Transaction, steps: Sequence[Step]) -> list[StepResult]:
    """The steps, a statement at a time, in an open transaction: for engines whose driver
    talks to the database from the event loop itself (PostgreSQL's)."""
    results: list[StepResult] = []
    for step in steps:
        if step.rows:
            rows = await tx.fetch_all(step.sql, step.params)
            result = StepResult(rows, len(rows))
        else:
            result = StepResult(rowcount=(await tx.execute(step.sql, step.params)).rowcount)
        results.append(result)
        if step.proceed is not None and not step.proceed(result):
            break
    return results
