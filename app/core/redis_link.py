"""Reaching the Redis that replicas share (FRONTLINE_REDIS_URL), checked before anything relies on it.

A replica that starts without its Redis would serve customers with limits and presence of
its own and never see the other replicas' chats, so an unreachable URL stops start-up with
one sentence that names the setting (and never prints the password in it).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio as aioredis

from app.core.errors import ConfigError

CONNECT_SECONDS = 3.0


def shown(url: str) -> str:
    """`url` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


def _unreachable(url: str, exc: Exception) -> ConfigError:
    return ConfigError(f"cannot reach Redis at FRONTLINE_REDIS_URL ({shown(url)}): {exc}")


def check_reachable(url: str, timeout: float = CONNECT_SECONDS) -> None:
    """Raise ConfigError unless a Redis at `url` answers PING within `timeout` seconds."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, ValueError, OSError) as exc:  # ValueError: a URL redis-py cannot parse
        raise _unreachable(url, exc) from None


async def open_async(url: str, connect_seconds: float = CONNECT_SECONDS) -> aioredis.Redis:
    """An asyncio client that has answered PING (ConfigError otherwise)."""
    try:
        client = aioredis.Redis.from_url(url, socket_connect_timeout=connect_seconds)
    except ValueError as exc:
        raise _unreachable(url, exc) from None
    try:
        await client.ping()
    except (redis.RedisError, OSError) as exc:
        await client.aclose()
        raise _unreachable(url, exc) from None
    return client
