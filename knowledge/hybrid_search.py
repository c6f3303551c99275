"""Hybrid retrieval over the tenant collections: dense similarity (the chunk, blended with
its article title) and BM25 are ranked separately, in memory (knowledge/resident.py), and
fused by reciprocal rank; the dense similarity is kept as the confidence signal the engine
thresholds on. Only the final hits' payloads are read from Qdrant.

A chunk whose dense vectors are still being computed (knowledge/vector_backfill.py) is found
by its words; when it is among a question's best BM25 candidates, its similarity is computed
then and there (FILL_NOW of them at most) and it takes its place in the dense ranking, so a new
document is answered, not only found, before the background reaches it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import numpy as np
from qdrant_client import AsyncQdrantClient, models

from app.core.cpu_lane import TURN_WORK
from knowledge import sparse
from knowledge.embedder import Embedder
from knowledge.hits import Hit, Mode, reciprocal_rank_fusion
from knowledge.resident import Ranked, ResidentCollection, blend
from knowledge.vector_backfill import embedding_text

log = logging.getLogger(__name__)

DENSE, TITLE, BM25 = "text", "title", "bm25"
DENSE_ML, TITLE_ML = "text_ml", "title_ml"  # the multilingual model's vectors, when configured
TITLE_WEIGHT = 0.3  # share of the article-title similarity in a chunk's dense score
CANDIDATES = 30
FILL_NOW = 4  # a question's best candidates still without dense vectors, embedded for it at once
SPARSE_SECONDS_PER_CHAR = 1e-6  # a question's BM25 tokens, measured: 3.3 ms for 3,114 characters
_SCROLL = 2048


class HybridSearch:
    """Ranks questions against the resident copy of each collection, loading a collection
    from Qdrant the first time it is searched in this process."""

    def __init__(self, client: AsyncQdrantClient, embedder: Embedder, multilingual: Embedder | None) -> None:
        self._client = client
        self._embedder = embedder
        self._multilingual = multilingual
        self._resident: dict[str, ResidentCollection] = {}
        self._loading: dict[str, asyncio.Lock] = {}

    @property
    def dense_names(self) -> tuple[str, ...]:
        return (DENSE, TITLE) + ((DENSE_ML, TITLE_ML) if self._multilingual is not None else ())

    # -- keeping the resident copies current ---------------------------------------------

    def started(self, collection: str, tenant: str) -> None:
        """A new, empty collection: every point will arrive through `written`."""
        self._resident[collection] = ResidentCollection(tenant, self.dense_names, BM25)

    def written(self, collection: str, points: Sequence[models.PointStruct]) -> None:
        resident = self._resident.get(collection)
        if resident is not None:
            for point in points:
                resident.put(str(point.id), point.vector, point.payload or {})  # type: ignore[arg-type]

    def vectors_added(self, collection: str, vectors: dict[str, dict[str, list[float]]]) -> None:
        """Dense vectors that arrived for points already written (knowledge/vector_backfill.py)."""
        resident = self._resident.get(collection)
        if resident is not None:
            for point_id, named in vectors.items():
                resident.add_dense(point_id, named)

    def document_removed(self, collection: str, doc_id: str, keep: Sequence[object] = ()) -> None:
        resident = self._resident.get(collection)
        if resident is not None:
            resident.remove_document(doc_id, [str(k) for k in keep])

    def forget(self, collection: str) -> None:
        """Drop a collection's copy (deleted, or changed in ways only Qdrant can tell)."""
        self._resident.pop(collection, None)

    def loaded(self, collection: str) -> bool:
        return collection in self._resident

    async def resident(self, collection: str, tenant: str) -> ResidentCollection:
        if collection in self._resident:
            return self._resident[collection]
        async with self._loading.setdefault(collection, asyncio.Lock()):
            if collection not in self._resident:
                self._resident[collection] = await self._load(collection, tenant)
        return self._resident[collection]

    async def _load(self, collection: str, tenant: str) -> ResidentCollection:
        resident = ResidentCollection(tenant, self.dense_names, BM25)
        offset = None
        while True:
            points, offset = await self._client.scroll(
                collection, limit=_SCROLL, offset=offset, with_vectors=[*self.dense_names, BM25],
                with_payload=["doc_id", "tenant", "language"])
            for point in points:
                resident.put(str(point.id), point.vector if isinstance(point.vector, dict) else {},
                             point.payload or {})
            if offset is None:
                log.info("knowledge index %s: %d chunks loaded for search", collection, len(resident))
                return resident

    # -- search --------------------------------------------------------------------------

    def route(self, language: str | None) -> tuple[Embedder, str, str]:
        """The model, and its chunk and title vectors, that should score a question."""
        primary = self._embedder
        if (self._multilingual is not None and language and primary.languages is not None
                and language not in primary.languages):
            return self._multilingual, DENSE_ML, TITLE_ML
        return primary, DENSE, TITLE

    async def query_vector(self, model: Embedder, query: str) -> np.ndarray:
        """The question's vector; open_embedder's models remember recent questions
        (knowledge/embedder.py RememberingEmbedder), so a repeat costs nothing."""
        return (await asyncio.to_thread(model.embed, [query]))[0]

    async def search(self, collection: str, tenant: str, query: str, limit: int, mode: Mode,
                     language: str | None) -> list[Hit]:
        model, dense_name, title_name = self.route(language)
        resident = await self.resident(collection, tenant)
        tokens: list[int] = []
        weights: list[float] = []
        if mode == "dense":
            vector = await self.query_vector(model, query)
        else:  # the BM25 tokens (pure Python, long for a long question) beside the model's vector
            vector, sparse_query = await asyncio.gather(
                self.query_vector(model, query),
                TURN_WORK.run(sparse.embed_query, query, language, cost=len(query) * SPARSE_SECONDS_PER_CHAR))
            tokens, weights = list(sparse_query.indices), list(sparse_query.values)
        # milliseconds even at 100,000 chunks, and done in one step so no write interleaves
        dense_ranked, sparse_ranked = _rank(resident, vector, tokens, weights, dense_name, title_name, mode)
        if mode == "hybrid" and language:
            # BM25 matches words, so it only helps where question and text share a language;
            # across languages its matches are noise (measured: docs/knowledge.md)
            sparse_ranked = [r for r in sparse_ranked if r.language in (None, language)]
        if mode == "hybrid":
            dense_ranked = await self._completed(collection, resident, model, vector, dense_ranked, sparse_ranked,
                                                 dense_name)
        if mode == "dense":
            chosen = [(r.point_id, r.score) for r in dense_ranked[:limit]]
        elif mode == "sparse":
            chosen = [(r.point_id, r.score) for r in sparse_ranked[:limit]]
        else:
            chosen = reciprocal_rank_fusion([[(r.point_id, r.similarity) for r in ranking]
                                             for ranking in (dense_ranked, sparse_ranked)])[:limit]
        # dense last: a chunk scored by `_completed` has similarity 0 in the BM25 ranking
        similarity = {r.point_id: r.similarity for r in (*sparse_ranked, *dense_ranked)}
        return await self._hits(collection, tenant, chosen, similarity, model.relevance_floor)

    async def _completed(self, collection: str, resident: ResidentCollection, model: Embedder, question: np.ndarray,
                         dense_ranked: list[Ranked], sparse_ranked: list[Ranked], dense_name: str) -> list[Ranked]:
        """The dense ranking, with the best BM25 candidates still waiting for their dense vectors
        (FILL_NOW at most) scored now, the way `rank_dense` scores them, and placed by that score:
        they compete on meaning too, and a reply can quote them. Their vectors are not kept: a
        dense ranking of only the chunks some question asked for would favour those everywhere."""
        waiting = resident.without_dense([r.point_id for r in sparse_ranked], dense_name)[:FILL_NOW]
        if not waiting:
            return dense_ranked
        payloads = await self._payloads(collection, waiting)
        waiting = [pid for pid in waiting if pid in payloads]
        texts = [embedding_text(payloads[pid]) for pid in waiting]
        titles = [str(payloads[pid].get("title", "")) for pid in waiting]
        # one text at a time: the model remembers single texts, so the next question asking finds them
        vectors = await asyncio.to_thread(lambda: [model.embed([t])[0] for t in (*texts, *titles)])
        language = {r.point_id: r.language for r in sparse_ranked}
        scored = []
        for i, pid in enumerate(waiting):
            chunk, title = vectors[i], vectors[len(waiting) + i]
            similarity = float(blend(float(chunk @ question), float(title @ question), TITLE_WEIGHT))
            scored.append(Ranked(pid, similarity, similarity, language[pid]))
        return sorted([*dense_ranked, *scored], key=lambda r: r.similarity, reverse=True)[:CANDIDATES]

    async def _payloads(self, collection: str, point_ids: list[str]) -> dict[str, dict]:
        """The points' payloads: remembered ones from memory, the rest read from Qdrant."""
        resident = self._resident.get(collection)
        payloads = dict(resident.remembered_payloads(point_ids)) if resident is not None else {}
        missing = [pid for pid in point_ids if pid not in payloads]
        if missing:
            rows = resident.rows(missing) if resident is not None else {}
            points = await self._client.retrieve(collection, ids=missing, with_payload=True, with_vectors=False)
            fetched = {str(point.id): point.payload or {} for point in points}
            payloads.update(fetched)
            if resident is not None and self._resident.get(collection) is resident:
                resident.remember_payloads(fetched, rows)
        return payloads

    async def _hits(self, collection: str, tenant: str, chosen: list[tuple[str, float]],
                    similarity: dict[str, float], floor: float) -> list[Hit]:
        if not chosen:
            return []
        payloads = await self._payloads(collection, [pid for pid, _ in chosen])
        hits = []
        for point_id, score in chosen:
            payload = payloads.get(point_id)
            if payload is None:  # deleted since it was ranked
                continue
            if payload.get("tenant") != tenant:  # defence in depth: never cross tenants
                log.error("point %s of tenant %s found in %s's index", point_id, payload.get("tenant"), tenant)
                continue
            path = tuple(str(h) for h in payload.get("heading_path") or ())
            hits.append(Hit(doc_id=str(payload["doc_id"]), title=str(payload["title"]),
                            heading=path[-1] if path else None, text=str(payload["text"]),
                            url=str(payload.get("url") or ""), score=score, point_id=point_id,
                            similarity=similarity[point_id], floor=floor, heading_path=path,
                            language=payload.get("language"), source=str(payload.get("source") or "")))
        return hits


def _rank(resident: ResidentCollection, vector: np.ndarray, tokens: list[int], weights: list[float],
          dense_name: str, title_name: str, mode: Mode) -> tuple[list[Ranked], list[Ranked]]:
    dense = (resident.rank_dense(vector, dense_name, title_name, TITLE_WEIGHT, CANDIDATES)
             if mode != "sparse" else [])
    bm25 = (resident.rank_sparse(tokens, weights, vector, dense_name, title_name, TITLE_WEIGHT, CANDIDATES)
            if mode != "dense" else [])
    return dense, bm25
