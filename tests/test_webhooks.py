"""Webhooks: the durable outbox, signed delivery to a real local receiver, retries and giving up."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict

import pytest

from app.config.handoff_policy import Webhook
from app.config.webhook_targets import WebhookTargetError, resolve_public
from app.core.errors import StoreError
from app.handoff.webhooks import USER_AGENT, WebhookDispatcher, sign, verify
from app.store import Database
from app.store.webhooks import Delivery, WebhookOutbox
from tests.support.webhook_receiver import Receiver

SECRET = "whsec-7d1f0c2e9a4b"
SECRET_ENV = "ACME_WEBHOOK_SECRET"
PAYLOAD = {"conversation_id": "c-1", "queue": "general", "priority": "high", "note": "Tomás wants a human"}


@pytest.fixture
def outbox(database: Database) -> WebhookOutbox:
    return WebhookOutbox(database)  # on SQLite and on PostgreSQL


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
async def dispatcher_for(outbox: WebhookOutbox) -> AsyncIterator[Callable[..., WebhookDispatcher]]:
    made: list[WebhookDispatcher] = []

    def make(**options: object) -> WebhookDispatcher:
        # The receivers here listen on 127.0.0.1: a tenant that opted in to private webhooks.
        options = {"env": {SECRET_ENV: SECRET}, "backoff": lambda attempt: 0.0,
                   "private_allowed": lambda tenant: True, **options}
        made.append(WebhookDispatcher(outbox, **options))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for dispatcher in made:
        await dispatcher.close()


def hook(url: str, events: list[str] | None = None, secret_env: str = SECRET_ENV) -> Webhook:
    return Webhook(url=url, secret_env=secret_env, **({"events": events} if events is not None else {}))


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


async def only(outbox: WebhookOutbox) -> Delivery:
    rows = await outbox.list()
    assert len(rows) == 1, rows
    return rows[0]


async def delivered(outbox: WebhookOutbox, delivery_id: str, within: float = 5.0) -> bool:
    """Whether the delivery is marked delivered within `within` seconds (polled)."""
    for _ in range(int(within / 0.01)):
        row = await outbox.get(delivery_id)
        if row is not None and row.status == "delivered":
            return True
        await asyncio.sleep(0.01)
    return False


async def test_a_delivery_is_signed_over_exactly_the_stored_body(outbox, receiver, dispatcher_for) -> None:
    [delivery_id] = await outbox.enqueue("brightwave", "handoff.requested", PAYLOAD, [hook(receiver.url)])
    stored = await outbox.get(delivery_id)
    assert stored is not None and stored.status == "pending" and stored.attempts == 0

    assert await dispatcher_for().deliver_due() == 1

    [request] = receiver.requests
    assert request.path == "/hooks/frontline" and request.body == stored.body.encode()
    assert verify(SECRET, request.headers["x-frontline-signature"], request.body, now=int(time.time()))
    assert request.headers["x-frontline-event"] == "handoff.requested"
    assert request.headers["x-frontline-delivery"] == delivery_id
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    envelope = json.loads(request.body)
    assert envelope == {"id": delivery_id, "event": "handoff.requested", "tenant": "brightwave",
                        "created_at": stored.created_at, "data": PAYLOAD}
    done = await outbox.get(delivery_id)
    assert done is not None and done.status == "delivered" and done.attempts == 1 and done.delivered_at
    assert await dispatcher_for().deliver_due() == 0 and len(receiver.requests) == 1


async def test_only_subscribed_hooks_get_an_event(outbox) -> None:
    everything = hook("https://helpdesk.example/all")
    incidents = hook("https://pager.example/incidents", ["incident.opened"])
    claimed = await outbox.enqueue("brightwave", "handoff.claimed", PAYLOAD, [everything, incidents])
    opened = await outbox.enqueue("brightwave", "incident.opened", {"topic": "login"}, [everything, incidents])
    assert await outbox.enqueue("brightwave", "csat.recorded", {}, [incidents]) == []
    assert await outbox.enqueue("brightwave", "handoff.claimed", PAYLOAD, []) == []

    rows = await outbox.list()
    assert len(claimed) == 1 and len(opened) == 2 and len(rows) == 3
    assert [(r.event, r.url) for r in rows] == [("handoff.claimed", everything.url),
                                                ("incident.opened", everything.url),
                                                ("incident.opened", incidents.url)]
    assert {r.id for r in rows} == {*claimed, *opened}
    assert await outbox.list(tenant="other") == [] and len(await outbox.list(status="pending")) == 3


async def test_a_server_error_is_retried_and_delivered_once(outbox, dispatcher_for) -> None:
    receiver = Receiver(statuses=(500,)).start()
    try:
        [delivery_id] = await outbox.enqueue("brightwave", "handoff.resolved", PAYLOAD, [hook(receiver.url)])
        dispatcher = dispatcher_for()
        assert await dispatcher.deliver_due() == 1
        waiting = await outbox.get(delivery_id)
        assert waiting is not None and (waiting.status, waiting.attempts) == ("pending", 1)
        assert waiting.last_error == "HTTP 500"

        assert await dispatcher.deliver_due() == 1
        assert await dispatcher.deliver_due() == 0
    finally:
        receiver.stop()
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["x-frontline-delivery"] == second.headers["x-frontline-delivery"] == delivery_id
    assert verify(SECRET, second.headers["x-frontline-signature"], second.body, now=int(time.time()))
    done = await outbox.get(delivery_id)
    assert done is not None and (done.status, done.attempts) == ("delivered", 2)
    assert SECRET not in json.dumps(asdict(done))


async def test_a_receiver_that_is_down_is_retried_then_given_up(outbox, dispatcher_for, caplog) -> None:
    url = closed_port_url()
    [delivery_id] = await outbox.enqueue("brightwave", "handoff.follow_up", PAYLOAD, [hook(url)])
    dispatcher = dispatcher_for(max_attempts=3)
    for attempts in (1, 2):
        assert await dispatcher.deliver_due() == 1
        row = await outbox.get(delivery_id)
        assert row is not None and (row.status, row.attempts) == ("pending", attempts)
        assert row.last_error and row.last_error.startswith("connection failed")
    with caplog.at_level(logging.WARNING, logger="app.handoff.webhooks"):
        assert await dispatcher.deliver_due() == 1
    row = await outbox.get(delivery_id)
    assert row is not None and (row.status, row.attempts) == ("failed", 3)
    assert await dispatcher.deliver_due() == 0
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert delivery_id in warning.getMessage() and "handoff.follow_up" in warning.getMessage()
    assert url in warning.getMessage() and "3 attempts" in warning.getMessage()


async def test_backoff_spaces_out_the_attempts(outbox, dispatcher_for) -> None:
    [delivery_id] = await outbox.enqueue("brightwave", "handoff.claimed", PAYLOAD, [hook(closed_port_url())])
    dispatcher = dispatcher_for(backoff=lambda attempt: 3600.0)
    assert await dispatcher.deliver_due() == 1
    assert await dispatcher.deliver_due() == 0  # not due again for an hour
    row = await outbox.get(delivery_id)
    assert row is not None and row.attempts == 1 and row.next_attempt_at > row.created_at


async def test_a_missing_secret_is_a_failed_attempt_that_names_the_variable(outbox, receiver, dispatcher_for,
                                                                           caplog) -> None:
    other = "s3cr3t-of-another-tenant"
    [delivery_id] = await outbox.enqueue("brightwave", "handoff.requested", PAYLOAD, [hook(receiver.url)])
    dispatcher = dispatcher_for(env={"OTHER_WEBHOOK_SECRET": other, SECRET_ENV: ""}, max_attempts=2)
    with caplog.at_level(logging.INFO, logger="app.handoff.webhooks"):
        assert await dispatcher.deliver_due() == 1
        row = await outbox.get(delivery_id)
        assert row is not None and (row.status, row.attempts) == ("pending", 1)
        assert await dispatcher.deliver_due() == 1
    row = await outbox.get(delivery_id)
    assert row is not None and (row.status, row.attempts) == ("failed", 2)
    assert row.last_error and SECRET_ENV in row.last_error
    assert other not in json.dumps(asdict(row)) and SECRET not in json.dumps(asdict(row))
    assert receiver.requests == []  # nothing unsigned ever leaves
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and all(SECRET_ENV in message for message in errors)
    assert other not in caplog.text


async def test_redirects_are_not_followed(outbox, dispatcher_for) -> None:
    receiver = Receiver(statuses=(302,)).start()
    try:
        [delivery_id] = await outbox.enqueue("brightwave", "handoff.claimed", PAYLOAD, [hook(receiver.url)])
        assert await dispatcher_for().deliver_due() == 1
    finally:
        receiver.stop()
    row = await outbox.get(delivery_id)
    assert len(receiver.requests) == 1
    assert row is not None and row.status == "pending" and row.last_error == "HTTP 302 (redirects are not followed)"


async def test_a_slow_receiver_times_out(outbox, dispatcher_for) -> None:
    receiver = Receiver(delay=0.6).start()
    try:
        [delivery_id] = await outbox.enqueue("brightwave", "handoff.claimed", PAYLOAD, [hook(receiver.url)])
        started = time.monotonic()
        assert await dispatcher_for(timeout=0.2).deliver_due() == 1
        assert time.monotonic() - started < 0.55
        await asyncio.sleep(0.6)  # let the receiver finish its answer before it is stopped
    finally:
        receiver.stop()
    row = await outbox.get(delivery_id)
    assert row is not None and row.status == "pending" and row.last_error == "timed out after 0.2 s"


async def test_a_huge_answer_is_not_read_to_the_end(outbox, dispatcher_for) -> None:
    receiver = Receiver(answer_size=20_000_000).start()
    try:
        [delivery_id] = await outbox.enqueue("brightwave", "handoff.claimed", PAYLOAD, [hook(receiver.url)])
        started = time.monotonic()
        assert await dispatcher_for().deliver_due() == 1
        assert time.monotonic() - started < 2
    finally:
        receiver.stop()
    row = await outbox.get(delivery_id)
    assert row is not None and row.status == "delivered"


def test_verify_accepts_a_good_signature_and_rejects_everything_else() -> None:
    body, t = b'{"event":"handoff.requested","id":"d-1"}', 1_790_000_000
    header = sign(SECRET, body, t)
    assert header.startswith(f"t={t},v1=") and len(header.split("v1=")[1]) == 64
    assert verify(SECRET, header, body, now=t) and verify(SECRET, header, body, now=t + 300)
    assert verify(SECRET, f"{header},v1={'0' * 64}", body, now=t)  # a second signature during a rotation
    assert not verify(SECRET, header, body.replace(b"d-1", b"d-2"), now=t)  # tampered body
    assert not verify("whsec-wrong", header, body, now=t)  # wrong secret
    assert not verify(SECRET, header, body, now=t + 301)  # stale: a replay
    assert not verify(SECRET, header, body, now=t - 301)  # from the future
    signature = header.split("v1=")[1]
    for garbage in ("", "garbage", ",", "t=", f"v1={signature}", f"t={t}", f"t=abc,v1={signature}",
                    f"t={t},t={t},v1={signature}", f"t=-{t},v1={signature}", f"t={t},v1=zz",
                    f"t=١٢٣,v1={signature}", f"t={t};v1={signature}", f"t={t},v1={signature[:-1]}é",
                    f"t={'9' * 400},v1={signature}", "\x00\xff" * 50):
        assert not verify(SECRET, garbage, body, now=t), garbage
    for odd in (None, 42, b"t=1,v1=00"):
        assert not verify(SECRET, odd, body, now=t)  # type: ignore[arg-type]
    assert not verify(SECRET, header, body.decode(), now=t)  # type: ignore[arg-type]
    assert not verify("", sign("", body, t), body, now=t)
    assert not verify(None, header, body, now=t)  # type: ignore[arg-type]


async def test_run_delivers_promptly_when_woken_and_cancels_cleanly(outbox, receiver, dispatcher_for) -> None:
    dispatcher = dispatcher_for()
    task = asyncio.create_task(dispatcher.run(interval=60))
    await asyncio.sleep(0.05)  # the first round found nothing; the next is a minute away
    [delivery_id] = await outbox.enqueue("brightwave", "handoff.requested", PAYLOAD, [hook(receiver.url)])
    dispatcher.wake()
    started = time.monotonic()
    assert await delivered(outbox, delivery_id)
    assert time.monotonic() - started < 2 and len(receiver.requests) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def test_run_keeps_going_after_a_failed_round(outbox, receiver, dispatcher_for, monkeypatch, caplog) -> None:
    real_due, calls = outbox.due, []

    async def flaky_due(now: str, limit: int = 50) -> list[Delivery]:
        calls.append(now)
        if len(calls) == 1:
            raise StoreError("The database is unavailable: database is locked")
        return await real_due(now, limit)

    monkeypatch.setattr(outbox, "due", flaky_due)
    [delivery_id] = await outbox.enqueue("brightwave", "handoff.requested", PAYLOAD, [hook(receiver.url)])
    task = asyncio.create_task(dispatcher_for().run(interval=0.01))
    try:
        assert await delivered(outbox, delivery_id)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert "webhook delivery round failed" in caplog.text and "database is locked" in caplog.text


async def test_an_event_enqueued_in_a_rolled_back_transaction_is_never_sent(outbox) -> None:
    with pytest.raises(RuntimeError):
        async with outbox.db.transaction() as tx:
            await outbox.enqueue("brightwave", "handoff.requested", PAYLOAD, [hook("https://h.example")], tx=tx)
            raise RuntimeError("the handoff itself failed")
    assert await outbox.list() == []
    async with outbox.db.transaction() as tx:
        ids = await outbox.enqueue("brightwave", "handoff.requested", PAYLOAD, [hook("https://h.example")], tx=tx)
    assert [r.id for r in await outbox.list()] == ids


def local_name_url(receiver: Receiver) -> str:
    """The receiver's URL under this machine's own name: a name (not an address) that resolves to
    a loopback or private address, as a rebinding DNS name would at delivery time."""
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except OSError:
        pytest.skip(f"this machine's name {name} does not resolve")
    if all(ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses):
        pytest.skip(f"this machine's name {name} resolves to public addresses only")
    return receiver.url.replace("127.0.0.1", name)


@pytest.mark.parametrize("where", ["address", "name"])
async def test_a_webhook_to_a_private_address_is_not_posted_without_the_opt_in(
        outbox, receiver, dispatcher_for, caplog, where) -> None:
    url = receiver.url if where == "address" else local_name_url(receiver)
    [delivery_id] = await outbox.enqueue("brightwave", "handoff.requested", PAYLOAD, [hook(url)])
    with caplog.at_level(logging.WARNING, logger="app.handoff.webhooks"):
        assert await dispatcher_for(private_allowed=lambda tenant: False).deliver_due() == 1
    assert receiver.requests == []
    refused = await outbox.get(delivery_id)
    assert refused is not None and refused.status == "pending" and refused.last_error
    assert url in refused.last_error and "loopback" in refused.last_error, refused.last_error
    assert "allow_private_webhooks" in refused.last_error
    assert f"webhook {delivery_id} refused" in caplog.text


async def test_a_public_address_is_posted_to_as_resolved() -> None:
    target = await resolve_public("https://93.184.216.34:8443/hooks?x=1")
    assert (target.url, target.host, target.address) == ("https://93.184.216.34:8443/hooks?x=1",
                                                         "93.184.216.34", "93.184.216.34")
    for url in ("http://[::1]/h", "http://[fd00:ec2::254]/h", "http://100.64.0.1/h", "http://0.0.0.0/h"):
        with pytest.raises(WebhookTargetError, match="points to"):
            await resolve_public(url)
