"""The declared-incident store on SQLite and PostgreSQL: each notice is claimed once, a resolved
incident stays resolved, references never become LIKE patterns, and the look-back finds only
the tenant's recent customer messages. The non-web follow-up query sees only email/messaging
conversations whose last message is an assistant's answer."""

from __future__ import annotations

import asyncio

from app.core.domain import ConversationId, Identity, Message, MessageId, Role, TenantId, new_id
from app.core.trace import DecisionTrace
from app.store import ConversationStore, Database
from app.store.follow_ups import FollowUpStore
from app.store.incidents import IncidentStore

EARLY, LATE = "0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"


async def _conversation(db: Database, text: str, *, tenant: str = "demo", channel: str = "web",
                        answered: bool = False, notice: bool = False) -> str:
    conversations = ConversationStore(db)
    cid = new_id()
    await conversations.ensure(cid, Identity(TenantId(tenant), f"u-{cid}", channel=channel))
    await conversations.add_message(Message(MessageId(new_id()), ConversationId(cid), Role.CUSTOMER, "C", text))
    if answered:
        await conversations.save_assistant_reply(
            Message(MessageId(new_id()), ConversationId(cid), Role.ASSISTANT, "Assistant", "Use the reset link."),
            DecisionTrace(), updates={})
    if notice:
        await conversations.add_message(Message(MessageId(new_id()), ConversationId(cid), Role.ASSISTANT,
                                                "Assistant", "We know.", metadata={"event": "incident.known"}))
    await asyncio.sleep(0.002)
    return cid


async def test_each_notice_is_claimed_once_and_a_resolution_once(database: Database):
    store = IncidentStore(database)
    first = await _conversation(database, "login broken")
    second = await _conversation(database, "cannot sign in")
    incident = await store.declare("demo", "login sign", "We are on it.", by="lead@x", at=EARLY)
    assert await store.get(incident.id) == incident and incident.is_open

    assert await store.add_contact(incident.id, first, "reported", subscribed=True, at=EARLY)
    assert not await store.add_contact(incident.id, first, "linked", subscribed=True, at=EARLY)  # told once
    assert await store.add_contact(incident.id, second, "offered", subscribed=False, at=EARLY)
    assert await store.to_tell_fixed(incident.id) == [first]
    assert await store.subscribe(incident.id, second, at=EARLY)
    assert not await store.subscribe(incident.id, second, at=EARLY)
    assert sorted(await store.to_tell_fixed(incident.id)) == sorted([first, second])

    assert await store.resolve(incident.id, by="lead@x", at=LATE, resolution="Fixed.")
    assert not await store.resolve(incident.id, by="other@x", at=LATE, resolution="Again.")
    resolved = await store.get(incident.id)
    assert (resolved.status, resolved.resolved_by, resolved.resolution) == ("resolved", "lead@x", "Fixed.")
    assert await store.claim_fixed(incident.id, first, at=LATE)
    assert not await store.claim_fixed(incident.id, first, at=LATE)
    assert await store.to_tell_fixed(incident.id) == [second]
    counts = await store.counts(incident.id)
    assert (counts.told, counts.subscribed, counts.fixed) == (2, 2, 1)


async def test_references_lists_and_the_look_back(database: Database):
    store = IncidentStore(database)
    mine = await store.declare("demo", "login", "m", by="lead@x", at=EARLY)
    other = await store.declare("acme", "login", "m", by="lead@x", at=LATE)
    assert [i.id for i in await store.find(mine.id[:8])] == [mine.id]
    assert [i.id for i in await store.find(mine.id.upper())] == [mine.id]
    assert await store.find("%") == [] and await store.find("____") == [] and await store.find("ab") == []
    assert [i.id for i in await store.listed(None)] == [other.id, mine.id]  # newest first
    assert [i.id for i in await store.listed(["demo"], only_open=True)] == [mine.id]
    assert await store.listed([]) == []
    await store.resolve(mine.id, by="lead@x", at=LATE, resolution="")
    assert await store.listed(["demo"], only_open=True) == []

    recent = await _conversation(database, "the login spins")
    await _conversation(database, "login at acme", tenant="acme")
    reports = await store.reports_since("demo", EARLY)
    assert [(r.conversation_id, r.text) for r in reports] == [(recent, "the login spins")]
    assert await store.reports_since("demo", LATE) == []


async def test_the_non_web_follow_up_finds_answered_email_conversations_only(database: Database):
    follow_ups = FollowUpStore(database)
    email = await _conversation(database, "How do I reset my password?", channel="email", answered=True)
    await _conversation(database, "How do I reset my password?", channel="web", answered=True)
    await _conversation(database, "Still waiting", channel="email")  # never answered
    await _conversation(database, "login broken", channel="email", answered=True, notice=True)  # a notice last
    assert await follow_ups.silent_elsewhere("demo", before=LATE) == [email]
    assert await follow_ups.silent_elsewhere("demo", before=EARLY) == []  # not silent long enough
    assert await follow_ups.silent_elsewhere("acme", before=LATE) == []
    incidents = IncidentStore(database)
    incident = await incidents.declare("demo", "password", "m", by="lead@x", at=EARLY)
    await incidents.add_contact(incident.id, email, "offered", subscribed=False, at=EARLY)
    assert await follow_ups.silent_elsewhere("demo", before=LATE) == []  # told about an incident: not asked


async def test_a_deleted_conversation_takes_its_incident_contacts_with_it(database: Database):
    store = IncidentStore(database)
    gone, kept = await _conversation(database, "login broken"), await _conversation(database, "login broken")
    incident = await store.declare("demo", "login", "We are on it.", by="lead@x", at=EARLY)
    for cid in (gone, kept):
        assert await store.add_contact(incident.id, cid, "reported", subscribed=True, at=EARLY)
    await ConversationStore(database).delete(ConversationId(gone))
    assert await store.contact(incident.id, gone) is None
    assert await store.to_tell_fixed(incident.id) == [kept]
