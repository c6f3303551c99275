"""A reply owed to a bridge survives a crash: stored, not yet accepted by the bridge, the server
killed; after the restart the sweep sends it, once."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from app.core.domain import new_id
from tests.support.bridge import SECRET, SECRET_ENV, Bridge
from tests.support.server import ServerProcess, demo_tenant_file


@pytest.fixture
def bridge() -> Iterator[Bridge]:
    running = Bridge().start()
    yield running
    running.stop()


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory, bridge: Bridge) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("messaging-restart")
    tenant = demo_tenant_file(folder, ("reset-your-password",), messaging={
        "enabled": True, "bridge_url": bridge.url, "secret_env": SECRET_ENV})
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log",
                            env={"FRONTLINE_TENANTS": str(tenant), SECRET_ENV: SECRET}).start()
    yield process
    process.stop()


def test_a_reply_stored_but_unsent_when_the_server_dies_is_sent_once_after_the_restart(server, bridge):
    who = f"+1555{new_id()[:8]}"
    bridge.status = 503  # the bridge is down: the reply is stored and retried, never accepted
    accepted = bridge.post(server.url, "demo", {"id": new_id(), "sender": who, "text": "How do I reset my password?"})
    assert accepted.status_code == 202, accepted.text
    bridge.wait_for(lambda b: any(d.status == 503 and d.body["recipient"] == who for d in b.deliveries))
    owed = next(d.key for d in bridge.deliveries if d.body["recipient"] == who)
    assert server.process is not None
    server.process.kill()  # a crash: no shutdown, nothing flushed on the way out
    server.process.wait()
    server.process = None
    bridge.status = 200
    server.start()

    [reply] = bridge.replies_to(who)
    assert reply.key == owed and "password" in reply.body["text"].lower()
    later = bridge.post(server.url, "demo", {"id": new_id(), "sender": who, "text": "How do I reset my password?"})
    assert later.status_code == 202
    bridge.replies_to(who, 2)  # the conversation's next reply: anything owed before it came first
    keys = [d.key for d in bridge.accepted(who)]
    assert keys.count(owed) == 1 and len(keys) == 2, keys
    with sqlite3.connect(server.data_dir / "frontline.sqlite3") as db:
        [status] = db.execute("SELECT status FROM messaging_outbox WHERE message_id = ?", (owed,)).fetchone()
    assert status == "sent"
