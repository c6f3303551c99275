"""One of several processes racing on the same PostgreSQL database (tests/test_postgres_processes.py).

    python -m tests.support.store_race URL WORKER COUNT START_AT

From START_AT (a time.time() value, so every process begins together) the worker tries, for
each i < COUNT and all at once: claiming conversation race-i for itself, recording ledger key
key-i, and appending an audit event. It prints what it won as one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from app.core.domain import Ownership
from app.core.errors import OwnershipConflict
from app.store import AuditLog, ConversationStore, PostgresDatabase
from app.store.actions import ActionLedger, LedgerEntry


async def race(url: str, worker: str, count: int, start_at: float) -> dict[str, list[str]]:
    won: dict[str, list[str]] = {"claims": [], "keys": [], "events": []}
    async with PostgresDatabase.open(url) as db:
        conversations, ledger, audit = ConversationStore(db), ActionLedger(db), AuditLog(db)

        async def claim(i: int) -> None:
            try:
                await conversations.transition(f"race-{i}", expect=(Ownership.QUEUED,), to=Ownership.HUMAN,
                                               agent=worker)
            except OwnershipConflict:
                return
            won["claims"].append(f"race-{i}")

        async def record(i: int) -> None:
            entry = LedgerEntry("demo", f"race-{i}", "cus_1", "refund", {"i": i}, 1.0, f"key-{i}", "p-1")
            if await ledger.claim(entry):
                won["keys"].append(f"key-{i}")

        async def append(i: int) -> None:
            await audit.record(worker, f"race.{i}", tenant="demo", subject=f"race-{i}")
            won["events"].append(f"race.{i}")

        await asyncio.sleep(max(0.0, start_at - time.time()))
        await asyncio.gather(*(step(i) for i in range(count) for step in (claim, record, append)))
    return won


if __name__ == "__main__":
    url, worker, count, start_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    print(json.dumps(asyncio.run(race(url, worker, count, start_at))))
