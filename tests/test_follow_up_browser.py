"""The follow-up as people see it, in real headless Chromium: a customer's question answered, the
same customer's next visit opens with "Did that solve it?" and Yes / No buttons, "No" shows
the handover notice, and the agent console's queue lists the conversation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium import webdriver

from app.core.i18n import say
from tests.conftest import AGENT_EMAIL, AGENT_PASSWORD
from tests.support.browser import (
    open_browser,
    open_widget,
    page_text,
    press,
    ready_widget,
    sign_in_console,
    wait_for,
    widget_button,
    widget_say,
    widget_text,
)
from tests.support.server import ServerProcess, demo_tenant_file

HELP_CENTER = "Here's what our help center says"
AGENT_BROWSER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 "
                 "Safari/537.36 frontline-agent-console")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose tenant turns the follow-up on (it is off by default)."""
    folder = tmp_path_factory.mktemp("follow-up-server")
    demo_tenant_file(folder, articles=("reset-your-password", "change-your-password"),
                     follow_up={"ask_on_next_visit": True})
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log",
                            env={"FRONTLINE_TENANTS": str(folder / "tenant.yaml")}).start()
    yield process
    process.stop()


@pytest.fixture
def customer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    browser = open_browser(tmp_path_factory.mktemp("follow-up-customer"))
    yield browser
    browser.quit()


@pytest.fixture
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    browser = open_browser(tmp_path_factory.mktemp("follow-up-agent"), user_agent=AGENT_BROWSER)
    yield browser
    browser.quit()


def test_a_returning_customer_says_no_and_a_person_takes_over(customer, agent, server):
    ready_widget(customer, server, "/demo?customer=cus_1005")
    open_widget(customer, server)
    widget_say(customer, "How do I reset my password?")
    wait_for(customer, server, "the assistant's answer", lambda d: HELP_CENTER in widget_text(d))

    ready_widget(customer, server, "/demo?customer=cus_1005")  # the next visit: a new chat
    open_widget(customer, server)
    wait_for(customer, server, "the follow-up question", lambda d: "Did that solve it?" in widget_text(d))
    assert "How do I reset my password?" in widget_text(customer)
    assert widget_button(customer, "Yes") is not None
    press(customer, server, "the No button", lambda d: widget_button(d, "No"))
    wait_for(customer, server, "the handover notice",
             lambda d: say("follow_up.reopened", "en") in widget_text(d))
    assert widget_button(customer, "Yes") is None  # answered: the buttons are gone

    sign_in_console(agent, server, AGENT_EMAIL, AGENT_PASSWORD)
    wait_for(agent, server, "the conversation in the queue", lambda d: "did not solve it" in page_text(d)
             or "follow_up_unsolved" in page_text(d))
