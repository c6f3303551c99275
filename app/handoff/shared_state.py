"""What replicas share besides the store: agent presence and the abuse limits.

Without FRONTLINE_REDIS_URL both live in this process, exactly as a single server keeps
them. With it, both are kept in Redis (app/handoff/shared_presence.py,
guardrails/shared_limits.py), and an unreachable Redis stops start-up with a ConfigError
naming the setting. The live relay is shared at the surface (app/surfaces/redis_relay.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.config.settings import Settings
from app.core.domain import new_id
from app.core.redis_link import open_async, shown
from app.handoff.presence import Presence
from app.handoff.shared_presence import SharedPresence
from guardrails.abuse_limits import AbuseGuards, IdentityRateLimiter
from guardrails.shared_limits import blocking_client, shared_guards

log = logging.getLogger(__name__)


# Take the lease if free, or renew it if this holder has it: one atomic step.
_RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2])"
          " else return 0 end")


class RedisLease:
    """Chores for the whole deployment (answering turns a dead replica left) done by one
    replica at a time: a Redis key with an expiry, held while its holder keeps renewing it."""

    def __init__(self, client: Redis, holder: str) -> None:
        self.client = client
        self.holder = holder

    async def hold(self, name: str, seconds: float) -> bool:
        key, ms = f"frontline:lease:{name}", max(1, int(seconds * 1000))
        try:
            if await self.client.set(key, self.holder, nx=True, px=ms):
                return True
            return bool(await self.client.eval(_RENEW, 1, key, self.holder, ms))
        except RedisError as exc:  # nobody does the chore this round; the next sweep tries again
            log.warning("cannot take the %s lease in Redis: %s", name, exc)
            return False


@dataclass
class SharedState:
    presence: Presence
    abuse: AbuseGuards
    rate_limiter: IdentityRateLimiter
    lease: RedisLease | None = None  # None: one process, nothing to share


@asynccontextmanager
async def open_shared_state(settings: Settings) -> AsyncIterator[SharedState]:
    if settings.redis_url is None:
        yield SharedState(Presence(), AbuseGuards.from_limits(settings.limits), IdentityRateLimiter(settings.limits))
        return
    url = settings.redis_url.get_secret_value()
    client = await open_async(url)
    limits_client = blocking_client(url)
    holder = f"{settings.replica}:{new_id()[:8]}"
    presence = SharedPresence(client, holder)
    await presence.beat()  # the other replicas' agents count from the first turn
    beating = asyncio.create_task(presence.run(), name="presence-heartbeat")
    abuse, rate_limiter = shared_guards(settings.limits, limits_client, time.monotonic)
    log.info("replica %s shares presence, limits and the live relay through Redis at %s", settings.replica, shown(url))
    try:
        yield SharedState(presence, abuse, rate_limiter, RedisLease(client, holder))
    finally:
        beating.cancel()
        with suppress(asyncio.CancelledError):
            await beating
        limits_client.close()
        await client.aclose()
