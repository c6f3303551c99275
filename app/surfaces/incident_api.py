"""The Incident API: a status page or monitoring system declares and resolves incidents over
JSON at /api/v1/incidents, with the same agent tokens as the Queue API (app/surfaces/queue_api.py).

    GET  /api/v1/incidents                      the incidents of the tenants the token's agent serves
    POST /api/v1/incidents                      {"tenant", "topic", "message"}      (leads and admins)
    POST /api/v1/incidents/{id}/resolve         {"message"?}                         (leads and admins)
    POST /api/v1/incidents/{id}/links           {"conversation"}                     (any agent)

Declaring and resolving tell customers on their channels (app/handoff/outreach.py). An
incident of a tenant the agent does not serve answers 404, like one that does not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from app.core.errors import IncidentError
from app.handoff.outreach import MAX_MESSAGE_CHARS, Outcome, Outreach
from app.store.accounts import Agent
from app.store.incidents import DeclaredIncident
from app.surfaces.analytics_api import may_see_analytics
from app.surfaces.web import json_error, move_catch_all_last, read_json_body

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)

PREFIX = "/api/v1/incidents"


class DeclareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=100)
    topic: str = Field(max_length=1000)  # checked for words by the outreach: its message says what is wrong
    message: str = Field(max_length=MAX_MESSAGE_CHARS * 2)


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(default="", max_length=MAX_MESSAGE_CHARS * 2)


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation: str = Field(min_length=1, max_length=100)


async def incident_item(outreach: Outreach, incident: DeclaredIncident) -> dict[str, Any]:
    counts = await outreach.store.counts(incident.id)
    return {"id": incident.id, "tenant": incident.tenant, "topic": incident.topic, "message": incident.message,
            "status": incident.status, "declared_by": incident.declared_by, "declared_at": incident.declared_at,
            "resolved_by": incident.resolved_by, "resolved_at": incident.resolved_at,
            "resolution": incident.resolution,
            "customers": {"told": counts.told, "subscribed": counts.subscribed, "told_fixed": counts.fixed}}


def install_incident_api(app: FastAPI, services: Callable[[], Services | None]) -> None:
    async def authenticate(request: Request, *, lead: bool) -> tuple[Outreach, Agent] | JSONResponse:
        current = services()
        if current is None or current.outreach is None:
            return json_error(503, "starting", "Frontline is starting; try again in a few seconds.")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        agent = (await current.accounts.agent_for_token(token.strip())
                 if scheme.lower() == "bearer" and token.strip() else None)
        if agent is None:
            log.info("incident api %s %s refused: no valid token", request.method, request.url.path)
            response = json_error(401, "unauthorized", "Send a valid API token: Authorization: Bearer flt_...")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        if lead and not may_see_analytics(agent):
            log.info("incident api %s %s refused: %s is not a lead", request.method, request.url.path, agent.email)
            return json_error(403, "forbidden", "Declaring and resolving incidents is for support leads and admins.")
        return current.outreach, agent

    async def reply(outreach: Outreach, outcome: Outcome, status: int = 200) -> JSONResponse:
        return JSONResponse({**await incident_item(outreach, outcome.incident), "told_now": outcome.told},
                            status_code=status)

    def refused(exc: IncidentError) -> JSONResponse:
        """404 for what does not exist (or is another company's), 409 for a repeat, else 400."""
        message = str(exc)
        if "resolved already" in message:
            return json_error(409, "conflict", message)
        if message.startswith(("No incident", "No tenant", "No conversation")):
            return json_error(404, "not_found", message)
        return json_error(400, "invalid_request", message)

    @app.get(PREFIX)
    async def incidents(request: Request) -> Response:
        caller = await authenticate(request, lead=False)
        if isinstance(caller, Response):
            return caller
        outreach, agent = caller
        current = services()
        assert current is not None
        served = [t.id for t in current.tenants if agent.serves(t.id)]
        return JSONResponse({"incidents": [await incident_item(outreach, i) for i in await outreach.listed(served)]})

    @app.post(PREFIX)
    async def declare(request: Request) -> Response:
        caller = await authenticate(request, lead=True)
        if isinstance(caller, Response):
            return caller
        outreach, agent = caller
        body = await read_json_body(request, DeclareRequest, "Invalid incident")
        if isinstance(body, Response):
            return body
        if not agent.serves(body.tenant):
            return json_error(404, "not_found", f"No tenant {body.tenant!r}.")
        try:
            outcome = await outreach.declare(body.tenant, body.topic, body.message, by=agent.email)
        except IncidentError as exc:
            return refused(exc)
        return await reply(outreach, outcome, 201)

    @app.post(PREFIX + "/{incident_id}/resolve")
    async def resolve(request: Request, incident_id: str) -> Response:
        caller = await authenticate(request, lead=True)
        if isinstance(caller, Response):
            return caller
        outreach, agent = caller
        body = await read_json_body(request, ResolveRequest, "Invalid request body")
        if isinstance(body, Response):
            return body
        try:
            incident = await outreach.find(incident_id, agent.serves)
            outcome = await outreach.resolve(incident, by=agent.email, resolution=body.message)
        except IncidentError as exc:
            return refused(exc)
        return await reply(outreach, outcome)

    @app.post(PREFIX + "/{incident_id}/links")
    async def link(request: Request, incident_id: str) -> Response:
        caller = await authenticate(request, lead=False)
        if isinstance(caller, Response):
            return caller
        outreach, agent = caller
        body = await read_json_body(request, LinkRequest, "Invalid request body")
        if isinstance(body, Response):
            return body
        try:
            incident = await outreach.find(incident_id, agent.serves)
            outcome = await outreach.link(incident, body.conversation)
        except IncidentError as exc:
            return refused(exc)
        return await reply(outreach, outcome)

    move_catch_all_last(app)
