"""Model spend per customer tier after real turns: the in-process engine in LLM mode against the
scripted provider, the demo CRM's tiers read by triage, the report over the store, on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from app.analytics.report import build_report
from app.config.settings import Settings
from app.core.domain import ConversationId, Identity, TenantId
from app.services import build_services
from app.store import ConversationStore, Database
from tests.support.engine import Chat, fixed_clock
from tests.support.fake_llm import FakeLLM, reply
from tests.support.server import demo_tenant_file


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def services(request: pytest.FixtureRequest, tmp_path, fake_llm: FakeLLM) -> AsyncIterator[Any]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    tenant = demo_tenant_file(tmp_path, articles=("reset-your-password",), llm={
        "model": "openai/gpt-4o-mini", "api_base": fake_llm.url, "timeout": 5, "retries": 0})
    settings = Settings(data_dir=tmp_path / "data", tenants=[tenant], database_url=url)
    async with build_services(settings, clock=fixed_clock()) as built:
        yield built


async def _ask(chat: Chat, fake_llm: FakeLLM, prompt_tokens: int) -> None:
    fake_llm.script.clear()
    fake_llm.queue(reply("We ship to most countries in Europe.", prompt_tokens=prompt_tokens, completion_tokens=10))
    await chat.say("Which countries do you ship to?")


async def test_spend_is_counted_under_the_verified_customers_crm_tier(services, fake_llm):
    enterprise, premium = Chat(services, "cus_1009"), Chat(services, "cus_1006")  # demo/crm.json's sla_tier
    again = Chat(services, "cus_1009")
    guest, unread = Chat(services), Chat(services, "cus_0000")  # no CRM record: the tier is not known
    for chat, tokens in ((enterprise, 100), (again, 50), (premium, 200), (guest, 300), (unread, 400)):
        await _ask(chat, fake_llm, tokens)
    await _ask(enterprise, fake_llm, 1000)  # a second turn, still one conversation of the tier

    tiers = {c.id: (await services.conversations.get(c.id)).customer_tier
             for c in (enterprise, premium, guest, unread)}
    assert tiers == {enterprise.id: "enterprise", premium.id: "premium", guest.id: None, unread.id: None}

    report = await build_report(services.db, "demo", since=None, until=None, now=fixed_clock()())
    by_tier = {g.name: (g.conversations, g.usage.calls, g.usage.prompt_tokens) for g in report.model_spend.by_tier}
    assert by_tier == {"enterprise": (2, 3, 1150), "premium": (1, 1, 200), "unknown": (2, 2, 700)}
    assert sum(g.usage.calls for g in report.model_spend.by_tier) == report.model_spend.total.calls == 6
    assert "tier_note" not in report.model_dump()


async def test_a_known_tier_is_never_replaced_by_nothing(database: Database):
    store = ConversationStore(database)
    await store.ensure("t1", Identity(TenantId("demo"), "customer:demo:cus_1", customer_id="cus_1"))
    assert await store.record_tier("t1", " Premium ")
    assert not await store.record_tier("t1", "premium")  # already kept: no write
    assert not await store.record_tier("t1", "  ")
    assert (await store.get(ConversationId("t1"))).customer_tier == "premium"
    assert await store.record_tier("t1", "enterprise")  # an upgrade during the chat
    assert (await store.get(ConversationId("t1"))).customer_tier == "enterprise"
