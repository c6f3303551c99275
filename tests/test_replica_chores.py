"""Chores for the whole deployment, done once across replicas: a lease in Redis decides who.

A replica that dies mid-turn leaves its customer answered by another replica, once. On one
server, start-up answers what the last process left unanswered. With replicas on one
PostgreSQL and one Redis, a message still unanswered after STALE_RUN is answered on a sweep by
the one replica holding the recovery lease; a younger one may belong to a turn that a live
replica is still running, and is left alone. Webhooks queued in the shared outbox are posted
by the replica holding the webhook lease, so a receiver gets each event once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from app.config.handoff_policy import Webhook
from app.config.settings import Settings
from app.conversation.recovery import Recovery
from app.core.domain import ConversationId, Identity, Message, MessageId, Ownership, Role, TenantId, new_id
from app.handoff.redis_lease import RedisLease
from app.handoff.webhooks import WebhookDispatcher
from app.services import build_services
from app.store.actions import STALE_RUN
from app.store.postgres_database import PostgresDatabase
from app.store.webhooks import WebhookOutbox
from tests.support.engine import fixed_clock
from tests.support.redis_server import RedisServer, running_redis
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.asyncio(loop_scope="module")
redis_server = pytest.fixture(running_redis, scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(redis_server: RedisServer, postgres_cluster, tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("replica") / "data",
                        database_url=postgres_cluster.create_database(), redis_url=redis_server.url)
    async with build_services(settings, clock=fixed_clock()) as built:
        assert built.db.backend == "postgresql" and built.recovery.lease is not None
        yield built


async def left_unanswered(services, text: str) -> ConversationId:
    """A customer message stored by a replica that died before answering it."""
    conversation = ConversationId(new_id())
    await services.conversations.ensure(conversation, Identity(TenantId("demo"), f"test:{new_id()}"))
    message = Message(MessageId(new_id()), conversation, Role.CUSTOMER, "Customer", text)
    assert await services.conversations.add_message_in_state(message, Ownership.ASSISTANT)
    return conversation


def replica(services, holder: str, later: timedelta, client) -> Recovery:
    """Another replica's recovery, on the same store and Redis, `later` than now."""
    return Recovery(services.recovery.actions, services.conversations, services.engine,
                    services.recovery.connectors, lambda: services.clock() + later,
                    lease=RedisLease(client, holder))


async def replies(services, conversation: ConversationId) -> list[str]:
    return [m.content for m in await services.conversations.messages(conversation) if m.role == Role.ASSISTANT]


async def test_a_turn_left_by_a_dead_replica_is_answered_once_by_the_lease_holder(services, redis_server):
    conversation = await left_unanswered(services, "How do I reset my password?")
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        await client.delete("frontline:lease:recovery")  # whoever held it last has gone
        later = STALE_RUN + timedelta(seconds=30)
        a, b = replica(services, "a", later, client), replica(services, "b", later, client)
        (_, answered_a), (_, answered_b) = await asyncio.gather(a.sweep(), b.sweep())
        assert sorted([answered_a, answered_b]) == [0, 1]
        answer = await replies(services, conversation)
        assert len(answer) == 1 and "Reset your password" in answer[0], answer
        # the lease holder keeps it while it renews it; the other sweeps nothing twice
        assert await a.sweep() == (0, 0) and await b.sweep() == (0, 0)
        assert len(await replies(services, conversation)) == 1
    finally:
        await client.aclose()


async def test_a_turn_younger_than_stale_run_is_left_to_the_replica_running_it(services, redis_server):
    conversation = await left_unanswered(services, "How do I reset my password?")
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        await client.delete("frontline:lease:recovery")
        soon = replica(services, "a", STALE_RUN - timedelta(seconds=30), client)
        assert await soon.sweep() == (0, 0)
        assert await replies(services, conversation) == []
        await soon.at_start()  # a replica starting now must not answer it either
        assert await replies(services, conversation) == []
    finally:
        await client.aclose()


async def test_two_replicas_post_each_queued_webhook_once(redis_server, postgres_cluster):
    receiver = Receiver(delay=0.02).start()  # slow enough for two senders to overlap
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        async with PostgresDatabase.open(postgres_cluster.create_database()) as db:
            outbox = WebhookOutbox(db)
            hook = Webhook(url=f"{receiver.url}", secret_env="REPLICA_HOOK_SECRET")
            queued = [d for i in range(20)
                      for d in await outbox.enqueue("demo", "handoff.requested", {"n": i}, [hook])]
            replicas = [WebhookDispatcher(WebhookOutbox(db), env={"REPLICA_HOOK_SECRET": "s3cret"},
                                          private_allowed=lambda tenant: True, lease=RedisLease(client, name))
                        for name in ("a", "b")]
            running = [asyncio.create_task(replica.run(interval=0.02)) for replica in replicas]
            try:
                for _ in range(500):
                    if {row.status for row in await outbox.list()} == {"delivered"}:
                        break
                    await asyncio.sleep(0.02)
                await asyncio.sleep(0.3)  # a second copy would be on its way by now
            finally:
                for task in running:
                    task.cancel()
                await asyncio.gather(*running, return_exceptions=True)
                for replica in replicas:
                    await replica.close()
            bodies = sorted(request.body for request in receiver.requests)
            assert len(bodies) == len(queued) == len(set(bodies)), bodies
    finally:
        await client.aclose()
        receiver.stop()
