"""What a browser sends over the socket is checked before Chainlit reads it.

Chainlit's socket handlers index into payloads as they come (`payload["message"]["id"]`,
an `assert` on the message id) and show whatever goes wrong as an error message carrying
the exception's text (`'message'`, `AssertionError`). Here, once at start-up, the handlers
for the events a client sends with a payload are wrapped: the payload's shape is validated
(pydantic) first; a malformed one is logged with its reason, answered with a translated
sentence, and never reaches Chainlit, the engine or the store. Editing a sent message is
refused outright: the store keeps what was said, and re-running the turn would answer a
message that no longer exists. Whatever still fails inside Chainlit reaches the customer
as a translated apology (`QuietErrorMessage`), never as exception text.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import chainlit.message
import chainlit.socket
from chainlit.config import config
from chainlit.context import init_ws_context
from chainlit.session import WebsocketSession
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from app.core.domain import ConversationId
from app.core.i18n import say
from app.surfaces.runtime import RUNTIME

log = logging.getLogger(__name__)

ASSISTANT_AUTHOR = "Assistant"  # as app/conversation/engine.py names the assistant
Handler = Callable[..., Awaitable[Any]]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class SentStep(_Payload):
    """The fields of a client's message that Chainlit's `process_message` reads."""

    id: str
    output: str
    createdAt: str
    type: Literal["user_message"]
    threadId: str | None = None
    parentId: str | None = None
    name: str | None = None
    command: str | None = None
    language: str | None = None
    modes: dict[str, str] | None = None
    metadata: dict[str, Any] | None = None

    @field_validator("id")
    @classmethod
    def _uuid4(cls, value: str) -> str:
        try:
            if uuid.UUID(value).version == 4:
                return value
        except ValueError:
            pass
        raise ValueError("must be a version 4 UUID")


class FileReference(_Payload):
    id: str


class ClientMessage(_Payload):
    message: SentStep
    fileReferences: list[FileReference] | None = None


class Settings(_Payload):
    """chat_settings_change / chat_settings_edit: a flat object of setting values."""


PAYLOADS: dict[str, type[_Payload]] = {
    "client_message": ClientMessage,
    "chat_settings_change": Settings,
    "chat_settings_edit": Settings,
}


def install(sio: Any) -> None:
    """Wrap Chainlit's socket handlers (call once, after chainlit.server is imported)."""
    handlers = sio.handlers["/"]
    for event, model in PAYLOADS.items():
        handlers[event] = _validated(event, model, handlers[event])
    handlers["edit_message"] = _refuse_edit
    chainlit.socket.ErrorMessage = QuietErrorMessage  # bound at import by socket.py
    chainlit.message.ErrorMessage = QuietErrorMessage  # imported at call time by chainlit.utils
    if config.features.edit_message:
        log.warning("edit_message is on in .chainlit/config.toml, but Frontline refuses edits: turn it off "
                    "so the chat does not offer an edit button")


def _validated(event: str, model: type[_Payload], handler: Handler) -> Handler:
    async def guarded(sid: str, *args: Any) -> Any:
        if len(args) != 1:
            return await _refuse(sid, event, f"expected one payload, got {len(args)}", "input.malformed")
        try:
            model.model_validate(args[0])
        except ValidationError as exc:
            reason = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}"
                               for e in exc.errors(include_url=False, include_input=False))
            return await _refuse(sid, event, reason, "input.malformed")
        return await handler(sid, args[0])

    guarded.__name__ = f"guarded_{event}"
    return guarded


async def _refuse_edit(sid: str, *_payload: Any) -> None:
    await _refuse(sid, "edit_message", "editing sent messages is not supported", "input.edit_refused")


async def _refuse(sid: str, event: str, reason: str, key: str) -> None:
    session = WebsocketSession.get(sid)
    log.warning("socket event %s refused for session %s: %s", event, session.id if session else f"sid {sid}",
                reason[:500])
    if session is None:  # not connected as a chat session: nobody to tell
        return
    init_ws_context(session)
    await chainlit.message.Message(content=say(key, await session_language(session)),
                                   author=ASSISTANT_AUTHOR).send()


async def session_language(session: Any) -> str:
    """The conversation's language if it has one, else the widget's locale, else English."""
    if session.thread_id and RUNTIME.services is not None:
        try:
            conversation = await RUNTIME.services.conversations.get(ConversationId(session.thread_id))
        except Exception:  # an apology must not fail for want of a language
            log.exception("language lookup failed for %s", session.thread_id)
            conversation = None
        if conversation is not None and conversation.language:
            return conversation.language
    metadata = (session.user.metadata or {}) if session.user else {}
    return str(metadata.get("locale") or "en")


class QuietErrorMessage(chainlit.message.ErrorMessage):
    """Chainlit's error message without the exception's text (Chainlit has logged it already)."""

    async def send(self):  # type: ignore[no-untyped-def]
        from chainlit.context import context

        self.content = say("error.unexpected", await session_language(context.session))
        self.author = ASSISTANT_AUTHOR
        return await super().send()
