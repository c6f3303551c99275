"""The vocabulary of one customer turn: what comes in, what goes out, and what the stages
share on the way (app/conversation/stages.py, app/conversation/answer_stages.py; app/conversation/engine.py runs them).

The human queue is reached through `HumanQueue`, a seam the handoff side implements
(app/handoff/intake.py), so the conversation layer never imports it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from app.actions.gate import Act
from app.config.handoff_policy import HandoffPolicy
from app.config.tenants import Tenant
from app.conversation.escalation import Escalation
from app.conversation.flows import Choice, FlowReply, FlowState
from app.conversation.policy import Decision
from app.core.domain import Citation, Conversation, ConversationId, Identity, Message, MessageId, Role
from app.core.trace import DecisionTrace, HandoffTrace
from app.llm.client import LLMClient
from app.store.handoffs import HandoffRequest
from app.understanding.intents import IntentClassifier
from app.understanding.signals import Signal
from app.understanding.triage import Triage
from connectors.base import Connector, Customer

EventSink = Callable[[str, str, dict[str, Any]], Awaitable[None]]  # tenant, event, payload: the webhooks
ASSISTANT_AUTHOR = "Assistant"


@dataclass(frozen=True)
class Turn:
    conversation_id: ConversationId
    message_id: MessageId
    identity: Identity
    text: str
    reply_id: MessageId | None = None  # the id the UI already shows a streamed answer under
    choice: str | None = None  # the value of the quick reply the customer clicked (text is its label)
    metadata: dict[str, Any] = field(default_factory=dict)  # kept with the stored message (a mail's subject ...)


@dataclass(frozen=True)
class TurnOutcome:
    conversation: Conversation
    incoming: Message  # the customer's message as stored
    reply: Message | None  # None: the assistant stays silent (a human owns the conversation)
    citations: tuple[Citation, ...] = ()
    relay_to_agent: bool = False  # the customer's message must reach the assigned agent
    queued: bool = False  # this turn put the conversation in the human queue
    choices: tuple[Choice, ...] = ()  # quick replies offered with the reply (a task's question)
    approvals: tuple[str, ...] = ()  # actions this turn held for an agent's approval (announce them)


@dataclass
class TenantRuntime:
    """Everything the engine uses for one tenant."""

    tenant: Tenant
    classifier: IntentClassifier
    connector: Connector | None
    llm: LLMClient | None = None
    versions: dict[str, str] = field(default_factory=dict)  # app/config/tenants.py tenant_versions


class Handover(Protocol):
    """A conversation placed in the human queue: what the customer hears, and the request the
    reply commits with."""

    @property
    def request(self) -> HandoffRequest: ...
    @property
    def text(self) -> str: ...  # said after the reply's own opening
    @property
    def follow_up(self) -> dict[str, str] | None: ...
    @property
    def trace(self) -> HandoffTrace: ...


class HumanQueue(Protocol):
    """The handoff side, as a turn sees it (app/handoff/intake.py implements it)."""

    async def take(self, escalation: Escalation, *, policy: HandoffPolicy, conversation: Conversation,
                   transcript: list[Message], email: str | None, lang: str, act: Act, now: datetime) -> Handover:
        """Place the conversation in its queue and say what happens next."""
        ...

    async def record(self, conversation: Conversation, handover: Handover, escalation: Escalation,
                     customer: Customer | None) -> None:
        """After the handoff is committed: its packet, audit events and webhooks."""
        ...

    async def while_queued(self, conversation: Conversation, incoming: Message, transcript: list[Message],
                           lang: str, act: Act, now: datetime) -> str | None:
        """What to tell a customer who writes while waiting, or None."""
        ...

    async def emit(self, tenant: str, event: str, payload: dict[str, Any]) -> None: ...


@dataclass
class StageTimer:
    """Milliseconds spent in each stage, for the trace."""

    started: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.marks[stage] = round((now - self.started) * 1000 - sum(self.marks.values()), 2)


@dataclass
class TurnState:
    """One turn in progress: what the stages learned and decided so far, and the reply taking shape."""

    turn: Turn
    runtime: TenantRuntime
    conversation: Conversation
    incoming: Message  # the customer's message, stored
    lang: str  # the language the reply is written in (triage may switch it)
    now: datetime  # when the turn is decided (its SLA clock starts here)
    timer: StageTimer
    trace: DecisionTrace = field(default_factory=DecisionTrace)
    history: list[Message] = field(default_factory=list)  # before this message, oldest first
    understood: Triage | None = None
    signals: list[Signal] = field(default_factory=list)
    escalation: Escalation | None = None
    decision: Decision | None = None
    pending: FlowState | None = None  # the task that was waiting for this message
    task: FlowReply | None = None  # what a task flow said this turn
    text: str = ""
    citations: tuple[Citation, ...] = ()
    updates: dict[str, Any] = field(default_factory=dict)  # conversation columns saved with the reply
    handover: Handover | None = None
    event: str | None = None  # the reply's metadata `event` (e.g. "follow_up.answered")
    choices: tuple[Choice, ...] = ()  # quick replies a stage other than a task offers with the reply
    reply_metadata: dict[str, Any] = field(default_factory=dict)  # more of the reply's metadata (an incident id)

    @property
    def said_before(self) -> list[str]:
        """The customer's earlier messages in this conversation, oldest first: a follow-up ("and
        if I'm abroad?") is searched with them (knowledge/context.py)."""
        return [m.content for m in self.history if m.role is Role.CUSTOMER and m.content.strip()]

    @property
    def triaged(self) -> Triage:
        assert self.understood is not None, "triage runs before this stage"
        return self.understood

    @property
    def decided(self) -> Decision:
        assert self.decision is not None, "decide runs before this stage"
        return self.decision
