"""The messaging channel end to end: the real Frontline server, and a bridge on 127.0.0.1 that
signs customers' messages into the webhook and records the signed replies Frontline posts back.

"Answered once" is checked without waiting on a clock: a later message from the same sender is
answered only after every earlier one (one conversation's messages run in order), so once its
reply is at the bridge, any second answer to the first would be there too.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.config.tenants import load_tenant
from app.core.domain import new_id
from app.handoff.webhooks import sign
from app.surfaces.auth import sign_identity_token
from tests.support.bridge import SECRET, SECRET_ENV, Bridge
from tests.support.server import ServerProcess, demo_tenant_file

ARTICLES = ("reset-your-password", "track-your-order", "shipping-times-and-costs")
HELP_CENTER = "help center"
VERIFIED_SENDER = "+15550001003"
SIGN_IN_PAGE = "https://brightwave.example/chat-sign-in"


def messaging_section(bridge: Bridge, **changes: object) -> dict[str, object]:
    return {"enabled": True, "bridge_url": bridge.url, "secret_env": SECRET_ENV,
            "customers": {VERIFIED_SENDER: "cus_1003"}, "sign_in_url": SIGN_IN_PAGE, **changes}


@pytest.fixture(scope="module")
def bridge() -> Iterator[Bridge]:
    running = Bridge().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, bridge: Bridge) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("messaging")
    tenant = demo_tenant_file(folder, ARTICLES, messaging=messaging_section(bridge))
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log",
                            env={"FRONTLINE_TENANTS": str(tenant), SECRET_ENV: SECRET}).start()
    yield process
    process.stop()


def rows(server: ServerProcess, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
    """Read the server's own store (SQLite in WAL mode: a reader never blocks it)."""
    with sqlite3.connect(Path(server.data_dir) / "frontline.sqlite3") as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql, params).fetchall()


def message(sender: str, text: str, **fields: object) -> dict[str, object]:
    return {"id": f"wamid.{new_id()}", "sender": sender, "text": text, **fields}


def sender() -> str:
    return f"+1555{new_id()[:8]}"


def test_a_question_is_answered_at_the_bridge_signed_and_keyed(server, bridge):
    who = sender()
    sent = message(who, "How do I reset my password?", name="Dana", locale="en-GB")
    accepted = bridge.post(server.url, "demo", sent)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["duplicate"] is False
    [reply] = bridge.replies_to(who)
    body = reply.body
    assert reply.signed and reply.key == body["id"]
    assert body["recipient"] == who and body["tenant"] == "demo"
    assert body["conversation_id"] == accepted.json()["conversation_id"] and body["in_reply_to"] == sent["id"]
    assert body["author"] == "assistant" and HELP_CENTER in body["text"] and "password" in body["text"].lower()
    stored = rows(server, "SELECT role, content, id FROM messages WHERE conversation_id = ? ORDER BY rowid",
                  (body["conversation_id"],))
    assert [r["role"] for r in stored] == ["customer", "assistant"]
    assert stored[0]["id"] == accepted.json()["message_id"] and stored[1]["id"] == body["id"]
    [conversation] = rows(server, "SELECT channel, customer_id FROM conversations WHERE id = ?",
                          (body["conversation_id"],))
    assert (conversation["channel"], conversation["customer_id"]) == ("messaging", None)


def test_a_retried_webhook_is_stored_once_and_answered_once(server, bridge):
    who = sender()
    first = message(who, "How long does shipping take?")
    answers = [bridge.post(server.url, "demo", first) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    assert len({a.json()["message_id"] for a in answers}) == 1
    later = bridge.post(server.url, "demo", message(who, "Where is my order?"))
    assert later.json()["conversation_id"] == answers[0].json()["conversation_id"]  # same sender, same chat
    bridge.replies_to(who, 2)
    replies = bridge.accepted(who)
    assert len(replies) == 2, [r.body["text"][:80] for r in replies]
    assert "shipping" in replies[0].body["text"].lower()
    assert "sign in" in replies[1].body["text"]  # a guest's account question needs verification first
    customer = rows(server, "SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ? AND role = 'customer'",
                    (later.json()["conversation_id"],))
    assert customer[0]["n"] == 2


@pytest.mark.parametrize(("case", "status", "error"), [
    ("no signature", 401, "bad_signature"),
    ("wrong secret", 401, "bad_signature"),
    ("replayed after six minutes", 401, "bad_signature"),
    ("body changed after signing", 401, "bad_signature"),
    ("not JSON", 400, "invalid_request"),
    ("no sender", 400, "invalid_request"),
    ("an unknown field", 400, "invalid_request"),
    ("nothing said", 400, "invalid_request"),
    ("oversized", 413, "too_large"),
    ("unknown tenant", 404, "not_found"),
    ("forged identity token", 400, "invalid_identity"),
])
def test_bad_webhooks_are_refused_with_a_reason_and_nothing_is_stored(server, bridge, case, status, error):
    who = sender()
    good = message(who, "How do I reset my password?")
    tenant, kwargs = "demo", {}
    if case == "no signature":
        kwargs = {"signature": ""}
    elif case == "wrong secret":
        kwargs = {"secret": "not-the-shared-secret-at-all-0123456789"}
    elif case == "replayed after six minutes":
        kwargs = {"timestamp": int(time.time()) - 360}
    elif case == "body changed after signing":
        kwargs = {"signature": sign(SECRET, json.dumps(good).encode(), int(time.time())),
                  "raw": json.dumps({**good, "text": "Refund everything"}).encode()}
    elif case == "not JSON":
        kwargs = {"raw": b"{not json"}
    elif case == "no sender":
        good.pop("sender")
    elif case == "an unknown field":
        good["admin"] = True
    elif case == "nothing said":
        good["text"] = "   "
    elif case == "oversized":
        good["text"] = "x" * 70_000
    elif case == "unknown tenant":
        tenant = "no-such-company"
    elif case == "forged identity token":
        good["identity_token"] = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjdXNfMTAwMyJ9.forged"
    refused = bridge.post(server.url, tenant, good, **kwargs)  # type: ignore[arg-type]
    assert refused.status_code == status, refused.text
    assert refused.json()["error"] == error and refused.json()["message"]
    assert not rows(server, "SELECT 1 FROM messaging_inbox WHERE sender_id = ?", (who,))
    assert not rows(server, "SELECT 1 FROM conversations WHERE user_identifier = ?", (f"messaging:demo:{who}",))
    assert "messaging webhook" in server.log() and "refused" in server.log()


def test_a_sender_the_company_verified_is_the_customer_and_a_signed_token_verifies_another(server, bridge):
    mapped = bridge.post(server.url, "demo", message(VERIFIED_SENDER, "How do I reset my password?"))
    tenant = load_tenant(Path(server.env["FRONTLINE_TENANTS"]))
    token_sender = sender()
    signed = bridge.post(server.url, "demo", message(token_sender, "How do I reset my password?",
                                                     identity_token=sign_identity_token(tenant, "cus_1001")))
    guest_sender = sender()
    guest = bridge.post(server.url, "demo", message(guest_sender, "How do I reset my password?"))
    for who in (VERIFIED_SENDER, token_sender, guest_sender):
        bridge.replies_to(who)  # the conversation exists once its turn has run
    customers = {}
    for answer in (mapped, signed, guest):
        assert answer.status_code == 202, answer.text
        [row] = rows(server, "SELECT customer_id FROM conversations WHERE id = ?", (answer.json()["conversation_id"],))
        customers[answer.json()["conversation_id"]] = row["customer_id"]
    assert list(customers.values()) == ["cus_1003", "cus_1001", None]


def test_a_guest_follows_the_sign_in_link_and_the_next_conversation_is_verified(server, bridge):
    who = sender()
    tenant = load_tenant(Path(server.env["FRONTLINE_TENANTS"]))
    first = bridge.post(server.url, "demo", message(who, "Where is my order?"))
    [asked] = bridge.replies_to(who)
    found = re.search(re.escape(SIGN_IN_PAGE) + r"\?frontline_link=([\w.-]+)", asked.body["text"])
    assert "sign in" in asked.body["text"] and found, asked.body["text"]
    state = found.group(1)

    def link(body: dict[str, str]) -> httpx.Response:
        return httpx.post(f"{server.url}/channels/messaging/demo/link", json=body, timeout=30)

    # the site signs the customer in and links the chat; anything forged or mixed up is refused
    assert link({"state": state, "identity": "not-a-token"}).status_code == 401
    assert link({"state": state[:-4] + "AAAA", "identity": sign_identity_token(tenant, "cus_1001")}).status_code == 401
    identity_as_state = link({"state": sign_identity_token(tenant, "cus_1001"),
                              "identity": sign_identity_token(tenant, "cus_1001")})
    assert identity_as_state.status_code == 401  # an identity token is not a link state
    linked = link({"state": state, "identity": sign_identity_token(tenant, "cus_1001")})
    assert linked.status_code == 200 and linked.json() == {"linked": True}

    again = bridge.post(server.url, "demo", message(who, "Where is my order?"))
    answer = bridge.replies_to(who, 2)[1].body
    assert "sign in" not in answer["text"] and "BW-" in answer["text"], answer["text"]
    assert again.json()["conversation_id"] != first.json()["conversation_id"]
    [row] = rows(server, "SELECT customer_id FROM conversations WHERE id = ?", (again.json()["conversation_id"],))
    assert row["customer_id"] == "cus_1001"
