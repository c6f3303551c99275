"""PostgreSQL as the system of record, for replicas that share one database.

An asyncpg pool serves reads; every write transaction first takes one transaction-level
advisory lock (`pg_advisory_xact_lock(WRITE_LOCK)`), so writes run one at a time across every
process, as SQLite's BEGIN IMMEDIATE makes them: the claim race, the idempotency ledger and
the audit hash chain (read the last hash, append the next) stay correct with several
replicas. Transactions are READ COMMITTED, so each statement after the lock sees every write
committed before it. The stores' SQL is SQLite's, translated (`app/store/sql_dialect.py`).

The schema is ordered SQL files in `app/store/postgres/`, applied once each, recorded in
`schema_migrations`, under a session advisory lock so replicas starting together don't race.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from app.core.errors import StoreError
from app.store.database import Backend, Params, Row, Step, StepResult
from app.store.sql_dialect import to_postgres

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("postgres")
WRITE_LOCK = 0x46524F4E544C4E45  # "FRONTLNE": the one lock every write transaction takes
MIGRATION_LOCK = WRITE_LOCK + 1
CONNECT_TIMEOUT = 10.0
CLOSE_TIMEOUT = 10.0
_UNAVAILABLE = (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError)


def masked(url: str) -> str:
    """The URL with its password (in the address or as ?password=) replaced by ***."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            credentials, _, host = netloc.rpartition("@")
            netloc = f"{credentials.split(':', 1)[0]}:***@{host}"
        query = urlencode([(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)])
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "<unreadable URL>"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused (is PostgreSQL running and listening there?)"
    if isinstance(exc, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT:g} s"
    if isinstance(exc, socket.gaierror):
        return f"the host name cannot be resolved ({exc.strerror})"
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidPasswordError):
        return f"authentication failed: {exc}"
    return str(exc).strip() or type(exc).__name__


def _unavailable(url: str, exc: BaseException) -> StoreError:
    reason = _reason(exc)
    return StoreError(f"Cannot use the PostgreSQL database at {masked(url)} (FRONTLINE_DATABASE_URL): {reason}")


class PostgresResult:
    """The row count PostgreSQL reports for a statement ("UPDATE 1", "INSERT 0 3")."""

    def __init__(self, status: str) -> None:
        last = status.rsplit(" ", 1)[-1]
        self.rowcount = int(last) if last.isdigit() else -1


class PostgresTransaction:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> PostgresResult:
        return PostgresResult(await self._conn.execute(to_postgres(sql), *params))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._conn.fetch(to_postgres(sql), *params))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = await self._conn.fetchrow(to_postgres(sql), *params)
        return row


class PostgresDatabase:
    """A migrated PostgreSQL database; use `PostgresDatabase.open(url)` as an async context manager."""

    backend: Backend = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool = pool
        self._write_lock = asyncio.Lock()  # one writer per process waits here, not on a pooled connection
        self.url = url

    @classmethod
    @asynccontextmanager
    async def open(cls, url: str, *, max_connections: int = 10) -> AsyncIterator[PostgresDatabase]:
        if urlsplit(url).scheme not in ("postgresql", "postgres"):
            raise StoreError(f"FRONTLINE_DATABASE_URL must be a postgresql:// URL, not {masked(url)!r}.")
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=max_connections, timeout=CONNECT_TIMEOUT)
        except (*_UNAVAILABLE, asyncpg.PostgresError, ValueError) as exc:
            raise _unavailable(url, exc) from None
        try:
            db = cls(pool, url)
            try:
                await db._migrate()
            except (*_UNAVAILABLE, asyncpg.PostgresError) as exc:
                raise _unavailable(url, exc) from None
            yield db
        finally:
            await _close(pool)

    async def _migrate(self) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL"
                    " DEFAULT to_char(now() AT TIME ZONE 'utc', 'YYYY-MM-DD HH24:MI:SS'))")
                applied = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
                for script in sorted(MIGRATIONS_DIR.glob("*.sql")):
                    if script.stem in applied:
                        continue
                    async with conn.transaction():
                        await conn.execute(script.read_text(encoding="utf-8"))
                        await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", script.stem)
                    log.info("applied migration %s", script.stem)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTransaction]:
        """A write transaction holding the write lock: committed on success, rolled back on any error."""
        async with self._write_lock:
            try:
                conn = await self._pool.acquire(timeout=CONNECT_TIMEOUT)
            except _UNAVAILABLE as exc:
                raise StoreError(f"The database is unavailable: {exc}") from exc
            try:
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
                    yield PostgresTransaction(conn)
            finally:
                await self._pool.release(conn)

    async def run_steps(self, steps: Sequence[Step]) -> list[StepResult]:
        """The steps in one write transaction; asyncpg talks to the server from the event loop
        itself, so there is no thread to hand the whole transaction to."""
        async with self.transaction() as tx:
            return await _run_steps_in(tx, steps)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            return list(await self._pool.fetch(to_postgres(sql), *params))
        except (*_UNAVAILABLE, asyncpg.PostgresError) as exc:
            raise StoreError(f"Query failed: {exc}") from exc

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def sequence_value(self, table: str) -> int | None:
        row = await self.fetch_one("SELECT seq FROM id_sequences WHERE name = ?", (table,))
        return int(row[0]) if row is not None and row[0] else None


async def _run_steps_in(tx: PostgresTransaction, steps: Sequence[Step]) -> list[StepResult]:
    """The steps, a statement at a time, in the open transaction."""
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


async def _close(pool: asyncpg.Pool) -> None:
    """Close gracefully, but never hang a shutdown on a connection that is never released (a
    task cancelled mid-acquire on Python 3.11 can leak one): after CLOSE_TIMEOUT, terminate."""
    try:
        await asyncio.wait_for(pool.close(), CLOSE_TIMEOUT)
    except TimeoutError:
        log.warning("PostgreSQL connections still busy after %g s at shutdown; closing them", CLOSE_TIMEOUT)
        pool.terminate()
