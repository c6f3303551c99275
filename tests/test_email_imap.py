"""Mail polled from a real IMAP mailbox (Debian's dovecot): each unseen mail stored and answered
once, marked seen only after it is stored, auto-replies never answered."""

from __future__ import annotations

import asyncio

import pytest

from app.channels.email.imap_poller import ImapPoller
from app.config.settings import Settings
from app.services import build_services
from tests.support.engine import fixed_clock
from tests.support.mail import DOVECOT, Dovecot, MailSink
from tests.test_email_channel import mail, tenant_file

pytestmark = pytest.mark.skipif(DOVECOT is None, reason="dovecot is not installed (.ci/ensure-services installs it)")


@pytest.fixture
def mailbox():
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def sink():
    running = MailSink().start()
    yield running
    running.stop()


async def test_unseen_mail_in_the_company_mailbox_is_answered_once(tmp_path, mailbox, sink):
    mailbox.deliver(mail("jo@example.org", "How do I reset my password?", "Password", "<i1@example.org>"))
    mailbox.deliver(mail("ooo@example.org", "Out of office until Monday", "Auto", "<i2@example.org>",
                         Auto_Submitted="auto-replied"))
    imap = {"host": "127.0.0.1", "port": mailbox.port, "ssl": False, "user": mailbox.user,
            "password": mailbox.password, "every_seconds": 0.5}
    settings = Settings(data_dir=tmp_path / "data", tenants=[tenant_file(tmp_path, sink, None, imap=imap)])
    async with build_services(settings, clock=fixed_clock()) as services:
        [answer] = await sink.wait_for_to("jo@example.org", 1)
        assert answer["In-Reply-To"] == "<i1@example.org>" and answer["Subject"] == "Re: Password"
        assert await asyncio.to_thread(mailbox.unseen) == []
        store = services.email.store
        assert (await store.inbound("demo", "<i2@example.org>")).status == "ignored"

        # the same mail again (redelivered, or copied back unseen): stored once, not answered twice
        mailbox.deliver(mail("jo@example.org", "How do I reset my password?", "Password", "<i1@example.org>"))
        poller = ImapPoller(services.email, services.tenants.get("demo"))
        await poller.poll()
        await services.email.drain()
        await sink.settle()
        assert len(sink.to("jo@example.org")) == 1 and sink.to("ooo@example.org") == []
        assert await asyncio.to_thread(mailbox.unseen) == []


async def test_a_wrong_mailbox_password_is_logged_and_mail_waits(tmp_path, mailbox, sink, caplog):
    mailbox.deliver(mail("kim@example.org", "How do I reset my password?", "Pw", "<k1@example.org>"))
    imap = {"host": "127.0.0.1", "port": mailbox.port, "ssl": False, "user": mailbox.user,
            "password": "wrong", "every_seconds": 0.5}
    settings = Settings(data_dir=tmp_path / "data", tenants=[tenant_file(tmp_path, sink, None, imap=imap)])
    async with build_services(settings, clock=fixed_clock()) as services:
        poller = ImapPoller(services.email, services.tenants.get("demo"))
        with pytest.raises(ConnectionError, match="refused"):
            await poller.poll()
    assert len(await asyncio.to_thread(mailbox.unseen)) == 1  # still there for a corrected password
    assert sink.mails == []
