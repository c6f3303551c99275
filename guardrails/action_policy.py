"""The action policy: a tenant's limits on what the assistant may do, in versioned YAML.

    version: brightwave-2026.11.1
    actions:
      request_refund:
        requires_verified: true
        limits: {max_amount: 100, per_customer: {count: 2, days: 30}}
        approval: beyond_limits      # never | beyond_limits | always
        reversible: false
        reversal: "Finance can void a refund request before it is paid out."
        terms: {hardware_return_days: 30}

Beyond a limit an action waits for an agent's approval (`beyond_limits`), or is refused
(`never`: nobody may approve it in chat). An action the policy does not list is not
enabled. These rules are enforced here, outside any model, and every decision names the
policy version it was made under.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.config_file import load_config_file
from connectors.tools import WRITE_TOOLS


class Quota(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(ge=0, le=10_000)
    days: float = Field(gt=0, le=3660)


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_amount: float | None = Field(default=None, ge=0)
    per_customer: Quota | None = None
    per_conversation: Quota | None = None


class ActionRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    requires_verified: bool = True
    limits: Limits = Field(default_factory=Limits)
    approval: Literal["never", "beyond_limits", "always"] = "beyond_limits"
    reversible: bool = False
    reversal: str = ""  # how the action is undone, for the agent who approves it
    terms: dict[str, float | int | str] = Field(default_factory=dict)  # the terms the flow tells the customer


class ActionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(min_length=1, max_length=80)
    actions: dict[str, ActionRule] = Field(default_factory=dict)

    @field_validator("actions")
    @classmethod
    def _known_actions(cls, actions: dict[str, ActionRule]) -> dict[str, ActionRule]:
        unknown = sorted(set(actions) - set(WRITE_TOOLS))
        if unknown:
            raise ValueError(f"unknown action {', '.join(unknown)} (known: {', '.join(sorted(WRITE_TOOLS))})")
        for action, rule in actions.items():
            if WRITE_TOOLS[action].account and not rule.requires_verified:
                raise ValueError(f"{action} changes a customer's account, so requires_verified must be true")
        return actions

    def rule(self, action: str) -> ActionRule | None:
        rule = self.actions.get(action)
        return rule if rule is not None and rule.enabled else None

    def term(self, action: str, name: str, default: float) -> float:
        rule = self.actions.get(action)
        value = rule.terms.get(name, default) if rule else default
        return float(value) if isinstance(value, int | float) else default


# Without a policy file: account actions for verified customers, no limits, nothing to approve.
DEFAULT_POLICY = ActionPolicy(version="builtin-default-2026.11", actions={
    name: ActionRule(requires_verified=tool.account) for name, tool in WRITE_TOOLS.items()})


def load_action_policy(path: Path) -> ActionPolicy:
    """Read and validate a policy file; any problem is a ConfigError naming the file and the field."""
    return load_config_file(path, ActionPolicy, "Action policy file")


class Outcome(StrEnum):
    ALLOW = "allow"
    APPROVAL = "approval"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Ruling:
    outcome: Outcome
    rule: str  # which part of the policy decided
    reason: str  # for the agent and the audit log, in plain words
    policy_version: str


@dataclass(frozen=True)
class Usage:
    """How often this action already ran for this customer and in this conversation, within
    each quota's period (done or submitted, not refused)."""

    customer: int = 0
    conversation: int = 0


def rule_on(policy: ActionPolicy, action: str, *, verified: bool, amount: float | None, usage: Usage) -> Ruling:
    """Allow, hold for approval, or refuse one action request."""
    version = policy.version

    def ruling(outcome: Outcome, rule: str, reason: str) -> Ruling:
        return Ruling(outcome, rule, reason, version)

    rule = policy.rule(action)
    if rule is None:
        return ruling(Outcome.REFUSE, "not_enabled", f"{action} is not enabled for this company")
    if rule.requires_verified and not verified:
        return ruling(Outcome.REFUSE, "requires_verified", f"{action} needs a customer signed in on the site")
    beyond = _beyond_limits(rule.limits, amount, usage)
    if rule.approval == "always":
        return ruling(Outcome.APPROVAL, "approval_always", f"every {action} is approved by an agent"
                      + (f"; also {beyond[1]}" if beyond else ""))
    if beyond is None:
        return ruling(Outcome.ALLOW, "within_limits", "within the policy's limits")
    if rule.approval == "never":
        return ruling(Outcome.REFUSE, beyond[0], beyond[1])
    return ruling(Outcome.APPROVAL, beyond[0], beyond[1])


def _beyond_limits(limits: Limits, amount: float | None, usage: Usage) -> tuple[str, str] | None:
    if limits.max_amount is not None and amount is not None and amount > limits.max_amount:
        return "max_amount", f"the amount {amount:.2f} is above the limit of {limits.max_amount:.2f}"
    if limits.per_customer is not None and usage.customer >= limits.per_customer.count:
        quota = limits.per_customer
        return "per_customer", (f"this customer already had {usage.customer} in the last {quota.days:g} days "
                                f"(limit {quota.count})")
    if limits.per_conversation is not None and usage.conversation >= limits.per_conversation.count:
        quota = limits.per_conversation
        return "per_conversation", (f"this conversation already had {usage.conversation} in the last "
                                    f"{quota.days:g} days (limit {quota.count})")
    return None
