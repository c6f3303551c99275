"""The chores' lease (app/core/lease.py) in Redis: a key with an expiry, renewed by its holder."""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Take the lease if free, or renew it if this holder has it: one atomic step.
_RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2])"
          " else return 0 end")


class RedisLease:
    """Chores for the whole deployment (turns a dead replica left, queued webhooks) done by one
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
