"""What replicas share through a real Redis: the live relay, agent presence and the abuse
limits, each with two instances in one process standing for two replicas."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable

import pytest
import redis
import redis.asyncio as aioredis

from app.handoff.presence import Presence
from app.handoff.shared_presence import SharedPresence
from app.surfaces.live_events import LiveEvent
from app.surfaces.redis_relay import open_redis_relay
from guardrails.abuse_limits import AbuseLimits
from guardrails.shared_limits import blocking_client, shared_guards
from tests.support.redis_server import RedisServer, running_redis
from tests.support.server import PROJECT_ROOT, free_port

redis_server = pytest.fixture(running_redis)


async def eventually(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def recorder() -> tuple[list[LiveEvent], Callable[[LiveEvent], Awaitable[None]]]:
    seen: list[LiveEvent] = []

    async def render(event: LiveEvent) -> None:
        seen.append(event)

    return seen, render


# -- the live relay ----------------------------------------------------------------------

async def test_an_event_published_on_one_replica_is_rendered_once_on_each(redis_server: RedisServer):
    on_a, render_a = recorder()
    on_b, render_b = recorder()
    reply = LiveEvent("customer", "conv-1", "**Alex · Brightwave team**\n\nHello", author="Alex Rivera",
                      message_id="msg-1", conversation_id="conv-1",
                      actions=({"name": "reply", "label": "4", "payload": {"value": "4", "label": "4"}},))
    async with open_redis_relay(redis_server.url, render_a, "replica-a") as a, \
            open_redis_relay(redis_server.url, render_b, "replica-b"):
        await a.publish(reply)
        assert on_a == [reply]  # rendered here at once, before Redis is involved
        await eventually(lambda: on_b == [reply], "replica B to render the event")
        await asyncio.sleep(0.3)  # A's own echo comes back over the channel too: it must be skipped
        assert on_a == [reply] and on_b == [reply]


async def test_both_directions_and_the_agent_audience(redis_server: RedisServer):
    on_a, render_a = recorder()
    on_b, render_b = recorder()
    async with open_redis_relay(redis_server.url, render_a, "replica-a") as a, \
            open_redis_relay(redis_server.url, render_b, "replica-b") as b:
        to_agent = LiveEvent("agent", "agent@brightwave.example", "my invoice is wrong", author="Customer",
                             message_id="msg-2", conversation_id="conv-1")
        queued = LiveEvent("agents", "demo", "New in queue:\n- `conv-1`", conversation_id="conv-1")
        await a.publish(to_agent)
        await b.publish(queued)
        await eventually(lambda: len(on_a) == 2 and len(on_b) == 2, "both events on both replicas")
        assert on_a == [to_agent, queued] and on_b == [queued, to_agent]


async def test_a_malformed_message_on_the_channel_is_ignored(redis_server: RedisServer, caplog):
    on_b, render_b = recorder()
    async with open_redis_relay(redis_server.url, render_b, "replica-b") as b:
        client = aioredis.Redis.from_url(redis_server.url)
        await client.publish("frontline:live", "not json")
        await client.aclose()
        good = LiveEvent("customer", "conv-9", "still here")
        await open_relay_publish(redis_server.url, good)
        await eventually(lambda: on_b == [good], "the next good event")
        assert b.origin == "replica-b"
    assert "malformed live event" in caplog.text


async def test_the_relay_resubscribes_after_redis_comes_back(redis_server: RedisServer, caplog):
    on_b, render_b = recorder()
    async with open_redis_relay(redis_server.url, render_b, "replica-b"):
        redis_server.stop()
        await asyncio.sleep(0.5)
        redis_server.start()
        after = LiveEvent("customer", "conv-1", "after the restart")

        async def delivered() -> bool:
            await open_relay_publish(redis_server.url, after)
            return after in on_b

        deadline = asyncio.get_running_loop().time() + 10
        while not await delivered():
            assert asyncio.get_running_loop().time() < deadline, "no event after Redis came back"
            await asyncio.sleep(0.3)
    assert "live relay lost Redis" in caplog.text and "subscribed to Redis again" in caplog.text


async def open_relay_publish(url: str, event: LiveEvent) -> None:
    _, render = recorder()
    async with open_redis_relay(url, render, "replica-c") as c:
        await c.publish(event)


# -- presence ----------------------------------------------------------------------------

async def test_agents_online_on_another_replica_count_until_its_key_expires(redis_server: RedisServer):
    client_a = aioredis.Redis.from_url(redis_server.url)
    client_b = aioredis.Redis.from_url(redis_server.url)
    a = SharedPresence(client_a, "replica-a", heartbeat=0.2, ttl=1.0)
    b = SharedPresence(client_b, "replica-b", heartbeat=0.2, ttl=1.0)
    a.session_opened("s1", "alex@brightwave.example", ["demo"])
    b.api_call("sam@brightwave.example", ["*"])
    await a.beat()
    await b.beat()
    assert b.online("demo") == ["alex@brightwave.example", "sam@brightwave.example"]
    assert b.count("other") == 1  # Sam serves every tenant; Alex only demo
    assert a.count("demo") == 1  # A's first beat came before B wrote: A learns of Sam on its next one
    await a.beat()
    assert a.count("other") == 1 and a.count("demo") == 2

    # replica A dies: no more beats, and no clean-up. Its agents stop counting within the TTL.
    await client_a.aclose()
    await asyncio.sleep(1.2)
    await b.beat()
    assert b.online("demo") == ["sam@brightwave.example"]
    assert await client_b.smembers("frontline:presence") == {b"frontline:presence:replica-b"}  # A's name dropped
    await client_b.aclose()


async def test_a_clean_stop_takes_the_replicas_agents_off_at_once(redis_server: RedisServer):
    client_a = aioredis.Redis.from_url(redis_server.url)
    client_b = aioredis.Redis.from_url(redis_server.url)
    a = SharedPresence(client_a, "replica-a", heartbeat=0.1, ttl=30.0)
    b = SharedPresence(client_b, "replica-b", heartbeat=0.1, ttl=30.0)
    beating = asyncio.create_task(a.run())
    a.session_opened("s1", "alex@brightwave.example", ["demo"])
    await eventually(lambda: asyncio.ensure_future(b.beat()) is not None and b.count("demo") == 1,
                     "replica B to see Alex")
    a.session_closed("s1")  # a change is shared at once, not on the next beat
    await eventually(lambda: asyncio.ensure_future(b.beat()) is not None and b.count("demo") == 0,
                     "replica B to see Alex leave")
    a.session_opened("s2", "alex@brightwave.example", ["demo"])
    await eventually(lambda: asyncio.ensure_future(b.beat()) is not None and b.count("demo") == 1,
                     "Alex back")
    beating.cancel()
    with pytest.raises(asyncio.CancelledError):
        await beating
    assert await client_b.keys("frontline:presence:replica-a") == []
    await client_a.aclose()
    await client_b.aclose()


def test_without_redis_presence_is_this_process_only():
    presence = Presence(clock=lambda: 100.0)
    presence.session_opened("s1", "alex@brightwave.example", ["demo"])
    assert presence.count("demo") == 1 and presence.count("other") == 0


# -- the abuse limits --------------------------------------------------------------------

LIMITS = AbuseLimits(widget_sessions_per_ip_per_minute=3, widget_sessions_per_tenant_per_minute=100,
                     conversations_per_identity_per_hour=2, messages_per_identity_per_minute=4,
                     sign_in_failures_allowed=2, sign_in_lockout_seconds=60)


def two_replicas(url: str):  # type: ignore[no-untyped-def]
    return shared_guards(LIMITS, blocking_client(url)), shared_guards(LIMITS, blocking_client(url))


def test_widget_sessions_are_counted_across_replicas(redis_server: RedisServer):
    (a, _), (b, _) = two_replicas(redis_server.url)
    assert [a.widget_sessions.admit("demo", "203.0.113.1"), b.widget_sessions.admit("demo", "203.0.113.1"),
            a.widget_sessions.admit("demo", "203.0.113.1")] == [0.0, 0.0, 0.0]
    wait = b.widget_sessions.admit("demo", "203.0.113.1")
    assert 59 < wait <= 60  # the 4th in a minute, on the other replica: refused until the first is a minute old
    assert a.widget_sessions.admit("demo", "203.0.113.2") == 0.0


def test_messages_and_conversations_are_counted_across_replicas(redis_server: RedisServer):
    (_, a), (_, b) = two_replicas(redis_server.url)
    verdicts = [limiter.check("conv-1", "cus_1") for limiter in (a, b, a, b)]
    assert all(v.allowed for v in verdicts)
    refused = a.check("conv-1", "cus_1")
    assert not refused.allowed and refused.reply_key == "input.rate_limited"
    assert b.check("conv-2", "cus_2").allowed and a.check("conv-3", "cus_2").allowed
    third = b.check("conv-4", "cus_2")  # a third conversation within the hour, on the other replica
    assert not third.allowed and third.reply_key == "input.too_many_conversations"
    assert a.check("conv-2", "cus_2").allowed  # an already started one goes on


def test_messages_per_conversation_are_counted_across_replicas(redis_server: RedisServer):
    (_, a), (_, b) = two_replicas(redis_server.url)
    assert a.limit == 20  # the engine's per-conversation limit, per minute
    assert all((a if n % 2 else b).check("conv-1").allowed for n in range(20))
    refused = a.check("conv-1")
    assert not refused.allowed and refused.reply_key == "input.rate_limited"
    assert b.check("conv-2").allowed


def test_a_sign_in_lockout_holds_on_every_replica(redis_server: RedisServer):
    (a, _), (b, _) = two_replicas(redis_server.url)
    assert a.sign_in.failed("alex@brightwave.example", "203.0.113.5") == 0
    assert b.sign_in.failed("Alex@Brightwave.example", "203.0.113.6") == 0
    locked = a.sign_in.failed("alex@brightwave.example", "203.0.113.7")  # the third: over the two allowed
    assert 59 < locked <= 60
    assert 58 < b.sign_in.wait("alex@brightwave.example", "198.51.100.1") <= 60
    a.sign_in.succeeded("alex@brightwave.example")  # a success clears the account everywhere
    assert b.sign_in.wait("alex@brightwave.example", "198.51.100.1") == 0


def test_when_redis_goes_away_the_replica_counts_alone(redis_server: RedisServer, caplog):
    (a, limiter), _ = two_replicas(redis_server.url)
    assert a.widget_sessions.admit("demo", "203.0.113.1") == 0.0
    redis_server.stop()
    with caplog.at_level(logging.WARNING):
        results = [a.widget_sessions.admit("demo", "203.0.113.1") for _ in range(4)]
        assert limiter.check("conv-1", "cus_1").allowed  # a customer's turn goes on
        assert a.sign_in.wait("alex@brightwave.example", None) == 0
    assert results[:3] == [0.0, 0.0, 0.0] and results[3] > 0  # the in-memory twin still limits
    assert "Redis unreachable" in caplog.text
    assert caplog.text.count("Redis unreachable") == 1  # logged once per outage, not per request


# -- start-up ----------------------------------------------------------------------------

def test_an_unreachable_redis_stops_serve_with_one_error_line(tmp_path):
    closed_port = free_port()
    env = {**os.environ, "FRONTLINE_DATA_DIR": str(tmp_path / "data"),
           "FRONTLINE_REDIS_URL": f"redis://:s3cret@127.0.0.1:{closed_port}/0"}
    done = subprocess.run([sys.executable, "-m", "app.cli.main", "serve"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: cannot reach Redis at FRONTLINE_REDIS_URL"), lines[0]
    assert "s3cret" not in done.stderr and f"127.0.0.1:{closed_port}" in lines[0]


def test_the_url_shown_hides_the_password():
    from app.core.redis_link import shown

    assert shown("redis://:pw@cache:6379/0") == "redis://:***@cache:6379/0"
    assert shown("rediss://user:pw@cache:6380") == "rediss://user:***@cache:6380"
    assert shown("redis://cache:6379") == "redis://cache:6379"


def test_redis_client_library_is_the_real_one():
    assert redis.Redis is not None  # the tests above talk to redis-server, not a stand-in
