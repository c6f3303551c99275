"""The support lead's analytics page: one tenant's `Report` as server-rendered HTML with KPI
tiles, inline SVG charts and, under each chart, a table of the same numbers.

Pure rendering (no I/O), so it is tested fast; every text from the store (gap examples are
customer text, intent and queue names come from configuration) is escaped. A rate that is
None (nothing to divide by) shows "—", never 0 %.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from urllib.parse import urlencode

from app.analytics.model import Durations, Report, UsageGroup
from app.surfaces.svg_charts import Bar, bar_chart

DASH = "—"
Dates = tuple[str | None, str | None]
DAY_CHOICES = (7, 30, 90, 365)
HEAD = '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
STYLE = """body{font-family:system-ui,sans-serif;margin:0;color:#1f2937;background:#f8fafc}
header{background:#0f766e;color:#fff;padding:1rem 2rem;display:flex;justify-content:space-between;align-items:center}
header h1{margin:0;font-size:1.4rem}header a{color:#fff}svg.chart{max-width:100%;height:auto}
main{max-width:72rem;margin:0 auto;padding:1rem 2rem 3rem}form{margin:1rem 0}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.75rem;margin:1rem 0}
.tile{background:#fff;border:1px solid #e2e8f0;border-radius:.5rem;padding:.75rem}
.tile .name{font-size:.85rem;color:#475569}.tile .figure{font-size:1.6rem;font-weight:600}
section{background:#fff;border:1px solid #e2e8f0;border-radius:.5rem;padding:1rem;margin:1rem 0}
h2{font-size:1.1rem;margin:.2rem 0 .6rem}table{border-collapse:collapse;margin-top:.5rem;font-size:.9rem}
th,td{border-bottom:1px solid #e2e8f0;padding:.25rem .6rem;text-align:left}td.n{text-align:right}
.bar{fill:#0f766e}.bar-p95{fill:#f59e0b}.label,.value{font-size:12px;fill:#1f2937}
.empty,.note{color:#64748b}"""


def pct(rate: float | None) -> str:
    return DASH if rate is None else f"{rate * 100:.1f} %"


def seconds(value: float | None) -> str:
    if value is None:
        return DASH
    if value < 120:
        return f"{value:.1f} s"
    return f"{value / 60:.1f} min" if value < 7200 else f"{value / 3600:.1f} h"


def money(value: float | None) -> str:
    return DASH if value is None else f"${value:,.4f}"


def score(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


def overall_csat(report: Report) -> float | None:
    """The average of every answered CSAT score (the per-agent averages weighted by count)."""
    answered = sum(a.count for a in report.csat_by_agent)
    return sum(a.average * a.count for a in report.csat_by_agent) / answered if answered else None


def tiles(report: Report) -> list[tuple[str, str]]:
    """(name, figure) of the KPI tiles, in page order."""
    shown = [("Conversations", str(report.conversations)),
             ("Automated resolution rate (unconfirmed)", pct(report.resolution_rate_unconfirmed)),
             ("Resolution rate (confirmed by follow-up)", pct(report.resolution_rate))]
    return shown + [("Containment", pct(report.containment_rate)),
                    ("Escalation rate", pct(report.escalation_rate)),
                    ("CSAT (1–5)", score(overall_csat(report))),
                    ("LLM cost", money(report.model_spend.total.cost_usd))]


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], numeric_from: int = 1) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{escape(str(c))}</td>' if i >= numeric_from else f"<td>{escape(str(c))}</td>"
                         for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(key: str, title: str, chart: str, table: str, *, empty: bool, note: str = "") -> str:
    note_html = f'<p class="note">{escape(note)}</p>' if note else ""
    if empty:
        return (f'<section id="{key}"><h2>{escape(title)}</h2>{note_html}'
                '<p class="empty">Nothing to show for this period.</p></section>')
    return f'<section id="{key}"><h2>{escape(title)}</h2>{note_html}{chart}{table}</section>'


def _escalations(key: str, title: str, groups: list) -> str:  # type: ignore[type-arg]
    bars = [Bar(g.name, g.handoffs, str(g.handoffs)) for g in groups]
    rows = [(g.name, g.handoffs, g.conversations, pct(g.rate)) for g in groups]
    return _section(key, title, bar_chart(f"{title}: handoffs", bars),
                    _table(("Name", "Handoffs", "Conversations", "Share of conversations"), rows), empty=not groups)


def _channels(report: Report) -> str:
    """The headline figures per channel (web, email, messaging ...), and the incident notices."""
    channels = report.by_channel
    bars = [Bar(c.channel, c.conversations, str(c.conversations)) for c in channels]
    rows = [(c.channel, c.conversations, f"{c.contained} ({pct(c.containment_rate)})",
             f"{c.escalated} ({pct(c.escalation_rate)})", pct(c.resolution_rate),
             f"{c.follow_ups.solved} / {c.follow_ups.not_solved} / {c.follow_ups.unanswered}",
             f"{c.outreach.told_known} / {c.outreach.subscribed} / {c.outreach.told_fixed}") for c in channels]
    return _section("by-channel", "By channel", bar_chart("Conversations by channel", bars),
                    _table(("Channel", "Conversations", "Contained", "Escalated", "Resolved (measured)",
                            "Follow-ups solved / not / unanswered", "Incident notices known / subscribed / fixed"),
                           rows), empty=not channels,
                    note="Resolved (measured): solved / (solved + not solved) answers to “Did that solve it?”.")


DURATIONS = (("assistant_first_response", "Assistant first response"), ("assistant_reply", "Assistant reply"),
             ("human_wait", "Wait for a person"), ("human_handle", "Human handle time"))


def _durations(report: Report) -> str:
    measured: list[tuple[str, Durations]] = [(name, getattr(report, field)) for field, name in DURATIONS]
    bars = [Bar(f"{name} {which}", value or 0.0, seconds(value), which)
            for name, d in measured for which, value in (("p50", d.p50_seconds), ("p95", d.p95_seconds))]
    rows = [(name, d.count, seconds(d.p50_seconds), seconds(d.p95_seconds)) for name, d in measured]
    return _section("durations", "Response and handle times (p50 / p95)",
                    bar_chart("Response and handle times, p50 and p95 seconds", bars),
                    _table(("Measure", "Count", "p50", "p95"), rows),
                    empty=not any(d.count for _, d in measured))


def _sla(report: Report) -> str:
    queues = report.sla_by_queue
    bars = [Bar(q.queue, q.attainment or 0.0, pct(q.attainment)) for q in queues]
    rows = [(q.queue, q.met, q.missed, q.pending, pct(q.attainment)) for q in queues]
    return _section("sla", "SLA attainment by queue", bar_chart("SLA attainment by queue", bars, scale_max=1.0),
                    _table(("Queue", "Met", "Missed", "Pending", "Attainment"), rows), empty=not queues)


def _csat(report: Report) -> str:
    agents, paths = report.csat_by_agent, report.csat_by_path
    by_agent = _section("csat-agent", "CSAT by agent",
                        bar_chart("Average CSAT by agent (1 to 5)",
                                  [Bar(a.agent, a.average, score(a.average)) for a in agents], scale_max=5.0),
                        _table(("Agent", "Answers", "Average"), [(a.agent, a.count, score(a.average)) for a in agents]),
                        empty=not agents)
    by_path = _section("csat-path", "Satisfaction by path",
                       bar_chart("Conversations by path",
                                 [Bar(p.path, p.conversations, str(p.conversations)) for p in paths]),
                       _table(("Path", "Conversations", "CSAT answers", "CSAT average", "Thumbs up", "Thumbs down"),
                              [(p.path, p.conversations, p.csat_count, score(p.csat_average), p.thumbs_up,
                                p.thumbs_down) for p in paths]),
                       empty=not any(p.conversations for p in paths),
                       note="CSAT is asked only after an agent resolves; thumbs are on assistant replies.")
    return by_agent + by_path


def _gaps(report: Report) -> str:
    gaps = report.knowledge_gaps
    bars = [Bar(", ".join(c.keywords) or "(no keywords)", c.count, str(c.count)) for c in gaps.clusters]
    rows = [(", ".join(c.keywords), c.count, c.example) for c in gaps.clusters]
    return _section("gaps", "Knowledge gaps (questions with no good passage)",
                    bar_chart("Knowledge gap clusters by questions", bars),
                    _table(("Keywords", "Questions", "Example"), rows, numeric_from=1),
                    empty=not gaps.clusters,
                    note=f"{gaps.turns} unanswered replies in {gaps.conversations} conversations.")


def _intents(report: Report) -> str:
    intents = report.top_intents
    bars = [Bar(i.intent or "(not classified)", i.turns, str(i.turns)) for i in intents]
    return _section("intents", "Top intents", bar_chart("Top intents by turns", bars),
                    _table(("Intent", "Turns"), [(i.intent or "(not classified)", i.turns) for i in intents]),
                    empty=not intents)


def _spend(key: str, title: str, groups: list[UsageGroup], note: str = "") -> str:
    bars = [Bar(g.name, g.usage.cost_usd or 0.0, money(g.usage.cost_usd)) for g in groups]
    rows = [(g.name, g.conversations, g.usage.calls, g.usage.prompt_tokens, g.usage.completion_tokens,
             money(g.usage.cost_usd)) for g in groups]
    return _section(key, title, bar_chart(f"{title}: cost in USD", bars),
                    _table(("Group", "Conversations", "Calls", "Prompt tokens", "Completion tokens", "Cost"), rows),
                    empty=not groups, note=note)


def _workload(report: Report) -> str:
    queues, agents = report.queues_now, report.agents
    waiting = _section("queues-now", "Queues now (oldest wait)",
                       bar_chart("Oldest wait per queue", [Bar(q.queue, q.oldest_wait_seconds,
                                                               seconds(q.oldest_wait_seconds)) for q in queues]),
                       _table(("Queue", "Waiting", "Oldest since", "Oldest wait"),
                              [(q.queue, q.waiting, q.oldest_requested_at, seconds(q.oldest_wait_seconds))
                               for q in queues]),
                       empty=not queues)
    load = _section("agents", "Agents' workload",
                    bar_chart("Claims per agent", [Bar(a.agent, a.claims, str(a.claims)) for a in agents]),
                    _table(("Agent", "Claims", "Resolved", "Handed back", "Open"),
                           [(a.agent, a.claims, a.resolved, a.handed_back, a.open) for a in agents]),
                    empty=not agents)
    return waiting + load


def _selector(tenants: Sequence[tuple[str, str]], current: str, days: int | None, dates: Dates) -> str:
    """Tenant and period: a number of days, or dates (which win when given; "dates" in the days
    list then stays selected, so switching tenant keeps the same period)."""
    options = "".join(f'<option value="{escape(tid)}"{" selected" if tid == current else ""}>{escape(name)}</option>'
                      for tid, name in tenants)
    custom = days is None and any(dates)
    day_options = "".join(f'<option value="{d}"{" selected" if d == days else ""}>last {d} days</option>'
                          for d in DAY_CHOICES)
    day_options += f'<option value=""{" selected" if custom else ""}>the dates given</option>'
    since, until = (escape(d or "") for d in dates) if custom else ("", "")
    return (f'<form method="get" action="/console/analytics"><label>Tenant <select name="tenant" id="tenant">'
            f'{options}</select></label> <label>Period <select name="days" id="days">{day_options}</select></label>'
            f' <label>from <input type="date" name="since" id="since" value="{since}"></label>'
            f' <label>to <input type="date" name="until" id="until" value="{until}"></label>'
            ' <button type="submit">Show</button></form>')


def moment(stamp: str) -> str:
    """A store timestamp (2026-11-02T10:00:00.000Z) as a reader writes it: 2026-11-02 10:00 UTC."""
    return f"{stamp[:16].replace('T', ' ')} UTC"


def period_text(report: Report) -> str:
    if report.since is None and report.until is None:
        return "at any time"
    since = f"from {moment(report.since)}" if report.since else "from the start"
    return f"{since} to {moment(report.until) if report.until else 'now'}"


def render_page(report: Report, tenants: Sequence[tuple[str, str]], *, days: int | None = None,
                dates: Dates = (None, None)) -> str:
    """The whole page for `report`; `tenants` are (id, name) the reader serves, for the selector;
    `days` or `dates` (since, until as the reader typed them) the period it was asked for."""
    tenant_name = dict(tenants).get(report.tenant, report.tenant)
    tile_html = "".join(f'<div class="tile" data-kpi="{escape(name)}"><div class="name">{escape(name)}</div>'
                        f'<div class="figure">{escape(figure)}</div></div>' for name, figure in tiles(report))
    nothing = report.conversations == 0 and not report.queues_now and not report.agents
    if nothing:
        body = ('<p class="empty" id="no-data">No conversations in this period: there is nothing to chart yet.'
                " Pick a longer period or another tenant.</p>")
    else:
        spend = report.model_spend
        body = "".join([
            _channels(report),
            _escalations("by-trigger", "Escalations by trigger", report.escalation_by_trigger),
            _escalations("by-queue", "Escalations by queue", report.escalation_by_queue),
            _durations(report), _sla(report), _csat(report), _gaps(report), _intents(report),
            _spend("spend-customer", "LLM spend by customer", spend.by_customer),
            _spend("spend-tier", "LLM spend by customer tier", spend.by_tier,
                   "The verified customer's tier in the CRM; unknown: guests, or a record that could not be read."),
            _spend("spend-workflow", "LLM spend by workflow", spend.by_workflow),
            _workload(report)])
    total = spend_line(report)
    return (f"{HEAD}"
            f"<title>Analytics · {escape(tenant_name)}</title><style>{STYLE}</style></head><body>"
            f"<header><h1>Analytics · {escape(tenant_name)}</h1>"
            '<a href="/" id="console">Agent console</a></header><main>'
            f"{_selector(tenants, report.tenant, days, dates)}"
            f'<p class="note">Conversations started {escape(period_text(report))}; generated '
            f"{escape(moment(report.generated_at))}. {escape(total)}</p>"
            f'<div class="tiles">{tile_html}</div>{body}</main></body></html>')


def spend_line(report: Report) -> str:
    usage = report.model_spend.total
    return f"{usage.calls} model calls, {usage.prompt_tokens + usage.completion_tokens} tokens."


def message_page(status_title: str, message: str, *, sign_in: bool = False) -> str:
    """A small page for 401 / 403 / 404 answers, saying what happened in one sentence."""
    link = '<p><a href="/login">Sign in to the agent console</a></p>' if sign_in else ""
    return (f"{HEAD}"
            f"<title>{escape(status_title)}</title><style>{STYLE}</style></head><body>"
            f"<header><h1>{escape(status_title)}</h1></header><main>"
            f'<p id="message">{escape(message)}</p>{link}</main></body></html>')


def page_link(tenant: str, days: int = 30) -> str:
    return "/console/analytics?" + urlencode({"tenant": tenant, "days": days})



MARKDOWN_LINK_TEXT = re.compile(r"([\\\[\]])")  # what would end a Markdown link's text early


def report_links(tenants: Sequence[tuple[str, str]], days: int = 30) -> str:
    """Markdown links to each (id, name) tenant's page, for the console's `/report`; brackets
    and backslashes in a name are escaped so the link stays whole."""
    shown = [(MARKDOWN_LINK_TEXT.sub(r"\\\1", name), page_link(tid, days)) for tid, name in tenants]
    return ", ".join(f"[{name}]({link})" for name, link in shown)
