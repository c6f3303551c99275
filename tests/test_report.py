"""`frontline report`: every figure computed from a real store (SQLite and PostgreSQL) holding
a small history whose right answers are worked out by hand below, with a second tenant's
records beside it that must never be counted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.analytics.gaps import cluster, keywords
from app.analytics.report import build_report, percentile
from app.config.settings import PROJECT_ROOT
from app.core.clock import stamp
from app.store import Database, SqliteDatabase

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=2)
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
CITED = {"citations": [{"title": "Router reset", "url": "https://help.example/router", "heading": None}]}
SEARCHED = [{"id": "p1", "doc": "d1", "rrf": 0.01, "similarity": 0.1}]


def at(moment: datetime) -> str:
    return stamp(moment)


class History:
    """Writes conversations, messages, traces, handoffs and the rest straight into the store."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.count = 0

    async def conversation(self, cid: str, tenant: str, created: datetime, *, customer: str | None = None,
                           state: str = "assistant", tier: str | None = None) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("INSERT INTO conversations (id, tenant, user_identifier, customer_id, customer_tier,"
                             " state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             (cid, tenant, f"test:{cid}", customer, tier, state, at(created), at(created)))

    async def message(self, cid: str, role: str, text: str, when: datetime, *, metadata: dict[str, Any] | None = None,
                      trace: dict[str, Any] | None = None) -> str:
        self.count += 1
        mid = f"{cid}-m{self.count}"
        async with self.db.transaction() as tx:
            await tx.execute("INSERT INTO messages (id, conversation_id, role, author, content, created_at, metadata)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (mid, cid, role, role, text, at(when), json.dumps(metadata or {"citations": []})))
            if trace is not None:
                await tx.execute("INSERT INTO decision_traces (message_id, conversation_id, trace, created_at)"
                                 " VALUES (?, ?, ?, ?)", (mid, cid, json.dumps(trace), at(when)))
        return mid

    async def handoff(self, cid: str, queue: str, trigger: str, requested: datetime, due: datetime, *,
                      claimed: tuple[str, datetime] | None = None, closed: tuple[str, datetime] | None = None) -> int:
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO handoffs (conversation_id, queue, reason, requested_at, trigger_rule, due_at, claimed_by,"
                " claimed_at, closed_at, outcome) VALUES (?, ?, 'why', ?, ?, ?, ?, ?, ?, ?)",
                (cid, queue, at(requested), trigger, at(due), claimed[0] if claimed else None,
                 at(claimed[1]) if claimed else None, at(closed[1]) if closed else None, closed[0] if closed else None))
            row = await tx.fetch_one("SELECT max(id) FROM handoffs WHERE conversation_id = ?", (cid,))
        return int(row[0])

    async def write(self, sql: str, *params: Any) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(sql, params)

    async def csat(self, handoff: int, cid: str, agent: str, score: int | None) -> None:
        await self.write("INSERT INTO csat (handoff_id, conversation_id, agent, score, asked_at)"
                         " VALUES (?, ?, ?, ?, ?)", handoff, cid, agent, score, at(T0))

    async def thumb(self, mid: str, cid: str, value: int) -> None:
        await self.write("INSERT INTO feedback (id, message_id, conversation_id, value, created_at)"
                         " VALUES (?, ?, ?, ?, ?)", f"f-{mid}", mid, cid, value, at(T0))

    async def usage(self, tenant: str, cid: str, prompt: int, completion: int, cost: float | None) -> None:
        await self.write("INSERT INTO llm_usage (tenant, conversation_id, model, prompt_tokens, completion_tokens,"
                         " cost_usd, created_at) VALUES (?, ?, 'm', ?, ?, ?, ?)", tenant, cid, prompt, completion,
                         cost, at(T0))

    async def action(self, tenant: str, cid: str, action: str) -> None:
        self.count += 1
        await self.write("INSERT INTO action_ledger (tenant, conversation_id, action, arguments, idempotency_key,"
                         " policy_version, status, created_at) VALUES (?, ?, ?, '{}', ?, 'v1', 'succeeded', ?)",
                         tenant, cid, action, f"key-{self.count}", at(T0))


def trace(intent: str, action: str = "answer", *, searched: bool = False) -> dict[str, Any]:
    made: dict[str, Any] = {"intent": {"name": intent}, "decision": {"action": action}, "mode": "grounded"}
    if searched:
        made["retrieval"] = SEARCHED
    return made


async def seed(db: Database) -> None:
    """Tenant acme: c1..c7 from T0 (and c0 in October); tenant other beside it."""
    h = History(db)
    start = {f"c{i}": T0 + timedelta(minutes=i) for i in range(1, 8)}
    s = lambda cid, seconds: start[cid] + timedelta(seconds=seconds)  # noqa: E731

    await h.conversation("c0", "acme", datetime(2026, 10, 15, tzinfo=UTC))  # before --since
    await h.message("c0", "customer", "old question", datetime(2026, 10, 15, tzinfo=UTC))
    await h.message("c0", "assistant", "old answer", datetime(2026, 10, 15, 0, 0, 9, tzinfo=UTC),
                    metadata=CITED, trace=trace("router_help", searched=True))

    # c1: a verified customer, two cited answers, a thumbs up, model usage and one action run twice
    await h.conversation("c1", "acme", start["c1"], customer="cus_1", tier="enterprise")
    await h.message("c1", "customer", "How do I reset my router?", s("c1", 0))
    first = await h.message("c1", "assistant", "Like this.", s("c1", 2), metadata=CITED,
                            trace=trace("router_help", searched=True))
    await h.message("c1", "customer", "And the lights?", s("c1", 60))
    await h.message("c1", "assistant", "Those too.", s("c1", 61.5), metadata=CITED,
                    trace=trace("router_help", searched=True))
    await h.thumb(first, "c1", 1)
    await h.usage("acme", "c1", 60, 15, 0.01)
    await h.usage("acme", "c1", 40, 5, 0.02)
    await h.action("acme", "c1", "cancel_order")
    await h.action("acme", "c1", "cancel_order")

    # c2: nothing found (a knowledge gap), no complaint: contained, not resolved
    await h.conversation("c2", "acme", start["c2"])
    await h.message("c2", "customer", "Can I pause my subscription?", s("c2", 0))
    await h.message("c2", "assistant", "I found nothing.", s("c2", 4), trace=trace("faq", searched=True))
    await h.usage("acme", "c2", 50, 10, None)

    # c3: another gap, and a thumbs down: not contained
    await h.conversation("c3", "acme", start["c3"])
    await h.message("c3", "customer", "pause my subscriptions please", s("c3", 0))
    down = await h.message("c3", "assistant", "I found nothing.", s("c3", 1), trace=trace("faq", searched=True))
    await h.thumb(down, "c3", 0)

    # c4: asked for a person; claimed after 2 minutes, resolved 8 minutes later, CSAT 4
    await h.conversation("c4", "acme", start["c4"], state="resolved")
    await h.message("c4", "customer", "I want a human", s("c4", 0))
    await h.message("c4", "assistant", "Queued.", s("c4", 3), trace=trace("human_handoff", "handoff"))
    claimed = s("c4", 3 + 120)
    handoff = await h.handoff("c4", "general", "human_request", s("c4", 3), s("c4", 3 + 1800),
                              claimed=("alex@example.com", claimed),
                              closed=("resolved", claimed + timedelta(minutes=8)))
    await h.csat(handoff, "c4", "alex@example.com", 4)
    await h.action("acme", "c4", "refund_request")

    # c5: frustration; claimed after its 5-minute deadline, handed back after 5 minutes
    await h.conversation("c5", "acme", start["c5"])
    await h.message("c5", "customer", "This is useless!!", s("c5", 0))
    await h.message("c5", "assistant", "A person will help.", s("c5", 6), trace=trace("complaint", "handoff"))
    claimed = s("c5", 6 + 1200)
    await h.handoff("c5", "general", "frustration", s("c5", 6), s("c5", 6 + 300), claimed=("sam@example.com", claimed),
                    closed=("handed_back", claimed + timedelta(minutes=5)))

    # c6, c7: still waiting now; c6 past its deadline, c7 not due yet
    await h.conversation("c6", "acme", start["c6"], state="queued")
    await h.message("c6", "customer", "I will report you to the regulator", s("c6", 0))
    await h.message("c6", "assistant", "Queued.", s("c6", 5), trace=trace("legal", "handoff"))
    await h.handoff("c6", "compliance", "regulatory", s("c6", 5), s("c6", 5 + 1800))
    await h.conversation("c7", "acme", start["c7"], state="queued")
    await h.message("c7", "customer", "a person please", s("c7", 0))
    await h.message("c7", "assistant", "Queued.", s("c7", 7), trace=trace("human_handoff", "handoff"))
    await h.handoff("c7", "billing", "human_request", s("c7", 7), s("c7", 7 + 3 * 3600))

    # tenant other: a gap, a thumbs down, a handoff alex resolved with CSAT 1, usage, one waiting
    await h.conversation("o1", "other", T0, state="resolved")
    await h.message("o1", "customer", "pause subscription", T0)
    gap = await h.message("o1", "assistant", "Nothing.", T0 + timedelta(seconds=30), trace=trace("faq", searched=True))
    await h.thumb(gap, "o1", 0)
    handoff = await h.handoff("o1", "general", "human_request", T0, T0 + timedelta(minutes=1),
                              claimed=("alex@example.com", T0 + timedelta(hours=1)),
                              closed=("resolved", T0 + timedelta(hours=3)))
    await h.csat(handoff, "o1", "alex@example.com", 1)
    await h.usage("other", "o1", 1000, 1000, 5.0)
    await h.action("other", "o1", "cancel_order")
    await h.conversation("o2", "other", T0, state="queued")
    await h.handoff("o2", "general", "human_request", T0 - timedelta(days=1), T0)


def named(rows: list[Any]) -> dict[str, dict[str, Any]]:
    return {row.name if hasattr(row, "name") else row.queue: row.model_dump() for row in rows}


async def test_every_figure_matches_the_history_on_both_engines(database):
    await seed(database)
    r = await build_report(database, "acme", since=SINCE, until=None, now=NOW)

    assert (r.conversations, r.assistant_answered, r.escalated, r.contained, r.resolved_unconfirmed) == (7, 7, 4, 2, 1)
    assert (r.escalation_rate, r.containment_rate, r.resolution_rate_unconfirmed) == (0.5714, 0.2857, 0.1429)
    assert named(r.escalation_by_trigger) == {
        "human_request": {"name": "human_request", "handoffs": 2, "conversations": 2, "rate": 0.2857},
        "frustration": {"name": "frustration", "handoffs": 1, "conversations": 1, "rate": 0.1429},
        "regulatory": {"name": "regulatory", "handoffs": 1, "conversations": 1, "rate": 0.1429}}
    assert {q.name: q.conversations for q in r.escalation_by_queue} == {"general": 2, "compliance": 1, "billing": 1}

    # first responses 2, 4, 1, 3, 6, 5, 7 s; replies those and 1.5 s
    assert r.assistant_first_response.model_dump() == {"count": 7, "p50_seconds": 4.0, "p95_seconds": 7.0}
    assert r.assistant_reply.model_dump() == {"count": 8, "p50_seconds": 3.0, "p95_seconds": 7.0}
    assert r.human_wait.model_dump() == {"count": 2, "p50_seconds": 120.0, "p95_seconds": 1200.0}
    assert r.human_handle.model_dump() == {"count": 2, "p50_seconds": 300.0, "p95_seconds": 480.0}

    assert named(r.sla_by_queue) == {
        "billing": {"queue": "billing", "met": 0, "missed": 0, "pending": 1, "attainment": None},
        "compliance": {"queue": "compliance", "met": 0, "missed": 1, "pending": 0, "attainment": 0.0},
        "general": {"queue": "general", "met": 1, "missed": 1, "pending": 0, "attainment": 0.5}}

    assert [a.model_dump() for a in r.csat_by_agent] == [{"agent": "alex@example.com", "count": 1, "average": 4.0}]
    assert [p.model_dump() for p in r.csat_by_path] == [
        {"path": "assistant_only", "conversations": 3, "csat_count": 0, "csat_average": None,
         "thumbs_up": 1, "thumbs_down": 1},
        {"path": "human_handled", "conversations": 4, "csat_count": 1, "csat_average": 4.0,
         "thumbs_up": 0, "thumbs_down": 0}]

    gaps = r.knowledge_gaps
    assert (gaps.turns, gaps.conversations) == (2, 2)
    assert [(c.keywords, c.count) for c in gaps.clusters] == [(["pause", "subscription"], 2)]
    assert gaps.clusters[0].example in ("Can I pause my subscription?", "pause my subscriptions please")

    assert [(i.intent, i.turns) for i in r.top_intents] == [
        ("faq", 2), ("human_handoff", 2), ("router_help", 2), ("complaint", 1), ("legal", 1)]

    spend = r.model_spend
    assert spend.total.model_dump() == {"calls": 3, "prompt_tokens": 150, "completion_tokens": 30, "cost_usd": 0.03}
    assert {g.name: (g.conversations, g.usage.calls, g.usage.prompt_tokens, g.usage.cost_usd)
            for g in spend.by_customer} == {"guest": (6, 1, 50, None), "verified": (1, 2, 100, 0.03)}
    assert {g.name: (g.conversations, g.usage.calls, g.usage.cost_usd) for g in spend.by_workflow} == {
        "cancel_order": (1, 2, 0.03), "refund_request": (1, 0, None)}
    assert {g.name: (g.conversations, g.usage.calls, g.usage.prompt_tokens, g.usage.cost_usd)
            for g in spend.by_tier} == {"enterprise": (1, 2, 100, 0.03), "unknown": (6, 1, 50, None)}

    waited = (NOW - (T0 + timedelta(minutes=6, seconds=5))).total_seconds()
    assert [(q.queue, q.waiting, q.oldest_wait_seconds) for q in r.queues_now] == [
        ("compliance", 1, waited), ("billing", 1, waited - 62)]
    assert [a.model_dump() for a in r.agents] == [
        {"agent": "alex@example.com", "claims": 1, "resolved": 1, "handed_back": 0, "open": 0},
        {"agent": "sam@example.com", "claims": 1, "resolved": 0, "handed_back": 1, "open": 0}]


async def test_a_chat_that_only_carried_a_follow_up_is_not_a_conversation_of_its_own(database):
    """Visits of c1's customer: one only answered Yes, one ignored the question and left, one
    asked something else after it, one said No and was handed to a person."""
    await seed(database)
    h = History(database)
    later = T0 + timedelta(hours=1)
    for cid in ("v-yes", "v-left", "v-more", "v-no"):
        await h.conversation(cid, "acme", later, customer="cus_1", tier="enterprise")
        await h.message(cid, "assistant", "Did that solve it?", later, metadata={"event": "follow_up.ask"})
    await h.write("INSERT INTO follow_ups (conversation_id, tenant, user_identifier, asked_in, asked_at, answer)"
                  " VALUES ('c1', 'acme', 'test:c1', 'v-yes', ?, 'solved')", at(later))
    for cid in ("v-left", "v-more", "v-no"):  # each about a conversation of its own, so each may be asked
        about = f"{cid}-about"
        await h.conversation(about, "acme", T0 - timedelta(days=60))
        await h.write("INSERT INTO follow_ups (conversation_id, tenant, user_identifier, asked_in, asked_at, answer)"
                      " VALUES (?, 'acme', 'test:c1', ?, ?, ?)", about, cid, at(later),
                      "not_solved" if cid == "v-no" else "none")
    await h.message("v-yes", "customer", "Yes", later, metadata={"choice": "follow_up.solved"})
    await h.message("v-yes", "assistant", "Thanks!", later, metadata={"event": "follow_up.answered"},
                    trace={"decision": {"action": "follow_up", "rule": "solved"}})
    await h.message("v-more", "customer", "And the lights?", later)
    await h.message("v-more", "assistant", "Those too.", later, metadata=CITED, trace=trace("router_help"))
    await h.message("v-no", "customer", "No", later, metadata={"choice": "follow_up.not_solved"})
    await h.message("v-no", "assistant", "A person will help.", later, metadata={"event": "follow_up.answered"},
                    trace={"decision": {"action": "follow_up", "rule": "not_solved"}})
    await h.handoff("v-no", "general", "follow_up_unsolved", later, later + timedelta(hours=1))
    await h.usage("acme", "v-yes", 7, 7, None)  # nothing of an uncounted chat counts anywhere

    r = await build_report(database, "acme", since=SINCE, until=None, now=NOW)
    # the seed's 7, and v-more and v-no: v-yes and v-left would each have been contained
    assert (r.conversations, r.assistant_answered, r.escalated, r.contained) == (9, 9, 5, 3)
    assert (r.containment_rate, r.escalation_rate) == (0.3333, 0.5556)
    assert r.follow_ups.model_dump() == {"asked": 1, "solved": 1, "not_solved": 0, "unanswered": 0}
    assert ("follow_up_unsolved", 1) in [(e.name, e.conversations) for e in r.escalation_by_trigger]
    assert r.model_spend.total.calls == 3
    assert {g.name: g.conversations for g in r.model_spend.by_tier} == {"enterprise": 3, "unknown": 6}


async def test_the_window_selects_conversations_by_when_they_started(database):
    await seed(database)
    everything = await build_report(database, "acme", since=None, until=None, now=NOW)
    assert (everything.conversations, everything.contained, everything.resolved_unconfirmed) == (8, 3, 2)
    assert everything.assistant_reply.count == 9
    october = await build_report(database, "acme", since=None, until=SINCE, now=NOW)
    assert (october.conversations, october.escalated, october.model_spend.total.calls) == (1, 0, 0)
    assert october.human_wait.count == 0 and october.sla_by_queue == [] and october.csat_by_agent == []
    assert len(october.queues_now) == 2  # "now" figures ignore the window

    other = await build_report(database, "other", since=None, until=None, now=NOW)
    assert (other.conversations, other.escalated, other.contained) == (2, 2, 0)
    assert [a.model_dump() for a in other.csat_by_agent] == [{"agent": "alex@example.com", "count": 1, "average": 1.0}]
    assert other.model_spend.total.prompt_tokens == 1000 and other.knowledge_gaps.turns == 1
    assert [(q.queue, q.waiting) for q in other.queues_now] == [("general", 1)]


async def test_an_empty_tenant_reports_zeros_and_no_rates(database):
    r = await build_report(database, "acme", since=None, until=None, now=NOW)
    assert (r.conversations, r.containment_rate, r.escalation_rate) == (0, None, None)
    assert r.assistant_reply.p50_seconds is None and r.knowledge_gaps.clusters == []
    assert [p.conversations for p in r.csat_by_path] == [0, 0]


def test_percentiles_are_nearest_rank():
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.95) == 5.0
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95)) == (50.0, 95.0)
    assert percentile([3.0, 1.0, 2.0, 4.0], 0.5) == 2.0


def test_gap_questions_cluster_by_shared_keywords():
    assert keywords("Can I pause my Subscriptions?") == {"pause", "subscription"}
    found = cluster(["How do I pause my subscription?", "pause subscription", "pause my subscription for summer",
                     "Is there a warranty on headphones?", "headphones warranty"])
    assert [(c.keywords, c.count) for c in found] == [(["pause", "subscription"], 3), (["headphone", "warranty"], 2)]


# -- the command --------------------------------------------------------------------------------

def frontline(data_dir, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FRONTLINE_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "app.cli.main", "report", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


async def test_the_command_prints_the_report_and_refuses_bad_input_in_one_line(tmp_path):
    async with SqliteDatabase.open(tmp_path / "frontline.sqlite3") as db:
        await seed(db)
        expected = await build_report(db, "acme", since=SINCE, until=datetime(2026, 11, 3, tzinfo=UTC), now=NOW)

    printed = frontline(tmp_path, "acme", "--since", "2026-11-01", "--until", "2026-11-02", "--json")
    assert printed.returncode == 0, printed.stderr
    got = json.loads(printed.stdout)
    assert got["until"] == "2026-11-03T00:00:00.000Z"  # --until's day is included
    assert {k: v for k, v in got.items() if k not in ("generated_at", "queues_now", "sla_by_queue")} == {
        k: v for k, v in expected.model_dump(mode="json").items() if k not in ("generated_at", "queues_now",
                                                                                "sla_by_queue")}
    text = frontline(tmp_path, "acme")
    assert text.returncode == 0, text.stderr
    for section in ("Conversations", "Response times", "SLA", "Satisfaction", "Knowledge gaps", "Top intents",
                    "Model spend", "Workload"):
        assert section in text.stdout
    assert "pause subscription" in text.stdout

    for args, says in ((["nobody"], "no tenant 'nobody'"), (["acme", "--since", "yesterday"], "--since 'yesterday'"),
                       (["acme", "--since", "2026-11-05", "--until", "2026-11-01"], "is not before")):
        refused = frontline(tmp_path, *args)
        assert refused.returncode == 1 and refused.stdout == ""
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], refused.stderr


def test_json_fields_are_spelled_per_engine_and_only_from_identifiers():
    from app.store.sql_dialect import json_text

    assert json_text("sqlite", "t.trace", "intent", "name") == "json_extract(t.trace, '$.intent.name')"
    assert json_text("postgresql", "t.trace", "intent", "name") == "(t.trace::jsonb #>> '{intent,name}')"
    with pytest.raises(ValueError):
        json_text("sqlite", "t.trace", "name') OR 1=1 --")
