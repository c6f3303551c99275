"""An LLM turn reads the verified customer's CRM record once: triage reads it for the priority,
and the redaction of the customer's own details before the model reuses that read. The real
engine and REST connector against the scripted company API, litellm against the scripted provider."""

from __future__ import annotations

import json

import pytest
import yaml

from app.config.settings import Settings
from app.services import build_services
from tests.support.engine import Chat, fixed_clock
from tests.support.fake_company_api import TOKEN, FakeCompanyAPI, connector_options
from tests.support.fake_llm import reply
from tests.support.server import demo_tenant_file

pytestmark = pytest.mark.asyncio(loop_scope="module")

TOKEN_VARIABLE = "FRONTLINE_TEST_COMPANY_TOKEN"
CUSTOMER = "cus_3"


@pytest.fixture(scope="module")
def api():
    server = FakeCompanyAPI().start()
    yield server
    server.stop()


async def test_one_llm_turn_reads_the_customer_record_once_and_still_redacts_it(fake_llm, api, tmp_path,
                                                                               monkeypatch):
    model = {"model": "openai/gpt-4o-mini", "api_base": fake_llm.url, "timeout": 5, "retries": 0}
    path = demo_tenant_file(tmp_path, ("shipping-times-and-costs",), llm=model)
    tenant = yaml.safe_load(path.read_text())
    tenant["connector"] = {"type": "rest", "options": connector_options(api.url, TOKEN_VARIABLE, retries=0)}
    path.write_text(yaml.safe_dump(tenant))
    monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
    record = api.data["customers"][CUSTOMER]
    fake_llm.script.clear()
    fake_llm.requests.clear()
    fake_llm.queue(reply("Standard shipping takes 3 to 5 business days."))
    async with build_services(Settings(data_dir=tmp_path / "data", tenants=[path]), clock=fixed_clock()) as services:
        chat = Chat(services, customer=CUSTOMER)
        api.requests.clear()
        await chat.say(f"Hi, {record['name']} here. How long does shipping take?")
    assert len(api.requests_to(f"/customers/{CUSTOMER}")) == 1
    sent = json.dumps([r["messages"] for r in fake_llm.requests], ensure_ascii=False)
    assert record["name"] not in sent and "[NAME]" in sent
