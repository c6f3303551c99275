"""The Incident API against a running server: a lead's token declares an incident, the customer
who reported it over socket.io is told live, a customer who writes about it afterwards is
offered the fix notice (and clicks Yes), resolving tells both; agents may only list and link;
bad requests get an answer that says why.

Tokens are issued as an operator would, through `AccountStore.issue_token` on the server's own
SQLite database (WAL mode lets this process write next to the server).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from app.config.settings import Settings
from app.store import AccountStore, SqliteDatabase
from tests.support.chat import ChatClient
from tests.support.server import ServerProcess
from tests.test_chat_e2e import customer

pytestmark = pytest.mark.timeout(600)
LEAD, AGENT = "lead@incidents.example", "agent@incidents.example"
MESSAGE = "Sign-in fails for some customers; a fix is being deployed."
KNOWN = "We know about this problem and our team is working on it."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("incident-api-server")
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log").start(timeout=300)
    yield process
    process.stop()


async def token_for(server: ServerProcess, email: str, role: str, tenants: list[str]) -> str:
    async with SqliteDatabase.open(Settings(data_dir=server.data_dir).database_path) as db:
        accounts = AccountStore(db)
        await accounts.seed_agent(email, email.split("@")[0].title(), "not-used-here", role, tenants)
        return await accounts.issue_token(email, label="incident api tests")


def api_client(server: ServerProcess, token: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=f"{server.url}/api/v1", headers=headers, timeout=30)


@pytest.fixture
async def lead(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(server, await token_for(server, LEAD, "lead", ["demo"])) as client:
        yield client


@pytest.fixture
async def agent(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(server, await token_for(server, AGENT, "agent", ["demo"])) as client:
        yield client


def said(chat: ChatClient) -> list[str]:
    return [m.get("output", "") for m in chat.messages]


async def test_declared_by_api_the_reporter_is_told_live_and_told_the_fix(server, clients, lead, agent):
    reporter = await customer(server, clients)
    await reporter.reply_to("I cannot sign in, the login page fails", timeout=120)

    declared = await lead.post("/incidents", json={"tenant": "demo", "topic": "login sign", "message": MESSAGE})
    assert declared.status_code == 201, declared.text
    incident = declared.json()
    assert incident["told_now"] == 1 and incident["status"] == "open" and incident["declared_by"] == LEAD
    await reporter.wait_for(lambda e: KNOWN in e.get("output", "") and MESSAGE in e.get("output", ""))

    later = await customer(server, clients)
    offer = await later.reply_to("is the login still broken?", timeout=120)
    assert offer["output"].startswith(KNOWN) and "tell you here when it is fixed?" in offer["output"]
    buttons = await later.buttons_for(offer["id"], 2)
    await later.click(next(b for b in buttons.values() if b["label"] == "Yes"))
    await later.wait_for(lambda e: e.get("output", "").startswith("Done: we will tell you here"))

    listed = (await agent.get("/incidents")).json()["incidents"]
    assert [(i["id"], i["customers"]) for i in listed] == [
        (incident["id"], {"told": 2, "subscribed": 2, "told_fixed": 0})]

    refused = await agent.post(f"/incidents/{incident['id']}/resolve", json={})
    assert refused.status_code == 403 and "leads and admins" in refused.json()["message"]
    resolved = await lead.post(f"/incidents/{incident['id'][:8]}/resolve", json={"message": "All fixed, sorry!"})
    assert resolved.status_code == 200 and resolved.json()["told_now"] == 2, resolved.text
    fixed_notice = "the problem we told you about is fixed. All fixed, sorry!"
    for chat in (reporter, later):
        await chat.wait_for(lambda e: fixed_notice in e.get("output", ""))
    again = await lead.post(f"/incidents/{incident['id']}/resolve", json={})
    assert again.status_code == 409 and "resolved already" in again.json()["message"]
    fixed = [text for chat in (reporter, later) for text in said(chat) if "the problem we told you about is" in text]
    assert len(fixed) == 2  # once each


async def test_bad_requests_say_why(server, lead, agent):
    async with api_client(server, None) as anonymous:
        refused = await anonymous.post("/incidents", json={"tenant": "demo", "topic": "login", "message": MESSAGE})
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    forbidden = await agent.post("/incidents", json={"tenant": "demo", "topic": "login", "message": MESSAGE})
    assert forbidden.status_code == 403
    empty = await lead.post("/incidents", json={"tenant": "demo", "topic": " ", "message": MESSAGE})
    assert empty.status_code == 400 and "Name the incident's topic" in empty.json()["message"]
    silent = await lead.post("/incidents", json={"tenant": "demo", "topic": "login", "message": ""})
    assert silent.status_code == 400 and "Add the message" in silent.json()["message"]
    unknown = await lead.post("/incidents", json={"tenant": "elsewhere", "topic": "login", "message": MESSAGE})
    assert unknown.status_code == 404
    extra = await lead.post("/incidents", json={"tenant": "demo", "topic": "login", "message": MESSAGE, "x": 1})
    assert extra.status_code == 400
    missing = await lead.post("/incidents/ffffffff/resolve", json={})
    assert missing.status_code == 404 and "No incident" in missing.json()["message"]
    declared = (await lead.post("/incidents", json={"tenant": "demo", "topic": "invoices", "message": MESSAGE})).json()
    nowhere = await agent.post(f"/incidents/{declared['id']}/links", json={"conversation": "not-a-conversation"})
    assert nowhere.status_code == 404 and "No conversation" in nowhere.json()["message"]
    assert (await lead.post(f"/incidents/{declared['id']}/resolve", json={})).json()["told_now"] == 0
