"""The REST connector against a real HTTP server on 127.0.0.1 (tests/support/fake_company_api.py)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core import metrics
from app.core.errors import ConfigError, ConnectorError
from connectors.base import (
    AccountSystem,
    BillingSystem,
    CustomerDirectory,
    OrderItem,
    OrderSystem,
    Receipt,
    TicketSystem,
)
from connectors.registry import ConnectorContext, open_connector
from connectors.rest import RestConnector
from connectors.rest_config import load_config
from tests.support.fake_company_api import (
    TOKEN,
    FakeCompanyAPI,
    answer,
    connector_options,
    drop,
    huge,
    not_json,
    slow,
)

ORDERS = "/customers/cus_1/orders"


def options(api: FakeCompanyAPI, **overrides: Any) -> dict[str, Any]:
    """The tenant options for the fake company, as an operator would write them."""
    return connector_options(api.url, "FAKE_COMPANY_TOKEN", **overrides)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCompanyAPI]:
    monkeypatch.setenv("FAKE_COMPANY_TOKEN", TOKEN)
    server = FakeCompanyAPI().start()
    yield server
    server.stop()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def make(api: FakeCompanyAPI, sleeps: list[float], clock: Clock
               ) -> AsyncIterator[Callable[..., RestConnector]]:
    """Build connectors for the fake company (option overrides as keywords); all are closed afterwards."""
    made: list[RestConnector] = []

    async def no_wait(seconds: float) -> None:
        sleeps.append(seconds)

    def build(**overrides: Any) -> RestConnector:
        connector = RestConnector(load_config(options(api, **overrides)), sleep=no_wait, clock=clock)
        made.append(connector)
        return connector

    yield build
    for connector in made:
        await connector.close()


@pytest.fixture
def rest(make: Callable[..., RestConnector]) -> RestConnector:
    return make()


# Mapping


async def test_reads_map_the_company_records(rest: RestConnector, api: FakeCompanyAPI) -> None:
    customer = await rest.customer("cus_1")
    assert customer is not None
    assert (customer.id, customer.name, customer.email, customer.plan) == (
        "cus_1", "Maya Thompson", "maya@example.com", "pro")
    assert customer.annual_contract_value == 200.0  # a decimal string
    assert customer.sla_tier == "standard"  # from `defaults`
    assert customer.language == "en" and customer.renewal_date == "2027-03-01"

    orders = await rest.orders("cus_1")
    assert [o.id for o in orders] == ["BW-2", "BW-1"]  # newest first
    delivered, processing = orders
    assert (delivered.status, delivered.carrier, delivered.tracking_number) == ("delivered", "DHL", "948219")
    assert processing.total == 188.0 and processing.currency == "USD" and processing.carrier is None
    assert processing.customer_id == "cus_1"
    assert processing.items == (OrderItem("BW-HUB", "Hub", 1, 129.0), OrderItem("BW-CLAMP", "Clamp", 1, 59.0))

    order = await rest.order("cus_1", "BW-1")
    assert order == processing

    invoices = await rest.invoices("cus_1")
    assert [(i.id, i.status, i.description) for i in invoices] == [
        ("INV-2", "open", ""), ("INV-1", "paid", "Pro plan, September")]

    (subscription,) = await rest.subscriptions("cus_1")
    assert (subscription.id, subscription.plan, subscription.billing_period) == ("sub_1", "pro", "monthly")

    assert {(r.method, r.path) for r in api.requests} == {
        ("GET", "/customers/cus_1"), ("GET", ORDERS), ("GET", "/customers/cus_1/orders/BW-1"),
        ("GET", "/customers/cus_1/invoices"), ("GET", "/customers/cus_1/subscriptions")}
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in api.requests)
    assert all(r.headers["accept"] == "application/json" for r in api.requests)


async def test_writes_send_their_arguments_and_map_receipts(rest: RestConnector, api: FakeCompanyAPI) -> None:
    assert await rest.cancel_order("cus_1", "BW-1", idempotency_key="k-cancel") == Receipt("BW-1", "done")
    assert api.data["orders"]["BW-1"]["state"] == "cancelled"
    assert await rest.cancel_order("cus_1", "BW-1", idempotency_key="k-cancel") == Receipt(
        "BW-1", "done", replayed=True)
    api.data["orders"]["BW-1"]["state"] = "processing"
    assert await rest.change_shipping_address("cus_1", "BW-1", "2 Elm St", idempotency_key="k-addr") == Receipt(
        "BW-1", "done")
    assert await rest.send_invoice_copy("cus_1", "INV-1", idempotency_key="k-inv") == Receipt("INV-1", "done")
    assert await rest.request_refund("cus_1", order_id="BW-2", invoice_id=None, amount=59.0, reason="broken",
                                     idempotency_key="k-refund") == Receipt("RF-5001", "submitted")
    assert await rest.cancel_subscription("cus_1", "sub_1", idempotency_key="k-sub") == Receipt("sub_1", "done")
    assert await rest.send_password_reset("maya@example.com", idempotency_key="k-reset") == Receipt("reset", "done")
    assert await rest.create_ticket(customer_id=None, email="guest@example.com", subject="Hello", body="Help",
                                    priority="high", idempotency_key="k-ticket") == Receipt("TK-7001", "done")

    writes = [r for r in api.requests if r.method == "POST"]
    assert [(r.path, r.headers["idempotency-key"], r.body) for r in writes] == [
        ("/customers/cus_1/orders/BW-1/cancel", "k-cancel", {}),
        ("/customers/cus_1/orders/BW-1/cancel", "k-cancel", {}),
        ("/customers/cus_1/orders/BW-1/address", "k-addr", {"address": "2 Elm St"}),
        ("/customers/cus_1/invoices/INV-1/send", "k-inv", {}),
        ("/customers/cus_1/refunds", "k-refund",
         {"order_id": "BW-2", "invoice_id": None, "amount": 59.0, "reason": "broken"}),
        ("/customers/cus_1/subscriptions/sub_1/cancel", "k-sub", {}),
        ("/password-resets", "k-reset", {"email": "maya@example.com"}),
        ("/tickets", "k-ticket", {"customer_id": None, "email": "guest@example.com", "subject": "Hello",
                                  "body": "Help", "priority": "high"}),
    ]
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in writes)
    assert [action for action, _ in api.executed] == [
        "cancel", "address", "send_invoice", "refund", "cancel_subscription", "password_reset", "ticket"]


async def test_409_and_422_are_rejected_receipts(rest: RestConnector, api: FakeCompanyAPI) -> None:
    assert await rest.cancel_order("cus_1", "BW-2", idempotency_key="k1") == Receipt(
        "", "rejected", "not_cancellable")
    assert await rest.send_invoice_copy("cus_1", "INV-3", idempotency_key="k2") == Receipt(
        "", "rejected", "unknown_invoice")  # an `error` object's code
    assert await rest.request_refund("cus_1", order_id="BW-2", invoice_id=None, amount=500, reason="x",
                                     idempotency_key="k3") == Receipt("", "rejected", "amount_exceeds_charge")
    api.fail("POST", "/tickets", answer(409), answer(422, {"error": "duplicate_ticket", "reference": "TK-1"}))
    ticket = {"customer_id": "cus_1", "email": None, "subject": "s", "body": "b", "priority": "low"}
    assert await rest.create_ticket(**ticket, idempotency_key="k4") == Receipt("", "rejected", "http_409")
    assert await rest.create_ticket(**ticket, idempotency_key="k5") == Receipt("TK-1", "rejected", "duplicate_ticket")
    assert rest.breaker_state == "closed"


async def test_receipt_renames_and_bad_receipts(make: Callable[..., RestConnector], api: FakeCompanyAPI) -> None:
    rest = make(fields={"receipt": {"reference": "id", "status": "result.state"}})
    api.fail("POST", "/tickets", answer(201, {"id": 42, "result": {"state": "submitted"}}),
             answer(201, {"id": "TK-9", "result": {"state": "ok"}}), answer(201, {"id": "TK-9"}))
    ticket = {"customer_id": "cus_1", "email": None, "subject": "s", "body": "b", "priority": "low"}
    assert await rest.create_ticket(**ticket, idempotency_key="k1") == Receipt("42", "submitted")
    with pytest.raises(ConnectorError, match="create_ticket: the response has status 'ok'"):
        await rest.create_ticket(**ticket, idempotency_key="k2")
    with pytest.raises(ConnectorError, match=r"create_ticket: the response has no 'result.state' \(status\)"):
        await rest.create_ticket(**ticket, idempotency_key="k3")


async def test_malformed_records_name_the_operation_and_field(rest: RestConnector, api: FakeCompanyAPI) -> None:
    good = api.data["orders"]["BW-1"]
    api.fail("GET", ORDERS,
             answer(200, {"data": [good, {k: v for k, v in good.items() if k != "state"}]}),
             answer(200, {"data": [{**good, "total": {"amount": "lots", "currency": "USD"}}]}),
             answer(200, {"data": [{**good, "lines": [{"sku": "A", "name": "A", "quantity": 1.5, "unit_price": 1}]}]}),
             answer(200, {"data": ["BW-1"]}),
             answer(200, {"items": []}),
             answer(200, [good]))
    with pytest.raises(ConnectorError, match=r"^orders: record 2 has no 'state' \(status\)$"):
        await rest.orders("cus_1")
    with pytest.raises(ConnectorError, match="orders: record 1 has 'total.amount' of type str, expected a number"):
        await rest.orders("cus_1")
    with pytest.raises(ConnectorError, match="orders: record 1 item 1 has 'quantity' of type float"):
        await rest.orders("cus_1")
    with pytest.raises(ConnectorError, match="orders: record 1 is not a JSON object"):
        await rest.orders("cus_1")
    with pytest.raises(ConnectorError, match="orders: the response has no list at 'data'"):
        await rest.orders("cus_1")
    with pytest.raises(ConnectorError, match="orders: the response has no list at 'data'"):
        await rest.orders("cus_1")
    assert rest.breaker_state == "closed"


# The customer boundary and the path


async def test_not_found_is_none_or_empty(rest: RestConnector) -> None:
    assert await rest.customer("cus_404") is None
    assert await rest.order("cus_1", "BW-404") is None
    assert await rest.orders("cus_404") == []
    assert await rest.invoices("cus_404") == []
    assert await rest.subscriptions("cus_404") == []


async def test_records_of_another_customer_are_dropped(rest: RestConnector, api: FakeCompanyAPI,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    api.leak = True
    with caplog.at_level(logging.WARNING, logger="connectors.rest"):
        assert [o.id for o in await rest.orders("cus_1")] == ["BW-2", "BW-1"]
        assert [i.id for i in await rest.invoices("cus_1")] == ["INV-2", "INV-1"]
        assert [s.id for s in await rest.subscriptions("cus_1")] == ["sub_1"]
        assert await rest.order("cus_1", "BW-3") is None
        api.fail("GET", "/customers/cus_1", answer(200, api.data["customers"]["cus_2"]))
        assert await rest.customer("cus_1") is None
    drops = [r.getMessage() for r in caplog.records if "another customer" in r.getMessage()]
    others = sum(r["customer_id"] != "cus_1" for kind in ("orders", "invoices", "subscriptions")
                 for r in api.data[kind].values())
    assert len(drops) == others + 2  # every list's foreign records, the foreign order, the foreign customer
    assert all("cus_2" not in message for message in drops)


@pytest.mark.parametrize(("order_id", "sent"), [
    ("../admin", "/customers/cus_1/orders/..%2Fadmin"),
    ("..", "/customers/cus_1/orders/%2E%2E"),
    ("BW-1?expand=all#x", "/customers/cus_1/orders/BW-1%3Fexpand%3Dall%23x"),
    ("a b/c%2F", "/customers/cus_1/orders/a%20b%2Fc%252F"),
])
async def test_hostile_ids_cannot_change_the_path(rest: RestConnector, api: FakeCompanyAPI, order_id: str,
                                                  sent: str) -> None:
    assert await rest.order("cus_1", order_id) is None
    assert [r.path for r in api.requests] == [sent]


async def test_empty_ids_are_refused(rest: RestConnector, api: FakeCompanyAPI) -> None:
    with pytest.raises(ConnectorError, match="order: empty order_id"):
        await rest.order("cus_1", "")
    assert api.requests == []


# Failures, retries and the breaker


async def test_timeout_then_success(make: Callable[..., RestConnector], api: FakeCompanyAPI,
                                    sleeps: list[float]) -> None:
    rest = make(timeout_seconds=0.15)
    api.fail("GET", ORDERS, slow(0.4))
    assert [o.id for o in await rest.orders("cus_1")] == ["BW-2", "BW-1"]
    assert len(api.requests_to(ORDERS)) == 2 and len(sleeps) == 1


async def test_5xx_and_dropped_connections_are_retried(rest: RestConnector, api: FakeCompanyAPI,
                                                       sleeps: list[float]) -> None:
    api.fail("GET", ORDERS, answer(503), drop())
    assert len(await rest.orders("cus_1")) == 2
    assert len(api.requests_to(ORDERS)) == 3
    assert len(sleeps) == 2 and 0.0005 <= sleeps[0] <= 0.001 and 0.001 <= sleeps[1] <= 0.002  # doubling, jittered


async def test_retry_after_is_honoured_up_to_the_cap(make: Callable[..., RestConnector], api: FakeCompanyAPI,
                                                     sleeps: list[float]) -> None:
    rest = make(max_retry_after_seconds=1.5)
    api.fail("GET", ORDERS, answer(429, **{"Retry-After": "1"}), answer(503, **{"Retry-After": "120"}))
    assert len(await rest.orders("cus_1")) == 2
    assert sleeps == [1.0, 1.5]


async def test_5xx_exhausted_is_a_connector_error(rest: RestConnector, api: FakeCompanyAPI,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    api.fail("GET", ORDERS, answer(500), answer(502), answer(503))
    with pytest.raises(ConnectorError) as raised:
        await rest.orders("cus_1")
    assert str(raised.value) == "orders (GET /customers/{customer_id}/orders): HTTP 503 on the last of 3 attempts"
    assert len(api.requests_to(ORDERS)) == 3
    assert any("HTTP 503 on the last of 3 attempts" in r.getMessage() for r in caplog.records)


async def test_refused_credentials_are_not_retried(make: Callable[..., RestConnector], api: FakeCompanyAPI,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("FAKE_COMPANY_TOKEN", "tok-expired-0000")
    rest = make()
    with pytest.raises(ConnectorError, match=r"refused the API credentials \(HTTP 401\)"):
        await rest.customer("cus_1")
    api.fail("GET", ORDERS, answer(403))
    with pytest.raises(ConnectorError, match=r"refused the API credentials \(HTTP 403\)"):
        await rest.orders("cus_1")
    assert len(api.requests) == 2
    assert rest.breaker_state == "closed"
    assert not any("tok-expired" in r.getMessage() for r in caplog.records)


async def test_the_auth_value_never_appears_in_errors_or_logs(make: Callable[..., RestConnector],
                                                               api: FakeCompanyAPI,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    rest = make(timeout_seconds=0.15, retries=1)
    api.fail("GET", ORDERS, answer(500), answer(500), slow(0.3), slow(0.3), not_json())
    api.fail("POST", "/tickets", answer(409, {"reason": f"token {TOKEN} is not allowed here"}))
    messages = []
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            with pytest.raises(ConnectorError) as raised:
                await rest.orders("cus_1")
            messages.append(str(raised.value))
        receipt = await rest.create_ticket(customer_id="cus_1", email=None, subject="s", body="b", priority="low",
                                           idempotency_key="k")
    assert receipt == Receipt("", "rejected", "token [redacted] is not allowed here")
    assert "timed out after 0.15 s on the last of 2 attempts" in messages[1]
    assert "not JSON" in messages[2]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in " ".join(messages) and TOKEN not in logged
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in api.requests)  # it was sent, though


async def test_unreadable_bodies_are_not_retried(make: Callable[..., RestConnector], api: FakeCompanyAPI) -> None:
    rest = make(max_response_bytes=10_000)
    api.fail("GET", ORDERS, not_json(), huge(200_000), huge(200_000, declare_length=False))
    with pytest.raises(ConnectorError, match="HTTP 200 with a body that is not JSON"):
        await rest.orders("cus_1")
    with pytest.raises(ConnectorError, match="larger than the 10000-byte limit"):
        await rest.orders("cus_1")
    with pytest.raises(ConnectorError, match="larger than the 10000-byte limit"):
        await rest.orders("cus_1")
    assert len(api.requests_to(ORDERS)) == 3


async def test_other_client_errors_are_connector_errors(rest: RestConnector, api: FakeCompanyAPI) -> None:
    api.fail("GET", ORDERS, answer(400, {"error": "bad_request"}))
    with pytest.raises(ConnectorError, match="the company API answered HTTP 400"):
        await rest.orders("cus_1")
    api.fail("POST", "/customers/cus_1/orders/BW-1/cancel", answer(404, {"error": "no_such_route"}))
    with pytest.raises(ConnectorError, match="HTTP 404"):  # on a write, a 404 is a wrong path, not a rejection
        await rest.cancel_order("cus_1", "BW-1", idempotency_key="k")
    assert len(api.requests) == 2


async def test_breaker_opens_fails_fast_and_half_opens(make: Callable[..., RestConnector], api: FakeCompanyAPI,
                                                       clock: Clock) -> None:
    rest = make(retries=0, breaker={"failures": 2, "reset_seconds": 30})
    api.fail("GET", ORDERS, answer(503), answer(503))
    for _ in range(2):
        with pytest.raises(ConnectorError, match=r"HTTP 503 \(1 attempt, no retries configured\)$"):
            await rest.orders("cus_1")
    assert rest.breaker_state == "open"
    with pytest.raises(ConnectorError, match=r"unavailable \(circuit breaker open after 2 consecutive failures"):
        await rest.customer("cus_1")
    assert len(api.requests) == 2  # failed fast, without a request

    clock.now += 30
    assert rest.breaker_state == "half_open"
    api.fail("GET", ORDERS, answer(500))
    with pytest.raises(ConnectorError, match="HTTP 500"):
        await rest.orders("cus_1")  # the trial call fails: open again, for another reset period
    assert rest.breaker_state == "open"
    clock.now += 29
    with pytest.raises(ConnectorError, match="circuit breaker"):
        await rest.orders("cus_1")
    clock.now += 1
    assert len(await rest.orders("cus_1")) == 2  # the trial succeeds
    assert rest.breaker_state == "closed"
    assert len(api.requests) == 4


async def test_failures_show_in_the_metrics_by_connector_and_operation(api: FakeCompanyAPI, clock: Clock) -> None:
    series = metrics.Metrics()
    previous = metrics.install(series)
    rest = RestConnector(load_config(options(api, retries=0, breaker={"failures": 2, "reset_seconds": 30})),
                         name="acme REST connector", clock=clock)
    try:
        api.fail("GET", ORDERS, answer(503), answer(503))
        for _ in range(2):
            with pytest.raises(ConnectorError):
                await rest.orders("cus_1")
        with pytest.raises(ConnectorError, match="circuit breaker"):
            await rest.customer("cus_1")
    finally:
        metrics.install(previous)
        await rest.close()
    errors = {op: series.value("frontline_connector_errors_total", {"connector": "acme REST connector",
                                                                    "operation": op})
              for op in ("orders", "customer")}
    assert errors == {"orders": 2.0, "customer": 1.0}
    assert series.value("frontline_circuit_breaker_state", {"breaker": "acme REST connector"}) == 2


async def test_a_retried_write_keeps_its_key_and_runs_once(make: Callable[..., RestConnector],
                                                           api: FakeCompanyAPI) -> None:
    rest = make(timeout_seconds=0.15)
    path = "/customers/cus_1/orders/BW-1/cancel"
    api.fail("POST", path, slow(0.4))  # the first attempt is carried out, but after the client gave up
    receipt = await rest.cancel_order("cus_1", "BW-1", idempotency_key="conv-1:cancel")
    api.wait_idle()
    assert (receipt.reference, receipt.status) == ("BW-1", "done")
    assert [r.headers["idempotency-key"] for r in api.requests_to(path)] == ["conv-1:cancel"] * 2
    assert api.executed == [("cancel", "conv-1:cancel")]

    api.fail("POST", "/customers/cus_1/refunds", answer(502), drop())
    receipt = await rest.request_refund("cus_1", order_id=None, invoice_id="INV-1", amount=20, reason="twice",
                                        idempotency_key="conv-2:refund")
    assert receipt == Receipt("RF-5001", "submitted")
    assert [r.headers["idempotency-key"] for r in api.requests_to("/customers/cus_1/refunds")] == [
        "conv-2:refund"] * 3
    assert api.executed[1:] == [("refund", "conv-2:refund")]


async def test_an_operation_without_an_endpoint_is_not_configured(make: Callable[..., RestConnector],
                                                                  api: FakeCompanyAPI) -> None:
    endpoints = options(api)["endpoints"]
    rest = make(endpoints={k: v for k, v in endpoints.items() if k != "create_ticket"})
    with pytest.raises(ConnectorError, match="create_ticket is not configured for this company"):
        await rest.create_ticket(customer_id=None, email="a@example.com", subject="s", body="b", priority="low",
                                 idempotency_key="k")
    assert api.requests == []


# Configuration


@pytest.mark.parametrize(("change", "message"), [
    (lambda o: o.pop("base_url"), "connector.options.base_url: Field required"),
    (lambda o: o.update(base_url="ftp://files.example.com"), "connector.options.base_url: expected an http(s) URL"),
    (lambda o: o["endpoints"].update(refunds={"method": "POST", "path": "/refunds"}),
     "connector.options.endpoints.refunds: unknown operation"),
    (lambda o: o["endpoints"]["order"].update(path="/orders/{orderid}"),
     "connector.options.endpoints.order: unknown placeholder {orderid}"),
    (lambda o: o["endpoints"]["create_ticket"].update(path="/tickets/{customer_id}"),
     "connector.options.endpoints.create_ticket: unknown placeholder {customer_id}"),
    (lambda o: o["endpoints"]["order"].update(path="/orders/{order_id!r}"),
     "connector.options.endpoints.order: placeholder {order_id} takes no format or conversion"),
    (lambda o: o["endpoints"]["order"].update(path="/orders/{order_id"),
     "connector.options.endpoints.order.path: expected '}'"),
    (lambda o: o["endpoints"]["order"].update(path="orders/{order_id}"),
     "connector.options.endpoints.order.path: must start with '/'"),
    (lambda o: o["endpoints"]["order"].update(method="FETCH"), "connector.options.endpoints.order.method: Input"),
    (lambda o: o["endpoints"]["cancel_order"].update(method="GET"),
     "connector.options.endpoints.cancel_order.method: a write sends a JSON body"),
    (lambda o: o["endpoints"]["order"].update(items="data"), "connector.options.endpoints.order.items:"),
    (lambda o: o["endpoints"]["orders"].update(verb="GET"), "connector.options.endpoints.orders.verb: Extra inputs"),
    (lambda o: o.update(endpoints={}), "connector.options.endpoints: configure at least one operation"),
    (lambda o: o.update(auth={"value": "Bearer ${NOT_SET_ANYWHERE}"}),
     "connector.options.auth.value: environment variable NOT_SET_ANYWHERE is not set"),
    (lambda o: o.update(auth={"header": "X Key", "value": "k"}), "connector.options.auth.header:"),
    (lambda o: o.update(retries=-1), "connector.options.retries: Input should be greater than or equal to 0"),
    (lambda o: o.update(timeout_seconds=0), "connector.options.timeout_seconds: Input should be greater than 0"),
    (lambda o: o.update(fields={"orders": {"id": "number"}}), "connector.options.fields.orders: unknown record kind"),
    (lambda o: o.update(fields={"order": {"number": "id"}}), "connector.options.fields.order.number: unknown field"),
    (lambda o: o.update(defaults={"customer": {"tier": "x"}}), "connector.options.defaults.customer.tier: unknown"),
    (lambda o: o.update(defaults={"customer": {"annual_contract_value": "n/a"}}),
     "connector.options.defaults.customer.annual_contract_value: a value of type str, expected a number"),
])
def test_malformed_options_name_the_option(api: FakeCompanyAPI, change: Callable[[dict[str, Any]], Any],
                                           message: str) -> None:
    broken = options(api)
    change(broken)
    with pytest.raises(ConfigError) as raised:
        load_config(broken)
    assert str(raised.value).startswith(message), str(raised.value)
    assert TOKEN not in str(raised.value)


async def test_open_through_the_registry(api: FakeCompanyAPI, tmp_path: Path) -> None:
    context = ConnectorContext(tenant="acme", tenant_root=tmp_path, data_dir=tmp_path)
    connector = await open_connector("rest", options(api), context)
    try:
        assert isinstance(connector, RestConnector)
        for protocol in (CustomerDirectory, OrderSystem, BillingSystem, AccountSystem, TicketSystem):
            assert isinstance(connector, protocol)
        assert connector.breaker_state == "closed"
        customer = await connector.customer("cus_2")
        assert customer is not None and customer.sla_tier == "premium"
    finally:
        await connector.close()
    with pytest.raises(ConfigError, match="connector.options.endpoints.order: unknown placeholder"):
        broken = options(api)
        broken["endpoints"]["order"]["path"] = "/x/{id}"
        await open_connector("rest", broken, context)
