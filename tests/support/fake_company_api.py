"""A scripted company HTTP API on 127.0.0.1, for the REST connector's tests.

It holds a small in-memory company (customers, orders, invoices, subscriptions) under
`/v1`, speaks its own dialect (an order's id is `number`, its status `state`, its total an
object), checks a bearer token, and honours `Idempotency-Key` on writes: the same key gets
the first answer again with `replayed: true`, and the write is carried out once
(`executed`). Every request is recorded (method, raw path, headers, JSON body). Faults are
queued per method and path and used up one request at a time: an HTTP status or a scripted
body, a delay (after which the request is handled normally), a body that is not JSON, a
huge body, or a dropped connection.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

TOKEN = "tok-company-7f3a9c"
PREFIX = "/v1"


@dataclass
class Fault:
    status: int = 0  # answer with this status and `body` instead of handling the request
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait first; with no other fault the request is then handled
    drop: bool = False  # close the connection without answering
    huge: int = 0  # answer 200 with this many bytes
    declare_length: bool = True  # whether a huge answer says its Content-Length


def answer(status: int, payload: Any = None, **headers: str) -> Fault:
    return Fault(status=status, body=b"" if payload is None else json.dumps(payload).encode(), headers=headers)


def slow(seconds: float) -> Fault:
    return Fault(delay=seconds)


def not_json() -> Fault:
    return Fault(status=200, body=b"<html><body>Bad gateway</body></html>", headers={"Content-Type": "text/html"})


def huge(size: int, declare_length: bool = True) -> Fault:
    return Fault(huge=size, declare_length=declare_length)


def drop() -> Fault:
    return Fault(drop=True)


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # as sent, still percent-encoded, without /v1
    headers: dict[str, str]  # lower-case names
    body: Any


def _company() -> dict[str, dict[str, dict[str, Any]]]:
    customers = {
        "cus_1": {"id": "cus_1", "name": "Maya Thompson", "contact": {"email": "maya@example.com"},
                  "plan": "pro", "annual_contract_value": "200.00", "renewal_date": "2027-03-01", "language": "en"},
        "cus_2": {"id": "cus_2", "name": "Tomás Ruiz", "contact": {"email": "tomas@example.com"},
                  "plan": "business", "annual_contract_value": 18000, "renewal_date": None, "sla_tier": "premium"},
        # order and invoice numbers as customers type them (BW-12345, INV-2026-0417), for chats through the engine
        "cus_3": {"id": "cus_3", "name": "Greta Hoffmann", "contact": {"email": "greta@example.com"},
                  "plan": "plus", "annual_contract_value": 96, "renewal_date": "2027-01-10", "language": "en"},
    }
    orders = {
        "BW-1": {"number": "BW-1", "customer_id": "cus_1", "state": "processing", "placed_at": "2026-10-01T09:00:00Z",
                 "total": {"amount": 188.0, "currency": "USD"}, "shipping_address": "1 Main St, Springfield",
                 "lines": [{"sku": "BW-HUB", "name": "Hub", "quantity": 1, "unit_price": 129.0},
                           {"sku": "BW-CLAMP", "name": "Clamp", "quantity": "1", "unit_price": "59"}]},
        "BW-2": {"number": "BW-2", "customer_id": "cus_1", "state": "delivered", "placed_at": "2026-10-05T12:00:00Z",
                 "total": {"amount": 59.0, "currency": "USD"}, "shipping": {"carrier": "DHL", "tracking": 948219},
                 "delivered_at": "2026-10-09T11:48:00Z", "lines": []},
        "BW-3": {"number": "BW-3", "customer_id": "cus_2", "state": "processing", "placed_at": "2026-10-03T08:00:00Z",
                 "total": {"amount": 300.0, "currency": "EUR"}, "lines": []},
        "BW-20533": {"number": "BW-20533", "customer_id": "cus_2", "state": "processing",
                     "placed_at": "2026-10-06T10:00:00Z", "total": {"amount": 129.0, "currency": "EUR"},
                     "lines": [{"sku": "BW-HUB", "name": "Hub", "quantity": 1, "unit_price": 129.0}]},
        "BW-20417": {"number": "BW-20417", "customer_id": "cus_3", "state": "processing",
                     "placed_at": "2026-10-07T15:30:00Z", "total": {"amount": 77.95, "currency": "USD"},
                     "shipping_address": "12 Harbor Rd, Portland, United States",
                     "lines": [{"sku": "BW-PLUG2", "name": "Smart Plug (2-pack)", "quantity": 1, "unit_price": 77.95}]},
        "BW-20388": {"number": "BW-20388", "customer_id": "cus_3", "state": "delivered",
                     "placed_at": "2026-09-20T08:10:00Z", "total": {"amount": 249.0, "currency": "USD"},
                     "shipping": {"carrier": "UPS", "tracking": "1Z999AA10123456784"},
                     "delivered_at": "2026-09-24T13:02:00Z",
                     "lines": [{"sku": "BW-HUB", "name": "Hub", "quantity": 1, "unit_price": 249.0}]},
    }
    invoices = {
        "INV-1": {"id": "INV-1", "customer_id": "cus_1", "amount": 20.0, "currency": "USD", "status": "paid",
                  "issued_at": "2026-09-01", "due_at": "2026-09-15", "description": "Pro plan, September"},
        "INV-2": {"id": "INV-2", "customer_id": "cus_1", "amount": 20.0, "currency": "USD", "status": "open",
                  "issued_at": "2026-10-01", "due_at": "2026-10-15"},
        "INV-3": {"id": "INV-3", "customer_id": "cus_2", "amount": 18000.0, "currency": "USD", "status": "paid",
                  "issued_at": "2026-01-15", "due_at": None, "description": "Business plan"},
        "INV-2026-0417": {"id": "INV-2026-0417", "customer_id": "cus_3", "amount": 77.95, "currency": "USD",
                          "status": "paid", "issued_at": "2026-10-07", "due_at": None,
                          "description": "Order BW-20417"},
    }
    subscriptions = {
        "sub_1": {"id": "sub_1", "customer_id": "cus_1", "plan": "pro", "status": "active",
                  "billing_period": "monthly", "started_at": "2025-03-01", "renews_at": "2026-11-01"},
        "sub_2": {"id": "sub_2", "customer_id": "cus_2", "plan": "business", "status": "active",
                  "billing_period": "yearly", "started_at": "2025-01-15", "renews_at": "2027-01-15"},
    }
    return {"customers": customers, "orders": orders, "invoices": invoices, "subscriptions": subscriptions}


class FakeCompanyAPI:
    def __init__(self, token: str | None = TOKEN) -> None:
        self.token = token
        self.data = copy.deepcopy(_company())
        self.leak = False  # answer with other customers' records too, as a buggy API would
        self.requests: list[Request] = []
        self.executed: list[tuple[str, str]] = []  # (action, idempotency key) of writes carried out
        self._faults: dict[tuple[str, str], deque[Fault]] = defaultdict(deque)
        self._answers: dict[str, tuple[str, int, dict[str, Any]]] = {}  # idempotency key -> first answer
        self._counters = {"refund": 5000, "ticket": 7000}
        self._lock = threading.Lock()
        self._busy = 0
        self._idle = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{PREFIX}"

    def start(self) -> FakeCompanyAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.wait_idle()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Until every request that arrived has been handled (a delayed one may outlive its client)."""
        with self._idle:
            self._idle.wait_for(lambda: self._busy == 0, timeout)

    def fail(self, method: str, path: str, *faults: Fault) -> None:
        with self._lock:
            self._faults[(method, path)].extend(faults)

    def clear_faults(self) -> None:
        """Forget the faults not used up yet."""
        with self._lock:
            self._faults.clear()

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # The company's behaviour

    def handle(self, method: str, parts: list[str], key: str | None, body: Any) -> tuple[int, Any]:
        if method == "GET":
            return self._read(parts)
        if not key:
            return 400, {"error": "idempotency_key_required"}
        with self._lock:
            if key in self._answers:
                action, status, payload = self._answers[key]
                return status, {**payload, "replayed": True}
            action, status, payload = self._write(method, parts, body if isinstance(body, dict) else {})
            if action:
                self._answers[key] = (action, status, payload)
                self.executed.append((action, key))
            return status, payload

    def _read(self, parts: list[str]) -> tuple[int, Any]:
        customers, d = self.data["customers"], self.data
        match parts:
            case ["customers", cid] if cid in customers:
                return 200, customers[cid]
            case ["customers", cid, kind] if cid in customers and kind in ("orders", "invoices", "subscriptions"):
                records = [r for r in d[kind].values() if self.leak or r["customer_id"] == cid]
                return 200, {"data": records, "has_more": False}
            case ["customers", cid, "orders", oid] if oid in d["orders"] and (
                    self.leak or d["orders"][oid]["customer_id"] == cid):
                return 200, d["orders"][oid]
        return 404, {"error": "not_found"}

    def _write(self, method: str, parts: list[str], body: dict[str, Any]) -> tuple[str, int, dict[str, Any]]:
        d = self.data
        match parts:
            case ["customers", cid, "orders", oid, ("cancel" | "address") as what] if method == "POST":
                order = d["orders"].get(oid)
                if order is None or order["customer_id"] != cid or order["state"] != "processing":
                    return what, 409, {"reason": "not_cancellable" if what == "cancel" else "not_changeable"}
                if what == "cancel":
                    order["state"] = "cancelled"
                else:
                    order["shipping_address"] = body["address"]
                return what, 200, {"reference": oid, "status": "done"}
            case ["customers", cid, "invoices", iid, "send"] if method == "POST":
                invoice = d["invoices"].get(iid)
                if invoice is None or invoice["customer_id"] != cid:
                    return "send_invoice", 422, {"error": {"code": "unknown_invoice", "message": "No such invoice"}}
                return "send_invoice", 200, {"reference": iid, "status": "done"}
            case ["customers", cid, "refunds"] if method == "POST":
                charge = d["orders"].get(body.get("order_id") or "") or d["invoices"].get(body.get("invoice_id") or "")
                if charge is None or charge["customer_id"] != cid:
                    return "refund", 422, {"reason": "unknown_charge"}
                charged = charge["total"]["amount"] if "total" in charge else charge["amount"]
                if not 0 < body.get("amount", 0) <= charged:
                    return "refund", 422, {"reason": "amount_exceeds_charge"}
                self._counters["refund"] += 1
                return "refund", 201, {"reference": f"RF-{self._counters['refund']}", "status": "submitted"}
            case ["customers", cid, "subscriptions", sid, "cancel"] if method == "POST":
                sub = d["subscriptions"].get(sid)
                if sub is None or sub["customer_id"] != cid or sub["plan"] == "business":
                    return "cancel_subscription", 409, {"reason": "not_cancellable"}
                sub["status"] = "cancels_at_period_end"
                return "cancel_subscription", 200, {"reference": sid, "status": "done"}
            case ["password-resets"] if method == "POST":
                return "password_reset", 202, {"reference": "reset", "status": "done"}
            case ["tickets"] if method == "POST":
                self._counters["ticket"] += 1
                return "ticket", 201, {"reference": f"TK-{self._counters['ticket']}", "status": "done"}
        return "", 404, {"error": "not_found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                with api._lock:
                    api._busy += 1
                try:
                    self._answer()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout, size limit): nothing to answer
                finally:
                    with api._idle:
                        api._busy -= 1
                        api._idle.notify_all()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def _answer(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode(errors="replace")
                path = urlsplit(self.path).path.removeprefix(PREFIX)
                with api._lock:
                    api.requests.append(Request(self.command, path, {k.lower(): v for k, v in self.headers.items()},
                                                body))
                    queue = api._faults.get((self.command, path))
                    fault = queue.popleft() if queue else None
                if fault and fault.delay:
                    time.sleep(fault.delay)
                if fault and fault.drop:
                    self.close_connection = True
                    return
                if fault and fault.huge:
                    self._huge(fault)
                    return
                if fault and fault.status:
                    self._send(fault.status, fault.body, fault.headers)
                    return
                if api.token and self.headers.get("Authorization") != f"Bearer {api.token}":
                    self._send(401, json.dumps({"error": "unauthorized"}).encode())
                    return
                parts = [unquote(p) for p in path.strip("/").split("/")]
                status, payload = api.handle(self.command, parts, self.headers.get("Idempotency-Key"), body)
                self._send(status, json.dumps(payload).encode())

            def _send(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                headers = {"Content-Type": "application/json", **(headers or {})}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _huge(self, fault: Fault) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if fault.declare_length:
                    self.send_header("Content-Length", str(fault.huge))
                self.end_headers()
                chunk = b" " * 65536
                for start in range(0, fault.huge, len(chunk)):
                    self.wfile.write(chunk[: fault.huge - start])

        return Handler


def connector_options(url: str, token_variable: str, **overrides: Any) -> dict[str, Any]:
    """`connector.options` as an operator would write them for this company's API dialect."""
    base: dict[str, Any] = {
        "base_url": url,
        "auth": {"header": "Authorization", "value": f"Bearer ${{{token_variable}}}"},
        "timeout_seconds": 2,
        "retries": 2,
        "backoff_seconds": 0.001,
        "breaker": {"failures": 5, "reset_seconds": 30},
        "endpoints": {
            "customer": {"method": "GET", "path": "/customers/{customer_id}"},
            "orders": {"method": "GET", "path": "/customers/{customer_id}/orders", "items": "data"},
            "order": {"method": "get", "path": "/customers/{customer_id}/orders/{order_id}"},
            "invoices": {"method": "GET", "path": "/customers/{customer_id}/invoices", "items": "data"},
            "subscriptions": {"method": "GET", "path": "/customers/{customer_id}/subscriptions", "items": "data"},
            "cancel_order": {"method": "POST", "path": "/customers/{customer_id}/orders/{order_id}/cancel"},
            "change_shipping_address": {"method": "POST",
                                        "path": "/customers/{customer_id}/orders/{order_id}/address"},
            "send_invoice_copy": {"method": "POST", "path": "/customers/{customer_id}/invoices/{invoice_id}/send"},
            "request_refund": {"method": "POST", "path": "/customers/{customer_id}/refunds"},
            "cancel_subscription": {"method": "POST",
                                    "path": "/customers/{customer_id}/subscriptions/{subscription_id}/cancel"},
            "send_password_reset": {"method": "POST", "path": "/password-resets"},
            "create_ticket": {"method": "POST", "path": "/tickets"},
        },
        "fields": {
            "customer": {"email": "contact.email"},
            "order": {"id": "number", "status": "state", "total": "total.amount", "currency": "total.currency",
                      "carrier": "shipping.carrier", "tracking_number": "shipping.tracking", "items": "lines"},
        },
        "defaults": {"customer": {"sla_tier": "standard"}},
    }
    return {**base, **overrides}
