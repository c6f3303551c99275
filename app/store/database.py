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
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from app.store.steps import Step, StepResult

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
        """A write transaction given as its statements, run in one trip (app/store/steps.py)."""
        ...

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...

    async def sequence_value(self, table: str) -> int | None:
        """The highest id the table's id counter has handed out (None: none yet), even if
        that row is gone: the audit check uses it to notice its newest events deleted."""
        ...
