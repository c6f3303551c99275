"""The in-chat follow-up timer on a clock the test moves: the real engine and store in-process,
the server's own timer class, and the question caught where the server would push it into the
open chat. Asked once the tenant's `after_minutes` of silence have passed on Frontline's clock,
not before; a customer who keeps talking restarts the wait; a chat handed to a person is never
asked. (tests/test_follow_up_timer_browser.py shows the question on the rendered page.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from app.config.settings import Settings
from app.conversation.follow_up import ASKED, NOT_SOLVED, SOLVED, Asked
from app.core.i18n import say
from app.services import build_services
from app.surfaces.follow_up_timer import SilenceTimers
from tests.support.engine import Chat, MovedByHand
from tests.support.server import demo_tenant_file

pytestmark = pytest.mark.asyncio(loop_scope="module")

START = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # a Wednesday morning in Madrid: the general queue is open
MINUTES = 30
QUESTION = "How do I reset my password?"


class OpenChats:
    """Where the server pushes a question into a customer's open chat (console.to_customer)."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, Asked]] = []

    async def deliver(self, thread_id: str, asked: Asked) -> None:
        self.shown.append((thread_id, asked))

    def questions(self, thread_id: str) -> list[str]:
        return [asked[0].content for shown_in, asked in self.shown if shown_in == thread_id]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("follow-up-timer")
    tenant = demo_tenant_file(folder, articles=("reset-your-password", "change-your-password"),
                              follow_up={"after_minutes": MINUTES})
    clock = MovedByHand(START)
    async with build_services(Settings(data_dir=folder / "data", tenants=[tenant]), clock=clock) as services:
        services.engine.intake.agents_online = lambda _tenant: 1
        yield services, clock


@pytest_asyncio.fixture(loop_scope="module")
async def world(built):
    services, clock = built
    chats = OpenChats()
    timers = SilenceTimers(clock, services.engine.follow_ups.ask_after_silence, chats.deliver, tick=0.01)
    yield services, clock, timers, chats
    timers.stop_all()


async def _answered(chat: Chat, timers: SilenceTimers, text: str = QUESTION) -> str:
    """A customer turn as the chat surface runs it: the timer stops when the customer writes and
    starts again after the assistant's reply."""
    timers.stop(chat.id)
    reply, _ = await chat.say(text)
    timers.restart(chat.id, chat.identity, MINUTES)
    await asyncio.sleep(0.05)  # the timer has started waiting before the test moves the clock
    return reply


async def _later(clock: MovedByHand, minutes: float) -> None:
    """Move the clock and give the timers many ticks to look at it."""
    clock.at += timedelta(minutes=minutes)
    await asyncio.sleep(0.3)


async def _shown(chats: OpenChats, thread_id: str) -> list[str]:
    for _ in range(300):
        if chats.questions(thread_id):
            break
        await asyncio.sleep(0.01)
    return chats.questions(thread_id)


async def test_the_question_appears_after_the_configured_minutes_of_silence_and_is_answered(world):
    services, clock, timers, chats = world
    chat = Chat(services)
    await _answered(chat, timers)
    await _later(clock, MINUTES - 1)
    assert chats.shown == [] and timers.waiting(chat.id)  # a minute early: nothing yet

    await _later(clock, 1)
    expected = say("follow_up.ask", "en", topic=QUESTION)
    assert await _shown(chats, chat.id) == [expected]
    message, offered = chats.shown[0][1]
    assert [(c.label, c.value) for c in offered] == [("Yes", SOLVED), ("No", NOT_SOLVED)]
    stored = (await services.conversations.messages(chat.id))[-1]
    assert (stored.id, stored.metadata["event"]) == (message.id, ASKED)  # in the chat's history too
    assert not timers.waiting(chat.id)

    reply, _ = await chat.say("Yes", choice=SOLVED)
    assert reply == say("follow_up.thanks", "en")
    assert (await services.engine.follow_ups.store.get(chat.id)).answer == "solved"

    timers.restart(chat.id, chat.identity, MINUTES)  # after the thanks: asked once, never again
    await _later(clock, MINUTES + 1)
    assert chats.questions(chat.id) == [expected]


async def test_a_customer_who_keeps_talking_is_asked_only_after_falling_silent(world):
    services, clock, timers, chats = world
    chat = Chat(services)
    await _answered(chat, timers)
    await _later(clock, 20)
    await _answered(chat, timers, "How do I change my password?")
    await _later(clock, 20)
    assert chats.shown == []  # 40 minutes after the first answer, 20 after the last
    timers.stop(chat.id)  # the customer writes again and the assistant is still answering
    await _later(clock, MINUTES + 5)
    assert chats.shown == []
    await _answered(chat, timers, QUESTION)
    await _later(clock, MINUTES)
    assert await _shown(chats, chat.id) == [say("follow_up.ask", "en", topic=QUESTION)]


async def test_a_chat_that_went_to_a_person_is_never_asked(world):
    services, clock, timers, chats = world
    chat = Chat(services)
    await _answered(chat, timers)
    await _later(clock, 10)
    await _answered(chat, timers, "I want to talk to a human")
    assert (await services.conversations.get(chat.id)).state.value == "queued"
    await _later(clock, MINUTES + 1)  # the timer ran out, and the engine declined: a person has the chat
    assert chats.shown == [] and not timers.waiting(chat.id)
    assert await services.engine.follow_ups.ask_after_silence(chat.id, chat.identity) is None
