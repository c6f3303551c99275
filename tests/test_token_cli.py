"""`frontline token`: a Queue API token issued from the command line works, and revoking ends it."""

from __future__ import annotations

import os
import subprocess
import sys

from app.config.settings import PROJECT_ROOT
from app.store import AccountStore, SqliteDatabase


def frontline(data_dir, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FRONTLINE_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "app.cli.main", "token", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


async def test_a_token_is_printed_once_works_and_stops_working_when_revoked(tmp_path):
    issued = frontline(tmp_path, "issue", "agent@brightwave.example", "--label", "helpdesk bridge")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.startswith("flt_") and len(token) > 40
    async with SqliteDatabase.open(tmp_path / "frontline.sqlite3") as db:
        agent = await AccountStore(db).agent_for_token(token)
        assert agent is not None and agent.email == "agent@brightwave.example"
        stored = await db.fetch_all("SELECT token_hash, label FROM agent_tokens")
        assert [r["label"] for r in stored] == ["helpdesk bridge"] and token not in str([dict(r) for r in stored])

    revoked = frontline(tmp_path, "revoke", "agent@brightwave.example")
    assert revoked.returncode == 0 and "revoked 1 token(s)" in revoked.stdout
    async with SqliteDatabase.open(tmp_path / "frontline.sqlite3") as db:
        assert await AccountStore(db).agent_for_token(token) is None


def test_an_unknown_agent_gets_a_clear_error(tmp_path):
    result = frontline(tmp_path, "issue", "nobody@example.com")
    assert result.returncode == 1
    assert "No agent with email 'nobody@example.com'" in result.stderr and "FRONTLINE_AGENTS" in result.stderr
