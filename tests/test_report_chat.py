"""The report after real conversations: the in-process engine, desk and store on a clock the test
moves, so every figure is exactly what the test made happen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from app.analytics.report import build_report
from app.config.settings import Settings
from app.core.domain import Role
from app.core.i18n import say
from app.services import build_services
from app.store.accounts import Agent
from tests.support.engine import Chat, MovedByHand

pytestmark = pytest.mark.asyncio(loop_scope="module")

ALEX = Agent("agent@brightwave.example", "Alex Rivera", "agent", ["*"])
START = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # a Wednesday morning in Madrid: the general queue is open


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def built(tmp_path_factory):
    clock = MovedByHand(START)
    async with build_services(Settings(data_dir=tmp_path_factory.mktemp("report") / "data"), clock=clock) as services:
        services.engine.intake.agents_online = lambda _tenant: 1
        yield services, clock


async def test_the_report_counts_what_happened_in_three_conversations(built):
    services, clock = built

    answered = Chat(services)
    reply, trace = await answered.say("How do I reset my password?")
    stored = (await services.conversations.messages(answered.id))[-1]
    assert stored.role is Role.ASSISTANT and stored.metadata["citations"], (reply, trace)
    assert await services.feedback.upsert(stored.id, 1, None, owner=answered.identity.user_identifier)

    clock.at += timedelta(minutes=1)
    missed = Chat(services)
    reply, _ = await missed.say("Do you sell used tractors?")
    assert reply == say("kb.no_answer", "en")

    clock.at += timedelta(minutes=1)
    person = Chat(services, "cus_1001")
    _, trace = await person.say("I want to talk to a human")
    assert trace["decision"]["action"] == "handoff"
    clock.at += timedelta(minutes=2)
    await services.desk.claim(person.id, ALEX)
    clock.at += timedelta(minutes=8)
    await services.desk.resolve(person.id, ALEX)
    await person.say("5")

    r = await build_report(services.db, "demo", since=START - timedelta(hours=1), until=None, now=clock.at)

    assert (r.conversations, r.assistant_answered, r.escalated, r.contained, r.resolved_unconfirmed) == (3, 3, 1, 2, 1)
    assert [(e.name, e.conversations) for e in r.escalation_by_trigger] == [("human_request", 1)]
    assert [(e.name, e.conversations) for e in r.escalation_by_queue] == [("general", 1)]
    assert r.assistant_first_response.model_dump() == {"count": 3, "p50_seconds": 0.0, "p95_seconds": 0.0}
    assert r.human_wait.model_dump() == {"count": 1, "p50_seconds": 120.0, "p95_seconds": 120.0}
    assert r.human_handle.model_dump() == {"count": 1, "p50_seconds": 480.0, "p95_seconds": 480.0}
    assert [(q.queue, q.met, q.missed, q.attainment) for q in r.sla_by_queue] == [("general", 1, 0, 1.0)]
    assert [(a.agent, a.count, a.average) for a in r.csat_by_agent] == [(ALEX.email, 1, 5.0)]
    assert [(p.path, p.conversations, p.csat_count, p.csat_average, p.thumbs_up) for p in r.csat_by_path] == [
        ("assistant_only", 2, 0, None, 1), ("human_handled", 1, 1, 5.0, 0)]
    gaps = r.knowledge_gaps
    assert (gaps.turns, gaps.conversations) == (1, 1)
    assert [(c.count, c.example) for c in gaps.clusters] == [(1, "Do you sell used tractors?")]
    assert ("human_handoff", 1) in [(i.intent, i.turns) for i in r.top_intents]
    assert [(a.agent, a.claims, a.resolved, a.handed_back) for a in r.agents] == [(ALEX.email, 1, 1, 0)]
    assert r.queues_now == []
