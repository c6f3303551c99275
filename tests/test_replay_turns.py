"""The baseline `frontline replay` reads: a tenant's stored customer turns in a window, each with
the decision and citations of the assistant reply that answered it."""

from __future__ import annotations

import pytest

from app.core.domain import ConversationId, Identity, Message, MessageId, Role, TenantId, new_id
from app.core.trace import DecisionPart, DecisionTrace, HandoffTrace, IntentTrace
from app.evaluation.replay_diff import Decided
from app.evaluation.replay_turns import stored_turns
from app.store import ConversationStore, Database


@pytest.fixture
def db(database: Database) -> Database:
    """Each test runs on SQLite and on PostgreSQL (tests/support/postgres.py)."""
    return database


async def _turn(store: ConversationStore, conversation: str, at: str, text: str,
                trace: DecisionTrace | None, citations: tuple[str, ...] = ()) -> None:
    await store.add_message(Message(MessageId(new_id()), ConversationId(conversation), Role.CUSTOMER,
                                    "Guest", text, created_at=at))
    if trace is not None:
        reply = Message(MessageId(new_id()), ConversationId(conversation), Role.ASSISTANT, "Assistant", "ok",
                        created_at=at[:-1] + "5", metadata={"citations": [{"title": c, "url": c} for c in citations]})
        assert await store.save_assistant_reply(reply, trace, updates={})


async def test_turns_pair_with_their_reply_in_the_window_and_tenant(db: Database):
    store = ConversationStore(db)
    await store.ensure("c1", Identity(TenantId("demo"), "guest:demo:a"))
    await store.ensure("c2", Identity(TenantId("other"), "guest:other:b"))
    answer = DecisionTrace(decision=DecisionPart(action="answer"), intent=IntentTrace(name="shipping"))
    handoff = DecisionTrace(decision=DecisionPart(action="handoff"), intent=IntentTrace(name="billing"),
                            handoff=HandoffTrace(queue="billing", level="normal"))
    await _turn(store, "c1", "2026-01-01T10:00:00", "too early", answer)
    await _turn(store, "c1", "2026-01-02T10:00:00", "where is my parcel", answer, ("https://help/shipping",))
    await _turn(store, "c1", "2026-01-02T11:00:00", "no reply yet", None)
    await _turn(store, "c2", "2026-01-02T10:30:00", "another tenant", answer)
    await _turn(store, "c1", "2026-01-03T10:00:00", "I was charged twice", handoff)

    turns = await stored_turns(db, "demo", "2026-01-02")
    assert [t.text for t in turns] == ["where is my parcel", "I was charged twice"]
    assert turns[0].baseline == Decided("answer", "shipping", ("https://help/shipping",))
    assert turns[1].baseline == Decided("handoff", "billing", (), "billing")
    assert [t.text for t in await stored_turns(db, "demo", "2026-01-02", until="2026-01-03")] == ["where is my parcel"]
    assert len(await stored_turns(db, "demo", "2026-01-01", limit=1)) == 1
