"""Triage: what language the customer speaks and what they want (entities: app/entities.py).

Language is sticky per conversation: langdetect is unreliable on short text, so the
conversation keeps its language (seeded by the widget's locale) and switches only on a
long, confidently detected message. Intents come from per-tenant exemplars; explicit
requests for a person are matched by rules first, because missing one is costly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from langdetect import DetectorFactory, LangDetectException, detect_langs

from app.errors import ConfigError
from app.intents import HUMAN_REQUEST
from app.tenants import SUPPORTED_LANGUAGES
from knowledge.embedder import Embedder

DetectorFactory.seed = 0  # langdetect is random unless seeded

MIN_CHARS_TO_SWITCH = 24
MIN_CONFIDENCE_TO_SWITCH = 0.90


@dataclass(frozen=True)
class LanguageResult:
    language: str
    detected: str | None
    confidence: float
    switched: bool


def detect_language(text: str, current: str | None, default: str) -> LanguageResult:
    """Keep `current` unless the text is long enough and confidently another language."""
    base = current or default
    letters = sum(ch.isalpha() for ch in text)
    try:
        candidates = detect_langs(text) if letters >= 3 else []
    except LangDetectException:
        candidates = []
    if not candidates:
        return LanguageResult(base, None, 0.0, False)
    best = candidates[0]
    detected, confidence = best.lang, float(best.prob)
    switch = (
        detected in SUPPORTED_LANGUAGES and detected != base
        and letters >= MIN_CHARS_TO_SWITCH and confidence >= MIN_CONFIDENCE_TO_SWITCH
    )
    return LanguageResult(detected if switch else base, detected, confidence, switch)




@dataclass(frozen=True)
class IntentResult:
    name: str | None  # None: nothing matched well enough (a question for the knowledge base)
    confidence: float
    runners_up: list[tuple[str, float]] = field(default_factory=list)
    method: str = "exemplars"


class IntentClassifier:
    """Nearest exemplars per intent, by cosine similarity of sentence embeddings."""

    def __init__(self, embedder: Embedder, exemplars: dict[str, list[str]],
                 threshold: float = 0.72) -> None:
        self._embedder = embedder
        self.threshold = threshold
        self._labels: list[str] = []
        texts: list[str] = []
        for intent, examples in exemplars.items():
            for example in examples:
                self._labels.append(intent)
                texts.append(example)
        self._vectors = embedder.embed(texts) if texts else np.zeros((0, embedder.dim))

    @classmethod
    def from_file(cls, embedder: Embedder, path: Path) -> IntentClassifier:
        try:
            raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
            intents = raw["intents"]
            exemplars = {str(name): [str(e) for e in spec["examples"]] for name, spec in intents.items()}
        except (OSError, UnicodeDecodeError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"Intent file {path} is unusable: {exc!r}") from None
        return cls(embedder, exemplars)

    def classify(self, text: str) -> IntentResult:
        if HUMAN_REQUEST.search(text):
            return IntentResult("human_handoff", 1.0, method="rule")
        if not self._labels:
            return IntentResult(None, 0.0)
        scores = self._vectors @ self._embedder.embed([text])[0]
        best: dict[str, float] = {}
        for label, score in zip(self._labels, scores, strict=True):
            best[label] = max(best.get(label, -1.0), float(score))
        ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)
        top, confidence = ranked[0]
        runners_up = [(name, round(score, 4)) for name, score in ranked[1:4]]
        if confidence < self.threshold:
            return IntentResult(None, round(confidence, 4), [(top, round(confidence, 4)), *runners_up])
        return IntentResult(top, round(confidence, 4), runners_up)
