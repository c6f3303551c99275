"""Live chat between a customer and an agent, each in their own real headless Chromium: the
widget on the demo site and the signed-in agent console, read from what the pages render.

Socket.io clients see every event the server emits; a browser shows only what its page can
place (a pushed message naming a parent step of another session is dropped), so this is the
test of what people actually see.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from tests.conftest import AGENT_EMAIL, AGENT_PASSWORD
from tests.support.browser import (
    console_button,
    console_say,
    open_browser,
    open_widget,
    page_text,
    press,
    ready_widget,
    screenshot,
    sign_in_console,
    wait_for,
    widget_button,
    widget_say,
    widget_text,
)
from tests.support.server import ServerProcess


@pytest.fixture
def customer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    browser = open_browser(tmp_path_factory.mktemp("customer-profile"))
    yield browser
    browser.quit()


HELP_CENTER = "Here's what our help center says"  # how a grounded answer starts
AGENT_BROWSER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 "
                 "Safari/537.36 frontline-agent-console")
PIXEL = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                      "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    browser = open_browser(tmp_path_factory.mktemp("agent-profile"), user_agent=AGENT_BROWSER)
    yield browser
    browser.quit()


@pytest.fixture
def image_host() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """An attacker's image server on 127.0.0.1: its URL, and every (path, user agent) it served."""
    hits: list[tuple[str, str]] = []

    class Pixel(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append((self.path, self.headers.get("User-Agent", "")))
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PIXEL)

        def log_message(self, *args: object) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Pixel)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{http.server_port}", hits
    http.shutdown()
    http.server_close()


def count(text: str, needle: str) -> int:
    return text.count(needle)


def ask_for_a_person(customer: webdriver.Chrome, agent: webdriver.Chrome, server: ServerProcess,
                     text: str) -> str:
    """The customer asks for a person; returns the short id the console's push offers to claim."""
    notices, pushes = count(widget_text(customer), "in line"), count(page_text(agent), "New in queue")
    widget_say(customer, text)
    wait_for(customer, server, "the queue notice", lambda d: count(widget_text(d), "in line") > notices)
    wait_for(agent, server, "'New in queue' in the console",
             lambda d: count(page_text(d), "New in queue") > pushes)
    claims = re.findall(r"Claim ([0-9a-f]{8})", page_text(agent))
    assert claims, page_text(agent)
    return claims[-1]


def test_customer_and_agent_see_each_other_live(customer, agent, server, artifacts, image_host):
    images, hits = image_host
    sign_in_console(agent, server, AGENT_EMAIL, AGENT_PASSWORD)
    ready_widget(customer, server, "/demo?customer=cus_1003")
    open_widget(customer, server)
    # customer text with images: the agent's console must show it without loading them
    widget_say(customer, f"How do I set up two-factor authentication? ![shot]({images}/packet.png) "
                         f"<img src=\"{images}/raw.png\">")
    wait_for(customer, server, "the assistant's answer", lambda d: count(widget_text(d), HELP_CENTER) == 1)

    # 1. a person is asked for, and the console is told at once
    ref = ask_for_a_person(customer, agent, server, "I want to talk to a human please")
    screenshot(customer, artifacts / "live-chat-customer-queued.png")

    # 2. the agent claims by typing; the customer sees them join
    console_say(agent, f"/claim {ref}")
    wait_for(agent, server, "the packet", lambda d: "Transcript" in page_text(d))
    wait_for(customer, server, "the join notice", lambda d: "joined the chat" in widget_text(d))
    assert f"[image: {images}/packet.png]" in page_text(agent), page_text(agent)

    # 3. both ways, live, without a reload
    console_say(agent, "Hi, this is Alex. I'm looking at your account now.")
    wait_for(customer, server, "the agent's words in the widget",
             lambda d: "I'm looking at your account now." in widget_text(d))
    # a person is speaking, and it shows: their name and team head their message
    assert re.search(r"Alex Rivera · Brightwave team\s+Hi, this is Alex", widget_text(customer)), widget_text(customer)
    widget_say(customer, f"Thanks Alex, my last invoice looks wrong ![see]({images}/live.png)")
    wait_for(agent, server, "the customer's words in the console",
             lambda d: "my last invoice looks wrong" in page_text(d))
    assert f"[image: {images}/live.png]" in page_text(agent), page_text(agent)
    screenshot(customer, artifacts / "live-chat-customer.png")
    screenshot(agent, artifacts / "live-chat-agent.png")

    # 4. hand back with a note: the customer reads it and the assistant answers again
    console_say(agent, "/handback Corrected the invoice address")
    wait_for(customer, server, "the hand-back note",
             lambda d: "Corrected the invoice address" in widget_text(d) and "left the chat" in widget_text(d))
    widget_say(customer, "How long does shipping take?")
    wait_for(customer, server, "the assistant's answer again", lambda d: count(widget_text(d), HELP_CENTER) == 2)

    # 5. a second handoff, resolved by button: the customer rates it by clicking a score
    ref = ask_for_a_person(customer, agent, server, "Can I speak to a person again?")
    console_say(agent, f"/claim {ref}")
    wait_for(customer, server, "the second join notice",
             lambda d: count(widget_text(d), "joined the chat") >= 2)
    press(agent, server, "the Resolve button", lambda d: console_button(d, "Resolve"))
    wait_for(customer, server, "the rating question", lambda d: "How did we do?" in widget_text(d))
    press(customer, server, "the rating 4", lambda d: widget_button(d, "4"))
    wait_for(customer, server, "the thanks for the rating", lambda d: "Thank you for your rating" in widget_text(d))
    screenshot(customer, artifacts / "live-chat-customer-rated.png")
    fetched_by_agent = [path for path, agent_string in hits if "frontline-agent-console" in agent_string]
    assert fetched_by_agent == [], f"the agent's browser fetched customer images: {fetched_by_agent}"


FOOTER = "Answers quote our help center"


def test_the_console_hides_what_is_written_for_customers(customer, agent, server):
    sign_in_console(agent, server, AGENT_EMAIL, AGENT_PASSWORD)
    wait_for(agent, server, "the console's input", lambda d: d.find_elements(By.CSS_SELECTOR, "textarea#chat-input"))
    time.sleep(1)  # the page settles (the footer would show with the input)
    assert FOOTER not in page_text(agent), page_text(agent)
    assert not [b for b in agent.find_elements(By.ID, "readme-button") if b.is_displayed()]
    # the same full-page UI still shows them to a customer
    customer.get(server.url + "/chat/demo")
    wait_for(customer, server, "the customer's footer", lambda d: FOOTER in page_text(d))
