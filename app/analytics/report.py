"""The support lead's figures for one tenant, computed from the system of record.

The report covers the tenant's customer conversations *started* in the window
(`since` <= created_at < `until`): everything about them (their messages, traces, handoffs,
CSAT, feedback, model usage, actions) counts, whenever it happened. Only the "now" figures
(who is waiting in the queues) look at every conversation of the tenant. Nothing of another
tenant is ever read: each query is bound to the tenant's conversations.

Counting happens in the database (GROUP BY, EXISTS); Python receives only what it must
order itself: pairs of timestamps for the percentiles (no portable SQL computes time
differences or percentiles on both engines) and the questions behind knowledge gaps, for
clustering. Definitions: docs/analytics.md.

Contained and resolved, honestly: a conversation is *contained* when the assistant replied
at least once, it was never handed to a person and no assistant message got a thumbs down.
It is *resolved (unconfirmed)* when it is contained and no reply in it was a knowledge gap;
a customer who gave up silently still counts. The *measured* resolution rate comes from the
follow-up asked after a contained conversation ("Did that solve it?",
app/conversation/follow_up.py): solved / (solved + not solved) answers.

A chat that only carried that follow-up (the next visit where the customer answered "Did
that solve it?", or ignored it, and nothing else) is not a conversation of its own: counted,
it would be contained, and every Yes would raise the containment rate. It is left out of the
report; the answer counts in `follow_ups`, under the conversation it was about. A "No" that
reopened the chat to a person stays in: a person served it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.analytics import gaps
from app.analytics.model import (
    AgentCsat,
    AgentLoad,
    ChannelFigures,
    Durations,
    Escalations,
    FollowUpCounts,
    IntentCount,
    KnowledgeGaps,
    ModelSpend,
    OutreachCounts,
    PathCsat,
    QueueNow,
    QueueSla,
    Report,
    Usage,
    UsageGroup,
)
from app.core.clock import stamp
from app.store.database import Database
from app.store.sql_dialect import json_text

EARLIEST, LATEST = "0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"
GAP_QUESTIONS = 20_000  # the newest gap questions clustered; the counts cover them all
FOLLOW_UP_EVENTS = ("follow_up.ask", "follow_up.answered")  # the follow-up's own assistant messages


async def has_tenant(db: Database, tenant: str) -> bool:
    """Whether the store holds any conversation of `tenant` (a tenant no longer configured
    still has a history to report on)."""
    return await db.fetch_one("SELECT 1 FROM conversations WHERE tenant = ? LIMIT 1", (tenant,)) is not None


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def durations(values: Sequence[float]) -> Durations:
    return Durations(count=len(values), p50_seconds=percentile(values, 0.50), p95_seconds=percentile(values, 0.95))


def _seconds(start: str, end: str) -> float:
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 3)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _money(value: Any) -> float | None:
    return None if value is None else round(float(value), 6)


class _Query:
    """The tenant and window every statement of one report is bound to."""

    def __init__(self, db: Database, tenant: str, since: str, until: str, channel: str | None = None) -> None:
        self.db, self.tenant = db, tenant
        self.window: tuple[str, ...] = (tenant, since, until) if channel is None else (tenant, since, until, channel)
        self.gap = (f"{json_text(db.backend, 't.trace', 'retrieval')} IS NOT NULL"
                    f" AND coalesce({json_text(db.backend, 'm.metadata', 'citations')}, '[]') = '[]'")
        events = ", ".join(f"'{event}'" for event in FOLLOW_UP_EVENTS)
        self.cohort = (  # the window's customer conversations, without chats that only carried a follow-up
            "SELECT k.id FROM conversations k WHERE k.tenant = ? AND k.kind = 'customer'"
            " AND k.created_at >= ? AND k.created_at < ?" + ("" if channel is None else " AND k.channel = ?") +
            " AND NOT (EXISTS (SELECT 1 FROM follow_ups fu WHERE fu.asked_in = k.id)"
            "     AND NOT EXISTS (SELECT 1 FROM handoffs hk WHERE hk.conversation_id = k.id)"
            "     AND NOT EXISTS (SELECT 1 FROM messages mk WHERE mk.conversation_id = k.id AND mk.role = 'assistant'"
            f"         AND coalesce({json_text(db.backend, 'mk.metadata', 'event')}, '') NOT IN ({events})))")

    async def rows(self, sql: str, *params: Any) -> list[Any]:
        """`sql` with `{cohort}` standing for the window's conversation ids (its params first)."""
        count = sql.count("{cohort}")
        return await self.db.fetch_all(sql.replace("{cohort}", self.cohort), (*self.window * count, *params))


async def build_report(db: Database, tenant: str, *, since: datetime | None, until: datetime | None,
                       now: datetime) -> Report:
    window = (stamp(since) if since else EARLIEST, stamp(until) if until else LATEST)
    q = _Query(db, tenant, *window)
    totals = await _totals(q)
    conversations = int(totals["conversations"])
    answered, escalated = int(totals["answered"]), int(totals["escalated"])
    contained, resolved = int(totals["contained"]), int(totals["resolved"])
    human = await _human(q, now)
    follow_ups = await _follow_ups(q)
    return Report(
        tenant=tenant, since=stamp(since) if since else None, until=stamp(until) if until else None,
        generated_at=stamp(now), conversations=conversations, assistant_answered=answered,
        escalated=escalated, contained=contained, resolved_unconfirmed=resolved,
        containment_rate=_rate(contained, conversations), resolution_rate_unconfirmed=_rate(resolved, conversations),
        escalation_rate=_rate(escalated, conversations),
        follow_ups=follow_ups, resolution_rate=_rate(follow_ups.solved, follow_ups.solved + follow_ups.not_solved),
        escalation_by_trigger=await _escalations(q, "coalesce(trigger_rule, 'unknown')", conversations),
        escalation_by_queue=await _escalations(q, "queue", conversations),
        **await _assistant_times(q), **human,
        csat_by_agent=[AgentCsat(agent=r["agent"] or "(unknown)", count=int(r["n"]), average=round(float(r["mean"]), 3))
                       for r in await q.rows(
                           "SELECT agent, count(*) AS n, avg(score) AS mean FROM csat WHERE score IS NOT NULL"
                           " AND conversation_id IN ({cohort}) GROUP BY agent ORDER BY count(*) DESC, agent")],
        csat_by_path=await _csat_paths(q),
        knowledge_gaps=await _gaps(q),
        top_intents=[IntentCount(intent=r["intent"], turns=int(r["n"])) for r in await q.rows(
            f"SELECT {json_text(db.backend, 't.trace', 'intent', 'name')} AS intent, count(*) AS n"
            " FROM decision_traces t WHERE t.conversation_id IN ({cohort}) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10")],
        model_spend=await _spend(q), outreach=await _outreach(q),
        by_channel=await _by_channel(db, tenant, window, await _channels(q)))


async def _channels(q: _Query) -> list[str]:
    return [r["channel"] for r in await q.rows(
        "SELECT DISTINCT channel FROM conversations WHERE id IN ({cohort}) ORDER BY channel")]


async def _by_channel(db: Database, tenant: str, window: tuple[str, str], channels: list[str]) -> list[ChannelFigures]:
    """The headline figures again, for the conversations started on each channel."""
    figures = []
    for channel in channels:
        q = _Query(db, tenant, *window, channel=channel)
        totals, follow_ups = await _totals(q), await _follow_ups(q)
        conversations, contained = int(totals["conversations"]), int(totals["contained"])
        figures.append(ChannelFigures(
            channel=channel, conversations=conversations, assistant_answered=int(totals["answered"]),
            escalated=int(totals["escalated"]), contained=contained,
            containment_rate=_rate(contained, conversations),
            escalation_rate=_rate(int(totals["escalated"]), conversations), follow_ups=follow_ups,
            resolution_rate=_rate(follow_ups.solved, follow_ups.solved + follow_ups.not_solved),
            outreach=await _outreach(q)))
    return figures


async def _outreach(q: _Query) -> OutreachCounts:
    """Incident notices to the cohort's conversations, whenever they were sent."""
    r = (await q.rows(
        "SELECT count(*) AS told, coalesce(sum(subscribed), 0) AS subscribed,"
        " coalesce(sum(CASE WHEN fixed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS fixed"
        " FROM incident_contacts WHERE conversation_id IN ({cohort})"))[0]
    return OutreachCounts(told_known=int(r["told"]), subscribed=int(r["subscribed"]), told_fixed=int(r["fixed"]))


async def _totals(q: _Query) -> Any:
    """Conversations, answered, escalated, contained and resolved (unconfirmed) of the cohort."""
    return (await q.rows(
        "SELECT count(*) AS conversations,"
        " coalesce(sum(CASE WHEN a.id IS NOT NULL THEN 1 ELSE 0 END), 0) AS answered,"
        " coalesce(sum(CASE WHEN h.id IS NOT NULL THEN 1 ELSE 0 END), 0) AS escalated,"
        " coalesce(sum(CASE WHEN a.id IS NOT NULL AND h.id IS NULL AND d.id IS NULL THEN 1 ELSE 0 END), 0)"
        "     AS contained,"
        " coalesce(sum(CASE WHEN a.id IS NOT NULL AND h.id IS NULL AND d.id IS NULL AND g.id IS NULL"
        "     THEN 1 ELSE 0 END), 0) AS resolved"
        " FROM ({cohort}) c"
        " LEFT JOIN (SELECT DISTINCT conversation_id AS id FROM messages WHERE role = 'assistant'"
        "     AND conversation_id IN ({cohort})) a ON a.id = c.id"
        " LEFT JOIN (SELECT DISTINCT conversation_id AS id FROM handoffs"
        "     WHERE conversation_id IN ({cohort})) h ON h.id = c.id"
        " LEFT JOIN (SELECT DISTINCT f.conversation_id AS id FROM feedback f JOIN messages m ON m.id = f.message_id"
        "     WHERE f.value = 0 AND m.role = 'assistant' AND f.conversation_id IN ({cohort})) d ON d.id = c.id"
        " LEFT JOIN (SELECT DISTINCT m.conversation_id AS id FROM messages m JOIN decision_traces t"
        f"     ON t.message_id = m.id WHERE {q.gap} AND m.conversation_id IN ({{cohort}})) g ON g.id = c.id"))[0]


async def _follow_ups(q: _Query) -> FollowUpCounts:
    """Follow-ups about the window's conversations, whenever they were asked."""
    r = (await q.rows(
        "SELECT count(*) AS asked, coalesce(sum(CASE WHEN answer = 'solved' THEN 1 ELSE 0 END), 0) AS solved,"
        " coalesce(sum(CASE WHEN answer = 'not_solved' THEN 1 ELSE 0 END), 0) AS not_solved,"
        " coalesce(sum(CASE WHEN answer = 'none' THEN 1 ELSE 0 END), 0) AS unanswered"
        " FROM follow_ups WHERE conversation_id IN ({cohort})"))[0]
    return FollowUpCounts(asked=int(r["asked"]), solved=int(r["solved"]), not_solved=int(r["not_solved"]),
                          unanswered=int(r["unanswered"]))


async def _escalations(q: _Query, key: str, conversations: int) -> list[Escalations]:
    rows = await q.rows(f"SELECT {key} AS name, count(*) AS n, count(DISTINCT conversation_id) AS c FROM handoffs"
                        " WHERE conversation_id IN ({cohort}) GROUP BY 1 ORDER BY 3 DESC, 1")
    return [Escalations(name=r["name"], handoffs=int(r["n"]), conversations=int(r["c"]),
                        rate=_rate(int(r["c"]), conversations)) for r in rows]


async def _assistant_times(q: _Query) -> dict[str, Durations]:
    """First response: a conversation's first customer message to the first assistant reply at
    or after it. Reply: every assistant reply, from the newest customer message at or before it."""
    first = await q.rows(
        "SELECT f.asked, (SELECT min(a.created_at) FROM messages a WHERE a.conversation_id = f.id"
        "  AND a.role = 'assistant' AND a.created_at >= f.asked) AS replied"
        " FROM (SELECT conversation_id AS id, min(created_at) AS asked FROM messages"
        "       WHERE role = 'customer' AND conversation_id IN ({cohort}) GROUP BY conversation_id) f")
    replies = await q.rows(
        "SELECT m.created_at AS replied, (SELECT max(c.created_at) FROM messages c"
        "  WHERE c.conversation_id = m.conversation_id AND c.role = 'customer' AND c.created_at <= m.created_at)"
        " AS asked"
        " FROM messages m WHERE m.role = 'assistant' AND m.conversation_id IN ({cohort})")
    return {"assistant_first_response": durations([_seconds(r["asked"], r["replied"]) for r in first if r["replied"]]),
            "assistant_reply": durations([_seconds(r["asked"], r["replied"]) for r in replies if r["asked"]])}


async def _human(q: _Query, now: datetime) -> dict[str, Any]:
    """Wait (requested to claimed), handle (claimed to closed), SLA by queue, claims per agent,
    and the queues as they stand now."""
    times = await q.rows("SELECT requested_at, claimed_at, closed_at FROM handoffs"
                         " WHERE claimed_at IS NOT NULL AND conversation_id IN ({cohort})")
    at = stamp(now)
    sla = await q.db.fetch_all(
        "SELECT queue, sum(CASE WHEN claimed_at IS NOT NULL AND claimed_at <= due_at THEN 1 ELSE 0 END) AS met,"
        " sum(CASE WHEN (claimed_at IS NOT NULL AND claimed_at > due_at) OR (claimed_at IS NULL AND due_at < ?)"
        "     THEN 1 ELSE 0 END) AS missed,"
        " sum(CASE WHEN claimed_at IS NULL AND due_at >= ? THEN 1 ELSE 0 END) AS pending"
        f" FROM handoffs WHERE due_at IS NOT NULL AND conversation_id IN ({q.cohort}) GROUP BY queue ORDER BY queue",
        (at, at, *q.window))
    agents = await q.rows(
        "SELECT claimed_by, count(*) AS claims, sum(CASE WHEN outcome = 'resolved' THEN 1 ELSE 0 END) AS resolved,"
        " sum(CASE WHEN outcome = 'handed_back' THEN 1 ELSE 0 END) AS handed_back,"
        " sum(CASE WHEN closed_at IS NULL THEN 1 ELSE 0 END) AS still_open"
        " FROM handoffs WHERE claimed_by IS NOT NULL AND conversation_id IN ({cohort})"
        " GROUP BY claimed_by ORDER BY count(*) DESC, claimed_by")
    waiting = await q.db.fetch_all(
        "SELECT h.queue, count(*) AS n, min(h.requested_at) AS oldest FROM conversations c"
        " JOIN handoffs h ON h.id = (SELECT max(id) FROM handoffs WHERE conversation_id = c.id)"
        " WHERE c.tenant = ? AND c.state = 'queued' GROUP BY h.queue ORDER BY min(h.requested_at)", (q.tenant,))
    return {
        "human_wait": durations([_seconds(r["requested_at"], r["claimed_at"]) for r in times]),
        "human_handle": durations([_seconds(r["claimed_at"], r["closed_at"]) for r in times if r["closed_at"]]),
        "sla_by_queue": [QueueSla(queue=r["queue"], met=int(r["met"]), missed=int(r["missed"]),
                                  pending=int(r["pending"]),
                                  attainment=_rate(int(r["met"]), int(r["met"]) + int(r["missed"]))) for r in sla],
        "agents": [AgentLoad(agent=r["claimed_by"], claims=int(r["claims"]), resolved=int(r["resolved"]),
                             handed_back=int(r["handed_back"]), open=int(r["still_open"])) for r in agents],
        "queues_now": [QueueNow(queue=r["queue"], waiting=int(r["n"]), oldest_requested_at=r["oldest"],
                                oldest_wait_seconds=max(0.0, _seconds(r["oldest"], at))) for r in waiting],
    }


async def _csat_paths(q: _Query) -> list[PathCsat]:
    rows = await q.rows(
        "SELECT CASE WHEN h.id IS NULL THEN 'assistant_only' ELSE 'human_handled' END AS path,"
        " count(*) AS conversations, coalesce(sum(s.n), 0) AS csat_count, sum(s.total) AS csat_total,"
        " coalesce(sum(f.up), 0) AS up, coalesce(sum(f.down), 0) AS down"
        " FROM ({cohort}) c"
        " LEFT JOIN (SELECT DISTINCT conversation_id AS id FROM handoffs WHERE conversation_id IN ({cohort})) h"
        "     ON h.id = c.id"
        " LEFT JOIN (SELECT conversation_id, count(*) AS n, sum(score) AS total FROM csat WHERE score IS NOT NULL"
        "     AND conversation_id IN ({cohort}) GROUP BY conversation_id) s ON s.conversation_id = c.id"
        " LEFT JOIN (SELECT f.conversation_id, sum(f.value) AS up, sum(1 - f.value) AS down FROM feedback f"
        "     JOIN messages m ON m.id = f.message_id WHERE m.role = 'assistant' AND f.conversation_id IN ({cohort})"
        "     GROUP BY f.conversation_id) f ON f.conversation_id = c.id"
        " GROUP BY 1 ORDER BY 1")
    found = {r["path"]: r for r in rows}
    paths = []
    for path in ("assistant_only", "human_handled"):
        r = found.get(path)
        count = int(r["csat_count"]) if r else 0
        paths.append(PathCsat(
            path=path, conversations=int(r["conversations"]) if r else 0, csat_count=count,
            csat_average=round(float(r["csat_total"]) / count, 3) if r and count else None,
            thumbs_up=int(r["up"]) if r else 0, thumbs_down=int(r["down"]) if r else 0))
    return paths


async def _gaps(q: _Query) -> KnowledgeGaps:
    """Replies where the help center was searched (the trace has `retrieval`) and the reply
    cites no passage; each with the customer message it answered."""
    counted = (await q.rows(
        "SELECT count(*) AS turns, count(DISTINCT m.conversation_id) AS conversations FROM messages m"
        f" JOIN decision_traces t ON t.message_id = m.id WHERE {q.gap} AND m.conversation_id IN ({{cohort}})"))[0]
    questions = await q.rows(
        "SELECT (SELECT c.content FROM messages c WHERE c.conversation_id = m.conversation_id AND c.role = 'customer'"
        "   AND c.created_at <= m.created_at ORDER BY c.created_at DESC, c.rowid DESC LIMIT 1) AS question"
        f" FROM messages m JOIN decision_traces t ON t.message_id = m.id WHERE {q.gap}"
        " AND m.conversation_id IN ({cohort}) ORDER BY m.created_at DESC LIMIT ?", GAP_QUESTIONS)
    return KnowledgeGaps(turns=int(counted["turns"]), conversations=int(counted["conversations"]),
                         clusters=gaps.cluster(r["question"] for r in questions if r["question"]))


def _usage(r: Any) -> Usage:
    return Usage(calls=int(r["calls"] or 0), prompt_tokens=int(r["prompt"] or 0),
                 completion_tokens=int(r["completion"] or 0), cost_usd=_money(r["cost"]))


async def _spend(q: _Query) -> ModelSpend:
    """Joined straight to llm_usage (indexed by conversation), never through a grouped
    subquery: SQLite would scan such a subquery once per outer row. Tiers are the verified
    customer's CRM tier kept on the conversation (`unknown`: a guest, or a customer whose
    record could not be read)."""
    sums = ("count(u.id) AS calls, sum(u.prompt_tokens) AS prompt, sum(u.completion_tokens) AS completion,"
            " sum(u.cost_usd) AS cost")
    total = (await q.rows(f"SELECT {sums} FROM llm_usage u WHERE u.conversation_id IN ({{cohort}}) AND u.tenant = ?",
                          q.tenant))[0]

    async def grouped(name: str) -> list[UsageGroup]:
        rows = await q.rows(
            f"SELECT {name} AS name, count(DISTINCT c.id) AS conversations, {sums}"
            " FROM conversations c LEFT JOIN llm_usage u ON u.conversation_id = c.id AND u.tenant = c.tenant"
            " WHERE c.id IN ({cohort}) GROUP BY 1 ORDER BY 1")
        return [UsageGroup(name=r["name"], conversations=int(r["conversations"]), usage=_usage(r)) for r in rows]

    workflows = await q.db.fetch_all(
        f"SELECT l.action AS name, count(DISTINCT l.conversation_id) AS conversations, {sums}"
        " FROM (SELECT DISTINCT action, conversation_id FROM action_ledger WHERE conversation_id IN"
        f"       ({q.cohort}) AND tenant = ?) l"
        " LEFT JOIN llm_usage u ON u.conversation_id = l.conversation_id AND u.tenant = ?"
        " GROUP BY l.action ORDER BY count(DISTINCT l.conversation_id) DESC, l.action",
        (*q.window, q.tenant, q.tenant))
    return ModelSpend(
        total=_usage(total),
        by_customer=await grouped("CASE WHEN c.customer_id IS NULL THEN 'guest' ELSE 'verified' END"),
        by_tier=await grouped("coalesce(c.customer_tier, 'unknown')"),
        by_workflow=[UsageGroup(name=r["name"], conversations=int(r["conversations"]), usage=_usage(r))
                     for r in workflows])
