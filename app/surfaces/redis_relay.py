"""The live relay across replicas: Redis pub/sub carries each `LiveEvent` to every process.

Behind a load balancer with sticky sessions, a customer's chat and the agent who answers it
may be open on different replicas. The replica where something happens renders the event
into its own sessions at once (as a single process does) and publishes it once; every other
replica's subscriber renders it into theirs with the same function. The publisher skips its
own echo, so a replica that has both parties delivers each message once.

What crosses the wire is data (`LiveEvent.to_json`): the stored message's id and its text as
shown, never a closure. Messages are stored before they are published, so a replica that
misses an event (Redis down, subscriber reconnecting) loses nothing: the chat shows the
message in its history on the next load.

Chainlit's socket.io server gets the Redis client manager too (`share_socketio`), so an
emit addressed to a socket on another replica reaches it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from app.core.errors import ConfigError
from app.core.redis_link import shown
from app.core.waiting import pause
from app.surfaces.live_events import LiveEvent, Render

log = logging.getLogger(__name__)

CHANNEL = "frontline:live"
SOCKETIO_CHANNEL = "frontline:socketio"
RESUBSCRIBE_SECONDS = 1.0
SUBSCRIBE_SECONDS = 10.0


class RedisRelay:
    """Publishes to one channel (the event names its audience and target); `listen` renders
    what other replicas publish."""

    def __init__(self, client: aioredis.Redis, render: Render, origin: str, channel: str = CHANNEL) -> None:
        self._client, self._render, self.origin, self._channel = client, render, origin, channel

    async def publish(self, event: LiveEvent) -> None:
        await self._render(event)  # this replica's sessions, before the network is involved
        wire = json.dumps({"origin": self.origin, "event": json.loads(event.to_json())})
        try:
            await self._client.publish(self._channel, wire)
        except RedisError as exc:
            log.warning("live push not shared with other replicas (Redis: %s); the message is stored", exc)

    async def listen(self, ready: asyncio.Event | None = None) -> None:
        """Render every event other replicas publish, until cancelled; resubscribe after a Redis outage."""
        failing = False
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                if failing:
                    log.warning("live relay subscribed to Redis again")
                failing = False
                if ready is not None:
                    ready.set()
                async for message in pubsub.listen():
                    await self._received(message.get("data"))
            except RedisError as exc:
                if not failing:  # once per outage, not once per retry
                    log.warning("live relay lost Redis (%s); other replicas' pushes are missed until it is "
                                "back (the messages are stored)", exc)
                failing = True
            finally:
                with suppress(RedisError, OSError):
                    await pubsub.aclose()
            await pause(RESUBSCRIBE_SECONDS)

    async def _received(self, data: Any) -> None:
        try:
            wire = json.loads(data)
            if wire.get("origin") == self.origin:
                return  # rendered here when it was published
            event = LiveEvent.from_json(json.dumps(wire["event"]))
        except (TypeError, ValueError, KeyError) as exc:
            log.warning("ignored a malformed live event on %s: %s", self._channel, exc)
            return
        try:
            await self._render(event)
        except Exception:
            log.exception("could not render a relayed %s event for %s", event.audience, event.target)


@asynccontextmanager
async def open_redis_relay(url: str, render: Render, origin: str,
                           channel: str = CHANNEL) -> AsyncIterator[RedisRelay]:
    """A relay subscribed and listening (events published after this returns are received)."""
    client = aioredis.Redis.from_url(url)
    relay = RedisRelay(client, render, origin, channel)
    ready = asyncio.Event()
    listening = asyncio.create_task(relay.listen(ready), name="live-relay")
    try:
        try:
            await asyncio.wait_for(ready.wait(), timeout=SUBSCRIBE_SECONDS)
        except TimeoutError:
            raise ConfigError(f"cannot subscribe to Redis at FRONTLINE_REDIS_URL ({shown(url)})") from None
        yield relay
    finally:
        listening.cancel()
        with suppress(asyncio.CancelledError):
            await listening
        await client.aclose()


def share_socketio(sio: Any, url: str) -> None:
    """Install python-socketio's Redis client manager on Chainlit's server (created at import,
    before any socket connects): emits to a socket held by another replica are forwarded there."""
    import socketio

    manager = socketio.AsyncRedisManager(url, channel=SOCKETIO_CHANNEL)
    sio.manager = manager
    manager.set_server(sio)
    sio.manager_initialized = False  # the server starts the manager's listener on the first connection
