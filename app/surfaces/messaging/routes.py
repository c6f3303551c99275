"""The webhook a bridge calls, POST /channels/messaging/{tenant}/messages, and the callback a
company's site makes after a sign-in link, POST /channels/messaging/{tenant}/link.

Checked in this order, each refusal a JSON `{"error", "message"}` and a logged reason, with
nothing stored: unknown tenant or channel off 404; body over MAX_BODY_BYTES 413; signature
missing, wrong, or older than five minutes 401; not JSON or a field wrong 400 (naming it); an
identity token the company's site did not sign 400. A good message is stored and answered 202
at once; its turn runs in the background (app/surfaces/messaging/inbox.py). The same bridge
message id again answers 202 with `"duplicate": true` and is not run again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.core.config_file import validation_problems
from app.core.domain import new_id
from app.core.errors import AuthError
from app.store.messaging import DuplicateRace
from app.surfaces.auth import verify_identity_token
from app.surfaces.messaging.linking import linked_sender
from app.surfaces.messaging.signing import SIGNATURE_HEADER, refusal
from app.surfaces.web import json_error, move_catch_all_last, read_json_body

if TYPE_CHECKING:
    from app.services import Services
    from app.surfaces.messaging.channel import MessagingChannel

log = logging.getLogger(__name__)

PATH = "/channels/messaging/{tenant_id}/messages"
LINK_PATH = "/channels/messaging/{tenant_id}/link"
MAX_BODY_BYTES = 64 * 1024
MAX_ATTACHMENTS = 10


class Attachment(BaseModel):
    """A file the customer sent, described by the bridge; listed for the agent, never fetched."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    type: str | None = Field(default=None, max_length=100)
    url: str | None = Field(default=None, max_length=2000)
    size: int | None = Field(default=None, ge=0)


class InboundMessage(BaseModel):
    """One customer message as a bridge sends it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200, description="the bridge's message id (deduplication key)")
    sender: str = Field(min_length=1, max_length=200, description="the bridge's id of the person writing")
    text: str = Field(default="", max_length=100_000)  # the engine's own limit answers, translated
    name: str | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, max_length=35)
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    choice: str | None = Field(default=None, max_length=200, description="the quick reply's value, if tapped")
    identity_token: str | None = Field(default=None, max_length=4096,
                                       description="signed by the company's site, as for the widget")

    @model_validator(mode="after")
    def _something_said(self) -> InboundMessage:
        if not self.text.strip() and not self.attachments and not self.choice:
            raise ValueError("text: a message needs text, a choice or an attachment")
        return self


class LinkRequest(BaseModel):
    """The company's site, after signing in a customer who followed a chat's sign-in link."""

    model_config = ConfigDict(extra="forbid")

    state: str = Field(min_length=1, max_length=4096, description="the sign-in link's frontline_link value")
    identity: str = Field(min_length=1, max_length=4096, description="the identity token, as for the widget")


async def _read_capped(request: Request) -> bytes | None:
    """The raw body, or None past MAX_BODY_BYTES (reading stops one byte past the cap)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            return None
    return bytes(raw)


def _locale(value: str | None) -> str | None:
    return (value or "").split("-")[0].split("_")[0].lower() or None


def install_messaging_routes(app: FastAPI, services: Callable[[], Services | None],
                             channel: Callable[[], MessagingChannel | None]) -> None:
    """Add the webhook route, keeping Chainlit's catch-all page route behind it."""

    @app.post(PATH, name="messaging_inbound")
    async def inbound(request: Request, tenant_id: str) -> Response:
        current, messaging = services(), channel()
        if current is None or messaging is None:
            return json_error(503, "starting", "Frontline is starting; try again in a few seconds.")
        tenant = current.tenants.get(tenant_id[:64])
        config = tenant.messaging if tenant is not None else None
        if tenant is None or config is None or not config.enabled:
            log.info("messaging webhook for %r refused: no such tenant or its channel is off", tenant_id[:64])
            return json_error(404, "not_found", "No messaging channel here for that tenant.")
        secret = os.environ.get(config.secret_env)
        if not secret:
            log.error("messaging webhook for %s refused: environment variable %s (the signing secret) is not set",
                      tenant.id, config.secret_env)
            return json_error(503, "not_configured", "The messaging channel has no signing secret configured.")
        raw = await _read_capped(request)
        if raw is None:
            log.info("messaging webhook for %s refused: body over %d bytes", tenant.id, MAX_BODY_BYTES)
            return json_error(413, "too_large", f"The request body exceeds {MAX_BODY_BYTES} bytes.")
        reason = refusal(secret, request.headers.get(SIGNATURE_HEADER), raw)
        if reason is not None:
            log.warning("messaging webhook for %s refused (401): %s", tenant.id, reason)
            return json_error(401, "bad_signature", f"Request not accepted: {reason}.")
        try:
            message = InboundMessage.model_validate_json(raw)
        except ValidationError as exc:
            problems = validation_problems(exc, "body")
            log.info("messaging webhook for %s refused (400): %s", tenant.id, problems)
            return json_error(400, "invalid_request", f"Invalid message: {problems}")
        customer_id = config.customers.get(message.sender) or await messaging.store.linked_customer(
            tenant.id, message.sender)
        if message.identity_token is not None:
            try:
                customer_id = verify_identity_token(tenant, message.identity_token)
            except AuthError as exc:
                log.info("messaging webhook for %s refused (400): identity token: %s", tenant.id, exc)
                return json_error(400, "invalid_identity", str(exc))
        kept: dict[str, Any] = message.model_dump(exclude={"identity_token"}, exclude_none=True)
        kept["locale"] = _locale(message.locale)
        try:
            accepted = await messaging.store.accept(
                tenant.id, message.id, message.sender, customer_id, {"message": kept, "customer_id": customer_id},
                new_id(), new_id())
        except DuplicateRace:
            found = await messaging.store.inbox_entry(tenant.id, message.id)
            assert found is not None
            return JSONResponse({"accepted": True, "duplicate": True, "conversation_id": found.conversation_id,
                                 "message_id": found.message_id}, status_code=202)
        if accepted.duplicate:
            log.info("messaging webhook for %s: message %r seen before, not run again", tenant.id, message.id[:200])
        else:
            messaging.worker.wake()
        return JSONResponse({"accepted": True, "duplicate": accepted.duplicate,
                             "conversation_id": accepted.conversation_id, "message_id": accepted.message_id},
                            status_code=202)

    @app.post(LINK_PATH, name="messaging_link")
    async def link(request: Request, tenant_id: str) -> Response:
        """Link a sender to the customer the company's site signed in (app/surfaces/messaging/linking.py)."""
        current, messaging = services(), channel()
        if current is None or messaging is None:
            return json_error(503, "starting", "Frontline is starting; try again in a few seconds.")
        tenant = current.tenants.get(tenant_id[:64])
        if tenant is None or tenant.messaging is None or not tenant.messaging.enabled:
            return json_error(404, "not_found", "No messaging channel here for that tenant.")
        body = await read_json_body(request, LinkRequest, "Invalid link request")
        if isinstance(body, Response):
            return body
        try:
            sender = linked_sender(tenant, body.state)
            customer_id = verify_identity_token(tenant, body.identity)
        except AuthError as exc:
            log.info("messaging link for %s refused: %s", tenant.id, exc)
            return json_error(401, "unauthorized", str(exc))
        await messaging.store.link(tenant.id, sender, customer_id, new_id())
        log.info("messaging sender of %s linked to a verified customer", tenant.id)
        return JSONResponse({"linked": True})

    move_catch_all_last(app)
