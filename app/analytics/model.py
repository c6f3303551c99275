"""The support lead's report as typed figures: what `frontline report --json` prints.

Every figure's exact definition is in docs/analytics.md; the field comments say it briefly.
Rates are fractions (0.25, not 25 %), None when their denominator is zero; durations are
seconds, None when nothing was measured.
"""

from __future__ import annotations

from pydantic import BaseModel


class Durations(BaseModel):
    """A distribution of waits in seconds: how many, the median and the 95th percentile
    (nearest rank: the smallest value at least that share of the values is not above)."""

    count: int = 0
    p50_seconds: float | None = None
    p95_seconds: float | None = None


class Escalations(BaseModel):
    """Handoffs grouped by one key (a trigger or a queue)."""

    name: str
    handoffs: int
    conversations: int  # distinct conversations with at least one such handoff
    rate: float | None  # conversations / all conversations of the report


class QueueSla(BaseModel):
    queue: str
    met: int  # claimed at or before due_at
    missed: int  # claimed after due_at, or still unclaimed with due_at already past
    pending: int  # unclaimed, not due yet: left out of the attainment
    attainment: float | None  # met / (met + missed)


class AgentCsat(BaseModel):
    agent: str
    count: int
    average: float


class PathCsat(BaseModel):
    """Satisfaction along one path: `assistant_only` (never handed off) or `human_handled`."""

    path: str
    conversations: int
    csat_count: int  # CSAT is asked only after an agent resolves: 0 on the assistant-only path
    csat_average: float | None
    thumbs_up: int  # feedback on assistant messages of these conversations
    thumbs_down: int


class GapCluster(BaseModel):
    keywords: list[str]
    count: int
    example: str


class KnowledgeGaps(BaseModel):
    turns: int  # replies where the help center was searched and nothing was cited
    conversations: int
    clusters: list[GapCluster]


class IntentCount(BaseModel):
    intent: str | None  # None: the turn was not classified (a refused input, a task answer)
    turns: int


class Usage(BaseModel):
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None  # None: no call was priced


class UsageGroup(BaseModel):
    name: str
    conversations: int
    usage: Usage


class ModelSpend(BaseModel):
    total: Usage
    by_customer: list[UsageGroup]  # "verified" and "guest"
    by_tier: list[UsageGroup]  # the verified customer's CRM tier; "unknown": guests and unread records
    by_workflow: list[UsageGroup]  # conversations in which that action ran


class QueueNow(BaseModel):
    queue: str
    waiting: int
    oldest_requested_at: str
    oldest_wait_seconds: float


class AgentLoad(BaseModel):
    agent: str
    claims: int
    resolved: int
    handed_back: int
    open: int  # claimed and not closed yet


class FollowUpCounts(BaseModel):
    """"Did that solve it?" asked after automated resolutions of the report's conversations."""

    asked: int = 0
    solved: int = 0
    not_solved: int = 0  # each reopened to a person (trigger follow_up_unsolved)
    unanswered: int = 0  # asked, never answered: left out of the resolution rate


class OutreachCounts(BaseModel):
    """Declared incidents told to the report's conversations (app/handoff/outreach.py)."""

    told_known: int = 0  # conversations told an incident is known (at declaration, linked, or offered)
    subscribed: int = 0  # of them, to be told the fix (reporters, linked, and those who said yes)
    told_fixed: int = 0  # conversations told it is fixed


class ChannelFigures(BaseModel):
    """The headline figures of the conversations started on one channel ("web", "email" ...)."""

    channel: str
    conversations: int
    assistant_answered: int
    escalated: int
    contained: int
    containment_rate: float | None
    escalation_rate: float | None
    follow_ups: FollowUpCounts
    resolution_rate: float | None  # measured, as the report's
    outreach: OutreachCounts


class Report(BaseModel):
    tenant: str
    since: str | None
    until: str | None
    generated_at: str
    conversations: int
    assistant_answered: int  # conversations with at least one assistant reply
    escalated: int
    contained: int
    resolved_unconfirmed: int
    containment_rate: float | None
    resolution_rate_unconfirmed: float | None
    resolution_rate: float | None  # measured: solved / (solved + not_solved) follow-ups
    follow_ups: FollowUpCounts
    escalation_rate: float | None
    escalation_by_trigger: list[Escalations]
    escalation_by_queue: list[Escalations]
    assistant_first_response: Durations
    assistant_reply: Durations
    human_wait: Durations
    human_handle: Durations
    sla_by_queue: list[QueueSla]
    csat_by_agent: list[AgentCsat]
    csat_by_path: list[PathCsat]
    knowledge_gaps: KnowledgeGaps
    top_intents: list[IntentCount]
    model_spend: ModelSpend
    queues_now: list[QueueNow]
    agents: list[AgentLoad]
    outreach: OutreachCounts = OutreachCounts()
    by_channel: list[ChannelFigures] = []  # every channel with a conversation in the window, by name
