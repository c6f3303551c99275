"""Fit context fusion's weights on the doc2dial DEV split and write knowledge/context-weights.json.

Every DEV user turn that has earlier customer turns is a follow-up; every DEV opening turn,
asked after the customer turns of a dialogue about another document, is a topic change (as
many of those as there are opening turns). For each, the latest turn and its context query
(knowledge/context.py) are searched through the Retriever (hybrid + rerank, its 20
candidates each), the pooled passages get the features of knowledge/context.py, and a linear
model is fitted listwise (a softmax over each turn's passages, its mass on the relevant document's),
as bench/fit_rerank.py does; each topic change counts --topic-weight times, the price put on
dragging a new question back to the old topic. The TEST split is never read. The shipped
weights: --queries 900 --topic-changes 200 --topic-weight 2 --turns 4.

    uv run python bench/fit_context.py [--queries N] [--topic-changes N] [--topic-weight W]
                                       [--turns 2] [--dry-run]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config.settings import load_settings
from bench.fit_rerank import fit, hit_at
from bench.retrieval import (
    SPLIT_SEED,
    TENANT,
    VECTOR_CACHE,
    build,
    in_split,
    load_corpus,
    load_queries,
    require_data,
    served,
    topic_changes,
)
from knowledge.context import EARLIER_TURNS, FEATURES, WEIGHTS_FILE, candidates, context_query, features
from knowledge.embedder import open_embedders
from knowledge.index import KnowledgeIndex
from knowledge.model_files import DEFAULT_MODEL
from knowledge.rerank import Reranker
from knowledge.retrieval import CANDIDATES, Retriever


async def collect(retriever: Retriever, rows: list[dict], turns: int) -> list[tuple[list, list, dict]]:
    collected = []
    for row in rows:
        latest = await retriever.search(TENANT, row["text"], CANDIDATES, language="en")
        context = await retriever.search(TENANT, context_query(row["text"], row["earlier"], turns), CANDIDATES,
                                         language="en")
        collected.append((latest, context, row))
    return collected


def groups_of(collected: list[tuple[list, list, dict]]) -> tuple[list, list]:
    groups, kept = [], []
    for latest, context, row in collected:
        pool = candidates(latest, context)
        relevant = np.array([h.doc_id == row["doc"] for h in pool], dtype=float)
        if relevant.any() and len(pool) > 1:
            groups.append((features(row["text"], latest, context, pool, "en"), relevant / relevant.sum()))
            kept.append((pool, {"relevant_doc_id": row["doc"]}))
    return groups, kept


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=None, help="sample this many DEV user turns")
    parser.add_argument("--topic-changes", type=int, default=None,
                        help="topic changes to build (default: as many as DEV opening turns)")
    parser.add_argument("--topic-weight", type=int, default=2, help="how many times each topic change counts")
    parser.add_argument("--turns", type=int, default=EARLIER_TURNS, help="earlier turns in the context query")
    parser.add_argument("--dry-run", action="store_true", help="print the weights, write nothing")
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args()
    require_data()
    settings = load_settings()
    embedder, multilingual = open_embedders(settings.model_dir, DEFAULT_MODEL, "none")
    documents = load_corpus()
    queries = in_split(load_queries(None), documents, "dev")
    if args.queries and args.queries < len(queries):
        queries = random.Random(3).sample(queries, args.queries)
    follow = [row for row in served(queries) if row["earlier"]]
    changes = topic_changes(queries, args.topic_changes if args.topic_changes is not None
                            else sum(q["id"].endswith("_1") for q in queries), seed=4)
    with tempfile.TemporaryDirectory() as folder:
        index = await KnowledgeIndex.open(embedder, path=Path(folder) / "qdrant", multilingual=multilingual,
                                          vector_cache=VECTOR_CACHE)
        try:
            await build(index, documents)
            print(f"searching {len(follow)} DEV follow-ups and {len(changes)} topic changes", flush=True)
            retriever = Retriever(index, Reranker.from_file(), split=False)
            collected_follow = await collect(retriever, follow, args.turns)
            collected_changes = await collect(retriever, changes, args.turns)
        finally:
            await index.close()
    groups_follow, kept_follow = groups_of(collected_follow)
    groups_changes, kept_changes = groups_of(collected_changes)
    weights = fit(groups_follow + groups_changes * args.topic_weight, steps=args.steps)
    for label, groups, kept in (("follow-ups", groups_follow, kept_follow),
                                ("topic changes", groups_changes, kept_changes)):
        alone = [-np.arange(len(p), dtype=float) * (x[:, 0] > 0) - 1000 * (x[:, 0] == 0)
                 for (x, _), (p, _) in zip(groups, kept, strict=True)]
        fused = [x @ weights for x, _ in groups]
        print(f"DEV {label}: {len(groups)} with the relevant document among the pooled passages; "
              f"hit@1 latest alone {hit_at(kept, alone, 1):.3f} -> fused {hit_at(kept, fused, 1):.3f}; "
              f"hit@5 {hit_at(kept, alone, 5):.3f} -> {hit_at(kept, fused, 5):.3f}")
    named = {name: round(float(w), 4) for name, w in zip(FEATURES, weights, strict=True)}
    print(json.dumps(named, indent=1))
    if not args.dry_run:
        WEIGHTS_FILE.write_text(json.dumps({
            "note": f"fitted by bench/fit_context.py on the doc2dial DEV split (seed {SPLIT_SEED}), "
                    f"{len(queries)} turns sampled: {len(groups_follow)} follow-ups and {len(groups_changes)} "
                    f"topic changes (each counted {args.topic_weight} times)",
            "turns": args.turns, "weights": named}, indent=1) + "\n", encoding="utf-8")
        print(f"written to {WEIGHTS_FILE}")


if __name__ == "__main__":
    asyncio.run(main())
