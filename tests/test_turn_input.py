"""What customers and agents type, through the real engine, store, classifier and help center:
text no UTF-8 consumer accepts, a question that sounds like a task, and the handoff packet an
agent reads afterwards."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from app.config.settings import Settings
from app.services import build_services
from app.store.accounts import Agent
from app.surfaces.console.view import queue_line, render_packet
from tests.support.engine import Chat

pytestmark = pytest.mark.asyncio(loop_scope="module")

ALEX = Agent("alex@brightwave.example", "Alex Rivera", "agent", ["*"])
PAUSE_QUESTIONS = {
    "en": "Can I pause my subscription for two months?",
    "es": "¿Puedo pausar mi suscripción durante dos meses?",
    "de": "Kann ich mein Abonnement für zwei Monate pausieren?",
    "fr": "Puis-je mettre mon abonnement en pause pendant deux mois ?",
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("turn-input") / "data")
    async with build_services(settings) as built:
        yield built


# -- text UTF-8 cannot carry -------------------------------------------------------------------


async def test_a_lone_surrogate_is_stored_replaced_and_the_question_answered(services):
    chat = Chat(services)
    reply, trace = await chat.say("How do I reset my password? \ud800")
    assert "Reset your password" in reply, reply
    assert trace["decision"]["action"] == "answer", trace["decision"]
    stored = [m for m in await services.conversations.messages(chat.id) if m.role.value == "customer"]
    assert [m.content for m in stored] == ["How do I reset my password? \ufffd"]
    assert stored[0].metadata == {"replaced_characters": 1}


async def test_a_split_surrogate_pair_is_joined_not_replaced(services):
    chat = Chat(services)
    await chat.say("thanks \ud83d\ude00")
    stored = [m for m in await services.conversations.messages(chat.id) if m.role.value == "customer"]
    assert [m.content for m in stored] == ["thanks \U0001F600"] and stored[0].metadata == {}


async def test_an_agents_lone_surrogate_is_stored_replaced(services):
    chat = Chat(services)
    await chat.say("I want to talk to a human")
    await services.desk.claim(chat.id, ALEX)
    sent = await services.desk.post_agent_message(chat.id, ALEX, "On it \udc80 one moment")
    note = await services.desk.add_note(chat.id, ALEX, "bad \ud800 byte")
    assert sent.content == "On it \ufffd one moment" and sent.metadata["replaced_characters"] == 1
    stored = [m for m in await services.conversations.messages(chat.id) if m.role.value == "agent"]
    assert [m.content for m in stored] == ["On it \ufffd one moment"]
    assert note.text == "bad \ufffd byte"


# -- a question about pausing is not a cancellation -----------------------------------------------


@pytest.mark.parametrize("language", sorted(PAUSE_QUESTIONS))
async def test_a_pause_question_quotes_the_pause_article_and_offers_no_cancellation(services, language):
    chat = Chat(services, "cus_1002", language)  # a verified Plus subscriber: a cancellation could start
    reply, trace = await chat.say(PAUSE_QUESTIONS[language])
    assert trace["decision"]["action"] == "answer", (trace["intent"], trace["decision"])
    quoted, _, source = reply.partition("\n\n")[2].rpartition("\n\n")
    assert "[Pause your subscription" in source and "(/kb/demo/pause-your-subscription" in source, reply
    assert "pause" in quoted.lower(), reply
    assert "task" not in trace, trace["task"]
    conversation = await services.conversations.get(chat.id)
    assert conversation is not None and conversation.flow is None  # no cancellation waiting for a yes


async def test_a_task_about_as_likely_as_a_question_is_answered_first_not_started(services):
    from app.conversation.policy import Action, decide, task_candidates
    from app.understanding.intents import IntentResult

    tenant = services.engine.tenants["demo"].tenant
    verified = Chat(services, "cus_1002").identity
    conversation = await services.engine.open_conversation("policy-check", verified)
    torn = IntentResult("cancellation", 0.55, [("question", 0.44)])
    decision = decide(torn, verified, conversation, tenant)
    assert (decision.action, decision.rule) == (Action.ANSWER, "question_or_task_answer_first"), decision
    assert task_candidates(torn) == ["cancellation"]  # with no article, the engine asks rather than fails
    clear = IntentResult("cancellation", 0.86, [("question", 0.14)])
    assert decide(clear, verified, conversation, tenant).rule == "task_cancellation"
    close_tasks = IntentResult("cancellation", 0.5, [("refund_request", 0.45)])
    assert decide(close_tasks, verified, conversation, tenant).action is Action.CLARIFY  # as before


async def test_asking_to_cancel_the_subscription_still_starts_the_cancellation(services):
    chat = Chat(services, "cus_1002")
    reply, trace = await chat.say("I want to cancel my subscription")
    assert trace["decision"] == {**trace["decision"], "action": "task", "rule": "task_cancellation"}, trace
    assert trace["task"]["flow"] == "cancellation", trace["task"]
    assert "Plus" in reply, reply


# -- the handoff packet says one thing once -------------------------------------------------------


async def test_the_packet_after_a_quoted_answer_names_the_article_wherever_it_says_what_was_tried(services):
    chat = Chat(services)
    await chat.say("How do I reset my password?")
    await chat.say("I want to talk to a human")
    packet = await services.desk.packet(chat.id)
    assert packet is not None
    assert packet.tried == ["quoted Reset your password"]
    assert "Tried: quoted Reset your password." in packet.summary, packet.summary
    shown = render_packet(packet, datetime.now(UTC))
    assert "**Tried:** quoted Reset your password\n" in shown, shown
    assert "none" not in shown.split("**Tried:**")[1].splitlines()[0]
    assert packet.as_dict()["tried"] == packet.tried  # what the Queue API returns


async def test_a_normal_priority_handoff_reads_normal_in_the_summary_the_badge_and_the_queue(services):
    chat = Chat(services)
    await chat.say("I want to talk to a human")
    packet = await services.desk.packet(chat.id)
    assert packet is not None and packet.handoff["level"] == "normal"
    assert packet.why is not None and packet.why["priority"]["level"] == "low"  # triage alone said low
    assert "— normal priority" in packet.summary, packet.summary
    shown = render_packet(packet, datetime.now(UTC))
    assert "**Queue:** general · 🟢 normal" in shown, shown
    assert not re.search(r"\blow\b", shown), shown  # one level, the conversation's, everywhere
    entry = next(e for e in await services.desk.queue_for(ALEX) if e.conversation.id == chat.id)
    assert "🟢 normal" in queue_line(entry, datetime.now(UTC))
