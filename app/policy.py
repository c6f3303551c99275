"""Policy: given triage, decide what the assistant does with a turn.

Decisions carry the id of the rule that made them and the policy version, so every trace
says why the assistant acted. Per-tenant YAML rules will replace the built-in set; the
built-ins below are the defaults every tenant starts with.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.domain import Conversation, Identity
from app.intents import IntentResult
from app.tenants import Tenant

POLICY_VERSION = "builtin-2026.11"


class Action(StrEnum):
    ANSWER = "answer"  # search the knowledge base and quote it
    ORDER_STATUS = "order_status"
    SIGN_IN = "ask_sign_in"
    HANDOFF = "handoff"
    SMALLTALK = "smalltalk"


@dataclass(frozen=True)
class Decision:
    action: Action
    rule: str
    queue: str | None = None
    reason: str = ""
    priority: int = 0

    def as_trace(self) -> dict[str, object]:
        return {"action": self.action.value, "rule": self.rule, "policy_version": POLICY_VERSION,
                "queue": self.queue, "reason": self.reason, "priority": self.priority}


SMALLTALK = {"greeting", "thanks", "goodbye"}


def decide(intent: IntentResult, identity: Identity, conversation: Conversation,
           tenant: Tenant) -> Decision:
    if intent.name == "human_handoff":
        return Decision(Action.HANDOFF, "customer_asked_for_human", tenant.escalation.queue,
                        "The customer asked for a person.", priority=2)
    if intent.name == "order_status":
        if not identity.verified:
            return Decision(Action.SIGN_IN, "account_data_needs_verified_customer")
        return Decision(Action.ORDER_STATUS, "order_status_for_verified_customer")
    if intent.name in SMALLTALK:
        return Decision(Action.SMALLTALK, f"smalltalk_{intent.name}")
    return Decision(Action.ANSWER, "answer_from_knowledge_base")


def after_miss(conversation: Conversation, tenant: Tenant) -> Decision | None:
    """Escalate when the knowledge base has failed the customer `max_misses` times in a row."""
    if conversation.misses + 1 >= tenant.escalation.max_misses:
        return Decision(Action.HANDOFF, "repeated_no_answer", tenant.escalation.queue,
                        f"No help-center answer found {conversation.misses + 1} times in a row.",
                        priority=1)
    return None
