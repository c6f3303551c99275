"""The analytics page as people see it, in real headless Chromium against a real server: a
lead signs in to the agent console, `/report` links to the page, the page's tiles show what
`build_report` computes from the same store for the same window, its charts have bars, the
tenant selector lists only the tenants the lead serves, and agents, strangers and unserved
tenants get the page that says why not. The bad-period answers are read over plain HTTP.

The store holds the hand-worked history of tests/test_report.py (tenants acme and other),
written before the server starts, and one real chat: a customer of `other` asks the running
server for a person.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from app.analytics.model import Report
from app.analytics.report import build_report
from app.store import SqliteDatabase
from tests.support.browser import console_say, open_browser, page_text, sign_in_console, wait_for
from tests.support.chat import ChatClient
from tests.support.server import ServerProcess, demo_tenant_file
from tests.test_report import seed

pytestmark = pytest.mark.timeout(900)  # a server start and a real chat under a loaded machine

LEAD = ("lead@analytics.example", "Lee Lead", "lead-password-1")
AGENT = ("agent@analytics.example", "Ann Agent", "agent-password-1")
ADMIN = ("admin@analytics.example", "Ada Admin", "admin-password-1")
TENANTS = {"acme": "Acme & Co", "other": "Other Ltd", "gamma": "Gamma"}  # the lead serves acme and other
SINCE = "2026-11-01"  # the hand-worked history starts on 2 November (and has one October conversation)
FORBIDDEN = "Analytics is for support leads and admins."
NOT_FOUND = "No tenant with that id."


def accounts() -> str:
    lead, agent, admin = ({"email": e, "name": n, "password": p} for e, n, p in (LEAD, AGENT, ADMIN))
    return json.dumps([lead | {"role": "lead", "tenants": ["acme", "other"]},
                       agent | {"role": "agent", "tenants": ["acme", "other"]}, admin | {"role": "admin"}])


async def seed_store(path: Path) -> None:
    async with SqliteDatabase.open(path) as db:
        await seed(db)


async def ask_for_a_person(url: str) -> None:
    """A real chat on tenant `other`: the customer asks for a person and is queued."""
    client = ChatClient(url, client_type="copilot")
    try:
        await client.sign_in_customer("other")
        await client.connect()
        await client.wait_for(lambda e: e.get("type") == "assistant_message", timeout=120)  # the welcome
        answer = await client.reply_to("I want to talk to a human please", timeout=120)
        # queued: "in line" with an agent online, else the offer of a ticket while waiting
        assert "in line" in answer["output"] or "busy or offline" in answer["output"], answer["output"]
    finally:
        await client.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("analytics-server")
    (folder / "data").mkdir()
    asyncio.run(seed_store(folder / "data" / "frontline.sqlite3"))
    files = []
    for tenant, name in TENANTS.items():
        (folder / tenant).mkdir()
        files.append(str(demo_tenant_file(folder / tenant, articles=("reset-your-password",), id=tenant, name=name)))
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log",
                            env={"FRONTLINE_TENANTS": ",".join(files), "FRONTLINE_AGENTS": accounts()})
    process.start(timeout=400)
    try:
        asyncio.run(ask_for_a_person(process.url))
        yield process
    finally:
        process.stop()


def report(server: ServerProcess, tenant: str, since: str = SINCE) -> Report:
    """What `frontline report` computes from the server's store for the page's window."""
    async def read() -> Report:
        async with SqliteDatabase.open(server.data_dir / "frontline.sqlite3") as db:
            start = datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=UTC)
            return await build_report(db, tenant, since=start, until=None, now=datetime.now(UTC))
    return asyncio.run(read())


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def expected_tiles(r: Report) -> dict[str, str]:
    answers = sum(a.count for a in r.csat_by_agent)
    csat = sum(a.average * a.count for a in r.csat_by_agent) / answers if answers else None
    cost = r.model_spend.total.cost_usd
    return {"Conversations": str(r.conversations),
            "Automated resolution rate (unconfirmed)": percent(r.resolution_rate_unconfirmed),
            "Resolution rate (confirmed by follow-up)": percent(r.resolution_rate),
            "Containment": percent(r.containment_rate), "Escalation rate": percent(r.escalation_rate),
            "CSAT (1–5)": "—" if csat is None else f"{csat:.2f}",
            "LLM cost": "—" if cost is None else f"${cost:,.4f}"}


def shown_tiles(driver: webdriver.Chrome) -> dict[str, str]:
    return {tile.get_attribute("data-kpi"): tile.find_element(By.CSS_SELECTOR, ".figure").text
            for tile in driver.find_elements(By.CSS_SELECTOR, ".tile[data-kpi]")}


def bars(driver: webdriver.Chrome, section: str) -> dict[str, tuple[float, float]]:
    """label -> (value, drawn width in CSS pixels) of the bars of one section's chart."""
    return {rect.get_attribute("data-label"): (float(rect.get_attribute("data-value")), rect.rect["width"])
            for rect in driver.find_elements(By.CSS_SELECTOR, f"#{section} svg.chart rect.bar")}


def severe_log(driver: webdriver.Chrome) -> list[str]:
    """Console errors since the last call: a Content-Security-Policy refusal would be one."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def open_page(driver: webdriver.Chrome, server: ServerProcess, query: str, expected: str) -> str:
    driver.get_log("browser")
    driver.get(f"{server.url}/console/analytics{query}")
    wait_for(driver, server, repr(expected), lambda d: expected in page_text(d))
    return page_text(driver)


@pytest.fixture
def lead(tmp_path_factory: pytest.TempPathFactory, server: ServerProcess) -> Iterator[webdriver.Chrome]:
    browser = open_browser(tmp_path_factory.mktemp("analytics-lead"))
    try:
        sign_in_console(browser, server, LEAD[0], LEAD[2])
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    made = open_browser(tmp_path_factory.mktemp("analytics-browser"))
    yield made
    made.quit()


def test_a_lead_sees_the_reports_figures_as_tiles_and_charts(lead, server, artifacts):
    expected = report(server, "acme")
    assert expected.conversations == 7 and expected.escalation_by_trigger  # the hand-worked history
    open_page(lead, server, f"?tenant=acme&since={SINCE}", "Analytics · Acme & Co")
    assert severe_log(lead) == []  # nothing the page needs is refused or missing
    tiles = shown_tiles(lead)
    assert tiles == expected_tiles(expected)
    assert (tiles["Conversations"], tiles["Containment"], tiles["Escalation rate"], tiles["CSAT (1–5)"],
            tiles["LLM cost"]) == ("7", "28.6 %", "57.1 %", "4.00", "$0.0300")
    assert "from 2026-11-01 00:00 UTC to now" in page_text(lead)

    by_trigger = bars(lead, "by-trigger")
    assert {label: value for label, (value, _) in by_trigger.items()} == {
        g.name: g.handoffs for g in expected.escalation_by_trigger}
    widest = max(width for _, width in by_trigger.values())
    assert widest > 100 and by_trigger["human_request"][1] == widest  # 2 handoffs: the longest bar, drawn
    assert by_trigger["frustration"][1] == pytest.approx(widest / 2, abs=1)
    for section in ("by-queue", "durations", "sla", "csat-agent", "intents", "spend-customer", "agents"):
        assert any(width > 0 for _, width in bars(lead, section).values()), section
    assert lead.find_element(By.CSS_SELECTOR, "#gaps table").text.count("subscription") >= 1
    lead.save_screenshot(str(artifacts / "analytics-page.png"))


def test_the_tenant_selector_lists_only_served_tenants_and_switches_the_figures(lead, server):
    open_page(lead, server, f"?tenant=acme&since={SINCE}", "Analytics · Acme & Co")
    tenant = Select(lead.find_element(By.ID, "tenant"))
    assert [(o.get_attribute("value"), o.text) for o in tenant.options] == [("acme", "Acme & Co"),
                                                                             ("other", "Other Ltd")]
    assert Select(lead.find_element(By.ID, "days")).first_selected_option.text == "the dates given"

    tenant.select_by_value("other")
    lead.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(lead, server, "the other tenant's page", lambda d: "Analytics · Other Ltd" in page_text(d))
    assert lead.find_element(By.ID, "since").get_attribute("value") == SINCE  # the same period
    expected = report(server, "other")
    assert expected.conversations == 3  # o1, o2 and the real chat
    assert shown_tiles(lead) == expected_tiles(expected) != expected_tiles(report(server, "acme"))
    assert {label for label in bars(lead, "by-trigger")} == {"human_request"}

    Select(lead.find_element(By.ID, "days")).select_by_value("7")
    lead.find_element(By.ID, "since").clear()
    lead.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(lead, server, "the last 7 days", lambda d: "tenant=other&days=7" in d.current_url
             and "Conversations started from" in page_text(d))
    assert shown_tiles(lead)["Conversations"] == "1"  # the real chat, today; the history is older


def test_report_in_the_console_links_a_lead_to_each_served_tenants_page(lead, server):
    console_say(lead, "/report")
    wait_for(lead, server, "the analytics links", lambda d: "Analytics (last 30 days" in page_text(d))
    shown = lead.find_elements(By.CSS_SELECTOR, "a[href*='/console/analytics']")
    links = {a.text: a.get_attribute("href") for a in shown}
    assert links == {"Acme & Co": f"{server.url}/console/analytics?tenant=acme&days=30",
                     "Other Ltd": f"{server.url}/console/analytics?tenant=other&days=30"}
    console_say(lead, "/help")
    wait_for(lead, server, "the lead's help", lambda d: "links to the analytics page" in page_text(d))

    before = set(lead.window_handles)
    lead.find_element(By.LINK_TEXT, "Other Ltd").click()
    opened = set(lead.window_handles) - before
    if opened:  # the console opens links in a new tab
        lead.switch_to.window(opened.pop())
    wait_for(lead, server, "the page the link opens", lambda d: "Analytics · Other Ltd" in page_text(d))
    assert Select(lead.find_element(By.ID, "days")).first_selected_option.text == "last 30 days"
    lead.find_element(By.LINK_TEXT, "Agent console").click()  # and back
    wait_for(lead, server, "the console again", lambda d: "Signed in as Lee Lead" in page_text(d))


def test_an_unserved_or_unknown_tenant_is_not_found(lead, server):
    for tenant in ("gamma", "no-such-tenant"):
        text = open_page(lead, server, f"?tenant={tenant}", NOT_FOUND)
        assert "Tenant not found" in text and "Gamma" not in text


def test_an_agent_is_told_the_page_is_for_leads(browser, server):
    sign_in_console(browser, server, AGENT[0], AGENT[2])
    console_say(browser, "/report")
    wait_for(browser, server, "the refusal in the console", lambda d: FORBIDDEN in page_text(d))
    assert not browser.find_elements(By.CSS_SELECTOR, "a[href*='/console/analytics']")
    text = open_page(browser, server, "?tenant=acme", FORBIDDEN)
    assert "Not for this account" in text and "Conversations" not in text


def test_a_stranger_is_asked_to_sign_in(browser, server):
    text = open_page(browser, server, "?tenant=acme", "Sign in to the agent console with a lead or admin account")
    assert "Conversations" not in text
    browser.find_element(By.LINK_TEXT, "Sign in to the agent console").click()
    wait_for(browser, server, "the login form", lambda d: d.find_elements(By.ID, "email"))


# -- without a browser: the answers to a bad period and to a customer's session ----------------

@contextmanager
def signed_in(server: ServerProcess, email: str, password: str) -> Iterator[httpx.Client]:
    """An HTTP client holding the console's session cookie, as a signed-in browser would."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        client.post("/login", data={"username": email, "password": password}).raise_for_status()
        yield client


@pytest.mark.parametrize(("query", "message"), [
    ("days=0", "days must be a whole number from 1 to 3660"),
    ("days=3661", "days must be a whole number from 1 to 3660"),
    ("days=a%20week", "days must be a whole number from 1 to 3660"),
    ("since=2026-13-01", "since and until are dates like 2026-11-01"),
    ("since=yesterday", "since and until are dates like 2026-11-01"),
    ("until=2026-11-31", "since and until are dates like 2026-11-01"),
    ("since=2026-11-05&until=2026-11-04", "since must be before until."),
])
def test_a_bad_period_is_a_400_that_says_what_reads(server, query, message):
    with signed_in(server, LEAD[0], LEAD[2]) as client:
        answer = client.get(f"/console/analytics?tenant=acme&{query}")
    assert answer.status_code == 400 and message in answer.text, answer.text
    assert "Bad period" in answer.text and answer.headers["cache-control"] == "no-store"


def test_one_day_is_a_period(server):
    with signed_in(server, LEAD[0], LEAD[2]) as client:
        answer = client.get("/console/analytics?tenant=acme&since=2026-11-02&until=2026-11-02")
    assert answer.status_code == 200 and 'data-kpi="Conversations"><div class="name">Conversations</div>' \
        '<div class="figure">7</div>' in answer.text


def test_a_customers_session_is_not_a_sign_in(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        client.post("/api/widget/session", json={"tenant": "acme"}).raise_for_status()
        assert client.cookies  # the widget's session cookie is set
        answer = client.get("/console/analytics?tenant=acme")
    assert answer.status_code == 401 and "Sign in to the agent console" in answer.text


def test_an_admin_serving_every_tenant_sees_each_and_starts_at_the_first(server):
    with signed_in(server, ADMIN[0], ADMIN[2]) as client:
        answer = client.get("/console/analytics")
    assert answer.status_code == 200 and "<title>Analytics · Acme &amp; Co</title>" in answer.text
    assert '<option value="acme" selected>Acme &amp; Co</option><option value="gamma">Gamma</option>' \
        '<option value="other">Other Ltd</option>' in answer.text
    assert '<option value="30" selected>last 30 days</option>' in answer.text
