"""A messaging customer handed to a person: the conversation queues like a web chat, the agent
works it in the real console in headless Chromium, and everything the agent and the desk say
reaches the bridge, including the rating question as quick replies a typed score answers."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest
from selenium import webdriver

from app.core.domain import new_id
from tests.conftest import AGENT_EMAIL, AGENT_PASSWORD
from tests.support.bridge import SECRET, SECRET_ENV, Bridge
from tests.support.browser import (
    console_button,
    console_say,
    open_browser,
    page_text,
    press,
    screenshot,
    sign_in_console,
    wait_for,
)
from tests.support.server import ServerProcess, demo_tenant_file

AGENT_BROWSER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 "
                 "Safari/537.36 frontline-agent-console")


@pytest.fixture(scope="module")
def bridge() -> Iterator[Bridge]:
    running = Bridge().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, bridge: Bridge) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("messaging-handoff")
    tenant = demo_tenant_file(folder, ("reset-your-password",), messaging={
        "enabled": True, "bridge_url": bridge.url, "secret_env": SECRET_ENV})
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log",
                            env={"FRONTLINE_TENANTS": str(tenant), SECRET_ENV: SECRET}).start()
    yield process
    process.stop()


@pytest.fixture
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    browser = open_browser(tmp_path_factory.mktemp("agent-profile"), user_agent=AGENT_BROWSER)
    yield browser
    browser.quit()


def say(bridge: Bridge, server: ServerProcess, who: str, text: str) -> None:
    answer = bridge.post(server.url, "demo", {"id": new_id(), "sender": who, "text": text})
    assert answer.status_code == 202, answer.text


def test_an_agent_answers_a_messaging_customer_from_the_console(server, bridge, agent, artifacts):
    who = f"+1555{new_id()[:8]}"
    sign_in_console(agent, server, AGENT_EMAIL, AGENT_PASSWORD)

    # 1. a person is asked for: the customer hears their place in line, the console is told
    say(bridge, server, who, "I want to talk to a human please")
    [queued] = bridge.replies_to(who, 1)
    assert "in line" in queued.body["text"], queued.body
    wait_for(agent, server, "'New in queue' in the console", lambda d: "New in queue" in page_text(d))
    ref = re.findall(r"Claim ([0-9a-f]{8})", page_text(agent))[-1]
    assert queued.body["conversation_id"].startswith(ref)

    # 2. the agent claims it; the customer is told who joined
    console_say(agent, f"/claim {ref}")
    wait_for(agent, server, "the packet", lambda d: "Transcript" in page_text(d))
    joined = bridge.replies_to(who, 2)[1].body
    assert "joined the chat" in joined["text"]

    # 3. both ways: the agent's words reach the bridge under their name, the customer's the console
    console_say(agent, "Hi, this is Alex. I'm looking at your account now.")
    words = bridge.replies_to(who, 3)[2].body
    assert words["author"] == "agent" and "Alex Rivera · Brightwave team" in words["text"]
    assert "I'm looking at your account now." in words["text"]
    say(bridge, server, who, "Thanks Alex, my last invoice looks wrong")
    wait_for(agent, server, "the customer's words in the console",
             lambda d: "my last invoice looks wrong" in page_text(d))
    screenshot(agent, artifacts / "messaging-handoff-console.png")

    # 4. resolved: the rating question arrives with its scores as quick replies; a typed 4 is the click
    press(agent, server, "the Resolve button", lambda d: console_button(d, "Resolve"))
    bridge.wait_for(lambda b: any(d.body.get("event") == "csat.ask" for d in b.accepted(who)))
    ask = next(d.body for d in bridge.accepted(who) if d.body.get("event") == "csat.ask")
    assert [q["value"] for q in ask["quick_replies"]] == ["1", "2", "3", "4", "5"]
    before = len(bridge.accepted(who))
    say(bridge, server, who, "4")
    thanks = bridge.replies_to(who, before + 1)[-1].body
    assert "Thank you for your rating" in thanks["text"], thanks
    with sqlite3.connect(server.data_dir / "frontline.sqlite3") as db:
        [score] = db.execute("SELECT score FROM csat WHERE conversation_id = ?", (ask["conversation_id"],)).fetchone()
    assert score == 4
    assert all(d.signed for d in bridge.deliveries)
