"""`frontline serve` on PostgreSQL: a customer's turn over the normal socket path lands in
PostgreSQL; a database it cannot use stops start-up with one `error:` line naming
FRONTLINE_DATABASE_URL (password masked), and no traceback."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import asyncpg
import pytest

from app.store import PostgresDatabase
from tests.support.chat import ChatClient
from tests.support.postgres import PASSWORD_ROLE, PostgresCluster
from tests.support.server import PROJECT_ROOT, ServerProcess, demo_tenant_file, free_port


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory: pytest.TempPathFactory,
              postgres_cluster: PostgresCluster) -> Iterator[tuple[ServerProcess, str]]:
    folder = tmp_path_factory.mktemp("pg-server")
    url = postgres_cluster.create_database()
    tenant = demo_tenant_file(folder, ("reset-your-password",))  # one article: a quick start
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log",
                            env={"FRONTLINE_TENANTS": str(tenant), "FRONTLINE_DATABASE_URL": url}).start(timeout=300)
    yield process, url
    process.stop()


async def test_a_customers_turn_is_stored_in_postgresql(pg_server, clients):
    server, url = pg_server
    chat = ChatClient(server.url, client_type="copilot")
    clients.append(chat)
    await chat.sign_in_customer("demo")
    await chat.connect()
    await chat.wait_for(lambda e: e["type"] == "assistant_message")
    answer = await chat.reply_to("How do I reset my password?")
    assert "password" in answer["output"].lower(), answer["output"]

    async with PostgresDatabase.open(url) as db:
        stored = await db.fetch_all(
            "SELECT m.role, m.content, c.tenant FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " WHERE m.conversation_id = (SELECT conversation_id FROM messages WHERE id = ?) ORDER BY m.rowid",
            (answer["id"],))
        traces = await db.fetch_all("SELECT 1 FROM decision_traces WHERE message_id = ?", (answer["id"],))
    turns = [(r["role"], r["content"]) for r in stored]
    assert ("customer", "How do I reset my password?") in turns
    assert turns[-1] == ("assistant", answer["output"]) and stored[-1]["tenant"] == "demo"
    assert len(traces) == 1
    assert not (server.data_dir / "frontline.sqlite3").exists()  # nothing went to the default SQLite file


def _serve(tmp_path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FRONTLINE_DATA_DIR": str(tmp_path / "data"), "FRONTLINE_DATABASE_URL": database_url,
           "FRONTLINE_PORT": str(free_port())}
    return subprocess.run([sys.executable, "-m", "app.cli.main", "serve"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", ["refused", "wrong_password", "no_such_database", "not_postgres"])
def test_serve_with_an_unusable_database_url_says_so_in_one_line(case, tmp_path, postgres_cluster):
    postgres_cluster.password_role("the-right-one")
    url = {"refused": f"postgresql://frontline:s3cret-pw@127.0.0.1:{free_port()}/frontline",
           "wrong_password": postgres_cluster.url().replace("postgres@", f"{PASSWORD_ROLE}:s3cret-pw@"),
           "no_such_database": postgres_cluster.url("missing").replace("postgres@", "postgres:s3cret-pw@"),
           "not_postgres": "mysql://frontline:s3cret-pw@127.0.0.1/frontline"}[case]
    result = _serve(tmp_path, url)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "FRONTLINE_DATABASE_URL" in lines[0] and "***" in lines[0] and "s3cret-pw" not in result.stderr
    assert {"refused": "refused", "wrong_password": "authentication failed: password authentication failed",
            "no_such_database": '"missing" does not exist',
            "not_postgres": "postgresql://"}[case] in lines[0], lines[0]


def test_the_pool_is_closed_on_exit(postgres_cluster):
    """Opening and closing leaves no connection behind (a replica restarting must not leak)."""
    url = postgres_cluster.create_database()

    async def connections() -> int:
        async with PostgresDatabase.open(url) as db:
            await db.fetch_all("SELECT 1")
        admin = await asyncpg.connect(postgres_cluster.url())
        try:
            return int(await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                                            url.rsplit("/", 1)[1]))
        finally:
            await admin.close()

    assert asyncio.run(connections()) == 0


def test_the_cli_commands_use_postgresql_when_the_url_is_set(postgres_cluster, tmp_path, monkeypatch, capsys):
    from app.cli.main import main
    from app.store import AuditLog

    url = postgres_cluster.create_database()

    async def write_events() -> None:
        async with PostgresDatabase.open(url) as db:
            for n in range(3):
                await AuditLog(db).record("assistant", f"action.{n}", tenant="demo")

    asyncio.run(write_events())
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FRONTLINE_DATABASE_URL", url)
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.startswith("audit log intact: 3 events")
    assert main(["token", "issue", "agent@brightwave.example"]) == 0
    assert capsys.readouterr().out.startswith("flt_")
    assert not (tmp_path / "data" / "frontline.sqlite3").exists()
