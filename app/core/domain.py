"""Core value types shared by the engine, the store and the UI layer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NewType

from app.core import clock

ConversationId = NewType("ConversationId", str)
MessageId = NewType("MessageId", str)
TenantId = NewType("TenantId", str)


def utcnow() -> str:
    """Now on the process clock (app/core/clock.py), in the store's timestamp format."""
    return clock.stamp(clock.now())


def new_id() -> str:
    return str(uuid.uuid4())


class Ownership(StrEnum):
    """Who speaks for the company in a conversation (DESIGN.md: ownership state machine)."""

    ASSISTANT = "assistant"
    QUEUED = "queued"
    HUMAN = "human"
    RESOLVED = "resolved"


class Role(StrEnum):
    CUSTOMER = "customer"
    ASSISTANT = "assistant"
    AGENT = "agent"
    SYSTEM = "system"


@dataclass(frozen=True)
class Identity:
    """Who is chatting. `customer_id` is set only from a token signed by the tenant's site."""

    tenant: TenantId
    user_identifier: str
    customer_id: str | None = None
    display_name: str | None = None
    locale: str | None = None
    channel: str = "web"  # where the customer writes from: "web", "email", "messaging" ...

    @property
    def verified(self) -> bool:
        return self.customer_id is not None


@dataclass(frozen=True)
class Conversation:
    id: ConversationId
    tenant: TenantId
    kind: str
    user_identifier: str
    customer_id: str | None
    language: str | None
    state: Ownership
    assigned_agent: str | None
    queue: str | None
    priority: int
    misses: int
    name: str | None
    created_at: str
    updated_at: str
    flow: dict[str, Any] | None = None  # a task in progress (app/conversation/flows), as stored
    customer_tier: str | None = None  # the verified customer's CRM tier, once read; spend is split by it
    channel: str = "web"  # the channel it started on; replies by the assistant or an agent go back there

    @property
    def verified(self) -> bool:
        return self.customer_id is not None


@dataclass(frozen=True)
class Message:
    id: MessageId
    conversation_id: ConversationId
    role: Role
    author: str
    content: str
    created_at: str = field(default_factory=utcnow)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Citation:
    title: str
    url: str
    section: str | None = None
