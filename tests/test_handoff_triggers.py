"""Escalation triggers through the real engine, store, classifier and demo business system.

Each test talks to the demo tenant (policy demo/handoff.yaml) and checks what the desk relies on:
the stored handoff row (queue, trigger, level, SLA deadline, policy version), the conversation
waiting in the queue at the level's rank, the decision trace, and what the customer is told.
The engine's clock is fixed per test, so SLA deadlines and business hours are exact.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from app.config.handoff_policy import HandoffPolicy, rank
from app.config.settings import Settings
from app.conversation.turn import Turn, TurnOutcome
from app.core.domain import MessageId, Ownership, Role, new_id
from app.core.i18n import say
from app.handoff.intake import NOTICE_EVERY
from app.services import build_services
from app.store.handoffs import HandoffRecord, iso, parse_iso
from app.understanding.sentiment import assess
from app.understanding.signals import detect
from tests.support.engine import Chat, fixed_clock, rows

pytestmark = pytest.mark.asyncio(loop_scope="module")

POLICY_VERSION = "brightwave-handoff-2026.11.1"
MADRID = ZoneInfo("Europe/Madrid")
COMPLIANCE_HOURS = "mon-fri 08:00-20:00, sat 09:00-14:00 (Europe/Madrid)"

# Minutes until a person must reply, per queue and level (demo/handoff.yaml).
SLA_MINUTES = {("general", "normal"): 30, ("general", "high"): 15, ("key_accounts", "urgent"): 5,
               ("technical", "normal"): 30, ("compliance", "high"): 240, ("crisis", "urgent"): 5}
HANDLE_MINUTES = {"general": 8, "compliance": 20}  # an agent's typical time per conversation
PICKUP_MINUTES = 2  # the expected pickup until a queue has three claimed handoffs

# Moments the engine sees. Every fault report of the other tests happens before INCIDENT_TIME
# minus the incident window, so only the incident test's reports count towards its incident.
WEEKDAY = datetime(2026, 11, 18, 10, 0, tzinfo=MADRID)  # a Wednesday: every queue is open
SUNDAY = datetime(2026, 11, 15, 12, 0, tzinfo=MADRID)  # compliance works business hours only
QUEUE_TIME = datetime(2026, 11, 17, 9, 0, tzinfo=MADRID)  # a Tuesday
INCIDENT_TIME = datetime(2026, 11, 19, 16, 0, tzinfo=MADRID)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("handoff-triggers") / "data")
    async with build_services(settings, clock=fixed_clock()) as built:
        yield built


class World:
    """What the engine sees of the world for one test: the time and how many agents are online."""

    def __init__(self) -> None:
        self.now = WEEKDAY
        self.agents = 0


@pytest.fixture
def world(services) -> Iterator[World]:
    engine = services.engine
    clock, agents_online = engine.clock, engine.intake.agents_online
    state = World()
    engine.clock = lambda: state.now
    engine.intake.agents_online = lambda _tenant: state.agents
    yield state
    engine.clock, engine.intake.agents_online = clock, agents_online


def policy(services) -> HandoffPolicy:
    return services.engine.tenants["demo"].tenant.handoff_policy


def due(at: datetime, queue: str, level: str) -> str:
    return iso(at + timedelta(minutes=SLA_MINUTES[(queue, level)]))


async def send(services, chat: Chat, text: str) -> TurnOutcome:
    """One customer message, for turns where the assistant may stay silent (Chat.say needs a reply)."""
    return await services.engine.handle(Turn(chat.id, MessageId(new_id()), chat.identity, text))


async def expect_handoff(services, chat: Chat, trace: dict[str, Any], *, queue: str, trigger: str, level: str,
                         at: datetime) -> HandoffRecord:
    """The stored handoff, the waiting conversation and the decision trace all say the same."""
    row = await services.handoffs.latest(chat.id)
    assert row is not None, trace.get("decision")
    deadline = due(at, queue, level)
    assert (row.queue, row.trigger, row.level, row.due_at, row.policy_version) == (
        queue, trigger, level, deadline, POLICY_VERSION), row
    conversation = await services.conversations.get(chat.id)
    assert conversation is not None
    assert conversation.state is Ownership.QUEUED
    assert (conversation.queue, conversation.priority) == (queue, rank(level))
    decision = trace["decision"]
    assert (decision["action"], decision["rule"], decision["queue"], decision["priority"]) == (
        "handoff", trigger, queue, rank(level)), decision
    assert decision["reason"] == row.reason
    block = trace["handoff"]
    assert (block["queue"], block["trigger"], block["level"], block["due_at"], block["policy_version"]) == (
        queue, trigger, level, deadline, POLICY_VERSION), block
    assert block["incident"] == row.incident_id
    return row


async def queue_position(services, chat: Chat, queue: str) -> int:
    """1 + how many waiting conversations of `queue` an agent takes before this one (the desk's order)."""
    waiting = [entry.conversation.id for entry in await services.handoffs.queue(["demo"], queue=queue)]
    return waiting.index(chat.id) + 1


# -- one test per trigger ----------------------------------------------------------------------


async def test_asking_for_a_person_queues_a_small_account_in_general_at_normal_priority(services, world):
    world.agents = 1
    chat = Chat(services, "cus_1001")
    reply, trace = await chat.say("I want to talk to a human")

    assert trace["intent"]["name"] == "human_handoff"
    assert trace["priority"]["level"] == "low"  # the trigger's level is the floor
    await expect_handoff(services, chat, trace, queue="general", trigger="human_request", level="normal",
                         at=world.now)
    assert reply.startswith(say("handoff.queued", "en")), reply
    block = trace["handoff"]
    assert say("handoff.wait", "en", position=block["ahead"] + 1, minutes=block["wait_minutes"]) in reply


async def test_two_unanswered_questions_in_a_row_go_to_general_but_the_first_one_does_not(services, world):
    world.agents = 1
    chat = Chat(services)
    first, first_trace = await chat.say("Do you sell used tractors?")
    assert first == say("kb.no_answer", "en")
    assert first_trace["decision"]["action"] == "answer" and "handoff" not in first_trace
    assert await services.handoffs.latest(chat.id) is None
    conversation = await services.conversations.get(chat.id)
    assert conversation is not None and conversation.state is Ownership.ASSISTANT and conversation.misses == 1

    world.now += timedelta(minutes=1)
    second, trace = await chat.say("What about lawn mowers with diesel engines?")
    assert "retrieval" in trace and "signals" not in trace  # a plain miss, not a technical fault
    row = await expect_handoff(services, chat, trace, queue="general", trigger="repeated_failure", level="normal",
                               at=world.now)
    assert row.reason == "No answer or a failed attempt 2 times in a row."
    assert second.startswith(say("handoff.after_misses", "en") + " " + say("handoff.queued", "en")), second


async def test_a_very_frustrated_customer_goes_to_general_at_high_priority(services, world):
    text = "This is USELESS and I am fed up, nothing works!!!"
    mood = assess(text)
    threshold = policy(services).triggers.frustration.threshold
    assert threshold == 0.5
    assert mood.frustration >= threshold, mood  # why this message escalates: two signals on top of each other
    assert mood.signals == ["negative_words", "exclamations"]
    assert detect(text) == []  # and nothing else in it would

    chat = Chat(services)
    reply, trace = await chat.say(text)
    assert trace["sentiment"]["frustration"] == round(mood.frustration, 3)
    row = await expect_handoff(services, chat, trace, queue="general", trigger="frustration", level="high",
                               at=world.now)
    assert "negative_words, exclamations" in row.reason
    assert reply.startswith(say("handoff.why.frustration", "en")), reply


async def test_an_urgent_issue_goes_to_key_accounts_for_a_key_account_only(services, world):
    text = "I need a refund now, this is unacceptable and awful"
    assert assess(text).frustration < policy(services).triggers.frustration.threshold  # urgency, not anger

    key_account = Chat(services, "cus_1009")
    reply, trace = await key_account.say(text)
    assert trace["intent"]["name"] == "refund_request"
    assert trace["priority"]["level"] == "urgent", trace["priority"]
    row = await expect_handoff(services, key_account, trace, queue="key_accounts", trigger="high_value_urgent",
                               level="urgent", at=world.now)
    assert "$42,000/year, enterprise SLA" in row.reason
    assert reply.startswith(say("handoff.why.high_value_urgent", "en")), reply

    small_account = Chat(services, "cus_1001")
    _, small_trace = await small_account.say(text)
    assert small_trace["priority"]["level"] != "urgent", small_trace["priority"]
    assert small_trace["decision"]["rule"] != "high_value_urgent"
    small_row = await services.handoffs.latest(small_account.id)
    assert small_row is None or small_row.queue != "key_accounts", small_row


@pytest.mark.parametrize(("locale", "text", "kind"), [
    ("en", "Please delete my personal data", "data_deletion"),
    ("es", "Si no me devolvéis el dinero hablaré con mi abogado", "legal_threat"),
    ("fr", "Votre site n'est pas accessible aux personnes aveugles, mon lecteur d'écran ne lit rien",
     "accessibility"),
], ids=["data-deletion-en", "legal-threat-es", "accessibility-fr"])
async def test_regulatory_language_goes_to_compliance_in_office_hours_with_the_expected_wait(
        services, world, locale, text, kind):
    world.now, world.agents = WEEKDAY, 1
    chat = Chat(services, locale=locale)
    reply, trace = await chat.say(text)

    assert kind in [signal["kind"] for signal in trace["signals"]], trace["signals"]
    await expect_handoff(services, chat, trace, queue="compliance", trigger="regulatory", level="high",
                         at=WEEKDAY)
    assert trace["handoff"]["due_at"] == "2026-11-18T13:00:00.000Z"  # 10:00 in Madrid (09:00 UTC) + 240 min
    block = trace["handoff"]
    assert block["open_now"] and block["agents_online"] == 1
    # one agent: everyone ahead is handled first, 20 minutes each
    assert block["wait_minutes"] == PICKUP_MINUTES + block["ahead"] * HANDLE_MINUTES["compliance"]
    assert reply == " ".join((say("handoff.why.regulatory", locale), say("handoff.queued", locale),
                              say("handoff.wait", locale, position=block["ahead"] + 1,
                                  minutes=block["wait_minutes"]))), reply


async def test_a_fault_the_help_center_does_not_cover_goes_to_technical_on_the_first_miss(services, world):
    world.agents = 1
    chat = Chat(services)
    reply, trace = await chat.say("My thermostat display shows error code T-17 and beeps all night")

    assert trace["signals"] == [{"kind": "technical_fault", "phrase": "shows error", "topic": "error:T17"}]
    assert trace["retrieval"], "the help center was searched"
    assert say("kb.intro", "en") not in reply  # and had nothing good enough to quote
    await expect_handoff(services, chat, trace, queue="technical", trigger="technical_fault", level="normal",
                         at=world.now)
    conversation = await services.conversations.get(chat.id)
    assert conversation is not None and conversation.misses == 1
    assert reply.startswith(" ".join((say("handoff.after_misses", "en"), say("handoff.why.technical_fault", "en"),
                                      say("handoff.queued", "en")))), reply


async def test_the_same_fault_from_three_customers_opens_an_incident_and_the_third_goes_to_crisis(services, world):
    world.now, world.agents = INCIDENT_TIME, 1
    reports = [("en", "The app keeps crashing"), ("es", "la app se cuelga todo el rato"),
               ("de", "Die App stürzt ständig ab")]
    chats, traces = [], []
    for minute, (locale, text) in enumerate(reports):
        world.now = INCIDENT_TIME + timedelta(minutes=minute)
        chat = Chat(services, locale=locale)
        _, trace = await chat.say(text)
        assert [(s["kind"], s["topic"]) for s in trace["signals"]] == [("technical_fault", "app")], text
        chats.append(chat)
        traces.append(trace)

    for chat, trace in zip(chats[:2], traces[:2], strict=True):
        assert trace["decision"]["rule"] != "incident"
        row = await services.handoffs.latest(chat.id)
        assert row is None or (row.trigger != "incident" and row.queue != "crisis" and row.incident_id is None), row

    third = chats[2]
    row = await expect_handoff(services, third, traces[2], queue="crisis", trigger="incident", level="urgent",
                               at=world.now)
    assert row.incident_id and traces[2]["handoff"]["incident"] == row.incident_id
    incidents = [i for i in await services.handoffs.open_incidents("demo") if i["topic"] == "app"]
    assert len(incidents) == 1, incidents
    assert (incidents[0]["id"], incidents[0]["customers"], incidents[0]["opened_at"]) == (
        row.incident_id, 3, iso(world.now))
    opened = await services.db.fetch_all(
        "SELECT detail, policy_version FROM audit_events WHERE action = 'incident.opened' AND subject = ?",
        (row.incident_id,))
    assert len(opened) == 1
    assert json.loads(opened[0]["detail"]) == {"customers": 3, "topic": "app"}
    assert opened[0]["policy_version"] == POLICY_VERSION
    reply = (await services.conversations.messages(third.id))[-1].content
    assert reply.startswith(say("handoff.why.incident", "de")), reply

    # a fourth customer joins the open incident: crisis too, and no second incident is opened
    world.now = INCIDENT_TIME + timedelta(minutes=5)
    fourth = Chat(services)
    _, trace = await fourth.say("the app crashes every time I open it")
    joined = await expect_handoff(services, fourth, trace, queue="crisis", trigger="incident", level="urgent",
                                  at=world.now)
    assert joined.incident_id == row.incident_id
    assert len(await services.db.fetch_all("SELECT 1 FROM audit_events WHERE action = 'incident.opened'")) == 1

    # after a whole quiet window the incident is over: the next report is an ordinary one
    world.now = INCIDENT_TIME + timedelta(minutes=5 + 16)
    after = Chat(services)
    _, trace = await after.say("The app keeps crashing")
    assert trace["decision"]["rule"] != "incident"
    assert not [i for i in await services.handoffs.open_incidents("demo") if i["topic"] == "app"]


async def test_a_legal_threat_that_is_also_very_angry_goes_to_compliance_not_general(services, world):
    text = "This is a disgrace, you are useless and I'm furious!!! I'm calling my lawyer"
    assert assess(text).frustration >= policy(services).triggers.frustration.threshold  # frustration applies too
    assert [signal.kind for signal in detect(text)] == ["legal_threat"]

    chat = Chat(services)
    _, trace = await chat.say(text)
    row = await expect_handoff(services, chat, trace, queue="compliance", trigger="regulatory", level="high",
                               at=world.now)
    assert "lawyer" in row.reason


# -- nobody available --------------------------------------------------------------------------


async def test_out_of_hours_a_verified_customer_gets_a_ticket_at_their_crm_email(services, world):
    world.now, world.agents = SUNDAY, 1  # someone is online, but compliance keeps office hours
    chat = Chat(services, "cus_1001")
    reply, trace = await chat.say("Please delete my account and all my personal data.")

    row = await expect_handoff(services, chat, trace, queue="compliance", trigger="regulatory", level="high",
                               at=SUNDAY)
    assert trace["handoff"]["open_now"] is False and trace["handoff"]["wait_minutes"] is None
    assert row.follow_up is not None and row.follow_up["status"] == "ticket", row.follow_up
    reference = row.follow_up["ticket"]
    assert row.follow_up == {"status": "ticket", "ticket": reference, "email": "maya.thompson@example.com"}
    tickets = await rows(services, "SELECT * FROM tickets WHERE id = ?", reference)
    assert len(tickets) == 1
    ticket = tickets[0]
    assert (ticket["customer_id"], ticket["email"], ticket["priority"], ticket["status"]) == (
        "cus_1001", "maya.thompson@example.com", "high", "open")
    assert ticket["subject"].startswith("Chat follow-up: Compliance review")
    assert "Please delete my account and all my personal data." in ticket["body"]
    assert reply == " ".join((say("handoff.why.regulatory", "en"), say("handoff.closed", "en", hours=COMPLIANCE_HOURS),
                              say("handoff.ticket_created", "en", ticket=reference,
                                  email="maya.thompson@example.com"))), reply


async def test_out_of_hours_a_guest_is_asked_for_an_email_and_gets_a_ticket_once_they_give_it(services, world):
    world.now, world.agents = SUNDAY, 1
    chat = Chat(services)
    reply, trace = await chat.say("I want my data deleted")

    row = await expect_handoff(services, chat, trace, queue="compliance", trigger="regulatory", level="high",
                               at=SUNDAY)
    assert row.follow_up == {"status": "awaiting_email"}
    assert reply == " ".join((say("handoff.why.regulatory", "en"), say("handoff.closed", "en", hours=COMPLIANCE_HOURS),
                              say("handoff.ask_email", "en"))), reply

    world.now += timedelta(minutes=1)
    told, _ = await chat.say("sure, it's jo@example.com")
    row = await services.handoffs.latest(chat.id)
    assert row is not None and row.follow_up is not None and row.follow_up["status"] == "ticket", row
    reference = row.follow_up["ticket"]
    assert row.follow_up == {"status": "ticket", "ticket": reference, "email": "jo@example.com"}
    assert told.startswith(f"I've opened ticket {reference} "), told
    assert told == say("handoff.ticket_created", "en", ticket=reference, email="jo@example.com")
    tickets = await rows(services, "SELECT * FROM tickets WHERE id = ?", reference)
    assert [(t["customer_id"], t["email"], t["priority"]) for t in tickets] == [(None, "jo@example.com", "high")]
    assert "I want my data deleted" in tickets[0]["body"]
    conversation = await services.conversations.get(chat.id)
    assert conversation is not None and conversation.state is Ownership.QUEUED


# -- waiting in the queue ----------------------------------------------------------------------


async def test_the_expected_wait_counts_the_conversations_already_waiting_in_the_queue(services, world):
    world.agents = 2
    waiting = []
    for minute in range(2):  # two customers already waiting, with earlier deadlines
        world.now = QUEUE_TIME + timedelta(minutes=minute)
        chat = Chat(services)
        await chat.say("I want to talk to a human")
        waiting.append(chat)

    world.now = QUEUE_TIME + timedelta(minutes=2)
    newcomer = Chat(services)
    reply, trace = await newcomer.say("I want to talk to a human")
    await expect_handoff(services, newcomer, trace, queue="general", trigger="human_request", level="normal",
                         at=world.now)
    position = await queue_position(services, newcomer, "general")
    for earlier in waiting:
        assert await queue_position(services, earlier, "general") < position
    block = trace["handoff"]
    assert block["ahead"] + 1 == position >= 3
    rounds = math.ceil(max(0, position - world.agents) / world.agents)
    assert block["wait_minutes"] == PICKUP_MINUTES + rounds * HANDLE_MINUTES["general"]
    assert f"You're number {position} in line; the expected wait is about {block['wait_minutes']} min." in reply


async def test_the_packet_sums_up_a_key_account_handoff_for_the_agent(services, world):
    text = "I need a refund now, this is unacceptable and awful"
    chat = Chat(services, "cus_1009")
    _, trace = await chat.say(text)
    row = await expect_handoff(services, chat, trace, queue="key_accounts", trigger="high_value_urgent",
                               level="urgent", at=world.now)

    packet = row.packet
    assert packet is not None
    sentences = re.split(r"(?<=\.)\s+(?=[A-Z])", packet["summary"])
    assert len(sentences) == 3 and all(s.endswith(".") for s in sentences), sentences
    assert text in sentences[0] and "Becker Haustechnik GmbH (business, enterprise SLA)" in sentences[0]
    assert sentences[2].startswith("Handed over (high_value_urgent)") and row.due_at in sentences[2]
    assert any(m["role"] == "customer" and m["content"] == text for m in packet["transcript"])
    assert (packet["intent"], packet["language"], packet["customer_id"]) == ("refund_request", "en", "cus_1009")
    assert packet["sentiment"]["label"] == "negative" and packet["sentiment"]["frustration"] == 0.45
    handoff = packet["handoff"]
    assert (handoff["queue"], handoff["level"], handoff["due_at"], handoff["policy_version"]) == (
        "key_accounts", "urgent", due(world.now, "key_accounts", "urgent"), POLICY_VERSION)
    assert packet["customer"]["annual_contract_value"] == 42000
    assert packet["customer"]["sla_tier"] == "enterprise"


async def test_a_queued_customer_writing_again_is_stored_and_hears_their_place_at_most_every_two_minutes(
        services, world):
    start = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
    world.now, world.agents = start, 1
    chat = Chat(services)
    await chat.say("I want to talk to a human")
    handoff = await services.handoffs.latest(chat.id)
    assert handoff is not None

    world.now = start + timedelta(seconds=30)
    quiet = await send(services, chat, "Hello? Is anyone there?")
    assert quiet.reply is None and quiet.conversation.state is Ownership.QUEUED
    stored = await services.conversations.messages(chat.id)
    assert (stored[-1].role, stored[-1].content) == (Role.CUSTOMER, "Hello? Is anyone there?")

    world.now = start + NOTICE_EVERY + timedelta(minutes=1)
    noticed = await send(services, chat, "I'm still waiting for someone")
    assert noticed.reply is not None
    position = await queue_position(services, chat, "general")
    assert noticed.reply.content == say("handoff.still_waiting", "en", position=position)

    world.now += timedelta(seconds=30)
    again = await send(services, chat, "Anyone?")
    assert again.reply is None
    messages = await services.conversations.messages(chat.id)
    assert [m.role for m in messages] == [Role.CUSTOMER, Role.ASSISTANT, Role.CUSTOMER, Role.CUSTOMER,
                                          Role.ASSISTANT, Role.CUSTOMER]
    assert messages[-1].content == "Anyone?"
    conversation = await services.conversations.get(chat.id)
    assert conversation is not None and conversation.state is Ownership.QUEUED
    assert await services.handoffs.history(chat.id) == [await services.handoffs.latest(chat.id)]  # queued once


async def test_the_sla_deadline_counts_from_the_stored_request_time(services, world):
    chat = Chat(services)
    await chat.say("I want to talk to a human")
    row = await services.handoffs.latest(chat.id)
    assert row is not None and row.due_at is not None
    assert parse_iso(row.due_at) - parse_iso(row.requested_at) == timedelta(minutes=30)
