"""`frontline kb search` without a server: what a question retrieves, loading only what it needs.

A shell command pays for every model it loads, every time: an English question (or one in
any language the primary model covers) never loads the multilingual model, and a question
in another language loads it only because it is the one that scores it. When a server is
running it answers instead (app/cli/kb_ask.py) and nothing here is loaded.
"""

from __future__ import annotations

import argparse
from typing import Any

from app.config.settings import Settings
from knowledge.embedder import open_embedder
from knowledge.index import KnowledgeIndex
from knowledge.search_request import hit_rows


async def search(settings: Settings, tenant_id: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The rows `kb search` prints for `args.question` (knowledge/search_request.py)."""
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
    return hit_rows(hits)
