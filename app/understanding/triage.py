"""Triage: what language the customer speaks and what they want (entities: app/understanding/entities.py).

Language is sticky per conversation: langdetect is unreliable on short text, so the
conversation keeps its language (seeded by the widget's locale) and switches only on a
long, confidently detected message. Intents come from the tenant's calibrated classifier
(app/understanding/intents.py); `triage` puts every signal of one message together for the engine and
the `frontline triage` command.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from langdetect import LangDetectException

from app.core import clock
from app.core.cpu_lane import TURN_WORK
from app.core.domain import Conversation, Identity, Message, Role
from app.core.errors import ConnectorError
from app.core.langid import detect_langs
from app.core.language_data import languages
from app.core.trace import EntitiesTrace, IntentTrace, LanguageTrace, PriorityTrace, SentimentTrace, TriageTrace
from app.store import ConversationStore
from app.understanding.entities import Entities, extract_entities
from app.understanding.intents import IntentClassifier, IntentResult
from app.understanding.priority import Priority, score_priority
from app.understanding.sentiment import Sentiment, assess
from connectors.base import Customer, CustomerDirectory

log = logging.getLogger(__name__)

# Seconds of CPU, roughly, for the turn's CPU lane to order jobs by (app/core/cpu_lane.py), measured:
# reading a language 0.5 ms for a question and 2.3 ms for 3,114 characters; entities and sentiment
# 2.2 ms for 3,114 characters
LANGUAGE_SECONDS, LANGUAGE_SECONDS_PER_CHAR = 0.0005, 6e-7
WORDS_SECONDS_PER_CHAR = 7e-7
MIN_CHARS_TO_SWITCH = 24
MIN_CONFIDENCE_TO_SWITCH = 0.90


@dataclass(frozen=True)
class LanguageResult:
    language: str
    detected: str | None
    confidence: float
    switched: bool


def read_language(text: str) -> tuple[str | None, float]:
    """The most likely language of `text` and its probability; (None, 0.0) when it has fewer
    than three letters or nothing langdetect can read."""
    if sum(ch.isalpha() for ch in text) < 3:
        return None, 0.0
    try:
        best = detect_langs(text)[0]
    except (LangDetectException, IndexError):
        return None, 0.0
    return best.lang, float(best.prob)


def language_cost(text: str) -> float:
    """Seconds `read_language(text)` takes, roughly (app/core/cpu_lane.py orders jobs by it)."""
    return LANGUAGE_SECONDS + len(text) * LANGUAGE_SECONDS_PER_CHAR


def detect_language(text: str, current: str | None, default: str) -> LanguageResult:
    """Keep `current` unless the text is long enough and confidently another language. A text
    too short to switch is not read at all: its guess could change nothing (the trace shows
    the language as kept for too little text)."""
    base = current or default
    if sum(ch.isalpha() for ch in text) < MIN_CHARS_TO_SWITCH:
        return LanguageResult(base, None, 0.0, False)
    detected, confidence = read_language(text)
    if detected is None:
        return LanguageResult(base, None, 0.0, False)
    switch = detected in languages() and detected != base and confidence >= MIN_CONFIDENCE_TO_SWITCH
    return LanguageResult(detected if switch else base, detected, confidence, switch)


@dataclass(frozen=True)
class Triage:
    """What Frontline understood from one customer message, before deciding anything."""

    language: LanguageResult
    intent: IntentResult
    entities: Entities
    sentiment: Sentiment
    priority: Priority
    customer: Customer | None = None  # the verified customer's CRM record, when it could be read

    def as_trace(self) -> TriageTrace:
        lang, intent = self.language, self.intent
        return TriageTrace(
            language=LanguageTrace(value=lang.language, detected=lang.detected,
                                   confidence=round(lang.confidence, 3), switched=lang.switched),
            intent=IntentTrace(name=intent.name, confidence=intent.confidence, runners_up=intent.runners_up,
                               method=intent.method, out_of_scope=intent.out_of_scope),
            entities=EntitiesTrace.model_validate(self.entities.as_trace()),
            sentiment=SentimentTrace.model_validate(self.sentiment.as_trace()),
            priority=PriorityTrace.model_validate(self.priority.as_trace()),
        )


def read_words(text: str, lang: str, today: date, earlier: list[str], failures: int) -> tuple[Entities, Sentiment]:
    """What the message's words say once its language is known: one job for the CPU lane."""
    return extract_entities(text, today=today, language=lang), assess(text, earlier, failures=failures, language=lang)


async def triage(text: str, *, classifier: IntentClassifier, connector: CustomerDirectory | None,
                 conversations: ConversationStore, identity: Identity, conversation: Conversation,
                 history: Sequence[Message], default_language: str, today: date | None = None) -> Triage:
    """Language, intent, entities, sentiment and priority of `text` in `conversation`.

    `history` is the conversation before this message (oldest first). Account data for the
    priority comes only from the verified identity's customer id.
    """
    today = today or clock.today()
    earlier = [m.content for m in history if m.role is Role.CUSTOMER][-5:]
    # CPU work off the event loop, so that it keeps serving every other chat meanwhile: language
    # detection, entities and sentiment (pure Python) in the turn's CPU lane; the intent model's
    # embedding (onnxruntime, which lets go of the interpreter lock) in a thread beside it. The
    # account reads wait on the network and the database meanwhile.
    language = await TURN_WORK.run(detect_language, text, conversation.language, default_language,
                                   cost=language_cost(text) if len(text) >= MIN_CHARS_TO_SWITCH else 0.0)  # else unread
    lang = language.language
    intent, (entities, sentiment), customer, contacts = await asyncio.gather(
        asyncio.to_thread(classifier.classify, text, lang),
        TURN_WORK.run(read_words, text, lang, today, earlier, conversation.misses,
                      cost=len(text) * WORDS_SECONDS_PER_CHAR),
        _customer(connector, identity),
        conversations.recent_contacts(identity.user_identifier, days=7))
    priority = score_priority(customer=customer, sentiment=sentiment, intent=intent.name,
                              repeat_contacts=max(contacts - 1, 0), today=today)
    return Triage(language, intent, entities, sentiment, priority, customer)


async def _customer(connector: CustomerDirectory | None, identity: Identity) -> Customer | None:
    """The verified customer's CRM record; None for a guest, or when it could not be read (a
    priority without account data beats no answer)."""
    if not (identity.verified and identity.customer_id and connector is not None):
        return None
    try:
        return await connector.customer(identity.customer_id)
    except ConnectorError as exc:
        log.warning("customer lookup failed for %s: %s", identity.tenant, exc)
        return None
