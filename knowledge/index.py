"""The knowledge index: document chunks in Qdrant with dense and BM25 vectors, one
collection per tenant, searched by hybrid retrieval.

- **Tenancy.** Each tenant has its own collection behind the alias `kb_<tenant>`; a query
  names one tenant and can only reach that collection. Every point also carries its tenant,
  and results are checked against it.
- **Sync.** Re-ingesting compares each document's content hash with the index and embeds
  only what changed; documents that disappeared are removed. A changed document's new
  chunks are written before its old ones are deleted, so readers see one version or the
  other, never none.
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

import numpy as np
from qdrant_client import AsyncQdrantClient, models

from app.core.errors import KnowledgeError
from knowledge import sparse
from knowledge.chunking import CHUNKER_VERSION, Chunk, chunk_document
from knowledge.documents import Document
from knowledge.embedder import Embedder
from knowledge.hits import Hit, Mode
from knowledge.hybrid_search import BM25, DENSE, DENSE_ML, TITLE, TITLE_ML, HybridSearch
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
    rebuilt: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        how = " (rebuilt aside)" if self.rebuilt else ""
        return (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
                f"{len(self.skipped)} skipped; {self.sections_embedded} sections embedded{how}")


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
        names = [f"{e.name}:{e.dim}" for e in (embedder, self._multilingual) if e is not None]
        material = f"{'+'.join(names)}|{CHUNKER_VERSION}|{sparse.AVERAGE_CHUNK_WORDS}"
        self.fingerprint = hashlib.sha256(material.encode()).hexdigest()[:10]
        self._search = HybridSearch(client, embedder, self._multilingual)

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
        except Exception as exc:  # qdrant raises many kinds (lock held, connection refused)
            if "already accessed by another instance" in str(exc):
                raise KnowledgeError(
                    f"Another Frontline process is using the knowledge index in {path}. Stop it, "
                    "or give this one its own FRONTLINE_DATA_DIR.") from None
            raise KnowledgeError(f"Cannot open the knowledge index ({url or path}): {exc}") from exc
        return cls(client, embedder, multilingual, VectorCache(vector_cache) if vector_cache else None)

    async def close(self) -> None:
        await self._client.close()

    async def warm(self, tenant: str) -> None:
        """Load the tenant's collection for search now rather than on its first question."""
        collection = await self._collection(tenant)
        if collection is not None:
            await self._search.resident(collection, tenant)

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

    async def _indexed(self, collection: str) -> dict[str, tuple[str, str, str]]:
        """doc_id -> (content hash, origin, source) for every document in the collection."""
        found: dict[str, tuple[str, str, str]] = {}
        offset = None
        while True:
            points, offset = await self._client.scroll(
                collection, limit=1024, offset=offset, with_vectors=False,
                with_payload=["doc_id", "doc_hash", "origin", "source"])
            for point in points:
                p = point.payload or {}
                found[str(p["doc_id"])] = (str(p["doc_hash"]), str(p.get("origin", "")),
                                           str(p.get("source", "")))
            if offset is None:
                return found

    async def _stored_documents(self, collection: str) -> list[tuple[Document, str]]:
        """Every indexed document with its origin, rebuilt from the copy kept with each
        document's first chunk, so a rebuild aside keeps what other ingests put there."""
        selector = models.Filter(must=[models.FieldCondition(key="position", match=models.MatchValue(value=0))])
        stored: list[tuple[Document, str]] = []
        offset = None
        while True:
            points, offset = await self._client.scroll(collection, scroll_filter=selector, limit=256,
                                                       offset=offset, with_vectors=False)
            for point in points:
                p = point.payload or {}
                stored.append((_document(p), str(p.get("origin", ""))))
            if offset is None:
                return stored

    async def sync(self, tenant: str, documents: Sequence[Document], url_for: dict[str, str],
                   skipped: Sequence[tuple[str, str]] = (), *, origin: str,
                   rebuild: bool = False,
                   on_document: Callable[[Document], None] | None = None) -> SyncReport:
        """Make the documents that came from `origin` (a folder, file or URL as ingested) be
        exactly `documents`, embedding only what changed. Other origins are left alone, and so
        is an indexed document whose source was skipped this time (unreadable now, or its page
        unreachable): a bad read never deletes good knowledge."""
        started = time.perf_counter()
        report = SyncReport(skipped=list(skipped))
        current = await self._collection(tenant)
        indexed = await self._indexed(current) if current else {}
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
                       (await self._stored_documents(current) if current else [])
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
        try:
            for doc in changed:
                report.sections_embedded += await self._write_document(
                    target, tenant, doc, url_for.get(doc.doc_id), origin, replace=not aside)
                if on_document is not None:
                    on_document(doc)
            for doc, other_origin in carried:
                await self._write_document(target, tenant, doc, None, other_origin, replace=False)
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
        report.seconds = time.perf_counter() - started
        log.info("knowledge sync for %s from %s: %s", tenant, origin, report.summary())
        return report

    async def _write_document(self, collection: str, tenant: str, doc: Document,
                              fallback_url: str | None, origin: str, *, replace: bool) -> int:
        chunks = chunk_document(doc)
        if not chunks:
            return 0
        texts = [doc.title] + [c.embedding_text for c in chunks]
        dense = await asyncio.to_thread(self._embed, self._embedder, texts)
        bm25 = await asyncio.to_thread(sparse.embed_documents, texts[1:], doc.language)
        vectors: list[dict[str, object]] = [
            {DENSE: vector.tolist(), TITLE: dense[0].tolist(), BM25: sparse_vector}
            for vector, sparse_vector in zip(dense[1:], bm25, strict=True)]
        if self._multilingual is not None:
            ml = await asyncio.to_thread(self._embed, self._multilingual, texts)
            for row, vector in zip(vectors, ml[1:], strict=True):
                row |= {DENSE_ML: vector.tolist(), TITLE_ML: ml[0].tolist()}
        base_url = doc.url or fallback_url or ""
        points = [
            models.PointStruct(
                id=str(uuid.uuid5(_NAMESPACE, f"{tenant}/{doc.doc_id}/{chunk.position}")),
                vector=row,  # type: ignore[arg-type]
                payload=self._payload(tenant, doc, chunk, base_url, origin))
            for chunk, row in zip(chunks, vectors, strict=True)
        ]
        for start in range(0, len(points), BATCH):
            await self._client.upsert(collection, points=points[start:start + BATCH], wait=True)
        self._search.written(collection, points)
        if replace:  # drop this document's chunks beyond the new count
            await self._delete_doc(collection, doc.doc_id, keep={p.id for p in points})
        return len(points)

    def _embed(self, embedder: Embedder, texts: list[str]) -> np.ndarray:
        return self._vectors.embed(embedder, texts) if self._vectors is not None else embedder.embed(texts)

    @staticmethod
    def _payload(tenant: str, doc: Document, chunk: Chunk, base_url: str,
                 origin: str) -> dict[str, object]:
        url = f"{base_url}#{chunk.anchor}" if base_url and chunk.anchor else base_url
        payload: dict[str, object] = {
            "tenant": tenant, "doc_id": doc.doc_id, "doc_hash": doc.content_hash, "origin": origin,
            "title": doc.title, "heading_path": list(chunk.heading_path), "text": chunk.text,
            "url": url, "anchor": chunk.anchor, "source": doc.source, "language": doc.language,
            "updated": doc.updated, "category": doc.category, "position": chunk.position}
        if chunk.position == 0:  # the whole document, so the index can rebuild itself aside
            payload |= {"doc_body": doc.body, "doc_url": doc.url}
        return payload

    async def _delete_doc(self, collection: str, doc_id: str, keep: set[object] | None = None) -> None:
        selector = models.Filter(must=[models.FieldCondition(
            key="doc_id", match=models.MatchValue(value=doc_id))])
        if keep:
            selector.must_not = [models.HasIdCondition(has_id=list(keep))]  # type: ignore[list-item]
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
                await self._client.delete(collection, wait=True,
                                          points_selector=models.FilterSelector(filter=selector))
                self._search.forget(collection)  # by source or origin: only Qdrant knows which points
                removed += found
        return removed

    async def document(self, tenant: str, doc_id: str) -> Document | None:
        """One indexed document, whole, as it was ingested (for article pages)."""
        collection = await self._collection(tenant)
        if collection is None:
            return None
        selector = models.Filter(must=[
            models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id)),
            models.FieldCondition(key="position", match=models.MatchValue(value=0))])
        points, _ = await self._client.scroll(collection, scroll_filter=selector, limit=1,
                                              with_vectors=False)
        if not points or (points[0].payload or {}).get("tenant") != tenant:
            return None
        return _document(points[0].payload or {})

    async def documents(self, tenant: str) -> list[dict[str, object]]:
        """One row per indexed document: id, title, source, origin, url, language, updated, chunks."""
        collection = await self._collection(tenant)
        rows: dict[str, dict[str, object]] = {}
        offset = None
        while collection is not None:
            points, offset = await self._client.scroll(
                collection, limit=1024, offset=offset, with_vectors=False,
                with_payload=["doc_id", "title", "source", "origin", "url", "language", "updated"])
            for point in points:
                p = point.payload or {}
                row = rows.setdefault(str(p["doc_id"]), {
                    "doc_id": p["doc_id"], "title": p.get("title"), "source": p.get("source"),
                    "origin": p.get("origin"),
                    "url": str(p.get("url") or "").split("#")[0], "language": p.get("language"),
                    "updated": p.get("updated"), "chunks": 0})
                row["chunks"] = int(row["chunks"]) + 1  # type: ignore[call-overload]
            if offset is None:
                break
        return sorted(rows.values(), key=lambda r: str(r["doc_id"]))

    # -- search --------------------------------------------------------------------------

    def _route(self, language: str | None) -> tuple[Embedder, str, str]:
        """The model, and its chunk and title vectors, that should score a question."""
        return self._search.route(language)

    async def search(self, tenant: str, query: str, limit: int = 5, *, mode: Mode = "hybrid",
                     language: str | None = None) -> list[Hit]:
        """Hits for `query` in `language` (ISO 639-1; None: the primary model's language)."""
        collection = await self._collection(tenant)
        if collection is None or not query.strip():
            return []
        return await self._search.search(collection, tenant, query, limit, mode, language)

    async def count(self, tenant: str) -> int:
        collection = await self._collection(tenant)
        if collection is None:
            return 0
        return (await self._client.count(collection, exact=True)).count


def _document(p: dict[str, Any]) -> Document:
    """The whole document, from the copy kept with its first chunk."""
    return Document(doc_id=str(p["doc_id"]), title=str(p["title"]), body=str(p["doc_body"]),
                    source=str(p.get("source") or ""), url=p.get("doc_url"), category=p.get("category"),
                    updated=p.get("updated"), language=p.get("language"))
