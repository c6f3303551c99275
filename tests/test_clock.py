"""One clock: the engine, the store and the demo seed all read it, so the demo behaves the
same on any calendar day (a refund window is still open 400 days later)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta

import pytest
import pytest_asyncio

from app.config.settings import Settings
from app.core import clock as clocks
from app.core.clock import StartingAt
from app.core.errors import ConfigError
from app.services import build_services
from connectors.demo_sqlite import DemoSqliteConnector, seeded_value
from tests.support.engine import TEST_START, Chat, fixed_clock, rows

IN_MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")
LATER = 400  # days after the day the demo data reads as written


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def later(tmp_path_factory):
    """The real engine and demo business system on a clock 400 days ahead."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("later") / "data")
    async with build_services(settings, clock=fixed_clock(LATER)) as built:
        yield built


@IN_MODULE_LOOP
async def test_a_refund_within_the_window_is_still_offered_400_days_later(later):
    today = (TEST_START + timedelta(days=LATER)).date()
    (order,) = await rows(later, "SELECT delivered_at FROM orders WHERE id = 'BW-10213'")
    delivered = datetime.fromisoformat(order["delivered_at"]).date()
    assert timedelta(0) < today - delivered <= timedelta(days=30), order  # the seed moved with the clock

    chat = Chat(later, "cus_1011")
    confirm, _ = await chat.say("I want a refund for order BW-10213")
    assert "I'll start a return for order BW-10213" in confirm and "$143.95" in confirm, confirm
    (first, _t1), (second, _t2) = await asyncio.gather(chat.say("yes"), chat.say("yes", choice="yes"))
    requests = await rows(later, "SELECT id, created_at FROM refund_requests WHERE customer_id = 'cus_1011'")
    assert len(requests) == 1 and requests[0]["id"] in first + second, (requests, first, second)
    assert requests[0]["created_at"].startswith(today.isoformat())  # the demo system's own stamp
    (entry,) = await later.db.fetch_all("SELECT status, created_at FROM action_ledger WHERE conversation_id = ?",
                                        (chat.id,))
    assert entry["status"] == "submitted" and entry["created_at"].startswith(today.isoformat())
    stamps = [m.created_at for m in await later.conversations.messages(chat.id, limit=10)]
    assert stamps and all(s.startswith(today.isoformat()) for s in stamps), stamps  # messages too
    assert clocks.today() == today  # the process clock is the one the services were built with


@IN_MODULE_LOOP
async def test_a_delivery_past_the_window_is_refused_on_the_moved_day_too(later):
    confirm, _ = await Chat(later, "cus_1018").say("I want a refund for order BW-10222")
    assert "I'll start a return for order BW-10222" in confirm, confirm  # delivered 11 days before
    (order,) = await rows(later, "SELECT placed_at, estimated_delivery FROM orders WHERE id = 'BW-10222'")
    assert order["placed_at"].startswith(str((TEST_START + timedelta(days=LATER)).year))


def test_relative_seed_dates_resolve_around_the_seeding_day():
    day = date(2031, 2, 27)
    assert seeded_value({"days_ago": 3}, day) == "2031-02-24"
    assert seeded_value({"days_ahead": 2}, day) == "2031-03-01"
    assert seeded_value({"days_ago": 0, "at": "09:30:00Z"}, day) == "2031-02-27T09:30:00Z"
    assert seeded_value("2026-01-01", day) == "2026-01-01"  # a fixed date stays as written
    assert seeded_value(None, day) is None


@IN_MODULE_LOOP
async def test_a_malformed_relative_date_stops_seeding_with_a_clear_error(tmp_path):
    seed = tmp_path / "crm.json"
    seed.write_text(json.dumps({"customers": [{
        "id": "c1", "name": "N", "email": "n@example.com", "plan": "pro", "annual_contract_value": 1.0,
        "renewal_date": {"days_ago": 1, "days_ahead": 2}, "sla_tier": "standard"}]}))
    with pytest.raises(ConfigError, match="does not match the schema: a relative date takes"):
        await DemoSqliteConnector.open(tmp_path / "crm.sqlite3", seed, fixed_clock())


def test_a_clock_started_at_an_instant_then_advances():
    start = datetime(2030, 1, 1, tzinfo=UTC)
    clock = StartingAt(start)
    first, second = clock(), clock()
    assert start <= first <= second < start + timedelta(seconds=5)
    with pytest.raises(ValueError, match="time zone"):
        StartingAt(datetime(2030, 1, 1))

