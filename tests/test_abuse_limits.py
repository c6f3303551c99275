"""Abuse limits across conversations and sessions, over real HTTP and socket.io, on a server
with low limits behind a trusted proxy (so each test speaks from its own X-Forwarded-For
address, and https is what the proxy's X-Forwarded-Proto says); and the same limits on a
moving test clock, without sleeping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.config.networks import client_address, parse_networks
from app.core.domain import Identity, TenantId
from app.store import AccountStore, ConversationStore, SqliteDatabase
from app.store.guest_retention import prune_guests
from guardrails.abuse_limits import AbuseLimits, IdentityRateLimiter, SignInThrottle, WidgetSessionLimits
from tests.conftest import AGENT_EMAIL, AGENT_PASSWORD
from tests.support.chat import ChatClient
from tests.support.server import ServerProcess, demo_tenant_file

SAM = ("sam@brightwave.example", "sam-demo-password")
LIMITS = {"WIDGET_SESSIONS_PER_IP_PER_MINUTE": "5", "CONVERSATIONS_PER_IDENTITY_PER_HOUR": "2",
          "MESSAGES_PER_IDENTITY_PER_MINUTE": "4", "SIGN_IN_FAILURES_ALLOWED": "5",
          "SIGN_IN_LOCKOUT_SECONDS": "120"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("abuse-limits")
    agents = [{"email": AGENT_EMAIL, "name": "Alex Rivera", "password": AGENT_PASSWORD},
              {"email": SAM[0], "name": "Sam Lee", "password": SAM[1]}]
    env = {f"FRONTLINE_LIMITS__{name}": value for name, value in LIMITS.items()}
    env |= {"FRONTLINE_TRUSTED_PROXIES": "127.0.0.1", "FRONTLINE_AGENTS": json.dumps(agents),
            "FRONTLINE_TENANTS": str(demo_tenant_file(folder, ("reset-your-password",)))}
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log", env=env).start()
    yield process
    process.stop()


def from_address(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": f"198.51.100.99, {address}"}  # the left part is the client's own claim


async def test_widget_sessions_per_address_are_limited_with_a_translated_429(server):
    async with httpx.AsyncClient(base_url=server.url, headers=from_address("203.0.113.10")) as http:
        for _ in range(5):
            assert (await http.post("/api/widget/session", json={"tenant": "demo"})).status_code == 200
        refused = await http.post("/api/widget/session", json={"tenant": "demo", "locale": "es-ES"})
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"] == "rate_limited"
        assert refused.json()["message"].startswith("Se han abierto demasiados chats desde tu red")
        assert int(refused.headers["Retry-After"]) > 0
    async with httpx.AsyncClient(base_url=server.url, headers=from_address("203.0.113.11")) as other:
        assert (await other.post("/api/widget/session", json={"tenant": "demo"})).status_code == 200
    assert "more than 5 per minute from 203.0.113.10" in server.log()


async def test_behind_a_trusted_https_proxy_cookies_are_secure(server):
    async with httpx.AsyncClient(base_url=server.url, headers=from_address("203.0.113.50")) as http:
        plain = await http.post("/api/widget/session", json={"tenant": "demo"})
        https = await http.post("/api/widget/session", json={"tenant": "demo"},
                                headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in plain.headers["set-cookie"].lower()
    assert https.headers["set-cookie"].endswith("; Secure") and "strict-transport-security" in https.headers


async def customer(server, clients, address: str, identity: str) -> ChatClient:
    chat = ChatClient(server.url, client_type="copilot")
    chat.http.headers.update(from_address(address))
    clients.append(chat)
    await chat.sign_in_customer("demo", identity=identity)
    await chat.connect()
    await chat.wait_for(lambda e: e["type"] == "assistant_message")
    return chat


async def test_one_customer_cannot_dodge_the_limits_with_new_conversations(server, clients, identity_for):
    identity = identity_for("cus_1002")
    first = await customer(server, clients, "203.0.113.20", identity)
    assert "too many" not in (await first.reply_to("Where is my order?"))["output"].lower()
    second = await customer(server, clients, "203.0.113.21", identity)
    await second.reply_to("How do I reset my password?")
    third = await customer(server, clients, "203.0.113.22", identity)
    refused = await third.reply_to("hello again")
    assert "started a lot of conversations in the last hour" in refused["output"], refused["output"]

    # Messages count per customer across conversations: 2 so far, the limit is 4 a minute.
    await first.reply_to("thanks")
    await first.reply_to("one more question")
    slowed = await first.reply_to("and another")
    assert "faster than I can keep up with" in slowed["output"], slowed["output"]
    thread = (await first.http.get(f"/project/thread/{first.thread_id}")).json()
    assert "and another" in [s["output"] for s in thread["steps"]]  # kept, not lost


async def sign_in(server, address: str, who: tuple[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, headers=from_address(address)) as http:
        return await http.post("/login", data={"username": who[0], "password": who[1]})


async def test_wrong_passwords_lock_the_account_and_the_address_for_a_while(server):
    wrong = (SAM[0], "not-the-password")
    for _ in range(6):  # five free failures, the sixth starts a lockout
        assert (await sign_in(server, "203.0.113.30", wrong)).status_code == 401
    locked = await sign_in(server, "203.0.113.31", SAM)  # even the right password, from elsewhere
    assert locked.status_code == 429, locked.text
    assert locked.json()["detail"] == "Too many attempts; try again in 2 minutes."
    log = server.log()  # e-mail addresses are redacted in the log; the address and the lockout are not
    assert "failed agent sign-in for '[EMAIL]' from 203.0.113.30; locked for 120 s" in log
    assert "from 203.0.113.31 refused: locked for 120 s more" in log

    for guess in range(6):  # one address guessing at other accounts is locked too
        assert (await sign_in(server, "203.0.113.40", (f"guess{guess}@brightwave.example", "x"))).status_code == 401
    assert (await sign_in(server, "203.0.113.40", (AGENT_EMAIL, AGENT_PASSWORD))).status_code == 429
    assert (await sign_in(server, "203.0.113.41", (AGENT_EMAIL, AGENT_PASSWORD))).status_code == 200


# -- the same limits on a test clock ------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sign_in_lockouts_double_and_end():
    clock = Clock()
    throttle = SignInThrottle(AbuseLimits(sign_in_failures_allowed=2, sign_in_lockout_seconds=60), clock)
    assert throttle.failed("a@x", "1.2.3.4") == 0 and throttle.failed("a@x", "1.2.3.4") == 0
    assert throttle.failed("a@x", "1.2.3.4") == 60
    assert throttle.wait("A@X", "5.6.7.8") == 60  # the account, from any address, any case
    clock.now += 61
    assert throttle.wait("a@x", "5.6.7.8") == 0
    assert throttle.failed("a@x", "5.6.7.8") == 120  # the next failure locks twice as long
    throttle.succeeded("a@x")
    assert throttle.wait("a@x", "9.9.9.9") == 0 and throttle.wait("b@x", "1.2.3.4") == 0


def test_widget_sessions_free_up_as_the_minute_slides():
    clock = Clock()
    limits = WidgetSessionLimits(AbuseLimits(widget_sessions_per_ip_per_minute=2,
                                             widget_sessions_per_tenant_per_minute=3), clock)
    assert limits.admit("demo", "1.1.1.1") == 0 and limits.admit("demo", "1.1.1.1") == 0
    assert limits.admit("demo", "1.1.1.1") == 60
    assert limits.admit("demo", "2.2.2.2") == 0
    assert limits.admit("demo", "3.3.3.3") == 60  # the tenant's own cap
    clock.now += 60
    assert limits.admit("demo", "1.1.1.1") == 0


def test_conversations_per_customer_free_up_after_an_hour():
    clock = Clock()
    limiter = IdentityRateLimiter(AbuseLimits(conversations_per_identity_per_hour=1,
                                              messages_per_identity_per_minute=0), clock)
    assert limiter.check("c1", "customer:demo:1").allowed
    assert limiter.check("c1", "customer:demo:1").allowed  # the same conversation goes on
    refused = limiter.check("c2", "customer:demo:1")
    assert not refused.allowed and refused.reply_key == "input.too_many_conversations"
    assert limiter.check("c3", "customer:demo:2").allowed
    clock.now += 3600
    assert limiter.check("c2", "customer:demo:1").allowed


def test_forwarded_addresses_count_only_through_a_trusted_proxy():
    proxies = parse_networks(["10.0.0.0/8"])
    assert client_address("203.0.113.5", "1.2.3.4", proxies) == "203.0.113.5"  # not a proxy: ignored
    assert client_address("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.9", proxies) == "198.51.100.7"
    assert client_address("10.0.0.2", None, proxies) == "10.0.0.2"
    assert client_address("10.0.0.2", "1.2.3.4", []) == "10.0.0.2"


async def test_guests_without_a_conversation_are_pruned(tmp_path):
    async with SqliteDatabase.open(tmp_path / "frontline.sqlite3") as db:
        accounts, conversations = AccountStore(db), ConversationStore(db)
        for name in ("idle", "talked"):
            await accounts.upsert_user(f"guest:demo:{name}", "Guest", {"role": "customer"})
        await accounts.upsert_user("customer:demo:cus_1", "Customer", {"role": "customer"})
        await conversations.ensure("c1", Identity(TenantId("demo"), "guest:demo:talked"))
        assert await prune_guests(accounts, 24, datetime.now(UTC)) == 0  # all still recent
        assert await prune_guests(accounts, 24, datetime.now(UTC) + timedelta(hours=25)) == 1
        assert await accounts.get_user("guest:demo:idle") is None
        assert await accounts.get_user("guest:demo:talked") is not None
        assert await accounts.get_user("customer:demo:cus_1") is not None
