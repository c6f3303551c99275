"""Start-up on a bad data folder: an empty signing secret or a folder Frontline cannot write
stops each command with one `error:` line (no traceback), and /healthz says 503 with the
reason when the store breaks under a running server."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.config.data_folder import MIN_SECRET_CHARS, auth_secret
from app.config.settings import Settings
from tests.support.server import PROJECT_ROOT, ServerProcess, demo_tenant_file, free_port

# Each command that opens the data folder, as an operator types it.
COMMANDS = [["serve"], ["kb", "list", "--tenant", "demo"], ["audit", "verify"],
            ["token", "issue", "agent@brightwave.example"], ["trace", "no-such-conversation"]]


AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def frontline(args: list[str], data_dir: Path, as_nobody: bool = False) -> subprocess.CompletedProcess:
    """Run the real CLI (as the `nobody` user if asked, through setpriv), with the data folder set."""
    env = {**os.environ, "FRONTLINE_DATA_DIR": str(data_dir), "FRONTLINE_PORT": str(free_port())}
    command = [*(AS_NOBODY if as_nobody else []), sys.executable, "-m", "app.cli.main", *args]
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=90)


def assert_one_line_error(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode != 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr[-3000:]
    for text in expected:
        assert text in errors[0], errors[0]


def test_an_empty_signing_secret_stops_start_up_with_one_line(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "auth-secret").write_bytes(b"")  # what a full disk left behind
    result = frontline(["serve"], data)
    assert_one_line_error(result, str(data / "auth-secret"), "empty", "delete it", "FRONTLINE_AUTH_SECRET")
    (data / "auth-secret").write_text("short\n")
    assert_one_line_error(frontline(["serve"], data), "too short (5 characters")


def test_a_new_secret_is_written_whole_and_private(tmp_path):
    settings = Settings(data_dir=tmp_path)
    secret = auth_secret(settings)
    path = tmp_path / "auth-secret"
    assert len(secret) >= MIN_SECRET_CHARS and path.read_text() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["auth-secret"]  # no temp file left behind
    assert auth_secret(settings) == secret  # kept across restarts


@pytest.fixture
def read_only_data() -> Iterator[Path]:
    """A data folder the `nobody` user may read but not write. The suite runs as root, who
    ignores file modes, so the commands run as nobody (util-linux setpriv)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run a command as another user")
    probe = subprocess.run([*AS_NOBODY, sys.executable, "-c", "import app.cli.main"], cwd=PROJECT_ROOT,
                           capture_output=True, timeout=120)
    if probe.returncode != 0:
        pytest.skip(f"nobody cannot run this interpreter: {probe.stderr[-300:]!r}")
    parent = Path(tempfile.mkdtemp(prefix="frontline-ro-"))
    parent.chmod(0o755)
    data = parent / "data"
    data.mkdir(mode=0o755)  # owned by root: nobody may enter and read, not write
    yield data
    shutil.rmtree(parent)


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_a_read_only_data_folder_stops_each_command_with_one_line(read_only_data, args):
    result = frontline(args, read_only_data, as_nobody=True)
    assert_one_line_error(result, f"the data folder {read_only_data} is not writable")


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_a_data_folder_that_cannot_be_created_stops_each_command_with_one_line(tmp_path, args):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    result = frontline(args, blocker / "data")
    assert_one_line_error(result, f"the data folder {blocker / 'data'} cannot be created")


async def test_healthz_says_not_ready_with_the_reason_when_the_store_breaks(tmp_path):
    server = ServerProcess(data_dir=tmp_path / "data", log_path=tmp_path / "server.log",
                           env={"FRONTLINE_TENANTS": str(demo_tenant_file(tmp_path, ("reset-your-password",)))}).start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            ready = await http.get("/healthz")
            assert ready.status_code == 200
            assert ready.json()["components"] == {"store": "ok", "index": "ok", "secret": "ok"}
            with sqlite3.connect(Settings(data_dir=server.data_dir).database_path) as db:
                db.execute("ALTER TABLE messages RENAME TO messages_lost")  # a store the server can't use
            broken = await http.get("/healthz")
            assert broken.status_code == 503, broken.text
            body = broken.json()
            assert body["status"] == "unavailable" and "no such table: messages" in body["components"]["store"]
            assert body["components"]["index"] == "ok" and body["components"]["secret"] == "ok"
        assert "not ready: store unavailable" in server.log()
    finally:
        server.stop()
