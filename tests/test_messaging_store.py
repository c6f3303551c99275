"""What the messaging store promises, on both engines (SQLite and PostgreSQL): a bridge message
stored once, a sender kept in one conversation, a reply owed once and sent in order."""

from __future__ import annotations

import asyncio

from app.core.domain import new_id
from app.store.messaging import DONE, FAILED, PENDING, SENT, MessagingStore

SOON, LATER = "2999-01-01T10:00:00.000Z", "2999-01-01T10:05:00.000Z"  # after anything stored now


async def accept(store: MessagingStore, bridge_id: str, sender: str = "+1555", customer: str | None = None):
    return await store.accept("demo", bridge_id, sender, customer, {"message": {"text": "hi"}}, new_id(), new_id())


async def test_a_bridge_message_is_stored_once_and_a_sender_stays_in_one_conversation(database):
    store = MessagingStore(database)
    first = await accept(store, "m1")
    again = await accept(store, "m1")
    assert not first.duplicate and again.duplicate
    assert (again.conversation_id, again.message_id) == (first.conversation_id, first.message_id)
    second = await accept(store, "m2")
    assert second.conversation_id == first.conversation_id and second.message_id != first.message_id
    other_tenant = await store.accept("acme", "m1", "+1555", None, {"message": {}}, new_id(), new_id())
    assert not other_tenant.duplicate and other_tenant.conversation_id != first.conversation_id
    verified = await accept(store, "m3", customer="cus_1")  # now vouched for: a fresh conversation
    assert verified.conversation_id != first.conversation_id
    assert await store.inbox_count("demo") == 3
    assert await store.recipient(first.conversation_id) == "+1555"


async def test_a_waiting_message_is_taken_by_one_worker_and_a_dead_ones_is_taken_up_again(database):
    store = MessagingStore(database)
    await accept(store, "m1")
    [entry] = await store.waiting()
    assert entry.status == PENDING and entry.body == {"message": {"text": "hi"}}
    taken = await asyncio.gather(store.take(entry), store.take(entry))
    assert sorted(taken) == [False, True] and await store.waiting() == []
    assert await store.release_running() == 1  # the process that took it died
    [again] = await store.waiting()
    assert await store.take(again)
    await store.finish(again)
    found = await store.inbox_entry("demo", "m1")
    assert found is not None and found.status == DONE and await store.release_running() == 0


async def test_replies_are_owed_once_and_a_later_one_waits_for_an_earlier_one(database):
    store = MessagingStore(database)
    chat = (await accept(store, "m1")).conversation_id
    other = (await accept(store, "m2", sender="+1666")).conversation_id
    assert await store.enqueue("r1", "demo", chat, '{"n":1}', [{"label": "Yes", "value": "yes"}])
    assert not await store.enqueue("r1", "demo", chat, '{"n":1}', [])  # owed already
    assert await store.enqueue("r2", "demo", chat, '{"n":2}', [])
    assert await store.enqueue("r3", "demo", other, '{"n":3}', [])
    assert [h.message_id for h in await store.heads(LATER)] == ["r1", "r3"]
    await store.retry_later("r1", "HTTP 503", LATER, give_up=False)
    assert [h.message_id for h in await store.heads(SOON)] == ["r3"]  # r1 not due yet, and r2 waits for it
    assert [h.message_id for h in await store.heads(LATER)] == ["r1", "r3"]
    [head, _] = await store.heads(LATER)
    busy = "2999-01-01T10:06:00.000Z"
    claims = await asyncio.gather(store.claim(head, busy), store.claim(head, busy))
    assert sorted(claims) == [False, True]  # two replicas: one sends it
    await store.sent("r1")
    await store.sent("r1")  # counted once
    assert [h.message_id for h in await store.heads(LATER)] == ["r2", "r3"]
    await store.retry_later("r2", "HTTP 400", LATER, give_up=True)
    assert [h.message_id for h in await store.heads(LATER)] == ["r3"]
    r1, r2 = await store.outbox_entry("r1"), await store.outbox_entry("r2")
    assert r1 is not None and (r1.status, r1.attempts) == (SENT, 2)
    assert r2 is not None and (r2.status, r2.last_error) == (FAILED, "HTTP 400")
    await store.retry_later("r3", "HTTP 503", LATER, give_up=False)
    assert await store.heads(SOON) == []
    assert await store.due_now(SOON) == 1  # a restart: what is still owed is tried at once
    assert [h.message_id for h in await store.heads(SOON)] == ["r3"]


async def test_quick_replies_offered_last_are_answered_once(database):
    store = MessagingStore(database)
    chat = (await accept(store, "m1")).conversation_id
    await store.enqueue("r1", "demo", chat, "{}", [{"label": "Yes", "value": "yes"}])
    assert await store.take_offered(chat) == [{"label": "Yes", "value": "yes"}]
    assert await store.take_offered(chat) == []
    await store.enqueue("r2", "demo", chat, "{}", [{"label": "1", "value": "1"}])
    await store.enqueue("r3", "demo", chat, "{}", [])  # a later message without choices withdraws them
    assert await store.take_offered(chat) == []
