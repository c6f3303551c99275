"""A newcomer's questions to the demo tenant: does the grounded answer quote the right section,
with its whole list of steps?

bench/data/demo_questions.jsonl (written before tuning) gives each question's expected article
and section, one per part for a multi-part question. Each question goes through the grounded
help-center answer exactly as a turn does (AnswerStages.help_center): the Retriever's search,
the injection screen, the relevance floor, then kb_answer. A part counts as answered when the
reply cites the expected section; as answered whole when, in addition, every line of that
section (each step, list item or table row) is in the reply.

    uv run python bench/demo_answers.py [--no-rerank] [--no-split] [--show]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config.settings import load_settings
from app.conversation.grounded import kb_answer, screened
from knowledge.chunking import _sections
from knowledge.embedder import open_embedders
from knowledge.index import KnowledgeIndex
from knowledge.loaders import load_folder
from knowledge.rerank import Reranker
from knowledge.retrieval import Retriever

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "bench" / "data" / "demo_questions.jsonl"
HELP_CENTER = ROOT / "demo" / "helpcenter"
TENANT = "demo"


def section_lines(documents: dict, doc_id: str, heading: str) -> list[str]:
    """The lines of the section's text, as a quote must show them."""
    for path, text in _sections(documents[doc_id].body):
        if path and path[-1] == heading:
            return [line.strip() for line in text.splitlines() if line.strip()]
    raise ValueError(f"{doc_id} has no section {heading!r}")


def shown_lines(reply: str) -> set[str]:
    return {re.sub(r"^>\s?", "", line).strip() for line in reply.splitlines()}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-rerank", action="store_true")
    parser.add_argument("--no-split", action="store_true")
    parser.add_argument("--show", action="store_true", help="print every reply that misses")
    args = parser.parse_args()
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    settings = load_settings()
    embedder, multilingual = open_embedders(settings.model_dir, settings.embedding_model, settings.multilingual_model)
    loaded, _ = load_folder(HELP_CENTER)
    documents = {d.doc_id: d for d in loaded}
    with tempfile.TemporaryDirectory() as folder:
        index = await KnowledgeIndex.open(embedder, path=Path(folder) / "qdrant", multilingual=multilingual,
                                          vector_cache=Path(tempfile.gettempdir()) / "frontline-bench-vectors")
        try:
            await index.sync(TENANT, loaded, {d: f"/kb/{d}" for d in documents}, origin="demo")
            retriever = Retriever(index, None if args.no_rerank else Reranker.from_file(), split=not args.no_split)
            parts = answered = whole = top5 = questions_whole = 0
            for row in rows:
                hits, _dropped = screened(await retriever.search(TENANT, row["question"], limit=5,
                                                                 language=row["lang"]))
                good = [h for h in hits if h.similarity >= h.floor]
                reply, citations = kb_answer(good, row["lang"]) if good else ("(no answer)", ())
                lines = shown_lines(reply)
                all_whole = True
                for expected in row["expected"]:
                    parts += 1
                    top5 += any(h.doc_id == expected["doc_id"] for h in hits)
                    cited = any(c.section == expected["section"] and c.url.split("#")[0] == f"/kb/{expected['doc_id']}"
                                for c in citations)
                    complete = cited and all(line in lines for line in
                                             section_lines(documents, expected["doc_id"], expected["section"]))
                    answered += cited
                    whole += complete
                    all_whole &= complete
                    if args.show and not complete:
                        print(f"--- {row['question']!r} expected {expected['doc_id']} / "
                              f"{expected['section']}\n{reply}\n")
                questions_whole += all_whole
        finally:
            await index.close()
    pipeline = ("no rerank" if args.no_rerank else "rerank") + (", no split" if args.no_split else ", split")
    print(f"demo tenant, {len(rows)} questions ({sum(len(r['expected']) > 1 for r in rows)} multi-part), "
          f"{parts} parts; Retriever: hybrid, {pipeline}")
    print(f"  expected article among the 5 hits:          {top5}/{parts} parts")
    print(f"  reply quotes the expected section:          {answered}/{parts} parts")
    print(f"  ... with the whole section (every step):    {whole}/{parts} parts")
    print(f"  questions answered whole, every part:       {questions_whole}/{len(rows)}")


if __name__ == "__main__":
    asyncio.run(main())
