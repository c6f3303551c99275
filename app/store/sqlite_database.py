"""SQLite, the default system of record: WAL mode, ordered migrations, serialized writes.

One aiosqlite connection per process. Writes go through `transaction()`, which takes an
asyncio lock (one writer per process) and `BEGIN IMMEDIATE` (one writer across processes,
e.g. the server and the CLI), so a state change is either fully applied or not at all.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from app.core.errors import StoreError
from app.store.database import Backend, Params, Result, Row, Step, StepResult
from app.store.migrations import MIGRATIONS

log = logging.getLogger(__name__)


class SqliteTransaction:
    """The write transaction's view of the one connection."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> Result:
        return await self._conn.execute(sql, tuple(params))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, tuple(params)))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self._conn.execute_fetchall(sql, tuple(params))  # one trip to the thread, not two
        return next(iter(rows), None)


class SqliteDatabase:
    """A migrated SQLite database; use `SqliteDatabase.open(path)` as an async context manager."""

    backend: Backend = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self._write_lock = asyncio.Lock()
        self.path = path

    @classmethod
    @asynccontextmanager
    async def open(cls, path: Path) -> AsyncIterator[SqliteDatabase]:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the database at {path}: {exc}") from exc
        conn.row_factory = aiosqlite.Row
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            await conn.execute("PRAGMA synchronous=NORMAL")
            db = cls(conn, path)
            await db._migrate()
            yield db
        finally:
            await conn.close()

    async def _migrate(self) -> None:
        await self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
        )
        applied = {row[0] for row in await self._conn.execute_fetchall(
            "SELECT name FROM schema_migrations")}
        for migration in MIGRATIONS:
            name = migration.__name__
            if name in applied:
                continue
            async with self.transaction() as tx:
                await migration(self._conn)
                await tx.execute("INSERT INTO schema_migrations(name) VALUES (?)", (name,))
            log.info("applied migration %s", name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTransaction]:
        """An IMMEDIATE transaction: committed on success, rolled back on any error."""
        async with self._write_lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"The database is unavailable: {exc}") from exc
            try:
                yield SqliteTransaction(self._conn)
            except BaseException:
                await self._conn.rollback()
                raise
            else:
                try:
                    await self._conn.commit()
                except sqlite3.Error as exc:
                    await self._conn.rollback()
                    raise StoreError(f"Commit failed: {exc}") from exc

    async def run_steps(self, steps: Sequence[Step]) -> list[StepResult]:
        """BEGIN IMMEDIATE, the steps and COMMIT as one call on the connection's thread: the
        write lock is held for the statements' time, never for a trip back to the event loop.
        (aiosqlite's `_execute` queues a function for that thread; its own methods use it.)"""
        async with self._write_lock:
            return await self._conn._execute(_run_steps, self._conn, list(steps))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            return list(await self._conn.execute_fetchall(sql, tuple(params)))
        except sqlite3.Error as exc:
            raise StoreError(f"Query failed: {exc}") from exc

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def sequence_value(self, table: str) -> int | None:
        row = await self.fetch_one("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,))
        return int(row[0]) if row is not None else None


def _run_steps(conn: aiosqlite.Connection, steps: list[Step]) -> list[StepResult]:
    """On the connection's thread: the transaction of `SqliteDatabase.run_steps`, with the errors
    `transaction()` gives (a failed statement is rolled back and raised as it came)."""
    raw = conn._conn
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise StoreError(f"The database is unavailable: {exc}") from exc
    results: list[StepResult] = []
    try:
        for step in steps:
            cursor = raw.execute(step.sql, tuple(step.params))
            rows = cursor.fetchall() if step.rows else []
            results.append(StepResult(rows, cursor.rowcount if cursor.rowcount >= 0 else len(rows)))
            if step.proceed is not None and not step.proceed(results[-1]):
                break
    except BaseException:
        raw.rollback()
        raise
    try:
        raw.commit()
    except sqlite3.Error as exc:
        raw.rollback()
        raise StoreError(f"Commit failed: {exc}") from exc
    return results
