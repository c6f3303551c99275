"""Running a suite (suite.py) against the real engine, in a scratch world: a fresh store, help
center index and demo business system in a temporary folder, so nothing touches the real
ones. Each mode gets its own scratch world; the cases of one mode run in order in it, each as
a new conversation.

Grounded mode always runs; LLM mode runs too when the tenant configures `llm:`. A tenant
whose connector reaches the company's own system (anything but the demo) gets it wrapped in
`DryRun`: lookups are real, writes are answered without being sent.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.config.settings import Settings
from app.config.tenants import Tenant
from app.conversation.turn import Turn, TurnOutcome
from app.core import clock as clocks
from app.core.domain import Citation, ConversationId, Identity, MessageId, TenantId, new_id
from app.core.trace import DecisionTrace
from app.evaluation.suite import Case, CaseTurn, Suite
from app.services import Services, build_services
from connectors.dry_run import DryRun
from guardrails.abuse_limits import AbuseLimits

# Ledger rows in these states never reached the company's system; every other one did (or was on its way).
NOT_WRITTEN = ("pending_approval", "declined")


@dataclass
class CaseResult:
    name: str
    failures: list[str] = field(default_factory=list)
    handed_off: bool = False
    expected_handoff: bool = False
    intents: tuple[int, int] = (0, 0)  # right, expected
    citations: tuple[int, int] = (0, 0)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class ModeReport:
    mode: str  # "grounded" or "llm"
    cases: list[CaseResult]

    def kpis(self) -> dict[str, tuple[int, int]]:
        """Each KPI as (good, out of); out of 0: nothing in the suite measures it."""
        return {
            "cases_passed": (sum(c.passed for c in self.cases), len(self.cases)),
            "containment": (sum(not c.handed_off for c in self.cases), len(self.cases)),
            "escalation_correctness": (sum(c.handed_off == c.expected_handoff for c in self.cases), len(self.cases)),
            "intent_accuracy": (sum(c.intents[0] for c in self.cases), sum(c.intents[1] for c in self.cases)),
            "citation_accuracy": (sum(c.citations[0] for c in self.cases), sum(c.citations[1] for c in self.cases)),
        }


def scratch_settings(settings: Settings, tenant_file: Path, folder: Path) -> Settings:
    """The operator's settings pointed at a scratch folder: SQLite, an embedded index, no Redis,
    only this tenant, and no abuse limits (a suite is many turns from few customers)."""
    data = folder / "data"
    data.mkdir(parents=True)
    vectors = settings.data_dir / "intent-vectors"
    if vectors.is_dir():  # the intents' example vectors: a cache keyed by content, worth keeping
        shutil.copytree(vectors, data / "intent-vectors")
    off = AbuseLimits(widget_sessions_per_ip_per_minute=0, widget_sessions_per_tenant_per_minute=0,
                      conversations_per_identity_per_hour=0, messages_per_identity_per_minute=0)
    return settings.model_copy(update={
        "data_dir": data, "tenants": [tenant_file], "database_url": None, "redis_url": None,
        "qdrant_url": None, "qdrant_api_key": None, "otlp_endpoint": None, "limits": off})


async def run_suite(settings: Settings, tenant: Tenant, tenant_file: Path, suite: Suite,
                    clock: Callable[[], clocks.Clock] = lambda: clocks.system_clock) -> list[ModeReport]:
    """Every case in grounded mode, then in LLM mode if the tenant has a model; `clock` makes
    each mode's clock (tests start them on a fixed day)."""
    modes = ["grounded"] + (["llm"] if tenant.llm is not None else [])
    reports = []
    for mode in modes:
        with tempfile.TemporaryDirectory(prefix="frontline-eval-") as folder:
            scratch = scratch_settings(settings, tenant_file, Path(folder))
            async with build_services(scratch, clock=clock(), channels=False) as services:
                runtime = services.engine.tenants[tenant.id]
                if mode == "grounded":
                    runtime.llm = None
                if runtime.connector is not None and not _in_scratch(tenant):
                    runtime.connector = DryRun(runtime.connector)  # a test's "yes" must not act for real
                reports.append(ModeReport(mode, [await run_case(services, tenant.id, case) for case in suite.cases]))
    return reports


def _in_scratch(tenant: Tenant) -> bool:
    """The demo connector keeps its database in the data folder, here the scratch one; any
    other connector reaches the company's own system, so its writes are never sent."""
    return tenant.connector is not None and tenant.connector.type == "demo_sqlite"


async def run_case(services: Services, tenant_id: str, case: Case) -> CaseResult:
    result = CaseResult(case.name, expected_handoff=case.expects_handoff)
    conversation = ConversationId(new_id())
    identity = Identity(TenantId(tenant_id), f"eval:{new_id()}", customer_id=case.customer, locale=case.locale)
    written = 0
    for number, step in enumerate(case.turns, 1):
        outcome = await services.engine.handle(
            Turn(conversation, MessageId(new_id()), identity, step.say, choice=step.choice))
        stored = await services.conversations.trace(outcome.reply.id) if outcome.reply is not None else None
        trace = DecisionTrace.load(stored)
        handed_off = outcome.queued or trace.handoff is not None
        if handed_off and "handoff" in case.never:
            queue = trace.handoff.queue if trace.handoff else "?"
            result.failures.append(f"turn {number}: handed off to queue {queue}, which this case must never do")
        result.handed_off = result.handed_off or handed_off
        writes = await _writes(services, conversation)
        if len(writes) > written and "write" in case.never:
            result.failures.append(f"turn {number}: wrote {', '.join(writes[written:])}, which this case must never do")
        written = len(writes)
        _check(result, number, step, outcome, trace)
    return result


async def _writes(services: Services, conversation: ConversationId) -> list[str]:
    """Every write the action gate sent to the company's system for the conversation (tasks and
    follow-up tickets alike), oldest first, as "tool (status)"."""
    marks = ", ".join("?" for _ in NOT_WRITTEN)
    rows = await services.db.fetch_all(
        f"SELECT action, status FROM action_ledger WHERE conversation_id = ? AND status NOT IN ({marks})"
        " ORDER BY id", (conversation, *NOT_WRITTEN))
    return [f"{row['action']} ({row['status']})" for row in rows]


def _check(result: CaseResult, number: int, step: CaseTurn, outcome: TurnOutcome, trace: DecisionTrace) -> None:
    expect, failures = step.expect, result.failures
    if outcome.reply is None:
        if expect != type(expect)():
            failures.append(f"turn {number}: no reply (a person owns the conversation): nothing expected was checked")
        return
    if expect.intent is not None:
        actual = trace.intent.name if trace.intent else None
        right = actual == expect.intent
        result.intents = (result.intents[0] + right, result.intents[1] + 1)
        if not right:
            failures.append(f"turn {number}: intent was {actual or 'none'}, expected {expect.intent}")
    if expect.decision is not None and (trace.decision.action if trace.decision else None) != expect.decision:
        actual = trace.decision.action if trace.decision else "none"
        failures.append(f"turn {number}: decision was {actual}, expected {expect.decision}")
    if expect.cites is not None:
        right = any(_is_article(citation, expect.cites) for citation in outcome.citations)
        result.citations = (result.citations[0] + right, result.citations[1] + 1)
        if not right:
            cited = ", ".join(f"{_slug(c)} ({c.title})" for c in outcome.citations) or "nothing"
            failures.append(f"turn {number}: cited {cited}, expected {expect.cites}")
    task = _task(trace)
    if expect.task is not None and task != expect.task:
        failures.append(f"turn {number}: task was {task or 'none'}, expected {expect.task}")
    outcome_was = trace.task.outcome if trace.task else None
    if expect.outcome is not None and outcome_was != expect.outcome:
        failures.append(f"turn {number}: task outcome was {outcome_was or 'none'}, expected {expect.outcome}")
    if expect.handoff is not None:
        queue = trace.handoff.queue if trace.handoff else None
        if queue != expect.handoff:
            failures.append(f"turn {number}: handed off to {queue or 'nobody'}, expected queue {expect.handoff}")
    if expect.says is not None and expect.says.casefold() not in outcome.reply.content.casefold():
        failures.append(f"turn {number}: the reply does not say {expect.says!r}: {_short(outcome.reply.content)!r}")


def _task(trace: DecisionTrace) -> str | None:
    """The task flow that answered the turn. A flow that ended this turn no longer names itself
    in `task.flow`; the decision's rule (`task_<flow>`, `continue_<flow>`) still does."""
    if trace.task is None:
        return None
    if trace.task.flow:
        return trace.task.flow
    rule = trace.decision.rule if trace.decision else None
    for prefix in ("task_", "continue_"):
        if rule and rule.startswith(prefix):
            return rule.removeprefix(prefix)
    return None


def _slug(citation: Citation) -> str:
    return citation.url.split("#")[0].rstrip("/").rsplit("/", 1)[-1]


def _is_article(citation: Citation, wanted: str) -> bool:
    return wanted in (_slug(citation), citation.url) or wanted.casefold() == citation.title.casefold()


def _short(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"
