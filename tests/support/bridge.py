"""A messaging bridge on 127.0.0.1 (what a WhatsApp or Telegram bridge is to Frontline): it
receives Frontline's signed replies, checks their signatures, records them, answers scripted
statuses, and signs and sends customers' messages to Frontline's webhook."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from app.handoff.webhooks import sign, verify

SECRET_ENV = "FRONTLINE_TEST_BRIDGE_SECRET"
SECRET = "bridge-shared-secret-for-tests-0123456789"


@dataclass(frozen=True)
class Delivery:
    """One POST Frontline made to the bridge."""

    headers: dict[str, str]  # lower-case names
    raw: bytes
    status: int  # what the bridge answered
    signed: bool  # the signature checked out against the shared secret
    at: float  # time.perf_counter() when it arrived

    @property
    def body(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.raw)
        return parsed

    @property
    def key(self) -> str:
        return self.headers.get("idempotency-key", "")


class Bridge:
    """Records every delivery; answers the scripted statuses first, then `status` (200)."""

    def __init__(self, secret: str = SECRET, statuses: tuple[int, ...] = ()) -> None:
        self.secret = secret
        self.deliveries: list[Delivery] = []
        self.statuses = deque(statuses)
        self.status = 200  # set to e.g. 503 to play a bridge that is down
        self._lock = threading.RLock()  # wait_for checks (and so reads) while holding it
        self._changed = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/frontline/replies"

    def start(self) -> Bridge:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- what Frontline sent ------------------------------------------------------------

    def accepted(self, recipient: str | None = None) -> list[Delivery]:
        """Deliveries answered 2xx (to one recipient), in arrival order."""
        with self._lock:
            found = [d for d in self.deliveries if 200 <= d.status < 300]
        return [d for d in found if recipient is None or d.body.get("recipient") == recipient]

    def wait_for(self, check: Callable[[Bridge], bool], timeout: float = 60.0) -> None:
        """Block until `check(self)` holds after a delivery; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not check(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"bridge: condition not met in {timeout:g} s; received "
                                         f"{[d.raw[:300] for d in self.deliveries]}")
                self._changed.wait(min(remaining, 0.5))

    def replies_to(self, recipient: str, count: int = 1, timeout: float = 60.0) -> list[Delivery]:
        """The first `count` accepted deliveries to `recipient`, waiting for them."""
        self.wait_for(lambda bridge: len(bridge.accepted(recipient)) >= count, timeout)
        return self.accepted(recipient)[:count]

    # -- what the bridge sends -------------------------------------------------------------

    def post(self, frontline_url: str, tenant: str, message: dict[str, Any] | None = None, *,
             raw: bytes | None = None, secret: str | None = None, timestamp: int | None = None,
             signature: str | None = None) -> httpx.Response:
        """POST a customer's message to Frontline's webhook, signed like a real bridge signs it
        (override the pieces to play a forger, a replay or a broken bridge)."""
        body = raw if raw is not None else json.dumps(message).encode()
        header = signature if signature is not None else sign(
            secret or self.secret, body, int(time.time()) if timestamp is None else timestamp)
        return httpx.post(f"{frontline_url}/channels/messaging/{tenant}/messages", content=body,
                          headers={"Content-Type": "application/json", "X-Frontline-Signature": header},
                          timeout=30)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        bridge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                signed = verify(bridge.secret, headers.get("x-frontline-signature", ""), raw, now=int(time.time()))
                with bridge._changed:
                    status = bridge.statuses.popleft() if bridge.statuses else bridge.status
                    if not signed:
                        status = 401
                    bridge.deliveries.append(Delivery(headers, raw, status, signed, time.perf_counter()))
                    bridge._changed.notify_all()
                answer = b'{"ok": true}' if status < 300 else b'{"ok": false}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass

        return Handler
