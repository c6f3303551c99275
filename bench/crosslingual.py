"""Cross-lingual retrieval: Spanish, German and French questions against the English demo
help center (bench/data/crosslingual_demo.jsonl, 140 questions, 32 articles).

For each set-up (the English model alone, the multilingual model alone, and the English
model with the multilingual one scoring non-English questions) it prints recall@1, recall@5 and MRR (article level) per
language for dense, BM25 and hybrid retrieval on the question as typed (no LLM), and for
hybrid retrieval on the English rendering of the same question: what retrieval would get
if an LLM translated the question perfectly before searching (an upper bound for the
"translate, then search" approach).

    uv run python bench/crosslingual.py [--model NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config.settings import load_settings
from knowledge.embedder import open_embedder
from knowledge.index import KnowledgeIndex
from knowledge.loaders import load_folder
from knowledge.model_files import DEFAULT_MODEL, MULTILINGUAL_MODEL

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "bench" / "data" / "crosslingual_demo.jsonl"


async def evaluate(index: KnowledgeIndex, rows: list[dict], mode: str, field: str) -> tuple[float, float, float]:
    ranks = []
    for row in rows:
        language = "en" if field == "en" else row["lang"]
        hits = await index.search("demo", row[field], limit=20, mode=mode, language=language)
        docs: list[str] = []
        for hit in hits:
            if hit.doc_id not in docs:
                docs.append(hit.doc_id)
        ranks.append(docs.index(row["doc_id"]) + 1 if row["doc_id"] in docs else None)
    r1 = sum(1 for r in ranks if r == 1) / len(ranks)
    r5 = sum(1 for r in ranks if r and r <= 5) / len(ranks)
    return r1, r5, statistics.fmean(1 / r if r else 0.0 for r in ranks)


async def run(models: list[str], rows: list[dict]) -> None:
    settings = load_settings()
    embedders = [open_embedder(settings.model_dir, model) for model in models]
    documents, _ = load_folder(ROOT / "demo" / "helpcenter")
    with tempfile.TemporaryDirectory() as folder:
        index = await KnowledgeIndex.open(embedders[0], path=Path(folder) / "qdrant",
                                          multilingual=embedders[1] if len(embedders) > 1 else None)
        try:
            await index.sync("demo", documents, {}, origin="demo")
            print(f"\nmodels: {' + '.join(models)}")
            print(f"{'lang':<5} {'approach':<34} {'R@1':>6} {'R@5':>6} {'MRR':>6}")
            for lang in ("es", "de", "fr", "all"):
                subset = [r for r in rows if lang in ("all", r["lang"])]
                for label, mode, field in (("dense, question as typed", "dense", "question"),
                                           ("BM25, question as typed", "sparse", "question"),
                                           ("hybrid, question as typed", "hybrid", "question"),
                                           ("hybrid, English rendering (LLM)", "hybrid", "en")):
                    r1, r5, mrr = await evaluate(index, subset, mode, field)
                    print(f"{lang:<5} {label:<34} {r1:6.3f} {r5:6.3f} {mrr:6.3f}")
        finally:
            await index.close()


CONFIGURATIONS = [[DEFAULT_MODEL], [MULTILINGUAL_MODEL], [DEFAULT_MODEL, MULTILINGUAL_MODEL]]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--models", help="comma-separated: primary[,multilingual]; default: all three set-ups")
    args = parser.parse_args()
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(f"{len(rows)} questions: " + ", ".join(
        f"{lang} {sum(r['lang'] == lang for r in rows)}" for lang in ("es", "de", "fr")))
    for models in ([args.models.split(",")] if args.models else CONFIGURATIONS):
        asyncio.run(run(models, rows))


if __name__ == "__main__":
    main()
