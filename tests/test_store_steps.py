"""A write transaction given as its steps: one transaction, stopped by a guard, rolled back by
a failing statement, on both engines; on SQLite, run without a trip back to the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from app.core.domain import ConversationId, Identity, Message, MessageId, Role, TenantId
from app.store import ConversationStore, Database, SqliteDatabase
from app.store.database import Step, StepResult

INSERT = "INSERT INTO users (id, identifier, created_at) VALUES (?, ?, '2026-01-01')"


def insert(key: str, **options: Any) -> Step:
    return Step(INSERT, (key, key), **options)


async def _keys(database: Database) -> list[str]:
    return [r["id"] for r in await database.fetch_all("SELECT id FROM users ORDER BY id")]


async def test_the_steps_run_as_one_transaction_and_report_what_each_did(database: Database):
    done = await database.run_steps([
        insert("a"), insert("b"), Step("SELECT id FROM users ORDER BY id", rows=True)])
    assert [r.rowcount for r in done[:2]] == [1, 1]
    assert [row["id"] for row in done[2].rows] == ["a", "b"]
    assert await _keys(database) == ["a", "b"]


async def test_a_guard_that_says_no_stops_the_later_steps(database: Database):
    def absent(found: StepResult) -> bool:
        return not found.rows

    await database.run_steps([insert("a")])
    done = await database.run_steps([
        Step("SELECT id FROM users WHERE id = ?", ("a",), rows=True, proceed=absent), insert("never")])
    assert len(done) == 1 and await _keys(database) == ["a"]


async def test_a_failing_step_rolls_back_the_steps_before_it(database: Database):
    await database.run_steps([insert("a")])
    with pytest.raises((sqlite3.IntegrityError, asyncpg.UniqueViolationError)):
        await database.run_steps([insert("b"), insert("a")])  # "a" is taken
    assert await _keys(database) == ["a"]
    await database.run_steps([insert("c")])  # and the next transaction runs
    assert await _keys(database) == ["a", "c"]


async def test_steps_sent_while_a_transaction_is_open_run_after_its_commit(database: Database):
    async with database.transaction() as tx:
        await tx.execute(INSERT, ("a", "a"))
        steps = asyncio.create_task(database.run_steps([
            insert("b"), Step("SELECT id FROM users ORDER BY id", rows=True)]))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not steps.done()  # inside another transaction, they would have run by now
    done = await steps
    assert [row["id"] for row in done[1].rows] == ["a", "b"]


async def test_steps_and_transactions_sent_together_all_commit_once(database: Database):
    async def by_transaction(key: str) -> None:
        async with database.transaction() as tx:
            await tx.execute(INSERT, (key, key))
            await asyncio.sleep(0)
            await tx.execute("UPDATE users SET display_name = ? WHERE id = ?", ("t", key))

    await asyncio.gather(*(database.run_steps([insert(f"s{n}"), Step(
        "UPDATE users SET display_name = ? WHERE id = ?", ("s", f"s{n}"))]) if n % 2 else by_transaction(f"t{n}")
        for n in range(30)))
    rows = await database.fetch_all("SELECT id, display_name FROM users")
    assert sorted((r["id"], r["display_name"]) for r in rows) == sorted(
        (f"s{n}", "s") if n % 2 else (f"t{n}", "t") for n in range(30))


async def test_on_sqlite_the_steps_never_wait_for_the_event_loop_in_between(tmp_path: Path):
    """The write lock is held for the statements only. On a busy loop (here every turn of it
    takes 10 ms of other work), a trip back to the loop between statements costs a turn of it
    each: BEGIN, six statements and COMMIT would take at least eight. (On PostgreSQL, asyncpg
    talks to the server from the loop itself: there is no thread to hand the steps to.)"""
    turns = 0

    async def other_chats() -> None:
        nonlocal turns
        while True:
            turns += 1
            time.sleep(0.01)  # noqa: ASYNC251 - a turn of the loop spent on other customers' work
            await asyncio.sleep(0)

    async with SqliteDatabase.open(tmp_path / "frontline.sqlite3") as database:
        busy = asyncio.create_task(other_chats())
        try:
            await asyncio.sleep(0)
            before = turns
            await database.run_steps([insert(str(n)) for n in range(6)])
            waited = turns - before
        finally:
            busy.cancel()
        assert await _keys(database) == [str(n) for n in range(6)]
    assert waited <= 3, f"the steps waited {waited} turns of the loop"


async def test_storing_a_message_and_committing_a_reply_go_through_the_steps(database: Database):
    store = ConversationStore(database)
    conversation = await store.ensure("c-1", Identity(TenantId("demo"), "guest-1"))
    message = Message(MessageId("m-1"), ConversationId(conversation.id), Role.CUSTOMER, "Customer",
                      "Where is my order?", "2026-01-01T10:00:00Z")
    assert await store.add_message(message) is True
    assert await store.add_message(message) is False  # the same id again: stored once
    stored = await store.messages(conversation.id)
    assert [m.content for m in stored] == ["Where is my order?"]
    assert (await store.get(conversation.id)).updated_at == "2026-01-01T10:00:00Z"
