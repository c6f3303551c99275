"""Calling a company's systems over a network without hanging or hammering them: backoff
with jitter, a circuit breaker, and `JsonHttp`, which puts them together with timeouts and
a response size cap. Clock, sleep and randomness come from the caller, so tests do not wait.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from app.clock import system_clock
from app.errors import ConnectorError

log = logging.getLogger(__name__)


class BreakerOpen(Exception):
    """The breaker refused a call; `retry_in` is how long until it lets one through."""

    def __init__(self, failures: int, retry_in: float) -> None:
        super().__init__(f"open after {failures} consecutive failures; next try in {retry_in:.0f} s")
        self.failures, self.retry_in = failures, retry_in


@dataclass
class Backoff:
    """Exponential backoff with jitter: attempt n (1-based) waits about `base * 2**(n-1)`,
    somewhere between half and all of it, never more than `maximum`. A server's
    Retry-After is honoured, up to `retry_after_cap`."""

    base: float = 0.2
    maximum: float = 5.0
    retry_after_cap: float = 5.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        exponential = min(self.maximum, self.base * 2 ** (attempt - 1))
        jittered = exponential * (0.5 + self.rng.random() / 2)
        if retry_after is not None:
            return max(jittered, min(retry_after, self.retry_after_cap))
        return jittered


def parse_retry_after(value: str | None, now: Callable[[], datetime] = system_clock) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable.

    An HTTP date is the remote server's wall time, so it is compared with the system's, not
    with Frontline's (possibly shifted) clock."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


class CircuitBreaker:
    """Opens after `failures` consecutive failed calls. While open, calls are refused without
    touching the network. After `reset_seconds` it is half-open: one trial call goes through
    (others are still refused); its success closes the breaker, its failure opens it again."""

    def __init__(self, failures: int, reset_seconds: float, *, name: str = "connector",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold, self.reset_seconds, self.name = failures, reset_seconds, name
        self._clock = clock
        self.failures = 0
        self._opened_at: float | None = None
        self._trial = False  # a half-open trial call is in flight

    @property
    def state(self) -> str:
        """"closed", "open" or "half_open"."""
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._clock() - self._opened_at >= self.reset_seconds else "open"

    def acquire(self) -> bool:
        """Ask to make a call; raises BreakerOpen when it must fail fast. Returns True when the
        call is the half-open trial. Every call let through must end with exactly one of
        success(), failure(trial) or release(trial)."""
        state = self.state
        if state == "closed":
            return False
        if state == "half_open" and not self._trial:
            self._trial = True
            return True
        assert self._opened_at is not None
        retry_in = max(0.0, self.reset_seconds - (self._clock() - self._opened_at))
        raise BreakerOpen(self.failures, retry_in)

    def success(self) -> None:
        if self._opened_at is not None:
            log.info("%s circuit breaker closed: the company's system answered again", self.name)
        self.failures, self._opened_at, self._trial = 0, None, False

    def failure(self, trial: bool) -> None:
        self.failures += 1
        if trial:
            self._trial = False
        if trial or (self._opened_at is None and self.failures >= self.threshold):
            self._opened_at = self._clock()
            log.warning("%s circuit breaker open after %d consecutive failed calls; next try in %.0f s",
                        self.name, self.failures, self.reset_seconds)

    def release(self, trial: bool) -> None:
        """The call ended without a verdict (it was cancelled): let another trial through."""
        if trial:
            self._trial = False


class Unavailable(Exception):
    """The system could not be reached, or answered unreadably: counts against the breaker."""


class JsonHttp:
    """JSON requests with a timeout per attempt (connect to last byte), retries with backoff on
    timeouts, connection errors, 429 and 5xx, a cap on the response size, and a circuit
    breaker that counts one failure per call that exhausted its attempts or got an unreadable
    answer. Any other answer, whatever its status, shows the system is up and closes it."""

    def __init__(self, client: httpx.AsyncClient, *, timeout: float, retries: int, max_response_bytes: int,
                 backoff: Backoff, breaker: CircuitBreaker, name: str,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 redact: Callable[[str], str] = lambda text: text) -> None:
        self.client, self.timeout, self.retries, self.limit = client, timeout, retries, max_response_bytes
        self.backoff, self.breaker, self.name = backoff, breaker, name
        self._sleep, self._redact = sleep, redact

    async def call(self, what: str, method: str, url: str, *, headers: dict[str, str],
                   body: dict[str, Any] | None = None, keep: Collection[int] = ()) -> tuple[int, Any]:
        """(status, parsed JSON body). The body is read for a 2xx, where it must be JSON or empty,
        and for the statuses in `keep`, where it is None unless it is JSON; otherwise it is None.
        Raises ConnectorError when the breaker is open or the system is unavailable; `what`
        names the call in messages and logs."""
        try:
            trial = self.breaker.acquire()
        except BreakerOpen as exc:
            raise ConnectorError(f"{what}: the company API is unavailable (circuit breaker {exc})") from None
        try:
            status, raw = await self._attempts(what, method, url, headers, body, keep)
            parsed = _json(what, status, raw)
        except Unavailable as exc:
            self.breaker.failure(trial)
            message = self._redact(str(exc))
            log.warning("%s: %s", self.name, message)
            raise ConnectorError(message) from None
        except BaseException:
            self.breaker.release(trial)
            raise
        self.breaker.success()
        return status, parsed

    async def _attempts(self, what: str, method: str, url: str, headers: dict[str, str],
                        body: dict[str, Any] | None, keep: Collection[int]) -> tuple[int, bytes | None]:
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            retry_after = None
            try:
                status, response_headers, raw = await self._send(what, method, url, headers, body, keep)
            except (TimeoutError, httpx.TimeoutException):
                problem = f"timed out after {self.timeout:g} s"
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__}: {str(exc)[:200] or 'no detail'})"
            else:
                if status != 429 and status < 500:
                    return status, raw
                problem = f"HTTP {status}"
                retry_after = parse_retry_after(response_headers.get("retry-after"))
            if attempt < attempts:
                delay = self.backoff.delay(attempt, retry_after)
                log.info("%s: %s: %s (attempt %d of %d); retrying in %.2f s", self.name, what,
                         self._redact(problem), attempt, attempts, delay)
                await self._sleep(delay)
        raise Unavailable(f"{what}: {problem} on the last of {attempts} attempts" if attempts > 1
                          else f"{what}: {problem} (1 attempt, no retries configured)")

    async def _send(self, what: str, method: str, url: str, headers: dict[str, str], body: dict[str, Any] | None,
                    keep: Collection[int]) -> tuple[int, httpx.Headers, bytes | None]:
        too_large = f"{what}: the answer is larger than the {self.limit}-byte limit (max_response_bytes)"
        async with asyncio.timeout(self.timeout):
            async with self.client.stream(method, url, headers=headers, json=body, timeout=self.timeout) as response:
                status = response.status_code
                if not (200 <= status < 300 or status in keep):
                    return status, response.headers, None
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.limit:
                    raise Unavailable(too_large)
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.limit:
                        raise Unavailable(too_large)
                    chunks.append(chunk)
                return status, response.headers, b"".join(chunks)


def _json(what: str, status: int, raw: bytes | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        if 200 <= status < 300:
            raise Unavailable(f"{what}: HTTP {status} with a body that is not JSON") from None
        return None
