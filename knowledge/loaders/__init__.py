"""Knowledge loaders: help-center files, folders and web pages as `Document` values.

Every format is normalized to the same Markdown-like body, so one chunker serves all:

    Markdown (.md, .markdown)   front matter + body as written         markdown.py
    HTML (.html, .htm, pages)   main content only, h1-h4 as headings   html.py, render.py
    PDF (.pdf)                  the text layer, paragraphs kept        pdf.py
    Plain text (.txt)           paragraphs, obvious headings, bullets  text.py
    FAQ (.csv, .json)           one `## question` section per pair     faq.py
    Documents (.json)           {"id","title","content"...}, 1 or many json_documents.py
    URL or sitemap              fetched with limits, then as HTML      web.py, sitemap.py

Nothing here raises for bad input: whatever cannot be loaded comes back in
`LoadResult.skipped` as (source, reason), the reason written for the person who fixes it.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

import httpx

from knowledge.documents import Document
from knowledge.loaders.base import LoadResult
from knowledge.loaders.files import load_path
from knowledge.loaders.web import is_web_address, load_url

__all__ = ["LoadResult", "load_folder", "load_path", "load_sources", "load_url"]

USER_AGENT = "Frontline help-center loader"


def load_folder(folder: Path) -> tuple[list[Document], list[tuple[str, str]]]:
    """Every supported file under `folder`, and (file, reason) for each one skipped."""
    result = load_path(folder)
    return result.documents, result.skipped


async def load_sources(sources: list[str], client: httpx.AsyncClient | None = None) -> LoadResult:
    """Paths and http(s) addresses in one go; a document id already taken is reported, not loaded."""
    result = LoadResult()
    owners: dict[str, str] = {}
    async with AsyncExitStack() as stack:
        for source in sources:
            if is_web_address(source):
                if client is None:
                    client = await stack.enter_async_context(
                        httpx.AsyncClient(headers={"User-Agent": USER_AGENT}, follow_redirects=True))
                loaded = await load_url(source, client)
            else:  # reading and parsing files blocks; keep the event loop free meanwhile
                loaded = await asyncio.to_thread(load_path, Path(source))
            result.skipped.extend(loaded.skipped)
            for document in loaded.documents:
                if owner := owners.get(document.doc_id):
                    result.skipped.append((document.source, f"{owner} already has the id {document.doc_id!r}"))
                else:
                    owners[document.doc_id] = document.source
                    result.documents.append(document)
    return result
