"""GET /console/analytics: the analytics page for support leads and admins.

The reader is whoever the agent console's Chainlit session cookie names (decoded with
Chainlit's own helper, so it is the same sign-in); their role and tenants are read fresh from
the account store, so a demoted lead loses the page at once. Tenants they do not serve answer
404 exactly like unknown ones: the page does not tell which tenants exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from chainlit.auth import decode_jwt, get_token_from_cookies
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from app.analytics.report import build_report
from app.core import clock
from app.store.accounts import Agent
from app.surfaces.analytics_page import message_page, render_page
from app.surfaces.auth import ROLE_AGENT

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)
ANALYTICS_ROLES = frozenset({"lead", "admin"})
MAX_DAYS = 3660


def may_see_analytics(agent: Agent) -> bool:
    return agent.role in ANALYTICS_ROLES


async def signed_in_agent(request: Request, services: Services) -> Agent | None:
    """The agent account behind the console's session cookie, or None (no, invalid or expired
    cookie, a customer's session, or an account that no longer exists)."""
    token = get_token_from_cookies(dict(request.cookies))
    if not token:
        return None
    try:
        user = decode_jwt(token)
    except Exception:
        return None
    if (user.metadata or {}).get("role") != ROLE_AGENT:
        return None
    return await services.accounts.agent(user.identifier)


def _day(text: str, *, end: bool = False) -> datetime:
    moment = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    return moment + timedelta(days=1) if end else moment


def _page(status: int, title: str, message: str, *, sign_in: bool = False) -> HTMLResponse:
    return HTMLResponse(message_page(title, message, sign_in=sign_in), status_code=status,
                        headers={"Cache-Control": "no-store"})


def install_analytics_route(app: FastAPI, services: Callable[[], Services | None]) -> None:
    @app.get("/console/analytics")
    async def analytics(request: Request, tenant: str | None = None, days: str | None = None,
                        since: str | None = None, until: str | None = None) -> HTMLResponse:
        current = services()
        if current is None:
            return _page(503, "Starting", "Frontline is starting; try again in a few seconds.")
        agent = await signed_in_agent(request, current)
        if agent is None:
            return _page(401, "Sign in first", "Sign in to the agent console with a lead or admin account "
                         "to see analytics.", sign_in=True)
        if not may_see_analytics(agent):
            return _page(403, "Not for this account", "Analytics is for support leads and admins.")
        served = [(t.id, t.name) for t in sorted(current.tenants, key=lambda t: t.id) if agent.serves(t.id)]
        chosen = tenant if tenant is not None else (served[0][0] if served else "")
        if chosen not in dict(served):
            return _page(404, "Tenant not found", "No tenant with that id.")
        try:
            now = clock.now()
            start = _day(since) if since else None
            end = _day(until, end=True) if until else None
            period = None
            if start is None and end is None:
                period = int(days) if days else 30
                if not 1 <= period <= MAX_DAYS:
                    raise ValueError(period)
                start = now - timedelta(days=period)
        except ValueError:
            return _page(400, "Bad period", f"days must be a whole number from 1 to {MAX_DAYS}; since and until "
                         "are dates like 2026-11-01.")
        if start and end and start >= end:
            return _page(400, "Bad period", "since must be before until.")
        report = await build_report(current.db, chosen, since=start, until=end, now=now)
        log.info("analytics for %s shown to %s", chosen, agent.email)
        page = render_page(report, served, days=period, dates=(since, until))
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})
