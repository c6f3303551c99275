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

from app.config.settings import Settings
from app.core.domain import new_id
from app.core.lease import Lease
from app.handoff.presence import Presence
from guardrails.abuse_limits import AbuseGuards, IdentityRateLimiter

log = logging.getLogger(__name__)


@dataclass
class SharedState:
    presence: Presence
    abuse: AbuseGuards
    rate_limiter: IdentityRateLimiter
    lease: Lease | None = None  # None: one process, nothing to share


@asynccontextmanager
async def open_shared_state(settings: Settings) -> AsyncIterator[SharedState]:
    if settings.redis_url is None:
        yield SharedState(Presence(), AbuseGuards.from_limits(settings.limits), IdentityRateLimiter(settings.limits))
        return
    # Redis is imported only when it is used: one process needs none of it
    from app.core.redis_link import open_async, shown
    from app.handoff.redis_lease import RedisLease
    from app.handoff.shared_presence import SharedPresence
    from guardrails.shared_limits import blocking_client, shared_guards

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
