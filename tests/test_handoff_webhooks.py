"""Handoff events leave Frontline as signed webhooks: the real engine and desk, a tenant whose
handoff policy subscribes a local helpdesk endpoint, and the real delivery task."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
import yaml

from app.config.settings import PROJECT_ROOT, Settings
from app.handoff.webhooks import verify
from app.services import build_services
from app.store.accounts import Agent
from tests.support.engine import Chat, fixed_clock
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.asyncio(loop_scope="module")

SECRET = "whsec-brightwave-test-secret-0123456789"
ALEX = Agent("agent@brightwave.example", "Alex Rivera", "agent", ["*"])


@pytest.fixture(scope="module")
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(tmp_path_factory, receiver):
    folder = tmp_path_factory.mktemp("webhooks")
    demo = PROJECT_ROOT / "demo"
    policy = yaml.safe_load((demo / "handoff.yaml").read_text())
    policy["webhooks"] = [{"url": receiver.url, "secret_env": "BRIGHTWAVE_WEBHOOK_SECRET"}]
    policy["allow_private_webhooks"] = True  # the helpdesk of this test listens on 127.0.0.1
    (folder / "handoff.yaml").write_text(yaml.safe_dump(policy))
    tenant = yaml.safe_load((demo / "tenant.yaml").read_text())
    tenant |= {"intents": str(demo / "intents.yaml"), "actions": str(demo / "actions.yaml"),
               "handoff": str(folder / "handoff.yaml")}
    tenant["knowledge"]["paths"] = [str(demo / "helpcenter")]
    tenant["connector"]["options"]["seed"] = str(demo / "crm.json")
    (folder / "tenant.yaml").write_text(yaml.safe_dump(tenant))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BRIGHTWAVE_WEBHOOK_SECRET", SECRET)
        async with build_services(Settings(data_dir=folder / "data", tenants=[folder / "tenant.yaml"]),
                                  clock=fixed_clock()) as built:
            built.engine.intake.agents_online = lambda _tenant: 1
            yield built


async def events_for(receiver: Receiver, conversation: str, count: int) -> list[dict]:
    """The webhook events about one conversation, in arrival order, each checked for its signature."""
    deadline = time.monotonic() + 10
    while True:
        found = []
        for request in list(receiver.requests):
            assert verify(SECRET, request.headers["x-frontline-signature"], request.body, now=int(time.time()))
            envelope = json.loads(request.body)
            assert request.headers["x-frontline-event"] == envelope["event"]
            if envelope["data"].get("conversation_id") == conversation:
                found.append(envelope)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


async def test_a_handoff_claim_resolve_and_rating_each_reach_the_helpdesk_signed(services, receiver):
    chat = Chat(services, "cus_1001")
    await chat.say("I want to talk to a human")
    requested = (await events_for(receiver, chat.id, 1))[0]
    assert requested["event"] == "handoff.requested" and requested["tenant"] == "demo"
    data = requested["data"]
    assert (data["queue"], data["trigger"], data["level"]) == ("general", "human_request", "normal")
    assert data["due_at"] and data["summary"].count(". ") >= 2 and data["language"] == "en"

    await services.desk.claim(chat.id, ALEX)
    await services.desk.resolve(chat.id, ALEX)
    await chat.say("5")
    events = await events_for(receiver, chat.id, 4)
    assert [e["event"] for e in events] == ["handoff.requested", "handoff.claimed", "handoff.resolved",
                                            "csat.recorded"]
    assert events[1]["data"]["agent"] == ALEX.email and events[3]["data"]["score"] == 5
    assert len({e["id"] for e in events}) == 4  # one delivery id each, for the receiver's idempotency


async def test_a_guest_follow_up_ticket_is_announced_once(services, receiver):
    services.engine.intake.agents_online = lambda _tenant: 0
    try:
        chat = Chat(services)
        asked, _ = await chat.say("I want to talk to a human")
        assert "Leave your email address" in asked
        created, _ = await chat.say("it's jo@example.com")
        assert "I've opened ticket TK-" in created
        later = datetime.now(UTC) + timedelta(minutes=3)
        services.engine.clock = lambda: later
        waiting, _ = await chat.say("thanks, I'll wait here")  # a place-in-line notice, not a new ticket
        assert "in line" in waiting
    finally:
        services.engine.intake.agents_online = lambda _tenant: 1
        services.engine.clock = lambda: datetime.now(UTC)
    await events_for(receiver, chat.id, 2)  # requested, follow_up
    await asyncio.sleep(1)  # time for a wrongly repeated follow_up to arrive too (the sender is woken at once)
    events = await events_for(receiver, chat.id, 2)
    follow_ups = [e for e in events if e["event"] == "handoff.follow_up"]
    assert len(follow_ups) == 1 and follow_ups[0]["data"]["status"] == "ticket"
    assert follow_ups[0]["data"]["ticket"].startswith("TK-") and follow_ups[0]["data"]["email"] == "jo@example.com"
