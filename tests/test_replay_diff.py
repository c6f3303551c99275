"""The comparison behind `frontline replay`: which change kinds a pair of decisions shows."""

from app.core.trace import DecisionPart, DecisionTrace, HandoffTrace, IntentTrace, TaskTrace
from app.evaluation.replay_diff import Decided, ReplayDiff, changes


def _trace(action="answer", intent="shipping", queue=None, task=False) -> DecisionTrace:
    return DecisionTrace(decision=DecisionPart(action=action), intent=IntentTrace(name=intent),
                         handoff=HandoffTrace(queue=queue, level="normal") if queue else None,
                         task=TaskTrace(outcome="asked", flow="refund") if task else None)


def test_a_trace_reads_as_its_decision_kind():
    assert Decided.of(_trace(queue="billing")).kind == "handoff"
    assert Decided.of(_trace(action="refuse_input")).kind == "refusal"
    assert Decided.of(_trace(task=True)).kind == "task"
    assert Decided.of(_trace(), ["b", "a", "a"]) == Decided("answer", "shipping", ("a", "b"))


def test_the_same_decision_has_no_changes():
    same = Decided.of(_trace(), ["returns"])
    assert changes(same, Decided.of(_trace(), ["returns"])) == []


def test_each_change_kind_is_named():
    answer = Decided("answer", "shipping", ("returns",))
    assert changes(answer, Decided("handoff", "shipping", (), "billing")) == ["answer_to_handoff"]
    assert changes(Decided("handoff", "x", (), "a"), Decided("handoff", "x", (), "b")) == ["queue_changed"]
    assert changes(Decided("task", "refund"), Decided("answer", "refund")) == ["task_to_answer"]
    assert changes(answer, Decided("task", "shipping")) == ["answer_to_task"]
    assert changes(answer, Decided("refusal", None)) == ["new_refusal", "intent_changed"]
    assert changes(Decided("refusal"), Decided("answer")) == ["refusal_lifted"]
    assert changes(answer, Decided("answer", "shipping", ("tracking",))) == ["different_article"]


def test_the_diff_counts_changes_keeps_examples_and_kpis():
    diff = ReplayDiff(examples_per_kind=1)
    answer, handoff = Decided("answer", "x", ("a",)), Decided("handoff", "x", (), "billing")
    for number in range(3):
        diff.add(f"conversation-{number}", "where is my   parcel " * 10, answer, handoff)
    diff.add("c", "hi", answer, answer)
    assert (diff.turns, diff.changed, diff.counts["answer_to_handoff"]) == (4, 3, 3)
    example = diff.examples["answer_to_handoff"][0]
    assert len(diff.examples["answer_to_handoff"]) == 1 and example.conversation == "conversa"
    assert example.text.endswith("…") and "  " not in example.text
    kpis = diff.kpis()
    assert kpis["handoff_rate"] == (0.0, 0.75)
    assert kpis["answer_with_citation_rate"] == (1.0, 0.25)
