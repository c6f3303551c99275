"""Two-stage ingestion: a document is found by its words as soon as it is written, by its
meaning once its dense vectors are in; vectors a crash (or `--no-wait`) left missing are
filled later; the server waits for them only when told to. Real Qdrant (embedded, on disk),
real models."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import AsyncQdrantClient

from app.config.settings import Settings
from app.services import build_services
from knowledge.hybrid_search import DENSE, TITLE
from knowledge.index import KnowledgeIndex
from knowledge.loaders import load_folder
from knowledge.vector_backfill import embedding_text
from tests.support.cli import frontline
from tests.support.engine import Chat
from tests.support.server import demo_tenant_file
from tests.test_knowledge import write

# the question shares no word with the article: only the dense side can find it by meaning
QUESTION_BY_MEANING = "my parcel came smashed, can I get my money back"
QUESTION_BY_WORDS = "damaged delivery compensation"
ARTICLES = ("reset-your-password", "track-your-order", "request-a-refund")  # a small demo help center


def help_center(folder: Path) -> Path:
    write(folder, "damaged-delivery", "Damaged delivery compensation", "Claims",
          "If an item arrives broken, send a photo within 14 days and we refund the full price.")
    write(folder, "opening-hours", "Opening hours", "Stores",
          "Our stores open at 9 and close at 18 on weekdays; Saturdays until 14.")
    write(folder, "gift-cards", "Gift cards", "Balance",
          "A gift card is valid for three years and its balance is shown on the receipt.")
    return folder


class GatedModel:
    """The real model, whose passage batches wait until the test opens the gate: the test
    then sees the index between the two stages, however fast the machine."""

    def __init__(self, inner, gate: threading.Event) -> None:
        self.inner, self.gate = inner, gate
        self.name, self.dim, self.revision = inner.name, inner.dim, inner.revision
        self.languages, self.relevance_floor = inner.languages, inner.relevance_floor

    def embed(self, texts):
        if len(texts) > 1:  # passages (a chunk and its title); a question passes straight through
            self.gate.wait(timeout=120)
        return self.inner.embed(texts)


async def sync(index: KnowledgeIndex, folder: Path, *, wait: bool):
    documents, skipped = load_folder(folder)
    return await index.sync("acme", documents, {}, skipped, origin=str(folder), wait_for_vectors=wait)


async def points_without_dense(path: Path) -> tuple[int, int]:
    """(points, points lacking their chunk or title vector) over every collection at `path`."""
    client = AsyncQdrantClient(path=str(path))
    try:
        total = missing = 0
        for collection in (await client.get_collections()).collections:
            points, _ = await client.scroll(collection.name, limit=10_000, with_vectors=[DENSE, TITLE])
            total += len(points)
            missing += sum(1 for p in points if not {DENSE, TITLE} <= set(p.vector or {}))
        return total, missing
    finally:
        await client.close()


async def test_found_by_words_at_once_and_by_meaning_once_the_vectors_are_in(tmp_path, embedder):
    gate = threading.Event()
    index = await KnowledgeIndex.open(GatedModel(embedder, gate), path=tmp_path / "qdrant")
    try:
        report = await sync(index, help_center(tmp_path / "hc"), wait=False)
        assert report.sections_embedded == 6 and report.sections_waiting == 6
        assert index.vectors_pending == 6
        assert "6 sections written, 6 of them awaiting dense vectors" in report.summary()

        assert await index.search("acme", QUESTION_BY_MEANING, limit=3, mode="dense") == []
        hits = await index.search("acme", QUESTION_BY_WORDS, limit=3)
        assert hits and hits[0].doc_id == "damaged-delivery"
        # found by its words, and its similarity computed for the question at once: a new
        # document is answered before the background reaches it, with the confidence it will have
        assert index.vectors_pending == 6
        answered_now = hits[0].similarity
        assert answered_now > hits[0].floor
        # kept for no one else: a dense ranking of the chunks some question asked for would favour them
        assert await index.search("acme", QUESTION_BY_MEANING, limit=3, mode="dense") == []
        for question, article in (("store opening hours on saturdays", "opening-hours"),
                                  ("how long is a gift card valid", "gift-cards")):
            found = await index.search("acme", question, limit=3)
            assert found[0].doc_id == article and found[0].similarity > found[0].floor, (question, found)

        gate.set()
        await index.wait_for_vectors()
        assert index.vectors_pending == 0
        assert (await index.search("acme", QUESTION_BY_WORDS, limit=3))[0].similarity == pytest.approx(
            answered_now, abs=1e-5)
        by_meaning = await index.search("acme", QUESTION_BY_MEANING, limit=3, mode="dense")
        assert by_meaning[0].doc_id == "damaged-delivery"
        assert by_meaning[0].similarity > by_meaning[0].floor
        hybrid = await index.search("acme", QUESTION_BY_MEANING, limit=3)
        assert hybrid[0].doc_id == "damaged-delivery"
    finally:
        gate.set()
        await index.close()
    assert await points_without_dense(tmp_path / "qdrant") == (6, 0)


async def test_a_chunk_changed_while_waiting_gets_the_vectors_of_its_new_text(tmp_path, embedder):
    gate = threading.Event()
    folder = help_center(tmp_path / "hc")
    index = await KnowledgeIndex.open(GatedModel(embedder, gate), path=tmp_path / "qdrant")
    try:
        await sync(index, folder, wait=False)
        write(folder, "opening-hours", "Opening hours", "Stores",
              "If an item arrives broken, send a photo within 14 days and we refund the full price.")
        changed = await sync(index, folder, wait=False)
        assert changed.updated == ["opening-hours"]
        gate.set()
        await index.wait_for_vectors()
        points, _ = await index._client.scroll(await index._collection("acme"), limit=100,
                                               with_vectors=[DENSE], with_payload=True)
        assert len(points) == 6
        for point in points:  # every stored vector is its current text's, none a stale one
            expected = embedder.embed([embedding_text(point.payload)])[0]
            assert float(np.dot(point.vector[DENSE], expected)) > 0.999, point.payload["doc_id"]
    finally:
        gate.set()
        await index.close()


async def test_a_restart_fills_the_vectors_a_crash_left_missing(tmp_path, embedder):
    gate = threading.Event()
    index = await KnowledgeIndex.open(GatedModel(embedder, gate), path=tmp_path / "qdrant")
    await sync(index, help_center(tmp_path / "hc"), wait=False)
    await index.close()  # the process stops before any dense vector is written
    gate.set()
    assert await points_without_dense(tmp_path / "qdrant") == (6, 6)

    index = await KnowledgeIndex.open(embedder, path=tmp_path / "qdrant")
    try:
        assert (await index.search("acme", QUESTION_BY_WORDS, limit=1))[0].doc_id == "damaged-delivery"
        assert await index.resume_vectors("acme", background=False) == 6
        await index.wait_for_vectors()
        assert (await index.search("acme", QUESTION_BY_MEANING, limit=1, mode="dense"))[0].doc_id \
            == "damaged-delivery"
        assert await index.resume_vectors("acme", background=False) == 0  # nothing left to fill
    finally:
        await index.close()
    assert await points_without_dense(tmp_path / "qdrant") == (6, 0)


def test_ingest_without_waiting_says_who_fills_the_vectors(tmp_path, data_dir, capsys, monkeypatch):
    monkeypatch.delenv("FRONTLINE_VECTOR_CACHE", raising=False)  # every vector computed here
    folder = help_center(tmp_path / "hc")
    code, out, _ = frontline(capsys, "kb", "ingest", str(folder), "--tenant", "demo", "--no-wait")
    assert code == 0
    assert "6 chunks are searchable by their words only" in out
    assert "the next `frontline kb ingest` (without --no-wait) or when the Frontline server next starts" in out
    qdrant = Settings().qdrant_path
    assert asyncio.run(points_without_dense(qdrant)) == (6, 6)

    code, out, err = frontline(capsys, "kb", "ingest", str(folder), "--tenant", "demo")
    assert code == 0 and "unchanged 3" in out and "searchable by their words only" not in out
    assert "embedded 6 chunks in " in err  # the waiting ingest filled what the first one left
    assert asyncio.run(points_without_dense(qdrant)) == (6, 0)


@pytest.mark.parametrize("before_serving", [True, False])
async def test_the_server_waits_for_the_vectors_only_when_told(tmp_path, monkeypatch, before_serving):
    monkeypatch.delenv("FRONTLINE_VECTOR_CACHE", raising=False)  # the help center is embedded for real
    monkeypatch.setenv("FRONTLINE_VECTORS_BEFORE_SERVING", str(before_serving).lower())
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FRONTLINE_TENANTS", str(demo_tenant_file(tmp_path, ARTICLES)))
    settings = Settings()
    assert settings.vectors_before_serving is before_serving
    async with build_services(settings, recover=False) as services:
        index = services.knowledge.index
        chunks = await index.count("demo")
        assert chunks >= 10
        waited = sum(r.sections_waiting for r in services.sync_reports.values())
        if before_serving:
            assert index.vectors_pending == 0 and waited == 0
        else:  # serving already: the help center's dense vectors were left to the background
            assert waited == chunks
            async with index._writing:  # the background's writes wait: no dense vector is in yet
                assert index.vectors_pending > 0
                hits = await services.knowledge.search("demo", "reset my password", limit=3)
                assert hits and hits[0].doc_id == "reset-your-password"
                # and a customer asking now is answered from the article, not told it's missing
                reply, trace = await Chat(services).say("How do I reset my password?")
            assert trace["decision"]["action"] == "answer", trace["decision"]
            assert "Reset your password" in reply, reply
            await index.wait_for_vectors()  # and they do arrive while it serves
    assert await points_without_dense(settings.qdrant_path) == (chunks, 0)


async def test_the_embedded_index_writes_in_wal_mode_and_reopens(tmp_path, embedder):
    index = await KnowledgeIndex.open(embedder, path=tmp_path / "qdrant")
    try:
        await sync(index, help_center(tmp_path / "hc"), wait=True)
    finally:
        await index.close()
    files = list((tmp_path / "qdrant").rglob("storage.sqlite"))
    assert files
    for file in files:
        with sqlite3.connect(file) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    index = await KnowledgeIndex.open(embedder, path=tmp_path / "qdrant")
    try:  # nothing lost across the restart
        assert await index.count("acme") == 6
        assert (await index.search("acme", QUESTION_BY_MEANING, limit=1, mode="dense"))[0].doc_id \
            == "damaged-delivery"
    finally:
        await index.close()


async def test_vectors_in_the_shared_cache_are_written_at_once(tmp_path, embedder):
    folder = help_center(tmp_path / "hc")
    first = await KnowledgeIndex.open(embedder, path=tmp_path / "one", vector_cache=tmp_path / "cache")
    try:
        await sync(first, folder, wait=True)  # embeds, and keeps the vectors in the cache
    finally:
        await first.close()
    gate = threading.Event()  # stays shut: nothing may need embedding
    second = await KnowledgeIndex.open(GatedModel(embedder, gate), path=tmp_path / "two",
                                       vector_cache=tmp_path / "cache")
    try:
        report = await sync(second, folder, wait=False)
        assert report.sections_waiting == 0 and second.vectors_pending == 0
        assert (await second.search("acme", QUESTION_BY_MEANING, limit=1, mode="dense"))[0].doc_id \
            == "damaged-delivery"
    finally:
        gate.set()
        await second.close()


async def test_vectors_for_a_collection_rebuilt_meanwhile_are_let_go(tmp_path, embedder):
    gate = threading.Event()
    folder = help_center(tmp_path / "hc")
    index = await KnowledgeIndex.open(GatedModel(embedder, gate), path=tmp_path / "qdrant")
    try:
        await sync(index, folder, wait=False)  # its batch waits at the gate
        first = await index._collection("acme")
        documents, skipped = load_folder(folder)
        rebuilt = await index.sync("acme", documents, {}, skipped, origin=str(folder), rebuild=True,
                                   wait_for_vectors=False)
        assert rebuilt.rebuilt and await index._collection("acme") != first
        assert not await index._client.collection_exists(first)
        gate.set()
        await index.wait_for_vectors()  # the gone collection's batch is let go, not a failure
        assert index._background.failed == 0
        assert (await index.search("acme", QUESTION_BY_MEANING, limit=1, mode="dense"))[0].doc_id \
            == "damaged-delivery"
    finally:
        gate.set()
        await index.close()
    assert await points_without_dense(tmp_path / "qdrant") == (6, 0)


async def test_chunks_added_while_the_worker_saves_its_cache_are_filled(tmp_path, embedder, monkeypatch):
    """The worker keeps its cache when the queue runs dry; chunks of a sync arriving during that
    save must wake it, or every wait for the vectors (a start-up) waits for ever."""
    from knowledge.vector_cache import VectorCache

    real_save, saving, go_on = VectorCache.save, threading.Event(), threading.Event()
    armed = [False]

    def slow_disk(cache) -> None:  # the first save after arming takes as long as the test says
        if armed[0]:
            armed[0] = False
            saving.set()
            go_on.wait(timeout=30)
        real_save(cache)

    monkeypatch.setattr(VectorCache, "save", slow_disk)
    model_gate = threading.Event()
    index = await KnowledgeIndex.open(GatedModel(embedder, model_gate), path=tmp_path / "qdrant",
                                      vector_cache=tmp_path / "cache")
    try:
        await sync(index, help_center(tmp_path / "hc"), wait=False)  # the worker holds at the model
        armed[0] = True
        model_gate.set()  # it fills those chunks, then saves its cache: held there
        assert await asyncio.to_thread(saving.wait, 30)
        later = tmp_path / "later"
        write(later, "returns-label", "Return labels", "Printing",
              "Print the prepaid label from your order page and stick it on the parcel.")
        documents, _ = load_folder(later)
        report = await index.sync("acme", documents, {}, origin=str(later), wait_for_vectors=False)
        assert report.sections_waiting > 0
        go_on.set()
        await asyncio.wait_for(index.wait_for_vectors(), timeout=30)
        assert index.vectors_pending == 0
        hits = await index.search("acme", "how do I print the return sticker", limit=1, mode="dense")
        assert hits[0].doc_id == "returns-label"
    finally:
        go_on.set()
        model_gate.set()
        await index.close()
