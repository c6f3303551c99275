"""`frontline report`: the support lead's figures for one tenant (docs/analytics.md).

    frontline report demo --since 2026-11-01 --until 2026-11-30
    frontline report demo --json

Read-only: it runs beside a live server. DATE is a day (YYYY-MM-DD, UTC) or an ISO-8601
moment; `--until` with a day includes that whole day.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from app.analytics.model import Durations, Escalations, Report, Usage
from app.analytics.report import build_report, has_tenant
from app.config.settings import Settings
from app.config.tenants import TenantRegistry
from app.core import clock
from app.core.errors import FrontlineError
from app.store import database_exists, describe_database, open_database


class ReportError(FrontlineError):
    """The command line names a tenant or a date that cannot be reported on."""


def add_parser(commands: Any) -> None:
    report = commands.add_parser("report", help="the support lead's figures for one tenant",
                                 description="Containment, escalations, response times, SLA, CSAT, knowledge "
                                             "gaps, intents, model spend and workload of one tenant's "
                                             "conversations started in the window (docs/analytics.md).")
    report.add_argument("tenant", metavar="TENANT")
    report.add_argument("--since", metavar="DATE", help="conversations started at or after (YYYY-MM-DD, UTC)")
    report.add_argument("--until", metavar="DATE", help="conversations started up to this day, included")
    report.add_argument("--json", action="store_true", help="print the report as one JSON object")


def parse_when(value: str | None, option: str, *, end_of_day: bool = False) -> datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return day + timedelta(days=1) if end_of_day else day
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ReportError(f"{option} {value!r} is not a date (YYYY-MM-DD or an ISO-8601 time)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    since = parse_when(args.since, "--since")
    until = parse_when(args.until, "--until", end_of_day=True)
    if since and until and since >= until:
        raise ReportError(f"--since {args.since} is not before --until {args.until}")
    configured = sorted(t.id for t in TenantRegistry.from_files(settings.tenants))
    if not database_exists(settings):
        raise ReportError(f"there is no Frontline database at {describe_database(settings)}")
    async with open_database(settings) as db:
        if args.tenant not in configured and not await has_tenant(db, args.tenant):
            raise ReportError(f"no tenant {args.tenant!r} (known: {', '.join(configured) or 'none'})")
        report = await build_report(db, args.tenant, since=since, until=until, now=clock.now())
    print(report.model_dump_json(indent=2) if args.json else as_text(report))
    return 0


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _secs(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 120:
        return f"{value:.1f}s"
    return f"{value / 60:.1f}m" if value < 7200 else f"{value / 3600:.1f}h"


def _times(name: str, d: Durations) -> str:
    return f"  {name:<28} p50 {_secs(d.p50_seconds):>8}  p95 {_secs(d.p95_seconds):>8}  (n={d.count})"


def _usage(u: Usage) -> str:
    cost = "unpriced" if u.cost_usd is None else f"${u.cost_usd:,.4f}"
    return f"{u.calls} calls, {u.prompt_tokens:,} prompt + {u.completion_tokens:,} completion tokens, {cost}"


def _escalations(title: str, rows: list[Escalations]) -> list[str]:
    return [f"  {title}:"] + [f"    {r.name:<24} {r.conversations:>6} conversations ({_pct(r.rate)}), "
                              f"{r.handoffs} handoffs" for r in rows] + ([] if rows else ["    none"])


def as_text(r: Report) -> str:
    window = f"{r.since or 'the start'} to {r.until or 'now'}"
    out = [f"Frontline report · tenant {r.tenant} · conversations started {window}", f"generated {r.generated_at}", "",
           "Conversations",
           f"  conversations                {r.conversations}",
           f"  answered by the assistant    {r.assistant_answered}",
           f"  contained                    {r.contained} ({_pct(r.containment_rate)})"
           "  no handoff, no thumbs down",
           f"  resolved (unconfirmed)       {r.resolved_unconfirmed} ({_pct(r.resolution_rate_unconfirmed)})"
           "  contained, no knowledge gap; nobody confirmed it",
           f"  resolved (measured)          {_pct(r.resolution_rate)}  follow-ups: {r.follow_ups.asked} asked,"
           f" {r.follow_ups.solved} solved, {r.follow_ups.not_solved} not solved, {r.follow_ups.unanswered} unanswered",
           f"  escalated                    {r.escalated} ({_pct(r.escalation_rate)})",
           *_escalations("by trigger", r.escalation_by_trigger), *_escalations("by queue", r.escalation_by_queue), "",
           "By channel"]
    out += [f"  {c.channel:<12} {c.conversations:>6} conversations, contained {c.contained} "
            f"({_pct(c.containment_rate)}), escalated {c.escalated} ({_pct(c.escalation_rate)}), resolved (measured) "
            f"{_pct(c.resolution_rate)} of {c.follow_ups.solved + c.follow_ups.not_solved} answered follow-ups, "
            f"incident notices {c.outreach.told_known} known / {c.outreach.told_fixed} fixed"
            for c in r.by_channel] or ["  no conversations"]
    out += ["", f"Incident outreach: {r.outreach.told_known} conversations told an incident is known, "
            f"{r.outreach.subscribed} to be told the fix, {r.outreach.told_fixed} told it is fixed", "",
            "Response times",
            _times("assistant first response", r.assistant_first_response),
            _times("assistant reply", r.assistant_reply),
            _times("human wait (to claim)", r.human_wait), _times("human handle (to close)", r.human_handle), "",
            "SLA (claimed by the deadline)"]
    out += [f"  {q.queue:<24} {_pct(q.attainment):>7}  met {q.met}, missed {q.missed}, not due yet {q.pending}"
            for q in r.sla_by_queue] or ["  no handoff with a deadline"]
    out += ["", "Satisfaction"]
    out += [f"  {p.path:<24} {p.conversations} conversations, CSAT "
            f"{'—' if p.csat_average is None else f'{p.csat_average:.2f}'} (n={p.csat_count}), "
            f"thumbs {p.thumbs_up} up / {p.thumbs_down} down" for p in r.csat_by_path]
    out += [f"  agent {a.agent:<30} CSAT {a.average:.2f} (n={a.count})" for a in r.csat_by_agent]
    gaps = r.knowledge_gaps
    out += ["", f"Knowledge gaps: {gaps.turns} replies without a cited passage, in {gaps.conversations} conversations"]
    out += [f"  {c.count:>6}  {' '.join(c.keywords) or '(no keywords)'}  e.g. “{c.example}”" for c in gaps.clusters]
    out += ["", "Top intents (assistant turns)"]
    out += [f"  {i.turns:>6}  {i.intent or '(not classified)'}" for i in r.top_intents] or ["  none"]
    spend = r.model_spend
    out += ["", "Model spend", f"  total                        {_usage(spend.total)}"]
    out += [f"  {g.name:<28} {_usage(g.usage)} over {g.conversations} conversations" for g in spend.by_customer]
    out += ["  by customer tier:"]
    out += [f"    {g.name:<26} {_usage(g.usage)} over {g.conversations} conversations" for g in spend.by_tier]
    out += ["  by workflow (conversations that ran the action):"]
    out += [f"    {g.name:<26} {_usage(g.usage)} over {g.conversations} conversations"
            for g in spend.by_workflow] or ["    none"]
    out += ["", "Workload"]
    out += [f"  waiting in {q.queue:<16} {q.waiting}, oldest {_secs(q.oldest_wait_seconds)} "
            f"(since {q.oldest_requested_at})" for q in r.queues_now] or ["  nobody waiting now"]
    out += [f"  {a.agent:<32} {a.claims} claims, {a.resolved} resolved, {a.handed_back} handed back, "
            f"{a.open} open" for a in r.agents]
    return "\n".join(out)

