"""Decision traces where people read them: the agent console (handoff packet and `/trace`)
over socket.io, and `frontline trace` run against the live server's data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from app.conversation.policy import POLICY_VERSION
from app.conversation.trace_view import escape, rows
from app.core.trace import DecisionTrace
from tests.support.chat import ChatClient
from tests.support.server import PROJECT_ROOT, ServerProcess
from tests.test_chat_e2e import agent_console


def frontline(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FRONTLINE_DATA_DIR": str(server.data_dir)}
    return subprocess.run([sys.executable, "-m", "app.cli.main", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


async def test_agent_sees_what_the_assistant_understood_and_why(server, clients, identity_for):
    chat = ChatClient(server.url, client_type="copilot")
    clients.append(chat)
    await chat.sign_in_customer("demo", identity=identity_for("cus_1001"))
    await chat.connect()
    await chat.wait_for(lambda e: e.get("name") == "Assistant")
    answer = (await chat.reply_to("Where is my order BW-10234?"))["output"]
    assert "BW-10234" in answer, answer
    queued = (await chat.reply_to("I want to talk to a human"))["output"]
    assert "busy or offline" in queued and "opened ticket TK-" in queued, queued  # no agent online: a ticket
    conversation = chat.thread_id
    assert conversation

    agent, _ = await agent_console(server, clients)
    await agent.send(f"/claim {conversation[:8]}")
    packet = (await agent.wait_for(
        lambda e: "**Transcript**" in e["output"] and conversation[:8] in e["output"]))["output"]
    understood = packet.split("**Why the assistant handed over**")[1].split("**Transcript**")[0]
    assert "**intent** human_handoff 1.00 via rule" in understood, packet
    assert "**language** en" in understood, packet
    assert "**sentiment** " in understood and "frustration" in understood, packet
    # one level, the handoff's, with the triage score behind it; triage's own level is not shown beside it
    queue_line = next(line for line in packet.splitlines() if line.startswith("**Queue:**"))
    assert queue_line.startswith("**Queue:** general · 🟢 normal (triage score ") and "customer_value 2" in queue_line
    assert "**priority** " not in understood, packet
    assert (f"**decision** handoff · rule human_request · policy {POLICY_VERSION}" in understood
            and "queue general — The customer asked for a person." in understood), packet

    mark = len(agent.messages)
    await agent.send("/trace")
    traces = (await agent.wait_for(lambda e: e["output"].startswith("**Decision traces**"),
                                   after=mark))["output"]
    assert f"`{conversation[:8]}` · last 2 of 2 assistant turns" in traces, traces
    order_turn, handoff_turn = traces.split("\n\n")[1:3]
    assert "**customer** Where is my order BW-10234?" in order_turn, traces
    assert "**intent** order_status" in order_turn and "**entities** order BW-10234" in order_turn
    assert "**mode** grounded" in order_turn and "**latency** " in order_turn, traces
    assert "**decision** handoff · rule human_request" in handoff_turn, traces
    assert "\\*\\*" not in traces and "**BW-10234**" not in traces  # replies shown as plain text

    # the CLI reads the same traces from the running server's store, and they agree
    as_json = frontline(server, "trace", conversation, "--json")
    assert as_json.returncode == 0, as_json.stderr
    turns = json.loads(as_json.stdout)["turns"]
    assert len(turns) == 2 and turns[0]["created_at"] < turns[1]["created_at"]
    assert turns[0]["trace"]["intent"]["name"] == "order_status"
    assert turns[0]["trace"]["entities"]["order_ids"] == ["BW-10234"]
    assert turns[1]["trace"]["decision"]["action"] == "handoff"
    assert turns[1]["trace"]["decision"]["policy_version"] == POLICY_VERSION
    for turn, shown in zip(turns, (order_turn, handoff_turn), strict=True):
        assert turn["customer_message"] in shown and turn["reply"][:60] in shown
        for label, value in rows(DecisionTrace.load(turn["trace"])):
            if label != "latency":
                assert f"- **{label}** {escape(value)}" in shown, (label, value, shown)

    listed = frontline(server, "trace", conversation[:8])  # the prefix the console shows
    assert listed.returncode == 0, listed.stderr
    assert f"conversation {conversation} · demo · verified customer cus_1001 · human" in listed.stdout
    assert "2 assistant turns" in listed.stdout, listed.stdout
    lines = [line.split(None, 1) for line in listed.stdout.splitlines() if line.startswith("    ")]
    assert ["customer", "Where is my order BW-10234?"] in lines, listed.stdout
    for turn in turns:
        assert ["decision", dict(rows(DecisionTrace.load(turn["trace"])))["decision"]] in lines, listed.stdout

    # triage reads the live store too, and leaves the server's embedded index alone
    checked = frontline(server, "triage", "thanks, that helps", "--tenant", "demo",
                        "--conversation", conversation, "--json")
    assert checked.returncode == 0, checked.stderr
    report = json.loads(checked.stdout)
    assert report["conversation"]["state"] == "human" and report["customer"]["id"] == "cus_1001"
    assert report["language"]["value"] == "en" and report["conversation"]["history_messages"] > 2

    missing = frontline(server, "trace", "no-such-conversation")
    assert missing.returncode == 1 and "no conversation 'no-such-conversation'" in missing.stderr
    assert "Traceback" not in missing.stderr


async def test_trace_needs_an_open_conversation(server, clients):
    agent, _ = await agent_console(server, clients)
    await agent.send("/trace")
    await agent.wait_for(lambda e: e["output"].startswith("No conversation is open"))
    await agent.send("/trace zzzzzzzz")
    await agent.wait_for(lambda e: "No waiting or assigned conversation matches `zzzzzzzz`" in e["output"])
