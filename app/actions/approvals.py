"""Approvals: an agent approves or rejects an action the policy held, and the customer hears
the answer in the same chat.

Deciding is a guarded state change (pending → approved | rejected), so two agents clicking
at once cannot both win; the approved action then runs through the action gate under the
key it was requested with, so it is carried out exactly once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.actions.gate import ActionResult, GuardedActions
from app.core.domain import ConversationId, Message, MessageId, Role, new_id
from app.core.errors import ApprovalError
from app.core.i18n import say
from app.store import AuditLog, ConversationStore
from app.store.accounts import Agent
from app.store.actions import Approval, ApprovalStore
from connectors.base import Connector

log = logging.getLogger(__name__)

ASSISTANT_AUTHOR = "Assistant"
NOTE_LIMIT = 500


@dataclass(frozen=True)
class Decided:
    approval: Approval
    result: ActionResult | None  # None when rejected
    message: Message | None  # what the customer was told (stored; push it to their live chat)


class ApprovalDesk:
    def __init__(self, approvals: ApprovalStore, actions: GuardedActions, conversations: ConversationStore,
                 audit: AuditLog, connectors: dict[str, Connector | None]) -> None:
        self.approvals = approvals
        self.actions = actions
        self.conversations = conversations
        self.audit = audit
        self.connectors = connectors

    async def pending_for(self, agent: Agent) -> list[Approval]:
        return await self.approvals.pending(None if "*" in agent.tenants else agent.tenants)

    async def find(self, agent: Agent, ref: str) -> Approval:
        """A full id or the 8-character prefix the console shows, among what the agent may decide."""
        ref = ref.strip().strip("`")
        if len(ref) < 4:
            raise ApprovalError("Name the approval by its id (at least 4 characters), e.g. `/approve 1a2b3c4d`.")
        matches = [a for a in await self.approvals.starting_with(ref) if agent.serves(a.tenant)]
        if len(matches) != 1:
            raise ApprovalError(f"No approval matches `{ref}`." if not matches
                                else f"`{ref}` matches {len(matches)} approvals; give more of the id.")
        return matches[0]

    async def approve(self, approval_id: str, agent: Agent) -> Decided:
        approval = await self._decide(approval_id, agent, "approved", None)
        result = await self.actions.execute_approved(approval, self.connectors.get(approval.tenant), agent.email)
        if result.outcome == "failed":
            await self.approvals.reopen(approval.id)
            raise ApprovalError(f"Approved, but the company's system could not be reached ({result.reason}). "
                                "The approval is waiting again; try once more in a moment.")
        if result.outcome == "in_progress":
            return Decided(approval, result, None)
        key = {"done": "approval.approved_done", "submitted": "approval.approved_submitted"}.get(
            result.outcome, "approval.approved_refused")
        text = say(key, approval.language, what=approval.customer_summary, reference=result.reference or "—")
        return Decided(approval, result, await self._tell(approval, text))

    async def reject(self, approval_id: str, agent: Agent, note: str | None = None) -> Decided:
        note = " ".join((note or "").split())[:NOTE_LIMIT] or None
        approval = await self._decide(approval_id, agent, "rejected", note)
        text = say("approval.rejected", approval.language, what=approval.customer_summary)
        if note:
            text += " " + say("approval.note", approval.language, note=note)
        await self.actions.ledger.decline(approval.idempotency_key)
        return Decided(approval, None, await self._tell(approval, text))

    async def _decide(self, approval_id: str, agent: Agent, status: str, note: str | None) -> Approval:
        approval = await self.approvals.get(approval_id)
        if approval is None:
            raise ApprovalError(f"There is no approval `{approval_id[:8]}`.")
        if not agent.serves(approval.tenant):
            raise ApprovalError("That approval belongs to a company you don't serve.")
        if not await self.approvals.decide(approval.id, status, agent.email, note):
            current = await self.approvals.get(approval.id)
            who = f" by {current.decided_by}" if current and current.decided_by else ""
            raise ApprovalError(f"Approval `{approval.id[:8]}` was already {current.status if current else 'decided'}"
                                f"{who}; nothing was done twice.")
        await self.audit.record(agent.email, f"approval.{status}", tenant=approval.tenant,
                                subject=approval.conversation_id, policy_version=approval.policy_version,
                                outcome=status, detail={"approval": approval.id, "action": approval.action,
                                                        "amount": approval.amount, "note": note})
        log.info("approval %s %s by %s", approval.id, status, agent.email)
        return approval

    async def _tell(self, approval: Approval, text: str) -> Message | None:
        conversation = await self.conversations.get(ConversationId(approval.conversation_id))
        if conversation is None:  # the customer deleted the chat; the decision still stands
            return None
        message = Message(MessageId(new_id()), conversation.id, Role.ASSISTANT, ASSISTANT_AUTHOR, text,
                          metadata={"approval": approval.id})
        await self.conversations.add_message(message)
        return message
