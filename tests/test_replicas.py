"""Two Frontline replicas on PostgreSQL and Redis behind a real HAProxy, then one dies.

The deployment of README's "Beyond one machine", end to end: both replicas share one
PostgreSQL database and one Redis; HAProxy is sticky by cookie, as Chainlit's in-memory
sessions need. A customer's widget (pinned to replica A) and an agent's console (pinned to
replica B), each in a real headless Chromium, talk live across the replicas. Then replica A
is killed with SIGKILL mid-conversation: the customer's page reconnects through the proxy to
B and the conversation goes on in both directions. What is asserted is what the two pages
render and what PostgreSQL holds: every message shown and stored exactly once, none lost.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

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
    widget_root,
    widget_say,
    widget_text,
)
from tests.support.postgres import PostgresCluster
from tests.support.proxy import COOKIE, Proxy, haproxy_or_skip, pin_agent
from tests.support.redis_server import RedisServer, running_redis
from tests.support.server import ServerProcess, demo_tenant_file, free_port

redis_server = pytest.fixture(running_redis, scope="module")
AUTH_SECRET = "every-replica-signs-sessions-with-this-secret-0123"


@dataclass
class Deployment:
    """What the browsers see as one server: the proxy's address, and both replicas' logs."""

    proxy: Proxy
    a: ServerProcess
    b: ServerProcess
    database_url: str

    @property
    def url(self) -> str:
        return self.proxy.url

    def log(self) -> str:
        return f"--- replica a\n{self.a.log()[-3000:]}\n--- replica b\n{self.b.log()[-3000:]}"


@pytest.fixture(scope="module")
def deployment(redis_server: RedisServer, postgres_cluster: PostgresCluster,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    haproxy_or_skip()
    folder = tmp_path_factory.mktemp("deployment")
    database_url = postgres_cluster.create_database()
    a_port, b_port = free_port(), free_port()
    proxy = Proxy(folder / "proxy", {"a": a_port, "b": b_port})
    env = {"FRONTLINE_PUBLIC_URL": proxy.url,
           "FRONTLINE_DATABASE_URL": database_url, "FRONTLINE_REDIS_URL": redis_server.url,
           "FRONTLINE_AUTH_SECRET": AUTH_SECRET, "FRONTLINE_TRUSTED_PROXIES": "127.0.0.1",
           "FRONTLINE_TENANTS": str(demo_tenant_file(folder, ("reset-your-password",)))}
    a = ServerProcess(data_dir=folder / "a", log_path=folder / "a.log", port=a_port,
                      env={**env, "FRONTLINE_REPLICA_NAME": "a"})
    b = ServerProcess(data_dir=folder / "b", log_path=folder / "b.log", port=b_port,
                      env={**env, "FRONTLINE_REPLICA_NAME": "b"})
    started: list[ServerProcess] = []
    try:
        started.append(a.start(timeout=300))
        started.append(b.start(timeout=300))
        proxy.start()
        yield Deployment(proxy, a, b, database_url)
    finally:
        proxy.stop()
        for server in started:
            server.stop()


def pinned_browser(profile: Path, deployment: Deployment, replica: str) -> webdriver.Chrome:
    """A browser that the proxy sends to `replica` while it is up."""
    return open_browser(profile, user_agent=pin_agent(replica))


def replica_behind(driver: webdriver.Chrome, deployment: Deployment) -> str:
    """Which replica the proxy sends this browser's requests to: /healthz names it."""
    agent = driver.execute_script("return navigator.userAgent")
    cookie = driver.get_cookie(COOKIE)
    response = httpx.get(f"{deployment.url}/healthz", headers={"User-Agent": agent},
                         cookies={COOKIE: cookie["value"]} if cookie else {})
    return str(response.json()["replica"])


@pytest.fixture
def customer(tmp_path_factory, deployment) -> Iterator[webdriver.Chrome]:
    browser = pinned_browser(tmp_path_factory.mktemp("customer-profile"), deployment, "a")
    yield browser
    browser.quit()


@pytest.fixture
def agent(tmp_path_factory, deployment) -> Iterator[webdriver.Chrome]:
    browser = pinned_browser(tmp_path_factory.mktemp("agent-profile"), deployment, "b")
    yield browser
    browser.quit()


def send_once_connected(driver: webdriver.Chrome, text: str, timeout: float = 90) -> None:
    box = widget_root(driver).find_element(By.CSS_SELECTOR, "textarea#chat-input")
    box.send_keys(text)
    deadline = time.monotonic() + timeout
    while box.get_attribute("value"):
        assert time.monotonic() < deadline, f"the widget never sent {text!r}: {widget_text(driver)[-500:]}"
        box.send_keys(Keys.ENTER)
        time.sleep(1)


async def stored_messages(database_url: str, conversation_prefix: str) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT role, content FROM messages WHERE conversation_id LIKE $1"
                                " ORDER BY created_at, rowid", conversation_prefix + "%")
    finally:
        await conn.close()
    return [(row["role"], row["content"]) for row in rows]


def test_a_conversation_across_two_replicas_survives_one_being_killed(deployment, customer, agent, artifacts):
    assert replica_behind(customer, deployment) == "a" and replica_behind(agent, deployment) == "b"
    sign_in_console(agent, deployment, AGENT_EMAIL, AGENT_PASSWORD)
    ready_widget(customer, deployment, "/demo?customer=cus_1003")
    open_widget(customer, deployment)

    widget_say(customer, "I want to talk to a human please")
    wait_for(customer, deployment, "the queue notice", lambda d: "in line" in widget_text(d)
             or "busy or offline" in widget_text(d) or "opened ticket" in widget_text(d))
    wait_for(agent, deployment, "'New in queue' in B's console", lambda d: "New in queue" in page_text(d))
    ref = re.findall(r"Claim ([0-9a-f]{8})", page_text(agent))[-1]
    console_say(agent, f"/claim {ref}")
    wait_for(agent, deployment, "the packet", lambda d: "Transcript" in page_text(d))
    wait_for(customer, deployment, "the join notice on A", lambda d: "joined the chat" in widget_text(d))

    console_say(agent, "Hi, I'm on replica B.")
    wait_for(customer, deployment, "the agent's words on A", lambda d: "Hi, I'm on replica B." in widget_text(d))
    widget_say(customer, "Hello from replica A.")
    wait_for(agent, deployment, "the customer's words on B", lambda d: "Hello from replica A." in page_text(d))

    deployment.a.process.kill()  # no goodbye: sessions, sockets and in-memory state on A are gone
    deployment.a.process.wait(10)

    # The customer's page reconnects through the proxy, which now sends it to B. Until it has,
    # the widget keeps what they typed in the box; they press Enter again, as people do.
    send_once_connected(customer, "Did my message survive the crash?")
    wait_for(agent, deployment, "the customer's words after the failover",
             lambda d: "Did my message survive the crash?" in page_text(d), timeout=90)
    console_say(agent, "Yes, I see it on replica B.")
    wait_for(customer, deployment, "the agent's reply after the failover",
             lambda d: "Yes, I see it on replica B." in widget_text(d), timeout=60)
    assert replica_behind(customer, deployment) == "b"
    screenshot(customer, artifacts / "failover-customer.png")
    screenshot(agent, artifacts / "failover-agent.png")

    time.sleep(2)  # a doubled push would have arrived by now
    shown_to_customer, shown_to_agent = widget_text(customer), page_text(agent)
    for words in ("Hi, I'm on replica B.", "Yes, I see it on replica B."):
        assert shown_to_customer.count(words) == 1, shown_to_customer
    for words in ("Hello from replica A.", "Did my message survive the crash?"):
        assert shown_to_agent.count(words) == 1, shown_to_agent
    assert shown_to_customer.count("joined the chat") == 1, shown_to_customer

    stored = asyncio.run(stored_messages(deployment.database_url, ""))
    for role, words in (("agent", "Hi, I'm on replica B."), ("customer", "Hello from replica A."),
                        ("customer", "Did my message survive the crash?"),
                        ("agent", "Yes, I see it on replica B.")):
        assert stored.count((role, words)) == 1, stored
    customer_turns = [content for role, content in stored if role == "customer"]
    assert customer_turns == ["I want to talk to a human please", "Hello from replica A.",
                              "Did my message survive the crash?"], customer_turns
