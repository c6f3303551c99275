"""Search ranks from an in-memory copy of each collection: it must rank as Qdrant itself
does, follow every sync and delete, and be rebuilt from Qdrant after a restart."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from qdrant_client import models

from knowledge import sparse
from knowledge.hybrid_search import BM25, CANDIDATES, DENSE
from knowledge.index import KnowledgeIndex
from knowledge.loaders import load_folder
from knowledge.postings import Postings

PROJECT = Path(__file__).resolve().parents[1]
QUESTIONS = ["I was charged twice for my order and want my money back",
             "how do I change the email address on my account",
             "my parcel has not arrived after two weeks, where is it",
             "the app is not syncing my data", "add my company details to an invoice"]


@pytest.fixture
async def index(tmp_path, embedder, vector_cache):
    opened = await KnowledgeIndex.open(embedder, path=tmp_path / "qdrant", vector_cache=vector_cache)
    yield opened
    await opened.close()


async def ingest(index: KnowledgeIndex, folder: Path, tenant: str = "demo") -> None:
    documents, skipped = load_folder(folder)
    await index.sync(tenant, documents, {}, skipped, origin=str(folder))


@pytest.fixture
def helpcenter(tmp_path) -> Path:
    """A dozen of the demo tenant's articles."""
    folder = tmp_path / "helpcenter"
    folder.mkdir()
    for article in sorted((PROJECT / "demo" / "helpcenter").glob("*.md"))[:12]:
        (folder / article.name).write_text(article.read_text())
    return folder


async def test_rankings_match_qdrants_own(index, embedder, helpcenter):
    await ingest(index, helpcenter)
    collection = await index._collection("demo")
    for question in QUESTIONS:
        vector = embedder.embed([question])[0]
        theirs = await index._client.query_points(collection, query=vector.tolist(), using=DENSE,
                                                  limit=CANDIDATES, with_payload=False)
        by_dense = {str(p.id) for p in theirs.points}
        ours = await index.search("demo", question, limit=CANDIDATES, mode="dense")
        assert {h.point_id for h in ours} == by_dense, question

        query = sparse.embed_query(question, "en")
        theirs = await index._client.query_points(collection, query=query, using=BM25,
                                                  limit=10_000, with_payload=False)
        bm25 = {str(p.id): p.score for p in theirs.points}
        ours = await index.search("demo", question, limit=CANDIDATES, mode="sparse")
        assert ours, question
        # the same scores in the same order; points with equal scores may come in either order
        assert [h.score for h in ours] == pytest.approx([p.score for p in theirs.points][:len(ours)], rel=1e-4)
        assert all(h.score == pytest.approx(bm25[h.point_id], rel=1e-4) for h in ours), question


def write(folder: Path, slug: str, title: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{slug}.md").write_text(f"---\ntitle: {title}\n---\n## Details\n\n{body}\n")


async def test_sync_updates_and_deletes_reach_a_loaded_collection(index, tmp_path):
    folder = tmp_path / "hc"
    write(folder, "returns", "Returns", "Return a parcel within thirty days using the prepaid label.")
    write(folder, "loyalty", "Loyalty points", "Every purchase earns zorbleberry points for discounts.")
    await ingest(index, folder, "acme")
    assert [h.doc_id for h in await index.search("acme", "zorbleberry", mode="sparse")] == ["loyalty"]
    before = await index.search("acme", "loyalty points discounts", limit=1)  # its payload is remembered
    assert "zorbleberry" in before[0].text

    write(folder, "loyalty", "Loyalty points", "Every purchase earns quibbleflux stars for discounts.")
    write(folder, "gifts", "Gift wrapping", "Gift wrapping costs two euros and includes a card.")
    (folder / "returns.md").unlink()
    await ingest(index, folder, "acme")

    assert await index.search("acme", "zorbleberry", mode="sparse") == []
    assert [h.doc_id for h in await index.search("acme", "quibbleflux", mode="sparse")] == ["loyalty"]
    after = await index.search("acme", "loyalty points discounts", limit=1)
    assert "quibbleflux" in after[0].text and "zorbleberry" not in after[0].text  # no stale payload
    assert [h.doc_id for h in await index.search("acme", "gift wrapping", limit=1)] == ["gifts"]
    everything = await index.search("acme", "return a parcel prepaid label", limit=10)
    assert "returns" not in {h.doc_id for h in everything}

    assert await index.delete_document("acme", "gifts") > 0
    assert "gifts" not in {h.doc_id for h in await index.search("acme", "gift wrapping card", limit=10)}


async def test_a_restarted_process_rebuilds_the_same_rankings(tmp_path, embedder, helpcenter, vector_cache):
    first = await KnowledgeIndex.open(embedder, path=tmp_path / "qdrant", vector_cache=vector_cache)
    await ingest(first, helpcenter)
    before = {q: [(h.point_id, round(h.score, 6)) for h in await first.search("demo", q, limit=8)]
              for q in QUESTIONS}
    await first.close()

    again = await KnowledgeIndex.open(embedder, path=tmp_path / "qdrant")
    try:
        after = {q: [(h.point_id, round(h.score, 6)) for h in await again.search("demo", q, limit=8)]
                 for q in QUESTIONS}
    finally:
        await again.close()
    assert after == before and all(before.values())


async def test_a_foreign_point_is_never_ranked(index, embedder, caplog, helpcenter):
    await ingest(index, helpcenter)
    collection = await index._collection("demo")
    vector = embedder.embed(["gift card balance"])[0].tolist()
    await index._client.upsert(collection, points=[models.PointStruct(
        id="00000000-0000-0000-0000-000000000001",
        vector={DENSE: vector, "title": vector, BM25: sparse.embed_query("gift card balance", "en")},
        payload={"tenant": "other", "doc_id": "leak", "title": "x", "text": "gift card balance"})])
    index._search.forget(collection)  # a copy read back from Qdrant, as after a restart
    hits = await index.search("demo", "gift card balance", limit=30)
    assert hits and "leak" not in {h.doc_id for h in hits}
    assert "of tenant other found in demo's index" in caplog.text


def test_postings_follow_qdrants_idf_through_removal_and_compaction():
    postings = Postings()
    postings.add(0, [1, 2], [1.0, 0.5])
    postings.add(1, [2], [2.0])
    postings.add(2, [3], [1.0])
    idf = math.log((3 - 2 + 0.5) / (2 + 0.5) + 1)
    scores = postings.scores([2], [1.0], 3)
    assert scores[0] == pytest.approx(0.5 * idf) and scores[1] == pytest.approx(2.0 * idf)
    assert math.isnan(scores[2])  # shares no word with the question: not a match at all

    postings.remove(0)
    idf = math.log((2 - 1 + 0.5) / (1 + 0.5) + 1)
    assert postings.scores([2], [1.0], 3)[1] == pytest.approx(2.0 * idf)
    postings.compact({1: 0, 2: 1})
    compacted = postings.scores([2, 3], [1.0, 1.0], 2)
    assert compacted[0] == pytest.approx(2.0 * idf) and compacted[1] == pytest.approx(postings.idf(3))
