"""The in-chat follow-up as a customer sees it, in real headless Chromium against the real server:
an answered question is followed, after the tenant's `follow_up.after_minutes` of silence, by
"Did that solve it?" with Yes / No in the same open chat, and Yes is thanked; a chat that went to
a person is never asked. The server runs on the system clock, so the tenant waits a quarter of a
minute (tests/test_follow_up_timer.py moves the clock over whole minutes in-process)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from selenium import webdriver

from app.core.i18n import say
from tests.support.browser import (
    open_browser,
    open_widget,
    press,
    ready_widget,
    wait_for,
    widget_button,
    widget_say,
    widget_text,
)
from tests.support.server import ServerProcess, demo_tenant_file

AFTER_MINUTES = 0.25
HELP_CENTER = "Here's what our help center says"
ASKED = "Did that solve it?"
WITH_A_PERSON = ("member of our support team", "in line", "busy or offline", "Our team is offline")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose tenant asks in the open chat after a short silence (off by default)."""
    folder = tmp_path_factory.mktemp("follow-up-timer-server")
    demo_tenant_file(folder, articles=("reset-your-password", "change-your-password"),
                     follow_up={"after_minutes": AFTER_MINUTES})
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log",
                            env={"FRONTLINE_TENANTS": str(folder / "tenant.yaml")}).start(timeout=300)
    yield process
    process.stop()


@pytest.fixture
def customer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    browser = open_browser(tmp_path_factory.mktemp("follow-up-timer-customer"))
    yield browser
    browser.quit()


def _answered(customer: webdriver.Chrome, server: ServerProcess, who: str) -> float:
    """The customer's password question answered in a new chat; when the answer was seen."""
    ready_widget(customer, server, f"/demo?customer={who}")
    open_widget(customer, server)
    widget_say(customer, "How do I reset my password?")
    wait_for(customer, server, "the assistant's answer", lambda d: HELP_CENTER in widget_text(d), timeout=90)
    assert ASKED not in widget_text(customer)  # not straight after the answer
    return time.monotonic()


def test_the_question_appears_in_the_open_chat_after_the_silence_and_yes_is_thanked(customer, server):
    answered = _answered(customer, server, "cus_1007")
    wait_for(customer, server, "the in-chat follow-up", lambda d: ASKED in widget_text(d), timeout=120)
    assert time.monotonic() - answered >= AFTER_MINUTES * 60 - 3  # the configured wait, not at once
    assert "How do I reset my password?" in widget_text(customer).split(ASKED)[0]  # quoted in the question
    assert widget_button(customer, "No") is not None
    press(customer, server, "the Yes button", lambda d: widget_button(d, "Yes"))
    wait_for(customer, server, "the thanks", lambda d: say("follow_up.thanks", "en") in widget_text(d))
    assert widget_button(customer, "Yes") is None  # answered: the buttons are gone


def test_a_chat_handed_to_a_person_is_not_asked(customer, server):
    _answered(customer, server, "cus_1008")
    widget_say(customer, "I want to talk to a human")  # well within the silence
    wait_for(customer, server, "the handover", lambda d: any(p in widget_text(d) for p in WITH_A_PERSON),
             timeout=90)
    time.sleep(AFTER_MINUTES * 60 * 2)  # twice the silence: a running timer would have asked by now
    assert ASKED not in widget_text(customer)
