"""Stopping and restarting the server keeps history, feedback, the queue and tasks in progress."""

from __future__ import annotations

import pytest

from tests.conftest import AGENT_EMAIL, AGENT_PASSWORD
from tests.support.chat import ChatClient
from tests.support.server import ServerProcess


@pytest.fixture
def private_server(tmp_path):
    process = ServerProcess(data_dir=tmp_path / "data", log_path=tmp_path / "server.log")
    yield process
    process.stop()


async def test_history_feedback_and_queue_survive_a_restart(private_server, identity_for):
    server = private_server.start()
    chat = ChatClient(server.url, client_type="copilot")
    task = ChatClient(server.url, client_type="copilot")
    try:
        await chat.sign_in_customer("demo", identity=identity_for("cus_1001"))
        await chat.connect()
        await chat.wait_for(lambda e: e["type"] == "assistant_message")  # the welcome
        answer = await chat.reply_to("How do I reset my password?")
        response = await chat.http.put("/feedback", json={
            "sessionId": chat.session_id,
            "feedback": {"forId": answer["id"], "value": 1, "threadId": chat.thread_id}})
        assert response.status_code == 200, response.text
        queued = await chat.reply_to("I want to talk to a human")
        assert "I've opened ticket TK-" in queued["output"], queued["output"]  # nobody online: a ticket
        thread_id = chat.thread_id

        await task.sign_in_customer("demo", identity=identity_for("cus_1013"), locale="de-DE")
        await task.connect()
        await task.wait_for(lambda e: e["type"] == "assistant_message")
        asked = await task.reply_to("Ich muss die Lieferadresse meiner Bestellung ändern")
        assert "Wie lautet die neue Adresse?" in asked["output"], asked["output"]
        task_thread = task.thread_id
    finally:
        await chat.close()
        await task.close()

    server.stop()
    assert "33 added" in server.log()
    # a clean stop closes everything before Chainlit ends the process: the store checkpointed
    # and closed (no write-ahead log left), and the server record removed
    assert "Frontline stopped cleanly" in server.log()
    assert not (server.data_dir / "frontline.sqlite3-wal").exists()
    assert not (server.data_dir / "server.json").exists()
    server.start()
    assert "0 added, 0 updated, 33 unchanged" in server.log(), "restart must not re-embed articles"

    agent = ChatClient(server.url)
    back = ChatClient(server.url, client_type="copilot")
    resumed = ChatClient(server.url, client_type="copilot")
    try:
        await agent.sign_in_agent(AGENT_EMAIL, AGENT_PASSWORD)
        await agent.connect()
        queue = await agent.wait_for(lambda e: e["output"].startswith("**Queue**"))
        assert thread_id[:8] in queue["output"]

        await back.sign_in_customer("demo", identity=identity_for("cus_1001"))
        thread = (await back.http.get(f"/project/thread/{thread_id}")).json()
        outputs = [step["output"] for step in thread["steps"]]
        assert outputs[0] == "How do I reset my password?"
        assert any("Reset your password" in text for text in outputs)
        rated = [s for s in thread["steps"] if s["id"] == answer["id"]]
        assert rated and rated[0]["feedback"]["value"] == 1

        listed = (await back.http.post("/project/threads", json={
            "pagination": {"first": 10}, "filter": {}})).json()
        assert thread_id in [t["id"] for t in listed["data"]]

        await back.connect(thread_id=thread_id)  # resume, as the UI does from the history list
        await back.wait_for(lambda e: "Reset your password" in e.get("output", ""))

        # the task asked before the restart continues where it stopped
        await resumed.sign_in_customer("demo", identity=identity_for("cus_1013"), locale="de-DE")
        await resumed.connect(thread_id=task_thread)
        await resumed.wait_for(lambda e: "Wie lautet die neue Adresse?" in e.get("output", ""))
        confirm = await resumed.reply_to("Praterstraße 5, 1020 Wien")
        assert "Ich ändere die Lieferadresse der Bestellung BW-10241" in confirm["output"], confirm["output"]
    finally:
        await agent.close()
        await back.close()
        await resumed.close()


async def test_another_customer_cannot_open_someone_elses_thread(server, clients, identity_for):
    owner = ChatClient(server.url, client_type="copilot")
    other = ChatClient(server.url, client_type="copilot")
    clients += [owner, other]
    await owner.sign_in_customer("demo", identity=identity_for("cus_1001"))
    await owner.connect()
    await owner.wait_for(lambda e: e["type"] == "assistant_message")
    await owner.reply_to("How do I change my email address?")
    await other.sign_in_customer("demo", identity=identity_for("cus_1002"))
    response = await other.http.get(f"/project/thread/{owner.thread_id}")
    assert response.status_code in (401, 403, 404), response.text
