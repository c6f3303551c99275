"""The knowledge index: document chunks in Qdrant with dense and BM25 vectors, one
collection per tenant, searched by hybrid retrieval.

- **Tenancy.** Each tenant has its own collection behind the alias `kb_<tenant>`; a query
  names one tenant and can only reach that collection. Every point also carries its tenant,
  and results are checked against it.
- **Sync.** Re-ingesting compares each document's content hash with the index and embeds
  only what changed; documents that disappeared are removed. A changed document's new
  chunks are written before its old ones are deleted, so readers see one version or the
  other, never none.
- **Two stages.** A chunk is written first with its BM25 vector (milliseconds), so a new
  document is found by its words at once; its dense vectors, the slow part, are computed by
  knowledge/vector_backfill.py and added as they come. `sync` waits for them unless told
  not to (the server's start-up doesn't, `kb ingest --no-wait` doesn't); chunks left
  without them by a crash are found and filled by `resume_vectors`.
- **Vector cache.** With a cache folder (knowledge/vector_cache.py), a section whose text
  was embedded before, by this process or another sharing the folder, is not embedded
  again: a fresh data folder or a rebuild of unchanged content costs only the writes.
- **Rebuild aside.** When the embedding model or the chunker changes (the index
  fingerprint), or on request, the whole tenant is built into a new collection and the
  alias is switched in one operation: a search never sees a half-built index.
- **Hybrid retrieval** (knowledge/hybrid_search.py). Dense similarity and BM25 are ranked
  in memory, from a copy of each collection's vectors this index keeps current with every
  write, and fused by reciprocal rank.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qdrant_client import AsyncQdrantClient, models

from app.core.errors import KnowledgeError
from knowledge import catalog, sparse
from knowledge.chunking import CHUNKER_VERSION, chunk_document
from knowledge.documents import Document
from knowledge.embedder import Embedder, vectors_key
from knowledge.hits import Hit, Mode
from knowledge.hybrid_search import BM25, DENSE, DENSE_ML, TITLE, TITLE_ML, HybridSearch
from knowledge.local_storage import use_wal
from knowledge.vector_backfill import BackgroundVectors, DenseModel, Pending, cached_vectors
from knowledge.vector_cache import VectorCache

log = logging.getLogger(__name__)

__all__ = ["Hit", "KnowledgeIndex", "Mode", "SyncReport", "alias_for"]

BATCH = 512
_NAMESPACE = uuid.UUID("5b0c6f4e-8f0a-4c53-9a39-2f1f8d1e7a10")

@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    sections_embedded: int = 0
    sections_waiting: int = 0  # written without dense vectors, which are still being computed
    rebuilt: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        how = " (rebuilt aside)" if self.rebuilt else ""
        done = (f"{self.sections_embedded} sections written, {self.sections_waiting} of them awaiting "
                "dense vectors" if self.sections_waiting else f"{self.sections_embedded} sections embedded")
        return (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
                f"{len(self.skipped)} skipped; {done}{how}")


def alias_for(tenant: str) -> str:
    return f"kb_{tenant}"


class KnowledgeIndex:
    """`embedder` scores questions in its own languages; `multilingual` (optional) scores
    questions in any other language, so a Spanish question finds an English article."""

    def __init__(self, client: AsyncQdrantClient, embedder: Embedder,
                 multilingual: Embedder | None = None, vectors: VectorCache | None = None) -> None:
        self._client = client
        self._vectors = vectors
        self._embedder = embedder
        self._multilingual = multilingual if embedder.languages is not None else None
        names = [f"{vectors_key(e)}:{e.dim}" for e in (embedder, self._multilingual) if e is not None]
        material = f"{'+'.join(names)}|{CHUNKER_VERSION}|{sparse.AVERAGE_CHUNK_WORDS}"
        self.fingerprint = hashlib.sha256(material.encode()).hexdigest()[:10]
        self._search = HybridSearch(client, embedder, self._multilingual)
        self._writing = asyncio.Lock()  # a chunk's write and its dense vectors' never interleave
        self._warming: set[asyncio.Future[Any]] = set()  # warm-ups still running (kept referenced)
        dense = [DenseModel(embedder, DENSE, TITLE)]
        if self._multilingual is not None:
            dense.append(DenseModel(self._multilingual, DENSE_ML, TITLE_ML))
        self._dense = dense
        self._background = BackgroundVectors(client, dense, self._search.vectors_added, self._writing, vectors)

    @classmethod
    async def open(cls, embedder: Embedder, *, path: Path | None = None, url: str | None = None,
                   api_key: str | None = None, multilingual: Embedder | None = None,
                   vector_cache: Path | None = None) -> KnowledgeIndex:
        """Embedded Qdrant at `path`, or a Qdrant server at `url`; the same code path after.
        `vector_cache`: a folder of section vectors to reuse (None: embed every change)."""
        try:
            if url:
                # our own first request below reports an unreachable server clearly; the
                # client's background version check would only log it from a thread
                client = AsyncQdrantClient(url=url, api_key=api_key, check_compatibility=False)
                try:
                    await client.get_collections()
                except BaseException:
                    await client.close()
                    raise
            else:
                assert path is not None
                await asyncio.to_thread(path.mkdir, parents=True, exist_ok=True)
                client = AsyncQdrantClient(path=str(path))
                use_wal(client)  # knowledge/local_storage.py: an fsync per point otherwise
        except Exception as exc:  # qdrant raises many kinds (lock held, connection refused)
            if "already accessed by another instance" in str(exc):
                raise KnowledgeError(
                    f"Another Frontline process is using the knowledge index in {path}. Stop it, "
                    "or give this one its own FRONTLINE_DATA_DIR.") from None
            raise KnowledgeError(f"Cannot open the knowledge index ({url or path}): {exc}") from exc
        return cls(client, embedder, multilingual, VectorCache(vector_cache) if vector_cache else None)

    async def close(self) -> None:
        await self._background.close()
        await self._client.close()

    # -- dense vectors (the second stage) --------------------------------------------------

    @property
    def vectors_pending(self) -> int:
        """Chunks written whose dense vectors are still being computed."""
        return self._background.pending

    async def wait_for_vectors(self, progress: Callable[[int], None] | None = None) -> None:
        """Until every written chunk has its dense vectors; `progress(n)` after each batch."""
        await self._background.wait(progress)

    async def resume_vectors(self, tenant: str, *, background: bool = True) -> int:
        """Fill the dense vectors the tenant's chunks lack (after a crash or an ingest that did
        not wait). In the background by default; otherwise the chunks found are queued before
        returning, and their number returned."""
        collection = await self._collection(tenant)
        if collection is None:
            return 0
        if background:
            self._background.resume(collection)
            return 0
        return await self._background.resume_now(collection)

    # -- collections ---------------------------------------------------------------------

    async def _collection(self, tenant: str) -> str | None:
        """The collection currently behind the tenant's alias."""
        aliases = await self._client.get_aliases()
        for alias in aliases.aliases:
            if alias.alias_name == alias_for(tenant):
                return alias.collection_name
        return None

    async def _create(self, name: str, tenant: str | None = None) -> None:
        dense = models.VectorParams(size=self._embedder.dim, distance=models.Distance.COSINE)
        vectors = {DENSE: dense, TITLE: dense}
        if self._multilingual is not None:
            ml = models.VectorParams(size=self._multilingual.dim, distance=models.Distance.COSINE)
            vectors |= {DENSE_ML: ml, TITLE_ML: ml}
        await self._client.create_collection(
            name, vectors_config=vectors,
            sparse_vectors_config={BM25: models.SparseVectorParams(modifier=models.Modifier.IDF)})
        use_wal(self._client)
        if tenant is not None:  # empty: the search copy is built from the writes that follow
            self._search.started(name, tenant)

    async def _switch(self, tenant: str, new: str, old: str | None) -> None:
        operations: list[models.AliasOperations] = []
        if old is not None:
            operations.append(models.DeleteAliasOperation(
                delete_alias=models.DeleteAlias(alias_name=alias_for(tenant))))
        operations.append(models.CreateAliasOperation(
            create_alias=models.CreateAlias(collection_name=new, alias_name=alias_for(tenant))))
        await self._client.update_collection_aliases(change_aliases_operations=operations)

    # -- sync ----------------------------------------------------------------------------

    async def sync(self, tenant: str, documents: Sequence[Document], url_for: dict[str, str],
                   skipped: Sequence[tuple[str, str]] = (), *, origin: str,
                   rebuild: bool = False, wait_for_vectors: bool = True,
                   on_document: Callable[[Document], None] | None = None) -> SyncReport:
        """Make the documents that came from `origin` (a folder, file or URL as ingested) be
        exactly `documents`, embedding only what changed. Other origins are left alone, and so
        is an indexed document whose source was skipped this time (unreadable now, or its page
        unreachable): a bad read never deletes good knowledge.

        `on_document` is called as each document becomes searchable (by its words); with
        `wait_for_vectors` the sync returns once the dense vectors are in too, otherwise they
        are computed in the background (`vectors_pending`, `wait_for_vectors`)."""
        started = time.perf_counter()
        report = SyncReport(skipped=list(skipped))
        current = await self._collection(tenant)
        indexed = await catalog.indexed(self._client, current) if current else {}
        mine = {doc_id for doc_id, (_, owner, _) in indexed.items() if owner == origin}
        unreadable = {source for source, _ in skipped}
        accepted: list[Document] = []
        for doc in documents:
            owner = indexed.get(doc.doc_id, ("", origin, ""))[1]
            if owner != origin:
                report.skipped.append((doc.source, f"a document with id {doc.doc_id!r} was already "
                                                   f"ingested from {owner}"))
            else:
                accepted.append(doc)
        aside = rebuild or current is None or f"_{self.fingerprint}_" not in current
        if aside:
            target = f"{alias_for(tenant)}_{self.fingerprint}_{time.time_ns()}"
            await self._create(target, tenant)
            report.rebuilt = current is not None
            changed = accepted
            fresh = {d.doc_id for d in accepted}
            carried = [(doc, owner) for doc, owner in
                       (await catalog.stored_documents(self._client, current) if current else [])
                       if owner != origin or (doc.source in unreadable and doc.doc_id not in fresh)]
        else:
            target = current  # type: ignore[assignment]
            changed = [d for d in accepted if indexed.get(d.doc_id, ("",))[0] != d.content_hash]
            carried = []
        for doc in accepted:
            if doc not in changed:
                report.unchanged.append(doc.doc_id)
            elif doc.doc_id in mine:
                report.updated.append(doc.doc_id)
            else:
                report.added.append(doc.doc_id)
        waiting: list[Pending] = []
        try:
            for doc in changed:
                written, pending = await self._write_document(
                    target, tenant, doc, url_for.get(doc.doc_id), origin, replace=not aside)
                report.sections_embedded += written
                waiting += pending
                if on_document is not None:
                    on_document(doc)
            for doc, other_origin in carried:
                waiting += (await self._write_document(target, tenant, doc, None, other_origin,
                                                       replace=False))[1]
            self._background.add(waiting)
            if aside and wait_for_vectors:  # a rebuild is complete before anyone searches it
                await self._background.wait()
        except BaseException:
            if aside:  # never leave a half-built collection behind
                await self._client.delete_collection(target)
                self._search.forget(target)
            raise
        finally:
            if self._vectors is not None:  # what was embedded is worth keeping either way
                await asyncio.to_thread(self._vectors.save)
        report.removed = sorted(doc_id for doc_id in mine - {d.doc_id for d in accepted}
                                if indexed[doc_id][2] not in unreadable)
        if not aside:
            for doc_id in report.removed:
                await self._delete_doc(target, doc_id)
        else:
            await self._switch(tenant, target, current)
            if current is not None:
                await self._client.delete_collection(current)
                self._search.forget(current)
        if wait_for_vectors:
            await self._background.wait()
        else:
            report.sections_waiting = len(waiting)
        report.seconds = time.perf_counter() - started
        log.info("knowledge sync for %s from %s: %s", tenant, origin, report.summary())
        return report

    async def _write_document(self, collection: str, tenant: str, doc: Document,
                              fallback_url: str | None, origin: str, *, replace: bool) -> tuple[int, list[Pending]]:
        """Write a document's chunks with their BM25 vectors, and their dense vectors when the
        vector cache already holds them; the chunks still to embed are returned."""
        chunks = chunk_document(doc)
        if not chunks:
            return 0, []
        texts = [doc.title] + [c.embedding_text for c in chunks]
        bm25 = await asyncio.to_thread(sparse.embed_documents, texts[1:], doc.language)
        vectors: list[dict[str, object]] = [{BM25: sparse_vector} for sparse_vector in bm25]
        known = (await asyncio.to_thread(cached_vectors, self._vectors, self._dense, texts)
                 if self._vectors is not None else None)
        if known is not None:
            for row, dense in zip(vectors, known, strict=True):
                row |= dense
        base_url = doc.url or fallback_url or ""
        points = [
            models.PointStruct(
                id=str(uuid.uuid5(_NAMESPACE, f"{tenant}/{doc.doc_id}/{chunk.position}")),
                vector=row,  # type: ignore[arg-type]
                payload=catalog.payload(tenant, doc, chunk, base_url, origin))
            for chunk, row in zip(chunks, vectors, strict=True)
        ]
        async with self._writing:
            for start in range(0, len(points), BATCH):
                await self._client.upsert(collection, points=points[start:start + BATCH], wait=True)
            self._search.written(collection, points)
        if replace:  # drop this document's chunks beyond the new count
            await self._delete_doc(collection, doc.doc_id, keep={p.id for p in points})
        pending = [] if known is not None else [
            Pending(collection, str(point.id), doc.title, chunk.embedding_text)
            for point, chunk in zip(points, chunks, strict=True)]
        return len(points), pending

    async def _delete_doc(self, collection: str, doc_id: str, keep: set[object] | None = None) -> None:
        selector = models.Filter(must=[models.FieldCondition(
            key="doc_id", match=models.MatchValue(value=doc_id))])
        if keep:
            selector.must_not = [models.HasIdCondition(has_id=list(keep))]  # type: ignore[list-item]
        async with self._writing:
            await self._client.delete(collection, points_selector=models.FilterSelector(filter=selector),
                                      wait=True)
            self._search.document_removed(collection, doc_id, list(keep or ()))

    async def delete_document(self, tenant: str, doc_id_or_source: str) -> int:
        """Remove documents by doc id, by their source, or by the origin they were ingested from."""
        collection = await self._collection(tenant)
        if collection is None:
            return 0
        removed = 0
        for key in ("doc_id", "source", "origin"):
            selector = models.Filter(must=[models.FieldCondition(
                key=key, match=models.MatchValue(value=doc_id_or_source))])
            found = (await self._client.count(collection, count_filter=selector, exact=True)).count
            if found:
                async with self._writing:
                    await self._client.delete(collection, wait=True,
                                              points_selector=models.FilterSelector(filter=selector))
                    self._search.forget(collection)  # by source or origin: only Qdrant knows which points
                removed += found
        return removed

    async def document(self, tenant: str, doc_id: str) -> Document | None:
        """One indexed document, whole, as it was ingested (for article pages)."""
        return await catalog.document(self._client, await self._collection(tenant), tenant, doc_id)

    async def documents(self, tenant: str) -> list[dict[str, object]]:
        """One row per indexed document: id, title, source, origin, url, language, updated, chunks."""
        return await catalog.documents(self._client, await self._collection(tenant))

    # -- search --------------------------------------------------------------------------

    def _route(self, language: str | None) -> tuple[Embedder, str, str]:
        """The model, and its chunk and title vectors, that should score a question."""
        return self._search.route(language)

    async def search(self, tenant: str, query: str, limit: int = 5, *, mode: Mode = "hybrid",
                     language: str | None = None, earlier: Sequence[str] = ()) -> list[Hit]:
        """Hits for `query` in `language` (ISO 639-1; None: the primary model's language).
        `earlier` (the conversation's earlier customer turns) is for the Retriever, which fuses
        them in (knowledge/context.py); the bare index searches the question alone."""
        collection = await self._collection(tenant)
        if collection is None or not query.strip():
            return []
        return await self._search.search(collection, tenant, query, limit, mode, language)

    def warm(self, questions: Sequence[str], language: str | None) -> None:
        """Start embedding questions a search is about to ask, each in a worker thread, and
        return at once: the turn's other work runs beside them, and the search then finds
        their vectors remembered (or waits for the one still running) instead of starting
        over. A warm-up that fails costs nothing: the search embeds the question itself."""
        model = self._route(language)[0]
        for question in questions:
            if question.strip():
                task = asyncio.ensure_future(self._search.query_vector(model, question))
                self._warming.add(task)
                task.add_done_callback(self._warmed)

    def _warmed(self, task: asyncio.Future[Any]) -> None:
        self._warming.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("warming a question's vector failed: %s", task.exception())

    async def count(self, tenant: str) -> int:
        collection = await self._collection(tenant)
        if collection is None:
            return 0
        return (await self._client.count(collection, exact=True)).count
