"""Who a log line is about: the tenant and conversation of the turn being handled.

The engine binds them around each turn (app/conversation/watch.py); the JSON log format
(app/cli/json_logs.py) adds them to every line logged meanwhile, from any module, without
passing them down. Context variables keep concurrent turns apart: each asyncio task sees
its own turn's values.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

TENANT: ContextVar[str | None] = ContextVar("frontline_tenant", default=None)
CONVERSATION: ContextVar[str | None] = ContextVar("frontline_conversation", default=None)


def bind(tenant: str, conversation: str) -> Callable[[], None]:
    """Set both for the current task; returns what puts the previous values back."""
    tenant_token, conversation_token = TENANT.set(tenant), CONVERSATION.set(conversation)

    def unbind() -> None:
        CONVERSATION.reset(conversation_token)
        TENANT.reset(tenant_token)

    return unbind


def current() -> dict[str, str]:
    """The bound ids, only those known."""
    values = {"tenant": TENANT.get(), "conversation_id": CONVERSATION.get()}
    return {key: value for key, value in values.items() if value is not None}
