"""`frontline replay`: how a candidate configuration would have decided the customer turns a
tenant already had, before it ships (docs/evaluation.md, "Replay").

    frontline replay demo --since 2026-11-01 --with intents=new-intents.yaml
    frontline replay demo --since 2026-11-01 --until 2026-11-07 --with kb=new-helpcenter/ --json

Read-only on the real store; the candidate decides in a scratch world that reaches nobody
(app/evaluation/replay.py). Prints the turns replayed, the changed decisions by kind with
examples, and the KPIs on both sides. A report, not a gate: exit 0; bad input exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from app.cli.eval import tenant_file
from app.config.settings import Settings
from app.core import clock
from app.core.errors import FrontlineError
from app.evaluation.replay import ReplayResult, replay
from app.evaluation.replay_candidate import KEYS, parse_overrides
from app.evaluation.replay_diff import KINDS, Decided
from app.evaluation.replay_turns import stored_turns
from app.store import database_exists, describe_database, open_database
from knowledge.model_files import ModelFilesError

BAD_INPUT = 2


class ReplayInputError(FrontlineError):
    """The command line names a tenant, a window or a candidate that cannot be replayed."""


def add_parser(commands: Any) -> None:
    run = commands.add_parser(
        "replay", help="re-decide stored customer turns with a candidate config and show what changes",
        description="Re-decide a tenant's stored customer turns with a candidate configuration in a "
                    "scratch world (nothing is acted on, no one is messaged, the real store is only "
                    "read), and report the decisions that change and the KPI deltas. Exit 0; bad input 2.")
    run.add_argument("tenant", metavar="TENANT", help="the tenant's id")
    run.add_argument("--since", metavar="DATE", required=True, help="turns at or after (YYYY-MM-DD, UTC, or ISO time)")
    run.add_argument("--until", metavar="DATE", help="turns up to this day, included (or before this ISO time)")
    run.add_argument("--limit", type=int, metavar="N", help="replay at most the N oldest turns of the window")
    run.add_argument("--with", dest="overrides", action="append", default=[], metavar="KEY=PATH",
                     help=f"a candidate part, repeatable: {', '.join(k + '=PATH' for k in KEYS)}")
    run.add_argument("--grounded", action="store_true", help="decide without the tenant's model (no LLM calls)")
    run.add_argument("--examples", type=int, default=3, metavar="N", help="examples shown per change kind")
    run.add_argument("--json", action="store_true", help="print one JSON object")


def _when(value: str | None, option: str, *, end_of_day: bool = False) -> str | None:
    """As the store writes times (app/core/clock.py `stamp`), so they compare as text."""
    if value is None:
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ReplayInputError(f"{option} {value!r} is not a date (YYYY-MM-DD or an ISO-8601 time)") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if len(text) == 10 and end_of_day:
        moment += timedelta(days=1)
    return clock.stamp(moment)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        since, until = _when(args.since, "--since"), _when(args.until, "--until", end_of_day=True)
        if until is not None and since is not None and since >= until:
            raise ReplayInputError(f"--since {args.since} is not before --until {args.until}")
        if args.limit is not None and args.limit < 1:
            raise ReplayInputError(f"--limit {args.limit}: give a number of turns, 1 or more")
        tenant, path = tenant_file(settings, args.tenant)
        overrides = parse_overrides(args.overrides)
        if not database_exists(settings):
            raise ReplayInputError(f"there is no Frontline database at {describe_database(settings)}")
    except FrontlineError as exc:
        return _bad_input(exc)
    async with open_database(settings) as db:
        turns = await stored_turns(db, tenant.id, since or "", until, args.limit)
        if not turns:
            window = f"since {args.since}" + (f" until {args.until}" if args.until else "")
            return _bad_input(ReplayInputError(f"no answered customer turns of tenant {tenant.id!r} {window}"))
        try:
            result = await replay(settings, db, path, overrides, turns, grounded=args.grounded,
                                  examples_per_kind=args.examples)
        except ModelFilesError as exc:
            raise FrontlineError(f"{exc} (run `frontline setup`)") from None
        except FrontlineError as exc:  # the candidate files themselves (ConfigError): bad input
            return _bad_input(exc)
    window = {"since": since, "until": until}
    print(json.dumps(as_json(tenant.id, window, result), ensure_ascii=False, indent=2) if args.json
          else as_text(tenant.id, window, result))
    return 0


def _bad_input(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return BAD_INPUT


def _decided(decided: Decided) -> dict[str, Any]:
    return {"kind": decided.kind, "intent": decided.intent, "articles": list(decided.articles),
            "queue": decided.queue}


def as_json(tenant: str, window: dict[str, str | None], result: ReplayResult) -> dict[str, Any]:
    diff = result.diff
    return {
        "tenant": tenant, "window": window, "turns": diff.turns, "changed": diff.changed,
        "warm_up_turns": result.warm_up, "seconds": round(result.seconds, 2),
        "turns_per_second": round(diff.turns / result.deciding_seconds, 1) if result.deciding_seconds else None,
        "changes": {kind: diff.counts.get(kind, 0) for kind in KINDS},
        "examples": {kind: [{"conversation": e.conversation, "text": e.text, "before": _decided(e.before),
                             "after": _decided(e.after)} for e in shown] for kind, shown in diff.examples.items()},
        "kpis": {name: {"baseline": round(before, 4), "candidate": round(after, 4), "delta": round(after - before, 4)}
                 for name, (before, after) in diff.kpis().items()},
        "unsent_writes": result.unsent_writes,
    }


def _said(decided: Decided) -> str:
    detail = decided.queue if decided.kind == "handoff" else ", ".join(decided.articles) or None
    return f"{decided.kind} ({decided.intent or 'no intent'}{'; ' + detail if detail else ''})"


def as_text(tenant: str, window: dict[str, str | None], result: ReplayResult) -> str:
    diff = result.diff
    rate = f"{diff.turns / result.deciding_seconds:.1f}" if result.deciding_seconds else "-"
    span = f"since {window['since']}" + (f" until {window['until']}" if window["until"] else "")
    lines = [f"Replay of tenant {tenant}, {span}",
             f"  {diff.turns} turns replayed in {result.seconds:.1f}s ({rate} turns/s after start-up),"
             f" {diff.changed} decided differently"
             + (f" ({result.warm_up} earlier turns re-decided for flow state, not counted)" if result.warm_up else "")]
    if diff.counts:
        lines.append("\nChanges")
        for kind in KINDS:
            if diff.counts.get(kind):
                lines.append(f"  {kind.replace('_', ' '):<20} {diff.counts[kind]}")
        for kind in KINDS:
            for example in diff.examples.get(kind, []):
                lines.append(f"\n  [{kind.replace('_', ' ')}] {example.conversation}: \"{example.text}\"")
                lines.append(f"      {_said(example.before)} -> {_said(example.after)}")
    else:
        lines.append("\nNo decision changes.")
    lines.append(f"\n  {'KPI':<26} {'baseline':>9} {'candidate':>10} {'delta':>8}")
    for name, (before, after) in diff.kpis().items():
        lines.append(f"  {name.replace('_', ' '):<26} {before:>9.1%} {after:>10.1%} {(after - before) * 100:>+7.1f}pp")
    if result.unsent_writes:
        lines.append(f"\nWrites the candidate would have made (not sent): {len(result.unsent_writes)}")
    return "\n".join(lines)
