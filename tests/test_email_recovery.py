"""The email channel survives a relay that is down and a process that stops at the worst moment:
every mail stored is answered, every reply stored is sent, none twice, on the real store and
a real SMTP sink; and the channel's records keep their contract on SQLite and PostgreSQL."""

from __future__ import annotations

import aiosmtplib
import pytest

from app.channels.email.desk import Taken
from app.config.settings import Settings
from app.conversation.turn import Turn
from app.core.domain import ConversationId, Identity, MessageId, TenantId, new_id
from app.services import build_services
from app.store import ConversationStore
from app.store.database import Database
from app.store.email_mail import EmailStore
from tests.support.engine import fixed_clock
from tests.support.mail import MailSink
from tests.support.server import free_port
from tests.test_email_channel import mail, tenant_file

EARLY, LATE = "0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"  # claims' staleness cut-offs


@pytest.fixture
def sink():
    running = MailSink().start()
    yield running
    running.stop()


async def test_a_relay_that_refuses_is_retried_until_it_takes_the_mail_once(tmp_path, sink):
    sink.refuse = True
    settings = Settings(data_dir=tmp_path / "data", tenants=[tenant_file(tmp_path, sink, None)])
    async with build_services(settings, clock=fixed_clock()) as services:
        await services.email.receive("demo", mail("ivy@example.org", "How do I reset my password?",
                                                  message_id="<r1@example.org>"))
        [row] = await services.email.store.pending(EARLY)
        assert row.recipient == "ivy@example.org"
        sink.refuse = False  # the relay is back: the resend sweep (every 0.2 s here) delivers it
        assert len(await sink.wait_for_to("ivy@example.org", 1)) == 1
        await sink.settle()
        assert len(sink.to("ivy@example.org")) == 1
        sent = await services.email.store.outbound(row.id)
        assert sent.status == "sent" and sent.attempts >= 2


async def test_after_a_stop_at_any_point_every_mail_is_answered_and_every_reply_sent_once(tmp_path, sink):
    sink.refuse = True  # nothing gets out before the stop
    settings = Settings(data_dir=tmp_path / "data", tenants=[tenant_file(tmp_path, sink, None)])
    async with build_services(settings, clock=fixed_clock()) as services:
        desk = services.email
        # 1. answered and stored, never sent: the relay refused until the process stopped
        await desk.receive("demo", mail("one@example.org", "How do I reset my password?", message_id="<s1@x.org>"))
        # 2. stored, never answered: the process stopped right after storing it
        stored = await desk.take("demo", mail("two@example.org", "How do I reset my password?",
                                              message_id="<s2@x.org>"))
        assert isinstance(stored, Taken)
        # 3. answered by the engine, the reply stored, the process stopped before it was queued to send
        third = await desk.take("demo", mail("three@example.org", "How do I reset my password?",
                                             message_id="<s3@x.org>"))
        assert isinstance(third, Taken)
        identity = Identity(TenantId("demo"), "email:three@example.org", channel="email")
        outcome = await services.engine.handle(Turn(ConversationId(third.conversation_id), third.message_id,
                                                    identity, third.mail.text, reply_id=MessageId(new_id())))
        assert outcome.reply is not None
        assert {r.recipient for r in await desk.store.pending(EARLY)} == {"one@example.org"}
        assert [r.message_id for r in await desk.store.unsettled()] == ["<s2@x.org>", "<s3@x.org>"]

    sink.refuse = False
    async with build_services(settings, clock=fixed_clock()) as services:
        desk = services.email
        for address in ("one@example.org", "two@example.org", "three@example.org"):
            assert len(await sink.wait_for_to(address, 1)) == 1, address
        assert await desk.store.unsettled() == [] and await desk.store.pending(LATE) == []
        assert sink.to("three@example.org")[0]["Message-ID"] == f"<{outcome.reply.id}@brightwave.example>"
        assert await desk.recover() == 0 and await services.email.outbox.resend() == 0  # nothing left to do
        await sink.settle()
        assert sorted(r.recipients[0] for r in sink.mails) == ["one@example.org", "three@example.org",
                                                              "two@example.org"]


async def test_inbound_and_outbound_records_keep_their_contract(database: Database):
    store = EmailStore(database)
    assert await store.receive("demo", "<a@x>", "ann@x.org", "Hi", "cmF3", conversation_id="c1", turn_message_id="m1")
    assert not await store.receive("demo", "<a@x>", "ann@x.org", "Hi", "cmF3")  # once per Message-ID
    assert await store.receive("other", "<a@x>", "ann@x.org", "Hi", "cmF3")  # per tenant
    assert await store.receive("demo", "<auto@x>", "ooo@x.org", "OOO", "", status="ignored", reason="Precedence")
    assert [r.message_id for r in await store.unsettled()] == ["<a@x>", "<a@x>"]
    await store.settle("demo", "<a@x>", "answered")
    assert (await store.inbound("demo", "<a@x>")).status == "answered"
    assert await store.counts("demo") == {"answered": 1, "ignored": 1}

    assert await store.queue("m2", "demo", "c1", "<m2@brightwave.example>", "ann@x.org", "mail text")
    assert not await store.queue("m2", "demo", "c1", "<m2@brightwave.example>", "ann@x.org", "mail text")
    assert await store.thread("demo", ("<nope@x>", "<m2@brightwave.example>")) == "c1"
    assert await store.thread("demo", ("<a@x>",)) == "c1" and await store.thread("other", ("<a@x>",)) is None
    assert await store.thread_ids("c1") == ["<a@x>", "<m2@brightwave.example>"]
    assert (await store.latest_inbound("c1")).sender == "ann@x.org"
    assert (await store.claim("m2", EARLY)).status == "sending"
    assert await store.claim("m2", EARLY) is None  # one sender at a time
    assert await store.pending(EARLY) == []  # held by a live sender
    assert [r.id for r in await store.pending(LATE)] == ["m2"]  # held by one that died: sent again
    await store.failed_attempt("m2", "451 try later")
    assert [(r.id, r.attempts, r.status) for r in await store.pending(EARLY)] == [("m2", 1, "pending")]
    assert not await store.sent("m2")  # only a claimed mail is marked sent
    assert await store.claim("m2", EARLY) is not None
    assert await store.sent("m2") and not await store.sent("m2")  # marked sent once
    assert await store.pending(LATE) == [] and await store.claim("m2", LATE) is None
    await store.queue("m3", "demo", None, "<m3@b>", "bob@x.org", "mail")
    await store.claim("m3", EARLY)
    await store.failed_attempt("m3", "refused", give_up=True)
    assert (await store.outbound("m3")).status == "failed" and await store.pending(LATE) == []
    await store.queue("m4", "demo", None, "<m4@b>", "bob@x.org", "mail")
    await store.claim("m4", EARLY)  # a sender stopped mid-send
    assert await store.release_claims() == 1 and (await store.outbound("m4")).status == "pending"


async def test_deleting_a_conversation_deletes_its_mail_and_keeps_the_message_ids(database: Database):
    conversations, store = ConversationStore(database), EmailStore(database)
    await conversations.ensure("c9", Identity(TenantId("demo"), "email:ann@x.org", channel="email"))
    await store.receive("demo", "<d@x>", "ann@x.org", "Private", "cHJpdmF0ZQ==", conversation_id="c9")
    await store.queue("r9", "demo", "c9", "<r9@b>", "ann@x.org", "the reply")
    await conversations.delete("c9")
    row = await store.inbound("demo", "<d@x>")
    assert (row.raw, row.subject, row.sender, row.conversation_id) == ("", "", "(deleted)", None)
    assert await store.outbound("r9") is None
    assert not await store.receive("demo", "<d@x>", "ann@x.org", "Private", "x")  # still not answered twice


async def test_a_scratch_world_opens_no_channel(tmp_path, sink):
    """`frontline eval` and replay build services from the operator's tenant file: they must not
    take the listener's port, poll the mailbox or mail anyone."""
    port = free_port()
    settings = Settings(data_dir=tmp_path / "data", tenants=[tenant_file(tmp_path, sink, port)])
    async with build_services(settings, clock=fixed_clock(), channels=False) as services:
        assert services.email is None and not services.channels.serves("email")
        with pytest.raises(OSError):
            await aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=2).connect()
