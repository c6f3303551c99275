"""A connector for a company's own HTTP API, configured per tenant instead of programmed.

Each connector operation maps to one endpoint (method and path template); records are read
from the JSON answers with optional field renames. Calls time out, retry with backoff, and
stop behind a circuit breaker while the API is down (connectors/json_http.py, on
app/core/resilience.py). Writes carry an `Idempotency-Key` header, so a retried write is carried
out once. The options and their validation are in connectors/rest_config.py; both are
described in docs/connectors.md.
"""

from __future__ import annotations

import asyncio
import logging
import random
import string
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from app.core import metrics
from app.core.errors import ConnectorError
from app.core.resilience import Backoff, BreakerState, CircuitBreaker, Seconds, Sleep
from connectors.base import Customer, Invoice, Order, OrderItem, Receipt, Subscription
from connectors.json_http import JsonHttp
from connectors.registry import ConnectorContext, register
from connectors.rest_config import (
    KINDS,
    OPERATIONS,
    OPTIONS,
    RECEIPT_STATUSES,
    EndpointConfig,
    RestConfig,
    convert,
    load_config,
)

log = logging.getLogger(__name__)

_MISSING = object()


def _segment(value: str, op: str, name: str) -> str:
    """One path placeholder's value, escaped so that it can never change the path's shape."""
    if not value:
        raise ConnectorError(f"{op}: empty {name}")
    escaped = quote(value, safe="")
    return escaped.replace(".", "%2E") if set(escaped) == {"."} else escaped  # "." and ".." are path steps


def _dig(body: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(body, dict) or key not in body:
            return _MISSING
        body = body[key]
    return body


class RestConnector:
    def __init__(self, config: RestConfig, *, client: httpx.AsyncClient | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, name: str = "REST connector",
                 clock: Seconds = time.monotonic, sleep: Sleep = asyncio.sleep,
                 rng: random.Random | None = None) -> None:
        self.config = config
        self.name = name
        self._owns_client = client is None  # a client passed in belongs to the caller
        self._client = client or httpx.AsyncClient(transport=transport, timeout=config.timeout_seconds)
        self._secrets = [s for s in self._secret_forms() if s]
        self._breaker = CircuitBreaker(config.breaker.failures, config.breaker.reset_seconds,
                                       name=name, clock=clock)
        self._http = JsonHttp(
            self._client, timeout=config.timeout_seconds, retries=config.retries,
            max_response_bytes=config.max_response_bytes, breaker=self._breaker, name=name, sleep=sleep,
            backoff=Backoff(config.backoff_seconds, max(config.backoff_seconds, 5.0), config.max_retry_after_seconds,
                            rng or random.Random()),
            redact=self._redact)

    def _secret_forms(self) -> list[str]:
        if self.config.auth is None:
            return []
        value = self.config.auth.value
        token = value.rsplit(" ", 1)[-1]
        return [value, token if len(token) >= 6 else ""]

    @property
    def breaker_state(self) -> BreakerState:
        return self._breaker.state

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    # Reads

    async def customer(self, customer_id: str) -> Customer | None:
        found = await self._one("customer", {"customer_id": customer_id}, customer_id)
        if found is None:
            return None
        customer = Customer(**found)
        if customer.id != customer_id:
            self._foreign("customer", None)
            return None
        return customer

    async def orders(self, customer_id: str) -> list[Order]:
        records = await self._list("orders", {"customer_id": customer_id}, customer_id)
        return _newest_first([Order(**r) for r in records], "placed_at")

    async def order(self, customer_id: str, order_id: str) -> Order | None:
        found = await self._one("order", {"customer_id": customer_id, "order_id": order_id}, customer_id)
        return None if found is None else Order(**found)

    async def invoices(self, customer_id: str) -> list[Invoice]:
        records = await self._list("invoices", {"customer_id": customer_id}, customer_id)
        return _newest_first([Invoice(**{**r, "description": r["description"] or ""}) for r in records],
                             "issued_at")

    async def subscriptions(self, customer_id: str) -> list[Subscription]:
        records = await self._list("subscriptions", {"customer_id": customer_id}, customer_id)
        return _newest_first([Subscription(**r) for r in records], "started_at")

    # Writes: the arguments the path does not use go in the JSON body.

    async def cancel_order(self, customer_id: str, order_id: str, *, idempotency_key: str) -> Receipt:
        return await self._write("cancel_order", idempotency_key, customer_id=customer_id, order_id=order_id)

    async def change_shipping_address(self, customer_id: str, order_id: str, address: str, *,
                                      idempotency_key: str) -> Receipt:
        return await self._write("change_shipping_address", idempotency_key, customer_id=customer_id,
                                 order_id=order_id, address=address)

    async def send_invoice_copy(self, customer_id: str, invoice_id: str, *, idempotency_key: str) -> Receipt:
        return await self._write("send_invoice_copy", idempotency_key, customer_id=customer_id,
                                 invoice_id=invoice_id)

    async def request_refund(self, customer_id: str, *, order_id: str | None, invoice_id: str | None,
                             amount: float, reason: str, idempotency_key: str) -> Receipt:
        return await self._write("request_refund", idempotency_key, customer_id=customer_id, order_id=order_id,
                                 invoice_id=invoice_id, amount=amount, reason=reason)

    async def cancel_subscription(self, customer_id: str, subscription_id: str, *,
                                  idempotency_key: str) -> Receipt:
        return await self._write("cancel_subscription", idempotency_key, customer_id=customer_id,
                                 subscription_id=subscription_id)

    async def send_password_reset(self, email: str, *, idempotency_key: str) -> Receipt:
        return await self._write("send_password_reset", idempotency_key, email=email)

    async def create_ticket(self, *, customer_id: str | None, email: str | None, subject: str, body: str,
                            priority: str, idempotency_key: str) -> Receipt:
        return await self._write("create_ticket", idempotency_key, customer_id=customer_id, email=email,
                                 subject=subject, body=body, priority=priority)

    # Operations to records

    async def _one(self, op: str, args: dict[str, str], customer_id: str) -> dict[str, Any] | None:
        status, body = await self._call(op, args, None, None)
        if status == 404:
            return None
        endpoint = self.config.endpoints[op]
        raw = body if endpoint.record is None else _dig(body, endpoint.record)
        if raw is None:
            return None  # a 200 with a null record: the API's way of saying "not found"
        if raw is _MISSING:
            raise ConnectorError(f"{op}: the response has no {endpoint.record!r}")
        return self._own(op, None, self._record(op, "the record", raw, OPERATIONS[op][0]), customer_id)

    async def _list(self, op: str, args: dict[str, str], customer_id: str) -> list[dict[str, Any]]:
        status, body = await self._call(op, args, None, None)
        if status == 404:
            return []
        items = self.config.endpoints[op].items
        raw = body if items is None else _dig(body, items)
        if not isinstance(raw, list):
            raise ConnectorError(f"{op}: the response has no list at {items!r}" if items else
                                 f"{op}: the response is not a JSON list (set endpoints.{op}.items to its path)")
        kind = OPERATIONS[op][0]
        records = (self._own(op, n, self._record(op, f"record {n}", r, kind), customer_id)
                   for n, r in enumerate(raw, 1))
        return [r for r in records if r is not None]

    def _own(self, op: str, n: int | None, record: dict[str, Any], customer_id: str) -> dict[str, Any] | None:
        """Keep the customer boundary: a record of another customer is dropped, never shown."""
        if "customer_id" in record:
            if record["customer_id"] is None:
                record["customer_id"] = customer_id
            elif record["customer_id"] != customer_id:
                self._foreign(op, n)
                return None
        return record

    def _foreign(self, op: str, n: int | None) -> None:
        log.warning("%s: %s: the company API returned %s of another customer; it was dropped", self.name, op,
                    f"record {n}" if n else "a record")

    def _record(self, op: str, where: str, raw: Any, kind: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise ConnectorError(f"{op}: {where} is not a JSON object")
        renames, defaults = self.config.fields.get(kind, {}), self.config.defaults.get(kind, {})
        record: dict[str, Any] = {}
        for field, (typ, required) in KINDS[kind].items():
            key = renames.get(field, field)
            value = _dig(raw, key)
            if value is _MISSING or value is None:
                value = defaults.get(field, value)
            if value is _MISSING or value is None:
                if required:
                    named = f" ({field})" if key != field else ""
                    raise ConnectorError(f"{op}: {where} has no {key!r}{named}")
                record[field] = () if typ == "items" else (False if typ == "bool" else None)
            elif typ == "items":
                if not isinstance(value, list):
                    raise ConnectorError(f"{op}: {where} has {key!r} that is not a list")
                record[field] = tuple(OrderItem(**self._record(op, f"{where} item {i}", item, "order_item"))
                                      for i, item in enumerate(value, 1))
            else:
                record[field] = convert(value, typ, f"{op}: {where} has {key!r}")
        return record

    async def _write(self, op: str, idempotency_key: str, **args: Any) -> Receipt:
        endpoint = self._endpoint(op)
        in_path = {f for _, f, _, _ in string.Formatter().parse(endpoint.path) if f}
        path_args = {k: str(v) for k, v in args.items() if k in in_path}
        body = {k: v for k, v in args.items() if k not in in_path}
        status, answer = await self._call(op, path_args, body, idempotency_key)
        if status in (409, 422):
            return Receipt(self._redact(self._first_text(answer, "reference") or ""), "rejected",
                           self._redact(self._first_text(answer, "reason", "error") or f"http_{status}")[:200])
        raw = answer if endpoint.record is None else _dig(answer, endpoint.record)
        receipt = self._record(op, "the response", raw if raw is not _MISSING else None, "receipt")
        if receipt["status"] not in RECEIPT_STATUSES:
            raise ConnectorError(f"{op}: the response has status {receipt['status']!r}, "
                                 f"expected one of {', '.join(RECEIPT_STATUSES)}")
        return Receipt(receipt["reference"], receipt["status"], receipt["reason"] or "", receipt["replayed"])

    def _first_text(self, answer: Any, *fields: str) -> str | None:
        """A rejection's reason: the renamed field, then the plain names; an `error` object's code or message."""
        renames = self.config.fields.get("receipt", {})
        for field in fields:
            for key in dict.fromkeys((renames.get(field, field), field)):
                value = _dig(answer, key)
                if isinstance(value, dict):
                    value = value.get("code") or value.get("message")
                if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                    return str(value)
        return None

    # HTTP

    def _endpoint(self, op: str) -> EndpointConfig:
        endpoint = self.config.endpoints.get(op)
        if endpoint is None:
            raise ConnectorError(f"{op} is not configured for this company (connector.options.endpoints.{op})")
        return endpoint

    async def _call(self, op: str, path_args: dict[str, str], body: dict[str, Any] | None,
                    idempotency_key: str | None) -> tuple[int, Any]:
        """One operation: (status, parsed JSON) for a 2xx, a 404 on a read, or a 409/422 on a write.
        A failure is counted in frontline_connector_errors (this connector's name, the operation)."""
        try:
            return await self._exchange(op, path_args, body, idempotency_key)
        except ConnectorError:
            metrics.current().connector_error(self.name, op)
            raise

    async def _exchange(self, op: str, path_args: dict[str, str], body: dict[str, Any] | None,
                        idempotency_key: str | None) -> tuple[int, Any]:
        endpoint = self._endpoint(op)
        path = endpoint.path.format_map({k: _segment(v, op, k) for k, v in path_args.items()})
        what = f"{op} ({endpoint.method} {endpoint.path})"
        headers = {"Accept": "application/json"}
        if self.config.auth is not None:
            headers[self.config.auth.header] = self.config.auth.value
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        rejections = () if body is None else (409, 422)  # a write's rejection carries a reason to read
        status, answer = await self._http.call(what, endpoint.method, self.config.base_url + path,
                                               headers=headers, body=body, keep=rejections)
        if status in (401, 403):
            message = f"{what}: the company API refused the API credentials (HTTP {status}); check {OPTIONS}.auth"
            log.error("%s: %s", self.name, message)
            raise ConnectorError(message)
        if not 200 <= status < 300 and status not in ((404,) if body is None else rejections):
            message = f"{what}: the company API answered HTTP {status}"
            log.warning("%s: %s", self.name, message)
            raise ConnectorError(message)
        return status, answer

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


def _newest_first(records: list[Any], attribute: str) -> list[Any]:
    """Newest first when every date is ISO 8601; otherwise in the order the API gave."""
    try:
        stamps = [datetime.fromisoformat(getattr(r, attribute) or "") for r in records]
        order = sorted(range(len(records)), key=lambda i: stamps[i], reverse=True)
    except (TypeError, ValueError):
        return records
    return [records[i] for i in order]


@register("rest")
async def open_rest(options: dict[str, Any], context: ConnectorContext) -> RestConnector:
    config = load_config(options)
    url = httpx.URL(config.base_url)
    if config.auth is not None and url.scheme == "http" and url.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("Tenant %r sends its API credentials over plain http to %s", context.tenant, url.host)
    return RestConnector(config, name=f"{context.tenant} REST connector")
