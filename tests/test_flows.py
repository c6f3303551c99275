"""Task flows through the real engine, store, classifier and demo business system (grounded mode),
and the flow runner against the demo system on fixed dates (refund windows)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
import pytest_asyncio

from app.config.settings import Settings
from app.conversation.flows import FlowContext, default_runner
from app.core.domain import Identity, TenantId
from app.services import build_services
from app.understanding.entities import extract_entities
from app.understanding.intents import IntentResult
from tests.support.engine import Chat, backend, fixed_clock, rows

pytestmark = pytest.mark.asyncio(loop_scope="module")

NOTHING = IntentResult(None, 0.0)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("flows") / "data")
    async with build_services(settings, clock=fixed_clock()) as built:
        yield built


async def test_cancelling_an_order_asks_which_then_confirms_then_writes_once(services):
    chat = Chat(services, "cus_1002", "es")
    ask, trace = await chat.say("Quiero cancelar algo")
    assert "1. BW-10243" in ask and "2. Tu suscripción Plus" in ask, ask
    assert trace["decision"]["rule"] == "task_cancellation" and trace["task"]["awaiting"] == "target"
    confirm, trace = await chat.say("el 1")
    assert "Voy a cancelar el pedido BW-10243" in confirm and "77,95 $" in confirm, confirm
    assert trace["decision"]["rule"] == "continue_cancellation" and trace["task"]["awaiting"] == "confirm"
    assert (await rows(services, "SELECT status FROM orders WHERE id = 'BW-10243'")) == [{"status": "processing"}]

    done, trace = await chat.say("sí, adelante")
    assert done.startswith("Hecho: el pedido BW-10243 está cancelado"), done
    action = trace["actions"][0]
    assert action["tool"] == "cancel_order" and action["outcome"] == "done" and not action["replayed"]
    assert (await rows(services, "SELECT status FROM orders WHERE id = 'BW-10243'")) == [{"status": "cancelled"}]
    audit = await services.db.fetch_all(
        "SELECT action, detail FROM audit_events WHERE subject = ? AND action = 'cancel_order'", (chat.id,))
    assert len(audit) == 1 and "cus_1002" in audit[0]["detail"]

    again, _ = await chat.say("Cancela el pedido BW-10243")  # a new request meets the order's real status
    assert "ya está cancelado" in again, again


async def test_a_double_submitted_refund_is_requested_once(services):
    chat = Chat(services, "cus_1011")  # $143.95: within the demo policy's automatic limit
    confirm, _ = await chat.say("I want a refund for order BW-10213")
    assert "I'll start a return for order BW-10213" in confirm and "$143.95" in confirm, confirm
    (first, t1), (second, t2) = await asyncio.gather(chat.say("yes"), chat.say("yes", choice="yes"))
    requests = await rows(services, "SELECT id, order_id, amount FROM refund_requests WHERE customer_id = 'cus_1011'")
    assert len(requests) == 1 and requests[0]["order_id"] == "BW-10213" and requests[0]["amount"] == 143.95
    executed = [t["actions"][0] for t in (t1, t2) if t.get("actions")]
    first_runs = [a for a in executed if a["outcome"] == "submitted" and not a["replayed"]]
    assert len(first_runs) == 1, executed  # the twin was replayed, or found the first still running
    assert all(a["outcome"] == "in_progress" or a["replayed"] for a in executed if a is not first_runs[0])
    assert requests[0]["id"] in first + second
    ledger = await services.db.fetch_all("SELECT status FROM action_ledger WHERE conversation_id = ?", (chat.id,))
    assert [r["status"] for r in ledger] == ["submitted"]


async def test_declining_changes_nothing(services):
    chat = Chat(services, "cus_1013", "de")
    ask, _ = await chat.say("Bitte die Lieferadresse meiner Bestellung ändern")
    assert "BW-10241" in ask and "Wie lautet die neue Adresse?" in ask, ask
    confirm, _ = await chat.say("Praterstraße 5, 1020 Wien")
    assert "auf: Praterstraße 5, 1020 Wien" in confirm, confirm
    declined, trace = await chat.say("nein")
    assert declined.startswith("In Ordnung, ich habe nichts geändert"), declined
    assert trace["task"]["outcome"] == "declined" and "actions" not in trace
    address = await rows(services, "SELECT shipping_address FROM orders WHERE id = 'BW-10241'")
    assert address[0]["shipping_address"].startswith("Mariahilfer Straße 102"), address


async def test_a_customer_never_reaches_another_customers_invoice(services):
    chat = Chat(services, "cus_1003")
    answer, trace = await chat.say("Please send me a copy of invoice INV-2026-0079")  # Maya's invoice
    assert "couldn't find invoice INV-2026-0079" in answer, answer
    assert trace["task"]["outcome"] == "not_found"
    assert not [e for e in await backend(services).sent_emails() if "INV-2026-0079" in e["payload"]]


async def test_password_reset_says_the_same_for_unknown_addresses_and_emails_only_customers(services):
    before = len(await backend(services).sent_emails())
    known, unknown = Chat(services), Chat(services)
    for chat, email in ((known, "greta.hoffmann@example.com"), (unknown, "nobody@nowhere.example")):
        await chat.say("I forgot my password")
        await chat.say(email)
        done, trace = await chat.say("yes")
        assert done.startswith(f"Done: if {email} has an account"), done
        assert "@" not in str(trace.get("actions")), trace["actions"]  # no addresses in traces
    sent = (await backend(services).sent_emails())[before:]
    assert [(e["to_email"], e["template"]) for e in sent] == [("greta.hoffmann@example.com", "password_reset")]


async def test_a_new_confident_request_leaves_the_task(services):
    chat = Chat(services, "cus_1001")
    await chat.say("Can you resend one of my invoices?")
    answer, trace = await chat.say("Actually, where is my order?")
    assert "BW-10234" in answer and "in transit" in answer, answer
    assert trace["decision"]["rule"] == "task_order_status"
    conversation = await services.conversations.get(chat.id)
    assert conversation.flow is None


async def test_unclear_answers_are_asked_again_then_let_go(services):
    chat = Chat(services, "cus_1001")
    await chat.say("Can you resend one of my invoices?")
    again, trace = await chat.say("hmm")
    assert again.startswith("Sorry, I didn't catch that.") and "1. INV-2026-0079" in again, again
    gave_up, trace = await chat.say("hmm")
    assert gave_up.startswith("I'll leave that for now"), gave_up
    assert (await services.conversations.get(chat.id)).flow is None


async def test_a_person_taking_over_clears_the_half_finished_task(services):
    from app.core.domain import Ownership

    chat = Chat(services, "cus_1001")
    await chat.say("Could you send a copy of invoice INV-2026-0079?")
    assert (await services.conversations.get(chat.id)).flow is not None
    await services.conversations.transition(chat.id, expect=(Ownership.ASSISTANT,), to=Ownership.QUEUED, agent=None)
    await services.conversations.transition(chat.id, expect=(Ownership.QUEUED,), to=Ownership.HUMAN, agent="a@x")
    await services.conversations.transition(chat.id, expect=(Ownership.HUMAN,), to=Ownership.ASSISTANT, agent=None)
    assert (await services.conversations.get(chat.id)).flow is None
    answer, _ = await chat.say("yes")  # no longer a confirmation of anything
    assert "on its way" not in answer, answer


async def test_when_the_help_center_has_nothing_a_likely_task_is_offered(services):
    chat = Chat(services, "cus_1001")
    question, trace = await chat.say("my money")
    assert trace["decision"]["rule"] == "no_answer_but_maybe_a_task", trace["decision"]
    assert "1. Request a refund" in question and "Something else" in question, question
    assert (await services.conversations.get(chat.id)).misses == 0  # a question asked is not a miss
    picked, trace = await chat.say("1")
    assert trace["decision"]["rule"] == "continue_clarify"
    assert picked.startswith("I don't see anything on your account that's inside a refund window"), picked


async def test_an_idempotency_key_cannot_be_reused_for_another_write(services):
    from app.core.errors import ConnectorError

    connector = backend(services)
    await connector.send_invoice_copy("cus_1001", "INV-2026-0079", idempotency_key="key-reuse-test")
    with pytest.raises(ConnectorError, match="different action"):
        await connector.cancel_order("cus_1001", "BW-10234", idempotency_key="key-reuse-test")
    assert (await rows(services, "SELECT status FROM orders WHERE id = 'BW-10234'")) == [{"status": "in_transit"}]


async def test_clarifying_question_starts_the_task_the_customer_picks(services):
    runner = default_runner()
    connector = backend(services)
    text = "I was charged twice, sort it out"
    ctx = FlowContext(connector, Identity(TenantId("demo"), "t", customer_id="cus_1015"), "c-clarify", "en", text,
                      extract_entities(text), date(2026, 11, 12))
    question = runner.clarify(["refund_request", "cancellation"], ctx)
    assert "1. Request a refund" in question.text and "3. Something else" in question.text
    assert [c.value for c in question.choices] == ["refund_request", "cancellation", "other"]
    picked = await runner.resume(question.state, FlowContext(
        connector, ctx.identity, ctx.conversation_id, "en", "Request a refund", extract_entities(""),
        ctx.today, choice="refund_request"), NOTHING)
    assert picked is not None and picked.state is not None and picked.state.name == "refund_request"
    assert "refund request for invoice INV-2026-0403" in picked.text, picked.text  # the only eligible charge
    assert picked.state.reason == text  # the refund request keeps the customer's own words
    other = await runner.resume(question.state, FlowContext(
        connector, ctx.identity, ctx.conversation_id, "en", "3", extract_entities("3"), ctx.today), NOTHING)
    assert other is not None and other.state is None and other.text.startswith("Sure, tell me")


@pytest.mark.parametrize(("customer", "target", "today", "expected"), [
    ("cus_1018", "BW-10222", date(2026, 11, 21), "I'll start a return for order BW-10222"),
    ("cus_1018", "BW-10222", date(2026, 12, 11), "more than 30 days ago"),  # delivered 2026-11-10
    ("cus_1014", "BW-10227", date(2026, 11, 21), "is in transit. Once it's delivered"),
    ("cus_1013", "BW-10241", date(2026, 11, 21), "hasn't shipped yet, so the simplest is to cancel it"),
    ("cus_1005", "BW-10220", date(2026, 11, 21), "was cancelled, and cancelled orders are refunded"),
    ("cus_1015", "INV-2026-0403", date(2026, 11, 16), "I'll submit a refund request for invoice INV-2026-0403"),
    ("cus_1015", "INV-2026-0403", date(2026, 11, 17), "within 7 days, so it's outside the window"),  # monthly
    ("cus_1016", "INV-2025-0429", date(2025, 12, 13), "I'll submit a refund request"),  # yearly: 14 days
    ("cus_1016", "INV-2025-0429", date(2025, 12, 14), "within 14 days"),
    ("cus_1006", "INV-2025-0411", date(2025, 11, 16), "Business contract"),
    ("cus_1004", "INV-2026-0398", date(2026, 11, 6), "hasn't been paid"),
])
async def test_refund_terms_follow_the_published_windows(services, customer, target, today, expected):
    runner = default_runner()
    text = f"I want a refund for {target}"
    ctx = FlowContext(backend(services), Identity(TenantId("demo"), "t", customer_id=customer), f"c-{customer}",
                      "en", text, extract_entities(text), today)
    reply = await runner.start("refund_request", ctx)
    assert expected in reply.text, reply.text
    assert (reply.outcome == "confirm") == expected.startswith("I'll"), reply.outcome
