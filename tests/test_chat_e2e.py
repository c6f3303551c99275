"""End to end over socket.io against the running server, as the web client talks to it."""

from __future__ import annotations

from tests.conftest import AGENT_EMAIL, AGENT_PASSWORD
from tests.support.chat import ChatClient, Event
from tests.support.engine import as_seeded_today
from tests.support.server import ServerProcess


async def customer(server: ServerProcess, clients: list[ChatClient], identity: str | None = None,
                   locale: str | None = None) -> ChatClient:
    client = ChatClient(server.url, client_type="copilot")
    clients.append(client)
    await client.sign_in_customer("demo", identity=identity, locale=locale)
    await client.connect()
    await client.wait_for(lambda e: e.get("name") == "Assistant")  # the welcome
    return client


async def agent_console(server: ServerProcess, clients: list[ChatClient]) -> tuple[ChatClient, Event]:
    """An agent signed in to the console, and the queue it was shown first."""
    agent = ChatClient(server.url)
    clients.append(agent)
    await agent.sign_in_agent(AGENT_EMAIL, AGENT_PASSWORD)
    await agent.connect()
    return agent, await agent.wait_for(lambda e: e["output"].startswith("**Queue**"))


async def test_password_question_quotes_the_article_and_names_it(server, clients):
    chat = await customer(server, clients)
    answer = await chat.reply_to("How do I reset my password?")
    text = answer["output"]
    assert "> " in text, text  # a quoted passage
    assert "Source: [Reset your password" in text, text
    link = text.split("Source:")[1].splitlines()[0].split("](")[1].rstrip(")")
    assert link.startswith("/kb/demo/reset-your-password#"), text
    page = await chat.http.get(link.split("#")[0])  # the cited section exists on the article page
    assert page.status_code == 200 and f'id="{link.split("#")[1]}"' in page.text
    assert "Forgot password" in text, text


async def test_verified_customer_gets_their_real_order_status(server, clients, identity_for):
    chat = await customer(server, clients, identity=identity_for("cus_1001"))
    answer = (await chat.reply_to("Where is my order?"))["output"]
    assert "BW-10234" in answer and "in transit" in answer, answer
    assert "1Z4JXETL0399752882" in answer and as_seeded_today("2026-11-24") in answer, answer


async def test_guest_is_asked_to_sign_in_and_sees_no_order_data(server, clients):
    chat = await customer(server, clients)
    answer = (await chat.reply_to("Where is my order?"))["output"]
    assert "sign in" in answer.lower(), answer
    assert "BW-" not in answer.replace("BW-12345", ""), answer


async def test_customer_cannot_read_another_customers_order(server, clients, identity_for):
    chat = await customer(server, clients, identity=identity_for("cus_1003"))
    answer = (await chat.reply_to("Where is my order BW-10234?"))["output"]
    assert "couldn't find an order BW-10234" in answer, answer
    assert "in transit" not in answer and "1Z4JXETL" not in answer, answer


async def test_replies_follow_the_widget_locale(server, clients, identity_for):
    chat = await customer(server, clients, identity=identity_for("cus_1002"), locale="es-ES")
    welcome = next(m for m in chat.messages if m["type"] == "assistant_message")
    assert "Hola" in welcome["output"]
    answer = (await chat.reply_to("¿Dónde está mi pedido?"))["output"]
    assert "Pedido" in answer and "BW-10243" in answer, answer


async def test_a_german_question_is_answered_from_the_english_article(server, clients):
    chat = await customer(server, clients, locale="de-DE")
    answer = (await chat.reply_to("Wie lange dauert der Versand nach Deutschland und was kostet er?"))["output"]
    assert answer.startswith("Das steht in unserem Hilfecenter"), answer
    assert "Quelle: [Shipping times and costs" in answer, answer


async def test_agent_takes_over_and_hands_back(server, clients):
    agent, _ = await agent_console(server, clients)
    chat = await customer(server, clients)
    queued = (await chat.reply_to("I want to talk to a human"))["output"]
    assert "support team" in queued and "in line; the expected wait is about" in queued, queued

    conversation = chat.thread_id
    assert conversation
    await agent.wait_for(lambda e: e["output"].startswith("New in queue") and conversation[:8] in e["output"])

    mark = len(chat.messages)
    await agent.send(f"/claim {conversation[:8]}")
    await agent.wait_for(lambda e: "**Transcript**" in e["output"] and "talk to a human" in e["output"])
    joined = await chat.wait_for(lambda e: "joined the chat" in e["output"], after=mark)
    assert "Alex Rivera" in joined["output"]

    # customer -> agent, and the assistant stays silent
    mark_agent, mark_chat = len(agent.messages), len(chat.messages)
    await chat.send("My hub keeps going offline every night")
    relayed = await agent.wait_for(lambda e: "hub keeps going offline" in e["output"], after=mark_agent)
    assert relayed["name"] == "Customer"

    # agent -> customer, shown by name
    await agent.send("Sorry about that! Let's check your wifi band first.")
    from_agent = await chat.wait_for(lambda e: "wifi band" in e["output"], after=mark_chat)
    assert from_agent["name"] == "Alex Rivera"
    assert not [m for m in chat.messages[mark_chat:] if m["name"] == "Assistant"]

    # an internal note stays in the console; a fresh suggestion can be drafted on demand
    mark_agent = len(agent.messages)
    await agent.send("/note Router is a dual-band model, asked about 2.4 GHz")
    await agent.wait_for(lambda e: "Note added" in e["output"], after=mark_agent)
    await agent.send("/suggest")
    await agent.wait_for(lambda e: e["output"].startswith("**Suggested reply**"), after=mark_agent)
    assert not [m for m in chat.messages[mark_chat:] if "dual-band" in m.get("output", "")]

    # hand back: the assistant answers again
    mark = len(chat.messages)
    await agent.send("/handback")
    await chat.wait_for(lambda e: "I'm back to help" in e["output"], after=mark)
    answer = (await chat.reply_to("How do I reset my password?"))["output"]
    assert "Source: [Reset your password" in answer, answer


async def test_agent_claims_and_resolves_with_buttons_and_customer_can_return(server, clients):
    chat = await customer(server, clients)
    agent, _ = await agent_console(server, clients)

    await chat.reply_to("Can I speak to a person please?")
    conversation = chat.thread_id
    assert conversation
    # the online agent is told about the new arrival, with a Claim button
    await agent.wait_for(lambda e: e["output"].startswith("New in queue") and conversation[:8] in e["output"])
    await agent.click(await agent.wait_for_action("claim", conversation))
    await agent.wait_for(lambda e: "**Transcript**" in e["output"] and conversation[:8] in e["output"])
    await chat.wait_for(lambda e: "joined the chat" in e["output"])

    # a second claim of the same conversation is refused with a reason, not lost silently
    await agent.send(f"/claim {conversation}")
    await agent.wait_for(lambda e: "No waiting conversation matches" in e["output"]
                         or "Could not claim" in e["output"])

    resolve = await agent.wait_for_action("resolve", conversation)
    mark = len(chat.messages)
    await agent.click(resolve)
    await chat.wait_for(lambda e: "marked this conversation as resolved" in e["output"], after=mark)
    await agent.wait_for(lambda e: "resolved; the customer is asked for a rating" in e["output"])

    # the satisfaction check: five buttons under the question; the score is stored
    asked = await chat.wait_for(lambda e: "How did we do?" in e["output"], after=mark)
    buttons = await chat.buttons_for(asked["id"], 5)
    mark = len(chat.messages)
    await chat.click(buttons["4"])
    await chat.wait_for(lambda e: "Thank you for your rating!" in e["output"], after=mark)

    answer = (await chat.reply_to("How do I download an invoice?"))["output"]
    assert "Source: [Download your invoices" in answer, answer


async def test_two_unanswered_questions_bring_in_a_human(server, clients):
    chat = await customer(server, clients)
    first = (await chat.reply_to("Do you sell used tractors?"))["output"]
    assert "couldn't find that" in first, first
    second = (await chat.reply_to("What about lawn mowers with diesel engines?"))["output"]
    assert "couldn't find the answer" in second and "Leave your email address" in second, second
    # queued: the assistant now stays silent and the message waits for the agent
    mark = len(chat.messages)
    await chat.send("hello?")
    agent, queue = await agent_console(server, clients)
    assert chat.thread_id[:8] in queue["output"]
    assert not [m for m in chat.messages[mark:] if m["type"] == "assistant_message"]
