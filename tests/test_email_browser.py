"""An agent answers an email customer from the console, in a real headless Chromium against the
real server: the customer's mail arrives over SMTP, the console shows it is an email with its
subject and attachments, the agent's reply goes out by email in the thread, and the customer's
next mail appears in the console live."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from selenium import webdriver

from tests.conftest import AGENT_EMAIL, AGENT_PASSWORD
from tests.support.browser import console_say, open_browser, page_text, screenshot, sign_in_console, wait_for
from tests.support.mail import MailSink
from tests.support.server import ServerProcess, free_port
from tests.test_email_channel import SUPPORT, tenant_file


@pytest.fixture
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    browser = open_browser(tmp_path_factory.mktemp("agent-profile"))
    yield browser
    browser.quit()


@pytest.fixture
def sink() -> Iterator[MailSink]:
    running = MailSink().start()
    yield running
    running.stop()


@pytest.fixture
def email_server(tmp_path, sink) -> Iterator[tuple[ServerProcess, int]]:
    listen = free_port()
    tenant = tenant_file(tmp_path / "tenant", sink, listen)
    server = ServerProcess(data_dir=tmp_path / "data", log_path=tmp_path / "server.log",
                           env={"FRONTLINE_TENANTS": str(tenant)}).start()
    yield server, listen
    server.stop()


def deliver(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(message, from_addr="nora@example.org", to_addrs=[SUPPORT])


def test_an_agent_answers_an_email_customer_from_the_console(agent, email_server, sink, artifacts):
    server, port = email_server
    sign_in_console(agent, server, AGENT_EMAIL, AGENT_PASSWORD)
    first = EmailMessage()
    first["From"], first["To"], first["Subject"] = "Nora Quinn <nora@example.org>", SUPPORT, "Broken meter"
    first["Message-ID"] = "<nora-1@example.org>"
    first.set_content("My meter shows nothing. I want to talk to a human agent please.")
    first.add_attachment(b"\xff\xd8" + b"0" * 4094, maintype="image", subtype="jpeg", filename="meter.jpg")
    deliver(port, first)
    wait_for(agent, server, "'New in queue' in the console", lambda d: "New in queue" in page_text(d))
    [claim] = re.findall(r"Claim ([0-9a-f]{8})", page_text(agent))
    holding = [m for m in sink.to("nora@example.org")]
    assert holding and holding[0]["In-Reply-To"] == "<nora-1@example.org>"  # the customer heard it is queued

    console_say(agent, f"/claim {claim}")
    wait_for(agent, server, "the packet", lambda d: "Transcript" in page_text(d))
    packet = page_text(agent)
    assert "email" in packet and "Broken meter" in packet, packet
    assert "meter.jpg (image/jpeg, 4 KB)" in packet, packet

    console_say(agent, "Hi Nora, this is Alex. Could you tell me your meter's serial number?")
    wait_for(agent, server, "the reply mailed",
             lambda _d: any("serial number" in m.get_content() for m in sink.to("nora@example.org")))
    mailed = [m for m in sink.to("nora@example.org") if "serial number" in m.get_content()]
    assert len(mailed) == 1
    assert mailed[0]["In-Reply-To"] == "<nora-1@example.org>" and mailed[0]["Subject"] == "Re: Broken meter"
    assert "<nora-1@example.org>" in mailed[0]["References"]

    again = EmailMessage()
    again["From"], again["To"], again["Subject"] = "nora@example.org", SUPPORT, "Re: Broken meter"
    again["Message-ID"], again["In-Reply-To"] = "<nora-2@example.org>", mailed[0]["Message-ID"]
    again.set_content("Sure, it is SN-4471-B.\n\nOn Tue, Alex wrote:\n> Could you tell me your meter's serial number?")
    deliver(port, again)
    wait_for(agent, server, "the customer's next mail live in the console", lambda d: "SN-4471-B" in page_text(d))
    screenshot(agent, artifacts / "email-agent-console.png")
    assert len([m for m in sink.to("nora@example.org") if "serial number" in m.get_content()]) == 1
