"""Follow-up questions: the conversation's earlier customer turns help find the answer.

"What about the second one?" or "and if I'm abroad?" names nothing a help center can match:
the article was named turns ago. A follow-up is searched twice: as typed, and as a context
query (the last few earlier customer turns followed by the latest one). The two rankings are
fused passage by passage with a linear score whose weights were fitted on the doc2dial DEV
split by bench/fit_context.py (knowledge/context-weights.json). The fit also saw topic
changes (a new question after turns about another article), so the context's pull shrinks when
the latest turn finds a confident match of its own; a message with no earlier turns is not
touched at all. bench/retrieval.py reports the effect on the TEST split.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from knowledge.hits import Hit
from knowledge.sparse import stopwords

WEIGHTS_FILE = Path(__file__).with_name("context-weights.json")
EARLIER_TURNS = 4  # earlier customer turns in the context query, the most recent ones
MAX_TURN_CHARS = 300  # of each earlier turn: a pasted wall of text must not drown the question
FEATURES = ("latest_rank", "latest_doc_rank", "latest_gap", "context_rank", "context_doc_rank",
            "context_gap", "context_doc_if_confident", "context_doc_if_short", "context_doc_if_matched")
SHORT_WORDS = 4  # a latest turn with fewer content words than this is short: it leans on context


def context_query(latest: str, earlier: Sequence[str], turns: int = EARLIER_TURNS) -> str:
    """The search text for a follow-up: the most recent earlier turns, then the latest one."""
    kept = [t.strip()[:MAX_TURN_CHARS] for t in earlier if t and t.strip()][-turns:] if turns else []
    return " ".join([*kept, latest.strip()])


def _content_words(text: str, language: str | None) -> int:
    common = stopwords((language or "en").lower()[:2])
    return sum(1 for word in re.findall(r"\w+", text.lower()) if word not in common)


def _positions(hits: Sequence[Hit]) -> tuple[dict[str, int], dict[str, int], float]:
    """(passage rank, article rank, best similarity) of a ranking."""
    passages = {h.point_id: i for i, h in enumerate(hits)}
    docs: dict[str, int] = {}
    for hit in hits:
        docs.setdefault(hit.doc_id, len(docs))
    return passages, docs, max((h.similarity for h in hits), default=0.0)


def candidates(latest: Sequence[Hit], context: Sequence[Hit]) -> list[Hit]:
    """Every passage of either ranking once; the latest ranking's copy wins, with the higher of
    the two similarities (a follow-up's own words rarely clear the relevance floor alone, and
    the context query holds them too)."""
    by_id: dict[str, Hit] = {h.point_id: h for h in context}
    merged = []
    for hit in latest:
        other = by_id.pop(hit.point_id, None)
        merged.append(hit if other is None or other.similarity <= hit.similarity
                      else replace(hit, similarity=other.similarity))
    return merged + list(by_id.values())


def features(latest_text: str, latest: Sequence[Hit], context: Sequence[Hit], pool: Sequence[Hit],
             language: str | None = None) -> np.ndarray:
    """One row per passage of `pool` (see `candidates`), one column per name in FEATURES."""
    if not pool:
        return np.zeros((0, len(FEATURES)))
    l_pass, l_doc, l_best = _positions(latest)
    c_pass, c_doc, c_best = _positions(context)
    l_sim = {h.point_id: h.similarity for h in latest}
    c_sim = {h.point_id: h.similarity for h in context}
    confident = l_best - c_best  # > 0: the latest turn matches better on its own (a new topic)
    short = 1.0 if _content_words(latest_text, language) < SHORT_WORDS else 0.0
    rows = []
    for hit in pool:
        pid, doc = hit.point_id, hit.doc_id
        context_doc = 1.0 / (1 + c_doc[doc]) if doc in c_doc else 0.0
        rows.append([
            1.0 / (1 + l_pass[pid]) if pid in l_pass else 0.0,
            1.0 / (1 + l_doc[doc]) if doc in l_doc else 0.0,
            l_sim[pid] - l_best if pid in l_sim else -0.5,
            1.0 / (1 + c_pass[pid]) if pid in c_pass else 0.0,
            context_doc,
            c_sim[pid] - c_best if pid in c_sim else -0.5,
            context_doc * confident,
            context_doc * short,
            context_doc * l_best,
        ])
    return np.asarray(rows, dtype=np.float64)


def grouped(pool: Sequence[Hit], scores: np.ndarray) -> list[Hit]:
    """Articles by their best passage's score, each article's passages by their own."""
    best: dict[str, float] = {}
    for hit, score in zip(pool, scores, strict=True):
        best[hit.doc_id] = max(best.get(hit.doc_id, -np.inf), float(score))
    order = sorted(range(len(pool)), key=lambda i: (-best[pool[i].doc_id], pool[i].doc_id, -scores[i], i))
    return [pool[i] for i in order]


@dataclass(frozen=True)
class ContextFusion:
    """Fuses a follow-up's own ranking with its context query's, by fitted weights."""

    weights: tuple[float, ...]
    turns: int = EARLIER_TURNS

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"context fusion needs {len(FEATURES)} weights ({', '.join(FEATURES)}), "
                             f"got {len(self.weights)}")

    @classmethod
    def from_file(cls, path: Path = WEIGHTS_FILE) -> ContextFusion:
        """The fitted weights; a missing or malformed file is an error naming it, never a silent default."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            weights = data["weights"]
            return cls(tuple(float(weights[name]) for name in FEATURES), int(data.get("turns", EARLIER_TURNS)))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"Cannot read context-fusion weights from {path}: {exc!r}") from None

    def query(self, latest: str, earlier: Sequence[str]) -> str:
        return context_query(latest, earlier, self.turns)

    def fuse(self, latest_text: str, latest: Sequence[Hit], context: Sequence[Hit],
             language: str | None = None) -> list[Hit]:
        """One ranking from both, best article first."""
        pool = candidates(latest, context)
        if not pool:
            return []
        scores = features(latest_text, latest, context, pool, language) @ np.asarray(self.weights)
        return grouped(pool, scores)
