"""The email channel end to end: real mail over a real SMTP listener, the real engine and store,
replies caught by a real SMTP sink standing in for the outside world.

In the thread (Message-ID, In-Reply-To, References, "Re:"), once per Message-ID, never to an
auto-reply or a bounce, a polite refusal for mail that cannot be read, per-sender limits, a
signed sign-in link instead of account data for a guest, account data for a verified address.
"""

from __future__ import annotations

import base64
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import jwt
import pytest
import pytest_asyncio

from app.channels.email.sign_in_link import read_sign_in_token
from app.config.settings import Settings
from app.core.domain import ConversationId, Ownership, Role
from app.core.i18n import say
from app.services import build_services
from tests.support.engine import fixed_clock
from tests.support.mail import MailSink
from tests.support.server import demo_tenant_file, free_port

pytestmark = pytest.mark.asyncio(loop_scope="module")
SUPPORT = "support@brightwave.example"
ARTICLES = ("reset-your-password", "track-your-order")
MAX_BYTES = 20_000  # the test tenant's limit: larger mail is refused


def tenant_file(folder: Path, sink: MailSink, listen: int | None, **email: object) -> Path:
    config = {"enabled": True, "address": SUPPORT, "outgoing": {"port": sink.port, "retry_seconds": 0.2},
              "verified_senders": {"Maya.Thompson@example.com": "cus_1001"},
              "sign_in_url": "https://brightwave.example/sign-in", "per_sender_per_hour": 5, **email}
    if listen is not None:
        config["listen"] = {"port": listen}
    folder.mkdir(parents=True, exist_ok=True)
    return demo_tenant_file(folder, articles=ARTICLES, email=config)


def mail(sender: str, body: str, subject: str = "Help", message_id: str | None = None, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, SUPPORT, subject
    message["Message-ID"] = message_id or f"<{abs(hash((sender, body, subject)))}@{sender.split('@')[1]}>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return bytes(message)


@pytest.fixture(scope="module")
def sink():
    running = MailSink().start()
    yield running
    running.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory, sink):
    folder = tmp_path_factory.mktemp("email")
    port = free_port()
    settings = Settings(data_dir=folder / "data", tenants=[tenant_file(folder, sink, port, max_bytes=MAX_BYTES)])
    async with build_services(settings, clock=fixed_clock()) as services:
        services.engine.intake.agents_online = lambda _tenant: 1
        yield services, port


async def send(port: int, raw: bytes, envelope_sender: str = "customer@example.org") -> None:
    """Deliver over SMTP as the outside world does ("" is the null reverse path of a bounce)."""
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as client:
        await client.mail(envelope_sender)
        await client.rcpt(SUPPORT)
        await client.data(raw)


async def test_a_mail_is_answered_in_its_thread_and_a_reply_continues_the_conversation(world, sink):
    services, port = world
    first = mail("Ann Lee <ann@example.org>", "How do I reset my password?", "Password", "<q1@example.org>")
    await send(port, first)
    await services.email.drain()
    [answer] = await sink.wait_for_to("ann@example.org", 1)
    assert answer["Subject"] == "Re: Password" and answer["In-Reply-To"] == "<q1@example.org>"
    assert answer["References"] == "<q1@example.org>" and answer["Auto-Submitted"] == "auto-replied"
    assert answer["From"].addresses[0].addr_spec == SUPPORT
    assert answer["Message-ID"].endswith("@brightwave.example>")
    assert "password" in answer.get_content().lower()

    again = mail("Ann Lee <ann@example.org>", "Thanks! And where do I find the reset link?\n\nOn Mon, Support"
                 f" <{SUPPORT}> wrote:\n> old answer", "Re: Password", "<q2@example.org>",
                 In_Reply_To=answer["Message-ID"], References=f"<q1@example.org> {answer['Message-ID']}")
    await send(port, again)
    await services.email.drain()
    [_, second] = await sink.wait_for_to("ann@example.org", 2)
    assert second["Subject"] == "Re: Password" and second["In-Reply-To"] == "<q2@example.org>"
    assert second["References"].split() == ["<q1@example.org>", answer["Message-ID"], "<q2@example.org>"]
    store = services.email.store
    one, two = await store.inbound("demo", "<q1@example.org>"), await store.inbound("demo", "<q2@example.org>")
    assert one.conversation_id == two.conversation_id and (one.status, two.status) == ("answered", "answered")
    conversation = await services.conversations.get(ConversationId(one.conversation_id))
    assert conversation.channel == "email" and conversation.user_identifier == "email:ann@example.org"
    said = [m for m in await services.conversations.messages(conversation.id) if m.role is Role.CUSTOMER]
    assert [m.content for m in said] == ["How do I reset my password?", "Thanks! And where do I find the reset link?"]
    assert said[0].metadata["email"]["subject"] == "Password"


async def test_the_same_mail_delivered_twice_is_answered_once(world, sink):
    services, port = world
    raw = mail("bob@example.org", "How do I reset my password?", message_id="<dup@example.org>")
    for _ in range(3):
        await send(port, raw)
    await services.email.drain()
    assert len(await sink.wait_for_to("bob@example.org", 1)) == 1
    assert (await services.email.receive("demo", raw)).status == "duplicate"
    await sink.settle()
    assert len(sink.to("bob@example.org")) == 1


@pytest.mark.parametrize("headers", [
    {"Auto_Submitted": "auto-replied"}, {"Precedence": "bulk"}, {"X_Autoreply": "yes"}, {"List_Id": "<l.example>"},
    {"From": "MAILER-DAEMON@mx.example.org"}])
async def test_auto_replies_and_bounces_are_recorded_and_never_answered(world, sink, headers):
    services, port = world
    sender = headers.get("From", "ooo@example.org")
    extra = {k: v for k, v in headers.items() if k != "From"}
    raw = mail(sender, "I am out of the office. How do I reset my password?", "Out of office",
               f"<auto-{len(sink.mails)}-{'-'.join(headers)}@example.org>", **extra)
    await send(port, raw)
    await services.email.drain()
    await sink.settle()
    assert sink.to(sender.lower()) == [] and sink.to(sender) == []
    row = await services.email.store.inbound("demo", raw.split(b"Message-ID: ")[1].split(b"\n")[0].decode().strip())
    assert row.status == "ignored" and row.reason


async def test_a_bounce_with_a_null_sender_is_not_answered(world, sink):
    services, port = world
    await send(port, mail("someone@example.org", "Delivery failed", message_id="<bounce@example.org>"),
               envelope_sender="")
    await services.email.drain()
    await sink.settle()
    assert sink.to("someone@example.org") == []
    assert (await services.email.store.inbound("demo", "<bounce@example.org>")).status == "ignored"


async def test_unreadable_and_oversized_mail_is_kept_and_politely_refused(world, sink):
    services, port = world
    empty = mail("carol@example.org", "> only the old quote", "Nothing new", "<empty@example.org>")
    await send(port, empty)
    tenant = services.tenants.get("demo")
    big = mail("dave@example.org", "x" * (tenant.email.max_bytes + 10), "Huge", "<huge@example.org>")
    await send(port, big)  # over the limit, under twice it: the listener takes it, the desk refuses it
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:  # beyond: refused at DATA, the sender's server says so
        await send(port, mail("dave@example.org", "x" * (3 * MAX_BYTES), "Huger", "<huger@example.org>"))
    assert refused.value.code == 552
    await services.email.drain()
    [unreadable] = await sink.wait_for_to("carol@example.org", 1)
    [too_large] = await sink.wait_for_to("dave@example.org", 1)
    assert unreadable.get_content().strip() == say("email.unreadable", "en")
    assert unreadable["In-Reply-To"] == "<empty@example.org>" and unreadable["Subject"] == "Re: Nothing new"
    assert too_large.get_content().strip() == say("email.too_large", "en", limit="0.02")
    huge = await services.email.store.inbound("demo", "<huge@example.org>")
    assert huge.status == "refused" and huge.reason.startswith("too large")
    assert await services.email.store.inbound("demo", "<huger@example.org>") is None  # never taken
    await sink.settle()
    assert len(sink.to("dave@example.org")) == 1
    kept = await services.email.store.inbound("demo", "<empty@example.org>")
    assert kept.status == "refused" and base64.b64decode(kept.raw).replace(b"\r\n", b"\n") == empty  # kept whole
    # an automatic mail that cannot be read is kept and not answered either
    await services.email.receive("demo", b"From: MAILER-DAEMON@mx.example.org\r\nMessage-ID: <m@mx>\r\n\r\n")
    await sink.settle()
    assert sink.to("mailer-daemon@mx.example.org") == []


async def test_a_sender_over_the_hourly_limit_is_stored_and_not_answered(world, sink):
    services, port = world
    for number in range(7):
        await send(port, mail("eve@example.org", f"How do I reset my password? ({number})",
                              message_id=f"<flood{number}@example.org>"))
    await services.email.drain()
    await sink.settle()
    assert len(sink.to("eve@example.org")) == 5
    limited = [await services.email.store.inbound("demo", f"<flood{n}@example.org>") for n in (5, 6)]
    assert [row.status for row in limited] == ["limited", "limited"]
    assert "mails an hour" in limited[0].reason


async def test_a_guest_gets_a_signed_sign_in_link_and_a_verified_address_its_orders(world, sink):
    services, port = world
    await send(port, mail("frank@example.org", "Where is my order?", "Order", "<o1@example.org>"))
    await send(port, mail("Maya <maya.thompson@example.com>", "Where is my order?", "Order", "<o2@example.com>"))
    await services.email.drain()
    [guest] = await sink.wait_for_to("frank@example.org", 1)
    [verified] = await sink.wait_for_to("maya.thompson@example.com", 1)
    text = guest.get_content()
    assert say("account.sign_in_needed", "en") in text and "BW-" not in text
    link = text.split("https://brightwave.example/sign-in?token=")[1].split()[0]
    tenant = services.tenants.get("demo")
    claims = read_sign_in_token(tenant, link, services.clock)
    row = await services.email.store.inbound("demo", "<o1@example.org>")
    assert claims["email"] == "frank@example.org" and claims["conversation"] == row.conversation_id
    with pytest.raises(jwt.InvalidTokenError):
        read_sign_in_token(tenant, link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"), services.clock)
    assert "BW-" in verified.get_content()  # the demo customer's own order numbers
    maya = await services.email.store.inbound("demo", "<o2@example.com>")
    conversation = await services.conversations.get(ConversationId(maya.conversation_id))
    assert conversation.customer_id == "cus_1001"


async def test_a_mail_naming_another_senders_thread_starts_its_own_conversation(world, sink):
    services, port = world
    await send(port, mail("gina@example.org", "How do I reset my password?", "Pw", "<g1@example.org>"))
    await services.email.drain()
    [answer] = await sink.wait_for_to("gina@example.org", 1)
    await send(port, mail("mallory@example.org", "Show me everything", "Re: Pw", "<x1@example.org>",
                          In_Reply_To=answer["Message-ID"]))
    await services.email.drain()
    store = services.email.store
    own, other = await store.inbound("demo", "<g1@example.org>"), await store.inbound("demo", "<x1@example.org>")
    assert own.conversation_id != other.conversation_id


async def test_a_person_answers_by_email_and_the_customers_next_mails_reach_them(world, sink):
    services, port = world
    await send(port, mail("hal@example.org", "I want to talk to a human agent please", "Agent", "<h1@example.org>"))
    await services.email.drain()
    row = await services.email.store.inbound("demo", "<h1@example.org>")
    conversation = await services.conversations.get(ConversationId(row.conversation_id))
    assert conversation.state is Ownership.QUEUED
    [holding] = await sink.wait_for_to("hal@example.org", 1)
    assert holding["Subject"] == "Re: Agent"

    await services.accounts.seed_agent("sam@brightwave.example", "Sam", "a-long-agent-password", "agent", ["*"], "en")
    agent = await services.accounts.agent("sam@brightwave.example")
    conversation, _ = await services.desk.claim(conversation.id, agent)
    message = await services.desk.post_agent_message(conversation.id, agent, "Hello Hal, Sam here.")
    assert await services.channels.send(conversation, message, "Sam: Hello Hal, Sam here.")  # what the console calls
    [_, by_agent] = await sink.wait_for_to("hal@example.org", 2)
    assert by_agent.get_content().strip() == "Sam: Hello Hal, Sam here."
    assert by_agent["In-Reply-To"] == "<h1@example.org>" and by_agent["Auto-Submitted"] is None  # a person wrote it
    assert by_agent["Message-ID"] == f"<{message.id}@brightwave.example>"
    await services.channels.send(conversation, message, "Sam: Hello Hal, Sam here.")  # pushed twice: mailed once
    await sink.settle()
    assert len(sink.to("hal@example.org")) == 2

    relayed = []

    async def to_agent(conv, incoming):
        relayed.append((conv.assigned_agent, incoming.content, incoming.metadata["email"]["attachments"]))

    services.email.to_agent = to_agent
    reply = EmailMessage()
    reply["From"], reply["Subject"], reply["Message-ID"] = "hal@example.org", "Re: Agent", "<h2@example.org>"
    reply["In-Reply-To"] = by_agent["Message-ID"]
    reply.set_content("Thanks Sam, the photo is attached.")
    reply.add_attachment(b"0" * 3000, maintype="image", subtype="jpeg", filename="meter.jpg")
    await send(port, bytes(reply))
    await services.email.drain()
    assert relayed == [("sam@brightwave.example", "Thanks Sam, the photo is attached.",
                        [{"name": "meter.jpg", "type": "image/jpeg", "size": 3000}])]
    await sink.settle()
    assert len(sink.to("hal@example.org")) == 2  # the assistant stays silent while Sam owns it
    assert (await services.email.store.inbound("demo", "<h2@example.org>")).status == "relayed"
