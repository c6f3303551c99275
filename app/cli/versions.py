"""`frontline versions`: which prompt, intents, policies and help center decided a tenant's
replies, and when each version was in effect (read from the stored decision traces).

    frontline versions demo [--json]

Rolling back is switching a file back: its old hash decides again and is listed first.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.config.settings import Settings
from app.config.tenants import TenantRegistry
from app.core.errors import FrontlineError
from app.evaluation.versions import as_json, as_text, version_history
from app.store import database_exists, describe_database, open_database


def add_parser(commands: Any) -> None:
    versions = commands.add_parser(
        "versions", help="list the file versions that decided a tenant's replies, and when",
        description="Each distinct version (a content hash) of the prompt, intents, action "
                    "policy, handoff policy and help center that decided the tenant's stored "
                    "replies: first and last time, and how many replies. The latest first.")
    versions.add_argument("tenant", metavar="TENANT", help="the tenant's id")
    versions.add_argument("--json", action="store_true", help="print one JSON object")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    registry = TenantRegistry.from_files(settings.tenants)
    if registry.get(args.tenant) is None:
        known = ", ".join(sorted(t.id for t in registry))
        raise FrontlineError(f"no tenant {args.tenant!r} (known: {known})")
    if not database_exists(settings):
        raise FrontlineError(f"There is no Frontline database at {describe_database(settings)} (FRONTLINE_DATA_DIR).")
    async with open_database(settings) as db:
        history = await version_history(db, args.tenant)
    print(json.dumps(as_json(args.tenant, history), indent=2) if args.json else as_text(args.tenant, history))
    return 0
