"""Agents online across replicas: each replica's `Presence`, shared through Redis.

Each replica writes who is online in it to one Redis key with a time to live, refreshed by a
heartbeat (and at once when an agent comes or goes here), and names the key in a set; it
reads the other replicas' keys on the same beat (and drops the names of expired ones). A
replica that dies stops refreshing its key, so its agents stop counting within `ttl`
seconds, without anyone cleaning up after it.

`count` stays synchronous, as HandoffIntake calls it in the middle of a turn: it merges this
replica's live view with the other replicas' view as of the last beat (at most `heartbeat`
seconds old). Agents come and go on a scale of minutes; a turn should not wait on Redis to
say how many are there. When Redis is unreachable the last view is kept and the beat retries.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from contextlib import suppress

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from app.core.waiting import wait_for_event
from app.handoff.presence import Presence

log = logging.getLogger(__name__)

PREFIX = "frontline:presence:"
REPLICAS = "frontline:presence"  # the set of replicas' keys, so reading needs no SCAN
HEARTBEAT_SECONDS = 5.0
TTL_SECONDS = 15.0  # three missed beats: the replica is gone


class SharedPresence(Presence):
    def __init__(self, client: aioredis.Redis, replica: str, clock: Callable[[], float] = time.monotonic,
                 heartbeat: float = HEARTBEAT_SECONDS, ttl: float = TTL_SECONDS) -> None:
        super().__init__(clock)
        self._client, self._key = client, PREFIX + replica
        self.heartbeat, self.ttl = heartbeat, ttl
        self._elsewhere: dict[str, set[str]] = {}  # agent -> tenants, on other replicas, as of the last beat
        self._changed = asyncio.Event()

    def session_opened(self, session_id: str, agent: str, tenants: list[str]) -> None:
        super().session_opened(session_id, agent, tenants)
        self._changed.set()

    def session_closed(self, session_id: str) -> None:
        super().session_closed(session_id)
        self._changed.set()

    def api_call(self, agent: str, tenants: list[str]) -> None:
        known = agent in self.here()
        super().api_call(agent, tenants)
        if not known:
            self._changed.set()

    def online(self, tenant: str) -> list[str]:
        agents = {agent: set(tenants) for agent, tenants in self._elsewhere.items()}
        for agent, tenants in self.here().items():
            agents.setdefault(agent, set()).update(tenants)
        return sorted(agent for agent, tenants in agents.items() if "*" in tenants or tenant in tenants)

    async def beat(self) -> None:
        """Publish this replica's agents and read the other replicas'."""
        mine = {agent: sorted(tenants) for agent, tenants in self.here().items()}
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.set(self._key, json.dumps(mine), px=int(self.ttl * 1000)).sadd(REPLICAS, self._key)
            await pipe.execute()
        others = sorted(key for key in map(_text, await self._client.smembers(REPLICAS)) if key != self._key)
        elsewhere: dict[str, set[str]] = {}
        gone = []
        for key, raw in zip(others, await self._client.mget(others) if others else [], strict=True):
            if raw is None:  # its replica stopped beating: the key expired
                gone.append(key)
                continue
            for agent, tenants in json.loads(raw).items():
                elsewhere.setdefault(agent, set()).update(tenants)
        if gone:
            await self._client.srem(REPLICAS, *gone)
        self._elsewhere = elsewhere

    async def run(self) -> None:
        """Beat until cancelled; then take this replica's agents off at once (a clean stop)."""
        try:
            while True:
                self._changed.clear()
                try:
                    await self.beat()
                except (RedisError, ValueError) as exc:
                    log.warning("agent presence not shared (Redis: %s); retrying in %.0f s", exc, self.heartbeat)
                await wait_for_event(self._changed, self.heartbeat)
        finally:
            with suppress(RedisError, OSError):
                await asyncio.shield(self._client.delete(self._key))


def _text(key: bytes | str) -> str:
    return key.decode() if isinstance(key, bytes) else key
