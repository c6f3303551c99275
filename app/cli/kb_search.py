"""`frontline kb search`: what a question retrieves, loading only what that question needs.

A shell command pays for every model it loads, every time: an English question (or one in
any language the primary model covers) never loads the multilingual model, and a question
in another language loads it only because it is the one that scores it.
"""

from __future__ import annotations

import argparse
import json

from app.config.settings import Settings
from knowledge.embedder import open_embedder
from knowledge.index import KnowledgeIndex


async def search(settings: Settings, tenant_id: str, args: argparse.Namespace) -> int:
    primary = open_embedder(settings.model_dir, settings.embedding_model)
    multilingual = None
    wanted = settings.multilingual_model
    if (args.language and primary.languages is not None and args.language not in primary.languages
            and wanted and wanted.lower() != "none"):
        multilingual = open_embedder(settings.model_dir, wanted)
    index = await KnowledgeIndex.open(
        primary, path=settings.qdrant_path, url=settings.qdrant_url, multilingual=multilingual,
        api_key=settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None)
    try:
        hits = await index.search(tenant_id, args.question, args.limit, mode=args.mode, language=args.language)
    finally:
        await index.close()
    rows = [{"source": h.source, "title": h.title, "score": round(h.score, 6),
             "similarity": round(h.similarity, 4), "heading": h.heading, "url": h.url,
             "doc_id": h.doc_id, "text": h.text} for h in hits]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for rank, row in enumerate(rows, start=1):
        heading = f" — {row['heading']}" if row["heading"] else ""
        print(f"{rank}. {row['title']}{heading}  (score {row['score']}, similarity "
              f"{row['similarity']})\n   {row['source']}\n   {str(row['text'])[:200]}")
    return 0
