"""kill -9 in the middle of a write and in the middle of a turn, then restart: the write is
resolved with the company's system exactly once, audited, and the customer told; the message
left unanswered is answered once.

The real server runs a tenant whose connector is the REST one, against the fake company API
in this process; a slow answer from that API holds the server at the exact point to kill it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from tests.support.chat import ChatClient
from tests.support.fake_company_api import TOKEN, FakeCompanyAPI, connector_options, slow
from tests.support.server import PROJECT_ROOT, ServerProcess, demo_tenant_file

pytestmark = pytest.mark.asyncio(loop_scope="module")

TOKEN_VARIABLE = "FRONTLINE_TEST_COMPANY_TOKEN"
SEND = "/customers/cus_3/invoices/INV-2026-0417/send"
CUSTOMER = "/customers/cus_3"
ARTICLES = ("track-your-order", "order-statuses-explained")


@pytest.fixture(scope="module")
def api():
    server = FakeCompanyAPI().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def crashed_server(tmp_path_factory, api):
    folder = tmp_path_factory.mktemp("crash")
    connector = {"type": "rest", "options": connector_options(api.url, TOKEN_VARIABLE, retries=0)}
    demo_tenant_file(folder, ARTICLES, connector=connector)
    env = {"FRONTLINE_TENANTS": str(folder / "tenant.yaml"), TOKEN_VARIABLE: TOKEN}
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log", env=env)
    yield process
    process.stop()


def db_rows(server: ServerProcess, sql: str, *params: Any) -> list[dict[str, Any]]:
    with sqlite3.connect(server.data_dir / "frontline.sqlite3") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params)]


async def until(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.2)
    raise AssertionError("timed out waiting")


async def arrived(api: FakeCompanyAPI, method: str, path: str, after: int) -> None:
    await until(lambda: [r for r in api.requests_to(path)[after:] if r.method == method], timeout=20)


async def customer(server: ServerProcess, identity_for, made: list[ChatClient]) -> ChatClient:
    client = ChatClient(server.url, client_type="copilot")
    made.append(client)
    await client.sign_in_customer("demo", identity=identity_for("cus_3"))
    await client.connect()
    await client.wait_for(lambda e: e["type"] == "assistant_message")  # the welcome
    return client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def crash(crashed_server, api, identity_for_module):
    """Two customers caught mid-flight by kill -9: one just said "yes" to an invoice copy (the
    company API has the request), one just asked a question (the turn waits on the API)."""
    server = crashed_server.start()
    made: list[ChatClient] = []
    try:
        writer = await customer(server, identity_for_module, made)
        confirm = await writer.reply_to("Please send me a copy of invoice INV-2026-0417")
        assert "Shall I go ahead?" in confirm["output"] or "go ahead" in confirm["output"].lower(), confirm
        asker = await customer(server, identity_for_module, made)

        api.fail("POST", SEND, slow(4))  # the write is received, and answered after the kill
        sends = len(api.requests_to(SEND))
        await writer.send("yes")
        await arrived(api, "POST", SEND, sends)

        api.fail("GET", CUSTOMER, slow(4))  # triage's account lookup holds the turn after storing
        lookups = len(api.requests_to(CUSTOMER))
        await asker.send("Where is my order?")
        await arrived(api, "GET", CUSTOMER, lookups)

        server.process.kill()  # SIGKILL: no shutdown, no cleanup
        server.process.wait()
    finally:
        for client in made:
            await client.close()
    api.wait_idle(10)
    api.clear_faults()
    ledger = db_rows(server, "SELECT * FROM action_ledger WHERE conversation_id = ?", writer.thread_id)
    assert [e["status"] for e in ledger] == ["running"], ledger  # what the crash left behind
    server.start()
    return {"writer": writer.thread_id, "asker": asker.thread_id, "key": ledger[0]["idempotency_key"]}


@pytest.fixture(scope="module")
def identity_for_module():
    from app.config.tenants import load_tenant
    from app.surfaces.auth import sign_identity_token
    tenant = load_tenant(PROJECT_ROOT / "demo" / "tenant.yaml")
    return lambda customer_id: sign_identity_token(tenant, customer_id)


async def test_a_write_cut_off_by_a_crash_is_resolved_once_audited_and_announced(
        crash, crashed_server, api, identity_for_module):
    server = crashed_server
    ledger = await until(lambda: [e for e in db_rows(
        server, "SELECT * FROM action_ledger WHERE idempotency_key = ?", crash["key"]) if e["status"] != "running"])
    assert ledger[0]["status"] == "done" and ledger[0]["reference"] == "INV-2026-0417", ledger
    assert [a for a in api.executed if a[1] == crash["key"]] == [("send_invoice", crash["key"])]  # once
    sent = api.requests_to(SEND)
    assert len({r.headers["idempotency-key"] for r in sent}) == 1 and len(sent) == 2  # asked again, same key

    events = db_rows(server, "SELECT actor, action, outcome, detail FROM audit_events WHERE subject = ?",
                     crash["writer"])
    recovered = [e for e in events if e["actor"] == "recovery"]
    assert len(recovered) == 1 and recovered[0]["outcome"] == "done", events
    assert json.loads(recovered[0]["detail"])["recovered"] == "retried"
    verify = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "app.cli.main", "audit", "verify"], cwd=PROJECT_ROOT,
        env={**os.environ, **server.env, "FRONTLINE_DATA_DIR": str(server.data_dir)},
        capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr

    told = [m for m in db_rows(server, "SELECT role, content FROM messages WHERE conversation_id = ?"
                               " ORDER BY created_at, rowid", crash["writer"])]
    assert told[-2]["content"] == "yes" and told[-1]["role"] == "assistant", told
    assert "I was interrupted while handling what you confirmed" in told[-1]["content"], told[-1]
    assert "Reference: INV-2026-0417." in told[-1]["content"]

    back = ChatClient(server.url, client_type="copilot")  # the customer comes back to the chat
    try:
        await back.sign_in_customer("demo", identity=identity_for_module("cus_3"))
        await back.connect(thread_id=crash["writer"])
        await back.wait_for(lambda e: "it has gone through. Reference: INV-2026-0417." in e.get("output", ""))
        again = await back.reply_to("yes")  # the question is over: nothing is resent
        assert "already being handled" not in again["output"], again["output"]
    finally:
        await back.close()
    assert [a for a in api.executed if a[0] == "send_invoice"] == [("send_invoice", crash["key"])]


async def test_a_message_left_unanswered_by_a_crash_is_answered_once_after_restart(crash, crashed_server):
    server = crashed_server

    def messages() -> list[dict[str, Any]]:
        return db_rows(server, "SELECT role, content FROM messages WHERE conversation_id = ? ORDER BY created_at,"
                       " rowid", crash["asker"])

    answered = await until(lambda: (found := messages()) and found[-1]["role"] == "assistant" and found)
    asked = [m["content"] for m in answered].index("Where is my order?")
    assert [m["role"] for m in answered[asked:]] == ["customer", "assistant"], answered  # answered once
    assert "BW-20417" in answered[-1]["content"] or "BW-20388" in answered[-1]["content"], answered[-1]
    assert "answering message" in server.log() and "left unanswered by a restart" in server.log()

    server.stop()  # another restart finds nothing left to answer
    starts = server.log().count("recovery after restart:")
    server.start()
    await until(lambda: server.log().count("recovery after restart:") > starts)
    assert "recovery after restart: 0 writes resolved, 0 messages answered" in server.log()
    assert messages() == answered


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(tmp_path_factory):
    """The real services on the demo backend, which can say what became of a write by its key."""
    from app.config.settings import Settings
    from app.services import build_services
    from tests.support.engine import fixed_clock

    async with build_services(Settings(data_dir=tmp_path_factory.mktemp("recover") / "data"),
                              clock=fixed_clock()) as built:
        yield built


async def cut_off(services, customer: str, invoice: str, *, reached_the_system: bool,
                  ask: str = "Please send me a copy of invoice {}", locale: str = "en") -> tuple[str, str]:
    """A write as a crash leaves it: claimed as running, and carried out by the company's system
    or not; returns (conversation id, idempotency key)."""
    from app.core.domain import new_id
    from app.store.actions import LedgerEntry
    from tests.support.engine import Chat

    chat = Chat(services, customer, locale)
    await chat.say(ask.format(invoice))
    key = f"crash-{new_id()}"
    entry = LedgerEntry("demo", chat.id, customer, "send_invoice_copy", {"invoice_id": invoice}, None, key, "v-test")
    assert await services.engine.actions.ledger.claim(entry)
    if reached_the_system:
        await services.engine.tenants["demo"].connector.send_invoice_copy(customer, invoice, idempotency_key=key)
    return chat.id, key


async def test_the_demo_system_is_asked_by_key_and_nothing_is_sent_twice(services):
    from tests.support.engine import rows

    done_id, done_key = await cut_off(services, "cus_1001", "INV-2026-0079", reached_the_system=True)
    lost_id, lost_key = await cut_off(services, "cus_1002", "INV-2026-0404", reached_the_system=False,
                                      ask="Envíame una copia de la factura {}, por favor", locale="es")
    pushed = []

    async def notify(conversation_id, message):
        pushed.append((conversation_id, message.content))

    recovery = services.recovery
    recovery.notify = notify
    later = services.clock() + timedelta(seconds=1)
    assert await recovery.resolve_writes(later) == 2
    assert await recovery.resolve_writes(later) == 0  # resolved once

    emails = await rows(services, "SELECT payload FROM outbox WHERE template = 'invoice_copy'")
    assert sum("INV-2026-0079" in e["payload"] for e in emails) == 1  # found, not sent again
    assert sum("INV-2026-0404" in e["payload"] for e in emails) == 1  # never arrived: sent once now
    how = {}
    for conversation_id in (done_id, lost_id):
        (event,) = await services.db.fetch_all(
            "SELECT actor, outcome, detail FROM audit_events WHERE subject = ? AND actor = 'recovery'",
            (conversation_id,))
        how[conversation_id] = (event["outcome"], json.loads(event["detail"])["recovered"])
    assert how == {done_id: ("done", "found"), lost_id: ("done", "retried")}
    spanish = [text for cid, text in pushed if cid == lost_id]  # cus_1002 chats in Spanish
    assert spanish and spanish[0].startswith("Perdona la espera") and "Referencia: INV-2026-0404." in spanish[0]
    assert {cid for cid, _ in pushed} == {done_id, lost_id}
