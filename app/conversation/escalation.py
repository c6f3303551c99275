"""Escalation triggers: when a turn must go to a person, to which queue, and how urgently.

Each trigger of the tenant's handoff policy (app/config/handoff_policy.py) is checked in a fixed
order of precedence, so a message that is both a legal threat and angry goes to
compliance, not to the general queue:

    incident → regulatory → high_value_urgent → human_request → frustration
    (before answering)
    technical_fault → repeated_failure (after the help center had no answer)

The priority is the trigger's level or the conversation's own triage level, whichever is
higher. Every escalation names its trigger and the policy version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.config.handoff_policy import HandoffPolicy, Level, level_of, rank
from app.store.handoffs import HandoffStore, IncidentRecord
from app.understanding.signals import REGULATORY, Signal
from app.understanding.triage import Triage

# Sentiment signals that show anger (app/understanding/sentiment.py). "threat_to_leave" and "repetition" raise
# the priority, but on their own they are a customer saying what they want, which a task handles.
AFFECT = frozenset({"negative_words", "profanity", "all_caps", "exclamations", "repeated_failures", "legal_threat"})
_KIND_NAMES = {"data_deletion": "a request to delete personal data", "legal_threat": "legal or regulator language",
               "accessibility": "an accessibility complaint"}


@dataclass(frozen=True)
class Escalation:
    trigger: str
    queue: str
    level: Level
    reason: str
    incident: IncidentRecord | None = None

    @property
    def rank(self) -> int:
        return rank(self.level)


class Escalator:
    """Applies one tenant's handoff policy to a triaged turn."""

    def __init__(self, store: HandoffStore) -> None:
        self.store = store

    async def before_answer(self, policy: HandoffPolicy, understood: Triage, signals: list[Signal], *,
                            tenant: str, user: str, conversation_id: str, now: datetime) -> Escalation | None:
        triggers = policy.triggers
        fault = next((s for s in signals if s.kind == "technical_fault"), None)
        if fault is not None and fault.topic and fault.topic != "general" and triggers.incident.enabled:
            incident = await self.store.report_issue(
                tenant, fault.topic, user, conversation_id, customers=triggers.incident.customers,
                window_minutes=triggers.incident.window_minutes, now=now)
            if incident is not None:
                return self._make("incident", triggers.incident.queue, triggers.incident.priority, understood,
                                  f"{incident.customers} customers reported the same problem ({incident.topic}) "
                                  f"within {triggers.incident.window_minutes:g} minutes: incident open.", incident)
        regulatory = [s for s in signals if s.kind in REGULATORY]
        if regulatory and triggers.regulatory.enabled:
            found = "; ".join(f"{_KIND_NAMES[s.kind]} (“{s.phrase}”)" for s in regulatory)
            return self._make("regulatory", triggers.regulatory.queue, triggers.regulatory.priority, understood,
                              f"Compliance review: {found}.")
        vip = triggers.high_value_urgent
        customer = understood.customer
        if (vip.enabled and customer is not None
                and rank(understood.priority.level) >= rank(vip.urgency)
                and (not vip.intents or understood.intent.name in vip.intents)
                and (customer.annual_contract_value >= vip.min_contract_value
                     or customer.sla_tier.lower() in {t.lower() for t in vip.sla_tiers})):
            parts = ", ".join(f"{k} {v}" for k, v in understood.priority.parts.items() if v)
            return self._make("high_value_urgent", vip.queue, vip.priority, understood,
                              f"High-value account ({customer.plan}, ${customer.annual_contract_value:,.0f}/year, "
                              f"{customer.sla_tier} SLA) with an urgent issue (priority "
                              f"{understood.priority.score}: {parts}).")
        if understood.intent.name == "human_handoff" and triggers.human_request.enabled:
            return self._make("human_request", triggers.human_request.queue, triggers.human_request.priority,
                              understood, "The customer asked for a person.")
        mood = understood.sentiment
        upset = set(mood.signals) & AFFECT  # wanting to cancel, or asking again, is not anger by itself
        if triggers.frustration.enabled and mood.frustration >= triggers.frustration.threshold and upset:
            signals_text = ", ".join(mood.signals) or "strong negative language"
            return self._make("frustration", triggers.frustration.queue, triggers.frustration.priority, understood,
                              f"The customer is very frustrated ({mood.frustration:.2f}: {signals_text}).")
        return None

    def after_miss(self, policy: HandoffPolicy, understood: Triage, signals: list[Signal], *,
                   misses: int) -> Escalation | None:
        """The help center had no answer (or a task failed): `misses` counts this one."""
        triggers = policy.triggers
        fault = next((s for s in signals if s.kind == "technical_fault"), None)
        if fault is not None and triggers.technical_fault.enabled:
            return self._make("technical_fault", triggers.technical_fault.queue, triggers.technical_fault.priority,
                              understood, f"Technical problem the help center does not cover: “{fault.phrase}”"
                              + (f" ({fault.topic})." if fault.topic else "."))
        failure = triggers.repeated_failure
        if failure.enabled and misses >= failure.after:
            return self._make("repeated_failure", failure.queue, failure.priority, understood,
                              f"No answer or a failed attempt {misses} times in a row.")
        return None

    @staticmethod
    def _make(trigger: str, queue: str, level: Level, understood: Triage | None, reason: str,
              incident: IncidentRecord | None = None) -> Escalation:
        own = rank(understood.priority.level) if understood is not None else 0
        return Escalation(trigger, queue, level_of(max(rank(level), own)), reason, incident)

    @staticmethod
    def requested_by_model(policy: HandoffPolicy, understood: Triage, reason: str) -> Escalation:
        """The model (LLM mode) decided a person should take over: the human-request route."""
        trigger = policy.triggers.human_request
        return Escalator._make("model_requested_handoff", trigger.queue, trigger.priority, understood, reason)

    @staticmethod
    def unsolved_follow_up(policy: HandoffPolicy, understood: Triage, reason: str) -> Escalation:
        """The customer said an automated answer did not solve it: the route of a customer who
        asks for a person, at the priority the customer's message triages to."""
        trigger = policy.triggers.human_request
        return Escalator._make("follow_up_unsolved", trigger.queue, trigger.priority, understood, reason)
