"""Task flows end to end over socket.io, typed and clicked, in English and Spanish."""

from __future__ import annotations

from tests.support.chat import ChatClient, Event
from tests.support.engine import as_seeded_today
from tests.test_chat_e2e import customer


async def click_and_wait(chat: ChatClient, action: Event) -> Event:
    mark = len(chat.messages)
    await chat.click(action)
    return await chat.wait_for(lambda e: e.get("type") == "assistant_message", after=mark)


async def test_invoice_copy_chosen_and_confirmed_with_buttons(server, clients, identity_for):
    chat = await customer(server, clients, identity=identity_for("cus_1001"))
    question = await chat.reply_to("Could you send me a copy of my invoice?")
    assert "Which invoice" in question["output"], question["output"]
    options = await chat.buttons_for(question["id"], count=2)
    assert set(options) == {"INV-2026-0079", "INV-2025-0079"}, options

    confirm = await click_and_wait(chat, options["INV-2025-0079"])
    assert "INV-2025-0079" in confirm["output"] and "m***@example.com" in confirm["output"], confirm["output"]
    assert "Shall I go ahead?" in confirm["output"]
    shown = [m["output"] for m in chat.messages if m.get("type") == "user_message"]
    assert shown and shown[-1].startswith("INV-2025-0079"), shown  # the click reads as the customer's answer

    done = await click_and_wait(chat, (await chat.buttons_for(confirm["id"], count=2))["yes"])
    assert done["output"].startswith("Done: a copy of invoice INV-2025-0079 is on its way"), done["output"]


async def test_guest_password_reset_asks_for_the_email_then_confirms(server, clients):
    chat = await customer(server, clients)
    ask = (await chat.reply_to("I forgot my password and can't log in"))["output"]
    assert "email address" in ask, ask
    not_an_email = (await chat.reply_to("I don't remember"))["output"]
    assert "didn't catch that" in not_an_email and "email address" in not_an_email, not_an_email
    confirm = (await chat.reply_to("it's daniel.okafor@example.com"))["output"]
    assert "daniel.okafor@example.com" in confirm and "(yes / no)" in confirm, confirm
    done = (await chat.reply_to("yes please"))["output"]
    assert done.startswith("Done: if daniel.okafor@example.com has an account"), done


async def test_spanish_address_change_keeps_the_country_and_asks_before_writing(server, clients, identity_for):
    chat = await customer(server, clients, identity=identity_for("cus_1002"), locale="es-ES")
    ask = (await chat.reply_to("Necesito cambiar la dirección de entrega de mi pedido"))["output"]
    assert "BW-10243" in ask and "Calle de Toledo 88" in ask, ask
    assert "¿Cuál es la nueva dirección?" in ask, ask
    elsewhere = (await chat.reply_to("Rue de Rivoli 10, 75001 Paris, France"))["output"]
    assert "debe estar en Spain" in elsewhere, elsewhere
    confirm = (await chat.reply_to("Calle de Alcalá 50, 28014 Madrid, España"))["output"]
    assert "Calle de Alcalá 50, 28014 Madrid, España" in confirm and "¿Lo hago? (sí / no)" in confirm, confirm
    done = (await chat.reply_to("sí"))["output"]
    assert done.startswith("Hecho: el pedido BW-10243 irá a Calle de Alcalá 50"), done


async def test_spanish_subscription_cancellation_can_be_declined(server, clients, identity_for):
    chat = await customer(server, clients, identity=identity_for("cus_1008"), locale="es-ES")
    confirm = (await chat.reply_to("Quiero cancelar mi suscripción"))["output"]
    assert "Voy a cancelar tu suscripción Plus" in confirm and as_seeded_today("2026-12-01") in confirm, confirm
    declined = (await chat.reply_to("no, mejor no"))["output"]
    assert declined.startswith("De acuerdo, no he cambiado nada"), declined
    again = (await chat.reply_to("Quiero cancelar mi suscripción"))["output"]
    assert "Voy a cancelar tu suscripción Plus" in again, again  # nothing was cancelled the first time


async def test_guest_cannot_start_an_account_task(server, clients):
    chat = await customer(server, clients)
    answer = (await chat.reply_to("Please cancel my order BW-10243"))["output"]
    assert "sign in" in answer.lower() and "BW-10243" not in answer, answer
