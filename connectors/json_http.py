"""JSON over HTTP to a company's system, for any networked connector: a timeout per attempt,
retries with backoff, a cap on the response size, and a circuit breaker (app/core/resilience.py)."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable, Collection
from typing import Any

import httpx

from app.core.errors import ConnectorError
from app.core.resilience import Backoff, BreakerOpen, CircuitBreaker, Sleep, parse_retry_after, retry

log = logging.getLogger(__name__)


class Unavailable(Exception):
    """The system could not be reached, or answered unreadably: counts against the breaker."""


class _FailedAttempt(Exception):
    """One attempt timed out, could not connect, or got a 429 or 5xx: worth another attempt."""

    def __init__(self, problem: str, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.retry_after = retry_after


class JsonHttp:
    """JSON requests with a timeout per attempt (connect to last byte), retries with backoff on
    timeouts, connection errors, 429 and 5xx, a cap on the response size, and a circuit
    breaker that counts one failure per call that exhausted its attempts or got an unreadable
    answer. Any other answer, whatever its status, shows the system is up and closes it."""

    def __init__(self, client: httpx.AsyncClient, *, timeout: float, retries: int, max_response_bytes: int,
                 backoff: Backoff, breaker: CircuitBreaker, name: str, sleep: Sleep = asyncio.sleep,
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
        exchange = functools.partial(self._exchange, what, method, url, headers, body, keep)
        try:
            return await self.breaker.call(exchange, is_failure=lambda exc: isinstance(exc, Unavailable))
        except BreakerOpen as exc:
            raise ConnectorError(f"{what}: the company API is unavailable (circuit breaker {exc})") from None
        except Unavailable as exc:
            message = self._redact(str(exc))
            log.warning("%s: %s", self.name, message)
            raise ConnectorError(message) from None

    async def _exchange(self, what: str, method: str, url: str, headers: dict[str, str],
                        body: dict[str, Any] | None, keep: Collection[int]) -> tuple[int, Any]:
        attempts = self.retries + 1

        def log_retry(attempt: int, exc: Exception, delay: float) -> None:
            log.info("%s: %s: %s (attempt %d of %d); retrying in %.2f s", self.name, what,
                     self._redact(str(exc)), attempt, attempts, delay)

        try:
            status, raw = await retry(
                functools.partial(self._attempt, what, method, url, headers, body, keep),
                attempts=attempts, backoff=self.backoff, sleep=self._sleep, on_retry=log_retry,
                retryable=lambda exc: isinstance(exc, _FailedAttempt),
                retry_after=lambda exc: exc.retry_after if isinstance(exc, _FailedAttempt) else None)
        except _FailedAttempt as exc:
            raise Unavailable(f"{what}: {exc} on the last of {attempts} attempts" if attempts > 1
                              else f"{what}: {exc} (1 attempt, no retries configured)") from None
        return status, _json(what, status, raw)

    async def _attempt(self, what: str, method: str, url: str, headers: dict[str, str],
                       body: dict[str, Any] | None, keep: Collection[int]) -> tuple[int, bytes | None]:
        try:
            status, response_headers, raw = await self._send(what, method, url, headers, body, keep)
        except (TimeoutError, httpx.TimeoutException):
            raise _FailedAttempt(f"timed out after {self.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise _FailedAttempt(f"connection failed ({type(exc).__name__}: {str(exc)[:200] or 'no detail'})") from None
        if status == 429 or status >= 500:
            raise _FailedAttempt(f"HTTP {status}", parse_retry_after(response_headers.get("retry-after")))
        return status, raw

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
