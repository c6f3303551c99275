"""Talking to the real engine in-process: one conversation as a customer of the demo tenant."""

from __future__ import annotations

from typing import Any

from app.domain import ConversationId, Identity, MessageId, TenantId, new_id
from app.engine import Turn
from connectors.demo_sqlite import DemoSqliteConnector


class Chat:
    """One conversation with the engine; `say` returns the reply's text and its decision trace."""

    def __init__(self, services: Any, customer: str | None = None, locale: str = "en") -> None:
        self.services = services
        self.id = ConversationId(new_id())
        self.identity = Identity(TenantId("demo"), f"test:{customer or new_id()}", customer_id=customer,
                                 locale=locale)

    async def say(self, text: str, choice: str | None = None) -> tuple[str, dict[str, Any]]:
        outcome = await self.services.engine.handle(
            Turn(self.id, MessageId(new_id()), self.identity, text, choice=choice))
        trace = await self.services.conversations.trace(outcome.reply.id)
        return outcome.reply.content, trace


def backend(services: Any) -> DemoSqliteConnector:
    return services.engine.tenants["demo"].connector


async def rows(services: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows of the demo business system's own database."""
    return [dict(r) for r in await backend(services)._fetch(sql, params)]
