"""Reading what the index holds: each document's hash and origin, whole documents rebuilt
from the copy kept with their first chunk, and the listing `frontline kb list` shows. Also
the payload each chunk is stored with, which these reads depend on."""

from __future__ import annotations

from typing import Any

from qdrant_client import AsyncQdrantClient, models

from knowledge.chunking import Chunk
from knowledge.documents import Document


async def indexed(client: AsyncQdrantClient, collection: str) -> dict[str, tuple[str, str, str]]:
    """doc_id -> (content hash, origin, source) for every document in the collection."""
    found: dict[str, tuple[str, str, str]] = {}
    offset = None
    while True:
        points, offset = await client.scroll(
            collection, limit=1024, offset=offset, with_vectors=False,
            with_payload=["doc_id", "doc_hash", "origin", "source"])
        for point in points:
            p = point.payload or {}
            found[str(p["doc_id"])] = (str(p["doc_hash"]), str(p.get("origin", "")),
                                       str(p.get("source", "")))
        if offset is None:
            return found

async def stored_documents(client: AsyncQdrantClient, collection: str) -> list[tuple[Document, str]]:
    """Every indexed document with its origin, rebuilt from the copy kept with each
    document's first chunk, so a rebuild aside keeps what other ingests put there."""
    selector = models.Filter(must=[models.FieldCondition(key="position", match=models.MatchValue(value=0))])
    stored: list[tuple[Document, str]] = []
    offset = None
    while True:
        points, offset = await client.scroll(collection, scroll_filter=selector, limit=256,
                                                   offset=offset, with_vectors=False)
        for point in points:
            p = point.payload or {}
            stored.append((document_from_payload(p), str(p.get("origin", ""))))
        if offset is None:
            return stored


def payload(tenant: str, doc: Document, chunk: Chunk, base_url: str, origin: str) -> dict[str, object]:
    url = f"{base_url}#{chunk.anchor}" if base_url and chunk.anchor else base_url
    payload: dict[str, object] = {
        "tenant": tenant, "doc_id": doc.doc_id, "doc_hash": doc.content_hash, "origin": origin,
        "title": doc.title, "heading_path": list(chunk.heading_path), "text": chunk.text,
        "url": url, "anchor": chunk.anchor, "source": doc.source, "language": doc.language,
        "updated": doc.updated, "category": doc.category, "position": chunk.position}
    if chunk.position == 0:  # the whole document, so the index can rebuild itself aside
        payload |= {"doc_body": doc.body, "doc_url": doc.url}
    return payload


async def document(client: AsyncQdrantClient, collection: str | None, tenant: str, doc_id: str) -> Document | None:
    """One indexed document, whole, as it was ingested (for article pages)."""
    if collection is None:
        return None
    selector = models.Filter(must=[
        models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id)),
        models.FieldCondition(key="position", match=models.MatchValue(value=0))])
    points, _ = await client.scroll(collection, scroll_filter=selector, limit=1, with_vectors=False)
    if not points or (points[0].payload or {}).get("tenant") != tenant:
        return None
    return document_from_payload(points[0].payload or {})


async def documents(client: AsyncQdrantClient, collection: str | None) -> list[dict[str, object]]:
    """One row per indexed document: id, title, source, origin, url, language, updated, chunks."""
    rows: dict[str, dict[str, object]] = {}
    offset = None
    while collection is not None:
        points, offset = await client.scroll(
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


def document_from_payload(p: dict[str, Any]) -> Document:
    """The whole document, from the copy kept with its first chunk."""
    return Document(doc_id=str(p["doc_id"]), title=str(p["title"]), body=str(p["doc_body"]),
                    source=str(p.get("source") or ""), url=p.get("doc_url"), category=p.get("category"),
                    updated=p.get("updated"), language=p.get("language"))
