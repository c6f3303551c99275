"""Retrieval quality and speed on doc2dial (../shared/eval/doc2dial).

Quality: every doc2dial user turn is a question whose answer lies in one document. The 273
documents are ingested through Frontline's own chunker and index; questions go through the
Retriever the server uses (knowledge/retrieval.py). Hit@k counts the relevant document among
the first k distinct documents retrieved; MRR uses its rank.

Which turn is asked: the derived file keeps each dialogue newest first in `history`, and its
`last_user_turn` field holds the dialogue's OPENING turn. The first table asks that opening
turn for every row (the figure reported before follow-ups were measured). The follow-up table
asks what a served turn sees: the latest customer turn, alone and with the dialogue's earlier
customer turns (context fusion, knowledge/context.py, fitted on DEV by bench/fit_context.py).
Topic changes: an opening turn asked after the customer turns of another dialogue about a
different document, so the earlier turns point at the wrong article; the fusion must not
follow them.

Corpus: the derived corpus flattened each page's section titles into the first line of a
paragraph; they are made `##` headings again (with_headings), as Frontline's HTML loader would
have kept them (--flat: as stored).

Split: the documents are shuffled with a fixed seed and halved; questions about the first
half are the DEV split (bench/fit_rerank.py fits the reranker on them), questions about the
second half the TEST split reported here. Multi-part questions: pairs of TEST first turns about
two different documents, joined as a customer would ("... and also ..."), scored by the recall
of BOTH documents in the first k.

Speed: ingest throughput (chunks/s, dense + BM25 embedding and upsert), then hybrid query
latency on collections of 1k, 10k and 50k chunks (copies of the real doc2dial chunks under
new ids, so every size has realistic vectors), embedded and, when QDRANT_URL is set,
on that server.

    uv run python bench/retrieval.py [--queries N] [--sizes 1000,10000,50000] [--skip-speed]
                                     [--split test|dev|all] [--pairs 300] [--topic-changes 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from app.config.settings import load_settings
from bench.knowledge_speed import sized_copy  # the same synthetic collections as the speed benchmark
from knowledge.context import WEIGHTS_FILE as CONTEXT_WEIGHTS_FILE
from knowledge.context import ContextFusion, context_query
from knowledge.documents import Document
from knowledge.embedder import open_embedders
from knowledge.index import KnowledgeIndex, alias_for
from knowledge.model_files import BUNDLES, DEFAULT_MODEL, MULTILINGUAL_MODEL
from knowledge.rerank import WEIGHTS_FILE, Reranker
from knowledge.retrieval import Retriever

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval" / "doc2dial"
TENANT = "doc2dial"
SPLIT_SEED = 16
VECTOR_CACHE = Path(tempfile.gettempdir()) / "frontline-bench-vectors"
JOINS = (" and also {second}", "? Also, {second}", ". Another question: {second}", "? And {second}")


def require_data() -> None:
    if not EVAL.exists():
        sys.exit(f"doc2dial is not at {EVAL}: see ../shared/eval/SOURCES.md; nothing measured")


def split_documents(documents: list[Document]) -> tuple[set[str], set[str]]:
    """(dev, test) document ids: a seeded shuffle, halved. Questions follow their document."""
    ids = sorted(d.doc_id for d in documents)
    random.Random(SPLIT_SEED).shuffle(ids)
    return set(ids[:len(ids) // 2]), set(ids[len(ids) // 2:])


def in_split(queries: list[dict], documents: list[Document], split: str) -> list[dict]:
    if split == "all":
        return queries
    dev, test = split_documents(documents)
    keep = dev if split == "dev" else test
    return [q for q in queries if q["relevant_doc_id"] in keep]


def multi_part(queries: list[dict], count: int, seed: int = 5) -> list[dict]:
    """Two first turns about different documents, joined into one message."""
    firsts = list({q["last_user_turn"].strip(): q for q in queries if q["id"].endswith("_1")}.values())
    rng = random.Random(seed)
    pairs = []
    while len(pairs) < count and len(firsts) > 1:
        one, two = rng.sample(firsts, 2)
        if one["relevant_doc_id"] == two["relevant_doc_id"]:
            continue
        second = two["last_user_turn"].strip()
        text = one["last_user_turn"].strip().rstrip("?.! ") + rng.choice(JOINS).format(
            second=second[:1].lower() + second[1:])
        pairs.append({"text": text, "docs": [one["relevant_doc_id"], two["relevant_doc_id"]]})
    return pairs


def dialogue_turns(query: dict) -> tuple[str, list[str]]:
    """(the latest customer turn, the earlier customer turns oldest first) of a row."""
    customer = [t.strip()[5:].strip() for t in query["history"].split("\t") if t.strip().startswith("user:")]
    return customer[0], customer[:0:-1]


def served(queries: list[dict]) -> list[dict]:
    """Each row as the server meets it: latest turn, earlier turns, the document that answers."""
    rows = []
    for query in queries:
        latest, earlier = dialogue_turns(query)
        rows.append({"text": latest, "earlier": earlier, "doc": query["relevant_doc_id"]})
    return rows


def topic_changes(queries: list[dict], count: int, seed: int = 9) -> list[dict]:
    """An opening turn, asked after every customer turn of a dialogue about another document."""
    openings = [q for q in queries if q["id"].endswith("_1")]
    longer = [q for q in queries if len(dialogue_turns(q)[1]) >= 1]
    rng = random.Random(seed)
    rows = []
    while len(rows) < count and openings and longer:
        new, old = rng.choice(openings), rng.choice(longer)
        if new["relevant_doc_id"] == old["relevant_doc_id"]:
            continue
        latest, earlier = dialogue_turns(old)
        rows.append({"text": dialogue_turns(new)[0], "earlier": [*earlier, latest], "doc": new["relevant_doc_id"],
                     "old_doc": old["relevant_doc_id"]})
    return rows


def with_headings(text: str) -> str:
    """doc2dial's flattened pages, with their section titles made headings again: a paragraph
    whose first line is short and does not end a sentence ("Renew by mail") was a heading on the
    original page, as an HTML loader would keep it."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        first, _, rest = paragraph.strip().partition("\n")
        title = first.strip()
        if rest.strip() and 0 < len(title.split()) <= 12 and not title.endswith((".", "?", "!", ":", ",")):
            paragraphs.append(f"## {title}\n\n{rest.strip()}")
        else:
            paragraphs.append(paragraph.strip())
    return "\n\n".join(paragraphs)


def load_corpus(headings: bool = True) -> list[Document]:
    documents = []
    for line in (EVAL / "derived_corpus.jsonl").read_text().splitlines():
        row = json.loads(line)
        title = row["title"].split("#")[0].strip()
        body = with_headings(row["text"]) if headings else row["text"]
        documents.append(Document(doc_id=row["doc_id"], title=title, body=body,
                                  source=f"doc2dial/{row['domain']}/{row['doc_id']}", language="en"))
    return documents


def load_queries(limit: int | None, seed: int = 7) -> list[dict]:
    rows = [json.loads(line) for line in (EVAL / "derived_queries.jsonl").read_text().splitlines()]
    if limit and limit < len(rows):
        rows = random.Random(seed).sample(rows, limit)
    return rows


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def distinct_docs(hits: list) -> list[str]:
    docs: list[str] = []
    for hit in hits:
        if hit.doc_id not in docs:
            docs.append(hit.doc_id)
    return docs


async def ranks_of(search, queries: list[dict], mode: str) -> tuple[list[int | None], float]:
    ranks: list[int | None] = []
    started = time.perf_counter()
    for query in queries:
        docs = distinct_docs(await search(TENANT, query["last_user_turn"], limit=30, mode=mode, language="en"))
        ranks.append(docs.index(query["relevant_doc_id"]) + 1 if query["relevant_doc_id"] in docs else None)
    return ranks, (time.perf_counter() - started) * 1000 / max(len(queries), 1)


def recall(k: int, ranks: list[int | None]) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / max(len(ranks), 1)


async def quality(index: KnowledgeIndex, queries: list[dict], pairs: list[dict], split: str,
                  index_modes: bool = True) -> None:
    print(f"\nquality on doc2dial, {split} split: {len(queries)} user turns "
          f"({sum(q['id'].endswith('_1') for q in queries)} of them first turns)")
    print(f"{'pipeline':<28} {'hit@1':>6} {'hit@5':>6} {'MRR':>6}   first turns: {'@1':>6} {'@5':>6}   ms/query")
    rows = [("index, dense", lambda: index, "dense"), ("index, sparse (BM25)", lambda: index, "sparse"),
            ("Retriever, hybrid", lambda: Retriever(index, None), "hybrid"),
            ("Retriever, hybrid + rerank", lambda: Retriever(index, Reranker.from_file()), "hybrid")]
    for label, searcher, mode in rows[0 if index_modes else 2:]:  # the weights are read when their row runs
        ranks, ms = await ranks_of(searcher().search, queries, mode)
        first = [r for r, q in zip(ranks, queries, strict=True) if q["id"].endswith("_1")]
        mrr = statistics.fmean(1 / r if r else 0.0 for r in ranks)
        print(f"{label:<28} {recall(1, ranks):6.3f} {recall(5, ranks):6.3f} {mrr:6.3f}   "
              f"{'':13}{recall(1, first):6.3f} {recall(5, first):6.3f}   {ms:6.1f}")
    print(f"  (reranker weights: {json.loads(WEIGHTS_FILE.read_text())['note']})")
    if not pairs:
        return
    print(f"\nmulti-part questions: {len(pairs)} pairs of {split} first turns about two documents")
    print(f"{'pipeline':<34} {'hit@5':>6} {'all@5':>6} {'all@10':>7}")
    reranker = Reranker.from_file()
    for label, retriever in (("hybrid, whole message", Retriever(index, None, split=False)),
                             ("hybrid + rerank, whole message", Retriever(index, reranker, split=False)),
                             ("hybrid + rerank, split into parts", Retriever(index, reranker))):
        found = []
        for pair in pairs:
            docs = distinct_docs(await retriever.search(TENANT, pair["text"], limit=30, language="en"))
            found.append([docs.index(d) + 1 if d in docs else 99 for d in pair["docs"]])
        n = len(found)
        print(f"{label:<34} {sum(min(f) <= 5 for f in found) / n:6.3f} "
              f"{sum(max(f) <= 5 for f in found) / n:6.3f} {sum(max(f) <= 10 for f in found) / n:7.3f}")


async def served_ranks(search, rows: list[dict], how: str) -> tuple[list[int | None], list[str | None], float]:
    """Rank of each row's document, the top document, and ms per turn; `how`: latest (the turn
    alone), fused (with its earlier turns) or joined (earlier turns and latest as one query)."""
    ranks: list[int | None] = []
    tops: list[str | None] = []
    started = time.perf_counter()
    for row in rows:
        if how == "fused":
            hits = await search(TENANT, row["text"], limit=30, language="en", earlier=row["earlier"])
        else:
            text = context_query(row["text"], row["earlier"]) if how == "joined" else row["text"]
            hits = await search(TENANT, text, limit=30, language="en")
        docs = distinct_docs(hits)
        ranks.append(docs.index(row["doc"]) + 1 if row["doc"] in docs else None)
        tops.append(docs[0] if docs else None)
    return ranks, tops, (time.perf_counter() - started) * 1000 / max(len(rows), 1)


async def follow_ups(index: KnowledgeIndex, queries: list[dict], changes: list[dict], split: str) -> None:
    rows = served(queries)
    later = [i for i, row in enumerate(rows) if row["earlier"]]
    print(f"\nfollow-up turns as served, {split} split: {len(rows)} user turns, {len(later)} with earlier "
          "customer turns (hybrid + rerank)")
    print(f"{'question asked':<36} {'hit@1':>6} {'hit@5':>6} {'MRR':>6}   later turns: {'@1':>6} {'@5':>6}   ms/turn")
    plain = Retriever(index, Reranker.from_file())
    fused = Retriever(index, Reranker.from_file(), context=ContextFusion.from_file())
    opening = [{"text": q["last_user_turn"], "earlier": [], "doc": q["relevant_doc_id"]} for q in queries]
    for label, retriever, items, how in (("opening turn (as measured before)", plain, opening, "latest"),
                                         ("latest turn alone", plain, rows, "latest"),
                                         ("earlier + latest joined, one query", plain, rows, "joined"),
                                         ("latest + earlier, context fusion", fused, rows, "fused")):
        ranks, _tops, ms = await served_ranks(retriever.search, items, how)
        mrr = statistics.fmean(1 / r if r else 0.0 for r in ranks)
        sub = [ranks[i] for i in later]
        print(f"{label:<36} {recall(1, ranks):6.3f} {recall(5, ranks):6.3f} {mrr:6.3f}   "
              f"{'':13}{recall(1, sub):6.3f} {recall(5, sub):6.3f}   {ms:6.1f}")
    print(f"  (context weights: {json.loads(CONTEXT_WEIGHTS_FILE.read_text())['note']})")
    if not changes:
        return
    print(f"\ntopic changes: {len(changes)} {split} opening turns asked after another dialogue's turns")
    print(f"{'question asked':<36} {'hit@1':>6} {'hit@5':>6}   old topic first")
    for label, retriever, how in (("new question alone", plain, "latest"),
                                  ("earlier + latest joined, one query", plain, "joined"),
                                  ("latest + earlier, context fusion", fused, "fused")):
        ranks, tops, _ms = await served_ranks(retriever.search, changes, how)
        dragged = sum(top == row["old_doc"] for top, row in zip(tops, changes, strict=True)) / len(changes)
        print(f"{label:<36} {recall(1, ranks):6.3f} {recall(5, ranks):6.3f}   {dragged:6.3f}")


async def latency(index: KnowledgeIndex, questions: list[str], sizes: list[int], where: str) -> None:
    print(f"\nhybrid query latency, {where} ({len(questions)} queries per size)")
    for size in sizes:
        tenant = await sized_copy(index, size)
        for question in questions[:10]:  # warm-up
            await index.search(tenant, question, limit=5, language="en")
        samples = []
        for question in questions:
            started = time.perf_counter()
            await index.search(tenant, question, limit=5, language="en")
            samples.append((time.perf_counter() - started) * 1000)
        print(f"  {await index.count(tenant):>6} chunks: p50 {percentile(samples, .5):6.1f} ms   "
              f"p95 {percentile(samples, .95):6.1f} ms")
        await index._client.delete_collection(await index._collection(tenant) or "")


async def build(index: KnowledgeIndex, documents: list[Document]) -> None:
    started = time.perf_counter()
    report = await index.sync(TENANT, documents, {}, origin="doc2dial")
    elapsed = time.perf_counter() - started
    print(f"ingest: {len(documents)} documents -> {report.sections_embedded} chunks in {elapsed:.1f} s "
          f"= {report.sections_embedded / elapsed:.0f} chunks/s (dense + BM25 + upsert, 2 cores)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=None, help="sample this many user turns")
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--latency-queries", type=int, default=200)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--split", choices=("test", "dev", "all"), default="test",
                        help="which questions to score (the reranker is fitted on dev)")
    parser.add_argument("--pipelines-only", action="store_true",
                        help="skip the index's dense-only and BM25-only rows")
    parser.add_argument("--flat", action="store_true",
                        help="keep doc2dial's flattened text (section titles not made headings)")
    parser.add_argument("--pairs", type=int, default=300, help="multi-part questions to build (0: none)")
    parser.add_argument("--topic-changes", type=int, default=300, help="topic changes to build (0: none)")
    parser.add_argument("--skip-follow-ups", action="store_true")
    parser.add_argument("--model", choices=sorted(BUNDLES), default=DEFAULT_MODEL,
                        help="the primary (English) model")
    parser.add_argument("--multilingual", default=MULTILINGUAL_MODEL,
                        help="the model for non-English questions, or 'none' (default: as shipped)")
    args = parser.parse_args()
    require_data()
    settings = load_settings()
    embedder, multilingual = open_embedders(settings.model_dir, args.model, args.multilingual)
    print(f"embedding models: {args.model} + {multilingual.name if multilingual else 'none'} "
          "(doc2dial questions are English: the primary model scores them)")
    documents = load_corpus(headings=not args.flat)
    queries = in_split(load_queries(None), documents, args.split)
    if args.queries and args.queries < len(queries):
        queries = random.Random(7).sample(queries, args.queries)
    pairs = multi_part(queries, args.pairs)
    changes = topic_changes(queries, args.topic_changes)
    questions = [q["last_user_turn"] for q in load_queries(args.latency_queries, seed=11)]
    sizes = [int(s) for s in args.sizes.split(",")]

    with tempfile.TemporaryDirectory() as folder:
        index = await KnowledgeIndex.open(embedder, path=Path(folder) / "qdrant", multilingual=multilingual,
                                          vector_cache=VECTOR_CACHE)
        try:
            await build(index, documents)
            if not args.skip_quality:
                await quality(index, queries, pairs, args.split, not args.pipelines_only)
            if not args.skip_follow_ups:
                await follow_ups(index, queries, changes, args.split)
            if not args.skip_speed:
                await latency(index, questions, sizes, "embedded Qdrant (path=)")
        finally:
            await index.close()

    if os.environ.get("QDRANT_URL") and not args.skip_speed:
        index = await KnowledgeIndex.open(embedder, url=os.environ["QDRANT_URL"], multilingual=multilingual,
                                          api_key=os.environ.get("QDRANT_API_KEY"))
        try:
            await build(index, documents)
            await latency(index, questions, sizes, f"Qdrant server at {os.environ['QDRANT_URL']}")
            collection = await index._collection(TENANT)
            await index._client.delete_alias(alias_for(TENANT))
            if collection:
                await index._client.delete_collection(collection)
            for size in sizes:
                await index._client.delete_alias(alias_for(f"{TENANT}-{size}"))
        finally:
            await index.close()
    else:
        print("\n(no QDRANT_URL set: server figures not measured)")


if __name__ == "__main__":
    asyncio.run(main())
