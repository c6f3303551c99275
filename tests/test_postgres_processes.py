"""Several Frontline processes writing to one PostgreSQL database at once (replicas): every
claim has exactly one winner, every idempotency key one ledger row, and the audit hash chain
stays whole with every event in it, because each write transaction holds the write lock."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

from app.core.domain import ConversationId, Identity, Message, MessageId, Role, TenantId, new_id
from app.core.trace import DecisionTrace
from app.store import ConversationStore, PostgresDatabase
from app.store.audit import verify
from app.store.handoffs import HandoffRequest
from tests.support.server import PROJECT_ROOT

COUNT = 40
WORKERS = ("replica-a", "replica-b")


async def _queue(store: ConversationStore, conversation_id: str) -> None:
    await store.ensure(conversation_id, Identity(TenantId("demo"), f"guest:demo:{conversation_id}"))
    reply = Message(MessageId(new_id()), ConversationId(conversation_id), Role.ASSISTANT, "Assistant", "queued")
    assert await store.save_assistant_reply(reply, DecisionTrace(), updates={}, handoff=HandoffRequest(
        "general", "asked", "human_request", "high", 2, "2026-11-21T10:15:00.000Z", "test-1"))


async def _queue_all(url: str) -> None:
    async with PostgresDatabase.open(url) as db:
        store = ConversationStore(db)
        for i in range(COUNT):
            await _queue(store, f"race-{i}")


def test_two_processes_racing_on_claims_keys_and_the_audit_log(postgres_url: str) -> None:
    asyncio.run(_queue_all(postgres_url))
    start_at = time.time() + 3.0  # both processes connect first, then start at the same moment
    processes = [subprocess.Popen([sys.executable, "-m", "tests.support.store_race", postgres_url, worker,
                                   str(COUNT), str(start_at)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for worker in WORKERS]
    outputs = [process.communicate(timeout=120) for process in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    won = {worker: json.loads(out) for worker, (out, _) in zip(WORKERS, outputs, strict=True)}

    everything = {f"race-{i}" for i in range(COUNT)}
    claims = [set(won[worker]["claims"]) for worker in WORKERS]
    assert claims[0] | claims[1] == everything and not claims[0] & claims[1]
    keys = [set(won[worker]["keys"]) for worker in WORKERS]
    assert keys[0] | keys[1] == {f"key-{i}" for i in range(COUNT)} and not keys[0] & keys[1]
    assert all(len(won[worker]["events"]) == COUNT for worker in WORKERS)
    asyncio.run(_check_records(postgres_url, claims))


async def _check_records(url: str, claims: list[set[str]]) -> None:
    async with PostgresDatabase.open(url) as db:
        owners = {r["id"]: r["assigned_agent"] for r in await db.fetch_all(
            "SELECT id, assigned_agent FROM conversations WHERE state = 'human'")}
        assert owners == {c: worker for worker, mine in zip(WORKERS, claims, strict=True) for c in mine}
        per_key = await db.fetch_all("SELECT idempotency_key, count(*) AS n FROM action_ledger GROUP BY 1")
        assert len(per_key) == COUNT and all(r["n"] == 1 for r in per_key)
        claimed = await db.fetch_all("SELECT claimed_by FROM handoffs WHERE claimed_by IS NOT NULL")
        assert len(claimed) == COUNT  # one handoff per conversation, claimed by its one winner
        report = await verify(db)
        assert report.intact, report.problems
        assert report.events == COUNT * len(WORKERS)
        actors = [r["actor"] for r in await db.fetch_all("SELECT actor FROM audit_events ORDER BY id")]
        assert set(actors) == set(WORKERS) and actors != sorted(actors), "the processes did not interleave"
