"""Proactive outreach on the real in-process engine and store: a declared incident is told to
the customers who reported it (matched by topic words within the look-back), on their channel
(web through the live relay, email through an outbox registered on `services.channels`, the
channel seam), in their language, once; customers who write about it while it is open are
offered the fix notice and a Yes subscribes them; resolving tells everyone subscribed, once.
Bad input is refused with a message that says why."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
import yaml

from app.config.settings import Settings
from app.config.tenants import load_tenant
from app.conversation.updates import DECLINE, SUBSCRIBE, notice
from app.core.domain import Conversation, ConversationId, Identity, Message, TenantId, new_id
from app.core.errors import ConfigError, IncidentError
from app.core.i18n import say
from app.services import build_services
from app.understanding.incident_topic import matched_word, topic_words
from tests.support.engine import Chat, MovedByHand
from tests.support.server import demo_tenant_file

with warnings.catch_warnings():  # Chainlit's own imports warn (pydantic deprecations in its dependencies)
    warnings.simplefilter("ignore")
    from app.surfaces.console import live
    from app.surfaces.live_events import LiveEvent, LocalRelay
    from app.surfaces.runtime import RUNTIME

START = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
MESSAGE = "Sign-in fails for some customers since 9:00; a fix is being deployed."


class RecordingOutbox:
    """The email channel as the registry sees it: what it was asked to send, to whom."""

    channel = "email"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    async def send(self, conversation: Conversation, message: Message, shown: str) -> None:
        self.sent.append((conversation.id, shown, message.metadata))


@pytest_asyncio.fixture
async def built(tmp_path):
    """Services with the server's delivery wired as at start-up: notices go through the
    console's `to_customer`; web pushes are rendered by a local relay that records them."""
    clock = MovedByHand(START)
    pushed: list[LiveEvent] = []

    async def render(event: LiveEvent) -> None:
        pushed.append(event)

    async with build_services(Settings(data_dir=tmp_path / "data"), clock=clock) as services:
        services.engine.intake.agents_online = lambda _tenant: 1
        outbox = RecordingOutbox()
        services.channels.add(outbox)
        assert services.outreach is not None
        services.outreach.deliver = live.to_customer
        previous = RUNTIME.services, RUNTIME.relay
        RUNTIME.services, RUNTIME.relay = services, LocalRelay(render)
        try:
            yield services, clock, outbox, pushed
        finally:
            RUNTIME.services, RUNTIME.relay = previous


def email_chat(services: Any, locale: str | None = "en") -> Chat:
    chat = Chat(services, locale=locale)
    chat.identity = Identity(TenantId("demo"), f"email:{new_id()}@example.com", locale=locale, channel="email")
    return chat


async def notices(services: Any, chat: Chat, event: str) -> list[Message]:
    return [m for m in await services.conversations.messages(chat.id) if m.metadata.get("event") == event]


def test_topic_words_match_the_words_customers_use():
    assert topic_words("Login, sign-in & 2FA, on 12 of 12!") == ["login", "sign", "2fa"]
    assert matched_word("login sign", "I cannot LOG IN, my logins fail") == "login"
    assert matched_word("payments", "my payment was declined") == "payments"
    assert matched_word("payments", "where is my payout") is None
    assert matched_word("login", "the logo is blurred") is None
    assert matched_word("login", "I cannot log in") == "login"  # written apart
    assert matched_word("Überweisung", "meine uberweisungen") == "uberweisung"  # accents fold


@pytest.mark.parametrize(("block", "problem"), [
    ({"look_back_hours": 0}, "look_back_hours"), ({"offer_updates": "maybe"}, "offer_updates"),
    ({"window": 3}, "window")])
def test_a_bad_outreach_block_is_refused_naming_the_key(tmp_path, block, problem):
    path = demo_tenant_file(tmp_path)
    data = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**data, "outreach": block}))
    with pytest.raises(ConfigError, match=problem):
        load_tenant(path)
    defaults = load_tenant(demo_tenant_file(tmp_path)).outreach
    assert (defaults.look_back_hours, defaults.offer_updates) == (24, True)


async def test_reporters_are_told_on_their_channel_in_their_language_once(built):
    services, clock, outbox, pushed = built
    web = Chat(services)
    await web.say("I cannot sign in since this morning, the login page spins")
    mail = email_chat(services, locale="de")
    await mail.say("Die Anmeldung geht nicht, login schlägt fehl")
    other = Chat(services)
    await other.say("How do I reset my password?")
    old = Chat(services)
    clock.at -= timedelta(hours=30)
    await old.say("login broken yesterday")  # before the look-back (24 h by default)
    clock.at += timedelta(hours=31)

    outcome = await services.outreach.declare("demo", "login sign", MESSAGE, by="lead@example.com")
    assert outcome.told == 2

    english = notice("incident.known", "en", MESSAGE)
    german = notice("incident.known", "de", MESSAGE)
    assert german != english and german.startswith("Wir kennen dieses Problem")
    assert [m.content for m in await notices(services, web, "incident.known")] == [english]  # stored: shown on reload
    assert [(e.target, e.content) for e in pushed] == [(web.id, english)]  # live in the open chat
    assert [(cid, shown) for cid, shown, _ in outbox.sent] == [(mail.id, german)]  # the email channel
    assert outbox.sent[0][2]["incident"] == outcome.incident.id
    assert await notices(services, other, "incident.known") == []
    assert await notices(services, old, "incident.known") == []

    again = await services.outreach.link(outcome.incident, web.id)  # linking one told already: nothing new
    assert again.told == 0 and len(pushed) == 1

    resolved = await services.outreach.resolve(outcome.incident, by="lead@example.com", resolution="Sorry!")
    assert resolved.told == 2 and not resolved.incident.is_open
    assert [m.content for m in await notices(services, web, "incident.fixed")] == [
        notice("incident.fixed", "en", "Sorry!")]
    assert outbox.sent[-1][1] == notice("incident.fixed", "de", "Sorry!")
    with pytest.raises(IncidentError, match="resolved already"):
        await services.outreach.resolve(outcome.incident, by="lead@example.com")
    assert len(outbox.sent) == 2 and len(pushed) == 2  # once each


async def test_a_customer_writing_about_it_is_offered_the_fix_and_yes_subscribes(built):
    services, _clock, outbox, _pushed = built
    declared = await services.outreach.declare("demo", "checkout payments", MESSAGE, by="lead@example.com")
    assert declared.told == 0
    yes, no, silent = Chat(services), email_chat(services, locale="es"), Chat(services)

    reply, trace = await yes.say("My payment keeps failing at checkout")
    assert reply == notice("incident.offer", "en", MESSAGE)
    assert trace["decision"]["action"] == "incident_updates" and trace["decision"]["rule"] == "offer"
    assert "triage" not in trace.get("latency_ms", {})  # no search, no model: the notice is the answer
    offer = (await notices(services, yes, "incident.offer"))[0]
    assert offer.metadata["choices"] == [{"label": "Yes", "value": SUBSCRIBE}, {"label": "No", "value": DECLINE}]
    reply, _ = await yes.say("Yes", choice=SUBSCRIBE)
    assert reply == say("incident.subscribed", "en")

    reply, _ = await no.say("El pago (payment) no funciona en el checkout")
    assert reply == notice("incident.offer", "es", MESSAGE)
    reply, _ = await no.say("no")  # typed, as on email
    assert reply == say("incident.declined", "es")

    await silent.say("payment failed")
    reply, _ = await silent.say("How do I reset my password?")  # passed over: not an answer, not offered twice
    assert reply != say("incident.declined", "en") and "incident" not in reply
    reply, _ = await silent.say("Yes")  # too late: the offer is not the last thing any more
    assert reply != say("incident.subscribed", "en")

    resolved = await services.outreach.resolve(declared.incident, by="lead@example.com")
    assert resolved.told == 1
    assert len(await notices(services, yes, "incident.fixed")) == 1
    assert await notices(services, no, "incident.fixed") == [] and outbox.sent == []
    assert await notices(services, silent, "incident.fixed") == []
    counts = await services.outreach.store.counts(declared.incident.id)
    assert (counts.told, counts.subscribed, counts.fixed) == (3, 1, 1)

    after, _ = await Chat(services).say("payment failed again")  # resolved: an ordinary answer
    assert "We know about this problem" not in after


async def test_the_offer_is_in_the_language_the_customer_writes(built):
    services, _clock, outbox, _pushed = built
    await services.outreach.declare("demo", "pago payment", MESSAGE, by="lead@example.com")
    mail = email_chat(services, locale=None)  # an email: no widget locale to start from
    reply, trace = await mail.say("Hola, el pago con tarjeta no funciona desde esta mañana en vuestra tienda online")
    assert reply == notice("incident.offer", "es", MESSAGE)
    assert (await services.conversations.get(mail.id)).language == "es"  # kept for what follows
    reply, _ = await mail.say("Sí")
    assert reply == say("incident.subscribed", "es")


async def test_an_agent_links_a_conversation_the_words_missed(built):
    services, _clock, outbox, _pushed = built
    mail = email_chat(services)
    await mail.say("Nothing works when I try to get into my account")
    declared = await services.outreach.declare("demo", "login", MESSAGE, by="lead@example.com")
    assert declared.told == 0
    linked = await services.outreach.link(declared.incident, mail.id)
    assert linked.told == 1 and [shown for _, shown, _ in outbox.sent] == [notice("incident.known", "en", MESSAGE)]
    await services.outreach.resolve(declared.incident, by="lead@example.com", resolution="")
    assert outbox.sent[-1][1] == notice("incident.fixed", "en", "")
    with pytest.raises(IncidentError, match="resolved already"):
        await services.outreach.link(declared.incident, mail.id)


async def test_bad_input_is_refused_with_a_reason(built):
    services, _clock, _outbox, _pushed = built
    outreach = services.outreach
    for tenant, topic, message, problem in [
            ("demo", "  ", MESSAGE, "Name the incident's topic"), ("demo", "a 1 ??", MESSAGE, "Name the incident's"),
            ("demo", "login", " ", "Add the message"), ("nope", "login", MESSAGE, "No tenant 'nope'"),
            ("demo", "login " * 50, MESSAGE, "keep it under 200"), ("demo", "login", "x" * 1001, "under 1000")]:
        with pytest.raises(IncidentError, match=problem):
            await outreach.declare(tenant, topic, message, by="lead@example.com")
    assert await outreach.listed(None) == []
    declared = await outreach.declare("demo", "login", MESSAGE, by="lead@example.com")
    with pytest.raises(IncidentError, match="No incident `zzzz`"):
        await outreach.find("zzzz", lambda _tenant: True)
    with pytest.raises(IncidentError, match="No incident"):
        await outreach.find(declared.incident.id[:8], lambda tenant: tenant != "demo")  # not a tenant they serve
    assert (await outreach.find(declared.incident.id[:8], lambda _tenant: True)).id == declared.incident.id
    assert (await outreach.find(declared.incident.id, lambda _tenant: True)).id == declared.incident.id
    with pytest.raises(IncidentError, match="No incident"):
        await outreach.find("%%%%", lambda _tenant: True)  # no LIKE pattern from outside
    with pytest.raises(IncidentError, match="No conversation `nope` of demo"):
        await outreach.link(declared.incident, "nope")
    assert await outreach.store.get(declared.incident.id) == declared.incident  # nothing changed


async def test_a_failed_push_leaves_the_notice_stored_and_the_rest_told(built):
    services, _clock, outbox, _pushed = built
    first, second = email_chat(services), email_chat(services)
    for chat in (first, second):
        await chat.say("login is broken")

    async def failing(conversation_id: str, message: Message) -> None:
        if conversation_id == first.id:
            raise RuntimeError("mail server down")
        await live.to_customer(conversation_id, message)

    services.outreach.deliver = failing
    declared = await services.outreach.declare("demo", "login", MESSAGE, by="lead@example.com")
    assert declared.told == 2
    assert len(await notices(services, first, "incident.known")) == 1  # stored all the same
    assert [cid for cid, _, _ in outbox.sent] == [second.id]
    assert ConversationId(first.id) not in [cid for cid, _, _ in outbox.sent]
