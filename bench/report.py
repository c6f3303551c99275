"""How long `frontline report` takes over a large history.

    .venv/bin/python bench/report.py [--conversations 100000] [--reps 3] [--postgres] [--json]

Builds a fresh SQLite store (the real migrations) and fills it directly with bulk inserts:
--conversations conversations of tenant `bench` over 30 days, plus 5 % as many of tenant
`noise` (which the report must skip). Each conversation has 1-3 turns (a customer message and
the assistant's reply with its decision trace, replies 0.5-4 s later); about 12 % of answer
turns found nothing in the help center (a knowledge gap, from 40 phrasings of 8 topics), 15 %
of conversations were handed off (90 % claimed, most resolved, some handed back, 70 % of the
resolved rated), 8 % of replies got a thumb, 30 % of replies used the model, 10 % ran an
action; the 40 % of conversations with a verified customer carry one of three tiers. Then the
report is built --reps times on the same connection; the report is
printed as text and every run timed. With --postgres the same rows are copied into a
throwaway PostgreSQL server (the tests' `PostgresCluster`: fsync off, 32 MB of shared
buffers) and timed there too, and the two engines' figures are compared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.analytics.report import build_report
from app.cli.report import as_text
from app.core.clock import stamp
from app.store import PostgresDatabase, SqliteDatabase

START = datetime(2026, 10, 1, tzinfo=UTC)
NOW = START + timedelta(days=30)
TOPICS = [("pause", "subscription"), ("gift", "card"), ("student", "discount"), ("pet", "insurance"),
          ("crypto", "payment"), ("trade", "in"), ("bulk", "order"), ("carbon", "offset")]
FRAMES = ["Can I {} my {}?", "do you offer {} {}", "{} {} please", "How does {} {} work?", "is there any {} {} option"]
INTENTS = ["order_status", "billing_question", "plan_change", "technical_issue", "faq", "greeting", "cancellation"]
QUEUES = [("general", "human_request", 1800), ("technical", "frustration", 1800), ("compliance", "regulatory", 14400)]
AGENTS = [f"agent{i}@bench.example" for i in range(12)]
ACTIONS = ["cancel_order", "refund_request", "change_address", "send_invoice"]
TIERS = ["standard", "premium", "enterprise"]  # verified customers' CRM tiers, spread over the ids


def generate(conversations: int, seed: int = 7) -> dict[str, list[tuple]]:
    rnd = random.Random(seed)
    rows: dict[str, list[tuple]] = {k: [] for k in ("c", "m", "t", "h", "f", "u", "a")}
    csat: list[tuple] = []
    cited = json.dumps({"citations": [{"title": "Help", "url": "https://help.example/a", "heading": None}]})
    nothing = json.dumps({"citations": []})
    handoff_id = 0
    total = conversations + conversations // 20
    for n in range(total):
        tenant = "bench" if n < conversations else "noise"
        cid = f"{tenant}-{n}"
        created = START + timedelta(seconds=rnd.uniform(0, 30 * 86400 - 3600))
        customer = f"cus_{rnd.randrange(5000)}" if rnd.random() < 0.4 else None
        escalate = rnd.random() < 0.15
        queue, trigger, sla = rnd.choice(QUEUES)
        state = "assistant"
        at = created
        for turn in range(rnd.randint(1, 3)):
            at += timedelta(seconds=rnd.uniform(5, 120) if turn else 0)
            gap = rnd.random() < 0.12
            if gap:
                text = rnd.choice(FRAMES).format(*rnd.choice(TOPICS))
            else:
                text = f"question {rnd.randrange(1000)} about my account"
            rows["m"].append((f"{cid}-q{turn}", cid, "customer", "customer", text, stamp(at), "{}"))
            replied = at + timedelta(seconds=rnd.uniform(0.5, 4))
            mid = f"{cid}-r{turn}"
            last = escalate and turn == 0
            trace: dict[str, object] = {"intent": {"name": "human_handoff" if last else rnd.choice(INTENTS)},
                                        "decision": {"action": "handoff" if last else "answer"}, "mode": "grounded"}
            if not last:
                trace["retrieval"] = [] if gap else [{"id": "p", "doc": "d", "rrf": 0.03, "similarity": 0.7}]
            rows["m"].append((mid, cid, "assistant", "assistant", "reply", stamp(replied),
                              nothing if gap or last else cited))
            rows["t"].append((mid, cid, json.dumps(trace), stamp(replied)))
            if rnd.random() < 0.08:
                rows["f"].append((f"f-{mid}", mid, cid, 0 if gap or rnd.random() < 0.3 else 1, stamp(replied)))
            if rnd.random() < 0.3:
                rows["u"].append((tenant, cid, mid, "gpt-4o-mini", rnd.randint(300, 1500), rnd.randint(30, 200),
                                  round(rnd.uniform(0.0001, 0.002), 6), stamp(replied)))
            at = replied
            if last:
                break
        if escalate:
            handoff_id += 1
            requested = at
            due = requested + timedelta(seconds=sla)
            claimed = closed = outcome = agent = None
            if requested < NOW - timedelta(hours=2) or rnd.random() < 0.5:
                agent = rnd.choice(AGENTS)
                claimed = requested + timedelta(seconds=rnd.expovariate(1 / 900))
                closed = claimed + timedelta(seconds=rnd.expovariate(1 / 600))
                outcome = "resolved" if rnd.random() < 0.85 else "handed_back"
                state = "resolved" if outcome == "resolved" else "assistant"
                if outcome == "resolved" and rnd.random() < 0.7:
                    csat.append((handoff_id, cid, agent, rnd.choice([2, 3, 4, 4, 5, 5, 5]), stamp(closed)))
            else:
                state = "queued"
            rows["h"].append((handoff_id, cid, queue, "why", stamp(requested), trigger, stamp(due), agent,
                              claimed and stamp(claimed), closed and stamp(closed), outcome))
        if rnd.random() < 0.1:
            rows["a"].append((tenant, cid, rnd.choice(ACTIONS), "{}", f"key-{cid}", "v1", "succeeded", stamp(at)))
        tier = TIERS[int(customer[4:]) % len(TIERS)] if customer else None  # the CRM's tier, as triage keeps it
        rows["c"].append((cid, tenant, f"guest:{n}", customer, tier, state, stamp(created), stamp(at)))

    rows["s"] = csat
    return rows


TABLES = {  # rows key -> table and columns, in the order generate() writes them
    "c": ("conversations", ("id", "tenant", "user_identifier", "customer_id", "customer_tier", "state", "created_at",
                            "updated_at")),
    "m": ("messages", ("id", "conversation_id", "role", "author", "content", "created_at", "metadata")),
    "t": ("decision_traces", ("message_id", "conversation_id", "trace", "created_at")),
    "h": ("handoffs", ("id", "conversation_id", "queue", "reason", "requested_at", "trigger_rule", "due_at",
                       "claimed_by", "claimed_at", "closed_at", "outcome")),
    "s": ("csat", ("handoff_id", "conversation_id", "agent", "score", "asked_at")),
    "f": ("feedback", ("id", "message_id", "conversation_id", "value", "created_at")),
    "u": ("llm_usage", ("tenant", "conversation_id", "message_id", "model", "prompt_tokens", "completion_tokens",
                        "cost_usd", "created_at")),
    "a": ("action_ledger", ("tenant", "conversation_id", "action", "arguments", "idempotency_key", "policy_version",
                            "status", "created_at")),
}


def fill(path: Path, rows: dict[str, list[tuple]]) -> None:
    with sqlite3.connect(path) as db:
        for key, (table, columns) in TABLES.items():
            db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                           rows[key])


async def fill_postgres(url: str, rows: dict[str, list[tuple]]) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        for key, (table, columns) in TABLES.items():
            await conn.copy_records_to_table(table, records=rows[key], columns=list(columns))
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def counts(rows: dict[str, list[tuple]]) -> dict[str, int]:
    return {TABLES[key][0]: len(found) for key, found in rows.items()}


async def timed(db, reps: int) -> tuple[list[float], object]:
    timings, report = [], None
    for _ in range(reps):
        began = time.perf_counter()
        report = await build_report(db, "bench", since=None, until=None, now=NOW)
        timings.append(time.perf_counter() - began)
    return timings, report


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--postgres", action="store_true",
                        help="also time it on a throwaway PostgreSQL server (tests/support/postgres.py)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = generate(args.conversations)
    with tempfile.TemporaryDirectory(prefix="frontline-report-bench-") as folder:
        path = Path(folder) / "frontline.sqlite3"
        async with SqliteDatabase.open(path):
            pass  # the real schema
        began = time.perf_counter()
        fill(path, rows)
        filled = time.perf_counter() - began
        async with SqliteDatabase.open(path) as db:
            timings, report = await timed(db, args.reps)
        size_mb = path.stat().st_size / 1e6
    pg_timings: list[float] = []
    if args.postgres:
        from tests.support.postgres import PostgresCluster, postgres_bin

        found = postgres_bin()
        if found is None:
            sys.exit("error: no PostgreSQL binaries (initdb) on this machine")
        cluster = PostgresCluster(found).start()
        try:
            url = cluster.create_database()
            async with PostgresDatabase.open(url) as db:
                await fill_postgres(url, rows)
                pg_timings, pg_report = await timed(db, args.reps)
            theirs, ours = pg_report.model_dump(), report.model_dump()
            differ = [key for key in ours if theirs[key] != ours[key]]
            print(f"PostgreSQL and SQLite agree on {len(ours) - len(differ)} of {len(ours)} figures"
                  + (f"; they differ in {', '.join(differ)}" if differ else ""), file=sys.stderr)
        finally:
            cluster.stop()
    assert report is not None
    result = {"rows": counts(rows), "fill_seconds": round(filled, 1), "database_mb": round(size_mb, 1),
              "report_seconds": [round(t, 2) for t in timings], "median_seconds": round(statistics.median(timings), 2),
              "postgres_seconds": [round(t, 2) for t in pg_timings],
              "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    if args.json:
        print(json.dumps({**result, "report": report.model_dump(mode="json")}, indent=2))
        return
    print(as_text(report))
    print()
    print(f"rows: {counts(rows)}")
    print(f"filled in {filled:.1f} s; database {size_mb:.1f} MB (SQLite {sqlite3.sqlite_version})")
    print(f"report on SQLite: {', '.join(f'{t:.2f}' for t in timings)} s (median {statistics.median(timings):.2f} s)")
    if pg_timings:
        print(f"report on PostgreSQL: {', '.join(f'{t:.2f}' for t in pg_timings)} s "
              f"(median {statistics.median(pg_timings):.2f} s)")


if __name__ == "__main__":
    asyncio.run(main())
