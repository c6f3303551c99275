"""Knowledge speed: search latency by stage at 10k and 100k chunks, ingestion throughput in
its two stages (searchable by words; dense vectors in), the embedding model on onnxruntime
against fastembed's wrapper, and the `frontline kb search` wall time.

Data: doc2dial (../shared/eval/doc2dial, see its SOURCES.md). Questions are paragraph-long:
every user turn of a doc2dial dialogue joined (about 35 words), never the short last turn.
Collections of N chunks are copies of the real doc2dial chunks under new ids, so every
size has real vectors, real BM25 statistics shapes and real payloads. The search figures
use an in-memory Qdrant (`location=":memory:"`) as the store of record: the embedded
on-disk mode commits each point separately and cannot be filled with 100,000 points in a
benchmark's time; ranking does not touch Qdrant either way, only the final payload fetch.

    uv run python bench/knowledge_speed.py [--sizes 10000,100000] [--queries 200]
        [--ingest-docs 273] [--skip-ingest] [--skip-models] [--skip-cli]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qdrant_client import AsyncQdrantClient, models  # noqa: E402

from app.config.settings import load_settings  # noqa: E402
from knowledge import sparse  # noqa: E402
from knowledge.documents import Document  # noqa: E402
from knowledge.embedder import open_embedders  # noqa: E402
from knowledge.hits import reciprocal_rank_fusion  # noqa: E402
from knowledge.hybrid_search import CANDIDATES, DENSE, TITLE, TITLE_WEIGHT  # noqa: E402
from knowledge.index import KnowledgeIndex, alias_for  # noqa: E402
from knowledge.loaders import load_path  # noqa: E402
from knowledge.model_files import DEFAULT_MODEL, MULTILINGUAL_MODEL  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval" / "doc2dial"
HELPCENTER = ROOT / "demo" / "helpcenter"
TENANT = "doc2dial"


ASKED_AT_ONCE = 20  # documents whose title is asked right after stage one


def load_corpus() -> list[Document]:
    documents = []
    for line in (EVAL / "derived_corpus.jsonl").read_text().splitlines():
        row = json.loads(line)
        documents.append(Document(doc_id=row["doc_id"], title=row["title"].split("#")[0].strip(),
                                  body=row["text"], source=f"doc2dial/{row['domain']}/{row['doc_id']}",
                                  language="en"))
    return documents


def paragraph_questions(count: int, seed: int = 11) -> list[str]:
    """Every user turn of a dialogue, joined: what a customer who explains at length types."""
    rows = [json.loads(line) for line in (EVAL / "derived_queries.jsonl").read_text().splitlines()]
    seen: set[str] = set()
    questions = []
    for row in random.Random(seed).sample(rows, len(rows)):
        turns = [part.split(":", 1)[1].strip() for part in row["history"].split("\t")
                 if part.startswith("user:")]
        text = " ".join(reversed(turns))
        if len(text.split()) >= 20 and text not in seen:
            seen.add(text)
            questions.append(text)
        if len(questions) == count:
            break
    return questions


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cpu_load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} on {os.cpu_count()} cores"


async def answerable_at_once(index: KnowledgeIndex, documents: list[Document]) -> str:
    """Right after stage one, while the dense vectors are still coming: each document's title
    asked as a question. Answerable means the document is the first hit with a similarity at or
    above its model's relevance floor (what grounded mode needs to quote it)."""
    answered, timings = 0, []
    waiting = index.vectors_pending
    for doc in documents:
        began = time.perf_counter()
        hits = await index.search(TENANT, doc.title, limit=5, language="en")
        timings.append((time.perf_counter() - began) * 1000)
        answered += bool(hits) and hits[0].doc_id == doc.doc_id and hits[0].similarity >= hits[0].floor
    return (f"answerable at once (title asked, vectors still coming: {waiting} chunks waiting): "
            f"{answered}/{len(documents)}, p50 {percentile(timings, .5):.0f} ms / p95 "
            f"{percentile(timings, .95):.0f} ms per question")


async def ingest(embedder, multilingual, documents: list[Document], label: str) -> KnowledgeIndex:  # type: ignore[no-untyped-def]
    """A cold ingest (no vector cache) into an in-memory Qdrant. Prints stage one (every
    document searchable by its words) and stage two (every dense vector in), both timed
    from the start of the sync."""
    index = KnowledgeIndex(AsyncQdrantClient(location=":memory:"), embedder, multilingual)
    started = time.perf_counter()
    report = await index.sync(TENANT, documents, {}, origin=label, wait_for_vectors=False)
    searchable = time.perf_counter() - started
    asked = await answerable_at_once(index, documents[:ASKED_AT_ONCE])
    await index.wait_for_vectors()
    complete = time.perf_counter() - started
    chunks = report.sections_embedded
    print(f"  {label}: {len(documents)} documents, {chunks} chunks")
    print(f"    searchable by words after {searchable:6.1f} s = {len(documents) / searchable:7.1f} documents/s")
    print(f"    {asked}")
    print(f"    dense vectors in after    {complete:6.1f} s = {chunks / complete:7.1f} chunks/s "
          f"({len(documents) / complete:.1f} documents/s)")
    return index


async def searchable_on_disk(embedder, documents: list[Document], wal: bool) -> None:  # type: ignore[no-untyped-def]
    """Stage one into the embedded on-disk Qdrant the server uses, with its SQLite files in WAL
    mode (knowledge/local_storage.py) or, for comparison, in SQLite's default journal."""
    import knowledge.index as index_module

    saved = index_module.use_wal
    if not wal:
        index_module.use_wal = lambda client: 0  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as folder:
            index = await KnowledgeIndex.open(embedder, path=Path(folder))
            started = time.perf_counter()
            report = await index.sync(TENANT, documents, {}, origin="disk", wait_for_vectors=False)
            elapsed = time.perf_counter() - started
            await index.close()  # the dense vectors are not waited for here
    finally:
        index_module.use_wal = saved
    journal = "WAL" if wal else "default journal (before)"
    print(f"  on disk, {journal:<25} searchable by words after {elapsed:5.1f} s = "
          f"{len(documents) / elapsed:6.1f} documents/s ({report.sections_embedded} chunks)")


def model_speed(model_dir: Path, documents: list[Document], questions: list[str]) -> None:
    """Chunks/s and question-embedding latency: the bundled MiniLM on onnxruntime directly
    (what the index uses) against the same model through fastembed's wrapper (before)."""
    from knowledge.chunking import chunk_document
    from knowledge.embedder import FastEmbedder, MiniLMEmbedder

    texts = [chunk.embedding_text for doc in documents for chunk in chunk_document(doc)]
    for label, model in (("fastembed wrapper (before)", FastEmbedder(model_dir)),
                         ("onnxruntime directly", MiniLMEmbedder(model_dir))):
        model.embed(texts[:16])  # warm-up
        began = time.perf_counter()
        model.embed(texts)
        elapsed = time.perf_counter() - began
        latencies = []
        for question in questions:
            began = time.perf_counter()
            model.embed([question])
            latencies.append((time.perf_counter() - began) * 1000)
        print(f"  {label:<28} {len(texts) / elapsed:6.1f} chunks/s ({len(texts)} chunks)   question "
              f"p50 {percentile(latencies, .5):5.1f} ms  p95 {percentile(latencies, .95):5.1f} ms")


async def sized_copy(index: KnowledgeIndex, size: int) -> str:
    """A tenant whose collection holds `size` copies of the doc2dial chunks under new ids."""
    client = index._client
    source = await index._collection(TENANT)
    assert source is not None
    seed, _ = await client.scroll(source, limit=100_000, with_vectors=True, with_payload=True)
    tenant = f"{TENANT}-{size}"
    target = f"{alias_for(tenant)}_{index.fingerprint}_0"
    # the index keeps its in-memory copy current with each write, as a sync does
    await index._create(target, tenant)
    await index._switch(tenant, target, None)
    for start in range(0, size, 2048):
        batch = []
        for offset in range(start, min(start + 2048, size)):
            point = seed[offset % len(seed)]
            payload = {**(point.payload or {}), "tenant": tenant,
                       "doc_id": f"{(point.payload or {})['doc_id']}~{offset // len(seed)}"}
            batch.append(models.PointStruct(id=str(uuid.uuid4()), vector=point.vector, payload=payload))
        await client.upsert(target, points=batch, wait=False)
        index._search.written(target, batch)
    return tenant


async def stages(index: KnowledgeIndex, tenant: str, questions: list[str]) -> None:
    """End-to-end search latency, then the same questions timed stage by stage."""
    search = index._search
    collection = await index._collection(tenant)
    assert collection is not None
    if len(await search.resident(collection, tenant)) <= 10_000:  # after a restart: read back from Qdrant
        search.forget(collection)
        started = time.perf_counter()
        await search.resident(collection, tenant)
        print(f"  {len(await search.resident(collection, tenant)):>7} chunks: read back from Qdrant for "
              f"search in {time.perf_counter() - started:.1f} s")
    resident = await search.resident(collection, tenant)
    model = index._embedder
    for question in questions[:10]:  # warm-up
        await index.search(tenant, question, limit=5, language="en")
    total: list[float] = []
    cpu: list[float] = []  # CPU time the process spent (all threads): steadier than wall time on a busy machine
    parts: dict[str, list[float]] = {k: [] for k in
                                     ("query embedding", "BM25 query", "dense rank", "BM25 rank",
                                      "fusion", "payload fetch")}
    for question in questions:
        model.forget()  # a new question every time: no remembered query vectors
        began, began_cpu = time.perf_counter(), time.process_time()
        await index.search(tenant, question, limit=5, language="en")
        total.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)

        model.forget()  # the search above embedded it: time the embedding again, not the memory
        marks = [time.perf_counter()]
        vector = model.embed([question])[0]
        marks.append(time.perf_counter())
        query = sparse.embed_query(question, "en")
        marks.append(time.perf_counter())
        dense = resident.rank_dense(vector, DENSE, TITLE, TITLE_WEIGHT, CANDIDATES)
        marks.append(time.perf_counter())
        bm25 = resident.rank_sparse(list(query.indices), list(query.values), vector, DENSE, TITLE,
                                    TITLE_WEIGHT, CANDIDATES)
        marks.append(time.perf_counter())
        fused = reciprocal_rank_fusion([[(r.point_id, r.similarity) for r in ranking]
                                        for ranking in (dense, bm25)])[:5]
        marks.append(time.perf_counter())
        await search._hits(collection, tenant, fused, {r.point_id: r.similarity for r in (*dense, *bm25)},
                           model.relevance_floor)
        marks.append(time.perf_counter())
        for name, begin, end in zip(parts, marks, marks[1:], strict=False):
            parts[name].append((end - begin) * 1000)
    print(f"  {len(resident):>7} chunks: hybrid search p50 {percentile(total, .5):6.1f} ms   "
          f"p95 {percentile(total, .95):6.1f} ms   ({len(questions)} paragraph-long questions; "
          f"CPU time p50 {percentile(cpu, .5):.1f} ms, p95 {percentile(cpu, .95):.1f} ms)")
    for name, values in parts.items():
        print(f"           {name:<16} p50 {percentile(values, .5):6.2f} ms   p95 {percentile(values, .95):6.2f} ms")


def cli_timings(questions: list[str], articles: int) -> None:
    """`frontline kb search` three times in a row, as a shell runs it, on demo help-center articles
    (the command's own cost, not the collection's size, is what this measures)."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "FRONTLINE_DATA_DIR": folder}
        command = [sys.executable, "-m", "app.cli.main", "kb"]
        docs = Path(folder) / "articles"
        docs.mkdir()
        for article in sorted(HELPCENTER.glob("*.md"))[:articles]:
            (docs / article.name).write_text(article.read_text())
        subprocess.run([*command, "ingest", str(docs), "--tenant", "demo"], cwd=ROOT, env=env,
                       capture_output=True, check=True, timeout=1800)
        for attempt, question in enumerate(questions[:3], start=1):
            began = time.perf_counter()
            done = subprocess.run([*command, "search", question, "--tenant", "demo"], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=300, check=False)
            wall = time.perf_counter() - began
            state = "ok" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr[-200:]}"
            print(f"  call {attempt}: {wall:.2f} s wall ({state})")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ingest-docs", type=int, default=273, help="doc2dial documents to ingest")
    parser.add_argument("--multilingual", default="none",
                        help=f"second model ({MULTILINGUAL_MODEL} as shipped; default none: "
                             "doc2dial is English and the primary model scores it)")
    parser.add_argument("--skip-ingest", action="store_true", help="no demo/helpcenter ingest figure")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-models", action="store_true", help="no onnxruntime/fastembed comparison")
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--cli-articles", type=int, default=40, help="help-center articles the CLI searches")
    args = parser.parse_args()
    if not EVAL.exists():
        print(f"doc2dial is absent ({EVAL}): nothing measured. See shared/eval/SOURCES.md.")
        return
    settings = load_settings()
    embedder, multilingual = open_embedders(settings.model_dir, DEFAULT_MODEL, args.multilingual)
    print(f"models: {embedder.name} + {multilingual.name if multilingual else 'none'}; {cpu_load()}")
    documents = load_corpus()[:args.ingest_docs]
    questions = paragraph_questions(args.queries + 10)
    words = statistics.fmean(len(q.split()) for q in questions)
    if not args.skip_models:
        print(f"\nembedding model, {cpu_load()}")
        model_speed(settings.model_dir, documents, questions[10:])
    if not args.skip_ingest:
        print(f"\ningestion, cold (no vector cache), {cpu_load()}")
        helpcenter = load_path(HELPCENTER)
        await (await ingest(embedder, multilingual, helpcenter.documents, "demo/helpcenter")).close()
        for wal in (False, True):
            await searchable_on_disk(embedder, helpcenter.documents, wal)
    if not args.skip_search:
        index = await ingest(embedder, multilingual, documents, "doc2dial")
        print(f"\nsearch ({words:.0f}-word questions), {cpu_load()}")
        for size in (int(s) for s in args.sizes.split(",")):
            tenant = await sized_copy(index, size)
            await stages(index, tenant, questions[10:])
            collection = await index._collection(tenant)
            await index._client.delete_collection(collection or "")
            index._search.forget(collection or "")
        await index.close()
    if not args.skip_cli:
        print(f"\nfrontline kb search, demo help center, {cpu_load()}")
        cli_timings(questions, args.cli_articles)


if __name__ == "__main__":
    asyncio.run(main())
