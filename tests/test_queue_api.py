"""The Queue API against a running server: a helpdesk works the queue over HTTP while the
customer chats over socket.io, and sees every agent step live.

Tokens are issued as an operator would: through `AccountStore.issue_token` on the server's
own SQLite database (WAL mode lets this process write next to the server).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from app.config.settings import Settings
from app.store import AccountStore, Database, SqliteDatabase
from app.store.handoffs import HandoffStore
from tests.conftest import AGENT_EMAIL
from tests.support.chat import ChatClient
from tests.support.server import ServerProcess
from tests.test_chat_e2e import customer

AGENT_NAME = "Alex Rivera"
OVERSIZED_BODY_BYTES = 20_000  # over app.surfaces.web.MAX_BODY_BYTES (not imported: it would load Chainlit here)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """This module's own server (it overrides the session's, and `clients` follows it). Each
    API call counts the agent as online for minutes (app/handoff/presence.py), which changes how every
    later handoff on the same server is answered; other modules expect nobody online."""
    folder = tmp_path_factory.mktemp("queue-api-server")
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log").start()
    yield process
    process.stop()


@asynccontextmanager
async def frontline_db(server: ServerProcess) -> AsyncIterator[Database]:
    async with SqliteDatabase.open(Settings(data_dir=server.data_dir).database_path) as db:
        yield db


async def issue_token(server: ServerProcess, email: str = AGENT_EMAIL) -> str:
    async with frontline_db(server) as db:
        return await AccountStore(db).issue_token(email, label="queue api tests")


async def seed_agent(server: ServerProcess, email: str, tenants: list[str]) -> str:
    """An extra agent for one test, and a token for it."""
    async with frontline_db(server) as db:
        accounts = AccountStore(db)
        await accounts.seed_agent(email, "Robin Test", "not-used-here", "agent", tenants)
        return await accounts.issue_token(email)


def api_client(server: ServerProcess, token: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=f"{server.url}/api/v1", headers=headers, timeout=30)


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    """The helpdesk's client for the demo agent. Its first call makes the agent count as online,
    as a helpdesk polling the queue does, so customers who ask for a person are queued for one."""
    async with api_client(server, await issue_token(server)) as client:
        assert (await client.get("/queue")).status_code == 200
        yield client


async def queued_customer(server: ServerProcess, clients: list[ChatClient],
                          question: str = "I want to talk to a human") -> tuple[ChatClient, str]:
    chat = await customer(server, clients)
    await chat.reply_to(question)
    assert chat.thread_id
    return chat, chat.thread_id


async def until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `check` (an async callable) until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if result := await check():
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {timeout}s")
        await asyncio.sleep(0.2)


def outputs(chat: ChatClient, after: int = 0) -> list[str]:
    return [m.get("output", "") for m in chat.messages[after:]]


async def test_calls_without_a_valid_token_are_refused(server):
    async with api_client(server, None) as anonymous:
        refused = await anonymous.get("/queue")
        assert refused.status_code == 401
        assert refused.json()["error"] == "unauthorized" and refused.json()["message"]
        assert refused.headers["www-authenticate"] == "Bearer"
        basic = await anonymous.get("/queue", headers={"Authorization": "Basic YWdlbnQ6cGFzcw=="})
        assert basic.status_code == 401
    async with api_client(server, "flt_not-a-token-anyone-was-given") as forged:
        assert (await forged.get("/queue")).status_code == 401
        assert (await forged.post("/conversations/anything/claim")).status_code == 401

    token = await seed_agent(server, "api-revoked@brightwave.example", ["demo"])
    async with api_client(server, token) as revoked:
        assert (await revoked.get("/queue")).status_code == 200
        async with frontline_db(server) as db:
            assert await AccountStore(db).revoke_tokens("api-revoked@brightwave.example") == 1
        gone = await revoked.get("/queue")
        assert gone.status_code == 401, gone.text
        assert token not in gone.text


async def test_conversations_of_other_companies_are_not_found(server, clients, api):
    _, conversation = await queued_customer(server, clients)
    token = await seed_agent(server, "api-other@brightwave.example", ["some-other-company"])
    async with api_client(server, token) as other:
        listed = (await other.get("/queue")).json()["conversations"]
        assert conversation not in [c["id"] for c in listed]
        assert (await other.get(f"/conversations/{conversation}")).status_code == 404
        refused = await other.post(f"/conversations/{conversation}/claim")
        assert refused.status_code == 404 and refused.json()["error"] == "not_found"
        assert (await other.post(f"/conversations/{conversation}/notes", json={"text": "peek"})).status_code == 404
    still = (await api.get("/queue")).json()["conversations"]
    assert conversation in [c["id"] for c in still]  # untouched by the refused claim


async def test_helpdesk_claims_talks_notes_and_hands_back(server, clients, api):
    chat, conversation = await queued_customer(server, clients, "I want to talk to a human about my hub")

    waiting = (await api.get("/queue")).json()["conversations"]
    entry = next(c for c in waiting if c["id"] == conversation)
    assert entry["queue"] == "general" and entry["tenant"] == "demo", entry
    assert entry["level"] and entry["due_at"] and entry["requested_at"], entry
    assert set(entry) == {"id", "tenant", "language", "channel", "queue", "trigger", "reason", "level", "due_at",
                          "requested_at", "follow_up", "incident_id", "customer_id"}
    assert entry["channel"] == "web"
    general = (await api.get("/queue", params={"queue": "general"})).json()["conversations"]
    assert conversation in [c["id"] for c in general]
    elsewhere = (await api.get("/queue", params={"queue": "no-such-queue"})).json()["conversations"]
    assert elsewhere == []

    packet = (await api.get(f"/conversations/{conversation}")).json()
    assert packet["conversation_id"] == conversation and packet["summary"], packet
    assert "talk to a human about my hub" in packet["summary"]
    assert any("talk to a human about my hub" in m["content"] for m in packet["transcript"] if m["role"] == "customer")
    assert packet["handoff"]["queue"] == "general" and packet["suggested_reply"] is None

    # claim: the customer is told live who joined; a second claim is a clear conflict
    mark = len(chat.messages)
    claimed = await api.post(f"/conversations/{conversation}/claim")
    assert claimed.status_code == 200, claimed.text
    assert claimed.json() == {"conversation": conversation, "state": "human", "agent": AGENT_EMAIL}
    joined = await chat.wait_for(lambda e: "joined the chat" in e["output"], after=mark)
    assert AGENT_NAME in joined["output"]
    again = await api.post(f"/conversations/{conversation}/claim", json={"take_over": True})
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "conflict" and "human" in again.json()["message"]

    # a message (from a suggested draft) reaches the customer live, under the agent's name
    drafted = (await api.get(f"/conversations/{conversation}", params={"suggest": "true"})).json()
    suggestion = drafted["suggested_reply"]
    assert suggestion and suggestion["id"] and suggestion["text"], drafted
    mark = len(chat.messages)
    posted = await api.post(f"/conversations/{conversation}/messages",
                            json={"text": "Sorry about that! Let's check your wifi band first.",
                                  "suggestion_id": suggestion["id"]})
    assert posted.status_code == 201, posted.text
    assert posted.json()["translated"] is False and "wifi band" in posted.json()["content"]
    seen = await chat.wait_for(lambda e: "wifi band" in e["output"], after=mark)
    assert seen["name"] == AGENT_NAME and seen["id"] == posted.json()["id"]

    # the customer's answer goes to the agent, not the assistant, and is in the packet
    await chat.send("It is on 5 GHz right now")

    async def replied() -> bool:
        transcript = (await api.get(f"/conversations/{conversation}")).json()["transcript"]
        return any(m["role"] == "customer" and "5 GHz" in m["content"] for m in transcript)

    await until(replied)
    assert not [m for m in chat.messages[mark:] if m["name"] == "Assistant"]

    # a note is for agents only
    secret = "Customer sounds like a reseller, check the account"
    noted = await api.post(f"/conversations/{conversation}/notes", json={"text": secret})
    assert noted.status_code == 201, noted.text
    notes = (await api.get(f"/conversations/{conversation}")).json()["notes"]
    assert [n["text"] for n in notes] == [secret] and notes[0]["agent"] == AGENT_EMAIL

    # hand back with a note: the customer reads it live, and the assistant answers again
    mark = len(chat.messages)
    back = await api.post(f"/conversations/{conversation}/handback", json={"note": "Moved the hub to 2.4 GHz"})
    assert back.status_code == 200, back.text
    assert back.json() == {"conversation": conversation, "state": "assistant"}
    said = await chat.wait_for(lambda e: "back to help" in e["output"], after=mark)
    assert "Moved the hub to 2.4 GHz" in said["output"]
    answer = (await chat.reply_to("How do I reset my password?"))["output"]
    assert "Source: [Reset your password" in answer, answer
    assert not [o for o in outputs(chat) if secret in o]

    # no longer the owner: speaking or releasing again is a conflict, nothing is sent
    late = await api.post(f"/conversations/{conversation}/messages", json={"text": "one more thing"})
    assert late.status_code == 409 and late.json()["error"] == "conflict"
    assert (await api.post(f"/conversations/{conversation}/resolve")).status_code == 409


async def test_resolve_asks_the_customer_for_a_rating_and_stores_it(server, clients, api):
    chat, conversation = await queued_customer(server, clients, "Can I speak to a person please?")
    assert (await api.post(f"/conversations/{conversation}/claim", json={})).status_code == 200

    mark = len(chat.messages)
    resolved = await api.post(f"/conversations/{conversation}/resolve")
    assert resolved.status_code == 200, resolved.text
    assert resolved.json() == {"conversation": conversation, "state": "resolved"}
    await chat.wait_for(lambda e: "marked this conversation as resolved" in e["output"], after=mark)
    ask = await chat.wait_for(lambda e: "rate this conversation" in e["output"], after=mark)
    buttons = await chat.buttons_for(ask["id"], 5)
    assert sorted(buttons) == ["1", "2", "3", "4", "5"]

    mark = len(chat.messages)
    await chat.click(buttons["5"])
    await chat.wait_for(lambda e: "Thank you for your rating" in e["output"], after=mark)

    async def scored() -> list[dict[str, Any]]:
        async with frontline_db(server) as db:
            scores = await HandoffStore(db).csat_scores("demo")
        return [s for s in scores if s["conversation_id"] == conversation]

    [rating] = await until(scored)
    assert rating["score"] == 5 and rating["agent"] == AGENT_EMAIL


async def test_bad_requests_are_refused_with_the_reason(server, clients, api):
    _, conversation = await queued_customer(server, clients)
    url = f"/conversations/{conversation}"
    limit = Settings(data_dir=server.data_dir).max_message_chars

    malformed = await api.post(f"{url}/claim", content=b'{"take_over": tru',
                               headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"] == "invalid_request", malformed.text
    not_bool = await api.post(f"{url}/claim", json={"take_over": "yes"})
    assert not_bool.status_code == 400 and "take_over" in not_bool.json()["message"]
    extra = await api.post(f"{url}/claim", json={"take_over": False, "queue": "billing"})
    assert extra.status_code == 400 and "queue" in extra.json()["message"]

    assert (await api.post(f"{url}/claim")).status_code == 200
    for body in ({"text": ""}, {"text": "   "}, {}, {"text": "x" * (limit + 1)}):
        refused = await api.post(f"{url}/messages", json=body)
        assert refused.status_code == 400, (body, refused.text)
        assert refused.json()["error"] == "invalid_request" and "text" in refused.json()["message"]
    assert (await api.post(f"{url}/notes", json={"text": ""})).status_code == 400
    assert (await api.get(url, params={"suggest": "maybe"})).status_code == 400

    huge = json.dumps({"text": "x" * OVERSIZED_BODY_BYTES})
    too_large = await api.post(f"{url}/messages", content=huge, headers={"Content-Type": "application/json"})
    assert too_large.status_code == 413 and too_large.json()["error"] == "too_large"

    for response in (await api.get("/conversations/no-such-conversation"),
                     await api.post("/conversations/no-such-conversation/claim"),
                     await api.post("/conversations/no-such-conversation/messages", json={"text": "hello"})):
        assert response.status_code == 404 and response.json()["error"] == "not_found", response.text
    assert (await api.post(f"{url}/resolve")).status_code == 200  # the conversation itself was fine


async def test_a_claim_race_has_exactly_one_winner(server, clients, api):
    chat, conversation = await queued_customer(server, clients)
    mark = len(chat.messages)
    results = await asyncio.gather(*(api.post(f"/conversations/{conversation}/claim") for _ in range(5)))
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409, 409, 409, 409], [r.text for r in results]
    for lost in (r for r in results if r.status_code == 409):
        assert lost.json()["error"] == "conflict" and lost.json()["message"]
    await chat.wait_for(lambda e: "joined the chat" in e["output"], after=mark)
    await asyncio.sleep(0.5)
    assert sum("joined the chat" in o for o in outputs(chat, mark)) == 1
    assert (await api.post(f"/conversations/{conversation}/resolve")).status_code == 200
