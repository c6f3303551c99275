"""Follow-up after an automated resolution: the store's rules on SQLite and PostgreSQL, and the
real in-process engine on a clock the test moves: asked once at the next visit, Yes recorded,
No reopened to the right queue with the earlier conversation, and the report's measured rate."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
import yaml

from app.analytics.report import build_report
from app.config.settings import Settings
from app.config.tenants import FollowUpConfig, load_tenant
from app.conversation.follow_up import NOT_SOLVED, SOLVED
from app.core.clock import stamp
from app.core.domain import ConversationId, Identity, Message, MessageId, Role, TenantId, new_id
from app.core.errors import ConfigError
from app.core.i18n import say
from app.core.trace import DecisionTrace
from app.services import build_services
from app.store import ConversationStore, Database, FeedbackStore
from app.store.follow_ups import FollowUpStore
from app.store.handoffs import HandoffRequest, HandoffStore
from tests.support.engine import Chat
from tests.support.server import demo_tenant_file

START = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # a Wednesday morning in Madrid: the general queue is open
EARLY, LATE = "0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"


# -- the store ---------------------------------------------------------------------------

async def _answered(conversations: ConversationStore, user: str, question: str = "How do I reset my password?",
                    *, handoff: bool = False) -> str:
    cid = new_id()
    await conversations.ensure(cid, Identity(TenantId("demo"), user))
    await conversations.add_message(Message(MessageId(new_id()), ConversationId(cid), Role.CUSTOMER, "C", question))
    reply = Message(MessageId(new_id()), ConversationId(cid), Role.ASSISTANT, "Assistant", "Use the reset link.",
                    metadata={"citations": [{"title": "Passwords"}]})
    request = HandoffRequest("general", "asked", "human_request", "normal", 1, LATE, "v1") if handoff else None
    await conversations.save_assistant_reply(reply, DecisionTrace(), updates={}, handoff=request)
    await asyncio.sleep(0.005)  # the next conversation is touched later
    return cid


async def test_only_the_latest_automated_resolution_is_due_once(database: Database):
    conversations, store = ConversationStore(database), FollowUpStore(database)
    first = await _answered(conversations, "u1")
    latest = await _answered(conversations, "u1", "Where is my invoice?")
    assert await store.due("demo", "u2", current="x", since=EARLY) is None  # another customer
    assert await store.due("demo", "u1", current="x", since=LATE) is None  # too old
    due = await store.due("demo", "u1", current="x", since=EARLY)
    assert due is not None and (due.conversation_id, due.topic, due.answer) == (
        latest, "Where is my invoice?", "Use the reset link.")
    assert due.citations == [{"title": "Passwords"}] and first != latest
    assert await store.due("demo", "u1", current=latest, since=EARLY) is not None  # `current` is skipped

    assert await store.ask(due, asked_in="chat-2", at=EARLY)
    assert not await store.ask(due, asked_in="chat-3", at=EARLY)  # never asked twice
    assert await store.due("demo", "u1", current="x", since=EARLY) is None
    asked = await store.open_in("chat-2")
    assert asked is not None and asked.conversation_id == latest and asked.answer == "none"
    assert await store.answer(latest, "solved", at=LATE)
    assert not await store.answer(latest, "not_solved", at=LATE)  # answered once
    assert (await store.get(latest)).answer == "solved"
    assert await store.open_in("chat-2") is None


async def test_handed_off_or_disliked_conversations_are_not_automated_resolutions(database: Database):
    conversations, store = ConversationStore(database), FollowUpStore(database)
    await _answered(conversations, "u1", handoff=True)
    assert await store.due("demo", "u1", current="x", since=EARLY) is None
    disliked = await _answered(conversations, "u2")
    reply = [m for m in await conversations.messages(ConversationId(disliked)) if m.role is Role.ASSISTANT][0]
    assert await FeedbackStore(database).upsert(reply.id, 0, None, owner="u2")
    assert await store.due("demo", "u2", current="x", since=EARLY) is None


async def test_a_conversation_deleted_keeps_the_follow_up_about_another(database: Database):
    conversations, store = ConversationStore(database), FollowUpStore(database)
    resolved = await _answered(conversations, "u1")
    due = await store.due("demo", "u1", current="x", since=EARLY)
    chat = await _answered(conversations, "u1", handoff=True)  # the chat it was asked in, then handed over
    assert due is not None and await store.ask(due, asked_in=chat, at=EARLY)
    handoff = await HandoffStore(database).latest(chat)
    await store.answer(resolved, "not_solved", at=LATE)
    await store.reopened(resolved, handoff.id)
    await conversations.delete(ConversationId(chat))
    kept = await store.get(resolved)
    assert kept is not None and (kept.answer, kept.asked_in, kept.handoff_id) == ("not_solved", None, None)
    await conversations.delete(ConversationId(resolved))
    assert await store.get(resolved) is None


# -- the tenant setting ------------------------------------------------------------------

@pytest.mark.parametrize(("block", "problem"), [
    ({"within_days": 0}, "within_days"), ({"after_minutes": -5}, "after_minutes"),
    ({"ask_on_next_visit": "often"}, "ask_on_next_visit"), ({"every": 3}, "every")])
def test_a_bad_follow_up_block_is_refused_naming_the_key(tmp_path, block, problem):
    path = demo_tenant_file(tmp_path)
    data = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**data, "follow_up": block}))
    with pytest.raises(ConfigError, match=problem):
        load_tenant(path)


def test_by_default_nothing_is_asked_and_turned_on_it_is_the_next_visit_within_a_week(tmp_path):
    follow_up = load_tenant(demo_tenant_file(tmp_path)).follow_up
    assert (follow_up.ask_on_next_visit, follow_up.within_days, follow_up.after_minutes) == (False, 7, None)
    on = load_tenant(demo_tenant_file(tmp_path, follow_up={"ask_on_next_visit": True})).follow_up
    assert (on.ask_on_next_visit, on.within_days) == (True, 7)


# -- the engine --------------------------------------------------------------------------

class MovedByHand:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest_asyncio.fixture
async def built(tmp_path):
    clock = MovedByHand(START)
    async with build_services(Settings(data_dir=tmp_path / "data"), clock=clock) as services:
        services.engine.intake.agents_online = lambda _tenant: 1
        services.engine.tenants["demo"].tenant.follow_up = FollowUpConfig(ask_on_next_visit=True)
        yield services, clock


def _next_visit(chat: Chat) -> Chat:
    again = Chat(chat.services)
    again.identity = chat.identity
    return again


async def test_yes_is_recorded_and_the_question_is_never_asked_again(built):
    services, clock = built
    first = Chat(services)
    await first.say("How do I reset my password?")
    clock.at += timedelta(days=2)
    visit = _next_visit(first)
    asked = await services.engine.ask_follow_up(visit.id, visit.identity)
    assert asked is not None
    question, choices = asked
    assert question.content == say("follow_up.ask", "en", topic="How do I reset my password?")
    assert [(c.label, c.value) for c in choices] == [("Yes", SOLVED), ("No", NOT_SOLVED)]
    assert question in await services.conversations.messages(visit.id)  # a click on it is checked against it

    reply, trace = await visit.say("Yes", choice=SOLVED)
    assert reply == say("follow_up.thanks", "en")
    assert trace["decision"] == {"action": "follow_up", "rule": "solved"} | {
        k: v for k, v in trace["decision"].items() if k not in ("action", "rule")}
    done = await services.engine.follow_ups.store.get(first.id)
    assert (done.answer, done.answered_at, done.handoff_id) == ("solved", stamp(clock.at), None)
    assert (await services.conversations.get(visit.id)).state.value == "assistant"

    third = _next_visit(first)
    assert await services.engine.ask_follow_up(third.id, third.identity) is None
    reply, _ = await visit.say("Yes", choice=SOLVED)  # a second click is an ordinary message
    assert reply != say("follow_up.thanks", "en")


async def test_no_reopens_to_the_queue_with_the_earlier_conversation_in_spanish(built):
    services, clock = built
    first = Chat(services, locale="es")
    await first.say("¿Cómo restablezco mi contraseña?")
    earlier_reply = (await services.conversations.messages(first.id))[-1]
    clock.at += timedelta(hours=5)
    visit = _next_visit(first)
    question, choices = await services.engine.ask_follow_up(visit.id, visit.identity)
    assert question.content.startswith("La última vez preguntaste por «¿Cómo restablezco")
    assert [c.label for c in choices] == ["Sí", "No"]

    reply, trace = await visit.say("No", choice=NOT_SOLVED)
    assert reply.startswith(say("follow_up.reopened", "es")), reply
    assert trace["handoff"]["trigger"] == "follow_up_unsolved"
    conversation = await services.conversations.get(visit.id)
    assert conversation.state.value == "queued"
    handoff = await services.handoffs.latest(visit.id)
    assert (handoff.trigger, handoff.queue) == ("follow_up_unsolved", "general")
    assert "¿Cómo restablezco mi contraseña?" in handoff.reason
    context = handoff.packet["follow_up_of"]
    assert (context["conversation_id"], context["question"], context["answer"]) == (
        first.id, "¿Cómo restablezco mi contraseña?", earlier_reply.content)
    assert context["trace"]["decision"] and context["citations"] == earlier_reply.metadata["citations"]
    recorded = await services.engine.follow_ups.store.get(first.id)
    assert (recorded.answer, recorded.asked_in, recorded.handoff_id) == ("not_solved", visit.id, handoff.id)


async def test_an_ignored_question_is_unanswered_and_the_report_measures_resolution(built):
    services, clock = built
    solved, unsolved, ignored, stale = Chat(services), Chat(services), Chat(services), Chat(services)
    for chat in (solved, unsolved, ignored, stale):
        await chat.say("How do I reset my password?")
    clock.at += timedelta(days=8)
    assert await services.engine.ask_follow_up(new_id(), stale.identity) is None  # older than within_days
    clock.at -= timedelta(days=7)
    for chat, answer in ((solved, SOLVED), (unsolved, NOT_SOLVED), (ignored, None)):
        visit = _next_visit(chat)
        assert await services.engine.ask_follow_up(visit.id, visit.identity) is not None
        if answer:
            await visit.say("Yes" if answer == SOLVED else "No", choice=answer)
        else:
            await visit.say("Do you ship to Canada?")
            reply, _ = await visit.say("No")  # too late: the question was passed over, it is an ordinary reply
            assert reply != say("follow_up.reopened", "en")
    assert (await services.engine.follow_ups.store.get(ignored.id)).answer == "none"
    later = _next_visit(ignored)
    assert await services.engine.ask_follow_up(later.id, later.identity) is None

    r = await build_report(services.db, "demo", since=START - timedelta(hours=1), until=None, now=clock.at)
    assert r.follow_ups.model_dump() == {"asked": 3, "solved": 1, "not_solved": 1, "unanswered": 1}
    assert r.resolution_rate == 0.5
    # the four first chats, the visit that asked about Canada and the one reopened to a person; the
    # visit that only answered Yes is not a conversation of its own (docs/analytics.md)
    assert (r.conversations, r.escalated) == (6, 1)
    assert ("follow_up_unsolved", 1) in [(e.name, e.conversations) for e in r.escalation_by_trigger]
    assert r.resolution_rate_unconfirmed is not None
