"""The seam between the domain stores and the database engine behind them.

Every domain store (conversations, handoffs, the action ledger, the audit log, ...) talks to
a `Database`: reads through `fetch_all`/`fetch_one`, writes inside `transaction()`. Two
engines implement it: SQLite (`app/store/sqlite_database.py`, the zero-install default) and
PostgreSQL (`app/store/postgres_database.py`, for several replicas sharing one system of
record). Both run the same SQL, written for SQLite with `?` placeholders; the PostgreSQL
engine translates it (`app/store/sql_dialect.py`).

Whatever the engine, write transactions run one at a time across every process using the
database, so a guarded UPDATE (a claim), an idempotency-key INSERT and the audit chain's
read-the-last-hash-then-append see every write committed before them.

Inside `async with db.transaction()`, every statement is a round trip: to the database (for
SQLite, its connection's thread) and back to the event loop, which resumes the transaction only
when its turn in the loop's queue comes, the write lock held all along. With 10 to 50 customers
chatting, the two transactions of a turn (storing the customer's message, committing the reply:
ten trips) held it 16-18 ms per turn against 2 ms for one customer. Those hot transactions are
therefore given whole, as `Step`s, to `run_steps`, which SQLite runs in one call on its thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Params = Sequence[Any]
Backend = Literal["sqlite", "postgresql"]


class Row(Protocol):
    """A result row: by column name or position, and `dict(row)` gives every column."""

    def __getitem__(self, key: str | int) -> Any: ...

    def keys(self) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


class Result(Protocol):
    """What a statement did: the number of rows it inserted, updated or deleted."""

    @property
    def rowcount(self) -> int: ...


@dataclass(frozen=True)
class StepResult:
    """What one statement did: the rows it returned (when asked for) and the rows it changed."""

    rows: list[Row] = field(default_factory=list)
    rowcount: int = 0


@dataclass(frozen=True)
class Step:
    """One statement of a transaction given whole to `Database.run_steps`.

    `rows`: fetch what the statement returns (a SELECT, or RETURNING). `proceed`: given this
    statement's result, whether the later steps run; when it says no, the transaction commits
    what ran so far (a guard's SELECT: nothing) and the result list ends with this step."""

    sql: str
    params: Params = ()
    rows: bool = False
    proceed: Callable[[StepResult], bool] | None = None


class Transaction(Protocol):
    """An open write transaction: committed when its block ends, rolled back on any error."""

    async def execute(self, sql: str, params: Params = ()) -> Result: ...

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...


class Database(Protocol):
    """A migrated system of record. Open one with `app.store.open_database(settings)`."""

    backend: Backend

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """The only way to write: one writer at a time across every process."""
        ...

    async def run_steps(self, steps: Sequence[Step]) -> list[StepResult]:
        """A write transaction given as its statements (`Step`), run in one trip where the engine can."""
        ...

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...

    async def sequence_value(self, table: str) -> int | None:
        """The highest id the table's id counter has handed out (None: none yet), even if
        that row is gone: the audit check uses it to notice its newest events deleted."""
        ...
