"""LLM mode never sends the verified customer's own details to the provider: the real engine,
the demo CRM, and litellm against a scripted OpenAI-compatible server that keeps every request."""

from __future__ import annotations

import json
import unicodedata

import pytest

from app.config.settings import Settings
from app.services import build_services
from tests.support.engine import Chat, fixed_clock
from tests.support.fake_llm import call, reply
from tests.support.server import demo_tenant_file

pytestmark = pytest.mark.asyncio(loop_scope="module")

ARTICLES = ("shipping-times-and-costs",)
# cus_1002 in demo/crm.json: Lucía Fernández, lucia.fernandez@example.com, orders shipped to
# "Calle de Toledo 88, Madrid, 28005, Spain".
TYPED = [
    "Hola, soy lucia FERNANDEZ. How long does shipping to calle de toledo 88, madrid take?",
    "Thanks! Fernández again: my number is +34 612 345 678 and my e-mail LUCIA.Fernandez@example.com",
]
NEVER_SENT = ["lucia", "fernandez", "toledo", "612 345 678", "lucia.fernandez@example.com"]


def plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


async def test_the_provider_never_sees_the_customers_name_address_phone_or_email(fake_llm, tmp_path):
    model = {"model": "openai/gpt-4o-mini", "api_base": fake_llm.url, "timeout": 5, "retries": 0}
    settings = Settings(data_dir=tmp_path / "data", tenants=[demo_tenant_file(tmp_path, ARTICLES, llm=model)])
    fake_llm.script.clear()
    fake_llm.requests.clear()
    fake_llm.queue(call("search_help_center", {"query": "shipping times"}), call("get_order_status", {}),
                   reply("Standard shipping takes 3 to 5 business days."), reply("Noted, thank you."))
    async with build_services(settings, clock=fixed_clock()) as services:
        chat = Chat(services, customer="cus_1002")
        for text in TYPED:
            await chat.say(text)
        stored = [m.content for m in await services.conversations.messages(chat.id) if m.role.value == "customer"]
    assert stored == TYPED  # the customer's own transcript keeps what they typed
    assert len(fake_llm.requests) == 4, "every scripted step was asked for"
    sent = plain(json.dumps([r["messages"] for r in fake_llm.requests], ensure_ascii=False))
    assert [value for value in NEVER_SENT if value in sent] == []
    assert "[name]" in sent and "[address]" in sent and "[phone]" in sent and "[email]" in sent
    assert "shipping" in sent and "order" in sent  # the question itself still reaches the model


async def test_a_suggested_reply_hides_the_customers_own_details_from_the_provider(fake_llm, tmp_path):
    """The agent's draft reply is made from the transcript: the customer's name, address and
    phone as they typed them are redacted there too, not only the pattern-shaped values."""
    from app.store.accounts import Agent

    model = {"model": "openai/gpt-4o-mini", "api_base": fake_llm.url, "timeout": 5, "retries": 0}
    settings = Settings(data_dir=tmp_path / "data", tenants=[demo_tenant_file(tmp_path, ARTICLES, llm=model)])
    fake_llm.script.clear()
    fake_llm.queue(reply("Standard shipping takes 3 to 5 business days."),
                   reply("Hi! Shipping to Madrid takes 3 to 5 business days."))
    async with build_services(settings, clock=fixed_clock()) as services:
        chat = Chat(services, customer="cus_1002")
        await chat.say(TYPED[0])
        fake_llm.requests.clear()
        agent = Agent("sam@example.com", "Sam", "agent", ["*"])
        packet = await services.desk.packet(chat.id, agent, suggest=True)
    assert packet is not None and packet.suggested_reply["method"] == "llm"
    assert len(fake_llm.requests) == 1
    sent = plain(json.dumps(fake_llm.requests[0]["messages"], ensure_ascii=False))
    assert [value for value in NEVER_SENT if value in sent] == []
    assert "[name]" in sent and "[address]" in sent
