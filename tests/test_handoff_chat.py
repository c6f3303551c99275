"""Human handoff end to end: real customer and agent sessions over socket.io against a server
whose tenant answers with a model (litellm against a scripted OpenAI-compatible server).

Covers the claim race while the assistant is generating, two agents claiming at once,
translation between a Spanish customer and an English agent, the suggested reply an agent
edits, a customer who reconnects mid-handoff, and a server restart mid-handoff.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from app.store import ConversationStore, SqliteDatabase
from app.store.handoffs import HandoffStore
from tests.support.chat import ChatClient
from tests.support.fake_llm import reply
from tests.support.server import ServerProcess, demo_tenant_file

ALEX = ("agent@brightwave.example", "frontline-demo")
SAM = ("sam@brightwave.example", "sam-demo-password")
AGENTS = [{"email": ALEX[0], "name": "Alex Rivera", "password": ALEX[1], "language": "en"},
          {"email": SAM[0], "name": "Sam Lee", "password": SAM[1], "language": "en"}]
SLOW_ANSWER = " ".join(["Here is a long answer about your question that keeps going"] * 8)


def from_alex(text: str, team: str = "Brightwave team") -> str:
    """An agent's message as the customer's chat shows it: under their name and team."""
    return f"**Alex Rivera · {team}**\n\n{text}"


def tenant_folder(folder, llm_url: str | None):
    model = {"model": "openai/gpt-4o-mini", "api_base": llm_url, "timeout": 10, "retries": 0}
    demo_tenant_file(folder, **({"llm": model} if llm_url else {}))
    return {"FRONTLINE_TENANTS": str(folder / "tenant.yaml"), "FRONTLINE_AGENTS": json.dumps(AGENTS)}


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory, fake_llm):
    folder = tmp_path_factory.mktemp("handoff-llm")
    process = ServerProcess(data_dir=folder / "data", log_path=folder / "server.log",
                            env=tenant_folder(folder, fake_llm.url)).start()
    yield process
    process.stop()


@pytest.fixture
async def people(llm_server):
    made: list[ChatClient] = []

    async def customer(locale: str | None = None, server: ServerProcess | None = None) -> ChatClient:
        client = ChatClient((server or llm_server).url, client_type="copilot")
        made.append(client)
        await client.sign_in_customer("demo", locale=locale)
        await client.connect()
        await client.wait_for(lambda e: e.get("name") == "Assistant")
        return client

    async def agent(who=ALEX, server: ServerProcess | None = None) -> ChatClient:
        client = ChatClient((server or llm_server).url)
        made.append(client)
        await client.sign_in_agent(*who)
        await client.connect()
        await client.wait_for(lambda e: e["output"].startswith("**Queue**"))
        return client

    yield customer, agent
    for client in made:
        await client.close()


async def stored(server: ServerProcess):
    """The server's own SQLite store, read from the test (WAL lets both use it)."""
    return SqliteDatabase.open(server.data_dir / "frontline.sqlite3")


async def queued_by(customer: ChatClient, text: str = "I want to talk to a human") -> str:
    await customer.reply_to(text)
    assert customer.thread_id
    return customer.thread_id


async def test_a_claim_while_the_model_is_answering_wins_and_the_answer_is_dropped(llm_server, fake_llm, people):
    customer, agent = people
    alex = await agent()
    chat = await customer()
    fake_llm.script.clear()
    fake_llm.queue(reply(SLOW_ANSWER, chunk_delay=0.08))  # ~7 s of streaming
    await chat.send("Tell me everything about your energy plans")
    await chat.wait_for_stream()  # the model has started answering
    conversation = chat.thread_id
    assert conversation

    await alex.send(f"/takeover {conversation[:8]}")
    await alex.wait_for(lambda e: "**Transcript**" in e["output"] and conversation[:8] in e["output"])
    await chat.wait_for(lambda e: "Alex Rivera" in e["output"] and "joined the chat" in e["output"])
    await asyncio.sleep(8)  # the model finishes its answer in the background

    words = sum(len(tokens) for tokens in chat.streamed.values())
    assert words < len(SLOW_ANSWER.split()), "the stream must stop when the agent takes over"
    assert not [m for m in chat.messages if m.get("output") == SLOW_ANSWER]
    async with await stored(llm_server) as db:
        store = ConversationStore(db)
        current = await store.get(conversation)
        assert current is not None and current.state.value == "human" and current.assigned_agent == ALEX[0]
        assert not [m for m in await store.messages(conversation) if m.role.value == "assistant"
                    and m.content == SLOW_ANSWER]
        handoff = await HandoffStore(db).latest(conversation)
        assert handoff is not None and handoff.trigger == "agent_takeover" and handoff.claimed_by == ALEX[0]

    mark = len(chat.messages)
    await alex.send("Hi, I'm here. What would you like to know?")
    await chat.wait_for(lambda e: e.get("output") == from_alex("Hi, I'm here. What would you like to know?"),
                        after=mark)


async def test_two_agents_claiming_at_once_get_one_winner_and_one_clear_refusal(llm_server, people):
    customer, agent = people
    alex, sam = await agent(ALEX), await agent(SAM)
    chat = await customer()
    conversation = await queued_by(chat)
    for console in (alex, sam):
        await console.wait_for(lambda e: e["output"].startswith("New in queue") and conversation[:8] in e["output"])
    marks = len(alex.messages), len(sam.messages)
    await asyncio.gather(alex.send(f"/claim {conversation[:8]}"), sam.send(f"/claim {conversation[:8]}"))

    async def outcome(console: ChatClient, mark: int) -> str:
        found = await console.wait_for(lambda e: "**Transcript**" in e["output"] or "Could not claim" in e["output"]
                                       or "No waiting conversation" in e["output"], after=mark)
        return "won" if "**Transcript**" in found["output"] else "refused"

    results = sorted([await outcome(alex, marks[0]), await outcome(sam, marks[1])])
    assert results == ["refused", "won"], results
    joined = [m for m in chat.messages if "joined the chat" in m.get("output", "")]
    assert len(joined) == 1, joined


async def test_customer_and_agent_read_each_other_in_their_own_language(llm_server, fake_llm, people):
    customer, agent = people
    alex = await agent()
    chat = await customer(locale="es")
    conversation = await queued_by(chat, "Quiero hablar con una persona, por favor")
    await alex.wait_for(lambda e: e["output"].startswith("New in queue") and conversation[:8] in e["output"])

    fake_llm.script.clear()
    fake_llm.queue(reply("Hola, ya estoy revisando tu caso."),  # the suggested reply, drafted in Spanish
                   reply("Hello, I'm already looking into your case."))  # ... shown to the agent in English
    await alex.send(f"/claim {conversation[:8]}")
    suggestion = await alex.wait_for(lambda e: e["output"].startswith("**Suggested reply**"))
    assert "(llm, en)" in suggestion["output"], suggestion["output"]

    fake_llm.queue(reply("My thermostat arrived broken."))
    mark = len(alex.messages)
    await chat.send("Mi termostato llegó roto.")
    seen = await alex.wait_for(lambda e: "My thermostat arrived broken." in e["output"], after=mark)
    assert "Mi termostato llegó roto." in seen["output"]  # the original is shown with it

    fake_llm.queue(reply("Lo siento mucho. Te enviamos uno nuevo hoy."))
    mark = len(chat.messages)
    await alex.send("I'm so sorry. We'll send you a new one today.")
    got = await chat.wait_for(lambda e: e.get("name") == "Alex Rivera", after=mark)
    assert got["output"] == from_alex("Lo siento mucho. Te enviamos uno nuevo hoy.", "equipo de Brightwave")
    prompt = fake_llm.requests[-1]["messages"]
    assert "Spanish" in prompt[0]["content"] and "We'll send you a new one today." in prompt[-1]["content"]
    async with await stored(llm_server) as db:
        sent = [m for m in await ConversationStore(db).messages(conversation) if m.role.value == "agent"][-1]
        assert sent.metadata["original"]["text"] == "I'm so sorry. We'll send you a new one today."


async def test_an_edited_suggestion_reaches_the_customer_and_the_edit_is_kept_as_feedback(
        llm_server, fake_llm, people):
    customer, agent = people
    alex = await agent()
    chat = await customer()
    conversation = await queued_by(chat, "I need a person, my invoice is wrong")
    await alex.wait_for(lambda e: e["output"].startswith("New in queue") and conversation[:8] in e["output"])
    fake_llm.script.clear()
    fake_llm.queue(reply("Thanks for flagging this. Could you tell me the invoice number?"))
    await alex.send(f"/claim {conversation[:8]}")
    button = await alex.wait_for_button("send_suggestion", lambda p: p.get("conversation") == conversation)
    drafted = button["payload"]["text"]
    assert drafted == "Thanks for flagging this. Could you tell me the invoice number?"

    edited = dict(button, payload={**button["payload"], "text": "Sorry about that! Which invoice number is it?"})
    mark = len(chat.messages)
    await alex.click(edited)  # what the editable suggestion sends (callAction) after the agent's edit
    await chat.wait_for(lambda e: e.get("output") == from_alex("Sorry about that! Which invoice number is it?"),
                        after=mark)
    async with await stored(llm_server) as db:
        row = await HandoffStore(db).suggestion(button["payload"]["suggestion"])
    assert row is not None and row["outcome"] == "edited" and row["suggested"] == drafted
    assert row["sent"] == "Sorry about that! Which invoice number is it?" and 0 < row["similarity"] < 1


async def test_a_customer_who_reconnects_mid_handoff_sees_what_they_missed_and_keeps_talking(llm_server, people):
    customer, agent = people
    alex = await agent()
    chat = await customer()
    conversation = await queued_by(chat)
    await alex.wait_for(lambda e: e["output"].startswith("New in queue") and conversation[:8] in e["output"])
    await alex.send(f"/claim {conversation[:8]}")
    await chat.wait_for(lambda e: "joined the chat" in e["output"])
    await chat.sio.disconnect()  # the customer's tab closes

    await alex.send("While you were away: your replacement ships tomorrow.")

    back = ChatClient(llm_server.url, client_type="copilot")
    back.http.cookies = chat.http.cookies
    try:
        await back.connect(thread_id=conversation)  # resume, as the UI does
        await back.wait_for(lambda e: "replacement ships tomorrow" in e.get("output", ""))
        mark = len(back.messages)
        await alex.send("Anything else I can do?")
        await back.wait_for(lambda e: e.get("output") == from_alex("Anything else I can do?"), after=mark)
        mark = len(alex.messages)
        await back.send("No, that's all, thank you")
        relayed = await alex.wait_for(lambda e: "that's all, thank you" in e["output"], after=mark)
        assert relayed["name"] == "Customer"
    finally:
        await back.close()


async def test_a_handoff_survives_a_server_restart(tmp_path, people):
    customer, agent = people
    server = ServerProcess(data_dir=tmp_path / "data", log_path=tmp_path / "server.log",
                           env=tenant_folder(tmp_path, None)).start()
    try:
        alex = await agent(server=server)
        chat = await customer(server=server)
        conversation = await queued_by(chat)
        await alex.wait_for(lambda e: e["output"].startswith("New in queue") and conversation[:8] in e["output"])
        await alex.send(f"/claim {conversation[:8]}")
        await chat.wait_for(lambda e: "joined the chat" in e["output"])
        cookies = chat.http.cookies
        await chat.close()
        await alex.close()

        server.stop()
        server.start()

        alex = await agent(server=server)
        mine = [m for m in alex.messages if m["output"].startswith("**Queue**")][-1]
        assert "**Yours** — 1 open" in mine["output"] and conversation[:8] in mine["output"]
        await alex.click(await alex.wait_for_action("open", conversation))
        await alex.wait_for(lambda e: "**Transcript**" in e["output"] and "talk to a human" in e["output"])

        back = ChatClient(server.url, client_type="copilot")
        back.http.cookies = cookies
        try:
            await back.connect(thread_id=conversation)
            await back.wait_for(lambda e: "joined the chat" in e.get("output", ""))
            mark = len(alex.messages)
            await back.send("Are you still there?")
            await alex.wait_for(lambda e: "Are you still there?" in e["output"], after=mark)
            mark = len(back.messages)
            await alex.send("Yes, still here after our restart.")
            await back.wait_for(lambda e: e.get("output") == from_alex("Yes, still here after our restart."),
                                after=mark)
            assert not [m for m in back.messages[mark:] if m.get("name") == "Assistant"]
        finally:
            await back.close()
    finally:
        server.stop()


async def test_after_a_hand_back_the_model_knows_what_the_agent_did(llm_server, fake_llm, people):
    customer, agent = people
    alex = await agent()
    chat = await customer()
    conversation = await queued_by(chat, "I need a person about a double charge")
    await alex.wait_for(lambda e: e["output"].startswith("New in queue") and conversation[:8] in e["output"])
    fake_llm.script.clear()
    await alex.send(f"/claim {conversation[:8]}")
    await chat.wait_for(lambda e: "joined the chat" in e["output"])
    # the packet's suggested reply is a model call of its own: let it finish before scripting the next one
    await alex.wait_for_action("send_suggestion", conversation)
    await alex.send("I've refunded the duplicate charge of $19.99; it shows in 3-5 days.")
    await chat.wait_for(lambda e: "duplicate charge" in e.get("output", ""))
    mark = len(chat.messages)
    await alex.send("/handback Refunded duplicate charge INV-2026-0142, customer informed")
    back = await chat.wait_for(lambda e: "I'm back to help" in e.get("output", ""), after=mark)
    assert "Refunded duplicate charge INV-2026-0142" in back["output"]  # the customer sees the note too

    fake_llm.queue(reply("You're welcome! The refund from Alex should appear within 3-5 days."))
    answer = await chat.reply_to("Thanks! When will I see the money?")
    assert answer["output"] == "You're welcome! The refund from Alex should appear within 3-5 days."
    sent = "\n".join(str(m.get("content")) for m in fake_llm.requests[-1]["messages"])
    assert "[Alex Rivera, a human agent of the team] I've refunded the duplicate charge" in sent
    assert "handed the conversation back to you with this note: Refunded duplicate charge INV-2026-0142" in sent
