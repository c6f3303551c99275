"""The widget session endpoint, the origin policy and bad customer input, over real HTTP/socket.io."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
import socketio

from tests.support.chat import ChatClient

DEMO_SECRET = "brightwave-demo-widget-secret-not-for-production"


async def post(server, body: bytes | dict, headers: dict | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url) as http:
        if isinstance(body, dict):
            return await http.post("/api/widget/session", json=body, headers=headers)
        return await http.post("/api/widget/session", content=body,
                               headers={"Content-Type": "application/json", **(headers or {})})


async def test_health_reports_the_knowledge_base(server):
    async with httpx.AsyncClient(base_url=server.url) as http:
        health = (await http.get("/healthz")).json()
    assert health["status"] == "ok" and health["knowledge_sections"]["demo"] > 25


async def test_guest_and_verified_tokens(server, identity_for):
    guest = await post(server, {"tenant": "demo"})
    assert guest.status_code == 200 and guest.json()["verified"] is False
    verified = await post(server, {"tenant": "demo", "identity": identity_for("cus_1001")})
    assert verified.status_code == 200 and verified.json()["verified"] is True


def signed(claims: dict, secret: str = DEMO_SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.mark.parametrize(("body", "status", "error"), [
    (b"{not json", 400, "invalid_request"),
    (b"[]", 400, "invalid_request"),
    ({"tenant": ""}, 400, "invalid_request"),
    ({"tenant": "demo", "extra": 1}, 400, "invalid_request"),
    ({"tenant": "nobody"}, 404, "unknown_tenant"),
    ({"tenant": "demo", "identity": "not-a-jwt"}, 401, "invalid_identity"),
    ({"tenant": "demo", "identity": signed({"sub": "cus_1001"}, "x" * 40)}, 401, "invalid_identity"),
    ({"tenant": "demo", "identity": signed({"sub": "cus_1001", "exp": int(time.time()) - 600})}, 401,
     "invalid_identity"),
    ({"tenant": "demo", "identity": signed({"exp": int(time.time()) + 600})}, 401, "invalid_identity"),
    ({"tenant": "demo", "identity": signed({"sub": "cus_1001", "exp": int(time.time()) + 90 * 86400})},
     401, "invalid_identity"),
    ({"tenant": "demo", "identity": signed({"sub": "cus_1001", "iat": int(time.time()),
                                            "exp": int(time.time()) + 90 * 86400})}, 401, "invalid_identity"),
    ({"tenant": "demo", "identity": signed({"sub": "cus_1001", "iat": int(time.time()) - 86400,
                                            "exp": int(time.time()) + 3600})}, 401, "invalid_identity"),
    (b'{"tenant": "demo", "locale": "' + b"x" * 20_000 + b'"}', 413, "too_large"),
])
async def test_bad_widget_requests_get_a_clear_error(server, body, status, error):
    response = await post(server, body)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error and response.json()["message"]


@pytest.mark.parametrize(("claims", "missing"), [
    ({"sub": "cus_1001"}, "iat"),
    ({"sub": "cus_1001", "iat": int(time.time())}, "exp"),
    ({"sub": "cus_1001", "exp": int(time.time()) + 600}, "iat"),
])
async def test_an_identity_token_without_expiry_or_issue_time_is_refused(server, claims, missing):
    response = await post(server, {"tenant": "demo", "identity": signed(claims)})
    assert response.status_code == 401, response.text
    assert f"no `{missing}` claim" in response.json()["message"]


async def test_foreign_origin_cannot_get_a_token_or_open_a_socket(server):
    refused = await post(server, {"tenant": "demo"}, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and refused.json()["error"] == "origin_not_allowed"
    allowed = await post(server, {"tenant": "demo"}, headers={"Origin": server.url})
    assert allowed.status_code == 200

    client = ChatClient(server.url)
    try:
        await client.sign_in_customer("demo")
        cookie = "; ".join(f"{k}={v}" for k, v in client.http.cookies.items())
        sio = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await sio.connect(server.url, socketio_path="/ws/socket.io", transports=["websocket"],
                              headers={"Cookie": cookie, "Origin": "https://evil.example"},
                              auth={"sessionId": "x", "clientType": "copilot", "userEnv": "{}"},
                              wait_timeout=5)
        await sio.disconnect()
    finally:
        await client.close()
    assert "socket connection refused from origin https://evil.example" in server.log()


async def test_socket_without_sign_in_is_refused(server):
    sio = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sio.connect(server.url, socketio_path="/ws/socket.io", transports=["websocket"],
                          auth={"sessionId": "y", "clientType": "copilot", "userEnv": "{}"},
                          wait_timeout=5)
    await sio.disconnect()


async def test_oversized_and_garbled_messages_get_a_calm_answer_and_are_kept(server, clients):
    chat = ChatClient(server.url, client_type="copilot")
    clients.append(chat)
    await chat.sign_in_customer("demo")
    await chat.connect()
    await chat.wait_for(lambda e: e["type"] == "assistant_message")
    long_reply = (await chat.reply_to("refund " * 1000))["output"]
    assert "longer than I can read" in long_reply and "4000" in long_reply
    garbled = (await chat.reply_to("hello\x00\x07 there"))["output"]
    assert "characters I can't read" in garbled
    blank = (await chat.reply_to("   "))["output"]
    assert "empty" in blank
    thread = (await chat.http.get(f"/project/thread/{chat.thread_id}")).json()
    customer_texts = [s["output"] for s in thread["steps"] if s["type"] == "user_message"]
    assert customer_texts[0] == "refund " * 1000 and customer_texts[1] == "hello\x00\x07 there"


async def test_wrong_agent_password_is_refused(server):
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/login", data={"username": "agent@brightwave.example",
                                                   "password": "wrong"})
    assert response.status_code == 401


async def test_full_page_chat_signs_a_guest_in(server):
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/chat/demo?lang=fr")
        assert response.status_code == 303 and response.headers["location"] == "/"
        me = (await http.get("/user")).json()
        assert me["metadata"]["role"] == "customer" and me["metadata"]["customer_id"] is None
        assert me["metadata"]["locale"] == "fr"
        assert (await http.get("/chat/nobody")).status_code == 404


async def test_a_returning_guest_keeps_their_identity_and_others_do_not(server, identity_for):
    async with httpx.AsyncClient(base_url=server.url) as browser, \
            httpx.AsyncClient(base_url=server.url) as other_browser:
        first = (await browser.post("/api/widget/session", json={"tenant": "demo"})).json()
        again = (await browser.post("/api/widget/session", json={"tenant": "demo"})).json()
        assert first["user"].startswith("guest:demo:") and again["user"] == first["user"]
        stranger = (await other_browser.post("/api/widget/session", json={"tenant": "demo"})).json()
        assert stranger["user"] != first["user"]
        signed_in = (await browser.post("/api/widget/session", json={
            "tenant": "demo", "identity": identity_for("cus_1001")})).json()
        assert signed_in["user"] == "customer:demo:cus_1001"
        assert (await browser.get("/user")).json()["identifier"] == "customer:demo:cus_1001"


async def test_article_pages_serve_indexed_documents_only(server):
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get("/kb/demo/reset-your-password")
        assert page.status_code == 200 and "<h1>Reset your password</h1>" in page.text
        for missing in ("/kb/demo/no-such-article", "/kb/nobody/reset-your-password",
                        "/kb/demo/..%2F..%2Fetc%2Fpasswd", "/kb/demo/%3Cscript%3E"):
            assert (await http.get(missing)).status_code == 404, missing
