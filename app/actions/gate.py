"""The action gate: every write to a company's system passes here, and only here.

    identity → policy (enabled? verified? limits? approval?) → ledger claim under the
    idempotency key → connector → ledger result + audit event, in one transaction

Whose account a write touches comes from the verified identity alone. A request beyond
the tenant's limits is held for an agent's approval instead of running, and runs later
through the same path (`execute_approved`). Every attempt, allowed or not, is audited with
the policy version it was judged under.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from app.core.domain import Identity
from app.core.errors import ConnectorError
from app.store import AuditLog
from app.store.actions import (
    FAILED,
    PENDING_APPROVAL,
    RUNNING,
    ActionLedger,
    Approval,
    ApprovalStore,
    LedgerEntry,
)
from connectors.base import Connector, Receipt, WriteLookup
from connectors.tools import ToolArgumentsError, write_tool
from guardrails.action_policy import ActionPolicy, Outcome, Usage, rule_on
from guardrails.pii import redact_value

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActionRequest:
    """One write, as a flow (or an agent) asks for it. It never names a customer."""

    action: str  # a write tool's name
    arguments: dict[str, Any]
    idempotency_key: str
    customer_summary: str = ""  # what will be done, in the customer's language (for an approval's answer)


@dataclass(frozen=True)
class ActionResult:
    outcome: str  # done | submitted | rejected | pending_approval | refused | in_progress | failed
    rule: str = ""  # the policy rule (refused, pending_approval) or the system's reason (rejected)
    reason: str = ""
    reference: str = ""
    replayed: bool = False
    approval_id: str | None = None
    policy_version: str = ""


Act = Callable[[ActionRequest], Awaitable[ActionResult]]  # a write through the gate, bound to one turn


@dataclass(frozen=True)
class ActionScope:
    """Who is acting, for whom, and where: bound by the engine from the verified identity."""

    tenant: str
    conversation_id: str
    identity: Identity
    language: str
    connector: Connector | None
    policy: ActionPolicy
    actor: str = "assistant"


class GuardedActions:
    def __init__(self, ledger: ActionLedger, approvals: ApprovalStore, audit: AuditLog) -> None:
        self.ledger = ledger
        self.approvals = approvals
        self.audit = audit

    async def perform(self, scope: ActionScope, request: ActionRequest) -> ActionResult:
        """Judge and, if allowed, run one write exactly once."""
        try:
            tool = write_tool(request.action)
            arguments = tool.parse(request.arguments)
        except ToolArgumentsError as exc:
            return await self._refused(scope, request, None, "invalid_arguments", str(exc), "")
        customer_id = scope.identity.customer_id if scope.identity.verified else None
        existing = await self.ledger.get(request.idempotency_key)
        if existing is not None:
            replay = await self._existing(existing, scope, request)
            if replay is not None:
                return replay
        amount = getattr(arguments, "amount", None)
        rule = scope.policy.rule(request.action)
        customer_days = rule.limits.per_customer.days if rule and rule.limits.per_customer else None
        conversation_days = rule.limits.per_conversation.days if rule and rule.limits.per_conversation else None
        used_by_customer, used_here = await self.ledger.used(
            scope.tenant, request.action, customer_id=customer_id, customer_days=customer_days,
            conversation_id=scope.conversation_id, conversation_days=conversation_days)
        ruling = rule_on(scope.policy, request.action, verified=scope.identity.verified, amount=amount,
                         usage=Usage(used_by_customer, used_here))
        entry = LedgerEntry(scope.tenant, scope.conversation_id, customer_id, request.action,
                            arguments.model_dump(exclude_none=True), amount, request.idempotency_key,
                            ruling.policy_version)
        if ruling.outcome is Outcome.REFUSE:
            return await self._refused(scope, request, customer_id, ruling.rule, ruling.reason, ruling.policy_version)
        if ruling.outcome is Outcome.APPROVAL:
            return await self._hold(scope, request, entry, tool.describe(arguments), ruling.rule, ruling.reason)
        claimed = (await self.ledger.reclaim(entry.idempotency_key, (FAILED, RUNNING)) if existing is not None
                   else await self.ledger.claim(entry))
        if not claimed:
            return ActionResult("in_progress", policy_version=ruling.policy_version)  # a concurrent twin won
        return await self._run(scope.connector, entry, scope.actor)

    async def execute_approved(self, approval: Approval, connector: Connector | None, agent: str) -> ActionResult:
        """Run a request an agent approved, under its original key (so it runs once)."""
        if not await self.ledger.reclaim(approval.idempotency_key, (PENDING_APPROVAL, FAILED)):
            entry = await self.ledger.get(approval.idempotency_key)
            if entry is not None and entry.status not in (RUNNING, PENDING_APPROVAL, FAILED):
                return _result(entry, replayed=True)
            return ActionResult("in_progress", policy_version=approval.policy_version)
        entry = await self.ledger.get(approval.idempotency_key)
        assert entry is not None
        return await self._run(connector, entry, f"{agent} (approval {approval.id[:8]})", approval=approval)

    async def recover(self, entry: LedgerEntry, connector: Connector | None) -> ActionResult:
        """Resolve a write a crash cut off (the caller took it over with `ledger.take_over`): ask
        the company's system what became of it if it can tell, else send it once more under
        the same idempotency key, which makes a write that did arrive a replay, not a second one."""
        approval = await self.approvals.for_key(entry.idempotency_key)
        approval = approval if approval is not None and approval.status == "approved" else None
        found = None
        if isinstance(connector, WriteLookup):
            try:
                found = await connector.write_result(entry.idempotency_key)
            except ConnectorError as exc:
                log.warning("cannot look up %s for %s: %s", entry.action, entry.conversation_id, exc)
        if found is None:
            return await self._run(connector, entry, "recovery", approval=approval, note={"recovered": "retried"})
        async with self.ledger.db.transaction() as tx:
            await self.ledger.finish(entry.idempotency_key, found.status, found.reference, found.reason, tx)
            detail: dict[str, Any] = {"reference": found.reference, "reason": found.reason, "replayed": True,
                                      "recovered": "found"}
            if approval is not None:
                detail["approval"] = approval.id
                await self.approvals.record_result(approval.id, {"status": found.status, **detail}, tx)
            await self._audit("recovery", entry, found.status, detail, tx)
        return ActionResult(found.status, found.reason, found.reason, found.reference, True,
                            policy_version=entry.policy_version)

    async def _existing(self, entry: LedgerEntry, scope: ActionScope, request: ActionRequest) -> ActionResult | None:
        """What a repeated request gets: the first result, or None to try again."""
        if entry.action != request.action or entry.conversation_id != scope.conversation_id:
            log.warning("idempotency key %s reused for another request", request.idempotency_key)
            return ActionResult("refused", "key_reused", "the idempotency key belongs to another request")
        if entry.status == PENDING_APPROVAL:
            approval = await self.approvals.for_key(entry.idempotency_key)
            return ActionResult(PENDING_APPROVAL, "approval", "already waiting for an agent",
                                approval_id=approval.id if approval else None, replayed=True,
                                policy_version=entry.policy_version)
        if entry.status == RUNNING and not entry.stale(self.ledger.clock()):
            return ActionResult("in_progress", policy_version=entry.policy_version)
        if entry.status in (FAILED, RUNNING):
            return None  # try again: the connector's own idempotency key makes the retry safe
        return _result(entry, replayed=True)

    async def _run(self, connector: Connector | None, entry: LedgerEntry, actor: str, *,
                   approval: Approval | None = None, note: dict[str, Any] | None = None) -> ActionResult:
        tool = write_tool(entry.action)
        try:
            if connector is None:
                raise ConnectorError("this tenant has no connector configured")
            receipt: Receipt = await tool.run(connector, entry.customer_id, tool.parse(entry.arguments),
                                              entry.idempotency_key)
        except ConnectorError as exc:
            log.warning("%s failed for %s: %s", entry.action, entry.conversation_id, exc)
            async with self.ledger.db.transaction() as tx:
                await self.ledger.finish(entry.idempotency_key, FAILED, "", str(exc)[:300], tx)
                await self._audit(actor, entry, "failed", {"error": str(exc)[:300], **(note or {})}, tx)
            return ActionResult("failed", reason=str(exc), policy_version=entry.policy_version)
        async with self.ledger.db.transaction() as tx:
            await self.ledger.finish(entry.idempotency_key, receipt.status, receipt.reference, receipt.reason, tx)
            detail = {"reference": receipt.reference, "reason": receipt.reason, "replayed": receipt.replayed,
                      **(note or {})}
            if approval is not None:
                detail["approval"] = approval.id
                await self.approvals.record_result(approval.id, {"status": receipt.status, **detail}, tx)
            await self._audit(actor, entry, receipt.status, detail, tx)
        return ActionResult(receipt.status, receipt.reason, receipt.reason, receipt.reference, receipt.replayed,
                            policy_version=entry.policy_version)

    async def _hold(self, scope: ActionScope, request: ActionRequest, entry: LedgerEntry, summary: str, rule: str,
                    why: str) -> ActionResult:
        held = replace(entry, status=PENDING_APPROVAL)
        async with self.ledger.db.transaction() as tx:
            if not await self.ledger.claim(held, tx=tx):
                return ActionResult("in_progress", policy_version=entry.policy_version)
            approval = await self.approvals.create(Approval(
                "", scope.tenant, scope.conversation_id, entry.customer_id, scope.language, entry.action,
                entry.arguments, entry.amount, summary, request.customer_summary or summary, why,
                entry.idempotency_key, entry.policy_version), tx)
            await self._audit(scope.actor, entry, PENDING_APPROVAL, {"rule": rule, "why": why,
                                                                     "approval": approval.id}, tx)
        log.info("%s in %s held for approval: %s", entry.action, scope.conversation_id, why)
        return ActionResult(PENDING_APPROVAL, rule, why, approval_id=approval.id, policy_version=entry.policy_version)

    async def _refused(self, scope: ActionScope, request: ActionRequest, customer_id: str | None, rule: str,
                       reason: str, version: str) -> ActionResult:
        log.info("%s refused in %s: %s (%s)", request.action, scope.conversation_id, rule, reason)
        await self.audit.record(scope.actor, request.action, tenant=scope.tenant, subject=scope.conversation_id,
                                detail={"customer_id": customer_id, "rule": rule, "reason": reason,
                                        "idempotency_key": request.idempotency_key},
                                policy_version=version or scope.policy.version, outcome="refused")
        return ActionResult("refused", rule, reason, policy_version=version or scope.policy.version)

    async def _audit(self, actor: str, entry: LedgerEntry, outcome: str, detail: dict[str, Any], tx: Any) -> None:
        await self.audit.record(actor, entry.action, tenant=entry.tenant, subject=entry.conversation_id,
                                detail={"customer_id": entry.customer_id, "arguments": _audited(entry),
                                        "idempotency_key": entry.idempotency_key, **detail},
                                policy_version=entry.policy_version, outcome=outcome, tx=tx)


def _audited(entry: LedgerEntry) -> dict[str, Any]:
    """The arguments as audited: no personal data (a reset email, a street address) in the log."""
    hidden = {"email", "address", "body"}
    return {k: ("[withheld]" if k in hidden else redact_value(v)) for k, v in entry.arguments.items()}


def _result(entry: LedgerEntry, *, replayed: bool) -> ActionResult:
    return ActionResult(entry.status, entry.reason, entry.reason, entry.reference, replayed,
                        policy_version=entry.policy_version)
