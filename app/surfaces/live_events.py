"""What one chat pushes live into others, as data, and the relay that carries it.

A `LiveEvent` is plain data (the stored message's id, its text as shown, the buttons), so it
can cross to another process. A `Relay` carries it to every replica; each replica renders it
into its own sessions with one function (the console's `render_live`), whether the event
started there or elsewhere. `LocalRelay` is the single-process relay;
app/surfaces/redis_relay.py shares events between replicas through Redis pub/sub.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

Audience = Literal["customer", "agent", "agents"]


@dataclass(frozen=True)
class LiveEvent:
    """One push into live chats: to a conversation's customer (`target` is the conversation
    id), to an agent (their email), or to every agent serving a tenant (the tenant id)."""

    audience: Audience
    target: str
    content: str  # the text as it is shown (translated, headed) so no replica redoes that work
    author: str = ""
    message_id: str | None = None  # the stored message, so a reloaded page shows it once
    conversation_id: str | None = None
    actions: tuple[dict[str, Any], ...] = field(default=())  # buttons: name, label, payload

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> LiveEvent:
        data = json.loads(raw)
        return cls(**{**data, "actions": tuple(data.get("actions") or ())})


Render = Callable[[LiveEvent], Awaitable[None]]


class Relay(Protocol):
    async def publish(self, event: LiveEvent) -> None:
        """Show `event` in every live session it addresses, on every replica, once each."""
        ...


class LocalRelay:
    """One process: every session is here, so publishing is rendering."""

    def __init__(self, render: Render) -> None:
        self._render = render

    async def publish(self, event: LiveEvent) -> None:
        await self._render(event)
