"""`frontline eval`: run a tenant's test conversations against the real engine, before a change ships.

    frontline eval demo                      the suite next to the tenant file (eval.yaml)
    frontline eval demo --suite FILE --json

Every case runs in a scratch world (a fresh store, index and demo business system in a
temporary folder; app/evaluation/runner.py), in grounded mode and, when the tenant has a
model, in LLM mode. Prints each case's result and the reason for each failed expectation,
then the KPIs. Exits 1 when any case fails, so it can gate a deploy (docs/evaluation.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.config.settings import Settings
from app.config.tenants import Tenant, TenantRegistry, load_tenant
from app.core.errors import FrontlineError
from app.evaluation.runner import ModeReport, run_suite
from app.evaluation.suite import load_suite
from knowledge.model_files import ModelFilesError

SUITE_FILE = "eval.yaml"


def add_parser(commands: Any) -> None:
    run = commands.add_parser(
        "eval", help="run a tenant's test conversations and gate a deploy on them",
        description="Run the scripted conversations of a suite against the real engine in a "
                    "scratch copy of everything (nothing real is touched), and report each case "
                    "and the KPIs. Exit status 1 when a case fails.")
    run.add_argument("tenant", metavar="TENANT", help="the tenant's id")
    run.add_argument("--suite", type=Path, metavar="FILE",
                     help=f"the suite (default: {SUITE_FILE} next to the tenant file)")
    run.add_argument("--json", action="store_true", help="print one JSON object")


def tenant_file(settings: Settings, tenant_id: str) -> tuple[Tenant, Path]:
    """The tenant with this id and the file it was read from."""
    registry = TenantRegistry.from_files(settings.tenants)  # every file valid, ids unique
    for path in settings.tenants:
        tenant = load_tenant(Path(path))
        if tenant.id == tenant_id:
            return tenant, Path(path)
    known = ", ".join(sorted(t.id for t in registry))
    raise FrontlineError(f"no tenant {tenant_id!r} (known: {known})")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    tenant, path = tenant_file(settings, args.tenant)
    suite_path = args.suite or path.parent / SUITE_FILE
    suite = load_suite(suite_path)
    try:
        reports = await run_suite(settings, tenant, path, suite)
    except ModelFilesError as exc:
        raise FrontlineError(f"{exc} (run `frontline setup`)") from None
    passed = all(case.passed for report in reports for case in report.cases)
    if args.json:
        print(json.dumps(as_json(tenant.id, suite_path, reports, passed), ensure_ascii=False, indent=2))
    else:
        print(as_text(tenant.id, suite_path, reports, passed))
    return 0 if passed else 1


def as_json(tenant: str, suite: Path, reports: list[ModeReport], passed: bool) -> dict[str, Any]:
    return {"tenant": tenant, "suite": str(suite), "passed": passed, "modes": [{
        "mode": report.mode,
        "cases": [{"name": case.name, "passed": case.passed, "failures": case.failures,
                   "handed_off": case.handed_off} for case in report.cases],
        "kpis": {name: {"good": good, "of": total, "rate": round(good / total, 4) if total else None}
                 for name, (good, total) in report.kpis().items()},
    } for report in reports]}


def as_text(tenant: str, suite: Path, reports: list[ModeReport], passed: bool) -> str:
    lines = [f"Suite {suite} for tenant {tenant}"]
    for report in reports:
        lines.append(f"\n{report.mode} mode")
        for case in report.cases:
            lines.append(f"  {'PASS' if case.passed else 'FAIL'}  {case.name}")
            lines.extend(f"        {failure}" for failure in case.failures)
        lines.append(f"  KPIs ({report.mode}):")
        for name, (good, total) in report.kpis().items():
            rate = f"{good / total:.0%}" if total else "not measured"
            lines.append(f"    {name.replace('_', ' '):<24} {good}/{total}  {rate}")
    lines.append("\nAll cases passed." if passed else "\nSome cases FAILED.")
    return "\n".join(lines)
