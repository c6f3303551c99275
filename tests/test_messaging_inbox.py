"""The inbound side in process, on the real store and engine: a message a dead process left
behind is taken up once; replies it had already stored are owed once, never run or sent twice;
and the small rules a bridge relies on (signatures, quick replies, attachments)."""

from __future__ import annotations

import time
import warnings

import pytest
import pytest_asyncio

from app.config.settings import Settings
from app.conversation.turn import Turn
from app.core.domain import ConversationId, Identity, Message, MessageId, Role, TenantId, new_id
from app.handoff.webhooks import sign
from app.services import build_services
from app.store.messaging import DONE, MessagingStore
from tests.support.bridge import SECRET, SECRET_ENV, Bridge
from tests.support.engine import fixed_clock
from tests.support.server import demo_tenant_file

with warnings.catch_warnings():  # Chainlit's own dependencies warn while they load (pydantic v1-style config)
    warnings.simplefilter("ignore")
    from app.surfaces.messaging.delivery import BridgeOutbox
    from app.surfaces.messaging.inbox import InboxWorker, picked, sender_identifier, with_attachments
    from app.surfaces.messaging.signing import refusal

PER_MINUTE = 3  # messages per sender, as for a widget customer
in_module_loop = pytest.mark.asyncio(loop_scope="module")  # the services fixture's loop


@pytest.fixture(scope="module")
def bridge():
    running = Bridge().start()
    yield running
    running.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(tmp_path_factory, bridge):
    folder = tmp_path_factory.mktemp("messaging-inbox")
    tenant = demo_tenant_file(folder, ("reset-your-password",), messaging={
        "enabled": True, "bridge_url": bridge.url, "secret_env": SECRET_ENV})
    with pytest.MonkeyPatch.context() as env:
        env.setenv(SECRET_ENV, SECRET)
        settings = Settings(data_dir=folder / "data", tenants=[tenant],
                            limits={"messages_per_identity_per_minute": PER_MINUTE})
        async with build_services(settings, clock=fixed_clock(), recover=False) as built:
            yield built


async def stored_webhook(store: MessagingStore, text: str, sender: str | None = None):
    sender = sender or f"+1555{new_id()[:8]}"
    await store.accept("demo", f"wamid.{new_id()}", sender, None, {"message": {"text": text}, "customer_id": None},
                       new_id(), new_id())
    return [e for e in await store.waiting() if e.sender_id == sender][-1]


@in_module_loop
async def test_a_message_left_waiting_by_a_dead_process_is_answered_once(services, bridge):
    store = MessagingStore(services.db)
    outbox = BridgeOutbox(store, services.tenants, services.clock)
    entry = await stored_webhook(store, "How do I reset my password?")
    assert await store.take(entry)  # the dead process had taken it, nothing more
    assert await store.release_running() == 1
    [again] = [e for e in await store.waiting() if e.message_id == entry.message_id]
    worker = InboxWorker(services, store, outbox)
    await worker.process(again)
    await worker.process(again)  # a second worker, or a second round: taken already, nothing runs
    transcript = await services.conversations.messages(ConversationId(entry.conversation_id))
    assert [m.role.value for m in transcript] == ["customer", "assistant"]
    [owed] = await store.outbox(entry.conversation_id)
    assert owed.message_id == transcript[1].id and owed.status == "pending"
    assert await outbox.deliver_due() == 1
    [reply] = bridge.replies_to(entry.sender_id)
    assert reply.key == transcript[1].id and reply.body["in_reply_to"] == entry.bridge_message_id
    assert (await store.inbox_entry("demo", entry.bridge_message_id)).status == DONE
    await outbox.close()


@in_module_loop
async def test_a_turn_the_dead_process_had_run_is_not_run_again_and_its_reply_is_owed_once(services, bridge):
    store = MessagingStore(services.db)
    outbox = BridgeOutbox(store, services.tenants, services.clock)
    entry = await stored_webhook(store, "How do I reset my password?")
    assert await store.take(entry)
    identity = Identity(TenantId("demo"), sender_identifier("demo", entry.sender_id), channel="messaging")
    outcome = await services.engine.handle(Turn(ConversationId(entry.conversation_id), MessageId(entry.message_id),
                                                identity, "How do I reset my password?"))
    assert outcome.reply is not None  # stored with its reply; the process died before owing it
    await store.release_running()
    worker = InboxWorker(services, store, outbox)
    [again] = [e for e in await store.waiting() if e.message_id == entry.message_id]
    await worker.process(again)
    transcript = await services.conversations.messages(ConversationId(entry.conversation_id))
    assert [m.role.value for m in transcript] == ["customer", "assistant"]  # not run a second time
    assert [o.message_id for o in await store.outbox(entry.conversation_id)] == [outcome.reply.id]
    conversation = await services.conversations.get(ConversationId(entry.conversation_id))
    assert not await outbox.owe(conversation, outcome.reply, outcome.reply.content)  # owed once
    await outbox.close()


@in_module_loop
async def test_a_sender_is_limited_like_a_widget_customer_and_told_so_in_their_language(services, bridge):
    store = MessagingStore(services.db)
    outbox = BridgeOutbox(store, services.tenants, services.clock)
    worker = InboxWorker(services, store, outbox)
    sender = f"+1555{new_id()[:8]}"
    for _ in range(PER_MINUTE + 1):
        await worker.process(await stored_webhook(store, "How do I reset my password?", sender))
    other = await stored_webhook(store, "How do I reset my password?")
    await worker.process(other)
    while await outbox.deliver_due():  # one round per message of a conversation: they go in order
        pass
    replies = bridge.replies_to(sender, PER_MINUTE + 1)
    assert ["faster than I can keep up" in r.body["text"] for r in replies] == [False] * PER_MINUTE + [True]
    [answered] = bridge.replies_to(other.sender_id)
    assert "faster than I can keep up" not in answered.body["text"]
    await outbox.close()


@in_module_loop
async def test_messages_sent_through_the_channel_offer_their_stored_buttons_as_quick_replies(services, bridge):
    store = MessagingStore(services.db)
    outbox = BridgeOutbox(store, services.tenants, services.clock)
    entry = await stored_webhook(store, "How do I reset my password?")
    await InboxWorker(services, store, outbox).process(entry)
    conversation = await services.conversations.get(ConversationId(entry.conversation_id))
    buttons = [{"label": "Yes, solved", "value": "follow_up.solved"}, {"label": "No", "value": "follow_up.not_solved"}]
    question = Message(MessageId(new_id()), conversation.id, Role.ASSISTANT, "Assistant", "Did that solve it?",
                       metadata={"event": "follow_up.ask", "choices": buttons})
    rating = Message(MessageId(new_id()), conversation.id, Role.SYSTEM, "Assistant", "How did we do?",
                     metadata={"event": "csat.ask"})
    services.channels.add(outbox)  # as the server's start-up does (app/surfaces/messaging/channel.py)
    try:
        assert await services.channels.send(conversation, question, question.content)  # every notice's seam
    finally:
        services.channels.remove("messaging")
    assert await store.take_offered(conversation.id) == buttons
    await outbox.send(conversation, rating, rating.content)
    while await outbox.deliver_due():
        pass
    delivered = [d.body for d in bridge.replies_to(entry.sender_id, 3)]
    assert delivered[1]["quick_replies"] == buttons and delivered[1]["event"] == "follow_up.ask"
    assert [q["value"] for q in delivered[2]["quick_replies"]] == ["1", "2", "3", "4", "5"]
    await outbox.close()


def test_signatures_are_refused_with_the_reason():
    body, now = b'{"id":"1"}', int(time.time())
    assert refusal(SECRET, sign(SECRET, body, now), body) is None
    assert "no X-Frontline-Signature" in refusal(SECRET, None, body)
    assert "more than 300 s old" in refusal(SECRET, sign(SECRET, body, now - 301), body)
    assert "in the future" in refusal(SECRET, sign(SECRET, body, now + 301), body)
    assert "does not match" in refusal(SECRET, sign(SECRET, body, now), body + b" ")
    assert "does not match" in refusal(SECRET, sign("another-secret-entirely-0123456789", body, now), body)
    assert "no valid timestamp" in refusal(SECRET, "v1=abc", body)


def test_a_reply_naming_an_offered_choice_counts_as_the_tap():
    offered = [{"label": "Yes, cancel it", "value": "yes"}, {"label": "No", "value": "no"}]
    assert picked("anything", "yes", offered) == "yes"
    assert picked("anything", "maybe", offered) is None  # a value never offered is not a tap
    assert picked("  YES  ", None, offered) == "yes"
    assert picked("yes, cancel it", None, offered) == "yes"
    assert picked("yes please, and also...", None, offered) is None
    assert picked("yes", None, []) is None  # nothing offered (or answered already)


def test_attachments_are_listed_never_fetched():
    assert with_attachments("Look", []) == "Look"
    assert with_attachments("Look", [{"name": "a.jpg", "url": "https://x"}, {"type": "audio/ogg"}]) == \
        "Look\n\n[attachments: a.jpg, audio/ogg]"
    assert with_attachments("", [{"name": "a.jpg"}]) == "[attachments: a.jpg]"
