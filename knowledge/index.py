"""The knowledge index: help-center sections as vectors in Qdrant, one tenant per query.

Every point carries its tenant in the payload and every search filters on it, so a
tenant can never retrieve another tenant's text. Syncing compares each document's content
hash with what the index holds and re-embeds only what changed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qdrant_client import AsyncQdrantClient, models

from app.errors import KnowledgeError
from knowledge.documents import Document
from knowledge.embedder import Embedder

log = logging.getLogger(__name__)

COLLECTION = "frontline_kb"
TEXT, TITLE = "text", "title"  # named vectors: the section (with its headings) and the article title
TITLE_WEIGHT = 0.3  # share of the article-title similarity in a hit's score
_NAMESPACE = uuid.UUID("5b0c6f4e-8f0a-4c53-9a39-2f1f8d1e7a10")


@dataclass(frozen=True)
class Hit:
    doc_id: str
    title: str
    heading: str | None
    text: str
    url: str
    score: float
    point_id: str


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    sections_embedded: int = 0

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
                f"{len(self.skipped)} skipped; {self.sections_embedded} sections embedded")


def _tenant_filter(tenant: str, doc_id: str | None = None) -> models.Filter:
    must = [models.FieldCondition(key="tenant", match=models.MatchValue(value=tenant))]
    if doc_id is not None:
        must.append(models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id)))
    return models.Filter(must=must)  # type: ignore[arg-type]


class KnowledgeIndex:
    def __init__(self, client: AsyncQdrantClient, embedder: Embedder) -> None:
        self._client = client
        self._embedder = embedder

    @classmethod
    async def open(cls, embedder: Embedder, *, path: Path | None = None, url: str | None = None,
                   api_key: str | None = None) -> KnowledgeIndex:
        """Embedded Qdrant at `path`, or a Qdrant server at `url`; the same code path after."""
        try:
            if url:
                client = AsyncQdrantClient(url=url, api_key=api_key)
            else:
                assert path is not None
                await asyncio.to_thread(path.mkdir, parents=True, exist_ok=True)
                client = AsyncQdrantClient(path=str(path))
            index = cls(client, embedder)
            await index._ensure_collection()
        except KnowledgeError:
            raise
        except Exception as exc:  # qdrant raises many kinds (lock held, connection refused)
            if "already accessed by another instance" in str(exc):
                raise KnowledgeError(
                    f"Another Frontline process is using the knowledge index in {path}. Stop it, "
                    "or give this one its own FRONTLINE_DATA_DIR.") from None
            raise KnowledgeError(f"Cannot open the knowledge index ({url or path}): {exc}") from exc
        return index

    async def close(self) -> None:
        await self._client.close()

    async def _ensure_collection(self) -> None:
        if await self._client.collection_exists(COLLECTION):
            info = await self._client.get_collection(COLLECTION)
            vectors = info.config.params.vectors
            text = vectors.get(TEXT) if isinstance(vectors, dict) else None
            size = text.size if text is not None else None
            if size != self._embedder.dim:
                raise KnowledgeError(
                    f"The knowledge index was built with {size}-dimensional vectors but the model "
                    f"{self._embedder.name} makes {self._embedder.dim}; delete the index folder "
                    "to rebuild it.")
            return
        await self._client.create_collection(
            COLLECTION,
            vectors_config={
                name: models.VectorParams(size=self._embedder.dim, distance=models.Distance.COSINE)
                for name in (TEXT, TITLE)},
        )
        for key in ("tenant", "doc_id"):
            await self._client.create_payload_index(COLLECTION, key, models.PayloadSchemaType.KEYWORD)

    async def _indexed_hashes(self, tenant: str) -> dict[str, str]:
        hashes: dict[str, str] = {}
        offset = None
        while True:
            points, offset = await self._client.scroll(
                COLLECTION, scroll_filter=_tenant_filter(tenant), limit=512, offset=offset,
                with_payload=["doc_id", "doc_hash"], with_vectors=False)
            for point in points:
                payload = point.payload or {}
                hashes[str(payload["doc_id"])] = str(payload["doc_hash"])
            if offset is None:
                return hashes

    async def sync(self, tenant: str, documents: Sequence[Document], url_for: dict[str, str],
                   skipped: Sequence[tuple[str, str]] = ()) -> SyncReport:
        """Make the tenant's index hold exactly `documents`, embedding only what changed."""
        report = SyncReport(skipped=list(skipped))
        indexed = await self._indexed_hashes(tenant)
        wanted = {doc.doc_id: doc for doc in documents}
        for doc in documents:
            before = indexed.get(doc.doc_id)
            if before == doc.content_hash:
                report.unchanged.append(doc.doc_id)
                continue
            sections = doc.sections()
            vectors = await asyncio.to_thread(
                self._embedder.embed, [doc.title] + [s.embedding_text for s in sections])
            title_vector = vectors[0].tolist()
            points = [
                models.PointStruct(
                    id=str(uuid.uuid5(_NAMESPACE, f"{tenant}/{doc.doc_id}/{s.position}")),
                    vector={TEXT: vector.tolist(), TITLE: title_vector},
                    payload={"tenant": tenant, "doc_id": doc.doc_id, "doc_hash": doc.content_hash,
                             "title": doc.title, "heading": s.heading, "text": s.text,
                             "url": url_for.get(doc.doc_id, ""), "updated": doc.updated,
                             "position": s.position},
                )
                for s, vector in zip(sections, vectors[1:], strict=True)
            ]
            # New points first, then drop the document's old ones beyond the new count:
            # a search in between sees the old or the new version, never nothing.
            await self._client.upsert(COLLECTION, points=points, wait=True)
            if before is not None:
                keep = {p.id for p in points}
                await self._delete_doc(tenant, doc.doc_id, keep=keep)
                report.updated.append(doc.doc_id)
            else:
                report.added.append(doc.doc_id)
            report.sections_embedded += len(points)
        for doc_id in sorted(set(indexed) - set(wanted)):
            await self._delete_doc(tenant, doc_id)
            report.removed.append(doc_id)
        log.info("knowledge sync for %s: %s", tenant, report.summary())
        return report

    async def _delete_doc(self, tenant: str, doc_id: str, keep: set[object] | None = None) -> None:
        selector: models.Filter = _tenant_filter(tenant, doc_id)
        if keep:
            selector.must_not = [models.HasIdCondition(has_id=list(keep))]  # type: ignore[list-item]
        await self._client.delete(COLLECTION, points_selector=models.FilterSelector(filter=selector),
                                  wait=True)

    async def search(self, tenant: str, query: str, limit: int = 5) -> list[Hit]:
        """Sections most similar to `query`, re-scored with their article title's similarity:
        a section that matches well inside the article the question is about wins over an
        equally close one in a neighbouring article."""
        vector = (await asyncio.to_thread(self._embedder.embed, [query]))[0]
        response = await self._client.query_points(
            COLLECTION, query=vector.tolist(), using=TEXT, query_filter=_tenant_filter(tenant),
            limit=max(limit * 4, 20), with_payload=True, with_vectors=[TITLE])
        hits = []
        for point in response.points:
            payload = point.payload or {}
            if payload.get("tenant") != tenant:  # defence in depth: never cross tenants
                continue
            title = (point.vector or {}).get(TITLE) if isinstance(point.vector, dict) else None
            title_score = float(vector @ title) if title is not None else float(point.score)
            score = (1 - TITLE_WEIGHT) * float(point.score) + TITLE_WEIGHT * title_score
            hits.append(Hit(str(payload["doc_id"]), str(payload["title"]), payload.get("heading"),
                            str(payload["text"]), str(payload.get("url", "")), score,
                            str(point.id)))
        hits.sort(key=lambda hit: hit.score, reverse=True)
        return hits[:limit]

    async def count(self, tenant: str) -> int:
        result = await self._client.count(COLLECTION, count_filter=_tenant_filter(tenant), exact=True)
        return result.count
