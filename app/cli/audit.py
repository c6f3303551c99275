"""`frontline audit`: check the audit log's hash chain, and read recent events.

    frontline audit verify            exit 0 if every event is intact, 1 listing what is not
    frontline audit show [--tenant T] [--subject CONVERSATION] [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.config.settings import Settings
from app.core.errors import FrontlineError
from app.store import database_exists, describe_database, open_database
from app.store.audit import AuditLog, verify


def add_parser(commands: Any) -> None:
    audit = commands.add_parser("audit", help="verify or read the audit log",
                                description="The audit log is append-only and hash-chained.")
    actions = audit.add_subparsers(dest="audit_command", required=True)
    check = actions.add_parser("verify", help="detect altered, missing or reordered events")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    show = actions.add_parser("show", help="print the newest events, oldest first")
    show.add_argument("--tenant")
    show.add_argument("--subject", metavar="CONVERSATION_ID")
    show.add_argument("--limit", type=int, default=30)
    show.add_argument("--json", action="store_true", help="print one JSON object per line")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    if not database_exists(settings):
        raise FrontlineError(f"There is no Frontline database at {describe_database(settings)} (FRONTLINE_DATA_DIR).")
    async with open_database(settings) as db:
        if args.audit_command == "verify":
            report = await verify(db)
            if args.json:
                print(json.dumps({"intact": report.intact, "events": report.events, "head": report.head,
                                  "problems": report.problems}))
            elif report.intact:
                print(f"audit log intact: {report.events} events, head {report.head[:16] or '—'}")
            else:
                print(f"audit log NOT intact: {len(report.problems)} problem(s) in {report.events} events")
                for problem in report.problems:
                    print(f"  - {problem}")
            return 0 if report.intact else 1
        events = await AuditLog(db).events(tenant=args.tenant, subject=args.subject, limit=max(1, args.limit))
        for event in events:
            if args.json:
                print(json.dumps({k: v for k, v in event.items() if k != "prev_hash"}, ensure_ascii=False))
            else:
                print(f"{event['id']:>6} {event['at']} {event['actor']:<28} {event['action']:<24} "
                      f"{event['outcome'] or '':<16} {event['policy_version'] or '':<24} {event['subject'] or ''}")
        return 0
