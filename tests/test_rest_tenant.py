"""A tenant whose connector is the REST connector, driven through the real engine, store, classifier
and knowledge index, against the scripted company API on 127.0.0.1 (tests/support/fake_company_api.py)."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
import yaml

from app.config.settings import Settings
from app.conversation.turn import Turn
from app.core.domain import ConversationId, Identity, MessageId, TenantId, new_id
from app.core.i18n import say
from app.services import build_services
from tests.support.engine import fixed_clock
from tests.support.fake_company_api import TOKEN, FakeCompanyAPI, answer, connector_options
from tests.support.server import PROJECT_ROOT

pytestmark = pytest.mark.asyncio(loop_scope="module")

TENANT = "brightwave-api"
TOKEN_VARIABLE = "FRONTLINE_TEST_COMPANY_TOKEN"
POLICY_VERSION = yaml.safe_load((PROJECT_ROOT / "demo" / "actions.yaml").read_text())["version"]
CUSTOMER = "cus_3"  # BW-20417 processing, BW-20388 delivered, INV-2026-0417
RETRIES = 2
# the help center's order articles: the real index, without embedding all of it for four chats
ARTICLES = ("track-your-order", "order-statuses-explained", "cancel-an-order")


@pytest.fixture(scope="module")
def api():
    server = FakeCompanyAPI().start()
    yield server
    server.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(tmp_path_factory, api):
    folder = tmp_path_factory.mktemp("rest-tenant")
    demo = PROJECT_ROOT / "demo"
    tenant = yaml.safe_load((demo / "tenant.yaml").read_text())
    tenant["id"] = TENANT
    tenant["knowledge"]["paths"] = [str(demo / "helpcenter" / f"{slug}.md") for slug in ARTICLES]
    tenant["intents"] = str(demo / "intents.yaml")
    tenant["actions"] = str(demo / "actions.yaml")
    tenant["handoff"] = str(demo / "handoff.yaml")
    options = connector_options(api.url, TOKEN_VARIABLE, retries=RETRIES, backoff_seconds=0.01)
    tenant["connector"] = {"type": "rest", "options": options}
    (folder / "tenant.yaml").write_text(yaml.safe_dump(tenant))
    settings = Settings(data_dir=folder / "data", tenants=[folder / "tenant.yaml"])
    with pytest.MonkeyPatch.context() as env:
        env.setenv(TOKEN_VARIABLE, TOKEN)
        async with build_services(settings, clock=fixed_clock()) as built:
            yield built


@pytest.fixture(autouse=True)
def no_leftover_faults(api):
    yield
    api.clear_faults()


class Chat:
    """One conversation with the engine, as a verified customer of the company API."""

    def __init__(self, services, customer: str = CUSTOMER) -> None:
        self.services = services
        self.id = ConversationId(new_id())
        self.identity = Identity(TenantId(TENANT), f"test:{customer}", customer_id=customer, locale="en")

    async def say(self, text: str, choice: str | None = None) -> tuple[str, dict[str, Any]]:
        outcome = await self.services.engine.handle(
            Turn(self.id, MessageId(new_id()), self.identity, text, choice=choice))
        assert outcome.reply is not None
        trace = await self.services.conversations.trace(outcome.reply.id)
        return outcome.reply.content, trace


def cancels(api: FakeCompanyAPI, customer: str, order: str):
    return [r for r in api.requests_to(f"/customers/{customer}/orders/{order}/cancel") if r.method == "POST"]


async def test_order_status_lists_the_customers_orders_from_the_company_api(services, api):
    seen = len(api.requests)
    reply, trace = await Chat(services).say("where is my order")
    assert "BW-20388" in reply and "delivered" in reply, reply
    assert "BW-20417" in reply, reply
    assert "BW-20533" not in reply and "BW-1" not in reply  # other customers' orders
    assert trace["decision"]["rule"] == "task_order_status", trace["decision"]
    reads = [r for r in api.requests[seen:] if r.method == "GET" and r.path == f"/customers/{CUSTOMER}/orders"]
    assert reads and all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in reads), reads


async def test_cancelling_a_processing_order_confirms_then_posts_once(services, api):
    assert api.data["orders"]["BW-20417"]["state"] == "processing"
    chat = Chat(services)
    confirm, trace = await chat.say("I want to cancel order BW-20417")
    assert "BW-20417" in confirm and trace["task"]["awaiting"] == "confirm", (confirm, trace.get("task"))
    assert cancels(api, CUSTOMER, "BW-20417") == []  # nothing happens before the customer says yes

    done, trace = await chat.say("yes")
    assert done.startswith(say("cancel.done_order", "en", order="BW-20417")), done
    (posted,) = cancels(api, CUSTOMER, "BW-20417")
    assert posted.headers.get("idempotency-key") and posted.headers["authorization"] == f"Bearer {TOKEN}"
    assert api.executed == [("cancel", posted.headers["idempotency-key"])]
    assert api.data["orders"]["BW-20417"]["state"] == "cancelled"

    audit = await services.db.fetch_all(
        "SELECT outcome, policy_version FROM audit_events WHERE subject = ? AND action = 'cancel_order'", (chat.id,))
    assert [(r["outcome"], r["policy_version"]) for r in audit] == [("done", POLICY_VERSION)]
    ledger = await services.db.fetch_all(
        "SELECT action, status, idempotency_key FROM action_ledger WHERE conversation_id = ?", (chat.id,))
    assert [(r["action"], r["status"]) for r in ledger] == [("cancel_order", "done")]
    assert ledger[0]["idempotency_key"] == posted.headers["idempotency-key"]


async def orders_down(services, api) -> tuple[Chat, str, dict[str, Any]]:
    """"Where is my order" while the orders endpoint answers 503 to every attempt."""
    path = f"/customers/{CUSTOMER}/orders"
    api.fail("GET", path, *[answer(503, {"error": "maintenance"}) for _ in range(RETRIES + 1)])
    seen = len(api.requests_to(path))
    chat = Chat(services)
    reply, trace = await chat.say("where is my order")
    assert len(api.requests_to(path)) - seen == RETRIES + 1  # every attempt was made, and each failed
    return chat, reply, trace


async def test_the_company_api_failing_is_answered_and_loses_nothing(services, api):
    chat, reply, trace = await orders_down(services, api)
    messages = await services.conversations.messages(chat.id)
    assert [m.content for m in messages] == ["where is my order", reply], messages
    assert trace["task"]["outcome"] == "failed", trace.get("task")
    assert "BW-20417" not in reply and "BW-20388" not in reply


async def test_the_company_api_failing_gets_the_unavailable_sentence(services, api):
    _, reply, _ = await orders_down(services, api)
    assert reply == say("flow.unavailable", "en"), reply


async def test_a_customer_naming_another_customers_order_is_told_it_is_not_found(services, api):
    assert api.data["orders"]["BW-20533"]["customer_id"] == "cus_2"
    reply, trace = await Chat(services).say("cancel order BW-20533")
    assert reply == say("orders.not_found", "en", order="BW-20533"), reply
    assert trace["task"]["outcome"] == "not_found" and "actions" not in trace, trace
    asked = [r for r in api.requests if "BW-20533" in r.path]
    assert {(r.method, r.path) for r in asked} == {("GET", f"/customers/{CUSTOMER}/orders/BW-20533")}, asked
    assert api.data["orders"]["BW-20533"]["state"] == "processing"
