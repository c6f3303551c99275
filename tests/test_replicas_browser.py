"""Two Frontline replicas behind one Redis: a customer's widget on replica A and the agent's
console on replica B, each in a real headless Chromium, see each other live.

Both servers share the system of record (one SQLite file in WAL mode, which two processes
can open; each keeps its own data folder for the embedded index and session files) and a
real redis-server. What is asserted is what each page renders: the customer is told an agent
is online (presence on B counted on A), the console is told someone waits (a push from A),
and the agent's and customer's words cross in both directions, once each. The widget-session
limit, asked of both over HTTP, counts one address's sessions across them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from selenium import webdriver

from app.handoff.shared_presence import HEARTBEAT_SECONDS
from tests.conftest import AGENT_EMAIL, AGENT_PASSWORD
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
from tests.support.redis_server import RedisServer, running_redis
from tests.support.server import ServerProcess, demo_tenant_file

redis_server = pytest.fixture(running_redis, scope="module")
AUTH_SECRET = "replicas-share-this-signing-secret-0123456789"
SESSIONS_PER_ADDRESS = 3


@pytest.fixture(scope="module")
def replicas(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[ServerProcess, ServerProcess]]:
    folder = tmp_path_factory.mktemp("replicas")
    env = {"FRONTLINE_REDIS_URL": redis_server.url, "FRONTLINE_AUTH_SECRET": AUTH_SECRET,
           "FRONTLINE_TENANTS": str(demo_tenant_file(folder, ("reset-your-password",))),
           # each test request says which address it comes from (the browsers are 127.0.0.1)
           "FRONTLINE_TRUSTED_PROXIES": "127.0.0.1",
           "FRONTLINE_LIMITS__WIDGET_SESSIONS_PER_IP_PER_MINUTE": str(SESSIONS_PER_ADDRESS)}
    a = ServerProcess(data_dir=folder / "a", log_path=folder / "a.log", env={**env, "FRONTLINE_REPLICA_NAME": "a"})
    b = ServerProcess(data_dir=folder / "b", log_path=folder / "b.log", env={**env, "FRONTLINE_REPLICA_NAME": "b"})
    started: list[ServerProcess] = []
    try:
        started.append(a.start(timeout=300))
        b.data_dir.mkdir(parents=True)  # one system of record: B opens A's database file
        (b.data_dir / "frontline.sqlite3").symlink_to(a.data_dir / "frontline.sqlite3")
        started.append(b.start(timeout=300))
        yield a, b
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def customer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    browser = open_browser(tmp_path_factory.mktemp("customer-profile"))
    yield browser
    browser.quit()


@pytest.fixture
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    browser = open_browser(tmp_path_factory.mktemp("agent-profile"))
    yield browser
    browser.quit()


def wait_until_presence_reaches(url: str, agent_email: str, replica: str) -> None:
    """The agent's replica has written them to Redis; the other replica reads it on its next beat."""
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        raw = [client.get(key) for key in client.scan_iter(match=f"frontline:presence:{replica}:*")]
        if any(value and agent_email in json.loads(value) for value in raw):
            time.sleep(HEARTBEAT_SECONDS + 1)
            return
        time.sleep(0.2)
    pytest.fail(f"{agent_email} never appeared in replica {replica}'s presence key")


def test_a_customer_on_one_replica_and_an_agent_on_another_chat_live(
        replicas, redis_server, customer, agent, artifacts: Path):
    a, b = replicas
    sign_in_console(agent, b, AGENT_EMAIL, AGENT_PASSWORD)
    ready_widget(customer, a, "/demo?customer=cus_1003")
    open_widget(customer, a)
    wait_until_presence_reaches(redis_server.url, AGENT_EMAIL, "b")

    # the customer asks for a person on A: A counts the agent signed in on B, and B's console is told
    widget_say(customer, "I want to talk to a human please")
    wait_for(customer, a, "the queue notice with the agent on B counted",
             lambda d: "in line" in widget_text(d) or "busy or offline" in widget_text(d))
    assert "You're number 1 in line" in widget_text(customer), widget_text(customer)
    wait_for(agent, b, "'New in queue' in B's console", lambda d: "New in queue" in page_text(d))
    ref = re.findall(r"Claim ([0-9a-f]{8})", page_text(agent))[-1]

    # the agent claims on B: the customer's page on A shows them join
    console_say(agent, f"/claim {ref}")
    wait_for(agent, b, "the packet", lambda d: "Transcript" in page_text(d))
    wait_for(customer, a, "the join notice on A", lambda d: "joined the chat" in widget_text(d))

    # B -> A: the agent's words, under their name and team, in the customer's widget
    console_say(agent, "Hello from the agent console on replica B.")
    wait_for(customer, a, "the agent's words on A", lambda d: "Hello from the agent console on replica B." in
             widget_text(d))
    assert re.search(r"Alex Rivera · Brightwave team\s+Hello from the agent console on replica B\.",
                     widget_text(customer)), widget_text(customer)

    # A -> B: the customer's words in the agent's console
    widget_say(customer, "Thanks! Typed in the widget on replica A.")
    wait_for(agent, b, "the customer's words on B", lambda d: "Typed in the widget on replica A." in page_text(d))
    screenshot(customer, artifacts / "replicas-customer-on-a.png")
    screenshot(agent, artifacts / "replicas-agent-on-b.png")

    time.sleep(1)  # a second copy (a local push and a relayed one) would have arrived by now
    assert widget_text(customer).count("Hello from the agent console on replica B.") == 1, widget_text(customer)
    assert widget_text(customer).count("joined the chat") == 1, widget_text(customer)
    assert page_text(agent).count("Typed in the widget on replica A.") == 1, page_text(agent)
    assert page_text(agent).count("New in queue") == 1, page_text(agent)
    # both replicas listen on the live relay and (with a socket connected) on socket.io's Redis channel
    subscribers = dict(redis.Redis.from_url(redis_server.url).pubsub_numsub("frontline:live", "frontline:socketio"))
    assert subscribers == {b"frontline:live": 2, b"frontline:socketio": 2}, subscribers


def test_widget_sessions_from_one_address_are_counted_across_replicas(replicas):
    a, b = replicas
    headers = {"X-Forwarded-For": "203.0.113.77"}
    statuses = [httpx.post(f"{server.url}/api/widget/session", json={"tenant": "demo"}, headers=headers).status_code
                for server in (a, b, a)]
    assert statuses == [200] * SESSIONS_PER_ADDRESS
    refused = httpx.post(f"{b.url}/api/widget/session", json={"tenant": "demo"}, headers=headers)
    assert refused.status_code == 429, refused.text  # the 4th in a minute, though B itself saw only one
    assert "more than 3 per minute from 203.0.113.77" in b.log()
    other = httpx.post(f"{a.url}/api/widget/session", json={"tenant": "demo"},
                       headers={"X-Forwarded-For": "203.0.113.78"})
    assert other.status_code == 200
