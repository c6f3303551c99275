"""A declared incident as people see it, in two real headless Chromium browsers: a customer in
the widget reports an outage, a support lead in the console declares the incident and the
customer's rendered page shows that it is known; the lead resolves it and the page shows that
it is fixed (once), also after a reload. An agent who is not a lead is refused in the console,
and bad commands are answered with what is wrong."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from selenium import webdriver

from tests.support.browser import (
    console_say,
    open_browser,
    open_widget,
    page_text,
    ready_widget,
    screenshot,
    sign_in_console,
    wait_for,
    widget_say,
    widget_text,
)
from tests.support.server import ServerProcess

pytestmark = pytest.mark.timeout(900)
LEAD = ("lead@incidents.example", "Lee Lead", "lead-password-1")
AGENT = ("agent@incidents.example", "Ann Agent", "agent-password-1")
AGENT_BROWSER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 "
                 "Safari/537.36 frontline-agent-console")
MESSAGE = "Sign-in fails for some customers since 9:00; a fix is being deployed."
KNOWN = "We know about this problem and our team is working on it."
FIXED = "Good news: the problem we told you about is fixed."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("incidents-browser-server")
    accounts = [{"email": e, "name": n, "password": p, "role": role, "tenants": ["demo"]}
                for (e, n, p), role in ((LEAD, "lead"), (AGENT, "agent"))]
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log",
                            env={"FRONTLINE_AGENTS": json.dumps(accounts)})
    process.start(timeout=400)
    yield process
    process.stop()


@pytest.fixture
def customer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    browser = open_browser(tmp_path_factory.mktemp("incident-customer"))
    yield browser
    browser.quit()


@pytest.fixture
def lead(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    browser = open_browser(tmp_path_factory.mktemp("incident-lead"), user_agent=AGENT_BROWSER)
    yield browser
    browser.quit()


def console_count(driver: webdriver.Chrome, text: str) -> int:
    return page_text(driver).count(text)


def test_the_customer_sees_the_incident_known_then_fixed(customer, lead, server, artifacts):
    ready_widget(customer, server, "/demo?customer=cus_1004")
    open_widget(customer, server)
    widget_say(customer, "I cannot log in, the login page just spins")
    wait_for(customer, server, "the assistant's answer", lambda d: widget_text(d).count("Assistant") >= 2
             or "help center" in widget_text(d).lower() or "person" in widget_text(d).lower(), timeout=90)

    sign_in_console(lead, server, LEAD[0], LEAD[2])
    console_say(lead, f"/incident declare login sign | {MESSAGE}")
    wait_for(lead, server, "the declaration", lambda d: "declared for demo" in page_text(d), timeout=60)
    assert "1 customer who reported it told it is known" in page_text(lead), page_text(lead)
    wait_for(customer, server, "the incident notice in the widget",
             lambda d: KNOWN in widget_text(d) and MESSAGE in widget_text(d), timeout=60)
    screenshot(customer, artifacts / "incident-known-customer.png")

    console_say(lead, "/incident list")
    wait_for(lead, server, "the list", lambda d: "told 1, subscribed 1, told fixed 0" in page_text(d))
    reference = re.findall(r"Incident ([0-9a-f]{8}) declared", page_text(lead))[0]
    console_say(lead, f"/incident resolve {reference} | Sign-in works again. Sorry for the trouble!")
    wait_for(lead, server, "the resolution", lambda d: "1 customer told it is fixed" in page_text(d), timeout=60)
    wait_for(customer, server, "the fixed notice in the widget",
             lambda d: FIXED in widget_text(d) and "Sign-in works again" in widget_text(d), timeout=60)
    screenshot(customer, artifacts / "incident-fixed-customer.png")
    assert widget_text(customer).count(FIXED) == 1 and widget_text(customer).count(KNOWN) == 1

    console_say(lead, f"/incident resolve {reference}")
    wait_for(lead, server, "the refusal", lambda d: "is resolved already" in page_text(d))


def test_bad_incident_commands_are_answered_with_the_reason(lead, server, tmp_path_factory):
    sign_in_console(lead, server, LEAD[0], LEAD[2])
    for command, answer in [("/incident declare  | customers read this", "Name the incident's topic"),
                            ("/incident declare login outage", "Separate the topic from the message with |"),
                            ("/incident declare @nowhere login | x", "You serve no tenant nowhere"),
                            ("/incident resolve zzzz9999", "No incident zzzz9999"),
                            ("/incident frobnicate", "No /incident frobnicate")]:  # `code` renders without backticks
        console_say(lead, command)
        wait_for(lead, server, f"the answer to {command!r}", lambda d, a=answer: a in page_text(d), timeout=30)

    agent = open_browser(tmp_path_factory.mktemp("incident-agent"), user_agent=AGENT_BROWSER)
    try:
        sign_in_console(agent, server, AGENT[0], AGENT[2])
        console_say(agent, "/incident declare login | Sign-in is down.")
        wait_for(agent, server, "the refusal", lambda d: "is for support leads and admins" in page_text(d))
        assert "declared for demo" not in page_text(agent)
    finally:
        agent.quit()
