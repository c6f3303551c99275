"""'Are you a bot?' through the real engine: an honest, translated answer and no handoff, while
an explicit request for a person still goes to a person at once."""

from __future__ import annotations

import pytest
import pytest_asyncio

from app.config.settings import Settings
from app.core.domain import Ownership
from app.core.i18n import say
from app.services import build_services
from tests.support.engine import Chat, fixed_clock

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("bot-identity") / "data")
    async with build_services(settings, clock=fixed_clock()) as built:
        yield built


async def assert_answered_by_the_assistant(services, chat: Chat) -> None:
    assert await services.handoffs.latest(chat.id) is None
    conversation = await services.conversations.get(chat.id)
    assert conversation is not None and conversation.state is Ownership.ASSISTANT


@pytest.mark.parametrize(("locale", "question"), [
    ("en", "are you a bot?"),
    ("en", "Am I talking to a real person?"),
    ("en", "Are you a human or an AI?"),
    ("es", "¿Eres un robot o una persona?"),
    ("de", "Bist du ein Mensch?"),
    ("fr", "Est-ce que je parle à un humain ?"),
])
async def test_a_bot_question_gets_the_honest_answer_in_the_customers_language(services, locale, question):
    chat = Chat(services, locale=locale)
    reply, trace = await chat.say(question)
    assert reply == say("smalltalk.bot_identity", locale)
    assert (trace["intent"]["name"], trace["intent"]["method"]) == ("bot_identity", "rule")
    assert (trace["decision"]["action"], trace["decision"]["rule"]) == ("smalltalk", "smalltalk_bot_identity")
    assert "handoff" not in trace or not trace["handoff"]
    await assert_answered_by_the_assistant(services, chat)


async def test_the_answer_is_stored_like_any_other_reply(services):
    chat = Chat(services)
    await chat.say("are you a bot?")
    stored = await services.conversations.messages(chat.id)
    assert [m.role.value for m in stored] == ["customer", "assistant"]
    assert stored[-1].content == say("smalltalk.bot_identity", "en")


async def test_after_the_answer_asking_for_a_person_hands_off_at_once(services):
    chat = Chat(services, "cus_1001")
    await chat.say("are you a real person?")
    await assert_answered_by_the_assistant(services, chat)
    reply, trace = await chat.say("I want a human")
    assert trace["intent"]["name"] == "human_handoff"
    assert trace["decision"]["action"] == "handoff"
    assert reply != say("smalltalk.bot_identity", "en")
    assert await services.handoffs.latest(chat.id) is not None


@pytest.mark.parametrize("request_text", ["Are you a bot? Then get me a human.", "Is there a human I can talk to?",
                                          "Quiero hablar con una persona"])
async def test_a_request_for_a_person_beside_a_bot_question_still_hands_off(services, request_text):
    chat = Chat(services)
    _, trace = await chat.say(request_text)
    assert trace["intent"]["name"] == "human_handoff"
    assert trace["decision"]["action"] == "handoff"
    assert await services.handoffs.latest(chat.id) is not None
