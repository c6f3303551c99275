"""What every domain store promises, held on both engines (SQLite and PostgreSQL), and the two
schemas kept equal so they cannot drift apart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.core import clock
from app.core.clock import stamp
from app.core.domain import ConversationId, Identity, Message, MessageId, Role, TenantId, new_id
from app.store import AccountStore, AuditLog, ConversationStore, Database, PostgresDatabase, UsageStore
from app.store.actions import ActionLedger, Approval, ApprovalStore, LedgerEntry
from app.store.audit import verify
from app.store.guest_retention import prune_guests
from app.store.handoffs import HandoffStore
from app.store.postgres_database import MIGRATIONS_DIR
from app.store.sql_dialect import to_postgres

TYPE_FAMILY = {"text": "text", "integer": "integer", "bigint": "integer", "real": "real",
               "double precision": "real"}
INTERNAL_TABLES = {"sqlite_sequence", "id_sequences"}  # each engine's own id counters


async def _columns(db: Database) -> dict[str, dict[str, tuple[str, bool]]]:
    """table -> column -> (type family, NOT NULL), as the engine reports them."""
    schema: dict[str, dict[str, tuple[str, bool]]] = {}
    if db.backend == "sqlite":
        tables = [r[0] for r in await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in set(tables) - INTERNAL_TABLES:
            for column in await db.fetch_all(f"PRAGMA table_info({table})"):
                schema.setdefault(table, {})[column["name"]] = (
                    TYPE_FAMILY[column["type"].lower()], bool(column["notnull"] or column["pk"]))
    else:
        for column in await db.fetch_all(
                "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
                " WHERE table_schema = 'public' AND column_name <> 'rowid'"):
            schema.setdefault(column["table_name"], {})[column["column_name"]] = (
                TYPE_FAMILY[column["data_type"]], column["is_nullable"] == "NO")
    return {table: columns for table, columns in schema.items() if table not in INTERNAL_TABLES}


async def test_postgresql_has_the_same_tables_and_columns_as_sqlite(tmp_path, postgres_url):
    from app.store import SqliteDatabase

    async with SqliteDatabase.open(tmp_path / "frontline.sqlite3") as sqlite, \
            PostgresDatabase.open(postgres_url) as postgres:
        expected, found = await _columns(sqlite), await _columns(postgres)
    assert sorted(found) == sorted(expected)
    for table, columns in expected.items():
        assert found[table] == columns, table


async def test_migrations_apply_once_even_when_replicas_start_together(postgres_url):
    async def start() -> list[str]:
        async with PostgresDatabase.open(postgres_url) as db:
            return [r["name"] for r in await db.fetch_all("SELECT name FROM schema_migrations ORDER BY name")]

    results = await asyncio.gather(*(start() for _ in range(4)))
    shipped = sorted(script.stem for script in MIGRATIONS_DIR.glob("*.sql"))
    assert {"0001_schema", "0002_lead_role", "0003_follow_ups"} <= set(shipped)
    assert all(result == shipped for result in results), results


def test_placeholders_and_like_are_translated_outside_quoted_text():
    sql = "SELECT '?' AS q, \"LIKE\" FROM t WHERE a = ? AND b LIKE ? ESCAPE '\\' AND c = 'it''s ? LIKE'"
    assert to_postgres(sql) == ("SELECT '?' AS q, \"LIKE\" FROM t WHERE a = $1 AND b ILIKE $2 ESCAPE '\\'"
                                " AND c = 'it''s ? LIKE'")


def _entry(key: str, conversation: str = "c1") -> LedgerEntry:
    return LedgerEntry("demo", conversation, "cus_1", "refund", {"order": "BW-1"}, 12.5, key, "p-1")


async def test_an_idempotency_key_is_claimed_once(database: Database):
    ledger = ActionLedger(database)
    claims = await asyncio.gather(*(ledger.claim(_entry("key-1")) for _ in range(5)))
    assert sorted(claims) == [False, False, False, False, True]
    rows = await database.fetch_all("SELECT status, amount FROM action_ledger WHERE idempotency_key = ?", ("key-1",))
    assert [(r["status"], r["amount"]) for r in rows] == [("running", 12.5)]
    assert await ledger.reclaim("key-1", ("running",)) is True
    assert await ledger.reclaim("key-1", ("failed",)) is False


async def test_an_approval_is_decided_once_and_found_by_its_short_id(database: Database):
    approvals = ApprovalStore(database)
    async with database.transaction() as tx:
        approval = await approvals.create(Approval(
            "AbC_" + new_id(), "demo", "c1", "cus_1", "en", "refund", {"order": "BW-1"}, 748.0, "refund 748",
            "refund 748", "above the limit", "key-a", "p-1"), tx)
    assert approval.status == "pending" and approval.amount == 748.0
    assert [a.id for a in await approvals.starting_with("abc_")] == [approval.id]  # case-insensitive, like SQLite
    assert await approvals.starting_with("abcx") == []  # `_` is a character here, not a wildcard
    decisions = await asyncio.gather(approvals.decide(approval.id, "approved", "a@x", None),
                                     approvals.decide(approval.id, "rejected", "b@x", "no"))
    assert sorted(decisions) == [False, True]
    assert [a.id for a in await approvals.pending()] == []


async def test_the_audit_chain_verifies_and_its_events_cannot_change(database: Database):
    audit = AuditLog(database)
    for n in range(4):
        await audit.record("assistant", f"action.{n}", tenant="demo", subject="c1", detail={"n": n, "x": 1.5})
    with pytest.raises(RuntimeError, match="rolled back"):  # an event rolled back with its change takes no id
        async with database.transaction() as tx:
            await audit.record("assistant", "never", tenant="demo", tx=tx)
            raise RuntimeError("rolled back")
    await audit.record("assistant", "action.4", tenant="demo")
    report = await verify(database)
    assert report.intact and report.events == 5, report.problems
    for statement in ("UPDATE audit_events SET outcome = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"):
            async with database.transaction() as tx:
                await tx.execute(statement)
    assert [e["action"] for e in await audit.events(subject="c1")] == [f"action.{n}" for n in range(4)]


async def test_deleting_the_newest_audit_events_behind_frontlines_back_is_found(database: Database):
    audit = AuditLog(database)
    for n in range(3):
        await audit.record("assistant", f"action.{n}")
    async with database.transaction() as tx:  # what the database's owner could do, bypassing Frontline
        if database.backend == "sqlite":
            await tx.execute("DROP TRIGGER audit_events_no_delete")
        else:
            await tx.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_delete")
        await tx.execute("DELETE FROM audit_events WHERE id = 3")
    report = await verify(database)
    assert report.problems == ["the newest events 3–3 are missing"]


async def _conversation(database: Database, conversation_id: str, user: str) -> ConversationStore:
    store = ConversationStore(database)
    await store.ensure(conversation_id, Identity(TenantId("demo"), user))
    return store


async def test_conversations_are_searched_by_name_case_insensitively(database: Database):
    store = await _conversation(database, "s1", "guest:demo:s")
    await store.add_message(Message(MessageId(new_id()), ConversationId("s1"), Role.CUSTOMER, "Guest", "hi"))
    await store.set_name("s1", "Refund for 100% Wool coat")
    assert [c.id for c in await store.for_user("guest:demo:s", 10, search="wool")] == ["s1"]
    assert [c.id for c in await store.for_user("guest:demo:s", 10, search="100%")] == ["s1"]
    assert await store.for_user("guest:demo:s", 10, search="10%0") == []


async def test_a_customer_message_left_unanswered_is_found(database: Database):
    store = await _conversation(database, "u1", "guest:demo:u")
    asked = Message(MessageId(new_id()), ConversationId("u1"), Role.CUSTOMER, "Guest", "where is my order?")
    await store.add_message(asked)
    assert await store.add_message(asked) is False  # the same message id twice is stored once
    found = await store.unanswered("2000-01-01", "2999-01-01")
    assert [(c.id, m.id) for c, m in found] == [("u1", asked.id)]


async def test_accounts_users_and_tokens(database: Database):
    accounts = AccountStore(database)
    first = await accounts.upsert_user("guest:demo:a", "A", {"k": 1})
    second = await accounts.upsert_user("guest:demo:a", "B", {"k": 2})
    assert first.id == second.id and second.display_name == "B" and second.metadata == {"k": 2}
    await accounts.seed_agent("alex@example.com", "Alex", "pw-123456", "agent", ["demo"], "de")
    token = await accounts.issue_token("Alex@Example.com", "helpdesk")
    agent = await accounts.agent_for_token(token)
    assert agent is not None and agent.tenants == ["demo"] and agent.language == "de"
    assert await accounts.revoke_tokens("alex@example.com") == 1
    assert await accounts.agent_for_token(token) is None


async def test_idle_guests_are_pruned_and_guests_who_talked_are_kept(database: Database):
    accounts = AccountStore(database)
    for name in ("guest:demo:idle", "guest:demo:talked", "customer:demo:1"):
        await accounts.upsert_user(name, None, {})
    await _conversation(database, "g1", "guest:demo:talked")
    later = clock.now() + timedelta(hours=48)
    assert await prune_guests(accounts, 24, later) == 1
    left = {r["identifier"] for r in await database.fetch_all("SELECT identifier FROM users")}
    assert left == {"guest:demo:talked", "customer:demo:1"}
    assert await accounts.prune_idle_guests(stamp(later)) == 0


async def test_usage_totals(database: Database):
    usage = UsageStore(database)
    await usage.record("demo", "c1", None, "m", 10, 5, 0.25)
    await usage.record("demo", "c1", "m1", "m", 3, 2, None)
    totals = await usage.totals(tenant="demo")
    assert (totals["calls"], totals["prompt_tokens"], totals["completion_tokens"]) == (2, 13, 7)
    assert totals["cost_usd"] == pytest.approx(0.25)
    assert (await usage.totals(tenant="other"))["calls"] == 0


async def test_incidents_open_when_enough_customers_report_a_topic(database: Database):
    handoffs = HandoffStore(database)
    now = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    first = await handoffs.report_issue("demo", "outage", "u1", "c1", customers=2, window_minutes=30, now=now)
    opened = await handoffs.report_issue("demo", "outage", "u2", "c2", customers=2, window_minutes=30,
                                         now=now + timedelta(minutes=1))
    again = await handoffs.report_issue("demo", "outage", "u3", "c3", customers=2, window_minutes=30,
                                        now=now + timedelta(minutes=2))
    assert first is None and opened is not None and opened.new and opened.customers == 2
    assert again is not None and not again.new and again.id == opened.id
    assert [i["id"] for i in await handoffs.open_incidents("demo")] == [opened.id]


async def test_the_desk_around_a_handoff_notes_suggestions_csat_and_deletion(database: Database):
    from app.core.domain import Ownership
    from app.core.trace import DecisionTrace
    from app.store.handoffs import HandoffRequest

    store, handoffs = await _conversation(database, "h1", "guest:demo:h"), HandoffStore(database)
    reply = Message(MessageId(new_id()), ConversationId("h1"), Role.ASSISTANT, "Assistant", "a person will help")
    assert await store.save_assistant_reply(reply, DecisionTrace(), updates={"language": "de", "misses": 2,
                                                                              "flow": {"task": "refund"}},
                                            handoff=HandoffRequest("billing", "asked", "human_request", "high", 3,
                                                                   "2026-11-21T10:15:00.000Z", "p-1"))
    queued = await handoffs.queue(["demo"], queue="billing")
    assert [(e.conversation.id, e.conversation.language, e.conversation.flow) for e in queued] == [
        ("h1", "de", {"task": "refund"})]
    handoff = queued[0].handoff
    await handoffs.update(handoff.id, packet={"summary": "refund"}, noticed_at="2026-11-21T10:16:00.000Z")
    await store.transition("h1", expect=(Ownership.QUEUED,), to=Ownership.HUMAN, agent="a@x")
    assert [c.id for c in await store.assigned_to("a@x")] == ["h1"]
    note = await handoffs.add_note("h1", "a@x", "called the customer")
    suggestion = await handoffs.offer_suggestion("h1", "a@x", "kb", "Try this")
    assert await handoffs.settle_suggestion(suggestion, sent="Try this!", outcome="edited", similarity=0.9)
    assert not await handoffs.settle_suggestion(suggestion, sent=None, outcome="discarded", similarity=None)
    await store.transition("h1", expect=(Ownership.HUMAN,), to=Ownership.RESOLVED, agent=None)
    await handoffs.ask_csat(handoff.id, "h1", "a@x")
    await handoffs.ask_csat(handoff.id, "h1", "a@x")  # asked once
    answered = await handoffs.answer_csat("h1", 5)
    assert answered is not None and answered["score"] == 5
    assert [s["score"] for s in await handoffs.csat_scores("demo")] == [5]
    history = await handoffs.history("h1")
    assert [(h.packet, h.claimed_by, h.outcome) for h in history] == [({"summary": "refund"}, "a@x", "resolved")]
    assert len(await handoffs.recent_waits("demo", "billing")) == 1
    assert [n.id for n in await handoffs.notes("h1")] == [note.id]
    await store.delete("h1")
    assert await store.get(ConversationId("h1")) is None and await handoffs.history("h1") == []
