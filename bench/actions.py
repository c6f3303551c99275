"""What guarding a write costs: the action gate over the demo backend, and the REST connector
over a local company API.

    uv run python bench/actions.py [--n 300] [--json]

Prints p50/p95 in milliseconds for:
- a bare connector write (demo SQLite backend), and the same write through the gate
  (policy ruling, quota count, ledger claim, connector, ledger result + audit event);
- a replayed request (same idempotency key: answered from the ledger);
- a request the policy holds for approval (ledger + approval + audit, no connector);
- `frontline audit verify` over every event written, as events per second;
- a REST connector read and write against a scripted company API on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the packages, not bench/guardrails.py

from app.actions.gate import ActionRequest, ActionScope, GuardedActions
from app.config.settings import PROJECT_ROOT
from app.core.domain import Identity, TenantId, new_id
from app.store import SqliteDatabase
from app.store.actions import ActionLedger, ApprovalStore
from app.store.audit import AuditLog, verify
from connectors.demo_sqlite import DemoSqliteConnector
from connectors.registry import ConnectorContext, open_connector
from guardrails.action_policy import ActionPolicy
from tests.support.fake_company_api import TOKEN, FakeCompanyAPI, connector_options

UNLIMITED = ActionPolicy.model_validate({"version": "bench", "actions": {"send_invoice_copy": {}}})
HELD = ActionPolicy.model_validate({"version": "bench", "actions": {"send_invoice_copy": {"approval": "always"}}})


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": round(statistics.median(ordered), 3),
            "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3), "n": len(ordered)}


async def timed(n: int, make: Callable[[int], Awaitable[Any]]) -> dict[str, float]:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        await make(i)
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


async def gate_figures(n: int, folder: Path) -> dict[str, Any]:
    connector = await DemoSqliteConnector.open(folder / "crm.sqlite3", PROJECT_ROOT / "demo" / "crm.json")
    figures: dict[str, Any] = {}
    async with SqliteDatabase.open(folder / "frontline.sqlite3") as db:
        audit = AuditLog(db)
        gate = GuardedActions(ActionLedger(db), ApprovalStore(db), audit)
        identity = Identity(TenantId("demo"), "bench:cus_1001", customer_id="cus_1001")

        def scope(policy: ActionPolicy) -> ActionScope:
            return ActionScope("demo", new_id(), identity, "en", connector, policy)

        def request(key: str) -> ActionRequest:
            return ActionRequest("send_invoice_copy", {"invoice_id": "INV-2026-0079"}, key)

        figures["connector_write"] = await timed(n, lambda i: connector.send_invoice_copy(
            "cus_1001", "INV-2026-0079", idempotency_key=f"bare-{i}"))
        allowed = scope(UNLIMITED)
        figures["gated_write"] = await timed(n, lambda i: gate.perform(allowed, request(f"gated-{i}")))
        figures["replayed"] = await timed(n, lambda i: gate.perform(allowed, request(f"gated-{i}")))
        held = scope(HELD)
        figures["held_for_approval"] = await timed(n, lambda i: gate.perform(held, request(f"held-{i}")))
        started = time.perf_counter()
        report = await verify(db)
        seconds = time.perf_counter() - started
        assert report.intact, report.problems
        figures["audit_verify"] = {"events": report.events, "seconds": round(seconds, 3),
                                   "events_per_second": round(report.events / seconds)}
    await connector.close()
    return figures


async def rest_figures(n: int, folder: Path) -> dict[str, Any]:
    api = FakeCompanyAPI().start()
    os.environ["BENCH_COMPANY_TOKEN"] = TOKEN
    options = connector_options(api.url, "BENCH_COMPANY_TOKEN", timeout_seconds=5, retries=0)
    try:
        rest = await open_connector("rest", options, ConnectorContext("bench", folder, folder))
        try:
            read = await timed(n, lambda i: rest.orders("cus_1"))
            write = await timed(n, lambda i: rest.send_invoice_copy("cus_1", "INV-1", idempotency_key=f"rest-{i}"))
        finally:
            await rest.close()
    finally:
        api.stop()
        os.environ.pop("BENCH_COMPANY_TOKEN", None)
    return {"rest_read_orders": read, "rest_write": write}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="requests per measurement")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures = asyncio.run(gate_figures(args.n, folder))
        figures |= asyncio.run(rest_figures(args.n, folder))
    figures["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"Guarded actions, {args.n} requests each, {os.cpu_count()} CPUs (ms)")
    labels = {"connector_write": "demo backend write, bare", "gated_write": "same write through the gate",
              "replayed": "replay (same key)", "held_for_approval": "held for approval",
              "rest_read_orders": "REST connector: read orders", "rest_write": "REST connector: write"}
    for key, label in labels.items():
        f = figures[key]
        print(f"  {label:<32} p50 {f['p50']:7.3f}  p95 {f['p95']:7.3f}")
    overhead = figures["gated_write"]["p50"] - figures["connector_write"]["p50"]
    print(f"  gate overhead on a write (p50): {overhead:.3f} ms")
    a = figures["audit_verify"]
    print(f"  audit verify: {a['events']} events in {a['seconds']} s ({a['events_per_second']} events/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
