"""The conversation engine: one customer turn, from raw text to a persisted reply.

    store the message → who owns it? → guard input → triage → decide → answer/act
    → re-check ownership and persist reply + decision trace in one transaction

The engine knows nothing about Chainlit: it takes a Turn and returns a TurnOutcome that
the UI layer delivers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from app import clock as clocks
from app.actions import ActionRequest, ActionResult, ActionScope, GuardedActions
from app.assistant import HISTORY_MESSAGES, LLMAnswer, LLMAssistant
from app.domain import (
    Citation,
    Conversation,
    ConversationId,
    Identity,
    Message,
    MessageId,
    Ownership,
    Role,
    new_id,
)
from app.escalation import Escalation, Escalator
from app.escalation_signals import detect as detect_signals
from app.flows import Choice, FlowContext, FlowReply, FlowState, default_runner
from app.grounded import kb_answer, screened
from app.i18n import say
from app.intake import HandoffIntake
from app.intents import IntentClassifier
from app.llm import LLMClient, ProviderError, TokenSink
from app.policy import Action, Decision, decide, task_candidates
from app.queues import AgentsOnline
from app.store import AuditLog, ConversationStore, UsageStore
from app.store.handoffs import HandoffRequest, HandoffStore
from app.tenants import Tenant
from app.triage import triage
from connectors.base import Connector
from connectors.tools import WRITE_TOOLS
from guardrails import run_checks
from guardrails.actions import verified_customer
from guardrails.injection import no_injection
from guardrails.input import RateLimiter, max_length, not_empty, printable_text, storable_text
from knowledge.index import KnowledgeIndex

log = logging.getLogger(__name__)

EventSink = Callable[[str, str, dict[str, Any]], Awaitable[None]]  # tenant, event, payload: the webhooks
CSAT_SCORES = frozenset("12345")


def _handoff_decision(escalation: Escalation) -> Decision:
    return Decision(Action.HANDOFF, escalation.trigger, escalation.queue, escalation.reason, priority=escalation.rank)

ASSISTANT_AUTHOR = "Assistant"
STORED_TEXT_LIMIT = 100_000  # what is kept of an oversized message (it is still refused)


@dataclass(frozen=True)
class Turn:
    conversation_id: ConversationId
    message_id: MessageId
    identity: Identity
    text: str
    reply_id: MessageId | None = None  # the id the UI already shows a streamed answer under
    choice: str | None = None  # the value of the quick reply the customer clicked (text is its label)


def _storable(turn: Turn) -> tuple[Turn, dict[str, Any]]:
    """The turn with text every stage can store and read (guardrails/input.py `storable_text`),
    and the message metadata that records what was replaced."""
    text, choice = storable_text(turn.text), storable_text(turn.choice) if turn.choice is not None else None
    replaced = text.replaced + (choice.replaced if choice is not None else 0)
    clean = replace(turn, text=text.text, choice=choice.text if choice is not None else None)
    return clean, {"replaced_characters": replaced} if replaced else {}


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


@dataclass
class _Stages:
    started: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.marks[stage] = round((now - self.started) * 1000 - sum(self.marks.values()), 2)


class Engine:
    def __init__(self, conversations: ConversationStore, knowledge: KnowledgeIndex,
                 tenants: dict[str, TenantRuntime], audit: AuditLog, usage: UsageStore, actions: GuardedActions, *,
                 max_message_chars: int = 4000, rate_limiter: RateLimiter | None = None,
                 handoffs: HandoffStore | None = None, agents_online: AgentsOnline = lambda _tenant: 0,
                 events: EventSink | None = None, clock: clocks.Clock = clocks.now) -> None:
        self.conversations = conversations
        self.handoffs = handoffs or HandoffStore(conversations.db)
        self.escalator = Escalator(self.handoffs)
        self.intake = HandoffIntake(self.handoffs, agents_online, conversations, audit, events)
        self.events = events
        self.clock = clock
        self.knowledge = knowledge
        self.tenants = tenants
        self.audit = audit
        self.actions = actions
        self.usage = usage
        self.assistant = LLMAssistant(knowledge, audit)
        self.flows = default_runner()
        self.max_message_chars = max_message_chars
        self.rate_limiter = rate_limiter or RateLimiter()

    async def open_conversation(self, conversation_id: str, identity: Identity) -> Conversation:
        runtime = self.tenants[identity.tenant]
        language = identity.locale if identity.locale in ("en", "es", "de", "fr") else None
        return await self.conversations.ensure(
            conversation_id, identity, language=language or runtime.tenant.default_language)

    async def handle(self, turn: Turn, on_token: TokenSink | None = None) -> TurnOutcome:
        """One turn. `on_token` receives the answer's text as a model streams it (LLM mode);
        the returned reply is authoritative and may differ if the model failed midway."""
        stages = _Stages()
        turn, received = _storable(turn)
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
            metadata={**received, **({"choice": turn.choice} if turn.choice else {})})  # kept to answer it again
        await self.conversations.add_message(incoming)
        stages.mark("store_input")
        if conversation.state is Ownership.HUMAN:
            return TurnOutcome(conversation, incoming, None, relay_to_agent=True)
        if conversation.state is Ownership.QUEUED:
            return await self._while_queued(runtime, conversation, incoming, turn)
        score = (turn.choice or turn.text).strip()
        if conversation.state is Ownership.RESOLVED and score in CSAT_SCORES:
            rated = await self.handoffs.answer_csat(conversation.id, int(score))
            if rated is not None:
                await self.intake.emit(conversation.tenant, "csat.recorded", {
                    "conversation_id": conversation.id, "agent": rated["agent"], "score": rated["score"]})
                text = say("csat.thanks", conversation.language)
                return await self._reply(conversation, incoming, text, {"decision": {"action": "csat"}}, stages,
                                         updates={}, reply_id=turn.reply_id)

        lang = conversation.language or runtime.tenant.default_language
        blocked, verdicts = run_checks(
            [not_empty, max_length(self.max_message_chars), printable_text,
             lambda _text: self.rate_limiter.check(conversation.id, turn.identity.user_identifier), no_injection],
            turn.text)
        stages.mark("guard_input")
        trace: dict[str, Any] = {"guardrails": [v.as_trace() for v in verdicts]}
        if blocked is not None:
            log.info("input refused in %s: %s (%s)", conversation.id, blocked.check, blocked.reason)
            if blocked.check == "prompt_injection":  # a security event, not just a bad message
                await self.audit.record("customer", "input.injection_refused", tenant=runtime.tenant.id,
                                        subject=conversation.id, outcome="refused",
                                        detail={"message_id": incoming.id, "reason": blocked.reason})
            text = say(blocked.reply_key or "error.generic", lang, limit=self.max_message_chars)
            trace["decision"] = {"action": "refuse_input", "rule": blocked.check}
            return await self._reply(conversation, incoming, text, trace, stages, updates={},
                                     reply_id=turn.reply_id)

        history = [m for m in await self.conversations.messages(conversation.id, limit=HISTORY_MESSAGES + 1)
                   if m.id != incoming.id]  # read once: triage and the model both use it
        understood = await triage(
            turn.text, classifier=runtime.classifier, connector=runtime.connector,
            conversations=self.conversations, identity=turn.identity, conversation=conversation,
            history=history, default_language=runtime.tenant.default_language, today=self.clock().date())
        stages.mark("triage")
        trace.update(understood.as_trace())
        lang, intent, entities = understood.language.language, understood.intent, understood.entities
        signals = detect_signals(turn.text)
        if signals:
            trace["signals"] = [signal.as_trace() for signal in signals]
        policy, now = runtime.tenant.handoff_policy, self.clock()
        escalation = await self.escalator.before_answer(
            policy, understood, signals, tenant=runtime.tenant.id, user=turn.identity.user_identifier,
            conversation_id=conversation.id, now=now)
        decision = decide(intent, turn.identity, conversation, runtime.tenant, self.flows.tasks)
        if escalation is not None:
            decision = _handoff_decision(escalation)
        updates: dict[str, Any] = {"language": lang}
        citations: tuple[Citation, ...] = ()
        act = self._actor(runtime, conversation.id, turn.identity, lang)
        ctx = FlowContext(runtime.connector, turn.identity, conversation.id, lang, turn.text, entities, now.date(),
                          turn.choice, act, runtime.tenant.action_policy)

        task = None
        pending = FlowState.load(conversation.flow)
        if pending is not None and decision.action is not Action.HANDOFF:
            task = await self.flows.resume(pending, ctx, intent)  # None: the customer moved on
            if task is not None:
                decision = Decision(Action.TASK, f"continue_{pending.name}")
        if task is None and decision.action is Action.TASK and intent.name:
            task = await self.flows.start(intent.name, ctx)
        elif task is None and decision.action is Action.CLARIFY:
            task = self.flows.clarify(task_candidates(intent, self.flows.tasks), ctx)

        llm_answer = None
        if task is None and decision.action is Action.ANSWER and runtime.llm is not None:
            llm_answer = await self._llm_answer(turn, runtime, conversation, history, lang, trace, on_token)
            stages.mark("llm")
        if task is not None:
            text = await self._record_task(task, runtime, conversation, trace)
            stages.mark("act")
        elif llm_answer is not None:
            text, citations = llm_answer.text, llm_answer.citations
            updates["misses"] = 0
            if llm_answer.handoff_reason:
                escalation = Escalator.requested_by_model(policy, understood, llm_answer.handoff_reason)
                decision = _handoff_decision(escalation)
        elif decision.action is Action.ANSWER:
            hits, dropped = screened(await self.knowledge.search(runtime.tenant.id, turn.text, limit=5,
                                                                 language=lang))
            stages.mark("retrieve")
            if dropped:
                trace["retrieval_dropped"] = dropped
            trace["retrieval"] = [{"id": h.point_id, "doc": h.doc_id, "rrf": round(h.score, 5),
                                   "similarity": round(h.similarity, 4)} for h in hits]
            floor = runtime.tenant.knowledge.min_score
            good = [h for h in hits if h.similarity >= (h.floor if floor is None else floor)]
            candidates = task_candidates(intent, self.flows.tasks)
            if good:
                text, citations = kb_answer(good, lang)
                updates["misses"] = 0
            elif candidates:  # no article, but it may be a task: ask rather than fail
                decision = Decision(Action.CLARIFY, "no_answer_but_maybe_a_task",
                                    reason=f"Possible tasks: {', '.join(candidates)}.")
                task = self.flows.clarify(candidates, ctx)
                text = await self._record_task(task, runtime, conversation, trace)
            else:
                updates["misses"] = conversation.misses + 1
                escalation = self.escalator.after_miss(policy, understood, signals, misses=updates["misses"])
                if escalation is None:
                    text = say("kb.no_answer", lang)
                else:
                    decision = _handoff_decision(escalation)
                    text = say("handoff.after_misses", lang)
        elif decision.action is Action.SIGN_IN:
            verdict = verified_customer(turn.identity)
            trace["guardrails"].append(verdict.as_trace())
            text = say(verdict.reply_key or "account.sign_in_needed", lang)
        elif decision.action is Action.HANDOFF:
            text = ""
        else:
            text = say(f"smalltalk.{intent.name}", lang)
        if task is not None and task.outcome == "failed" and escalation is None:
            updates["misses"] = conversation.misses + 1  # a failed attempt counts like an unanswered question
            escalation = self.escalator.after_miss(policy, understood, [], misses=updates["misses"])
            if escalation is not None:
                decision = _handoff_decision(escalation)

        intake = None
        if escalation is not None and decision.action is Action.HANDOFF:
            transcript = [*history, incoming]
            email = (understood.customer.email if understood.customer is not None
                     else (entities.emails[0] if entities.emails else None))
            intake = await self.intake.take(escalation, policy=policy, conversation=conversation,
                                            transcript=transcript, email=email, lang=lang, act=act, now=now)
            text = " ".join(part for part in (text, intake.text) if part)
            trace["handoff"] = {**intake.placement.as_trace(), "trigger": escalation.trigger,
                                "policy_version": policy.version, "follow_up": intake.follow_up,
                                "incident": escalation.incident.id if escalation.incident else None}

        if pending is not None or task is not None:
            updates["flow"] = task.state.dump() if task is not None and task.state is not None else None
        trace["decision"] = decision.as_trace()
        held = tuple(str(a["approval"]) for a in (task.actions if task is not None else ())
                     if a.get("outcome") == "pending_approval" and not a.get("replayed") and a.get("approval"))
        outcome = await self._reply(conversation, incoming, text, trace, stages, updates=updates,
                                    decision=decision, citations=citations, reply_id=turn.reply_id,
                                    choices=task.choices if task is not None else (), approvals=held,
                                    handoff=intake.request if intake is not None else None)
        if outcome.queued and intake is not None and escalation is not None:
            await self.intake.record(outcome.conversation, intake, escalation, understood.customer)
        return outcome

    async def answer_stored(self, conversation: Conversation, message: Message) -> TurnOutcome | None:
        """Answer a customer message that was stored but never answered (the process died in the
        middle of its turn). The turn runs again under the message's own id, so the message is
        not stored twice; None if its tenant is gone."""
        runtime = self.tenants.get(conversation.tenant)
        if runtime is None:
            return None
        identity = Identity(conversation.tenant, conversation.user_identifier, customer_id=conversation.customer_id,
                            display_name=message.author, locale=conversation.language)
        return await self.handle(Turn(conversation.id, message.id, identity, message.content,
                                      choice=message.metadata.get("choice")))

    def _actor(self, runtime: TenantRuntime, conversation_id: str, identity: Identity,
               lang: str) -> Callable[[ActionRequest], Awaitable[ActionResult]]:
        """Writes for this turn, bound to the verified identity and the tenant's policy."""
        scope = ActionScope(runtime.tenant.id, conversation_id, identity, lang, runtime.connector,
                            runtime.tenant.action_policy)

        async def act(request: ActionRequest) -> ActionResult:
            return await self.actions.perform(scope, request)

        return act

    async def _while_queued(self, runtime: TenantRuntime, conversation: Conversation, incoming: Message,
                            turn: Turn) -> TurnOutcome:
        """A customer writing while they wait: a follow-up email taken, or now and then their
        place in line; otherwise silence (the agent sees the message with the transcript)."""
        lang = conversation.language or runtime.tenant.default_language
        act = self._actor(runtime, conversation.id, turn.identity, lang)
        transcript = await self.conversations.messages(conversation.id, limit=HISTORY_MESSAGES * 3)
        text = await self.intake.while_queued(conversation, incoming, transcript, lang, act, self.clock())
        reply = None
        if text is not None:
            message = Message(turn.reply_id or MessageId(new_id()), conversation.id, Role.ASSISTANT,
                              ASSISTANT_AUTHOR, text, metadata={"event": "handoff.waiting"})
            if await self.conversations.add_message_in_state(message, Ownership.QUEUED):
                reply = message
        fresh = await self.conversations.get(conversation.id)
        assert fresh is not None
        return TurnOutcome(fresh, incoming, reply, relay_to_agent=fresh.state is Ownership.HUMAN)

    async def _llm_answer(self, turn: Turn, runtime: TenantRuntime, conversation: Conversation,
                          history: list[Message], lang: str, trace: dict[str, Any],
                          on_token: TokenSink | None) -> LLMAnswer | None:
        """The model's answer, or None (grounded mode answers) when the model is unavailable."""
        assert runtime.llm is not None
        if not runtime.llm.available():
            trace["llm"] = {"skipped": "circuit breaker open"}
            return None
        try:
            answer = await self.assistant.answer(
                runtime.llm, tenant=runtime.tenant, connector=runtime.connector, identity=turn.identity,
                conversation_id=conversation.id, history=history, question=turn.text, language=lang,
                on_token=on_token)
        except ProviderError as exc:
            log.warning("LLM mode failed for %s, answering in grounded mode: %s", conversation.id, exc)
            trace["llm"] = {"error": str(exc), "attempts": exc.attempts, "partial": exc.partial,
                            "breaker": runtime.llm.breaker.state}
            return None
        for completion in answer.completions:
            await self.usage.record(runtime.tenant.id, conversation.id, None, completion.model,
                                    completion.prompt_tokens, completion.completion_tokens, completion.cost_usd)
        trace["llm"] = answer.as_trace()
        trace["mode"] = "llm"
        return answer

    async def _record_task(self, task: FlowReply, runtime: TenantRuntime, conversation: Conversation,
                           trace: dict[str, Any]) -> str:
        """Trace and audit what a task flow did; returns what to tell the customer."""
        state = task.state
        trace["task"] = {"outcome": task.outcome, "flow": state.name if state else None,
                         "awaiting": state.awaiting if state else None, "slots": sorted(state.slots) if state else []}
        if task.actions:
            trace["actions"] = list(task.actions)
        for action in task.actions:  # writes are audited by the action gate; reads are audited here
            if action.get("tool") not in WRITE_TOOLS:
                await self.audit.record("assistant", str(action.get("tool")), tenant=runtime.tenant.id,
                                        subject=conversation.id, outcome=str(action.get("outcome", "")),
                                        detail={"customer_id": conversation.customer_id, **action})
        return task.text

    async def _reply(self, conversation: Conversation, incoming: Message, text: str, trace: dict[str, Any],
                     stages: _Stages, *, updates: dict[str, Any], decision: Decision | None = None,
                     citations: tuple[Citation, ...] = (), reply_id: MessageId | None = None,
                     choices: tuple[Choice, ...] = (), approvals: tuple[str, ...] = (),
                     handoff: HandoffRequest | None = None) -> TurnOutcome:
        metadata: dict[str, Any] = {"citations": [c.__dict__ for c in citations]}
        if choices:
            metadata["choices"] = [c.__dict__ for c in choices]
        message = Message(reply_id or MessageId(new_id()), conversation.id, Role.ASSISTANT, ASSISTANT_AUTHOR,
                          text, metadata=metadata)
        stages.mark("compose")
        trace["latency_ms"] = stages.marks
        trace.setdefault("mode", "grounded")
        committed = await self.conversations.save_assistant_reply(
            message, trace, updates=updates, handoff=handoff)
        fresh = await self.conversations.get(conversation.id)
        assert fresh is not None
        if not committed:  # a human took the conversation while we were composing
            log.info("reply dropped in %s: %s owns it now", conversation.id, fresh.state)
            return TurnOutcome(fresh, incoming, None, relay_to_agent=fresh.state is Ownership.HUMAN)
        return TurnOutcome(fresh, incoming, message, citations, queued=handoff is not None, choices=choices,
                           approvals=approvals)
