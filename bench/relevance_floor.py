"""The figures behind the relevance floors (docs/knowledge.md, "Relevance floors").

For each bundled model, over the demo help center: the top hit's similarity for the in-scope
questions it answers with the right article (bench/data/crosslingual_demo.jsonl: the English
renderings for the English model, the es/de/fr questions for the multilingual one), against
the best similarity any out-of-scope question reaches (bench/data/out_of_scope_demo.jsonl).
The floor must sit between the out-of-scope maximum and the answered questions' low end.

    uv run python bench/relevance_floor.py
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config.settings import load_settings
from knowledge.embedder import open_embedder
from knowledge.index import KnowledgeIndex
from knowledge.loaders import load_folder
from knowledge.model_files import DEFAULT_MODEL, MULTILINGUAL_MODEL

ROOT = Path(__file__).resolve().parents[1]


def rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (ROOT / "bench" / "data" / name).read_text().splitlines() if line.strip()]


async def top(index: KnowledgeIndex, question: str, language: str) -> tuple[str, float]:
    hits = await index.search("demo", question, limit=5, mode="dense", language=language)
    return (hits[0].doc_id, hits[0].similarity) if hits else ("", 0.0)


async def measure(model: str) -> None:
    embedder = open_embedder(load_settings().model_dir, model)
    documents, _ = load_folder(ROOT / "demo" / "helpcenter")
    english = model == DEFAULT_MODEL
    in_scope = [(r["en"] if english else r["question"], r["doc_id"], "en" if english else r["lang"])
                for r in rows("crosslingual_demo.jsonl")]
    out_of_scope = [(r["question"], r["lang"]) for r in rows("out_of_scope_demo.jsonl")
                    if (r["lang"] == "en") == english]
    with tempfile.TemporaryDirectory() as folder:
        index = await KnowledgeIndex.open(embedder, path=Path(folder) / "qdrant")
        try:
            await index.sync("demo", documents, {}, origin="demo")
            answered = []
            for question, doc_id, language in in_scope:
                found, similarity = await top(index, question, language)
                if found == doc_id:
                    answered.append(similarity)
            outside = [(await top(index, question, language))[1] for question, language in out_of_scope]
        finally:
            await index.close()
    print(f"{model} (floor {embedder.relevance_floor}):")
    print(f"  answered with the right article: {len(answered)} of {len(in_scope)}; top similarity "
          f"5th percentile {np.percentile(answered, 5):.3f}, median {np.median(answered):.3f}")
    print(f"  out of scope: {len(outside)} questions, highest {max(outside):.3f}")


def main() -> None:
    for model in (DEFAULT_MODEL, MULTILINGUAL_MODEL):
        asyncio.run(measure(model))


if __name__ == "__main__":
    main()
