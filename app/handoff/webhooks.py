"""Signed webhook delivery from the outbox to a company's helpdesk.

Every delivery is a POST of the stored JSON envelope
(`{"id", "event", "tenant", "created_at", "data"}`) with these headers:

    Content-Type: application/json
    User-Agent: Frontline-Webhooks/1
    X-Frontline-Event: handoff.requested
    X-Frontline-Delivery: <delivery id>       (the same on every retry: drop duplicates by it)
    X-Frontline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

To verify, a receiver takes the raw request body (before any JSON parsing), computes
HMAC-SHA256 with the shared secret over the ASCII timestamp, a dot and the body, compares it
with `v1` in constant time, and rejects timestamps more than five minutes from its clock so
a captured request cannot be replayed later. `verify` below does exactly that.

The secret lives in the environment variable the handoff policy names (`secret_env`), never
in the database or a log. Delivery is at least once: a 2xx marks it delivered; anything
else (another status, a timeout, a refused connection, a missing secret) is retried with
exponential backoff until `max_attempts`, then marked failed and logged for an operator.
Redirects are not followed (a signed body must not be sent somewhere the policy did not name).
Only public addresses are posted to, unless the tenant's policy sets `allow_private_webhooks`
(app/config/webhook_targets.py): the host is resolved, every address checked, and the POST goes to
the checked address.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import httpx

from app.config.webhook_targets import WebhookTargetError, resolve_public
from app.core.lease import Lease
from app.core.waiting import wait_for_event
from app.store.webhooks import Delivery, WebhookOutbox

log = logging.getLogger(__name__)

USER_AGENT = "Frontline-Webhooks/1"
MAX_RESPONSE_BYTES = 64 * 1024  # a receiver's answer is read this far (to reuse the connection), then dropped
BATCH = 50  # deliveries per round; run() starts the next round at once while rounds are full


def default_backoff(attempt: int) -> float:
    """Seconds to wait after the `attempt`-th failure: 2, 4, 8 ... capped at one hour."""
    return min(2.0 ** min(attempt, 12), 3600.0)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The X-Frontline-Signature header value for `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """True if `header` signs `body` with `secret` within `tolerance` seconds of `now`.

    Several `v1=` entries are accepted (one per secret during a rotation). Anything malformed
    is simply not verified: this runs on untrusted input and never raises.
    """
    try:
        if not isinstance(header, str) or not isinstance(body, bytes | bytearray) or not secret:
            return False
        timestamp, candidates = None, []
        for part in header.split(","):
            key, sep, value = part.strip().partition("=")
            if not sep:
                return False
            if key == "t":
                if timestamp is not None or not (value.isascii() and value.isdigit()) or len(value) > 12:
                    return False
                timestamp = int(value)
            elif key == "v1":
                candidates.append(value.encode("utf-8", "replace"))
        if timestamp is None or not candidates or abs(now - timestamp) > tolerance:
            return False
        expected = sign(secret, bytes(body), timestamp).partition(",v1=")[2].encode()
        # compare against every candidate so the time taken does not reveal which one matched
        return sum(hmac.compare_digest(expected, candidate) for candidate in candidates) > 0
    except (AttributeError, TypeError, ValueError, UnicodeError):
        return False


def _iso(seconds: float) -> str:
    """The store's timestamp format (app.core.domain.utcnow) for a unix time."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class WebhookDispatcher:
    """Sends due outbox deliveries; `run()` as a background task, `wake()` after an enqueue."""

    def __init__(self, outbox: WebhookOutbox, *, client: httpx.AsyncClient | None = None, timeout: float = 5.0,
                 max_attempts: int = 8, backoff: Callable[[int], float] = default_backoff,
                 env: Mapping[str, str] = os.environ, clock: Callable[[], float] = time.time,
                 private_allowed: Callable[[str], bool] = lambda tenant: False, lease: Lease | None = None) -> None:
        self.outbox = outbox
        self.lease = lease  # replicas: only its holder delivers, so no event is posted twice
        self._private_allowed = private_allowed  # per tenant: its policy's allow_private_webhooks
        self.timeout = timeout
        self.max_attempts = max_attempts
        self._owns_client = client is None  # a client passed in belongs to the caller
        self._client = client or httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._backoff = backoff
        self._env = env
        self._clock = clock
        self._wake = asyncio.Event()

    async def deliver_due(self) -> int:
        """Attempt every due delivery once, oldest first; returns how many were attempted."""
        due = await self.outbox.due(_iso(self._clock()), BATCH)
        for delivery in due:
            await self._attempt(delivery)
        return len(due)

    async def run(self, interval: float = 1.0) -> None:
        """Deliver until cancelled. A failed round is logged and the next one still comes."""
        while True:
            self._wake.clear()  # a wake() during this round triggers the next one at once
            try:
                if self.lease is None or await self.lease.hold("webhooks", max(5 * interval, 5.0)):
                    attempted = await self.deliver_due()
                else:
                    attempted = 0  # another replica delivers; this one takes over if it stops renewing
            except Exception:
                log.exception("webhook delivery round failed; trying again in %g s", interval)
                attempted = 0
            if attempted >= BATCH:
                continue
            await wait_for_event(self._wake, interval)

    def wake(self) -> None:
        """Start a round now (something was just enqueued) instead of at the next interval."""
        self._wake.set()

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _attempt(self, delivery: Delivery) -> None:
        secret = self._env.get(delivery.secret_env)
        if not secret:
            log.error("webhook %s (%s to %s) not sent: the environment variable %s that holds its signing secret"
                      " is not set", delivery.id, delivery.event, delivery.url, delivery.secret_env)
            error = f"signing secret not set: environment variable {delivery.secret_env} is missing or empty"
        else:
            error = await self._post(delivery, secret)
        if error is None:
            await self.outbox.delivered(delivery.id, _iso(self._clock()))
            log.info("webhook %s (%s) delivered to %s", delivery.id, delivery.event, delivery.url)
            return
        attempts = delivery.attempts + 1
        give_up = attempts >= self.max_attempts
        next_at = _iso(self._clock() + max(0.0, self._backoff(attempts)))
        await self.outbox.retry_later(delivery.id, error, next_at, give_up=give_up)
        if give_up:
            log.warning("webhook %s (%s to %s) failed after %d attempts, giving up: %s", delivery.id,
                        delivery.event, delivery.url, attempts, error)
        else:
            log.info("webhook %s (%s to %s) attempt %d failed: %s; next attempt at %s", delivery.id,
                     delivery.event, delivery.url, attempts, error, next_at)

    async def _post(self, delivery: Delivery, secret: str) -> str | None:
        """One POST; None when the receiver accepted it, otherwise a short reason."""
        body = delivery.body.encode()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "X-Frontline-Event": delivery.event, "X-Frontline-Delivery": delivery.id,
                   # the receiver checks this against its own wall clock: real time, like a token's expiry
                   "X-Frontline-Signature": sign(secret, body, int(time.time()))}
        url, extensions = delivery.url, {}
        try:
            async with asyncio.timeout(self.timeout):
                if not self._private_allowed(delivery.tenant):
                    target = await resolve_public(delivery.url)
                    url, extensions = target.url, {"sni_hostname": target.host}
                    headers["Host"] = httpx.URL(delivery.url).netloc.decode("ascii")
                async with self._client.stream("POST", url, content=body, headers=headers, extensions=extensions,
                                               follow_redirects=False, timeout=self.timeout) as response:
                    read = 0
                    async for chunk in response.aiter_bytes():
                        read += len(chunk)
                        if read >= MAX_RESPONSE_BYTES:
                            break
                    status = response.status_code
        except WebhookTargetError as exc:
            log.warning("webhook %s refused: %s", delivery.id, exc)
            return str(exc)
        except (TimeoutError, httpx.TimeoutException):
            return f"timed out after {self.timeout:g} s"
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return f"connection failed ({type(exc).__name__}: {str(exc)[:200] or 'no detail'})"
        except Exception as exc:  # one odd delivery must not stall the ones behind it
            log.exception("webhook %s to %s: unexpected error while sending", delivery.id, delivery.url)
            return f"unexpected error ({type(exc).__name__})"
        if 200 <= status < 300:
            return None
        if 300 <= status < 400:
            return f"HTTP {status} (redirects are not followed)"
        return f"HTTP {status}"
