"""The analytics page renderer (app/surfaces/analytics_page.py, svg_charts.py) without a
server: tiles, bar lengths, dashes for missing rates, the empty page, and escaping of the
customer text it quotes."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import aiosqlite
import pytest

from app.analytics.model import Report
from app.analytics.report import build_report
from app.store import AccountStore, SqliteDatabase
from app.store.migrations import MIGRATIONS, m006_lead_role
from app.surfaces.analytics_page import overall_csat, pct, render_page, report_links, tiles
from app.surfaces.svg_charts import BAR_SPACE, Bar, bar_chart
from tests.test_report import NOW, SINCE, seed

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
TENANTS = [("acme", "Acme & Co"), ("beta", "Beta")]


def report(**changes: Any) -> Report:
    empty_usage = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": None}
    fields: dict[str, Any] = {
        "tenant": "acme", "since": None, "until": None, "generated_at": "2026-12-01 10:00:00",
        "conversations": 0, "assistant_answered": 0, "escalated": 0, "contained": 0, "resolved_unconfirmed": 0,
        "containment_rate": None, "resolution_rate_unconfirmed": None, "resolution_rate": None,
        "follow_ups": {}, "escalation_rate": None,
        "escalation_by_trigger": [], "escalation_by_queue": [], "assistant_first_response": {},
        "assistant_reply": {}, "human_wait": {}, "human_handle": {}, "sla_by_queue": [], "csat_by_agent": [],
        "csat_by_path": [], "knowledge_gaps": {"turns": 0, "conversations": 0, "clusters": []},
        "top_intents": [], "model_spend": {"total": empty_usage, "by_customer": [], "by_tier": [],
                                           "by_workflow": []},
        "queues_now": [], "agents": []}
    return Report.model_validate(fields | changes)


class Collect(HTMLParser):
    """Tags and text of a page, to check it parses and what it shows."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Collect:
    collected = Collect()
    collected.feed(page)
    return collected


def test_customer_text_in_gaps_and_names_is_escaped_everywhere():
    page = render_page(report(
        conversations=3,
        knowledge_gaps={"turns": 2, "conversations": 2,
                        "clusters": [{"keywords": ["<b>refund</b>"], "count": 2, "example": HOSTILE}]},
        top_intents=[{"intent": HOSTILE, "turns": 4}],
        escalation_by_queue=[{"name": '"><svg onload=alert(1)>', "handoffs": 1, "conversations": 1, "rate": 0.3}],
    ), TENANTS)
    parsed = parse(page)
    assert not [t for t, _ in parsed.tags if t in ("script", "img", "b")]
    assert not any(name.startswith("on") for _, attrs in parsed.tags for name in attrs)
    assert HOSTILE in "".join(parsed.text)  # shown as text, intact
    assert "&lt;script&gt;" in page and "<script" not in page


def test_tiles_show_the_report_figures_and_a_dash_for_missing_rates():
    shown = dict(tiles(report(conversations=8, containment_rate=0.25, escalation_rate=None,
                              resolution_rate_unconfirmed=0.125, resolution_rate=0.75,
                              csat_by_agent=[{"agent": "a", "count": 1, "average": 5.0},
                                             {"agent": "b", "count": 3, "average": 3.0}])))
    assert shown["Conversations"] == "8"
    assert shown["Containment"] == "25.0 %"
    assert shown["Automated resolution rate (unconfirmed)"] == "12.5 %"
    assert shown["Resolution rate (confirmed by follow-up)"] == "75.0 %"
    assert shown["Escalation rate"] == "—"
    assert shown["CSAT (1–5)"] == "3.50"  # (5 + 3 * 3) / 4 answers
    assert shown["LLM cost"] == "—"


def test_bars_are_proportional_and_rates_use_the_full_scale():
    chart = bar_chart("t", [Bar("a", 4, "4"), Bar("b", 1, "1"), Bar("c", 0, "0")])
    widths = [float(w) for w in re.findall(r'<rect class="bar" [^>]*width="([0-9.]+)"', chart)]
    assert widths == [BAR_SPACE, BAR_SPACE / 4, 0]
    half = bar_chart("rates", [Bar("q", 0.5, "50 %")], scale_max=1.0)
    assert f'width="{BAR_SPACE / 2}"' in half
    assert 'role="img" aria-label="rates"' in half and "<title>q: 50 %</title>" in half


def test_an_empty_period_says_so_instead_of_drawing_empty_charts():
    page = render_page(report(), TENANTS)
    assert 'id="no-data"' in page and "<svg" not in page
    assert page.count('class="tile"') == 7 and page.count(">—<") == 6  # every rate and the cost


def test_the_selector_offers_only_the_given_tenants_and_marks_the_current_one():
    options = [attrs for tag, attrs in parse(render_page(report(), TENANTS)).tags if tag == "option"
               and attrs.get("value") in ("acme", "beta", "gamma")]
    assert [(o["value"], "selected" in o) for o in options] == [("acme", True), ("beta", False)]


async def test_a_seeded_history_renders_every_section_with_its_numbers(tmp_path):
    async with SqliteDatabase.open(tmp_path / "f.sqlite3") as db:
        await seed(db)
        real = await build_report(db, "acme", since=SINCE, until=None, now=NOW)
    page = render_page(real, TENANTS)
    text = "".join(parse(page).text)
    for section in ("by-trigger", "by-queue", "durations", "sla", "csat-agent", "csat-path", "gaps", "intents",
                    "spend-customer", "spend-workflow", "agents"):
        assert f'<section id="{section}"><h2>' in page and f'id="{section}"' in page
    assert pct(real.containment_rate) in text and str(real.conversations) in text
    for group in real.escalation_by_trigger:
        assert f'data-label="{group.name}" data-value="{group.handoffs}"' in page
    assert real.escalation_by_trigger and overall_csat(real) is not None


async def test_the_lead_role_migration_keeps_agents_and_their_tokens(tmp_path):
    """An m005 database (agents and tokens) opened by this version: rows kept, `lead` allowed."""
    path = tmp_path / "old.sqlite3"
    async with aiosqlite.connect(path) as old:
        old.row_factory = aiosqlite.Row
        await old.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL"
                          " DEFAULT (datetime('now')))")
        for migration in MIGRATIONS[:MIGRATIONS.index(m006_lead_role)]:
            await migration(old)
            await old.execute("INSERT INTO schema_migrations(name) VALUES (?)", (migration.__name__,))
        await old.execute("INSERT INTO agents (email, name, role, tenants, password_hash, updated_at, language)"
                          " VALUES ('a@x.example', 'A', 'admin', ?, 'h', 't', 'de')", ('["acme"]',))
        await old.execute("INSERT INTO agent_tokens (token_hash, agent_email, created_at)"
                          " VALUES ('th', 'a@x.example', 't')")
        await old.commit()
    async with SqliteDatabase.open(path) as db:
        accounts = AccountStore(db)
        kept = await accounts.agent("a@x.example")
        assert kept is not None and (kept.role, kept.tenants, kept.language) == ("admin", ["acme"], "de")
        token = await db.fetch_one("SELECT agent_email FROM agent_tokens WHERE token_hash = 'th'")
        assert token is not None and token["agent_email"] == "a@x.example"
        await accounts.seed_agent("lead@x.example", "Lee", "pw", "lead", ["acme"])
        assert (await accounts.agent("lead@x.example")).role == "lead"
        with pytest.raises(Exception, match="CHECK"):
            await accounts.seed_agent("boss@x.example", "Boss", "pw", "owner", ["acme"])
        with pytest.raises(Exception, match="FOREIGN KEY"):  # the restored token table still checks its agent
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO agent_tokens (token_hash, agent_email, created_at)"
                                 " VALUES ('x', 'no', 't')")


def test_a_dates_period_stays_in_the_form_and_reads_as_utc_times():
    dated = render_page(report(since="2026-11-01T00:00:00.000Z", until="2026-12-01T00:00:00.000Z"), TENANTS,
                        dates=("2026-11-01", "2026-11-30"))
    fields = {attrs.get("name"): attrs.get("value") for tag, attrs in parse(dated).tags if tag == "input"}
    assert fields == {"since": "2026-11-01", "until": "2026-11-30"}
    assert '<option value="" selected>the dates given</option>' in dated
    assert "from 2026-11-01 00:00 UTC to 2026-12-01 00:00 UTC; generated 2026-12-01 10:00 UTC." in dated
    by_days = render_page(report(since="2026-11-01T00:00:00.000Z"), TENANTS, days=30, dates=("x", None))
    assert {attrs.get("value") for tag, attrs in parse(by_days).tags if tag == "input"} == {""}
    assert '<option value="30" selected>' in by_days and '<option value="" selected>' not in by_days
    assert "from 2026-11-01 00:00 UTC to now" in by_days



def test_report_links_keep_a_tenants_name_inside_its_markdown_link():
    assert report_links([("acme", "Acme [EU] \\ Co"), ("b", "B & Co")]) == (
        r"[Acme \[EU\] \\ Co](/console/analytics?tenant=acme&days=30), [B & Co](/console/analytics?tenant=b&days=30)")
