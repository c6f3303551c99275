"""The abuse and rate limits of guardrails/abuse_limits.py, counted in Redis so that every
replica behind a load balancer sees the same counts.

Each counter is one atomic Lua script (sorted sets for sliding windows, a hash for sign-in
failures) timed by the Redis server's clock, so replicas whose clocks differ still agree.
The interfaces are the in-memory ones (synchronous, as their callers are), so the client is
redis-py's blocking one with short timeouts: a round trip to a nearby Redis costs well under
a millisecond.

If Redis is unreachable during a request, the limit is logged and counted by this replica's
in-memory twin instead (for `OUTAGE_PAUSE_SECONDS`, then Redis is tried again): a customer's
turn or an agent's sign-in never fails because Redis did. Limits are looser per replica
while Redis is down; nothing is refused that would not have been by one process.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

import redis

from guardrails.abuse_limits import (
    AbuseGuards,
    AbuseLimits,
    Clock,
    IdentityRateLimiter,
    SignInThrottle,
    WidgetSessionLimits,
    WindowCounter,
    account_key,
)
from guardrails.verdict import Verdict

log = logging.getLogger(__name__)

T = TypeVar("T")
PREFIX = "frontline:limits:"
OUTAGE_PAUSE_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 0.25

_NOW = """local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""
# KEYS[1] a sorted set of event times; ARGV limit, window, a unique member. 0 if counted, else seconds to wait.
WINDOW_HIT = _NOW + """local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(math.max(0.001, window - (now - tonumber(oldest[2]))))
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return '0'
"""
# KEYS[1] an identity's conversations (scored by first message); ARGV limit, conversation. 1 if allowed.
CONVERSATION_START = _NOW + """redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 3600)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('EXPIRE', KEYS[1], 3600)
return 1
"""
# KEYS: hashes {count, locked_until, last}; ARGV allowed, lockout, max_lockout. The lockout started, in seconds.
SIGN_IN_FAILED = _NOW + """local allowed, lockout, longest_cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local longest = 0
for _, key in ipairs(KEYS) do
  local f = redis.call('HMGET', key, 'count', 'locked_until', 'last')
  local count, locked, last = tonumber(f[1]) or 0, tonumber(f[2]) or 0, tonumber(f[3]) or 0
  if now - last > longest_cap then count = 0 end
  count = count + 1
  local over = count - allowed
  if over > 0 then
    locked = math.max(locked, now + math.min(lockout * 2 ^ math.min(over - 1, 30), longest_cap))
    longest = math.max(longest, locked - now)
  end
  redis.call('HSET', key, 'count', count, 'locked_until', tostring(locked), 'last', tostring(now))
  redis.call('EXPIRE', key, math.ceil(longest_cap * 2))
end
return tostring(longest)
"""
# KEYS: failure hashes. Seconds until the longest lock ends (0: not locked).
SIGN_IN_WAIT = _NOW + """local wait = 0
for _, key in ipairs(KEYS) do
  local locked = tonumber(redis.call('HGET', key, 'locked_until')) or 0
  wait = math.max(wait, locked - now)
end
return tostring(wait)
"""


class RedisOrLocal:
    """Runs a Redis call, or the in-memory fallback while Redis is failing (logged once per outage)."""

    def __init__(self, client: redis.Redis, clock: Clock = time.monotonic,
                 pause: float = OUTAGE_PAUSE_SECONDS) -> None:
        self.client, self._clock, self._pause = client, clock, pause
        self._local_until = float("-inf")

    def script(self, source: str) -> Callable[..., object]:
        return self.client.register_script(source)

    def run(self, what: str, shared: Callable[[], T], local: Callable[[], T]) -> T:
        if self._clock() < self._local_until:
            return local()
        try:
            return shared()
        except redis.RedisError as exc:
            log.warning("Redis unreachable (%s): %s counted by this replica alone for %.0f s", exc, what,
                        self._pause)
            self._local_until = self._clock() + self._pause
            return local()


class SharedWindowCounter(WindowCounter):
    """`WindowCounter` with the events in a Redis sorted set per key."""

    def __init__(self, limit: int, window: float, shared: RedisOrLocal, name: str,
                 clock: Clock = time.monotonic) -> None:
        super().__init__(limit, window, clock)
        self._shared, self._name = shared, name
        self._hit = shared.script(WINDOW_HIT)

    def hit(self, key: str) -> float:
        if self.limit <= 0:
            return 0.0
        return self._shared.run(
            f"the {self._name} limit",
            lambda: float(self._hit(keys=[f"{PREFIX}{self._name}:{key}"],  # type: ignore[arg-type]
                                    args=[self.limit, self.window, uuid.uuid4().hex])),
            lambda: WindowCounter.hit(self, key))


class SharedSignInThrottle(SignInThrottle):
    """`SignInThrottle` with each account's and address's failures in a Redis hash."""

    def __init__(self, limits: AbuseLimits, shared: RedisOrLocal, clock: Clock = time.monotonic) -> None:
        super().__init__(limits, clock)
        self._shared = shared
        self._failed, self._wait = shared.script(SIGN_IN_FAILED), shared.script(SIGN_IN_WAIT)

    def _redis_keys(self, account: str, address: str | None) -> list[str]:
        return [f"{PREFIX}sign-in:{key}" for key in self._keys(account, address)]

    def wait(self, account: str, address: str | None) -> float:
        return self._shared.run(
            "the sign-in lockout",
            lambda: max(0.0, float(self._wait(keys=self._redis_keys(account, address)))),  # type: ignore[arg-type]
            lambda: SignInThrottle.wait(self, account, address))

    def failed(self, account: str, address: str | None) -> float:
        return self._shared.run(
            "the sign-in lockout",
            lambda: float(self._failed(keys=self._redis_keys(account, address),  # type: ignore[arg-type]
                                       args=[self.allowed, self.lockout, self.max_lockout])),
            lambda: SignInThrottle.failed(self, account, address))

    def succeeded(self, account: str) -> None:
        SignInThrottle.succeeded(self, account)
        self._shared.run("the sign-in lockout",
                         lambda: self._shared.client.delete(f"{PREFIX}sign-in:{account_key(account)}"),
                         lambda: 0)


class SharedWidgetSessionLimits(WidgetSessionLimits):
    def __init__(self, limits: AbuseLimits, shared: RedisOrLocal, clock: Clock = time.monotonic) -> None:
        self.per_address = SharedWindowCounter(limits.widget_sessions_per_ip_per_minute, 60.0, shared,
                                               "widget-sessions-per-address", clock)
        self.per_tenant = SharedWindowCounter(limits.widget_sessions_per_tenant_per_minute, 60.0, shared,
                                              "widget-sessions-per-tenant", clock)


class SharedIdentityRateLimiter(IdentityRateLimiter):
    """Messages per conversation and per customer, and conversations per customer, in Redis."""

    def __init__(self, limits: AbuseLimits, shared: RedisOrLocal, clock: Clock = time.monotonic) -> None:
        super().__init__(limits, clock)
        self._shared = shared
        self.messages = SharedWindowCounter(limits.messages_per_identity_per_minute, 60.0, shared,
                                            "messages-per-identity", clock)
        self.per_conversation = SharedWindowCounter(self.limit, self.window, shared,
                                                    "messages-per-conversation", clock)
        self._start = shared.script(CONVERSATION_START)

    def _conversation_rate(self, key: str) -> Verdict:
        if self.per_conversation.hit(key):
            return Verdict("rate_limit", False, f"over {self.limit} messages in {self.window:.0f}s",
                           "input.rate_limited")
        return Verdict.ok("rate_limit")

    def _conversation_allowed(self, identity: str, conversation: str) -> bool:
        if self.conversations_per_hour <= 0:
            return True
        return self._shared.run(
            "the conversations-per-hour limit",
            lambda: bool(self._start(keys=[f"{PREFIX}conversations:{identity}"],  # type: ignore[arg-type]
                                     args=[self.conversations_per_hour, conversation])),
            lambda: IdentityRateLimiter._conversation_allowed(self, identity, conversation))


def shared_guards(limits: AbuseLimits, client: redis.Redis,
                  clock: Clock = time.monotonic) -> tuple[AbuseGuards, SharedIdentityRateLimiter]:
    """The sign-in, widget-session and message limits, all counted in the Redis at `client`."""
    shared = RedisOrLocal(client, clock)
    return (AbuseGuards(SharedSignInThrottle(limits, shared, clock), SharedWidgetSessionLimits(limits, shared, clock)),
            SharedIdentityRateLimiter(limits, shared, clock))


def blocking_client(url: str) -> redis.Redis:
    """The client the limits use: short timeouts, since a request waits on it."""
    return redis.Redis.from_url(url, socket_connect_timeout=REQUEST_TIMEOUT_SECONDS,
                                socket_timeout=REQUEST_TIMEOUT_SECONDS)
