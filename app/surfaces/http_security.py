"""Security headers on every HTTP answer, the client's real address, and Secure cookies on https.

- Content-Security-Policy on pages: scripts only from this server (plus the exact inline
  scripts of the page, by hash), no plugins, images only from this server (customer text can't
  make a browser fetch a remote image), and `frame-ancestors`: the server's own pages and the
  origins the tenants allow for their widget; nobody else may frame the chat.
- X-Frame-Options, X-Content-Type-Options: nosniff, Referrer-Policy: same-origin everywhere.
- The client address is the socket's peer, or, only when that peer is a proxy the operator
  trusts (FRONTLINE_TRUSTED_PROXIES), the last untrusted address of X-Forwarded-For; the
  scheme likewise comes from X-Forwarded-Proto only through a trusted proxy.
- Over https (FRONTLINE_PUBLIC_URL https://..., or a trusted proxy's X-Forwarded-Proto)
  every cookie set is marked Secure.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from app.config.networks import client_address, trusted

if TYPE_CHECKING:
    from app.services import Services

Scope = dict[str, Any]
Message = dict[str, Any]

CLIENT_ADDRESS: ContextVar[str | None] = ContextVar("client_address", default=None)
MAX_HASHED_PAGE = 2 * 1024 * 1024  # pages larger than this are not scanned for inline scripts
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
# What Chainlit's own pages load besides this server: its web fonts and the KaTeX stylesheet.
_STYLE_HOSTS = "https://fonts.googleapis.com https://cdn.jsdelivr.net"
_FONT_HOSTS = "https://fonts.gstatic.com https://cdn.jsdelivr.net"


def content_security_policy(frame_ancestors: Iterable[str], script_hashes: Iterable[str]) -> str:
    scripts = " ".join(["'self'", *(f"'{h}'" for h in script_hashes)])
    ancestors = " ".join(["'self'", *sorted(set(frame_ancestors))])
    return ("default-src 'self'; "
            f"script-src {scripts}; "
            f"style-src 'self' 'unsafe-inline' {_STYLE_HOSTS}; "
            f"font-src 'self' data: {_FONT_HOSTS}; "
            "img-src 'self' data: blob:; "
            "media-src 'self' blob:; "
            "connect-src 'self'; "
            "worker-src 'self' blob:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; "
            f"frame-ancestors {ancestors}")


def inline_script_hashes(page: bytes) -> list[str]:
    return ["sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode()
            for body in _INLINE_SCRIPT.findall(page)]


class SecurityHeaders:
    """ASGI middleware: see the module docstring. Installed once, in app/surfaces/chainlit_app.py."""

    def __init__(self, app: Callable[..., Any], services: Callable[[], Services | None]) -> None:
        self.app = app
        self._services = services

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        services = self._services()
        settings = services.settings if services else None
        proxies = settings.trusted_networks if settings else []
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        peer = (scope.get("client") or (None,))[0]
        address = client_address(peer, headers.get("x-forwarded-for"), proxies)
        token = CLIENT_ADDRESS.set(address)
        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
                return
            forwarded_https = trusted(peer, proxies) and headers.get("x-forwarded-proto", "").lower() == "https"
            https = scope.get("scheme") == "https" or forwarded_https or bool(
                settings and (settings.public_url or "").lower().startswith("https://"))
            ancestors = _frame_ancestors(services)
            await self.app(scope, receive, _Responder(send, https, ancestors).send)
        finally:
            CLIENT_ADDRESS.reset(token)


def _frame_ancestors(services: Services | None) -> list[str]:
    if services is None:
        return []
    origins = set(services.settings.own_origins)
    for tenant in services.tenants:
        origins.update(origin.rstrip("/") for origin in tenant.widget.allowed_origins)
    return sorted(origins)


class _Responder:
    """Adds the headers to the response start; holds an HTML page back to hash its inline scripts."""

    def __init__(self, send: Callable[..., Any], https: bool, ancestors: list[str]) -> None:
        self._send, self._https, self._ancestors = send, https, ancestors
        self._start: Message | None = None
        self._page = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OURS]
            if self._https:
                headers = [(k, _secure_cookie(v) if k.lower() == b"set-cookie" else v) for k, v in headers]
            headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
                        (b"x-frame-options", b"SAMEORIGIN")]
            if self._https:
                headers.append((b"strict-transport-security", b"max-age=31536000"))
            message = {**message, "headers": headers}
            content_type = dict((k.lower(), v) for k, v in headers).get(b"content-type", b"")
            if content_type.startswith(b"text/html"):
                self._start = message  # sent with the CSP once the page is complete
                return
            await self._send(message)
            return
        if message["type"] == "http.response.body" and self._start is not None:
            self._page += message.get("body", b"")
            if message.get("more_body", False) and len(self._page) <= MAX_HASHED_PAGE:
                return
            page = bytes(self._page)
            hashes = inline_script_hashes(page) if len(page) <= MAX_HASHED_PAGE else []
            policy = content_security_policy(self._ancestors, hashes).encode()
            start, self._start, self._page = self._start, None, bytearray()
            await self._send({**start, "headers": [*start["headers"], (b"content-security-policy", policy)]})
            await self._send({**message, "body": page})
            return
        await self._send(message)


_OURS = {b"content-security-policy", b"x-frame-options", b"x-content-type-options", b"referrer-policy"}


def _secure_cookie(value: bytes) -> bytes:
    return value if b"secure" in value.lower() else value + b"; Secure"
