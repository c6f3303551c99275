"""What a client can put on the socket, against the real server as the web client talks to it:
text UTF-8 cannot carry, payloads of the wrong shape, edits of a sent message, and a question
that sounds like a task. The store is read from the server's own SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from app.core.i18n import say
from tests.support.chat import ChatClient
from tests.support.server import ServerProcess
from tests.test_chat_e2e import agent_console, customer

LEAKS = ("'message'", "AssertionError", "KeyError", "TypeError", "ValidationError", "Traceback", "Error")


def stored(server: ServerProcess, thread_id: str | None) -> list[tuple[str, str, str]]:
    """(role, content, metadata) of a conversation's messages, oldest first, as the server stored them."""
    with sqlite3.connect(server.data_dir / "frontline.sqlite3") as db:
        return db.execute("SELECT role, content, metadata FROM messages WHERE conversation_id = ? "
                          "ORDER BY created_at, rowid", (thread_id or "",)).fetchall()


def step(text: Any, **changes: Any) -> dict[str, Any]:
    """A message as the web client sends it, with `changes` applied (None removes a field)."""
    message = {"id": str(uuid.uuid4()), "threadId": "", "output": text, "name": "User", "type": "user_message",
               "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
    message.update(changes)
    return {k: v for k, v in message.items() if v is not None}


async def assistant_after(chat: ChatClient, mark: int) -> dict[str, Any]:
    return await chat.wait_for(lambda e: e.get("type") == "assistant_message", after=mark)


async def test_a_lone_surrogate_is_stored_replaced_and_answered(server, clients):
    chat = await customer(server, clients)
    answer = await chat.reply_to("How do I reset my password? \ud800")
    assert "Source: [Reset your password" in answer["output"], answer["output"]
    assert answer["output"] != say("error.generic", "en")
    customer_rows = [r for r in stored(server, chat.thread_id) if r[0] == "customer"]
    assert [r[1] for r in customer_rows] == ["How do I reset my password? \ufffd"]
    assert '"replaced_characters": 1' in customer_rows[0][2]


MALFORMED: list[tuple[str, Any]] = [
    ("no message", {"fileReferences": None}),
    ("message is text", {"message": "hello", "fileReferences": None}),
    ("not an object", "hello"),
    ("a number", 42),
    ("id not a uuid4", {"message": step("hello", id="1"), "fileReferences": None}),
    ("output not text", {"message": step(["hello"]), "fileReferences": None}),
    ("no createdAt", {"message": step("hello", createdAt=None), "fileReferences": None}),
    ("file references not a list", {"message": step("hello"), "fileReferences": "x"}),
]


@pytest.mark.parametrize("case", [name for name, _ in MALFORMED])
async def test_a_malformed_message_gets_a_translated_sentence_and_the_chat_keeps_working(server, clients, case):
    payload = dict(MALFORMED)[case]
    chat = await customer(server, clients, locale="es")
    first = await chat.reply_to("¿Cuánto cuesta el envío?")  # a conversation that exists and is stored
    before = stored(server, chat.thread_id)
    mark = len(chat.messages)
    await chat.sio.emit("client_message", payload)
    refused = await assistant_after(chat, mark)
    assert refused["output"] == say("input.malformed", "es"), refused
    await asyncio.sleep(0.5)  # anything else the server would have said
    said = [e["output"] for e in chat.messages[mark:]]
    assert said == [refused["output"]], said
    assert not any(leak in text for text in said for leak in LEAKS), said
    assert stored(server, chat.thread_id) == before  # nothing stored, nothing changed
    again = await chat.reply_to("¿Cuánto cuesta el envío?")
    assert again["output"] == first["output"], again  # the connection still works
    assert "refused for session" in server.log() and case  # the reason is logged


async def test_an_extra_argument_or_no_payload_is_refused_too(server, clients):
    chat = await customer(server, clients)
    mark = len(chat.messages)
    await chat.sio.emit("client_message", ({"message": step("hi")}, "extra"))
    await chat.sio.emit("client_message", None)
    refusal = say("input.malformed", "en")
    await chat.wait_for(lambda _: sum(e["output"] == refusal for e in chat.messages[mark:]) == 2, after=mark)
    assert stored(server, chat.thread_id) == []


async def test_an_edit_is_refused_and_neither_reruns_the_turn_nor_changes_the_store(server, clients):
    chat = await customer(server, clients, locale="fr")
    mark = len(chat.messages)
    message_id = await chat.send("Comment réinitialiser mon mot de passe ?")
    answer = await assistant_after(chat, mark)
    before = stored(server, chat.thread_id)
    assert [(r[0], r[1]) for r in before] == [("customer", "Comment réinitialiser mon mot de passe ?"),
                                             ("assistant", answer["output"])]
    mark = len(chat.messages)
    await chat.sio.emit("edit_message", {"message": step("Où est ma commande ?", id=message_id)})
    refused = await assistant_after(chat, mark)
    assert refused["output"] == say("input.edit_refused", "fr"), refused
    await asyncio.sleep(1.0)
    assert [e["output"] for e in chat.messages[mark:]] == [refused["output"]]  # the turn did not run again
    assert stored(server, chat.thread_id) == before
    assert "socket event edit_message refused" in server.log()


async def test_a_pause_question_over_the_socket_quotes_the_pause_article_without_buttons(server, clients, identity_for):
    chat = await customer(server, clients, identity=identity_for("cus_1002"))
    answer = await chat.reply_to("Can I pause my subscription for two months?")
    assert "[Pause your subscription" in answer["output"], answer["output"]
    await asyncio.sleep(0.5)
    assert not [a for a in chat.actions if a.get("forId") == answer["id"]], chat.actions  # no Yes button
    cancel = await chat.reply_to("I want to cancel my subscription")
    assert "Plus" in cancel["output"], cancel["output"]
    buttons = await chat.buttons_for(cancel["id"], 1)
    assert buttons, cancel


async def test_an_agents_lone_surrogate_in_the_console_is_stored_replaced_and_reaches_the_customer(server, clients):
    agent, _ = await agent_console(server, clients)
    chat = await customer(server, clients)
    await chat.reply_to("I want to talk to a human")
    conversation = chat.thread_id
    assert conversation
    await agent.wait_for(lambda e: e["output"].startswith("New in queue") and conversation[:8] in e["output"])
    mark = len(chat.messages)
    await agent.send(f"/claim {conversation[:8]}")
    await chat.wait_for(lambda e: "joined the chat" in e["output"], after=mark)

    await agent.send("On it \ud800 one moment")
    seen = await chat.wait_for(  # under the agent's name and team, as every agent message
        lambda e: e["output"] == "**Alex Rivera · Brightwave team**\n\nOn it \ufffd one moment", after=mark)
    assert seen["name"] == "Alex Rivera"
    agent_rows = [r for r in stored(server, conversation) if r[0] == "agent"]
    assert [r[1] for r in agent_rows] == ["On it \ufffd one moment"]
    assert '"replaced_characters": 1' in agent_rows[0][2]
    mark_agent = len(agent.messages)
    await agent.send("/note odd \udfff byte")
    await agent.wait_for(lambda e: "Note added" in e["output"], after=mark_agent)
    await agent.send("/handback")


async def test_a_turn_that_cannot_be_stored_never_tells_the_customer_it_was_saved(server, clients):
    chat = await customer(server, clients)
    await chat.reply_to("How do I reset my password?")  # the conversation exists
    before = stored(server, chat.thread_id)
    locked = sqlite3.connect(server.data_dir / "frontline.sqlite3", isolation_level=None)
    try:
        locked.execute("BEGIN EXCLUSIVE")  # the store can't write for longer than it waits (5 s)
        answer = await chat.reply_to("Where can I download my invoice?", timeout=30)
    finally:
        locked.execute("ROLLBACK")
        locked.close()
    assert answer["output"] == say("error.unexpected", "en"), answer["output"]
    assert "saved" not in answer["output"]
    assert stored(server, chat.thread_id) == before  # nothing half-written
    again = await chat.reply_to("Where can I download my invoice?")  # and the chat goes on
    assert "invoice" in again["output"].lower(), again["output"]
