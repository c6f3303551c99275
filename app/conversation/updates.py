"""The engine's "updates" stage: a customer who writes about an open declared incident hears
that it is known and is offered to be told when it is fixed (Yes / No quick replies; on
email or messaging, typing the label works the same way). Told once per incident and
conversation (app/store/incidents.py); the answer to the offer is taken here too.

The stage runs after the input guard and before triage: the notice is the whole reply, so
a known outage costs no search, no model call and no handoff.
"""

from __future__ import annotations

from app.conversation.flows import Choice
from app.conversation.turn import TurnState
from app.core import clock as clocks
from app.core.cpu_lane import TURN_WORK
from app.core.domain import Role
from app.core.i18n import say
from app.core.trace import DecisionPart
from app.store import ConversationStore
from app.store.incidents import IncidentStore
from app.understanding.incident_topic import matched_words
from app.understanding.triage import detect_language, language_cost

TOPIC_SECONDS_PER_CHAR = 1e-7  # matching the open incidents' words, measured: 0.26 ms for 3,114 characters
OFFER = "incident.offer"  # the offer's message event
SUBSCRIBE, DECLINE = "incident.subscribe", "incident.decline"  # the buttons' values


def notice(key: str, lang: str | None, message: str) -> str:
    """An incident notice in the customer's language around the lead's own words (maybe empty)."""
    return " ".join(say(key, lang, message=message.strip()).split())


def choices(lang: str) -> tuple[Choice, ...]:
    return (Choice(say("follow_up.yes", lang), SUBSCRIBE), Choice(say("follow_up.no", lang), DECLINE))


class IncidentUpdates:
    def __init__(self, store: IncidentStore, conversations: ConversationStore, clock: clocks.Clock) -> None:
        self.store = store
        self.conversations = conversations
        self.clock = clock

    async def __call__(self, state: TurnState) -> bool:
        """True when the reply is decided here: the offer, or the answer to it."""
        return await self._answered(state) or await self._offered(state)

    async def _answered(self, state: TurnState) -> bool:
        turn = state.turn
        said = (turn.choice or "").strip() or _typed(turn.text, state.lang)
        if said not in (SUBSCRIBE, DECLINE):
            return False
        offer = await self._open_offer(state)
        if offer is None:
            return False
        if said == SUBSCRIBE:
            incident = await self.store.get(offer)
            if incident is None or not incident.is_open:  # fixed meanwhile: they were not subscribed
                return False
            await self.store.subscribe(offer, state.conversation.id, at=clocks.stamp(self.clock()))
        state.text = say("incident.subscribed" if said == SUBSCRIBE else "incident.declined", state.lang)
        state.event = "incident.answered"
        state.trace.decision = DecisionPart(action="incident_updates", rule=said.removeprefix("incident."))
        return True

    async def _offered(self, state: TurnState) -> bool:
        tenant = state.runtime.tenant
        if not tenant.outreach.offer_updates:
            return False
        incidents = await self.store.listed([tenant.id], only_open=True)
        if not incidents:
            return False
        text = state.turn.text
        words = await TURN_WORK.run(matched_words, [incident.topic for incident in incidents], text,
                                    cost=len(text) * TOPIC_SECONDS_PER_CHAR)
        for incident, word in zip(incidents, words, strict=True):
            if word is None or not await self.store.add_contact(
                    incident.id, state.conversation.id, "offered", subscribed=False, at=clocks.stamp(self.clock())):
                continue
            # the reply comes before triage: the message's language is read here (sticky, as triage keeps it)
            language = await TURN_WORK.run(detect_language, text, state.conversation.language,
                                           tenant.default_language, cost=language_cost(text))
            state.lang = language.language
            state.updates["language"] = state.lang
            state.text = notice(OFFER, state.lang, incident.message)
            state.choices = choices(state.lang)
            state.event = OFFER
            state.reply_metadata["incident"] = incident.id
            state.trace.decision = DecisionPart(action="incident_updates", rule="offer", reason=f"topic word {word}")
            return True
        return False

    async def _open_offer(self, state: TurnState) -> str | None:
        """The incident of an offer that was the last assistant message before this one, with no
        other customer message since."""
        transcript = await self.conversations.messages(state.conversation.id, limit=20)
        for message in reversed(transcript):
            if message.id == state.incoming.id:
                continue
            if message.role is Role.CUSTOMER:  # they wrote something else first: passed over
                return None
            if message.role is Role.ASSISTANT:
                return str(message.metadata["incident"]) if message.metadata.get("event") == OFFER else None
        return None


def _typed(text: str, lang: str) -> str:
    typed = text.strip().casefold().rstrip(".!")
    return next((c.value for c in choices(lang) if c.label.casefold() == typed), "")
