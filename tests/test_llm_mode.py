"""LLM mode through litellm itself, against a scripted OpenAI-compatible server on 127.0.0.1,
with the real store, knowledge index and demo connector."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import pytest_asyncio
import yaml

from app.config.settings import Settings
from app.conversation.turn import Turn
from app.core import metrics
from app.core.domain import ConversationId, Identity, MessageId, Ownership, TenantId, new_id
from app.services import build_services
from tests.support.engine import fixed_clock
from tests.support.fake_llm import call, error, reply, slow
from tests.support.server import PROJECT_ROOT

pytestmark = pytest.mark.asyncio(loop_scope="module")

RESET_LINK = "/kb/demo/reset-your-password#how-to-reset-your-brightwave-password"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(tmp_path_factory, fake_llm):
    folder = tmp_path_factory.mktemp("llm")
    tenant = yaml.safe_load((PROJECT_ROOT / "demo" / "tenant.yaml").read_text())
    demo = PROJECT_ROOT / "demo"
    tenant["knowledge"]["paths"] = [str(demo / "helpcenter")]
    tenant["intents"] = str(demo / "intents.yaml")
    tenant["actions"] = str(demo / "actions.yaml")
    tenant["handoff"] = str(demo / "handoff.yaml")
    tenant["connector"]["options"]["seed"] = str(demo / "crm.json")
    tenant["llm"] = {"model": "openai/gpt-4o-mini", "fallbacks": ["openai/gpt-4o"], "api_base": fake_llm.url,
                     "timeout": 1.5, "retries": 0, "breaker_failures": 2, "breaker_cooldown": 1}
    (folder / "tenant.yaml").write_text(yaml.safe_dump(tenant))
    settings = Settings(data_dir=folder / "data", tenants=[folder / "tenant.yaml"])
    async with build_services(settings, clock=fixed_clock()) as built:
        yield built


def turn(text: str, customer_id: str | None = None, conversation: str | None = None) -> Turn:
    identity = Identity(TenantId("demo"), f"test:{customer_id or new_id()}", customer_id=customer_id,
                        locale="en")
    return Turn(ConversationId(conversation or new_id()), MessageId(new_id()), identity, text)


async def handle(services, fake_llm, *steps, text: str, customer_id: str | None = None, stream: bool = True):
    fake_llm.script.clear()  # a turn that never reached the model must not leave steps for the next
    fake_llm.queue(*steps)
    tokens: list[str] = []

    async def sink(token: str) -> None:
        tokens.append(token)

    outcome = await services.engine.handle(turn(text, customer_id), on_token=sink if stream else None)
    trace = await services.conversations.trace(outcome.reply.id) if outcome.reply else None
    return outcome, trace, tokens


async def test_streamed_answer_from_a_help_center_search_with_cost_recorded(services, fake_llm):
    answer = f"Use **Forgot password?** on the sign-in page. Source: [Reset your password]({RESET_LINK})"
    outcome, trace, tokens = await handle(
        services, fake_llm, call("search_help_center", {"query": "reset password"}), reply(answer),
        text="How long does a new password have to be?")
    assert outcome.reply is not None and outcome.reply.content == answer
    assert len(tokens) > 3 and "".join(tokens) == answer  # streamed, word by word
    tool_message = fake_llm.requests[-1]["messages"][-1]
    assert tool_message["role"] == "tool" and "Forgot password" in tool_message["content"]
    assert [t["function"]["name"] for t in fake_llm.requests[-1]["tools"]] == [
        "search_help_center", "get_order_status", "list_invoices", "list_subscriptions", "hand_off_to_human"]
    assert trace["mode"] == "llm" and trace["llm"]["prompt_version"] == "answer.v3"
    assert trace["llm"]["tools"] == [{"tool": "search_help_center", "outcome": "ok", "query": "reset password",
                                      "hits": trace["llm"]["tools"][0]["hits"]}]
    assert "reset-your-password" in trace["llm"]["tools"][0]["hits"]
    assert trace["llm"]["prompt_tokens"] == 240 and trace["llm"]["completion_tokens"] == 60
    assert trace["llm"]["cost_usd"] == pytest.approx(240 * 1.5e-07 + 60 * 6e-07)
    usage = await services.engine.usage.totals(conversation_id=outcome.conversation.id)
    assert usage["calls"] == 2 and usage["prompt_tokens"] == 240 and usage["cost_usd"] > 0
    assert (await services.engine.usage.totals(tenant="demo"))["calls"] >= 2


async def test_model_usage_is_counted_per_tenant_in_the_metrics(services, fake_llm):
    fresh = metrics.Metrics()
    previous = metrics.install(fresh)
    try:
        _, trace, _ = await handle(services, fake_llm, call("search_help_center", {"query": "reset password"}),
                                   reply("Use **Forgot password?**."), text="How long must a new password be?")
    finally:
        metrics.install(previous)
    assert trace["mode"] == "llm"
    assert fresh.value("frontline_llm_tokens_total", {"tenant": "demo", "kind": "prompt"}) == 240
    assert fresh.value("frontline_llm_tokens_total", {"tenant": "demo", "kind": "completion"}) == 60
    assert fresh.value("frontline_llm_cost_usd_total", {"tenant": "demo"}) == pytest.approx(trace["llm"]["cost_usd"])


CUSTOMER_INVOICES = {"cus_1003": {i["id"] for i in json.loads(
    (PROJECT_ROOT / "demo" / "crm.json").read_text())["invoices"] if i["customer_id"] == "cus_1003"}}


async def test_order_tool_uses_the_verified_identity_only(services, fake_llm):
    outcome, trace, _ = await handle(
        services, fake_llm, call("get_order_status", {}), reply("Your hub is on its way."),
        text="Can you check something for me please?", customer_id="cus_1001")
    tool_result = json.loads(fake_llm.requests[-1]["messages"][-1]["content"])
    assert tool_result["orders"][0]["order"] == "BW-10234" and tool_result["orders"][0]["status"] == "in_transit"

    # the model asks for someone else's order on behalf of a guest: refused
    await handle(services, fake_llm, call("get_order_status", {"order_id": "BW-10234", "customer_id": "cus_1001"}),
                 reply("Please sign in first."), text="Please check this one for me: BW-10234")
    assert "not signed in" in json.loads(fake_llm.requests[-1]["messages"][-1]["content"])["error"]
    # a different verified customer cannot read it either, whatever the arguments say
    await handle(services, fake_llm, call("get_order_status", {"order_id": "BW-10234", "customer_id": "cus_1001"}),
                 reply("I can't find that order."), text="Please check this one for me: BW-10234",
                 customer_id="cus_1003")
    result = json.loads(fake_llm.requests[-1]["messages"][-1]["content"])
    assert "no customer_id argument" in result["error"]
    await handle(services, fake_llm, call("get_order_status", {"order_id": "BW-10234"}),
                 reply("I can't find that order."), text="Please check this one for me: BW-10234",
                 customer_id="cus_1003")
    result = json.loads(fake_llm.requests[-1]["messages"][-1]["content"])
    assert result == {"error": "No order BW-10234 on this customer's account."}
    await handle(services, fake_llm, call("list_invoices", {}), reply("Here they are."),
                 text="What did you bill me?", customer_id="cus_1003")
    invoices = json.loads(fake_llm.requests[-1]["messages"][-1]["content"])["invoices"]
    assert invoices and all(i["invoice"] in CUSTOMER_INVOICES["cus_1003"] for i in invoices)


async def test_a_malformed_tool_call_is_answered_and_the_model_recovers(services, fake_llm):
    outcome, trace, _ = await handle(
        services, fake_llm, call("search_help_center", '{"query": "refund'), call("launch_rockets", {}),
        reply("Refunds for annual plans are possible within 14 days."), text="What are the refund rules?")
    assert outcome.reply.content.startswith("Refunds for annual plans")
    assert [t["outcome"] for t in trace["llm"]["tools"]] == ["malformed", "unknown_tool"]
    messages = fake_llm.requests[-1]["messages"]
    assert "not valid JSON" in messages[-3]["content"] and "no tool named" in messages[-1]["content"]


async def test_provider_error_and_timeout_fall_back_to_the_next_model(services, fake_llm):
    outcome, trace, _ = await handle(services, fake_llm, error(500), reply("From the fallback model."),
                                     text="hello, what plans do you have?", stream=False)
    assert outcome.reply.content == "From the fallback model." and trace["llm"]["model"] == "openai/gpt-4o"
    assert trace["llm"]["fallback_attempts"][0]["model"] == "openai/gpt-4o-mini"
    outcome, trace, _ = await handle(services, fake_llm, slow(3), reply("Fallback after a timeout."),
                                     text="what plans do you have?", stream=False)
    assert outcome.reply.content == "Fallback after a timeout."
    assert trace["llm"]["fallback_attempts"] == [{"model": "openai/gpt-4o-mini", "error": "timed out"}]


async def test_when_every_model_fails_grounded_mode_answers_and_the_breaker_opens(services, fake_llm):
    breaker = services.engine.tenants["demo"].llm.breaker
    outcome, trace, _ = await handle(services, fake_llm, error(500), error(503),
                                     text="How do I reset my password?", stream=False)
    assert trace["mode"] == "grounded" and "Every configured model failed" in trace["llm"]["error"]
    assert "Reset your password" in outcome.reply.content  # a real answer, quoted from the help center
    await handle(services, fake_llm, error(500), error(500), text="How do I reset my password?", stream=False)
    assert breaker.state == "open"
    assert metrics.current().value("frontline_circuit_breaker_state", {"breaker": "demo LLM"}) == 2

    calls = len(fake_llm.requests)
    outcome, trace, _ = await handle(services, fake_llm, text="How do I reset my password?", stream=False)
    assert trace["llm"] == {"skipped": "circuit breaker open"} and len(fake_llm.requests) == calls
    assert "Reset your password" in outcome.reply.content

    await asyncio.sleep(1.1)  # cooldown: one turn may try the provider again, and it has recovered
    outcome, trace, _ = await handle(services, fake_llm, reply("Back to normal."),
                                     text="hi there, which plans do you offer?", stream=False)
    assert outcome.reply.content == "Back to normal." and breaker.state == "closed"
    assert metrics.current().value("frontline_circuit_breaker_state", {"breaker": "demo LLM"}) == 0


async def test_the_model_can_hand_the_conversation_to_a_person(services, fake_llm):
    outcome, trace, _ = await handle(
        services, fake_llm, call("hand_off_to_human", {"reason": "Customer disputes a charge."}),
        reply("A member of our team will join shortly."), text="I have a problem nobody could solve so far")
    assert outcome.queued and outcome.conversation.state is Ownership.QUEUED
    assert trace["decision"]["rule"] == "model_requested_handoff"
    assert trace["decision"]["reason"] == "Customer disputes a charge."


async def test_versioned_prompt_asks_for_search_queries_in_the_help_center_language(services, fake_llm):
    assert (Path(PROJECT_ROOT) / "app" / "conversation" / "prompts" / "answer.v3.md").is_file()
    outcome, trace, _ = await handle(services, fake_llm, reply("El envío tarda de 3 a 5 días."),
                                     text="¿Cuánto tarda normalmente el envío a España?")
    system = fake_llm.requests[-1]["messages"][0]["content"]
    assert trace["language"]["value"] == "es" and trace["llm"]["prompt_version"] == "answer.v3"
    assert "Reply in Spanish" in system and "short query written in English" in system, system


async def test_every_turn_records_sentiment_entities_and_priority_with_its_parts(services, fake_llm):
    calm, calm_trace, _ = await handle(services, fake_llm, reply("Happy to help."),
                                       text="Thanks, how do I download invoice INV-2026-0412?")
    angry, angry_trace, _ = await handle(
        services, fake_llm, reply("I'm sorry."), customer_id="cus_1009",
        text="This is UNACCEPTABLE!!! Third time I write, the invoice of 1.299,00 EUR is wrong. I'll cancel.")
    assert calm_trace["entities"]["invoice_ids"] == ["INV-2026-0412"]
    assert angry_trace["entities"]["amounts"] == [{"value": "1299.00", "currency": "EUR"}]
    assert calm_trace["sentiment"]["label"] != "negative" and angry_trace["sentiment"]["label"] == "negative"
    assert "threat_to_leave" in angry_trace["sentiment"]["signals"]
    parts = angry_trace["priority"]["parts"]
    assert sum(parts.values()) == angry_trace["priority"]["score"]
    assert parts["customer_value"] > 0 and parts["sla"] > 0  # an enterprise account, from the CRM
    assert angry_trace["priority"]["score"] > calm_trace["priority"]["score"]


async def test_the_provider_never_sees_personal_data_but_the_transcript_keeps_it(services, fake_llm):
    text = ("Does the hub work with older routers? I'm at 221B Baker Street, reach me at dana.silva@example.com "
            "or +44 20 7946 0958; my card 4111 1111 1111 1111 is on file.")
    outcome, _, _ = await handle(services, fake_llm, reply("Yes, any 2.4 GHz router works."), text=text)
    sent = json.dumps(fake_llm.requests[-1]["messages"])
    for secret in ("4111 1111 1111 1111", "dana.silva@example.com", "7946 0958", "221B Baker"):
        assert secret not in sent, secret
    assert "[CARD]" in sent and "[EMAIL]" in sent and "[PHONE]" in sent and "[ADDRESS]" in sent, sent
    stored = await services.conversations.messages(outcome.conversation.id)
    assert any(m.content == text for m in stored)  # the customer's own chat shows what they typed
