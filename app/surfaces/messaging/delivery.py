"""Everything said to a messaging customer, POSTed to the tenant's bridge: stored first, sent in
order per conversation, retried with backoff, never queued twice.

Each message is one signed POST of a JSON envelope (docs/channels.md lists its fields) with
`Idempotency-Key: <message id>`: delivery is at least once (a process killed after the bridge
accepted but before the row was marked sent sends it again at the next start), and the key lets
the bridge drop that repeat. A 2xx marks it sent; anything else is retried after 2, 4, 8 ... s
(at most five minutes) until the tenant's `max_attempts`, then marked failed and logged. A later
message to the same conversation waits for the earlier one, so the customer reads them in order.
Redirects are not followed: a signed body goes only where the tenant file says.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Mapping, Sequence
from datetime import timedelta

import httpx

from app.config.tenants import TenantRegistry
from app.core import clock as clocks
from app.core.domain import Conversation, Message
from app.core.waiting import wait_for_event
from app.store.messaging import MessagingStore, OutboxEntry
from app.surfaces.messaging.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signature

log = logging.getLogger(__name__)

CHANNEL = "messaging"
USER_AGENT = "Frontline-Messaging/1"
CSAT_CHOICES = tuple({"label": score, "value": score} for score in ("1", "2", "3", "4", "5"))
PARALLEL = 16  # conversations delivered at the same time; one conversation is always one at a time
MAX_RESPONSE_BYTES = 64 * 1024


def backoff(attempt: int) -> float:
    """Seconds to wait after the `attempt`-th failure: 2, 4, 8 ... capped at five minutes."""
    return min(2.0 ** min(attempt, 12), 300.0)


def envelope(conversation: Conversation, recipient: str, message: Message, shown: str,
             choices: Sequence[Mapping[str, str]], in_reply_to: str | None = None) -> str:
    """The body a bridge receives: compact, key-sorted, serialised once."""
    return json.dumps({
        "id": message.id, "tenant": conversation.tenant, "conversation_id": conversation.id,
        "in_reply_to": in_reply_to,
        "recipient": recipient, "text": shown, "author": message.role.value,
        "event": message.metadata.get("event"), "created_at": message.created_at,
        "quick_replies": [{"label": c["label"], "value": c["value"]} for c in choices],
    }, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


class BridgeOutbox:
    """The channel's `Outbox` (app/core/channels.py) and its delivery loop: `run()` as a task."""

    channel = CHANNEL

    def __init__(self, store: MessagingStore, tenants: TenantRegistry, clock: clocks.Clock,
                 env: Mapping[str, str] = os.environ, client: httpx.AsyncClient | None = None) -> None:
        self.store = store
        self.tenants = tenants
        self.clock = clock
        self.env = env
        self._client = client or httpx.AsyncClient(follow_redirects=False)
        self._owns_client = client is None
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(PARALLEL)

    async def send(self, conversation: Conversation, message: Message, shown: str) -> None:
        """An agent's reply, a release note, a recovery notice ...: owed to the bridge now.
        A message that stored its buttons (`metadata["choices"]`, as the follow-up question
        does) offers them as quick replies; a rating question offers the scores."""
        stored = message.metadata.get("choices")
        if isinstance(stored, list) and all(isinstance(c, dict) and {"label", "value"} <= c.keys() for c in stored):
            choices: Sequence[Mapping[str, str]] = [{"label": str(c["label"]), "value": str(c["value"])}
                                                     for c in stored]
        else:
            choices = CSAT_CHOICES if message.metadata.get("event") == "csat.ask" else ()
        await self.owe(conversation, message, shown, choices)

    async def owe(self, conversation: Conversation, message: Message, shown: str,
                  choices: Sequence[Mapping[str, str]] = (), in_reply_to: str | None = None) -> bool:
        """Store the message for delivery (False: it was owed already) and start a round.
        `in_reply_to`: the bridge's id of the message this answers, for a bridge that quotes it."""
        recipient = await self.store.recipient(conversation.id)
        if recipient is None:
            log.warning("message %s not sent: conversation %s has no messaging sender", message.id, conversation.id)
            return False
        queued = await self.store.enqueue(message.id, conversation.tenant, conversation.id,
                                          envelope(conversation, recipient, message, shown, choices, in_reply_to),
                                          [dict(c) for c in choices])
        self._wake.set()
        return queued

    async def run(self, interval: float = 1.0) -> None:
        """Deliver until cancelled; what a dead process still owed goes first."""
        await self.store.due_now(clocks.stamp(self.clock()))
        while True:
            self._wake.clear()
            try:
                attempted = await self.deliver_due()
            except Exception:
                log.exception("messaging delivery round failed; trying again in %g s", interval)
                attempted = 0
            if not attempted:
                await wait_for_event(self._wake, interval)

    async def deliver_due(self) -> int:
        """One attempt for the head of every conversation that is due; returns how many."""
        heads = await self.store.heads(clocks.stamp(self.clock()))
        await asyncio.gather(*(self._attempt(entry) for entry in heads))
        return len(heads)

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _attempt(self, entry: OutboxEntry) -> None:
        async with self._slots:
            tenant = self.tenants.get(entry.tenant)
            config = tenant.messaging if tenant is not None else None
            busy_for = 2 * (config.timeout_seconds if config is not None else 10.0)
            if not await self.store.claim(entry, clocks.stamp(self.clock() + timedelta(seconds=busy_for))):
                return  # another replica is sending it
            if config is None or not config.enabled:
                error, max_attempts = "the tenant's messaging channel is not configured", 1
            else:
                max_attempts = config.max_attempts
                secret = self.env.get(config.secret_env)
                if not secret:
                    log.error("messaging reply %s not sent: environment variable %s (the signing secret) is not set",
                              entry.message_id, config.secret_env)
                    error = f"signing secret not set: environment variable {config.secret_env} is missing"
                else:
                    error = await self._post(entry, config.bridge_url, secret, config.timeout_seconds)
            if error is None:
                await self.store.sent(entry.message_id)
                log.info("messaging reply %s delivered to %s", entry.message_id, entry.tenant)
                return
            attempts = entry.attempts + 1
            give_up = attempts >= max_attempts
            next_at = clocks.stamp(self.clock() + timedelta(seconds=backoff(attempts)))
            await self.store.retry_later(entry.message_id, error, next_at, give_up=give_up)
            if give_up:
                log.warning("messaging reply %s (%s) failed after %d attempts, giving up: %s",
                            entry.message_id, entry.conversation_id, attempts, error)
            else:
                log.info("messaging reply %s attempt %d failed: %s; next at %s", entry.message_id, attempts,
                         error, next_at)

    async def _post(self, entry: OutboxEntry, url: str, secret: str, seconds: float) -> str | None:
        """One POST; None when the bridge accepted it, otherwise a short reason."""
        body = entry.body.encode()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   IDEMPOTENCY_HEADER: entry.message_id, SIGNATURE_HEADER: signature(secret, body)}
        try:
            async with asyncio.timeout(seconds), self._client.stream(
                    "POST", url, content=body, headers=headers, timeout=seconds) as response:
                read = 0
                async for chunk in response.aiter_bytes():
                    read += len(chunk)
                    if read >= MAX_RESPONSE_BYTES:
                        break
                status = response.status_code
        except (TimeoutError, httpx.TimeoutException):
            return f"timed out after {seconds:g} s"
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return f"connection failed ({type(exc).__name__}: {str(exc)[:200] or 'no detail'})"
        except Exception as exc:  # one odd delivery must not stall the others
            log.exception("messaging reply %s: unexpected error while sending", entry.message_id)
            return f"unexpected error ({type(exc).__name__})"
        if 200 <= status < 300:
            return None
        return f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
