"""Intents from a tenant's exemplars, with a confidence that means what it says.

How a message is classified
---------------------------
1. Rules first (regex → intent, confidence 1.0, method "rule"): an explicit request for a
   person must never be missed because an embedding thought otherwise. A question whether
   the assistant is a bot ("am I talking to a real person?") is its own rule, checked before
   the request for a person: it gets an honest answer, not a handoff. A rule yields to a later
   one that matches what is left of the message without its match ("are you a bot? get me a
   human" still goes to a person).
2. The route's model (app/understanding/intent_model.py) gives probabilities over the
   tenant's intents: nearest exemplars (kNN top-k mean) mixed with a shared-covariance
   Gaussian (app/understanding/gaussian.py), in the proportion cross-validation prefers.
3. The message is out of scope (name None, `out_of_scope` True) when it looks less like the
   exemplars than the tenant's threshold allows (its nearest exemplar, and with enough
   exemplars its distance to every intent too); it gets no intent either (name None, `out_of_scope` False)
   when the top probability is below `min_confidence`. Either way `confidence` stays the top
   candidate's probability and `runners_up` starts with it, so a trace shows what was
   declined and how close it was.

Calibration is fitted at build time from the tenant's own exemplars, nothing else, by
stratified 5-fold cross-validation (app/understanding/intent_model.py says how). Known
biases: folds hold 80% of the exemplars, so the final model (all of them) is a little more
accurate than its confidence says, and its out-of-scope threshold a little lenient. Traffic
phrased unlike the exemplars, or in another language, will be less accurate than the
confidence says; bench/triage.py measures both on held-out data.

Two embedders: like the knowledge index, the primary model scores messages in its own
languages and the optional multilingual one scores every other language, so English
exemplars serve Spanish questions. Each is calibrated on its own. Exemplar embeddings can
be cached by content hash in a folder, so a restart with 6,500 exemplars embeds nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.config_file import load_config_file
from app.core.language_data import RegexEntry, alternation, derived, register
from app.understanding.calibration import K_CANDIDATES, expected_calibration_error
from app.understanding.intent_model import Calibration, RouteModel, fit_route_model
from knowledge.embedder import Embedder
from knowledge.vector_cache import embed_cached

__all__ = ["BOT_IDENTITY", "HUMAN_HANDOFF", "K_CANDIDATES", "Calibration", "IntentClassifier", "IntentResult", "Rule",
           "default_rules", "expected_calibration_error"]

Rule = tuple[re.Pattern[str], str]
BOT_IDENTITY = "bot_identity"  # "are you a bot?": answered honestly (small talk), never a handoff
HUMAN_HANDOFF = "human_handoff"

class IntentWords(BaseModel):
    """app/languages/<code>/intents.yaml."""

    model_config = ConfigDict(extra="forbid")
    human_request: list[RegexEntry] = []
    bot_question: list[RegexEntry] = []


register("intents", IntentWords)


def _human_request(data: dict[str, IntentWords]) -> re.Pattern[str]:
    return re.compile(rf"\b({alternation(data, 'human_request')})\b", re.IGNORECASE)


def _bot_question(data: dict[str, IntentWords]) -> re.Pattern[str]:
    return re.compile(rf"\b({alternation(data, 'bot_question')})\b", re.IGNORECASE)


def default_rules() -> tuple[Rule, ...]:
    """Rules before the classifier, in any supported language: asking whether the assistant is
    a bot (answered honestly), then asking for a person (handed off)."""
    return ((derived("intents", _bot_question), BOT_IDENTITY), (derived("intents", _human_request), HUMAN_HANDOFF))




@dataclass(frozen=True)
class IntentResult:
    name: str | None  # None: out of scope, or no intent confident enough (ask the knowledge base)
    confidence: float  # calibrated probability of the top candidate, in [0, 1]
    runners_up: list[tuple[str, float]] = field(default_factory=list)
    method: str = "exemplars"
    out_of_scope: bool = False


@dataclass(frozen=True)
class _Route:
    embedder: Embedder
    model: RouteModel


class _IntentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = ""
    examples: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]] = Field(min_length=1)


class _IntentFile(BaseModel):
    intents: dict[str, _IntentSpec] = Field(min_length=1)


class IntentClassifier:
    """k-nearest-exemplar intents with calibrated confidence; see the module docstring."""

    def __init__(self, embedder: Embedder, exemplars: Mapping[str, Sequence[str]], *,
                 multilingual: Embedder | None = None, rules: Sequence[Rule] | None = None,
                 min_confidence: float = 0.5, coverage: float = 0.98, cache_dir: Path | None = None,
                 seed: int = 0) -> None:
        self.rules = tuple(default_rules() if rules is None else rules)
        self.min_confidence = min_confidence
        kept = {name: list(examples) for name, examples in exemplars.items() if examples}
        self.intents: list[str] = list(kept)
        self._bounds = np.cumsum([0, *(len(examples) for examples in kept.values())])
        texts = [text for examples in kept.values() for text in examples]
        embedders = [embedder]
        if multilingual is not None and embedder.languages is not None:
            embedders.append(multilingual)
        self._routes = [self._fit_route(e, texts, coverage, cache_dir, seed) for e in embedders]

    @classmethod
    def from_file(cls, embedder: Embedder, path: Path, **options: Any) -> IntentClassifier:
        """Build from a tenant's intents YAML (`intents: {name: {description, examples}}`)."""
        parsed = load_config_file(path, _IntentFile, "Intent file")
        return cls(embedder, {name: spec.examples for name, spec in parsed.intents.items()}, **options)

    @property
    def calibrations(self) -> list[Calibration]:
        """The primary model's calibration, then the multilingual model's (if it is used)."""
        return [route.model.calibration for route in self._routes]

    def classify(self, text: str, language: str | None = None) -> IntentResult:
        """The intent of `text`; `language` (ISO 639-1, e.g. the conversation's) picks the model."""
        if (ruled := self._rule(text)) is not None:
            return IntentResult(ruled, 1.0, method="rule")
        route = self._route(language)
        method = f"exemplars:{route.embedder.name}"
        if not self.intents:
            return IntentResult(None, 0.0, method=method, out_of_scope=True)
        probs, _, out_of_scope = route.model.predict(route.embedder.embed([text])[0])
        order = np.argsort(-probs, kind="stable")[:4]
        ranked = [(self.intents[i], round(float(probs[i]), 4)) for i in order]
        top, confidence = ranked[0]
        if out_of_scope:
            return IntentResult(None, confidence, ranked[:3], method, out_of_scope=True)
        if confidence < self.min_confidence:
            return IntentResult(None, confidence, ranked[:3], method)
        return IntentResult(top, confidence, ranked[1:], method)

    def _rule(self, text: str) -> str | None:
        """The first rule that matches, unless a later rule matches the rest of the message."""
        for index, (pattern, intent) in enumerate(self.rules):
            if not pattern.search(text):
                continue
            rest = pattern.sub(" ", text)
            if any(later.search(rest) for later, _ in self.rules[index + 1:]):
                continue
            return intent
        return None

    def _route(self, language: str | None) -> _Route:
        primary = self._routes[0].embedder
        if (len(self._routes) > 1 and language and primary.languages is not None
                and language not in primary.languages):
            return self._routes[1]
        return self._routes[0]

    def _fit_route(self, embedder: Embedder, texts: list[str], coverage: float,
                   cache_dir: Path | None, seed: int) -> _Route:
        started = time.perf_counter()
        vectors = embed_cached(embedder, texts, cache_dir)  # reused while the exemplars are unchanged
        model = fit_route_model(embedder.name, vectors, self._bounds, coverage, seed, time.perf_counter() - started)
        return _Route(embedder, model)
