"""The decision trace: why the assistant answered a turn as it did, as typed parts.

The turn's stages (app/conversation/stages.py) each write their part; the store keeps the trace as
JSON next to the reply (`stored()`); the console, `frontline trace`, `frontline triage` and
the handoff packet read it back with `DecisionTrace.load`. Every part is optional: a refused
input stops before triage, and traces stored by older versions carry fewer keys.

Only the fields a stage set are stored (`exclude_unset`), so a value that is None on purpose
(no wait estimate, no incident) stays in the JSON as null, and an unset part stays out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

log = logging.getLogger(__name__)

__all__ = ["ActionTrace", "DecisionPart", "DecisionTrace", "EntitiesTrace", "GuardrailTrace", "HandoffTrace",
           "IntentTrace", "LanguageTrace", "LlmTrace", "PlacementTrace", "PriorityTrace", "RetrievalHit",
           "SentimentTrace", "SignalTrace", "TaskTrace", "TriageTrace", "VersionsTrace"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore")


class GuardrailTrace(_Part):
    check: str
    allowed: bool
    reason: str | None = None
    reply_key: str | None = None


class LanguageTrace(_Part):
    value: str | None = None  # the language the reply is written in
    detected: str | None = None  # None: too little text to detect
    confidence: float | None = None
    switched: bool = False


class IntentTrace(_Part):
    name: str | None = None
    confidence: float | None = None
    runners_up: list[tuple[str, float]] = []
    method: str | None = None
    out_of_scope: bool = False


class Amount(_Part):
    value: str
    currency: str | None = None


class EntitiesTrace(_Part):
    order_ids: list[str] = []
    invoice_ids: list[str] = []
    emails: list[str] = []  # redacted: "<email>" per address
    amounts: list[Amount] = []
    dates: list[str] = []


class SentimentTrace(_Part):
    score: float | None = None
    frustration: float | None = None
    signals: list[str] = []
    label: str | None = None


class PriorityTrace(_Part):
    score: int | None = None
    level: str | None = None
    parts: dict[str, int] = {}


class TriageTrace(_Part):
    """What triage understood (app/understanding/triage.py), before anything was decided."""

    language: LanguageTrace
    intent: IntentTrace
    entities: EntitiesTrace
    sentiment: SentimentTrace
    priority: PriorityTrace


class SignalTrace(_Part):
    kind: str
    phrase: str
    topic: str | None = None


class DecisionPart(_Part):
    action: str
    rule: str | None = None
    policy_version: str | None = None
    queue: str | None = None
    reason: str | None = None
    priority: int | None = None


class RetrievalHit(_Part):
    id: str
    doc: str
    rrf: float
    similarity: float


class LlmTrace(_Part):
    """The model's part: its usage, or why the turn was answered in grounded mode instead."""

    skipped: str | None = None  # not asked (the circuit breaker is open)
    error: str | None = None  # every model failed
    attempts: list[dict[str, Any]] | None = None
    partial: bool | None = None
    breaker: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    rounds: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    fallback_attempts: list[dict[str, Any]] | None = None
    tools: list[dict[str, Any]] | None = None


class TaskTrace(_Part):
    outcome: str
    flow: str | None = None
    awaiting: str | None = None
    slots: list[str] = []


class ActionTrace(BaseModel):
    """One connector call or write of a task; the detail beyond these fields varies by tool."""

    model_config = ConfigDict(extra="allow")

    tool: str | None = None
    outcome: str | None = None
    target: str | int | None = None
    order_ids: list[str] | None = None
    approval: str | None = None
    replayed: bool | None = None


class PlacementTrace(_Part):
    queue: str
    level: str
    due_at: str | None = None
    open_now: bool | None = None
    agents_online: int | None = None
    ahead: int | None = None
    wait_minutes: int | None = None  # None: nobody can take it now


class HandoffTrace(PlacementTrace):
    trigger: str | None = None
    policy_version: str | None = None
    follow_up: dict[str, str] | None = None
    incident: str | None = None


class VersionsTrace(_Part):
    """Content hashes (app/core/versions.py) of the files in effect when the turn was decided;
    `frontline versions` reads them back. A built-in default is named by its declared version."""

    prompt: str | None = None  # LLM mode only: the system prompt file
    intents: str | None = None
    actions: str | None = None  # the action policy
    handoff: str | None = None  # the handoff policy
    knowledge: str | None = None  # the help-center folders the index was synced from at start-up


class DecisionTrace(_Part):
    """One assistant turn's trace, as stored with its reply."""

    guardrails: list[GuardrailTrace] | None = None
    language: LanguageTrace | None = None
    intent: IntentTrace | None = None
    entities: EntitiesTrace | None = None
    sentiment: SentimentTrace | None = None
    priority: PriorityTrace | None = None
    signals: list[SignalTrace] | None = None
    retrieval: list[RetrievalHit] | None = None
    retrieval_dropped: list[str] | None = None  # passages never used: they read as a prompt injection
    llm: LlmTrace | None = None
    task: TaskTrace | None = None
    actions: list[ActionTrace] | None = None
    handoff: HandoffTrace | None = None
    decision: DecisionPart | None = None
    latency_ms: dict[str, float] | float | None = None  # per stage; one number in older traces
    mode: str | None = None  # "llm" or "grounded"
    versions: VersionsTrace | None = None

    def understood(self, triage: TriageTrace) -> None:
        """Take triage's parts."""
        self.language, self.intent, self.entities = triage.language, triage.intent, triage.entities
        self.sentiment, self.priority = triage.sentiment, triage.priority

    def stored(self) -> dict[str, Any]:
        """The JSON object the store keeps: only what a stage set."""
        return self.model_dump(mode="json", exclude_unset=True)

    @classmethod
    def load(cls, raw: Mapping[str, Any] | None) -> DecisionTrace:
        """A stored trace, whatever its age: a part that no longer reads is left out (and logged)
        rather than hiding the rest of the trace."""
        data = dict(raw or {})
        while True:
            try:
                return cls.model_validate(data)
            except ValidationError as exc:
                broken = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
                if not broken & set(data):
                    raise
                log.warning("decision trace parts unreadable, left out: %s", ", ".join(sorted(broken)))
                data = {key: value for key, value in data.items() if key not in broken}
