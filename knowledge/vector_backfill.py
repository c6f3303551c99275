"""Dense vectors computed in the background, after a document is already searchable.

Ingestion has two stages. The first writes each chunk with its BM25 vector and payload:
that costs milliseconds, and the document is found by its words at once. The second, here,
embeds the chunks with the dense model(s), the slow part on a small CPU, and adds the
vectors to the points already in Qdrant as they come; until then hybrid search simply has
no dense side for those chunks.

Nothing is kept only in memory: a chunk without its dense vector is visible in Qdrant, so
after a crash or a `kb ingest --no-wait`, `resume` finds such chunks and fills them.
Before a batch is written, each point is read back and its text compared with the text
that was embedded: a chunk replaced or deleted meanwhile is never given a stale vector.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from qdrant_client import AsyncQdrantClient, models

from knowledge.chunking import Chunk
from knowledge.embedder import Embedder
from knowledge.vector_cache import VectorCache

log = logging.getLogger(__name__)

BATCH = 64  # chunks embedded and written together
_SCROLL = 1024


@dataclass(frozen=True)
class DenseModel:
    """A model and the names of the chunk and title vectors it fills."""

    embedder: Embedder
    chunk_vector: str
    title_vector: str


@dataclass(frozen=True)
class Pending:
    """A chunk in Qdrant still without its dense vectors."""

    collection: str
    point_id: str
    title: str
    text: str  # what is embedded (Chunk.embedding_text)


def embedding_text(payload: Mapping[str, object]) -> str:
    """A stored chunk's embedding text, rebuilt from its payload as the chunker built it."""
    chunk = Chunk(doc_id=str(payload.get("doc_id", "")), position=0, title=str(payload.get("title", "")),
                  heading_path=tuple(str(h) for h in payload.get("heading_path") or ()),  # type: ignore[attr-defined]
                  text=str(payload.get("text", "")), source="", url=None, anchor=None,
                  language=None, updated=None)
    return chunk.embedding_text


def cached_vectors(cache: VectorCache, dense: Sequence[DenseModel],
                   texts: list[str]) -> list[dict[str, object]] | None:
    """Every model's chunk and title vectors for [title, *chunk texts] when the vector cache
    holds them all (no need to wait for the background), else None."""
    rows: list[dict[str, object]] = [{} for _ in texts[1:]]
    for model in dense:
        vectors = cache.known(model.embedder, texts)
        if vectors is None:
            return None
        for row, vector in zip(rows, vectors[1:], strict=True):
            row |= {model.chunk_vector: vector.tolist(), model.title_vector: vectors[0].tolist()}
    return rows


class BackgroundVectors:
    """One worker task that embeds pending chunks and adds their vectors to Qdrant.

    `written(collection, {point id: vectors})` is told of every batch written (the index
    keeps its in-memory ranking copy current with it); `lock` is the index's write lock,
    held while a batch is checked and written so no sync write interleaves.
    """

    def __init__(self, client: AsyncQdrantClient, models: Sequence[DenseModel],
                 written: Callable[[str, dict[str, dict[str, list[float]]]], None],
                 lock: asyncio.Lock, cache: VectorCache | None = None) -> None:
        self._client = client
        self._models = list(models)
        self._written = written
        self._lock = lock
        self._cache = cache
        self._queue: deque[Pending] = deque()
        self._scans: deque[str] = deque()
        self._busy = 0  # chunks taken off the queue, not yet written
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._progress: list[Callable[[int], None]] = []
        self.failed = 0  # chunks given up on (their collection vanished, or a write failed)
        self._error: Exception | None = None  # the latest reason, for a waiter to raise
        self._round = (0, 0.0)  # chunks written since the queue was last empty, and since when

    @property
    def pending(self) -> int:
        """Chunks waiting for their dense vectors (the queued and the one batch in hand)."""
        return len(self._queue) + self._busy

    @property
    def idle(self) -> bool:
        return not self._queue and not self._scans and self._busy == 0

    def add(self, items: Sequence[Pending]) -> None:
        if items:
            self._queue.extend(items)
            self._start()

    def resume(self, collection: str) -> None:
        """Look for chunks of `collection` without dense vectors (left by a crash, or by an
        ingest that did not wait) and fill them, in the background."""
        self._scans.append(collection)
        self._start()

    async def resume_now(self, collection: str) -> int:
        """`resume`, with the look-up done before returning: how many chunks were queued."""
        found = await self._scan(collection)
        self.add(found)
        return len(found)

    async def wait(self, progress: Callable[[int], None] | None = None) -> None:
        """Until every pending chunk has its vectors; `progress(n)` after each batch of n.
        Raises what made a batch fail meanwhile (those chunks keep only their words until
        `resume` tries them again)."""
        failed_before = self.failed
        if progress is not None:
            self._progress.append(progress)
        try:
            while not self.idle:
                if self._task is None or self._task.done():
                    self._start()
                await asyncio.sleep(0.05)
        finally:
            if progress is not None:
                self._progress.remove(progress)
        if self.failed > failed_before and self._error is not None:
            raise self._error

    async def close(self) -> None:
        """Stop the worker; what it had not written is found again by `resume` next time."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._cache is not None:
            await asyncio.to_thread(self._cache.save)

    # -- the worker ----------------------------------------------------------------------

    def _start(self) -> None:
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="dense-vectors")

    async def _run(self) -> None:
        while True:
            # cleared before looking, never after: work added from here on (even while the
            # cache is being saved below) sets it again, so the wait below returns at once
            self._wake.clear()
            if self._scans:
                self._queue.extend(await self._scan(self._scans.popleft()))
                continue
            if not self._queue:
                written, since = self._round
                if written:
                    log.info("dense vectors written for %d chunks in %.1f s", written, time.monotonic() - since)
                    self._round = (0, 0.0)
                if self._cache is not None:  # a quiet moment: keep what was embedded
                    await asyncio.to_thread(self._cache.save)
                await self._wake.wait()
                continue
            batch = [self._queue.popleft() for _ in range(min(BATCH, len(self._queue)))]
            self._busy = len(batch)
            if not self._round[0]:
                self._round = (0, time.monotonic())
            try:
                await self._fill(batch)
                self._round = (self._round[0] + len(batch), self._round[1])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a deleted collection, an unreachable server
                self.failed += len(batch)
                self._error = exc
                log.warning("dense vectors for %d chunks of %s not written (%s); a restart or the next "
                            "ingest retries them", len(batch), batch[0].collection, exc)
            finally:
                self._busy = 0
            for progress in list(self._progress):
                progress(len(batch))

    async def _fill(self, batch: list[Pending]) -> None:
        """Embed one batch (one collection at a time) and add the vectors to the points that
        still hold the text embedded."""
        by_collection: dict[str, list[Pending]] = {}
        for item in batch:
            by_collection.setdefault(item.collection, []).append(item)
        for collection, items in by_collection.items():
            vectors = await asyncio.to_thread(self._embed, items)
            async with self._lock:
                if not await self._client.collection_exists(collection):
                    continue  # replaced by a rebuild, or deleted, meanwhile: nothing to fill
                points = await self._client.retrieve(collection, ids=[i.point_id for i in items],
                                                     with_payload=["title", "heading_path", "text", "doc_id"],
                                                     with_vectors=False)
                current = {str(p.id): embedding_text(p.payload or {}) for p in points}
                fresh = {item.point_id: row for item, row in zip(items, vectors, strict=True)
                         if current.get(item.point_id) == item.text}
                if not fresh:
                    continue
                await self._client.update_vectors(collection, wait=True, points=[
                    models.PointVectors(id=point_id, vector=row) for point_id, row in fresh.items()])  # type: ignore[arg-type]
                self._written(collection, fresh)

    def _embed(self, items: list[Pending]) -> list[dict[str, list[float]]]:
        titles = sorted({item.title for item in items})
        rows: list[dict[str, list[float]]] = [{} for _ in items]
        for model in self._models:
            texts = [item.text for item in items] + titles
            vectors = (self._cache.embed(model.embedder, texts) if self._cache is not None
                       else model.embedder.embed(texts))
            title_vectors = dict(zip(titles, vectors[len(items):], strict=True))
            for row, item, vector in zip(rows, items, vectors, strict=False):
                row[model.chunk_vector] = np.asarray(vector, dtype=np.float32).tolist()
                row[model.title_vector] = np.asarray(title_vectors[item.title], dtype=np.float32).tolist()
        return rows

    async def _scan(self, collection: str) -> list[Pending]:
        """The chunks of `collection` that lack a dense vector of any model (and are not queued)."""
        names = [name for model in self._models for name in (model.chunk_vector, model.title_vector)]
        queued = {item.point_id for item in self._queue if item.collection == collection}
        found: list[Pending] = []
        offset = None
        try:
            while True:
                points, offset = await self._client.scroll(
                    collection, limit=_SCROLL, offset=offset, with_vectors=names,
                    with_payload=["title", "heading_path", "text", "doc_id"])
                for point in points:
                    have = point.vector if isinstance(point.vector, dict) else {}
                    if str(point.id) not in queued and any(have.get(name) is None for name in names):
                        payload = point.payload or {}
                        found.append(Pending(collection, str(point.id), str(payload.get("title", "")),
                                             embedding_text(payload)))
                if offset is None:
                    break
        except Exception as exc:  # the collection went away meanwhile
            log.warning("could not look for chunks without dense vectors in %s: %s", collection, exc)
            return []
        if found:
            log.info("%d chunks of %s have no dense vectors yet: computing them", len(found), collection)
        return found
