"""Reranking: the first candidates of hybrid search, rescored with what fusion cannot see.

Reciprocal-rank fusion knows only the order of each ranking. The reranker looks at each
candidate again: its dense similarity and its gap to the best one, its place in the fused
order, how much of the question's wording its heading, its article's title and its own text
cover, whether the question's word pairs appear in it as phrases, how strongly its article
is represented among the candidates, whether it is an article's untitled introduction, and
whether a question asking "how" meets a passage that holds a list of steps.

The weights are a linear model fitted by `bench/fit_rerank.py` on a development split of
doc2dial questions (split by document, seeded) and kept in knowledge/rerank-weights.json;
the benchmark reports on the other documents' questions only. No cross-encoder is used:
none ships as a hash-pinned package without PyTorch (docs/knowledge.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from knowledge.index import Hit
from knowledge.questions import asks_for_steps
from knowledge.sparse import stopwords

WEIGHTS_FILE = Path(__file__).with_name("rerank-weights.json")
FEATURES = ("similarity", "similarity_gap", "fused_rank", "heading_coverage", "title_coverage",
            "body_coverage", "phrase_match", "doc_share", "doc_best_rank", "intro", "steps_for_how")
STEM = 5  # words compared by their first letters: "invoices" and "invoice" match
_LIST = re.compile(r"(?m)^\s{0,3}(?:[-*+•]|\d{1,3}[.)])\s+\S|^\s*\|.*\|\s*$")


def _stems(text: str, common: frozenset[str]) -> list[str]:
    return [word[:STEM] for word in re.findall(r"\w+", text.lower()) if word not in common]


@cache
def _common(language: str | None) -> frozenset[str]:
    return frozenset(stopwords((language or "en").lower()[:2]))


def _coverage(query: frozenset[str], field: frozenset[str]) -> float:
    """The share of the question's distinct stems found in `field`."""
    return len(query & field) / len(query) if query else 0.0


def holds_steps(text: str) -> bool:
    """Whether a passage holds a list (numbered or bulleted steps) or a table."""
    return _LIST.search(text) is not None


def _phrases(stems: list[str]) -> set[tuple[str, str]]:
    return set(zip(stems, stems[1:], strict=False))


@dataclass(frozen=True)
class _PassageWords:
    heading: frozenset[str]
    title: frozenset[str]
    body: frozenset[str]
    phrases: frozenset[tuple[str, str]]  # word pairs of the heading path, then the body
    has_list: bool


@lru_cache(maxsize=8192)
def _passage_words(heading_path: tuple[str, ...], title: str, text: str, language: str | None) -> _PassageWords:
    """A passage's stems, worked out once: the same passages are candidates of question after question."""
    common = _common(language)
    heading = _stems(" ".join(heading_path), common)
    body = _stems(text, common)
    return _PassageWords(frozenset(heading), frozenset(_stems(title, common)), frozenset(body),
                         frozenset(_phrases(heading + body)), holds_steps(text))


def features(query: str, hits: Sequence[Hit], language: str | None = None) -> np.ndarray:
    """One row per candidate, one column per name in FEATURES, each roughly within [0, 1]."""
    if not hits:
        return np.zeros((0, len(FEATURES)))
    common = _common(language)
    stems = _stems(query, common)
    asked, asked_pairs = frozenset(stems), _phrases(stems)
    procedural = asks_for_steps(query, language)
    best_similarity = max(hit.similarity for hit in hits)
    doc_count: dict[str, int] = {}
    doc_rank: dict[str, int] = {}
    for rank, hit in enumerate(hits):
        doc_count[hit.doc_id] = doc_count.get(hit.doc_id, 0) + 1
        doc_rank.setdefault(hit.doc_id, rank)
    rows = []
    for rank, hit in enumerate(hits):
        words = _passage_words(hit.heading_path, hit.title, hit.text, language)
        rows.append([
            hit.similarity,
            hit.similarity - best_similarity,
            1.0 / (1 + rank),
            _coverage(asked, words.heading),
            _coverage(asked, words.title),
            _coverage(asked, words.body),
            len(asked_pairs & words.phrases) / len(asked_pairs) if asked_pairs else 0.0,
            doc_count[hit.doc_id] / len(hits),
            1.0 / (1 + doc_rank[hit.doc_id]),
            0.0 if hit.heading_path else 1.0,
            1.0 if procedural and words.has_list else 0.0,
        ])
    return np.asarray(rows, dtype=np.float64)


@dataclass(frozen=True)
class Reranker:
    """A linear score over FEATURES; candidates are returned best first (ties keep their order)."""

    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"a reranker needs {len(FEATURES)} weights ({', '.join(FEATURES)}), "
                             f"got {len(self.weights)}")

    @classmethod
    def from_file(cls, path: Path = WEIGHTS_FILE) -> Reranker:
        """The fitted weights; a missing or malformed file is an error naming it, never a silent default."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            weights = data["weights"]
            return cls(tuple(float(weights[name]) for name in FEATURES))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"Cannot read reranker weights from {path}: {exc!r}") from None

    def scores(self, query: str, hits: Sequence[Hit], language: str | None = None) -> np.ndarray:
        return features(query, hits, language) @ np.asarray(self.weights) if hits else np.zeros(0)

    def rerank(self, query: str, hits: Sequence[Hit], language: str | None = None) -> list[Hit]:
        """Articles reordered by their best passage's score; inside an article, the hybrid order.

        The weights were fitted on which article answers a question (doc2dial labels articles,
        not sections), so they order articles; which of an article's sections answers best is
        left to the hybrid ranking, which sees the section's own wording ("How do I reset my
        password?" keeps the section with the steps, not the single sign-on note)."""
        scores = self.scores(query, hits, language)
        best: dict[str, float] = {}
        for hit, score in zip(hits, scores, strict=True):
            best[hit.doc_id] = max(best.get(hit.doc_id, -np.inf), float(score))
        first = {doc: i for i, doc in reversed(list(enumerate(h.doc_id for h in hits)))}
        order = sorted(range(len(hits)), key=lambda i: (-best[hits[i].doc_id], first[hits[i].doc_id], i))
        return [hits[i] for i in order]
