"""The Queue API: a company's own helpdesk works Frontline's queue over JSON at /api/v1.

It is the console without the Chainlit UI: the same HandoffDesk calls, so a claim, a
message or a release means exactly what it means in the console, and the customer sees the
result live in the same way (app/surfaces/console/live.py pushes it into their open chat sessions).

Agents authenticate with a bearer token from `AccountStore.issue_token`; only its hash is
stored. A conversation of a company the agent doesn't serve answers 404, like one that
doesn't exist, so a token never reveals another company's conversations.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.core.domain import Conversation, ConversationId
from app.core.errors import OwnershipConflict
from app.handoff.desk import MAX_NOTE_CHARS, HandoffDesk
from app.store.accounts import Agent
from app.store.handoffs import HandoffRecord
from app.surfaces.console.live import announce_release, to_customer
from app.surfaces.web import json_error, move_catch_all_last, read_json_body

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
_MAX_ID_CHARS = 100
Model = TypeVar("Model", bound=BaseModel)


class _Empty(BaseModel):
    """The body of calls that take none: `{}` or nothing, and nothing else."""

    model_config = ConfigDict(extra="forbid")


class ClaimRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    take_over: StrictBool = False  # also take a conversation the assistant is handling


class MessageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)  # the upper bound is the server's max_message_chars
    suggestion_id: str | None = Field(default=None, max_length=_MAX_ID_CHARS)


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)


class HandbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=MAX_NOTE_CHARS)


@dataclass(frozen=True)
class _Caller:
    services: Services
    agent: Agent


@dataclass(frozen=True)
class ConversationCall(Generic[Model]):
    """A call on one conversation by an authenticated agent who may see it, with its checked body."""

    request: Request
    services: Services
    agent: Agent
    conversation: Conversation
    body: Model

    @property
    def desk(self) -> HandoffDesk:
        return self.services.desk


CallHandler = Callable[[ConversationCall[Model]], Awaitable[Response]]


def _invalid(message: str) -> JSONResponse:
    return json_error(400, "invalid_request", message)


def _not_found(conversation_id: str) -> JSONResponse:
    return json_error(404, "not_found", f"No conversation {conversation_id[:_MAX_ID_CHARS]!r}.")


def _conflict(exc: OwnershipConflict) -> JSONResponse:
    return json_error(409, "conflict", str(exc))


def queue_item(conversation: Conversation, handoff: HandoffRecord) -> dict[str, Any]:
    """One waiting conversation as a helpdesk lists it: enough to sort, route and pick."""
    return {"id": conversation.id, "tenant": conversation.tenant, "language": conversation.language,
            "channel": conversation.channel,
            "queue": handoff.queue, "trigger": handoff.trigger, "reason": handoff.reason, "level": handoff.level,
            "due_at": handoff.due_at, "requested_at": handoff.requested_at, "follow_up": handoff.follow_up,
            "incident_id": handoff.incident_id, "customer_id": conversation.customer_id}


def install_queue_api(app: FastAPI, services: Callable[[], Services | None]) -> None:
    """Add the /api/v1 routes, then keep Chainlit's catch-all page route behind them (it
    answers every GET it comes before)."""

    async def authenticate(request: Request) -> _Caller | JSONResponse:
        current = services()
        if current is None:
            return json_error(503, "starting", "Frontline is starting; try again in a few seconds.")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        agent = (await current.accounts.agent_for_token(token.strip())
                 if scheme.lower() == "bearer" and token.strip() else None)
        if agent is None:
            log.info("queue api %s %s refused: no valid token", request.method, request.url.path)
            response = json_error(401, "unauthorized", "Send a valid API token: Authorization: Bearer flt_...")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        current.presence.api_call(agent.email, agent.tenants)  # a helpdesk at work counts as online
        return _Caller(current, agent)

    async def conversation_for(caller: _Caller, conversation_id: str) -> Conversation | None:
        """The conversation, or None when it doesn't exist or belongs to a company the agent
        doesn't serve (the same answer for both: its existence is not disclosed)."""
        if len(conversation_id) > _MAX_ID_CHARS:
            return None
        conversation = await caller.services.conversations.get(ConversationId(conversation_id))
        return conversation if conversation and caller.agent.serves(conversation.tenant) else None

    async def prepare(request: Request, conversation_id: str, model: type[Model],
                      call: str) -> ConversationCall[Model] | JSONResponse:
        """Authenticate, read the body, find the conversation: every conversation call starts so."""
        caller = await authenticate(request)
        if isinstance(caller, Response):
            return caller
        body = await read_json_body(request, model, "Invalid request body")
        if isinstance(body, Response):
            return body
        conversation = await conversation_for(caller, conversation_id)
        if conversation is None:
            return _not_found(conversation_id)
        log.info("queue api %s by %s <%s> on %s", call, caller.agent.name, caller.agent.email, conversation.id)
        return ConversationCall(request, caller.services, caller.agent, conversation, body)

    def on_conversation(method: str, action: str, model: type[Model]
                        ) -> Callable[[CallHandler[Model]], CallHandler[Model]]:
        """Route `method /conversations/{id}/action` (no action: the conversation itself) to a
        handler that gets the prepared call; a transition someone else got to first is a 409."""

        def register(handler: CallHandler[Model]) -> CallHandler[Model]:
            async def endpoint(request: Request, conversation_id: str) -> Response:
                prepared = await prepare(request, conversation_id, model, handler.__name__)
                if isinstance(prepared, Response):
                    return prepared
                try:
                    return await handler(prepared)
                except OwnershipConflict as exc:  # someone else got there first: the loser is told why
                    return _conflict(exc)

            path = PREFIX + "/conversations/{conversation_id}" + (f"/{action}" if action else "")
            app.add_api_route(path, endpoint, methods=[method], name=handler.__name__)
            return handler

        return register

    @app.get(f"{PREFIX}/queue")
    async def queue(request: Request) -> Response:
        caller = await authenticate(request)
        if isinstance(caller, Response):
            return caller
        name = request.query_params.get("queue")
        entries = await caller.services.desk.queue_for(caller.agent)
        if name is not None:
            entries = [e for e in entries if e.handoff.queue == name]
        log.info("queue api queue by %s <%s>: %d waiting", caller.agent.name, caller.agent.email, len(entries))
        return JSONResponse({"conversations": [queue_item(e.conversation, e.handoff) for e in entries]})

    @on_conversation("GET", "", _Empty)
    async def packet(call: ConversationCall[_Empty]) -> Response:
        suggest = call.request.query_params.get("suggest", "false").lower()
        if suggest not in ("true", "false", "1", "0"):
            return _invalid("suggest: expected true or false")
        found = await call.desk.packet(call.conversation.id, call.agent, suggest=suggest in ("true", "1"))
        if found is None:
            return _not_found(call.conversation.id)
        return JSONResponse(found.as_dict())

    @on_conversation("POST", "claim", ClaimRequest)
    async def claim(call: ConversationCall[ClaimRequest]) -> Response:
        claimed, joined = await call.desk.claim(call.conversation.id, call.agent, take_over=call.body.take_over)
        await to_customer(claimed.id, joined)
        return JSONResponse({"conversation": claimed.id, "state": claimed.state.value, "agent": call.agent.email})

    @on_conversation("POST", "messages", MessageRequest)
    async def message(call: ConversationCall[MessageRequest]) -> Response:
        limit = call.services.settings.max_message_chars
        if not call.body.text.strip() or len(call.body.text) > limit:
            return _invalid(f"text: must be 1-{limit} characters and not blank")
        sent = await call.desk.post_agent_message(call.conversation.id, call.agent, call.body.text,
                                                  suggestion_id=call.body.suggestion_id)
        await to_customer(call.conversation.id, sent)
        return JSONResponse({"id": sent.id, "content": sent.content, "translated": bool(sent.metadata.get("original"))},
                            status_code=201)

    @on_conversation("POST", "notes", NoteRequest)
    async def note(call: ConversationCall[NoteRequest]) -> Response:
        if not call.body.text.strip():
            return _invalid("text: must not be blank")
        added = await call.desk.add_note(call.conversation.id, call.agent, call.body.text)
        return JSONResponse({"id": added.id, "conversation": call.conversation.id, "agent": added.agent,
                             "text": added.text, "created_at": added.created_at}, status_code=201)

    @on_conversation("POST", "resolve", _Empty)
    async def resolve(call: ConversationCall[_Empty]) -> Response:
        released = await call.desk.resolve(call.conversation.id, call.agent)
        await announce_release(released)
        return JSONResponse({"conversation": call.conversation.id, "state": released.conversation.state.value})

    @on_conversation("POST", "handback", HandbackRequest)
    async def handback(call: ConversationCall[HandbackRequest]) -> Response:
        released = await call.desk.hand_back(call.conversation.id, call.agent, call.body.note)
        await announce_release(released)
        return JSONResponse({"conversation": call.conversation.id, "state": released.conversation.state.value})

    move_catch_all_last(app)
