"""'Are you a bot?' asked in the embedded widget in a real headless Chromium: the customer sees
the honest answer, and the conversation stays with the assistant (no handoff is stored)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from selenium import webdriver

from app.core.i18n import say
from tests.support.browser import assert_clean_console, open_and_ask, open_browser, ready_widget, screenshot
from tests.support.server import ServerProcess

QUESTION = "Wait, are you a bot?"


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    browser = open_browser(tmp_path_factory.mktemp("chromium-profile"))
    yield browser
    browser.quit()


def conversation_of(server: ServerProcess, text: str) -> tuple[str, int]:
    """(state, handoffs) of the one conversation in which the customer wrote `text`."""
    with sqlite3.connect(server.data_dir / "frontline.sqlite3") as db:
        found = db.execute("SELECT DISTINCT conversation_id FROM messages WHERE role = 'customer' AND content = ?",
                           (text,)).fetchall()
        assert len(found) == 1, found
        (conversation_id,) = found[0]
        (state,) = db.execute("SELECT state FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        (handoffs,) = db.execute("SELECT count(*) FROM handoffs WHERE conversation_id = ?",
                                 (conversation_id,)).fetchone()
    return state, handoffs


def test_asking_whether_it_is_a_bot_gets_the_honest_answer_and_no_handoff(driver, server, artifacts):
    ready_widget(driver, server, "/demo")
    answer = say("smalltalk.bot_identity", "en")
    text = open_and_ask(driver, server, QUESTION, "an AI program, not a person")
    assert QUESTION in text, text
    assert answer.split(" — ")[0] in text, text  # the rendered reply is the honest answer
    assert say("handoff.queued", "en") not in text, text
    assert conversation_of(server, QUESTION) == ("assistant", 0)
    screenshot(driver, artifacts / "widget-bot-identity.png")
    assert_clean_console(driver)
