"""Intents from a tenant's exemplars, with a confidence that means what it says.

How a message is classified
---------------------------
1. Rules first (regex → intent, confidence 1.0, method "rule"): an explicit request for a
   person must never be missed because an embedding thought otherwise. A question whether
   the assistant is a bot ("am I talking to a real person?") is its own rule, checked before
   the request for a person: it gets an honest answer, not a handoff. A rule yields to a later
   one that matches what is left of the message without its match ("are you a bot? get me a
   human" still goes to a person).
2. Each intent scores the mean cosine similarity of the message to its k most similar
   exemplars (k-nearest-neighbour "top-k mean"); the probabilities are
   softmax(scores / T) over the tenant's intents.
3. The message is out of scope (name None, `out_of_scope` True) when even its nearest
   exemplar is less similar than the tenant's floor; it gets no intent either (name None,
   `out_of_scope` False) when the top probability is below `min_confidence`. Either way
   `confidence` stays the top candidate's probability and `runners_up` starts with it, so
   a trace shows what was declined and how close it was.

Calibration (fitted at build time from the tenant's own exemplars, nothing else)
-------------------------------------------------------------------------------
Stratified 5-fold cross-validation over the exemplars (seeded): every exemplar is scored
against the other four folds only. On those held-out scores:

- k (1, 3, 5 or 10) and the temperature T are chosen together by minimising the held-out
  negative log-likelihood (temperature scaling, Guo et al. 2017; T by golden-section search
  over log T). Log-likelihood is a proper scoring rule, so on messages distributed like
  the exemplars a confidence of 0.8 is right about 80% of the time.
- The out-of-scope floor is the (1 - coverage) quantile of the held-out nearest-exemplar
  similarities: with coverage 0.98 about 2% of in-scope messages like the exemplars are
  refused. It needs no out-of-scope examples, which tenants rarely have.

Known biases: folds hold 80% of the exemplars, so the final model (all of them) is a little
more accurate than its confidence says, and its floor a little lenient. Traffic phrased
unlike the exemplars, or in another language, will be less accurate than the confidence
says; bench/triage.py measures both on held-out data.

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
from knowledge.embedder import Embedder
from knowledge.vector_cache import embed_cached

__all__ = ["BOT_IDENTITY", "HUMAN_HANDOFF", "Calibration", "IntentClassifier", "IntentResult", "Rule", "default_rules",
           "expected_calibration_error"]

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


K_CANDIDATES = (1, 3, 5, 10)
FOLDS = 5


@dataclass(frozen=True)
class IntentResult:
    name: str | None  # None: out of scope, or no intent confident enough (ask the knowledge base)
    confidence: float  # calibrated probability of the top candidate, in [0, 1]
    runners_up: list[tuple[str, float]] = field(default_factory=list)
    method: str = "exemplars"
    out_of_scope: bool = False


@dataclass(frozen=True)
class Calibration:
    """What cross-validation fitted for one embedder, and what it saw (for traces and benchmarks)."""

    embedder: str
    k: int
    temperature: float
    floor: float  # nearest-exemplar similarity below which a message is out of scope
    cv_accuracy: float
    cv_ece: float
    embed_seconds: float
    fit_seconds: float


@dataclass(frozen=True)
class _Route:
    embedder: Embedder
    vectors: np.ndarray  # (exemplars, dim), grouped by intent
    calibration: Calibration


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
        return [route.calibration for route in self._routes]

    def classify(self, text: str, language: str | None = None) -> IntentResult:
        """The intent of `text`; `language` (ISO 639-1, e.g. the conversation's) picks the model."""
        if (ruled := self._rule(text)) is not None:
            return IntentResult(ruled, 1.0, method="rule")
        route = self._route(language)
        method = f"exemplars:{route.embedder.name}"
        if not self.intents:
            return IntentResult(None, 0.0, method=method, out_of_scope=True)
        # einsum, not BLAS: right after an ONNX run its spinning threads hold the cores, and a
        # multi-threaded BLAS product then waits ~10 ms for them (measured on 2 cores)
        sims = np.einsum("nd,d->n", route.vectors, route.embedder.embed([text])[0])
        cal = route.calibration
        probs = _softmax(_intent_scores(sims[None, :], self._bounds, cal.k) / cal.temperature)[0]
        order = np.argsort(-probs, kind="stable")[:4]
        ranked = [(self.intents[i], round(float(probs[i]), 4)) for i in order]
        top, confidence = ranked[0]
        if float(sims.max()) < cal.floor:
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
        embedded = time.perf_counter()
        k, temperature, floor, accuracy, ece = _calibrate(vectors, self._bounds, coverage, seed)
        calibration = Calibration(embedder.name, k, temperature, floor, accuracy, ece,
                                  embedded - started, time.perf_counter() - embedded)
        return _Route(embedder, vectors, calibration)


def _intent_scores(sims: np.ndarray, bounds: np.ndarray, k: int) -> np.ndarray:
    """(messages, intents): mean of each intent's k highest similarities; -inf entries are
    masked-out exemplars and do not count; an intent with none left scores -1."""
    scores = np.full((sims.shape[0], len(bounds) - 1), -1.0, dtype=np.float64)
    for intent, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        take = min(k, int(hi - lo))
        top = -np.partition(-sims[:, lo:hi], take - 1, axis=1)[:, :take]
        valid = np.isfinite(top)
        counts = valid.sum(axis=1)
        totals = np.where(valid, top, 0.0).sum(axis=1)
        scores[:, intent] = np.where(counts > 0, totals / np.maximum(counts, 1), -1.0)
    return scores


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return probabilities


def _nll(scores: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    logits = scores / temperature
    top = logits.max(axis=1)
    log_norm = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
    return float((log_norm - logits[np.arange(len(labels)), labels]).mean())


def _fit_temperature(scores: np.ndarray, labels: np.ndarray) -> float:
    """Golden-section search of log T in [log 0.002, log 2] for the least held-out NLL."""
    lo, hi = np.log(0.002), np.log(2.0)
    ratio = (5**0.5 - 1) / 2
    for _ in range(48):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if _nll(scores, labels, float(np.exp(a))) < _nll(scores, labels, float(np.exp(b))):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Weighted mean |accuracy - confidence| over equal-width confidence bins."""
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            total += members.mean() * abs(float(confidence[members].mean()) - float(correct[members].mean()))
    return total


def _calibrate(vectors: np.ndarray, bounds: np.ndarray, coverage: float,
               seed: int) -> tuple[int, float, float, float, float]:
    """k, temperature, floor, held-out accuracy and ECE from stratified k-fold cross-validation."""
    n = len(vectors)
    if n == 0:
        return 1, 1.0, 1.0, 0.0, 0.0
    labels = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    rng = np.random.default_rng(seed)
    folds = np.empty(n, dtype=np.int64)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        folds[lo:hi] = (rng.permutation(hi - lo) + rng.integers(FOLDS)) % FOLDS
    scores = {k: np.empty((n, len(bounds) - 1)) for k in K_CANDIDATES}
    nearest = np.full(n, -np.inf)
    for fold in range(FOLDS):
        held = np.flatnonzero(folds == fold)
        if not len(held):
            continue
        sims = vectors[held] @ vectors.T
        sims[:, held] = -np.inf
        nearest[held] = sims.max(axis=1)
        for k in K_CANDIDATES:
            scores[k][held] = _intent_scores(sims, bounds, k)
    fits = [(k, _fit_temperature(scores[k], labels)) for k in K_CANDIDATES]
    k, temperature = min(fits, key=lambda fit: _nll(scores[fit[0]], labels, fit[1]))
    probs = _softmax(scores[k] / temperature)
    correct = probs.argmax(axis=1) == labels
    seen = nearest[np.isfinite(nearest)]
    floor = float(np.quantile(seen, 1.0 - coverage)) if len(seen) else -1.0
    return k, temperature, floor, float(correct.mean()), float(expected_calibration_error(probs.max(axis=1), correct))
