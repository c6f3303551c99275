"""Fit the reranker's weights on the doc2dial DEV split and write knowledge/rerank-weights.json.

For every DEV question (questions about the seeded first half of the documents, see
bench/retrieval.py) the hybrid index's first candidates (20, the Retriever's CANDIDATES) are scored with the features of
knowledge/rerank.py. A linear model is fitted listwise: a softmax over each question's
candidates, trained to put its mass on the chunks of the relevant document (most on the
chunk that holds the annotated answer), with a small L2 penalty. The TEST split is never read.

How many candidates to rescore was chosen the same way: `--candidates 15|20|30 --dry-run`
prints each count's DEV hit@5 over every DEV question (a question whose document is not
among the candidates counts as a miss); 20 scored best.

    uv run python bench/fit_rerank.py [--queries N] [--candidates N] [--dry-run]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config.settings import load_settings
from bench.retrieval import SPLIT_SEED, TENANT, VECTOR_CACHE, build, in_split, load_corpus, load_queries, require_data
from knowledge.embedder import open_embedders
from knowledge.index import KnowledgeIndex
from knowledge.model_files import DEFAULT_MODEL
from knowledge.rerank import FEATURES, WEIGHTS_FILE, features
from knowledge.retrieval import CANDIDATES

ANSWER_SHARE = 0.7  # of a question's target mass, on the chunks holding its answer
L2 = 0.01


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def target(hits: list, query: dict) -> np.ndarray | None:
    """The share of the question's mass each candidate should get; None without a relevant one."""
    relevant = np.array([h.doc_id == query["relevant_doc_id"] for h in hits], dtype=float)
    if not relevant.any():
        return None
    spans = [_normal(a)[:60] for a in query.get("answers", []) if a.strip()]
    answer = np.array([r > 0 and any(s in _normal(h.text) for s in spans) for h, r in zip(hits, relevant, strict=True)],
                      dtype=float)
    if not answer.any():
        return relevant / relevant.sum()
    rest = relevant - answer
    mass = ANSWER_SHARE * answer / answer.sum()
    return mass + ((1 - ANSWER_SHARE) * rest / rest.sum() if rest.any() else (1 - ANSWER_SHARE) * answer / answer.sum())


def fit(groups: list[tuple[np.ndarray, np.ndarray]], steps: int = 3000, rate: float = 0.5) -> np.ndarray:
    """Listwise softmax cross-entropy, full-batch gradient descent from zero (groups padded
    to one array, padding masked out)."""
    width = max(len(y) for _, y in groups)
    x = np.zeros((len(groups), width, groups[0][0].shape[1]))
    y = np.zeros((len(groups), width))
    mask = np.full((len(groups), width), -np.inf)
    for row, (features_, target_) in enumerate(groups):
        x[row, :len(target_)], y[row, :len(target_)], mask[row, :len(target_)] = features_, target_, 0.0
    weights = np.zeros(x.shape[2])
    for _ in range(steps):
        z = x @ weights + mask
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        weights -= rate * (L2 * weights + np.einsum("gc,gcf->f", p - y, x) / len(groups))
    return weights


def hit_at(groups_hits: list[tuple[list, dict]], scores: list[np.ndarray], k: int) -> float:
    found = 0
    for (hits, query), score in zip(groups_hits, scores, strict=True):
        docs: list[str] = []
        for i in sorted(range(len(hits)), key=lambda i: (-score[i], i)):
            if hits[i].doc_id not in docs:
                docs.append(hits[i].doc_id)
        found += query["relevant_doc_id"] in docs[:k]
    return found / max(len(groups_hits), 1)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=None, help="sample this many DEV questions")
    parser.add_argument("--dry-run", action="store_true", help="print the weights, write nothing")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--candidates", type=int, default=CANDIDATES, help="how many candidates to rescore")
    args = parser.parse_args()
    require_data()
    settings = load_settings()
    # the questions are English: the primary model scores them, the multilingual one never would
    embedder, multilingual = open_embedders(settings.model_dir, DEFAULT_MODEL, "none")
    documents = load_corpus()
    queries = in_split(load_queries(None), documents, "dev")
    if args.queries and args.queries < len(queries):
        queries = random.Random(3).sample(queries, args.queries)
    with tempfile.TemporaryDirectory() as folder:
        index = await KnowledgeIndex.open(embedder, path=Path(folder) / "qdrant", multilingual=multilingual,
                                          vector_cache=VECTOR_CACHE)
        try:
            await build(index, documents)
            collected = []
            print(f"collecting the first {args.candidates} candidates of {len(queries)} DEV questions", flush=True)
            for query in queries:
                hits = await index.search(TENANT, query["last_user_turn"], args.candidates, language="en")
                collected.append((hits, query))
        finally:
            await index.close()
    groups, kept = [], []
    for hits, query in collected:
        y = target(hits, query)
        if y is not None and len(hits) > 1:
            groups.append((features(query["last_user_turn"], hits, "en"), y))
            kept.append((hits, query))
    weights = fit(groups, steps=args.steps)
    fused = [-np.arange(len(h), dtype=float) for h, _ in kept]
    reranked = [x @ weights for x, _ in groups]
    print(f"DEV: {len(queries)} questions, {len(groups)} with the relevant document among the candidates")
    print(f"  hit@1 among those: fused {hit_at(kept, fused, 1):.3f} -> reranked {hit_at(kept, reranked, 1):.3f}; "
          f"hit@5 {hit_at(kept, fused, 5):.3f} -> {hit_at(kept, reranked, 5):.3f}")
    share = len(kept) / max(len(queries), 1)  # the others' document is not among the candidates: a miss
    print(f"  over every DEV question, reranked: hit@1 {share * hit_at(kept, reranked, 1):.3f}, "
          f"hit@5 {share * hit_at(kept, reranked, 5):.3f}")
    named = {name: round(float(w), 4) for name, w in zip(FEATURES, weights, strict=True)}
    print(json.dumps(named, indent=1))
    if not args.dry_run:
        WEIGHTS_FILE.write_text(json.dumps({
            "note": f"fitted by bench/fit_rerank.py on the doc2dial DEV split (seed {SPLIT_SEED}), "
                    f"{len(groups)} questions",
            "weights": named}, indent=1) + "\n", encoding="utf-8")
        print(f"written to {WEIGHTS_FILE}")


if __name__ == "__main__":
    asyncio.run(main())
