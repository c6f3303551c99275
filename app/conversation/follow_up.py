"""Follow-up after an automated resolution: "Did that solve it?", so `resolved` is measured.

When a customer comes back (a new chat of the same identity) and their latest conversation
was resolved by the assistant alone (app/store/follow_ups.py), the chat opens by quoting
that question and offering Yes / No. The question is asked once, whatever happens: ignoring
it leaves the answer `none`. "Yes" records `solved`; "No" records `not_solved` and hands the
current chat to a person on the handoff policy's route for a customer asking for one
(trigger `follow_up_unsolved`), with the earlier question, answer, citations and decision
trace in the handoff packet. The tenant's `follow_up` block (app/config/tenants.py) sets
when it is asked.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.conversation.escalation import Escalator
from app.conversation.flows import Choice
from app.conversation.stages import handoff_decision
from app.conversation.turn import ASSISTANT_AUTHOR, TenantRuntime, TurnState
from app.core import clock as clocks
from app.core.domain import Conversation, Identity, Message, MessageId, Role, new_id
from app.core.i18n import say
from app.core.language_data import languages
from app.core.trace import DecisionPart
from app.store import ConversationStore
from app.store.follow_ups import FollowUp, FollowUpStore, Resolved
from app.store.handoffs import HandoffStore

SOLVED, NOT_SOLVED = "follow_up.solved", "follow_up.not_solved"  # the buttons' values
ASKED = "follow_up.ask"  # the question's message event
Asked = tuple[Message, tuple[Choice, ...]]  # the stored question and its buttons


def choices(lang: str) -> tuple[Choice, ...]:
    return (Choice(say("follow_up.yes", lang), SOLVED), Choice(say("follow_up.no", lang), NOT_SOLVED))


class FollowUps:
    """Asks the question (at the start of a chat) and takes its answer (a stage of the turn)."""

    def __init__(self, store: FollowUpStore, conversations: ConversationStore, handoffs: HandoffStore,
                 tenants: dict[str, TenantRuntime], clock: clocks.Clock) -> None:
        self.store = store
        self.conversations = conversations
        self.handoffs = handoffs
        self.tenants = tenants
        self.clock = clock

    async def ask_on_visit(self, conversation_id: str, identity: Identity) -> Asked | None:
        """The question for a chat that just started, stored in it; None when nothing is due."""
        runtime = self.tenants.get(identity.tenant)
        if runtime is None or not runtime.tenant.follow_up.ask_on_next_visit:
            return None
        now = self.clock()
        since = clocks.stamp(now - timedelta(days=runtime.tenant.follow_up.within_days))
        resolved = await self.store.due(identity.tenant, identity.user_identifier, current=conversation_id,
                                        since=since)
        return None if resolved is None else await self._ask(resolved, conversation_id, identity, runtime)

    async def ask_after_silence(self, conversation_id: str, identity: Identity, *,
                                key: str = "follow_up.ask") -> Asked | None:
        """The question in a chat still open, when its last message is the assistant's and the
        tenant's `after_minutes` have passed without another; None otherwise. `key` is the
        sentence asked (email and messaging customers reply by typing: "follow_up.ask_reply")."""
        runtime = self.tenants.get(identity.tenant)
        minutes = runtime.tenant.follow_up.after_minutes if runtime is not None else None
        if runtime is None or minutes is None:
            return None
        last = (await self.conversations.messages(conversation_id, limit=1) or [None])[-1]
        if last is None or last.role is not Role.ASSISTANT:
            return None
        if last.created_at and clocks.stamp(self.clock() - timedelta(minutes=minutes)) < last.created_at:
            return None
        resolved = await self.store.due(identity.tenant, identity.user_identifier, current="", since="")
        if resolved is None or resolved.conversation_id != conversation_id:
            return None
        return await self._ask(resolved, conversation_id, identity, runtime, key)

    async def _ask(self, resolved: Resolved, conversation_id: str, identity: Identity,
                   runtime: TenantRuntime, key: str = "follow_up.ask") -> Asked | None:
        language = identity.locale if identity.locale in languages() else runtime.tenant.default_language
        conversation = await self.conversations.ensure(conversation_id, identity, language=language)
        lang = conversation.language or language
        if not await self.store.ask(resolved, asked_in=conversation.id, at=clocks.stamp(self.clock())):
            return None  # another tab or replica asked it
        offered = choices(lang)
        message = Message(MessageId(new_id()), conversation.id, Role.ASSISTANT, ASSISTANT_AUTHOR,
                          say(key, lang, topic=resolved.topic),
                          metadata={"event": ASKED, "follow_up": resolved.conversation_id,
                                    "choices": [c.__dict__ for c in offered]})
        await self.conversations.add_message(message)
        return message, offered

    async def answer(self, state: TurnState) -> FollowUp | None:
        """Stage: a click (or the typed label) of Yes / No to an open question in this chat
        records the answer; the follow-up is returned with it, else None (any other message
        leaves the question unanswered)."""
        turn, conversation = state.turn, state.conversation
        said = (turn.choice or "").strip() or _typed(turn.text, state.lang)
        if said not in (SOLVED, NOT_SOLVED) or not await self._still_open(state):
            return None
        open_one = await self.store.open_in(conversation.id)
        if open_one is None:
            return None
        answer = "solved" if said == SOLVED else "not_solved"
        if not await self.store.answer(open_one.conversation_id, answer, at=clocks.stamp(self.clock())):
            return None
        state.event = "follow_up.answered"
        state.trace.decision = DecisionPart(action="follow_up", rule=answer)
        state.text = say("follow_up.thanks" if answer == "solved" else "follow_up.reopened", state.lang)
        return FollowUp(open_one.conversation_id, open_one.asked_in, open_one.asked_at, answer, None, None)

    async def _still_open(self, state: TurnState) -> bool:
        """The question was the last thing before this message: a customer who wrote something
        else first passed it over, and a later "no" is about something else."""
        transcript = await self.conversations.messages(state.conversation.id, limit=50)
        asked = [i for i, m in enumerate(transcript) if m.metadata.get("event") == ASKED]
        return bool(asked) and not any(m.role is Role.CUSTOMER and m.id != state.incoming.id
                                       for m in transcript[asked[-1] + 1:])

    async def escalate(self, state: TurnState, follow_up: FollowUp) -> Resolved | None:
        """After triage of a "No": the escalation that hands this chat to a person."""
        earlier = await self.store.resolved(follow_up.conversation_id)
        question = earlier.topic if earlier is not None else "an earlier question"
        state.escalation = Escalator.unsolved_follow_up(
            state.runtime.tenant.handoff_policy, state.triaged,
            f"The customer says the assistant's answer to “{question}” did not solve it.")
        state.decision = handoff_decision(state.escalation)
        state.trace.decision = DecisionPart(action="follow_up", rule="not_solved")
        return earlier

    async def reopened(self, conversation: Conversation, earlier: Resolved | None) -> None:
        """The handoff is committed: link it, and put the earlier conversation in its packet."""
        handoff = await self.handoffs.latest(conversation.id)
        if handoff is None or earlier is None:
            return
        await self.store.reopened(earlier.conversation_id, handoff.id)
        context: dict[str, Any] = {"conversation_id": earlier.conversation_id, "question": earlier.question,
                                   "answer": earlier.answer, "citations": earlier.citations, "trace": earlier.trace}
        await self.handoffs.update(handoff.id, packet={**(handoff.packet or {}), "follow_up_of": context})


def _typed(text: str, lang: str) -> str:
    """A customer may type the button's label instead of clicking it."""
    typed = text.strip().casefold().rstrip(".!")
    return next((c.value for c in choices(lang) if c.label.casefold() == typed), "")
