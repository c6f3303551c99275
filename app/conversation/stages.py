"""The stages of a turn up to the decision: store the message, who owns it, guard the input,
triage, escalate, decide. Each takes the turn's state (app/conversation/turn.py), writes its part of the
state and of the decision trace, and says whether the turn goes on.

The stages after the decision (act, answer, hand over, compose, persist) are in
app/conversation/answer_stages.py; app/conversation/engine.py runs them in order.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from typing import Any

from app.actions.gate import ActionRequest, ActionResult, ActionScope, GuardedActions
from app.conversation.assistant import HISTORY_MESSAGES
from app.conversation.escalation import Escalation, Escalator
from app.conversation.flows.state import FlowOutcome
from app.conversation.policy import Action, Decision, decide
from app.conversation.turn import (
    ASSISTANT_AUTHOR,
    Act,
    HumanQueue,
    StageTimer,
    TenantRuntime,
    Turn,
    TurnOutcome,
    TurnState,
)
from app.core import clock as clocks
from app.core.cpu_lane import TURN_WORK
from app.core.domain import Conversation, Identity, Message, MessageId, Ownership, Role, new_id
from app.core.i18n import say
from app.core.language_data import languages
from app.core.trace import DecisionPart, GuardrailTrace, SignalTrace
from app.store import AuditLog, ConversationStore
from app.store.handoffs import HandoffStore
from app.understanding.signals import SECONDS_PER_CHAR as signals_cost_per_char
from app.understanding.signals import detect as detect_signals
from app.understanding.triage import read_words, triage
from guardrails import run_checks
from guardrails.injection import SECONDS_PER_CHAR as injection_cost_per_char
from guardrails.injection import no_injection
from guardrails.input import RateLimiter, max_length, not_empty, printable_text, storable_text
from knowledge.retrieval import Retriever

log = logging.getLogger(__name__)

STARTUP_TEXT = "Ignore this: my order BW-10234 of 3 May, 49,90 EUR, has a broken screen."
STORED_TEXT_LIMIT = 100_000  # what is kept of an oversized message (it is still refused)
CSAT_SCORES = frozenset("12345")


def compile_readers() -> None:
    """Build the patterns that read every message (injection, escalation signals; sentiment and
    entities in triage) now, at start-up, rather than in the first customer's turn: compiling
    them takes a few hundred milliseconds."""
    no_injection(STARTUP_TEXT)
    detect_signals(STARTUP_TEXT)
    read_words(STARTUP_TEXT, "en", date(2000, 1, 1), [], 0)


def handoff_decision(escalation: Escalation) -> Decision:
    return Decision(Action.HANDOFF, escalation.trigger, escalation.queue, escalation.reason, priority=escalation.rank)


def actor(actions: GuardedActions, state: TurnState) -> Act:
    """Writes for this turn, bound to the verified identity, the tenant's policy and the reply's language."""
    runtime = state.runtime
    scope = ActionScope(runtime.tenant.id, state.conversation.id, state.turn.identity, state.lang,
                        runtime.connector, runtime.tenant.action_policy)

    async def act(request: ActionRequest) -> ActionResult:
        return await actions.perform(scope, request)

    return act


def storable(turn: Turn) -> tuple[Turn, dict[str, Any]]:
    """The turn with text every stage can store and read (guardrails/input.py `storable_text`),
    and the message metadata that records what was replaced."""
    text, choice = storable_text(turn.text), storable_text(turn.choice) if turn.choice is not None else None
    replaced = text.replaced + (choice.replaced if choice is not None else 0)
    clean = replace(turn, text=text.text, choice=choice.text if choice is not None else None)
    return clean, {"replaced_characters": replaced} if replaced else {}


class StoreInput:
    """Stage 1: the customer's message is stored before anything can fail, so it is never lost."""

    def __init__(self, conversations: ConversationStore, tenants: dict[str, TenantRuntime],
                 clock: clocks.Clock) -> None:
        self.conversations = conversations
        self.tenants = tenants
        self.clock = clock

    async def open_conversation(self, conversation_id: str, identity: Identity) -> Conversation:
        runtime = self.tenants[identity.tenant]
        language = identity.locale if identity.locale in languages() else None
        return await self.conversations.ensure(
            conversation_id, identity, language=language or runtime.tenant.default_language)

    async def __call__(self, turn: Turn) -> TurnState:
        timer = StageTimer()
        turn, received = storable(turn)
        runtime = self.tenants[turn.identity.tenant]
        conversation = await self.open_conversation(turn.conversation_id, turn.identity)
        if received.get("replaced_characters"):
            log.info("message %s in %s: %d unencodable characters replaced", turn.message_id,
                     conversation.id, received["replaced_characters"])
        if len(turn.text) > STORED_TEXT_LIMIT:
            received["truncated"] = True
        incoming = Message(
            turn.message_id, conversation.id, Role.CUSTOMER,
            turn.identity.display_name or "Customer", turn.text[:STORED_TEXT_LIMIT],
            metadata={**turn.metadata, **received,
                      **({"choice": turn.choice} if turn.choice else {})})  # kept to answer it again
        await self.conversations.add_message(incoming)
        timer.mark("store_input")
        lang = conversation.language or runtime.tenant.default_language
        return TurnState(turn, runtime, conversation, incoming, lang, self.clock(), timer)


class CheckOwnership:
    """Stage 2: while a person owns the conversation the assistant stays silent: the message
    goes to the agent, or (queued) the customer now and then hears their place in line."""

    def __init__(self, conversations: ConversationStore, queue: HumanQueue, actions: GuardedActions,
                 clock: clocks.Clock) -> None:
        self.conversations = conversations
        self.queue = queue
        self.actions = actions
        self.clock = clock

    async def __call__(self, state: TurnState) -> TurnOutcome | None:
        """The turn's outcome when a person owns it; None: the assistant answers."""
        conversation, incoming = state.conversation, state.incoming
        if conversation.state is Ownership.HUMAN:
            return TurnOutcome(conversation, incoming, None, relay_to_agent=True)
        if conversation.state is not Ownership.QUEUED:
            return None
        transcript = await self.conversations.messages(conversation.id, limit=HISTORY_MESSAGES * 3)
        text = await self.queue.while_queued(conversation, incoming, transcript, state.lang,
                                             actor(self.actions, state), self.clock())
        reply = None
        if text is not None:
            message = Message(state.turn.reply_id or MessageId(new_id()), conversation.id, Role.ASSISTANT,
                              ASSISTANT_AUTHOR, text, metadata={"event": "handoff.waiting"})
            if await self.conversations.add_message_in_state(message, Ownership.QUEUED):
                reply = message
        fresh = await self.conversations.get(conversation.id)
        assert fresh is not None
        return TurnOutcome(fresh, incoming, reply, relay_to_agent=fresh.state is Ownership.HUMAN)


class RecordRating:
    """After a resolved handoff the customer was asked to rate it: a bare 1-5 is that rating."""

    def __init__(self, handoffs: HandoffStore, queue: HumanQueue) -> None:
        self.handoffs = handoffs
        self.queue = queue

    async def __call__(self, state: TurnState) -> bool:
        """True when the message was the rating (the reply is the thanks)."""
        score = (state.turn.choice or state.turn.text).strip()
        conversation = state.conversation
        if conversation.state is not Ownership.RESOLVED or score not in CSAT_SCORES:
            return False
        rated = await self.handoffs.answer_csat(conversation.id, int(score))
        if rated is None:
            return False
        await self.queue.emit(conversation.tenant, "csat.recorded", {
            "conversation_id": conversation.id, "agent": rated["agent"], "score": rated["score"]})
        state.text = say("csat.thanks", conversation.language)
        state.trace.decision = DecisionPart(action="csat")
        return True


class GuardInput:
    """Stage 3: empty, oversized, unprintable, too frequent or injected input is refused
    before any model or system sees it."""

    def __init__(self, audit: AuditLog, max_message_chars: int, rate_limiter: RateLimiter) -> None:
        self.audit = audit
        self.max_message_chars = max_message_chars
        self.rate_limiter = rate_limiter

    async def __call__(self, state: TurnState) -> bool:
        """True when the input is refused (the reply says why). The checks run in order and stop
        at the first refusal; the injection patterns, which read the whole message, run last
        and in the turn's CPU lane (app/core/cpu_lane.py)."""
        conversation, turn = state.conversation, state.turn
        blocked, verdicts = run_checks(
            [not_empty, max_length(self.max_message_chars), printable_text,
             lambda _text: self.rate_limiter.check(conversation.id, turn.identity.user_identifier)],
            turn.text)
        if blocked is None:
            injection = await TURN_WORK.run(no_injection, turn.text, cost=len(turn.text) * injection_cost_per_char)
            verdicts.append(injection)
            blocked = None if injection.allowed else injection
        state.timer.mark("guard_input")
        state.trace.guardrails = [GuardrailTrace.model_validate(v.as_trace()) for v in verdicts]
        if blocked is None:
            return False
        log.info("input refused in %s: %s (%s)", conversation.id, blocked.check, blocked.reason)
        if blocked.check == "prompt_injection":  # a security event, not just a bad message
            await self.audit.record("customer", "input.injection_refused", tenant=state.runtime.tenant.id,
                                    subject=conversation.id, outcome="refused",
                                    detail={"message_id": state.incoming.id, "reason": blocked.reason})
        state.text = say(blocked.reply_key or "error.generic", state.lang, limit=self.max_message_chars)
        state.trace.decision = DecisionPart(action="refuse_input", rule=blocked.check)
        return True


class Understand:
    """Stage 4, triage: language, intent, entities, sentiment and priority of the message. The
    verified customer's CRM tier is kept on the conversation, so the report splits spend by it."""

    def __init__(self, conversations: ConversationStore, clock: clocks.Clock, knowledge: Retriever) -> None:
        self.conversations = conversations
        self.clock = clock
        self.knowledge = knowledge

    async def __call__(self, state: TurnState) -> None:
        turn, runtime = state.turn, state.runtime
        state.history = [m for m in await self.conversations.messages(state.conversation.id,
                                                                      limit=HISTORY_MESSAGES + 1)
                         if m.id != state.incoming.id]  # read once: triage and the model both use it
        # the question (and a follow-up's context query) start embedding while triage reads the
        # language; a task in progress takes the answer, so its turns search nothing
        self.knowledge.warm(turn.text, state.conversation.language or runtime.tenant.default_language,
                            state.said_before if state.conversation.flow is None else ())
        state.understood = await triage(
            turn.text, classifier=runtime.classifier, connector=runtime.connector,
            conversations=self.conversations, identity=turn.identity, conversation=state.conversation,
            history=state.history, default_language=runtime.tenant.default_language, today=self.clock().date())
        customer = state.understood.customer
        tier = (customer.sla_tier or "").strip().lower() if customer is not None else ""
        if tier and tier != state.conversation.customer_tier:
            await self.conversations.record_tier(state.conversation.id, tier)
        state.timer.mark("triage")
        state.trace.understood(state.understood.as_trace())
        state.lang = state.understood.language.language


class Escalate:
    """Stage 5: the tenant's handoff policy, before anything is answered (incident, regulatory,
    high-value urgent, a person asked for, frustration) and after a task failed."""

    def __init__(self, escalator: Escalator, clock: clocks.Clock) -> None:
        self.escalator = escalator
        self.clock = clock

    async def __call__(self, state: TurnState) -> None:
        text = state.turn.text
        state.signals = await TURN_WORK.run(detect_signals, text, cost=len(text) * signals_cost_per_char)
        if state.signals:
            state.trace.signals = [SignalTrace.model_validate(signal.as_trace()) for signal in state.signals]
        state.now = self.clock()
        state.escalation = await self.escalator.before_answer(
            state.runtime.tenant.handoff_policy, state.triaged, state.signals, tenant=state.runtime.tenant.id,
            user=state.turn.identity.user_identifier, conversation_id=state.conversation.id, now=state.now)

    def after_failed_task(self, state: TurnState) -> None:
        """A failed attempt counts like an unanswered question."""
        if state.task is None or state.task.outcome != FlowOutcome.FAILED or state.escalation is not None:
            return
        state.updates["misses"] = state.conversation.misses + 1
        state.escalation = self.escalator.after_miss(state.runtime.tenant.handoff_policy, state.triaged, [],
                                                     misses=state.updates["misses"])
        if state.escalation is not None:
            state.decision = handoff_decision(state.escalation)


class Decide:
    """Stage 6: what to do with the message (app/conversation/policy.py); an escalation overrides it."""

    def __init__(self, tasks: dict[str, bool]) -> None:
        self.tasks = tasks

    def __call__(self, state: TurnState) -> None:
        state.decision = decide(state.triaged.intent, state.turn.identity, state.conversation,
                                state.runtime.tenant, self.tasks)
        if state.escalation is not None:
            state.decision = handoff_decision(state.escalation)
        state.updates["language"] = state.lang
