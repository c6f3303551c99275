"""The typed decision trace: what it stores, and that traces stored by older versions still read."""

from __future__ import annotations

import json

from app.conversation.trace_view import TURN_FIELDS, rows
from app.core.trace import DecisionPart, DecisionTrace, HandoffTrace, TaskTrace

# A trace as an earlier version stored it: one latency number, no mode, no guardrails, an
# intent with no method, and a key this version does not know.
OLD_TRACE = {
    "language": {"value": "es", "detected": "es", "confidence": 0.99, "switched": True},
    "intent": {"name": None, "confidence": 0.31, "runners_up": [["order_status", 0.31], ["refund_request", 0.2]],
               "out_of_scope": False},
    "entities": {"order_ids": ["BW-10234"], "amounts": [{"value": "12.50", "currency": "EUR"}]},
    "retrieval": [{"id": "p1", "doc": "shipping-times", "rrf": 0.03, "similarity": 0.71}],
    "decision": {"action": "answer", "rule": "default"},
    "latency_ms": 412.7,
    "experiment": "b",
}


def test_an_old_trace_loads_and_renders():
    trace = DecisionTrace.load(json.loads(json.dumps(OLD_TRACE)))
    shown = dict(rows(trace))
    assert shown["intent"] == ("none (not confident enough; closest order_status 0.31) · "
                               "runners-up refund_request 0.20")
    assert shown["language"] == "es (detected es 0.99, switched)"
    assert shown["entities"] == "order BW-10234; amount 12.50 EUR"
    assert shown["retrieval"] == "top shipping-times similarity 0.71 (1 passage)"
    assert shown["decision"] == "answer · rule default"
    assert shown["latency"] == "413 ms"
    assert "mode" not in shown and "blocked by" not in shown and "versions" not in shown
    assert set(shown) <= set(TURN_FIELDS)


def test_the_versions_that_decided_a_turn_are_shown():
    trace = DecisionTrace.load({**OLD_TRACE, "versions": {
        "intents": "1a2b3c4d5e6f", "actions": "builtin-1", "handoff": "9f8e7d6c5b4a", "knowledge": "00aa11bb22cc"}})
    assert dict(rows(trace))["versions"] == ("intents 1a2b3c4d5e6f · actions builtin-1 · handoff 9f8e7d6c5b4a"
                                             " · knowledge 00aa11bb22cc")


def test_a_part_that_no_longer_reads_is_left_out_not_the_whole_trace():
    trace = DecisionTrace.load({**OLD_TRACE, "priority": "high", "task": {"flow": "cancellation"}})
    assert trace.priority is None and trace.task is None  # a string, and a task without outcome
    assert trace.intent is not None and trace.decision == DecisionPart(action="answer", rule="default")


def test_only_what_a_stage_set_is_stored_and_a_deliberate_none_stays():
    trace = DecisionTrace(decision=DecisionPart(action="csat"))
    trace.handoff = HandoffTrace(queue="general", level="normal", due_at="2026-11-21T13:00:00.000Z", open_now=False,
                                 agents_online=0, ahead=0, wait_minutes=None, trigger="human_request",
                                 policy_version="p1", follow_up=None, incident=None)
    trace.task = TaskTrace(outcome="asked", flow="cancellation", awaiting="target", slots=[])
    stored = trace.stored()
    assert stored["decision"] == {"action": "csat"}
    assert stored["handoff"]["wait_minutes"] is None and stored["handoff"]["incident"] is None
    assert set(stored) == {"decision", "handoff", "task"}
    assert DecisionTrace.load(json.loads(json.dumps(stored))).stored() == stored


def test_a_refused_turn_renders_what_blocked_it():
    trace = DecisionTrace.load({"guardrails": [{"check": "not_empty", "allowed": True},
                                               {"check": "max_length", "allowed": False, "reason": "9 > 4"}],
                                "decision": {"action": "refuse_input", "rule": "max_length"},
                                "latency_ms": {"store_input": 1.2, "guard_input": 0.4}, "mode": "grounded"})
    shown = dict(rows(trace))
    assert shown["blocked by"] == "max_length: 9 > 4"
    assert shown["latency"] == "2 ms (store_input 1, guard_input 0)"
    assert shown["mode"] == "grounded"


def test_the_handoff_packet_reads_typed_traces_old_ones_included():
    """The packet an agent opens is built from the typed traces: an older trace's entities and
    a later turn's intent, mood and actions all reach it."""
    from app.core.domain import Conversation, ConversationId, Message, MessageId, Ownership, Role, TenantId
    from app.handoff.packet import build_packet

    later = DecisionTrace.load({
        "intent": {"name": "refund_request", "confidence": 0.9},
        "entities": {"order_ids": ["BW-10240"]},
        "sentiment": {"score": -0.6, "frustration": 0.7, "signals": ["negative_words"], "label": "negative"},
        "actions": [{"tool": "request_refund", "outcome": "pending_approval", "approval": "ap-1", "amount": "89.00",
                     "internal": "not shown"}],
    })
    conversation = Conversation(
        id=ConversationId("c1"), tenant=TenantId("demo"), kind="customer", user_identifier="customer:demo:1003",
        customer_id="1003", language="es", state=Ownership.ASSISTANT, assigned_agent=None, queue=None, priority=0,
        misses=0, name=None, created_at="", updated_at="")
    said = Message(MessageId("m1"), conversation.id, Role.CUSTOMER, "Dana", "Quiero un reembolso del BW-10234")
    packet = build_packet(conversation, [said], [DecisionTrace.load(OLD_TRACE), later], None, None)
    assert packet.intent == "refund_request" and packet.language == "es"
    assert packet.entities["order_ids"] == ["BW-10234", "BW-10240"]
    assert packet.sentiment is not None and packet.sentiment["label"] == "negative"
    assert packet.actions == [{"tool": "request_refund", "outcome": "pending_approval", "approval": "ap-1",
                               "amount": "89.00"}]
    assert packet.why == later.stored()
    assert packet.summary.startswith(
        "A verified customer, writing in Spanish in the web chat, asked about refund request")
