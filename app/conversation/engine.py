"""The conversation engine: one customer turn, from raw text to a persisted reply, as a list
of stages (stages.py, answer_stages.py in this package) over one turn state (turn.py):

    store input → ownership → (follow-up answer) → (rating) → guard → (incident updates) → triage → escalate
    → decide → act → answer
    → hand over → compose → persist (reply + decision trace, if the assistant still owns it)

The engine knows nothing about Chainlit: it takes a Turn and returns a TurnOutcome that
the UI layer delivers. The human queue reaches it as a `HumanQueue` (built in app/services.py).
"""

from __future__ import annotations

from datetime import datetime

from app.actions.gate import GuardedActions
from app.conversation.answer_stages import Answer, HandOver, Persist, TaskStep, compose
from app.conversation.assistant import LLMAssistant
from app.conversation.escalation import Escalator
from app.conversation.flows import default_runner
from app.conversation.follow_up import Asked, FollowUps
from app.conversation.stages import (
    CheckOwnership,
    Decide,
    Escalate,
    GuardInput,
    RecordRating,
    StoreInput,
    Understand,
    compile_readers,
)
from app.conversation.turn import HumanQueue, TenantRuntime, Turn, TurnOutcome, TurnState
from app.conversation.updates import IncidentUpdates
from app.conversation.watch import TurnWatch
from app.core import clock as clocks
from app.core.domain import Conversation, Identity, Message
from app.llm.client import TokenSink
from app.store import AuditLog, ConversationStore, UsageStore
from app.store.follow_ups import FollowUp, FollowUpStore
from app.store.handoffs import HandoffStore
from app.store.incidents import IncidentStore
from guardrails.input import RateLimiter
from knowledge.retrieval import Retriever


class Engine:
    def __init__(self, conversations: ConversationStore, knowledge: Retriever,
                 tenants: dict[str, TenantRuntime], audit: AuditLog, usage: UsageStore, actions: GuardedActions, *,
                 handoffs: HandoffStore, intake: HumanQueue, escalator: Escalator, max_message_chars: int = 4000,
                 rate_limiter: RateLimiter | None = None, clock: clocks.Clock = clocks.now) -> None:
        self.conversations = conversations
        self.tenants = tenants
        self.actions = actions
        self.usage = usage
        self.intake = intake
        self.clock = clock
        flows = default_runner()
        compile_readers()
        self.store_input = StoreInput(conversations, tenants, self._now)
        self.ownership = CheckOwnership(conversations, intake, actions, self._now)
        self.rating = RecordRating(handoffs, intake)
        self.guard = GuardInput(audit, max_message_chars, rate_limiter or RateLimiter())
        self.triage = Understand(conversations, self._now, knowledge)
        self.escalate = Escalate(escalator, self._now)
        self.decide = Decide(flows.tasks)
        self.act = TaskStep(flows, actions, audit)
        self.answer = Answer(knowledge, LLMAssistant(knowledge, audit), usage, self.act, escalator)
        self.hand_over = HandOver(intake, actions)
        self.persist = Persist(conversations, intake)
        self.follow_ups = FollowUps(FollowUpStore(conversations.db), conversations, handoffs, tenants, self._now)
        self.updates = IncidentUpdates(IncidentStore(conversations.db), conversations, self._now)

    def _now(self) -> datetime:
        return self.clock()  # read at each use: a test may set another clock on a running engine

    async def open_conversation(self, conversation_id: str, identity: Identity) -> Conversation:
        return await self.store_input.open_conversation(conversation_id, identity)

    async def handle(self, turn: Turn, on_token: TokenSink | None = None) -> TurnOutcome:
        """One turn. `on_token` receives the answer's text as a model streams it (LLM mode);
        the returned reply is authoritative and may differ if the model failed midway. Each
        stage runs through `watch.stage` (app/conversation/watch.py): its span and latency."""
        async with TurnWatch(turn, self.tenants) as watch:
            stage = watch.stage
            state = await stage("store_input", self.store_input, turn)
            silent = await stage("ownership", self.ownership, state)
            if silent is not None:
                return watch.ended(silent, "to_agent" if silent.relay_to_agent else "while_queued")
            follow_up = await stage("follow_up", self.follow_ups.answer, state)
            if follow_up is not None:
                return watch.ended(await self._follow_up_answered(watch, state, follow_up.answer == "solved",
                                                                  follow_up), "follow_up")
            if await stage("rating", self.rating, state):
                return watch.ended(await self._reply(watch, state), "rating")
            if await stage("guard", self.guard, state):
                return watch.ended(await self._reply(watch, state), "refused")
            if await stage("updates", self.updates, state):  # a declared incident: known, and the offer
                return watch.ended(await self._reply(watch, state), "incident_updates")
            await stage("triage", self.triage, state)
            await stage("escalate", self.escalate, state)
            await stage("decide", self.decide, state)
            await stage("act", self.act, state)
            await stage("answer", self.answer, state, on_token)
            await stage("after_failed_task", self.escalate.after_failed_task, state)
            await stage("hand_over", self.hand_over, state)
            return watch.ended(await self._reply(watch, state))

    async def _follow_up_answered(self, watch: TurnWatch, state: TurnState, solved: bool,
                                  follow_up: FollowUp) -> TurnOutcome:
        """Yes: the thanks. No: triaged like any message, then handed to a person with the
        earlier conversation in the packet (app/conversation/follow_up.py)."""
        if solved:
            return await self._reply(watch, state)
        await watch.stage("triage", self.triage, state)
        earlier = await self.follow_ups.escalate(state, follow_up)
        await watch.stage("hand_over", self.hand_over, state)
        outcome = await self._reply(watch, state)
        if outcome.queued:
            await self.follow_ups.reopened(outcome.conversation, earlier)
        return outcome

    async def ask_follow_up(self, conversation_id: str, identity: Identity) -> Asked | None:
        """At the start of a chat: the "did that solve it?" question, if one is due."""
        return await self.follow_ups.ask_on_visit(conversation_id, identity)

    async def _reply(self, watch: TurnWatch, state: TurnState) -> TurnOutcome:
        return await watch.stage("persist", self.persist, state, await watch.stage("compose", compose, state))

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
