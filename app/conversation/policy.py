"""Policy: given triage, decide what the assistant does with a turn.

Decisions carry the id of the rule that made them and the policy version, so every trace
says why the assistant acted. The built-ins below are the defaults every tenant starts
with; tasks that read or change an account are only for customers verified by the site.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from app.config.tenants import Tenant
from app.core.domain import Conversation, Identity
from app.core.trace import DecisionPart
from app.understanding.intents import IntentResult

# .4: escalations (which queue, how urgent) come from the tenant's handoff policy (app/conversation/escalation.py)
# .5: a task only about as likely as a help-center question is answered first, not started
POLICY_VERSION = "builtin-2026.12.5"


class Action(StrEnum):
    ANSWER = "answer"  # search the knowledge base and quote it
    TASK = "task"  # run (start or continue) a task flow: app/conversation/flows
    CLARIFY = "clarify"  # ask which of several tasks the customer means
    SIGN_IN = "ask_sign_in"
    HANDOFF = "handoff"  # decided by the tenant's handoff policy (app/conversation/escalation.py), not here
    SMALLTALK = "smalltalk"


@dataclass(frozen=True)
class Decision:
    action: Action
    rule: str
    queue: str | None = None
    reason: str = ""
    priority: int = 0

    def as_trace(self) -> DecisionPart:
        return DecisionPart(action=self.action.value, rule=self.rule, policy_version=POLICY_VERSION,
                            queue=self.queue, reason=self.reason, priority=self.priority)


SMALLTALK = {"greeting", "thanks", "goodbye", "bot_identity"}  # bot_identity: "are you a bot?" (a rule)
# task -> whether it needs a customer verified by the site's token (the built-in flows)
BUILTIN_TASKS: Mapping[str, bool] = {
    "order_status": True, "cancellation": True, "address_change": True, "invoice_copy": True,
    "refund_request": True, "password_reset": False,
}
AMBIGUOUS_MARGIN = 0.15  # two tasks closer than this in probability: ask which one
CLARIFY_FLOOR = 0.35  # a task this likely is worth offering when the help center has no answer


def decide(intent: IntentResult, identity: Identity, conversation: Conversation,
           tenant: Tenant, tasks: Mapping[str, bool] = BUILTIN_TASKS) -> Decision:
    if intent.name in tasks:
        close = [name for name, p in intent.runners_up[:1] if intent.confidence - p < AMBIGUOUS_MARGIN]
        if close and close[0] not in tasks and close[0] not in SMALLTALK:
            # As likely a question as a request ("can I pause my subscription?" next to
            # cancellation): the article answers the question, and the customer can still ask
            # for the task; starting it would offer a write nobody asked for. With no article,
            # the engine asks which task was meant (task_candidates).
            return Decision(Action.ANSWER, "question_or_task_answer_first",
                            reason=f"{intent.name} and {close[0]} are about equally likely.")
        rivals = [name for name in close if name in tasks]
        if rivals and not identity.verified and tasks[intent.name] and tasks[rivals[0]]:
            return Decision(Action.SIGN_IN, "account_data_needs_verified_customer",
                            reason=f"{intent.name} or {rivals[0]}: both need a signed-in customer.")
        if rivals:
            return Decision(Action.CLARIFY, "ambiguous_task",
                            reason=f"{intent.name} and {rivals[0]} are about equally likely.")
        if tasks[intent.name] and not identity.verified:
            return Decision(Action.SIGN_IN, "account_data_needs_verified_customer")
        return Decision(Action.TASK, f"task_{intent.name}")
    if intent.name in SMALLTALK:
        return Decision(Action.SMALLTALK, f"smalltalk_{intent.name}")
    return Decision(Action.ANSWER, "answer_from_knowledge_base")


def task_candidates(intent: IntentResult, tasks: Mapping[str, bool] = BUILTIN_TASKS) -> list[str]:
    """Tasks the message may be about, most likely first (for a clarifying question)."""
    if intent.out_of_scope:
        return []
    ranked = ([(intent.name, intent.confidence)] if intent.name else []) + list(intent.runners_up)
    return [name for name, p in ranked if name in tasks and p >= CLARIFY_FLOOR][:3]
