"""`frontline kb search` against a running server: the same output as searching locally,
the same refusals, and an endpoint only the holder of the server record's key can use.

The CLI runs as a subprocess, as an operator runs it. The local side searches a copy of the
server's index in another data folder: the server keeps the embedded index locked, and the
copy carries the server's record, which must be ignored there (it names another folder).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.cli.kb_ask import SERVER_NOTE
from tests.support.server import PROJECT_ROOT, ServerProcess, demo_tenant_file, free_port

ARTICLES = ("reset-your-password", "change-your-password", "return-a-product", "download-your-invoices")


@dataclass
class Setup:
    server: ServerProcess
    tenants: Path
    copy: Path  # a data folder holding a copy of the server's index and record

    def record(self) -> dict[str, object]:
        return json.loads((self.server.data_dir / "server.json").read_text())


def frontline(data_dir: Path, tenants: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FRONTLINE_DATA_DIR": str(data_dir), "FRONTLINE_TENANTS": str(tenants)}
    return subprocess.run([sys.executable, "-m", "app.cli.main", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    folder = tmp_path_factory.mktemp("kb-server")
    tenants = demo_tenant_file(folder, ARTICLES)
    server = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log",
                           env={"FRONTLINE_TENANTS": str(tenants)}).start()
    copy = folder / "copy"
    copy.mkdir()
    shutil.copytree(server.data_dir / "qdrant", copy / "qdrant", ignore=shutil.ignore_patterns(".lock"))
    shutil.copy2(server.data_dir / "server.json", copy / "server.json")
    yield Setup(server, tenants, copy)
    server.stop()


QUESTIONS = [
    ("how do I reset my password", "--tenant", "demo"),
    ("how many days do I have to send something back?", "--tenant", "demo", "--limit", "2", "--json"),
    ("wie kann ich mein Passwort zurücksetzen", "--tenant", "demo", "--language", "de", "--json"),
    ("download invoice PDF", "--tenant", "demo", "--mode", "sparse", "--limit", "1"),
]


@pytest.mark.parametrize("question", QUESTIONS, ids=["text", "json", "german", "sparse"])
def test_the_running_server_answers_with_what_a_local_search_prints(setup, question):
    served = frontline(setup.server.data_dir, setup.tenants, "kb", "search", *question)
    assert served.returncode == 0, served.stderr
    assert served.stderr.strip() == SERVER_NOTE
    local = frontline(setup.copy, setup.tenants, "kb", "search", *question)
    assert local.returncode == 0, local.stderr
    assert SERVER_NOTE not in local.stderr and "did not answer" not in local.stderr
    assert served.stdout == local.stdout
    assert served.stdout.strip(), "a help-center question finds something"
    if "--json" in question:
        assert json.loads(served.stdout)[0]["doc_id"] in ARTICLES


@pytest.mark.parametrize(("question", "message"), [
    (("a question", "--tenant", "nobody"), "No tenant 'nobody' is configured (FRONTLINE_TENANTS)."),
    (("   ", "--tenant", "demo"), "The question is empty"),
    (("x" * 4001, "--tenant", "demo"), "The question is 4001 characters long; at most 4000"),
    (("a question", "--tenant", "demo", "--limit", "0"), "--limit must be between 1 and 100."),
], ids=["unknown-tenant", "empty", "oversized", "limit"])
def test_bad_questions_are_refused_alike_with_exit_status_2(setup, question, message):
    served = frontline(setup.server.data_dir, setup.tenants, "kb", "search", *question)
    local = frontline(setup.copy, setup.tenants, "kb", "search", *question)
    for result in (served, local):
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert result.stderr.startswith(f"error: {message}"), result.stderr
        assert "Traceback" not in result.stderr
    assert served.stderr == local.stderr


async def test_the_endpoint_answers_only_the_holder_of_the_record_key(setup):
    path = setup.server.data_dir / "server.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    record = setup.record()
    assert record["pid"] == setup.server.process.pid and record["url"] == setup.server.url
    key = {"Authorization": f"Bearer {record['token']}"}
    question = {"tenant": "demo", "question": "reset my password"}
    async with httpx.AsyncClient(base_url=setup.server.url, timeout=30) as http:
        assert (await http.post("/api/kb/search", json=question)).status_code == 401
        wrong = await http.post("/api/kb/search", json=question, headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401 and "hits" not in wrong.json()
        found = await http.post("/api/kb/search", json=question, headers=key)
        assert found.status_code == 200 and found.json()["hits"][0]["doc_id"] == "reset-your-password"

        for body, status, words in (
                ({"tenant": "demo", "question": ""}, 400, "The question is empty"),
                ({"tenant": "demo", "question": "x", "limit": 101}, 400, "--limit must be between 1 and 100"),
                ({"tenant": "demo", "question": "x", "mode": "fuzzy"}, 400, "--mode must be one of"),
                ({"tenant": "demo", "question": "x", "language": "../etc"}, 400, "--language must be"),
                ({"tenant": "demo", "question": "x", "extra": 1}, 400, "extra"),
                ({"tenant": "acme", "question": "x"}, 404, "No tenant 'acme'"),
                ({"tenant": "demo", "question": "x" * 40_000}, 413, "exceeds")):
            refused = await http.post("/api/kb/search", json=body, headers=key)
            assert refused.status_code == status, (body, refused.text)
            assert words in refused.json()["message"], refused.text
    assert "knowledge search refused: no valid server-record key" in setup.server.log()


def _write_record(data_dir: Path, pid: int, port: int) -> None:
    (data_dir / "server.json").write_text(json.dumps({
        "pid": pid, "url": f"http://127.0.0.1:{port}", "token": "stale", "data_dir": str(data_dir.resolve()),
        "index": str((data_dir / "qdrant").resolve())}))


def test_a_stale_record_is_ignored_and_the_search_runs_locally(setup, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(setup.copy, data)
    question = ("how do I reset my password", "--tenant", "demo", "--json")
    expected = frontline(setup.copy, setup.tenants, "kb", "search", *question).stdout
    assert expected

    dead_pid = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_pid.wait()
    _write_record(data, dead_pid.pid, setup.server.port)  # the port answers, but the process is gone
    gone = frontline(data, setup.tenants, "kb", "search", *question)
    assert gone.returncode == 0, gone.stderr
    assert gone.stderr == "" and gone.stdout == expected

    _write_record(data, os.getpid(), free_port())  # a live process, but nothing listens there
    refused = frontline(data, setup.tenants, "kb", "search", *question)
    assert refused.returncode == 0, refused.stderr
    assert "did not answer" in refused.stderr and SERVER_NOTE not in refused.stderr
    assert refused.stdout == expected
