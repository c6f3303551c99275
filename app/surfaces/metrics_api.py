"""GET /metrics: the Prometheus series of app/core/metrics.py, in the text exposition format.

Who may read it. The series name every tenant and how much each one talks, hands over and
spends, which is the companies' business, not the public's; yet Prometheus scrapes without a
browser session, so the agents' sign-in can't guard it. A scrape is allowed when either:

- the client address is loopback or inside FRONTLINE_TRUSTED_PROXIES: the operator's own
  network, where a sidecar or an in-cluster Prometheus scrapes each replica directly. The
  address is the real client's (app/surfaces/http_security.py), so a request from outside
  relayed by a trusted proxy is still refused; or
- it carries `Authorization: Bearer <FRONTLINE_METRICS_TOKEN>`, for a Prometheus elsewhere
  (compared in constant time).

Anything else gets 403 with no series. FRONTLINE_METRICS_ENABLED=false answers 404, as if the
route did not exist. Live chat sessions are counted at scrape time from Chainlit's session table.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from app.config.networks import trusted
from app.core import metrics
from app.surfaces.http_security import CLIENT_ADDRESS

if TYPE_CHECKING:
    from app.config.settings import Settings
    from app.services import Services

log = logging.getLogger(__name__)


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def may_scrape(settings: Settings, address: str | None, authorization: str | None) -> bool:
    """Whether a request from `address` with this Authorization header may read the metrics."""
    if _loopback(address) or trusted(address, settings.trusted_networks):
        return True
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    scheme, _, offered = (authorization or "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(offered.strip(), token)


def install_metrics_route(app: FastAPI, services: Callable[[], Services | None]) -> None:
    @app.get("/metrics", include_in_schema=False)
    async def scrape(request: Request) -> Response:
        current = services()
        if current is None:
            return PlainTextResponse("starting\n", status_code=503)
        if not current.settings.metrics_enabled:
            return PlainTextResponse("Not Found\n", status_code=404)
        address = CLIENT_ADDRESS.get() or (request.client.host if request.client else None)
        if not may_scrape(current.settings, address, request.headers.get("authorization")):
            log.warning("metrics scrape refused from %s", address)
            return PlainTextResponse("forbidden\n", status_code=403)
        from chainlit.session import ws_sessions_id  # imported by the server anyway; not by its tests

        series = metrics.current()
        series.live_sessions.set(len(ws_sessions_id))
        return Response(series.exposition(), media_type=metrics.CONTENT_TYPE)
