"""Talking to the real engine in-process: one conversation as a customer of the demo tenant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.conversation.turn import Turn
from app.core.clock import StartingAt
from app.core.domain import ConversationId, Identity, MessageId, TenantId, new_id
from connectors.demo_sqlite import DemoSqliteConnector

# The in-process engine runs on a clock that starts here, the day the demo data reads as
# written: dates in tests (a delivery 11 days ago, a renewal next week) are then the same on
# any calendar day. The demo seed is relative to the clock, so any other start works too.
TEST_START = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def fixed_clock(days_later: float = 0) -> StartingAt:
    """A fresh clock for `build_services(settings, clock=...)`, `days_later` after TEST_START."""
    return StartingAt(TEST_START + timedelta(days=days_later))


class MovedByHand:
    """A clock that stands still until the test moves it (`clock.at = ...`)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def as_seeded_today(written: str) -> str:
    """A demo/crm.json date as the file read when written (on TEST_START's day), as a server
    seeded today on the real clock shows it: the seed is relative to the seeding day."""
    shift = datetime.now(UTC).date() - TEST_START.date()
    return (date.fromisoformat(written) + shift).isoformat()


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
