"""`frontline kb ...`: ingest, search, list and delete help-center documents from a shell.

These commands open the same index the server uses. With the embedded index (the
default) only one process may hold it, so stop the server first, or point both at a
Qdrant server (QDRANT_URL). `kb search` asks a running server instead (app/cli/kb_ask.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.errors import ConfigError

# The models, the index and the loaders are imported by the commands that use them: `kb search`
# answered by the running server never needs them (app/cli/kb_ask.py).
if TYPE_CHECKING:
    import httpx

    from app.config.settings import Settings
    from app.config.tenants import Tenant
    from knowledge.index import KnowledgeIndex
    from knowledge.loaders import LoadResult

USER_AGENT = "Frontline knowledge ingest"


def add_parser(commands: Any) -> None:
    kb = commands.add_parser("kb", help="manage the knowledge base")
    actions = kb.add_subparsers(dest="kb_command", required=True)
    ingest = actions.add_parser("ingest", help="add or update documents from files, folders or URLs")
    ingest.add_argument("sources", nargs="+", metavar="PATH_OR_URL")
    ingest.add_argument("--tenant", required=True)
    ingest.add_argument("--rebuild", action="store_true",
                        help="rebuild the tenant's index aside and switch to it when complete")
    ingest.add_argument("--no-wait", action="store_true",
                        help="return once the documents are searchable by their words; their dense "
                             "vectors are computed by the next ingest or server start")
    search = actions.add_parser("search", help="show what a question retrieves")
    search.add_argument("question")
    search.add_argument("--tenant", required=True)
    search.add_argument("--limit", type=int, default=5)
    search.add_argument("--mode", choices=["hybrid", "dense", "sparse"], default="hybrid")
    search.add_argument("--language", help="ISO code used for stemming (default: en)")
    search.add_argument("--json", action="store_true", help="print a JSON list of hits")
    listing = actions.add_parser("list", help="list the indexed documents")
    listing.add_argument("--tenant", required=True)
    listing.add_argument("--json", action="store_true")
    delete = actions.add_parser("delete", help="remove documents by source, origin or id")
    delete.add_argument("source")
    delete.add_argument("--tenant", required=True)


def _tenant(settings: Settings, tenant_id: str) -> Tenant:
    from app.config.tenants import TenantRegistry

    tenant = TenantRegistry.from_files(settings.tenants).get(tenant_id)
    if tenant is None:
        raise ConfigError(f"No tenant {tenant_id!r} is configured (FRONTLINE_TENANTS).")
    return tenant


@asynccontextmanager
async def _index(settings: Settings):  # type: ignore[no-untyped-def]
    from knowledge.embedder import open_embedders
    from knowledge.index import KnowledgeIndex

    embedder, multilingual = open_embedders(
        settings.model_dir, settings.embedding_model, settings.multilingual_model)
    index = await KnowledgeIndex.open(
        embedder, path=settings.qdrant_path, url=settings.qdrant_url, multilingual=multilingual,
        api_key=settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None,
        vector_cache=settings.vector_cache)
    try:
        yield index
    finally:
        await index.close()


async def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.kb_command == "search":  # the running server answers, or only the model needed (app/cli/kb_ask.py)
        from app.cli.kb_ask import ask

        return await ask(settings, args)
    tenant = _tenant(settings, args.tenant)
    async with _index(settings) as index:
        if args.kb_command == "ingest":
            return await _ingest(index, tenant, args.sources, args.rebuild, wait=not args.no_wait)
        if args.kb_command == "list":
            documents = await index.documents(tenant.id)
            if args.json:
                print(json.dumps(documents, ensure_ascii=False, indent=2))
            else:
                for row in documents:
                    print(f"{row['doc_id']:<40} {row['chunks']:>4} chunks  {row['language'] or '?':<3} "
                          f"{row['title']}  ({row['source']})")
                print(f"{len(documents)} documents")
            return 0
        removed = await index.delete_document(tenant.id, args.source)
        if not removed:
            print(f"Nothing in {tenant.id}'s knowledge base has the source, origin or id {args.source!r}.",
                  file=sys.stderr)
            return 1
        print(f"removed {removed} chunks")
        return 0


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _load_file(source: str) -> tuple[str, LoadResult]:
    from knowledge.loaders import LoadResult, load_path

    path = Path(source).resolve()
    if not path.exists():
        return str(path), LoadResult(documents=[], skipped=[(source, "no such file or folder")])
    return str(path), load_path(path)


async def _load(source: str, client: httpx.AsyncClient) -> tuple[str, LoadResult]:
    """The origin (URL, or absolute path) and what could be loaded from it."""
    from knowledge.loaders import load_url

    if _is_url(source):
        return source, await load_url(source, client)
    return await asyncio.to_thread(_load_file, source)


def _urls(tenant: Tenant, result: LoadResult) -> dict[str, str]:
    """Documents without a public address of their own link to their /kb page."""
    return {doc.doc_id: tenant.article_url(doc.doc_id) for doc in result.documents}


async def _ingest(index: KnowledgeIndex, tenant: Tenant, sources: list[str], rebuild: bool, *,
                  wait: bool = True) -> int:
    """Load and sync each source (each document searchable by its words as it is written),
    then, unless told not to wait, compute the dense vectors; progress goes to stderr (a bar
    on a terminal, lines in a log)."""
    import httpx

    from app.cli.progress import Progress
    from knowledge.index import SyncReport
    from knowledge.loaders.language import with_default_language

    totals = SyncReport()
    if wait:  # chunks an earlier `--no-wait` or a crash left without dense vectors
        await index.resume_vectors(tenant.id, background=False)
    async with httpx.AsyncClient(headers={"User-Agent": USER_AGENT}, follow_redirects=True) as client:
        for source in sources:
            print(f"loading {source}", file=sys.stderr, flush=True)
            origin, result = await _load(source, client)
            result.documents = with_default_language(result.documents, tenant.default_language)
            print(f"loaded {len(result.documents)} documents from {source} ({len(result.skipped)} skipped)",
                  file=sys.stderr, flush=True)
            if not result.documents and result.skipped:
                # nothing readable (missing path, unreachable site): change nothing in the index
                report = SyncReport(skipped=result.skipped)
            else:
                # documents are searchable as they are written; their dense vectors come after
                with Progress(len(result.documents), label=source, verb="indexed") as progress:
                    report = await index.sync(tenant.id, result.documents, _urls(tenant, result),
                                              result.skipped, origin=origin, rebuild=rebuild,
                                              wait_for_vectors=False,
                                              on_document=lambda _doc: progress.update())
            for name in ("added", "updated", "unchanged", "removed", "skipped"):
                getattr(totals, name).extend(getattr(report, name))
            totals.sections_embedded += report.sections_embedded
            totals.sections_waiting += report.sections_waiting
            print(f"{source}: {report.summary()}", flush=True)
    waiting = index.vectors_pending
    if wait and waiting:
        with Progress(waiting, label="dense vectors", unit="chunks") as progress:
            await index.wait_for_vectors(progress.update)
    print(f"\nadded {len(totals.added)}, updated {len(totals.updated)}, unchanged "
          f"{len(totals.unchanged)}, removed {len(totals.removed)}, skipped {len(totals.skipped)} "
          f"({totals.sections_embedded} chunks embedded)")
    for where, reason in totals.skipped:
        print(f"  skipped {where}: {reason}")
    if not wait and waiting:
        # nothing in this process will compute them, and a running server does not look for
        # them: say exactly who will
        print(f"{waiting} chunks are searchable by their words only: their dense vectors are "
              "computed by the next `frontline kb ingest` (without --no-wait) or when the "
              "Frontline server next starts.")
    return 0
