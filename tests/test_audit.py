"""The audit log is append-only and hash-chained; `frontline audit verify` finds tampering."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from app.cli.main import main
from app.store import SqliteDatabase
from app.store.audit import AuditLog, verify
from app.store.migrations import MIGRATIONS


async def _write_events(path: Path, count: int) -> None:
    async with SqliteDatabase.open(path) as db:
        audit = AuditLog(db)
        for n in range(count):
            await audit.record("assistant" if n % 2 else "alex@brightwave.example", f"action.{n}", tenant="demo",
                               subject=f"conversation-{n % 3}", detail={"n": n, "amount": 10.5 * n},
                               policy_version="brightwave-2026.11.1", outcome="done")


def _tamper(path: Path, *statements: str) -> None:
    """What someone with the database file could do, bypassing Frontline (and its triggers)."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(tmp_path))
    asyncio.run(_write_events(tmp_path / "frontline.sqlite3", 6))
    return tmp_path


def _verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["audit", "verify"])
    return code, capsys.readouterr().out


def test_an_untouched_log_verifies(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _verify(capsys)
    assert code == 0 and out.startswith("audit log intact: 6 events, head "), out
    assert main(["audit", "verify", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["intact"] and report["events"] == 6 and len(report["head"]) == 64


def test_altering_one_event_is_detected(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tamper(data_dir / "frontline.sqlite3", "UPDATE audit_events SET detail = '{\"n\": 2, \"amount\": 0}' WHERE id = 3")
    code, out = _verify(capsys)
    assert code == 1 and "event 3 was altered" in out, out
    assert "event 4" not in out  # the rest of the chain still links


def test_rehashing_an_altered_event_breaks_the_next_link(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_dir / "frontline.sqlite3"
    _tamper(path, "UPDATE audit_events SET outcome = 'rejected' WHERE id = 2")
    from app.store.audit import chain_hash

    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM audit_events WHERE id = 2").fetchone())
    conn.execute("UPDATE audit_events SET hash = ? WHERE id = 2", (chain_hash(row["prev_hash"], row),))
    conn.commit()
    conn.close()
    code, out = _verify(capsys)
    assert code == 1 and "event 3 does not follow the event before it" in out, out


def test_a_missing_event_is_detected(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tamper(data_dir / "frontline.sqlite3", "DELETE FROM audit_events WHERE id = 4")
    code, out = _verify(capsys)
    assert code == 1 and "event 4 missing" in out and "event 5 does not follow" in out, out


def test_removing_the_newest_events_is_detected(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tamper(data_dir / "frontline.sqlite3", "DELETE FROM audit_events WHERE id >= 5")
    code, out = _verify(capsys)
    assert code == 1 and "the newest events 5–6 are missing" in out, out


def test_show_prints_the_newest_events(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "show", "--subject", "conversation-1", "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["action"] for e in events] == ["action.1", "action.4"]
    assert events[0]["policy_version"] == "brightwave-2026.11.1" and events[0]["outcome"] == "done"


def test_verify_without_a_database_says_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(tmp_path / "nowhere"))
    assert main(["audit", "verify"]) == 1
    assert "There is no Frontline database at" in capsys.readouterr().err


async def test_frontline_itself_cannot_update_or_delete_events(tmp_path: Path) -> None:
    async with SqliteDatabase.open(tmp_path / "db.sqlite3") as db:
        await AuditLog(db).record("assistant", "cancel_order", tenant="demo", outcome="done")
        for statement in ("UPDATE audit_events SET outcome = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                async with db.transaction() as tx:
                    await tx.execute(statement)
        assert (await verify(db)).intact


async def test_events_written_before_the_chain_existed_are_chained_on_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    async with aiosqlite.connect(path) as conn:  # a database as an earlier release left it
        conn.row_factory = aiosqlite.Row
        await conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL"
                           " DEFAULT (datetime('now')))")
        for migration in MIGRATIONS[:3]:
            await migration(conn)
            await conn.execute("INSERT INTO schema_migrations(name) VALUES (?)", (migration.__name__,))
        for n in range(3):
            await conn.execute("INSERT INTO audit_events (at, tenant, actor, action, subject, detail)"
                               " VALUES (?, 'demo', 'assistant', 'orders.lookup', 'c1', ?)",
                               (f"2026-10-0{n + 1}T10:00:00.000Z", json.dumps({"n": n})))
        await conn.commit()
    async with SqliteDatabase.open(path) as db:
        await AuditLog(db).record("assistant", "cancel_order", tenant="demo", outcome="done")
        report = await verify(db)
        assert report.intact and report.events == 4, report.problems

