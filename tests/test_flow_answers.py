"""Reading a customer's answers to a task's questions, and the task state as stored."""

from __future__ import annotations

from app.conversation.flows import Choice, FlowState, default_runner
from app.conversation.flows.orders import same_country
from app.conversation.flows.state import normalize, pick, read_yes_no


def test_answers_are_read_in_every_language() -> None:
    for yes in ("yes", "Yes please!", "sí", "Si, adelante", "ja, gerne", "Oui, d'accord", "go ahead"):
        assert read_yes_no(yes) is True, yes
    for no in ("no", "No thanks", "nein", "non merci", "mejor no", "never mind"):
        assert read_yes_no(no) is False, no
    for unclear in ("maybe", "what does that mean?", "yes… no"):
        assert read_yes_no(unclear) is None, unclear
    assert read_yes_no("whatever", clicked="yes") is True
    assert normalize("¡Sí, ADELANTE!") == "si adelante"


def test_options_are_picked_by_number_id_or_click() -> None:
    options = [Choice("BW-10243 — 2× Smart Plug", "BW-10243"), Choice("Your Plus subscription", "subscription")]
    assert pick("2", options) is options[1]
    assert pick("the one with bw-10243 please", options) is options[0]
    assert pick("anything", options, clicked="subscription") is options[1]
    assert pick("7", options) is None and pick("I have 2 questions about 3 things", options) is None


def test_stored_state_that_cannot_be_read_is_ignored() -> None:
    assert FlowState.load(None) is None
    assert FlowState.load({"name": "x"}) is None
    state = FlowState("refund_request", "confirm", {"target": "BW-1"}, reason="broken")
    assert FlowState.load(state.dump()) == state


def test_a_new_address_may_not_name_another_country() -> None:
    assert same_country("Calle de Alcalá 50, 28014 Madrid, España", "Spain")
    assert same_country("Calle de Alcalá 50, 28014 Madrid", "Spain")  # no country named: the order's
    assert not same_country("Rue de Rivoli 10, 75001 Paris, France", "Spain")
    assert not same_country("Hauptstraße 12, 10115 Berlin, Deutschland", "Austria")


def test_the_policy_knows_every_built_in_task_and_its_sign_in_rule() -> None:
    from app.conversation.policy import BUILTIN_TASKS

    assert default_runner().tasks == dict(BUILTIN_TASKS)


def test_two_tasks_about_equally_likely_are_asked_about_not_guessed() -> None:
    from app.config.tenants import load_tenant
    from app.conversation.policy import Action, decide, task_candidates
    from app.core.domain import Conversation, Identity, Ownership, TenantId
    from app.understanding.intents import IntentResult
    from tests.conftest import DEMO_TENANT

    tenant = load_tenant(DEMO_TENANT)
    customer = Identity(TenantId("demo"), "t", customer_id="cus_1001")
    conversation = Conversation("c", TenantId("demo"), "customer", "t", "cus_1001", "en", Ownership.ASSISTANT,
                                None, None, 0, 0, None, "", "")
    close = IntentResult("refund_request", 0.52, [("cancellation", 0.41), ("question", 0.05)])
    clear = IntentResult("refund_request", 0.9, [("cancellation", 0.05)])
    assert decide(close, customer, conversation, tenant).action is Action.CLARIFY
    assert task_candidates(close) == ["refund_request", "cancellation"]
    assert decide(clear, customer, conversation, tenant).rule == "task_refund_request"
    guest = Identity(TenantId("demo"), "g")
    assert decide(clear, guest, conversation, tenant).action is Action.SIGN_IN
    unsure = IntentResult(None, 0.4, [("refund_request", 0.4)], out_of_scope=True)
    assert task_candidates(unsure) == []  # out of scope: never offered a task
