"""A chat client that speaks to Frontline exactly as the Chainlit web client does:
HTTP sign-in for the auth cookie, then socket.io at /ws/socket.io with the same events."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import socketio

Event = dict[str, Any]


class ChatClient:
    def __init__(self, base_url: str, client_type: str = "webapp") -> None:
        self.base_url = base_url
        self.client_type = client_type
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.sio = socketio.AsyncClient(reconnection=False)
        self.session_id = str(uuid.uuid4())
        self.thread_id: str | None = None
        self.messages: list[Event] = []  # new_message events, in arrival order
        self.actions: list[Event] = []  # action buttons shown, in arrival order
        self.streamed: dict[str, list[str]] = {}  # message id -> tokens, as they arrived
        self._changed = asyncio.Condition()
        for name in ("new_message", "first_interaction", "resume_thread", "action", "stream_start",
                     "stream_token"):
            self.sio.on(name, self._handler(name))

    def _handler(self, name: str) -> Callable[[Any], Any]:
        async def handle(data: Any) -> None:
            if name == "new_message":
                self.messages.append(data)
                self.thread_id = self.thread_id or data.get("threadId")
            elif name == "first_interaction":
                self.thread_id = data.get("thread_id") or self.thread_id
            elif name == "action":
                self.actions.append(data)
            elif name == "stream_start":
                self.streamed[data["id"]] = [data.get("output", "")]
            elif name == "stream_token":
                self.streamed.setdefault(data["id"], []).append(data["token"])
            elif name == "resume_thread":
                self.messages.extend(data.get("steps", []))
            async with self._changed:
                self._changed.notify_all()
        return handle

    # -- sign-in ---------------------------------------------------------------------

    async def widget_token(self, tenant: str = "demo", identity: str | None = None,
                           locale: str | None = None) -> str:
        body: dict[str, Any] = {"tenant": tenant}
        if identity is not None:
            body["identity"] = identity
        if locale is not None:
            body["locale"] = locale
        response = await self.http.post("/api/widget/session", json=body)
        response.raise_for_status()
        return str(response.json()["token"])

    async def sign_in_customer(self, tenant: str = "demo", identity: str | None = None,
                               locale: str | None = None) -> None:
        """What the copilot widget does with its accessToken: POST /auth/jwt."""
        token = await self.widget_token(tenant, identity, locale)
        response = await self.http.post("/auth/jwt", headers={"Authorization": f"Bearer {token}"})
        response.raise_for_status()

    async def sign_in_agent(self, email: str, password: str) -> None:
        response = await self.http.post("/login", data={"username": email, "password": password})
        response.raise_for_status()

    # -- socket ----------------------------------------------------------------------

    async def connect(self, thread_id: str | None = None) -> None:
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.thread_id = thread_id
        await self.sio.connect(
            self.base_url, socketio_path="/ws/socket.io", transports=["websocket"],
            headers={"Cookie": cookie},
            auth={"sessionId": self.session_id, "clientType": self.client_type,
                  "userEnv": json.dumps({}), "chatProfile": None, "threadId": thread_id})
        await self.sio.emit("connection_successful")

    async def send(self, text: str) -> str:
        message_id = str(uuid.uuid4())
        created = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        await self.sio.emit("client_message", {
            "message": {"id": message_id, "threadId": self.thread_id or "", "output": text,
                        "name": "User", "type": "user_message", "createdAt": created},
            "fileReferences": None})
        return message_id

    async def wait_for(self, predicate: Callable[[Event], bool], timeout: float = 20.0,
                       after: int = 0) -> Event:
        """The first new_message (from index `after` on) that satisfies `predicate`."""
        return await self._wait(self.messages, predicate, timeout, after)

    async def wait_for_action(self, name: str, conversation: str, timeout: float = 20.0) -> Event:
        """The latest action button `name` shown for `conversation` (waiting until one is)."""
        return await self.wait_for_button(name, lambda payload: payload.get("conversation") == conversation,
                                          timeout)

    async def wait_for_button(self, name: str, payload_matches: Callable[[dict[str, Any]], bool],
                              timeout: float = 20.0) -> Event:
        """The latest action button `name` whose payload matches (waiting until one is shown)."""
        def matches(action: Event) -> bool:
            return action["name"] == name and payload_matches(action["payload"])
        await self._wait(self.actions, matches, timeout, 0)
        return next(a for a in reversed(self.actions) if matches(a))

    async def buttons_for(self, message_id: str, count: int, timeout: float = 20.0) -> dict[str, Event]:
        """The `count` quick-reply buttons shown under a message (each is its own event), by value."""
        def matches(action: Event) -> bool:
            return action.get("forId") == message_id and action["name"] == "reply"
        await self._wait(self.actions, lambda _: sum(map(matches, self.actions)) >= count, timeout, 0)
        return {a["payload"]["value"]: a for a in self.actions if matches(a)}

    async def wait_for_stream(self, timeout: float = 20.0) -> str:
        """The id of a message a model has started streaming into (waiting until one starts)."""
        async def started() -> str:
            async with self._changed:
                await self._changed.wait_for(lambda: bool(self.streamed))
                return next(iter(self.streamed))
        return await asyncio.wait_for(started(), timeout)

    async def _wait(self, events: list[Event], predicate: Callable[[Event], bool], timeout: float,
                    after: int) -> Event:
        async def find() -> Event:
            async with self._changed:
                while True:
                    for event in events[after:]:
                        if predicate(event):
                            return event
                    await self._changed.wait()
        try:
            return await asyncio.wait_for(find(), timeout)
        except TimeoutError:
            seen = [(e.get("name"), e.get("output", e.get("label", ""))[:120]) for e in events[after:]]
            raise AssertionError(f"nothing matching within {timeout}s; saw {seen}") from None

    async def reply_to(self, text: str, timeout: float = 20.0) -> Event:
        """Send `text` and return the next message not authored by the customer."""
        mark = len(self.messages)
        await self.send(text)
        return await self.wait_for(lambda e: e.get("type") == "assistant_message", timeout, after=mark)

    async def click(self, action: Event) -> None:
        """Press an action button as the UI does (POST /project/action)."""
        response = await self.http.post("/project/action", json={
            "sessionId": self.session_id, "action": action})
        response.raise_for_status()

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
        await self.http.aclose()
