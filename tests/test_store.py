"""The system of record, on SQLite and PostgreSQL: migrations, ownership transitions, feedback."""

from __future__ import annotations

import asyncio

import pytest

from app.core.domain import ConversationId, Identity, Message, MessageId, Ownership, Role, TenantId, new_id
from app.core.errors import OwnershipConflict, StoreError
from app.core.trace import DecisionTrace, IntentTrace
from app.store import AccountStore, ConversationStore, Database, FeedbackStore, SqliteDatabase
from app.store.handoffs import HandoffRequest, HandoffStore


@pytest.fixture
def db(database: Database) -> Database:
    """Each test runs on SQLite and on PostgreSQL (tests/support/postgres.py)."""
    return database


def customer(conversation: str, text: str) -> Message:
    return Message(MessageId(new_id()), ConversationId(conversation), Role.CUSTOMER, "Guest", text)


def assistant(conversation: str, text: str) -> Message:
    return Message(MessageId(new_id()), ConversationId(conversation), Role.ASSISTANT, "Assistant", text)


async def queued_conversation(store: ConversationStore, conversation_id: str) -> None:
    await store.ensure(conversation_id, Identity(TenantId("demo"), "guest:demo:x"))
    committed = await store.save_assistant_reply(
        assistant(conversation_id, "queued"), DecisionTrace(), updates={}, handoff=HandoffRequest(
            "general", "asked", "human_request", "high", 2, "2026-11-21T10:15:00.000Z", "test-1"))
    assert committed


async def test_migrations_apply_once_and_create_every_table(tmp_path):
    path = tmp_path / "db.sqlite3"
    async with SqliteDatabase.open(path) as db:
        tables = {r[0] for r in await db.fetch_all("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"conversations", "messages", "decision_traces", "handoffs", "action_ledger",
                "approvals", "audit_events", "feedback", "users", "agents", "schema_migrations"} <= tables
        mode = await db.fetch_one("PRAGMA journal_mode")
        assert mode is not None and mode[0] == "wal"
    async with SqliteDatabase.open(path) as db:  # reopening applies nothing twice
        applied = await db.fetch_all("SELECT name FROM schema_migrations")
        assert [r[0] for r in applied] == ["m001_initial", "m002_llm_usage", "m003_pending_flow",
                                          "m004_guarded_actions", "m005_handoff_desk", "m006_lead_role",
                                          "m007_follow_ups", "m008_customer_tier", "m009_email",
                                          "m010_messaging", "m011_declared_incidents"]


async def test_a_conversation_keeps_the_channel_it_started_on(db):
    store = ConversationStore(db)
    await store.ensure("mail-1", Identity(TenantId("demo"), "email:demo:ana@example.com", channel="email"))
    await store.ensure("mail-1", Identity(TenantId("demo"), "email:demo:ana@example.com"))  # a later sight: unchanged
    await store.ensure("web-1", Identity(TenantId("demo"), "guest:demo:y"))
    assert (await store.get(ConversationId("mail-1"))).channel == "email"
    assert (await store.get(ConversationId("web-1"))).channel == "web"


async def test_two_agents_claiming_at_once_have_exactly_one_winner(db):
    store = ConversationStore(db)
    await queued_conversation(store, "c1")
    results = await asyncio.gather(
        *(store.transition("c1", expect=(Ownership.QUEUED,), to=Ownership.HUMAN, agent=f"a{i}@x")
          for i in range(5)),
        return_exceptions=True)
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    assert all(isinstance(r, OwnershipConflict) for r in results if r not in winners)
    final = await store.get(ConversationId("c1"))
    assert final is not None and final.state is Ownership.HUMAN
    assert final.assigned_agent == winners[0].assigned_agent


async def test_assistant_reply_is_dropped_when_a_human_took_over_meanwhile(db):
    store = ConversationStore(db)
    await store.ensure("c2", Identity(TenantId("demo"), "guest:demo:y"))
    await store.add_message(customer("c2", "hello?"))
    # the assistant is composing when an agent takes the conversation directly
    await store.transition("c2", expect=(Ownership.ASSISTANT,), to=Ownership.HUMAN, agent="a@x")
    late = assistant("c2", "an answer nobody should see")
    assert await store.save_assistant_reply(late, DecisionTrace(mode="grounded"), updates={}) is False
    contents = [m.content for m in await store.messages(ConversationId("c2"))]
    assert contents == ["hello?"]
    assert await store.trace(late.id) is None


async def test_release_needs_the_owning_agent(db):
    store = ConversationStore(db)
    await queued_conversation(store, "c3")
    await store.transition("c3", expect=(Ownership.QUEUED,), to=Ownership.HUMAN, agent="a@x")
    with pytest.raises(OwnershipConflict, match="human by a@x"):
        await store.transition("c3", expect=(Ownership.HUMAN,), to=Ownership.ASSISTANT, agent=None,
                               require_agent="b@x")
    back = await store.transition("c3", expect=(Ownership.HUMAN,), to=Ownership.ASSISTANT, agent=None,
                                  require_agent="a@x")
    assert back.state is Ownership.ASSISTANT and back.assigned_agent is None and back.misses == 0


async def test_trace_is_stored_with_the_reply(db):
    store = ConversationStore(db)
    await store.ensure("c4", Identity(TenantId("demo"), "guest:demo:z"))
    reply = assistant("c4", "answer")
    assert await store.save_assistant_reply(reply, DecisionTrace(intent=IntentTrace(name="x")),
                                      updates={"misses": 1})
    assert await store.trace(reply.id) == {"intent": {"name": "x"}}
    conversation = await store.get(ConversationId("c4"))
    assert conversation is not None and conversation.misses == 1


async def test_messages_written_in_the_same_millisecond_keep_their_order(db):
    from dataclasses import replace

    store = ConversationStore(db)
    await store.ensure("c5", Identity(TenantId("demo"), "guest:demo:q"))
    question = customer("c5", "question")
    answer = replace(assistant("c5", "answer"), created_at=question.created_at)
    await store.add_message(question)
    await store.add_message(answer)
    assert [m.content for m in await store.messages(ConversationId("c5"))] == ["question", "answer"]
    assert [m.content for m in await store.messages(ConversationId("c5"), limit=1)] == ["answer"]


async def test_feedback_replaces_and_refuses_unknown_or_foreign_messages(db):
    store, feedback = ConversationStore(db), FeedbackStore(db)
    owner = "guest:demo:w"
    await store.ensure("c5", Identity(TenantId("demo"), owner))
    reply = assistant("c5", "answer")
    await store.add_message(reply)
    first = await feedback.upsert(reply.id, 1, None, owner=owner)
    second = await feedback.upsert(reply.id, 0, "not what I asked", owner=owner)
    assert first == second
    assert (await feedback.for_conversation("c5"))[reply.id]["value"] == 0
    assert await feedback.upsert("no-such-message", 1, None, owner=owner) is None
    assert await feedback.upsert(reply.id, 1, None, owner="guest:acme:someone-else") is None
    assert await feedback.delete(first, owner="guest:acme:someone-else") is False
    assert (await feedback.for_conversation("c5"))[reply.id]["value"] == 0
    with pytest.raises(StoreError):
        await feedback.upsert(reply.id, 7, None, owner=owner)
    assert await feedback.delete(first, owner=owner) is True


async def test_agent_passwords_are_hashed_and_checked(db):
    accounts = AccountStore(db)
    await accounts.seed_agent("Alex@Example.com", "Alex", "s3cret-pass", "agent", ["*"])
    stored = await db.fetch_one("SELECT password_hash FROM agents")
    assert stored is not None and "s3cret-pass" not in stored[0]
    assert await accounts.authenticate_agent("alex@example.com", "s3cret-pass") is not None
    assert await accounts.authenticate_agent("alex@example.com", "wrong") is None
    assert await accounts.authenticate_agent("nobody@example.com", "s3cret-pass") is None


async def test_conversations_with_the_same_deadline_keep_their_order_in_line(db):
    store, handoffs = ConversationStore(db), HandoffStore(db)
    for conversation_id in ("t1", "t2"):  # same priority, same SLA deadline
        await queued_conversation(store, conversation_id)
    first, second = await handoffs.latest("t1"), await handoffs.latest("t2")
    assert first is not None and second is not None and first.due_at == second.due_at
    assert await handoffs.ahead_of("demo", "general", 2, first.due_at, first.id) == 0
    assert await handoffs.ahead_of("demo", "general", 2, second.due_at, second.id) == 1
    assert await handoffs.ahead_of("demo", "general", 2, first.due_at) == 2  # a newcomer goes after its equals
    assert [e.conversation.id for e in await handoffs.queue(["demo"])] == ["t1", "t2"]
