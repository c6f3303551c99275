"""A throwaway PostgreSQL server for tests, and fixtures that hand out empty databases.

`PostgresCluster` runs initdb in a temporary folder and starts `postgres` on 127.0.0.1 with a
free port, trust authentication and durability off (tests need speed, not crash safety).
PostgreSQL refuses to run as root, so as root both run as the `postgres` system user, in a
folder that user owns. Without the binaries every test that needs the server is skipped,
saying so.

Fixtures: `postgres_cluster` (one server per test session), `postgres_url` (a fresh empty
database per test) and `database` (a migrated `Database`, once per engine: sqlite and
postgresql), for contract tests that must hold on both.
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest

from app.store import Database, PostgresDatabase, SqliteDatabase

START_TIMEOUT = 60.0
PASSWORD_ROLE = "frontline_pw"  # every other role is trusted
T = TypeVar("T")


def _run(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to the end from sync code, even when called inside a running event loop."""
    async def main() -> T:
        return await work()

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, main()).result()


def postgres_bin() -> Path | None:
    """The folder holding initdb and postgres (PATH first, then Debian's versioned folders)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    """One PostgreSQL server in a temporary folder; `url(name)` points at a database in it."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="frontline-pg-"))
        self.process: subprocess.Popen[bytes] | None = None
        self._as_user: list[str] = []
        if os.geteuid() == 0:  # postgres will not run as root: hand the folder to its system user
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._as_user = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresCluster:
        data = self.folder / "data"
        subprocess.run([*self._as_user, str(self.bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                        "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                       check=True, capture_output=True)
        hba = data / "pg_hba.conf"  # one role signs in with a password, to test refused credentials
        hba.write_text(f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        log = open(self.folder / "server.log", "wb")  # noqa: SIM115 - the server writes to it until stop()
        self.process = subprocess.Popen(
            [*self._as_user, str(self.bin_dir / "postgres"), "-D", str(data), "-k", str(self.folder),
             "-p", str(self.port), "-h", "127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=32MB"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not _run(self._answers):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"PostgreSQL did not start:\n{self.log()}")
            time.sleep(0.1)
        return self

    async def _answers(self) -> bool:
        try:
            conn = await asyncpg.connect(self.url(), timeout=2)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        name = "t_" + uuid.uuid4().hex[:16]

        async def create() -> None:
            conn = await asyncpg.connect(self.url(), timeout=10)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        _run(create)
        return self.url(name)

    def password_role(self, password: str) -> None:
        """Create (or reset) PASSWORD_ROLE, which must sign in with `password`."""
        async def create() -> None:
            conn = await asyncpg.connect(self.url(), timeout=10)
            try:
                exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", PASSWORD_ROLE)
                verb = "ALTER" if exists else "CREATE"
                await conn.execute(f"{verb} ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{password}'")
            finally:
                await conn.close()

        _run(create)

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: disconnect clients, stop
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)


def _skip_reason() -> str | None:
    if postgres_bin() is None:
        return "PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` system user to run PostgreSQL as"
        if shutil.which("setpriv") is None:
            return "running as root and setpriv (util-linux) is missing to run PostgreSQL as `postgres`"
    return None


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    bin_dir = postgres_bin()
    assert bin_dir is not None
    cluster = PostgresCluster(bin_dir).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """The URL of a fresh, empty database (nothing migrated yet)."""
    return postgres_cluster.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database on each engine: the stores' contract holds on both."""
    if request.param == "sqlite":
        async with SqliteDatabase.open(tmp_path / "frontline.sqlite3") as sqlite:
            yield sqlite
    else:
        url = request.getfixturevalue("postgres_url")
        async with PostgresDatabase.open(url) as postgres:
            yield postgres
