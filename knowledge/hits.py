"""What a knowledge search returns, and how two rankings are fused into one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

Mode = Literal["hybrid", "dense", "sparse"]
RRF_K = 60


@dataclass(frozen=True)
class Hit:
    doc_id: str
    title: str
    heading: str | None
    text: str
    url: str
    score: float  # ranking score for this mode (RRF for hybrid)
    point_id: str
    similarity: float = 0.0  # dense similarity (title-blended), comparable across queries
    floor: float = 0.0  # the similarity below which the model that scored it finds nothing relevant
    heading_path: tuple[str, ...] = ()
    language: str | None = None
    source: str = ""


def with_score(hit: Hit, score: float) -> Hit:
    return replace(hit, score=score)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[tuple[str, float]]]) -> list[tuple[str, float]]:
    """(point id, similarity) rankings -> (point id, fused score), best first. Reciprocal
    rank needs no score calibration between dense and BM25; ties go to the higher dense
    similarity."""
    fused: dict[str, float] = {}
    similarity: dict[str, float] = {}
    for ranking in rankings:
        for rank, (point_id, sim) in enumerate(ranking):
            fused[point_id] = fused.get(point_id, 0.0) + 1.0 / (RRF_K + rank + 1)
            similarity.setdefault(point_id, sim)
    ordered = sorted(fused, key=lambda pid: (fused[pid], similarity[pid]), reverse=True)
    return [(pid, fused[pid]) for pid in ordered]
