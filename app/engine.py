"""The conversation engine: one customer turn, from raw text to a persisted reply.

    store the message → who owns it? → guard input → triage → decide → answer/act
    → re-check ownership and persist reply + decision trace in one transaction

The engine knows nothing about Chainlit: it takes a Turn and returns a TurnOutcome that
the UI layer delivers.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

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
from app.errors import ConnectorError
from app.grounded import kb_answer, order_status
from app.i18n import say
from app.intents import IntentClassifier
from app.llm import LLMClient, ProviderError, TokenSink
from app.policy import Action, Decision, after_miss, decide
from app.store import AuditLog, ConversationStore, UsageStore
from app.tenants import Tenant
from app.triage import triage
from connectors.base import Connector
from guardrails import run_checks
from guardrails.actions import verified_customer
from guardrails.input import RateLimiter, max_length, not_empty, printable_text
from knowledge.index import KnowledgeIndex

log = logging.getLogger(__name__)

ASSISTANT_AUTHOR = "Assistant"
STORED_TEXT_LIMIT = 100_000  # what is kept of an oversized message (it is still refused)


@dataclass(frozen=True)
class Turn:
    conversation_id: ConversationId
    message_id: MessageId
    identity: Identity
    text: str
    reply_id: MessageId | None = None  # the id the UI already shows a streamed answer under


@dataclass(frozen=True)
class TurnOutcome:
    conversation: Conversation
    incoming: Message  # the customer's message as stored
    reply: Message | None  # None: the assistant stays silent (a human owns the conversation)
    citations: tuple[Citation, ...] = ()
    relay_to_agent: bool = False  # the customer's message must reach the assigned agent
    queued: bool = False  # this turn put the conversation in the human queue


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
                 tenants: dict[str, TenantRuntime], audit: AuditLog, usage: UsageStore, *,
                 max_message_chars: int = 4000, rate_limiter: RateLimiter | None = None) -> None:
        self.conversations = conversations
        self.knowledge = knowledge
        self.tenants = tenants
        self.audit = audit
        self.usage = usage
        self.assistant = LLMAssistant(knowledge, audit)
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
        runtime = self.tenants[turn.identity.tenant]
        conversation = await self.open_conversation(turn.conversation_id, turn.identity)
        incoming = Message(
            turn.message_id, conversation.id, Role.CUSTOMER,
            turn.identity.display_name or "Customer", turn.text[:STORED_TEXT_LIMIT],
            metadata={"truncated": True} if len(turn.text) > STORED_TEXT_LIMIT else {})
        await self.conversations.add_message(incoming)
        stages.mark("store_input")
        if conversation.state in (Ownership.QUEUED, Ownership.HUMAN):
            return TurnOutcome(conversation, incoming, None,
                               relay_to_agent=conversation.state is Ownership.HUMAN)

        lang = conversation.language or runtime.tenant.default_language
        blocked, verdicts = run_checks(
            [not_empty, max_length(self.max_message_chars), printable_text,
             lambda _text: self.rate_limiter.check(conversation.id)],
            turn.text)
        stages.mark("guard_input")
        trace: dict[str, Any] = {"guardrails": [v.as_trace() for v in verdicts]}
        if blocked is not None:
            log.info("input refused in %s: %s (%s)", conversation.id, blocked.check, blocked.reason)
            text = say(blocked.reply_key or "error.generic", lang, limit=self.max_message_chars)
            trace["decision"] = {"action": "refuse_input", "rule": blocked.check}
            return await self._reply(conversation, incoming, text, trace, stages, updates={},
                                     reply_id=turn.reply_id)

        history = [m for m in await self.conversations.messages(conversation.id, limit=HISTORY_MESSAGES + 1)
                   if m.id != incoming.id]  # read once: triage and the model both use it
        understood = await triage(
            turn.text, classifier=runtime.classifier, connector=runtime.connector,
            conversations=self.conversations, identity=turn.identity, conversation=conversation,
            history=history, default_language=runtime.tenant.default_language)
        stages.mark("triage")
        trace.update(understood.as_trace())
        lang, intent, entities = understood.language.language, understood.intent, understood.entities
        decision = decide(intent, turn.identity, conversation, runtime.tenant)
        updates: dict[str, Any] = {"language": lang}
        citations: tuple[Citation, ...] = ()

        llm_answer = None
        if decision.action is Action.ANSWER and runtime.llm is not None:
            llm_answer = await self._llm_answer(turn, runtime, conversation, history, lang, trace, on_token)
            stages.mark("llm")
        if llm_answer is not None:
            text, citations = llm_answer.text, llm_answer.citations
            updates["misses"] = 0
            if llm_answer.handoff_reason:
                decision = Decision(Action.HANDOFF, "model_requested_handoff", runtime.tenant.escalation.queue,
                                    llm_answer.handoff_reason, priority=1)
        elif decision.action is Action.ANSWER:
            hits = await self.knowledge.search(runtime.tenant.id, turn.text, limit=5, language=lang)
            stages.mark("retrieve")
            trace["retrieval"] = [{"id": h.point_id, "doc": h.doc_id, "rrf": round(h.score, 5),
                                   "similarity": round(h.similarity, 4)} for h in hits]
            floor = runtime.tenant.knowledge.min_score
            good = [h for h in hits if h.similarity >= (h.floor if floor is None else floor)]
            if good:
                text, citations = kb_answer(good, lang)
                updates["misses"] = 0
            else:
                updates["misses"] = conversation.misses + 1
                escalation = after_miss(conversation, runtime.tenant)
                if escalation is None:
                    text = say("kb.no_answer", lang)
                else:
                    decision = escalation
                    text = say("handoff.after_misses", lang) + " " + say("handoff.queued", lang)
        elif decision.action is Action.ORDER_STATUS:
            text = await self._order_status(turn, runtime, entities.order_ids, lang, trace)
            stages.mark("act")
        elif decision.action is Action.SIGN_IN:
            verdict = verified_customer(turn.identity)
            trace["guardrails"].append(verdict.as_trace())
            text = say(verdict.reply_key or "account.sign_in_needed", lang)
        elif decision.action is Action.HANDOFF:
            text = say("handoff.queued", lang)
        else:
            text = say(f"smalltalk.{intent.name}", lang)

        trace["decision"] = decision.as_trace()
        return await self._reply(conversation, incoming, text, trace, stages, updates=updates,
                                 decision=decision, citations=citations, reply_id=turn.reply_id)

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

    async def _order_status(self, turn: Turn, runtime: TenantRuntime, order_ids: list[str],
                            lang: str, trace: dict[str, Any]) -> str:
        verdict = verified_customer(turn.identity)
        trace["guardrails"].append(verdict.as_trace())
        customer_id = turn.identity.customer_id
        if not verdict.allowed or customer_id is None:  # policy already checked; never skip this
            return say("account.sign_in_needed", lang)
        if runtime.connector is None:
            return say("error.orders_unavailable", lang)
        try:
            if order_ids:
                found = await runtime.connector.order(customer_id, order_ids[0])
                orders = [found] if found else []
            else:
                orders = await runtime.connector.orders(customer_id)
            outcome = "ok" if orders or not order_ids else "not_found"
        except ConnectorError as exc:
            log.warning("order lookup failed for tenant %s: %s", runtime.tenant.id, exc)
            outcome = "error"
        trace["actions"] = [{"tool": "orders.lookup", "outcome": outcome,
                             "order_ids": order_ids}]
        await self.audit.record("assistant", "orders.lookup", tenant=runtime.tenant.id,
                                subject=turn.conversation_id,
                                detail={"customer_id": customer_id, "order_ids": order_ids,
                                        "outcome": outcome})
        if outcome == "error":
            return say("error.orders_unavailable", lang)
        if outcome == "not_found":
            return say("orders.not_found", lang, order=order_ids[0])
        return order_status(orders, lang)

    async def _reply(self, conversation: Conversation, incoming: Message, text: str, trace: dict[str, Any],
                     stages: _Stages, *, updates: dict[str, Any], decision: Decision | None = None,
                     citations: tuple[Citation, ...] = (), reply_id: MessageId | None = None) -> TurnOutcome:
        message = Message(reply_id or MessageId(new_id()), conversation.id, Role.ASSISTANT, ASSISTANT_AUTHOR,
                          text, metadata={"citations": [c.__dict__ for c in citations]})
        stages.mark("compose")
        trace["latency_ms"] = stages.marks
        trace.setdefault("mode", "grounded")
        handoff = None
        if decision is not None and decision.action is Action.HANDOFF:
            handoff = (decision.queue or "general", decision.reason or decision.rule, decision.priority)
        committed = await self.conversations.save_assistant_reply(
            message, trace, updates=updates, handoff=handoff)
        fresh = await self.conversations.get(conversation.id)
        assert fresh is not None
        if not committed:  # a human took the conversation while we were composing
            log.info("reply dropped in %s: %s owns it now", conversation.id, fresh.state)
            return TurnOutcome(fresh, incoming, None, relay_to_agent=fresh.state is Ownership.HUMAN)
        if handoff:
            await self.audit.record("assistant", "handoff.requested", tenant=conversation.tenant,
                                    subject=conversation.id, detail={"queue": handoff[0],
                                                                     "reason": handoff[1]})
        return TurnOutcome(fresh, incoming, message, citations, queued=handoff is not None)
