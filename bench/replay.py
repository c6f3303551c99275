"""How fast `frontline replay` re-decides stored customer turns.

    .venv/bin/python bench/replay.py [--turns 10000] [--with intents=FILE ...] [--json]

Builds a fresh SQLite store (the real migrations) for the demo tenant and fills it directly
with --turns answered customer turns over 7 days: conversations of 1-4 turns, their texts drawn
from the held-out customer messages in bench/data (demo intents in four languages, help-center
questions in Spanish, German and French, out-of-scope questions) plus short follow-ups ("yes",
"thanks"); 40 % of conversations by a verified demo customer. Each turn has the assistant's
reply and a decision trace as the demo would write it (handoff for a person, a task for the
action intents, an answer citing the article otherwise). Then the turns are replayed with the
candidate (default: the demo intents without `password_reset`) exactly as the CLI does, and
the start-up time, the turns per second once started and the change counts are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config.settings import PROJECT_ROOT, Settings
from app.core.clock import stamp
from app.evaluation.replay import replay
from app.evaluation.replay_candidate import parse_overrides
from app.evaluation.replay_turns import stored_turns
from app.store import SqliteDatabase

DEMO = PROJECT_ROOT / "demo"
DATA = Path(__file__).resolve().parent / "data"
START = datetime(2026, 11, 14, 8, 0, tzinfo=UTC)
TASKS = {"order_status", "invoice_copy", "password_reset", "refund_request", "cancellation", "address_change"}
FOLLOW_UPS = ["yes", "no", "thanks!", "ok, and how long does shipping take?", "that didn't help"]


def messages() -> list[tuple[str, str | None, str | None]]:
    """(text, intent, article) for every held-out customer message in bench/data."""
    found: list[tuple[str, str | None, str | None]] = []
    for line in (DATA / "demo_intents_dev.jsonl").read_text().splitlines():
        row = json.loads(line)
        found.append((row["text"], row.get("intent"), None))
    for line in (DATA / "crosslingual_demo.jsonl").read_text().splitlines():
        row = json.loads(line)
        found.append((row["question"], "question", row["doc_id"]))
    for line in (DATA / "out_of_scope_demo.jsonl").read_text().splitlines():
        found.append((json.loads(line)["question"], None, None))
    return found


def trace_of(intent: str | None, article: str | None) -> tuple[dict, dict]:
    """The decision trace and reply metadata the demo would store for the turn."""
    trace: dict = {"intent": {"name": intent, "confidence": 0.9}, "mode": "grounded"}
    citations = []
    if intent == "human_handoff":
        trace["decision"] = {"action": "handoff", "queue": "general"}
        trace["handoff"] = {"queue": "general", "level": "normal", "trigger": "human_request"}
    elif intent in TASKS:
        trace["decision"] = {"action": "task", "rule": f"task_{intent}"}
        trace["task"] = {"outcome": "asked", "flow": intent, "awaiting": "order_id"}
    else:
        trace["decision"] = {"action": "answer"}
        if article:
            citations = [{"title": article, "url": f"/kb/demo/{article}"}]
    return trace, {"citations": citations}


def generate(turns: int, seed: int = 11) -> dict[str, list[tuple]]:
    rnd = random.Random(seed)
    pool = messages()
    customers = [c["id"] for c in json.loads((DEMO / "crm.json").read_text())["customers"]]
    rows: dict[str, list[tuple]] = {"conversations": [], "messages": [], "decision_traces": []}
    made, n = 0, 0
    while made < turns:
        cid, n = f"bench-{n:06d}", n + 1
        at = START + timedelta(seconds=rnd.uniform(0, 7 * 86400 - 3600))
        customer = rnd.choice(customers) if rnd.random() < 0.4 else None
        created = at
        for turn in range(min(rnd.randint(1, 4), turns - made)):
            text, intent, article = rnd.choice(pool) if turn == 0 or rnd.random() < 0.6 else \
                (rnd.choice(FOLLOW_UPS), None, None)
            at += timedelta(seconds=rnd.uniform(10, 90) if turn else 0)
            rows["messages"].append((f"{cid}-q{turn}", cid, "customer", "Customer", text, stamp(at), "{}"))
            at += timedelta(seconds=rnd.uniform(0.3, 2))
            trace, metadata = trace_of(intent, article)
            reply = f"{cid}-r{turn}"
            rows["messages"].append((reply, cid, "assistant", "Assistant", "reply", stamp(at), json.dumps(metadata)))
            rows["decision_traces"].append((reply, cid, json.dumps(trace), stamp(at)))
            made += 1
        rows["conversations"].append((cid, "demo", f"guest:demo:{n}", customer, int(customer is not None), "en",
                                      stamp(created), stamp(at)))
    return rows


COLUMNS = {
    "conversations": ("id", "tenant", "user_identifier", "customer_id", "verified", "language", "created_at",
                      "updated_at"),
    "messages": ("id", "conversation_id", "role", "author", "content", "created_at", "metadata"),
    "decision_traces": ("message_id", "conversation_id", "trace", "created_at"),
}


def demo_tenant(folder: Path) -> Path:
    """The demo tenant with absolute paths, so its file can live anywhere."""
    tenant = yaml.safe_load((DEMO / "tenant.yaml").read_text())
    tenant |= {"intents": str(DEMO / "intents.yaml"), "actions": str(DEMO / "actions.yaml"),
               "handoff": str(DEMO / "handoff.yaml")}
    tenant["knowledge"]["paths"] = [str(DEMO / "helpcenter")]
    tenant["connector"]["options"]["seed"] = str(DEMO / "crm.json")
    path = folder / "tenant.yaml"
    path.write_text(yaml.safe_dump(tenant))
    return path


def default_candidate(folder: Path) -> str:
    intents = yaml.safe_load((DEMO / "intents.yaml").read_text())
    del intents["intents"]["password_reset"]
    path = folder / "candidate-intents.yaml"
    path.write_text(yaml.safe_dump(intents, allow_unicode=True))
    return f"intents={path}"


async def run(turns: int, specs: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="frontline-bench-replay-") as scratch:
        folder = Path(scratch)
        settings = Settings(data_dir=folder / "data", tenants=[demo_tenant(folder)])
        async with SqliteDatabase.open(settings.database_path):
            pass  # the real migrations
        seeded = time.perf_counter()
        rows = generate(turns)
        with sqlite3.connect(settings.database_path) as db:
            for table, columns in COLUMNS.items():
                db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                               rows[table])
        seeded = time.perf_counter() - seeded
        overrides = parse_overrides(specs or [default_candidate(folder)])
        async with SqliteDatabase.open(settings.database_path) as db:
            read = time.perf_counter()
            stored = await stored_turns(db, "demo", stamp(START))
            read = time.perf_counter() - read
            result = await replay(settings, db, settings.tenants[0], overrides, stored)
    diff = result.diff
    return {
        "turns": diff.turns, "conversations": len(rows["conversations"]), "seed_seconds": round(seeded, 2),
        "read_baseline_seconds": round(read, 2), "total_seconds": round(result.seconds, 1),
        "startup_seconds": round(result.seconds - result.deciding_seconds, 1),
        "deciding_seconds": round(result.deciding_seconds, 1),
        "turns_per_second": round(diff.turns / result.deciding_seconds, 1),
        "warm_up_turns": result.warm_up, "changed": diff.changed, "changes": dict(diff.counts),
        "candidate": specs or ["intents=demo intents without password_reset"],
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=10_000)
    parser.add_argument("--with", dest="specs", action="append", default=[], metavar="KEY=PATH")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    figures = asyncio.run(run(args.turns, args.specs))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{figures['turns']} stored turns in {figures['conversations']} conversations "
          f"(seeded in {figures['seed_seconds']}s, baseline read in {figures['read_baseline_seconds']}s)")
    print(f"replayed in {figures['total_seconds']}s: start-up {figures['startup_seconds']}s, then "
          f"{figures['turns_per_second']} turns/s ({figures['deciding_seconds']}s)")
    print(f"{figures['changed']} decided differently from the generated traces (they stand in for a real "
          f"history, so the counts show the work done, not a finding): {figures['changes']}")


if __name__ == "__main__":
    main()
