"""The follow-up for customers outside the web chat, on the real in-process engine and store:
the sweep asks an email conversation "Did that solve it?" once the tenant's minutes of silence
have passed on the (moved) clock, through the channel seam, once; the typed answer is the
report's measured resolution, and the report splits its figures by channel. The packet says
where the customer writes from."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio

from app.analytics.report import build_report
from app.cli.report import as_text
from app.config.settings import Settings
from app.config.tenants import FollowUpConfig
from app.core.domain import Conversation, Identity, Message, TenantId, new_id
from app.core.i18n import say
from app.services import build_services
from app.store.accounts import Agent
from tests.support.engine import Chat, MovedByHand

with warnings.catch_warnings():  # Chainlit's own imports warn (pydantic deprecations in its dependencies)
    warnings.simplefilter("ignore")
    from app.surfaces import follow_up_timer
    from app.surfaces.analytics_page import render_page
    from app.surfaces.console import live
    from app.surfaces.console.view import render_packet
    from app.surfaces.live_events import LiveEvent, LocalRelay
    from app.surfaces.runtime import RUNTIME

START = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
QUESTION = "How do I reset my password?"
ALEX = Agent("agent@brightwave.example", "Alex Rivera", "agent", ["*"])


class RecordingOutbox:
    channel = "email"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, conversation: Conversation, message: Message, shown: str) -> None:
        self.sent.append((conversation.id, shown))


@pytest_asyncio.fixture
async def built(tmp_path):
    clock = MovedByHand(START)
    pushed: list[LiveEvent] = []

    async def render(event: LiveEvent) -> None:
        pushed.append(event)

    async with build_services(Settings(data_dir=tmp_path / "data"), clock=clock) as services:
        services.engine.intake.agents_online = lambda _tenant: 1
        services.engine.tenants["demo"].tenant.follow_up = FollowUpConfig(after_minutes=30)
        outbox = RecordingOutbox()
        services.channels.add(outbox)
        services.outreach.deliver = live.to_customer
        previous = RUNTIME.services, RUNTIME.relay
        RUNTIME.services, RUNTIME.relay = services, LocalRelay(render)
        try:
            yield services, clock, outbox, pushed
        finally:
            RUNTIME.services, RUNTIME.relay = previous


def email_chat(services: Any, locale: str = "en") -> Chat:
    chat = Chat(services, locale=locale)
    chat.identity = Identity(TenantId("demo"), f"email:{new_id()}@example.com", locale=locale, channel="email")
    return chat


async def test_an_email_customer_is_asked_once_after_the_silence_and_yes_counts_as_resolved(built):
    services, clock, outbox, pushed = built
    sweep = follow_up_timer.sweep_elsewhere(services)  # as the server starts it
    mail, web, spanish = email_chat(services), Chat(services), email_chat(services, locale="es")
    for chat in (mail, web):
        await chat.say(QUESTION)
    await spanish.say("¿Cómo restablezco mi contraseña?")
    notified = email_chat(services)
    await notified.say("login is broken")
    await services.outreach.declare("demo", "login", "Sign-in is down.", by="lead@example.com")

    clock.at += timedelta(minutes=29)
    assert await sweep.sweep() == 0 and outbox.sent == [(notified.id, outbox.sent[0][1])]  # not yet
    clock.at += timedelta(minutes=2)
    assert await sweep.sweep() == 2  # the two email conversations; the web chat has its own timer
    asked = dict(outbox.sent[1:])
    assert asked[mail.id] == say("follow_up.ask_reply", "en", topic=QUESTION)
    assert asked[spanish.id] == say("follow_up.ask_reply", "es", topic="¿Cómo restablezco mi contraseña?")
    assert notified.id not in asked  # its last message is an incident notice, not an answer
    assert pushed == [] and web.id not in asked
    clock.at += timedelta(hours=5)
    assert await sweep.sweep() == 0  # asked once

    reply, trace = await mail.say("Yes")  # typed: there is no button in an email
    assert reply == say("follow_up.thanks", "en") and trace["decision"]["rule"] == "solved"
    reply, _ = await spanish.say("No")
    assert reply.startswith(say("follow_up.reopened", "es"))

    report = await build_report(services.db, "demo", since=None, until=None, now=clock.at)
    assert (report.follow_ups.solved, report.follow_ups.not_solved) == (1, 1) and report.resolution_rate == 0.5
    by_channel = {c.channel: c for c in report.by_channel}
    assert set(by_channel) == {"email", "web"}
    email, chat = by_channel["email"], by_channel["web"]
    assert (email.conversations, chat.conversations) == (3, 1)
    assert (email.follow_ups.solved, email.follow_ups.not_solved, email.resolution_rate) == (1, 1, 0.5)
    assert (email.escalated, email.contained) == (1, 2)  # the "No" went to a person
    assert chat.follow_ups.asked == 0 and chat.resolution_rate is None and chat.contained == 1
    assert (email.outreach.told_known, chat.outreach.told_known) == (1, 0)
    assert sum(c.conversations for c in report.by_channel) == report.conversations
    text = as_text(report)  # `frontline report`
    assert "By channel" in text and "  email             3 conversations, contained 2 (66.7%)" in text
    assert "resolved (measured) 50.0% of 2 answered follow-ups" in text
    page = render_page(report, [("demo", "Brightwave")])  # the analytics page
    section = page.split('<section id="by-channel">', 1)[1].split("</section>", 1)[0]
    assert "<td>email</td>" in section and "<td>web</td>" in section and "50.0 %" in section

    packet = await services.desk.packet(spanish.id, ALEX)
    assert packet.channel == "email" and "by email" in packet.summary
    assert "channel: email" in render_packet(packet, clock.at)


async def test_resolved_incidents_count_in_the_report(built):
    services, clock, _outbox, _pushed = built
    reporters = [email_chat(services), Chat(services)]
    for chat in reporters:
        await chat.say("checkout payment fails")
    declared = await services.outreach.declare("demo", "payment", "Card payments fail.", by="lead@example.com")
    await services.outreach.resolve(declared.incident, by="lead@example.com")
    report = await build_report(services.db, "demo", since=None, until=None, now=clock.at)
    assert (report.outreach.told_known, report.outreach.subscribed, report.outreach.told_fixed) == (2, 2, 2)
    assert {c.channel: c.outreach.told_fixed for c in report.by_channel} == {"email": 1, "web": 1}
