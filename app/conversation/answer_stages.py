"""The stages of a turn after the decision: act (task flows), answer (model, help center,
sign-in, small talk), hand over to a person, compose the reply and persist it.

Each takes the turn's state (app/conversation/turn.py) and writes the reply taking shape and its part of
the decision trace; app/conversation/engine.py runs them in order after app/conversation/stages.py.
"""

from __future__ import annotations

import logging

from app.actions.gate import GuardedActions
from app.conversation.assistant import LLMAssistant
from app.conversation.escalation import Escalator
from app.conversation.flows import FlowContext, FlowReply, FlowRunner, FlowState
from app.conversation.flows.state import FlowOutcome
from app.conversation.grounded import kb_answer, screened
from app.conversation.policy import Action, Decision, task_candidates
from app.conversation.stages import actor, handoff_decision
from app.conversation.turn import ASSISTANT_AUTHOR, HumanQueue, TurnOutcome, TurnState
from app.core.domain import Message, MessageId, Ownership, Role, new_id
from app.core.i18n import say
from app.core.trace import ActionTrace, GuardrailTrace, LlmTrace, RetrievalHit, TaskTrace, VersionsTrace
from app.llm.client import ProviderError, TokenSink
from app.store import AuditLog, ConversationStore, UsageStore
from connectors.tools import WRITE_TOOLS
from guardrails.actions import verified_customer
from knowledge.index import KnowledgeIndex

log = logging.getLogger(__name__)


class TaskStep:
    """Runs task flows: a pending one continues (unless the customer moved on), a decided one
    starts, or the customer is asked which task they mean. Traces and audits what it did."""

    def __init__(self, flows: FlowRunner, actions: GuardedActions, audit: AuditLog) -> None:
        self.flows = flows
        self.actions = actions
        self.audit = audit

    def context(self, state: TurnState) -> FlowContext:
        runtime, turn = state.runtime, state.turn
        return FlowContext(runtime.connector, turn.identity, state.conversation.id, state.lang, turn.text,
                           state.triaged.entities, state.now.date(), turn.choice, actor(self.actions, state),
                           runtime.tenant.action_policy)

    async def __call__(self, state: TurnState) -> None:
        decision, intent = state.decided, state.triaged.intent
        ctx = self.context(state)
        state.pending = FlowState.load(state.conversation.flow)
        if state.pending is not None and decision.action is not Action.HANDOFF:
            state.task = await self.flows.resume(state.pending, ctx, intent)  # None: the customer moved on
            if state.task is not None:
                state.decision = Decision(Action.TASK, f"continue_{state.pending.name}")
        if state.task is None and decision.action is Action.TASK and intent.name:
            state.task = await self.flows.start(intent.name, ctx)
        elif state.task is None and decision.action is Action.CLARIFY:
            state.task = self.flows.clarify(task_candidates(intent, self.flows.tasks), ctx)
        if state.task is not None:
            await self.record(state, state.task)
            state.timer.mark("act")

    async def record(self, state: TurnState, task: FlowReply) -> None:
        """Trace and audit what a task flow did; what it says is the reply."""
        flow = task.state
        state.trace.task = TaskTrace(outcome=task.outcome, flow=flow.name if flow else None,
                                     awaiting=flow.awaiting if flow else None,
                                     slots=sorted(flow.slots) if flow else [])
        if task.actions:
            state.trace.actions = [ActionTrace.model_validate(action) for action in task.actions]
        for action in task.actions:  # writes are audited by the action gate; reads are audited here
            if action.get("tool") not in WRITE_TOOLS:
                await self.audit.record("assistant", str(action.get("tool")), tenant=state.runtime.tenant.id,
                                        subject=state.conversation.id, outcome=str(action.get("outcome", "")),
                                        detail={"customer_id": state.conversation.customer_id, **action})
        state.text = task.text


class Answer:
    """The reply when no task answered: the model (LLM mode), else the help center, else a
    sign-in request or small talk. No answer counts as a miss, which may escalate."""

    def __init__(self, knowledge: KnowledgeIndex, assistant: LLMAssistant, usage: UsageStore,
                 tasks: TaskStep, escalator: Escalator) -> None:
        self.knowledge = knowledge
        self.assistant = assistant
        self.usage = usage
        self.tasks = tasks
        self.escalator = escalator

    async def __call__(self, state: TurnState, on_token: TokenSink | None = None) -> None:
        if state.task is not None:
            return
        action = state.decided.action
        if action is Action.ANSWER and state.runtime.llm is not None and await self.model(state, on_token):
            return
        if action is Action.ANSWER:
            await self.help_center(state)
        elif action is Action.SIGN_IN:
            verdict = verified_customer(state.turn.identity)
            assert state.trace.guardrails is not None, "the guard stage runs first"
            state.trace.guardrails.append(GuardrailTrace.model_validate(verdict.as_trace()))
            state.text = say(verdict.reply_key or "account.sign_in_needed", state.lang)
        elif action is Action.HANDOFF:
            state.text = ""
        else:
            state.text = say(f"smalltalk.{state.triaged.intent.name}", state.lang)

    async def model(self, state: TurnState, on_token: TokenSink | None) -> bool:
        """The model's answer; False (the help center answers) when the model is unavailable."""
        runtime, conversation = state.runtime, state.conversation
        llm = runtime.llm
        assert llm is not None
        if not llm.available():
            state.trace.llm = LlmTrace(skipped="circuit breaker open")
            state.timer.mark("llm")
            return False
        try:
            answer = await self.assistant.answer(
                llm, tenant=runtime.tenant, connector=runtime.connector, identity=state.turn.identity,
                conversation_id=conversation.id, history=state.history, question=state.turn.text,
                language=state.lang, on_token=on_token, customer=state.triaged.customer)
        except ProviderError as exc:
            log.warning("LLM mode failed for %s, answering in grounded mode: %s", conversation.id, exc)
            state.trace.llm = LlmTrace(error=str(exc), attempts=exc.attempts, partial=exc.partial,
                                       breaker=llm.breaker.state)
            state.timer.mark("llm")
            return False
        for completion in answer.completions:
            await self.usage.record(runtime.tenant.id, conversation.id, None, completion.model,
                                    completion.prompt_tokens, completion.completion_tokens, completion.cost_usd)
        state.trace.llm = answer.as_trace()
        state.trace.mode = "llm"
        state.timer.mark("llm")
        state.text, state.citations = answer.text, answer.citations
        state.updates["misses"] = 0
        if answer.handoff_reason:
            state.escalation = Escalator.requested_by_model(
                runtime.tenant.handoff_policy, state.triaged, answer.handoff_reason)
            state.decision = handoff_decision(state.escalation)
        return True

    async def help_center(self, state: TurnState) -> None:
        """Quote the best passage; with none good enough, ask which task was meant, or say so."""
        runtime, intent = state.runtime, state.triaged.intent
        hits, dropped = screened(await self.knowledge.search(runtime.tenant.id, state.turn.text, limit=5,
                                                             language=state.lang, earlier=state.said_before))
        state.timer.mark("retrieve")
        if dropped:
            state.trace.retrieval_dropped = dropped
        state.trace.retrieval = [RetrievalHit(id=h.point_id, doc=h.doc_id, rrf=round(h.score, 5),
                                              similarity=round(h.similarity, 4)) for h in hits]
        floor = runtime.tenant.knowledge.min_score
        good = [h for h in hits if h.similarity >= (h.floor if floor is None else floor)]
        candidates = task_candidates(intent, self.tasks.flows.tasks)
        if good:
            state.text, state.citations = kb_answer(good, state.lang)
            state.updates["misses"] = 0
        elif candidates:  # no article, but it may be a task: ask rather than fail
            state.decision = Decision(Action.CLARIFY, "no_answer_but_maybe_a_task",
                                      reason=f"Possible tasks: {', '.join(candidates)}.")
            state.task = self.tasks.flows.clarify(candidates, self.tasks.context(state))
            await self.tasks.record(state, state.task)
        else:
            state.updates["misses"] = state.conversation.misses + 1
            state.escalation = self.escalator.after_miss(runtime.tenant.handoff_policy, state.triaged,
                                                         state.signals, misses=state.updates["misses"])
            if state.escalation is None:
                state.text = say("kb.no_answer", state.lang)
            else:
                state.decision = handoff_decision(state.escalation)
                state.text = say("handoff.after_misses", state.lang)


class HandOver:
    """An escalated turn goes to the human queue: the customer hears why and how long."""

    def __init__(self, queue: HumanQueue, actions: GuardedActions) -> None:
        self.queue = queue
        self.actions = actions

    async def __call__(self, state: TurnState) -> None:
        escalation, understood = state.escalation, state.triaged
        if escalation is None or state.decided.action is not Action.HANDOFF:
            return
        entities = understood.entities
        email = (understood.customer.email if understood.customer is not None
                 else (entities.emails[0] if entities.emails else None))
        state.handover = await self.queue.take(
            escalation, policy=state.runtime.tenant.handoff_policy, conversation=state.conversation,
            transcript=[*state.history, state.incoming], email=email, lang=state.lang,
            act=actor(self.actions, state), now=state.now)
        state.text = " ".join(part for part in (state.text, state.handover.text) if part)
        state.trace.handoff = state.handover.trace


def compose(state: TurnState) -> Message:
    """The reply message, and the trace's last parts (the decision, stage latencies, mode)."""
    task = state.task
    if state.pending is not None or task is not None:
        state.updates["flow"] = task.state.dump() if task is not None and task.state is not None else None
    if state.decision is not None:
        state.trace.decision = state.decision.as_trace()
    metadata: dict[str, object] = {"citations": [c.__dict__ for c in state.citations]}
    offered = task.choices if task is not None and task.choices else state.choices
    if offered:
        metadata["choices"] = [c.__dict__ for c in offered]
    if state.event is not None:
        metadata["event"] = state.event
    if ((state.decision is not None and state.decision.action is Action.SIGN_IN)
            or (task is not None and task.outcome is FlowOutcome.SIGN_IN)):
        metadata["sign_in"] = True  # it asks a guest to sign in: a channel adds its sign-in link
    metadata.update(state.reply_metadata)
    message = Message(state.turn.reply_id or MessageId(new_id()), state.conversation.id, Role.ASSISTANT,
                      ASSISTANT_AUTHOR, state.text, metadata=metadata)
    state.timer.mark("compose")
    state.trace.latency_ms = state.timer.marks
    if state.trace.mode is None:
        state.trace.mode = "grounded"
    return message


class Persist:
    """The reply, its trace and the conversation's updates commit in one transaction, and only
    if the assistant still owns the conversation (a person may have taken it meanwhile)."""

    def __init__(self, conversations: ConversationStore, queue: HumanQueue) -> None:
        self.conversations = conversations
        self.queue = queue

    async def __call__(self, state: TurnState, message: Message) -> TurnOutcome:
        handover = state.handover
        if state.runtime.versions:  # the prompt decided only what the model answered
            state.trace.versions = VersionsTrace(**{kind: version for kind, version in state.runtime.versions.items()
                                                    if kind != "prompt" or state.trace.mode == "llm"})
        fresh = await self.conversations.commit_reply(
            message, state.trace, updates=state.updates, handoff=handover.request if handover else None)
        if fresh is None:
            now = await self.conversations.get(state.conversation.id)
            assert now is not None
            log.info("reply dropped in %s: %s owns it now", state.conversation.id, now.state)
            return TurnOutcome(now, state.incoming, None, relay_to_agent=now.state is Ownership.HUMAN)
        task = state.task
        held = tuple(str(a["approval"]) for a in (task.actions if task is not None else ())
                     if a.get("outcome") == "pending_approval" and not a.get("replayed") and a.get("approval"))
        outcome = TurnOutcome(fresh, state.incoming, message, state.citations, queued=handover is not None,
                              choices=task.choices if task is not None and task.choices else state.choices,
                              approvals=held)
        if handover is not None and state.escalation is not None:
            await self.queue.record(fresh, handover, state.escalation, state.triaged.customer)
        return outcome
