"""Help centers on the web: one page, or every page a sitemap lists.

Each page is fetched with a time limit and a size limit (the body is streamed and the
download stops past the limit, so a huge or endless page costs little), then read by the
HTML loader. A sitemap may point at further sitemaps; both the nesting and the number of
sitemaps are bounded, and pages on another host than the sitemap's are not fetched, as
the sitemap protocol requires. At most `concurrency` pages are fetched at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from knowledge.documents import MAX_DOCUMENT_BYTES, DocumentError
from knowledge.loaders.base import LoadResult, humanize
from knowledge.loaders.html import parse_html
from knowledge.loaders.ids import url_doc_id
from knowledge.loaders.sitemap import looks_like_sitemap, parse_sitemap

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
CONCURRENCY = 4
MAX_SITEMAP_BYTES = 10_000_000  # the protocol allows 50 MB; 10 MB lists far more than max_pages
MAX_SITEMAPS = 50
MAX_SITEMAP_DEPTH = 3
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_XML_TYPES = {"application/xml", "text/xml"}
_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5"


class FetchError(Exception):
    """An address could not be fetched; the message is the reason a person reads."""


@dataclass(frozen=True)
class _Fetched:
    content_type: str
    charset: str | None
    body: bytes

    @property
    def is_html(self) -> bool:
        return self.content_type in _HTML_TYPES or not self.content_type

    @property
    def is_sitemap(self) -> bool:
        return self.content_type in _XML_TYPES or looks_like_sitemap(self.body)


def is_web_address(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


async def load_url(url: str, client: httpx.AsyncClient, *, max_pages: int = 500,
                   page_timeout: float = DEFAULT_TIMEOUT, concurrency: int = CONCURRENCY) -> LoadResult:
    """A web page, or every page of a sitemap (a URL ending in .xml, or serving one).

    `page_timeout` bounds each download (sitemaps included), not the whole load.
    """
    if not is_web_address(url):
        return _skip(url, "not a web address (it must start with http:// or https://)")
    crawl = _Crawl(client, page_timeout, concurrency)
    try:
        fetched = await crawl.fetch(url, sitemap_allowed=True)
        if fetched.is_sitemap or urlsplit(url).path.lower().endswith(".xml"):
            return await crawl.load_sitemap(url, fetched, max_pages)
        return _page(url, None, fetched)
    except (FetchError, DocumentError) as exc:
        return _skip(url, str(exc))


@dataclass(frozen=True)
class _Crawl:
    client: httpx.AsyncClient
    page_timeout: float
    concurrency: int

    async def load_sitemap(self, url: str, fetched: _Fetched, max_pages: int) -> LoadResult:
        """Every page the sitemap, and the sitemaps it points to, list on its host."""
        result = LoadResult()
        host = urlsplit(url).netloc.lower()
        pages: dict[str, str | None] = {}
        pending: list[tuple[str, _Fetched | None, int]] = [(url, fetched, 0)]
        seen = {url}
        while pending:
            address, body, depth = pending.pop(0)
            try:
                body = body or await self.fetch(address, sitemap_allowed=True)
                sitemap = parse_sitemap(body.body)
            except (FetchError, DocumentError) as exc:
                result.extend(_skip(address, str(exc)))
                continue
            if sitemap is None:
                result.extend(_skip(address, "the address serves XML, but not a sitemap"))
                continue
            for loc, lastmod in sitemap.pages:
                if urlsplit(loc).netloc.lower() != host or not is_web_address(loc):
                    result.extend(_skip(loc, f"not on the sitemap's host ({host}), so not fetched"))
                else:
                    pages.setdefault(loc, lastmod)
            for child in sitemap.sitemaps:
                if child in seen:
                    continue
                seen.add(child)
                if depth + 1 > MAX_SITEMAP_DEPTH or len(seen) > MAX_SITEMAPS:
                    result.extend(_skip(child, f"sitemaps nest deeper than {MAX_SITEMAP_DEPTH} levels or number "
                                               f"more than {MAX_SITEMAPS}; this one was not read"))
                else:
                    pending.append((child, None, depth + 1))
        if len(pages) > max_pages:
            result.extend(_skip(url, f"the sitemap lists {len(pages)} pages; only the first {max_pages} "
                                     "were loaded"))
        result.extend(await self.load_pages(list(pages.items())[:max_pages]))
        return result

    async def load_pages(self, pages: Sequence[tuple[str, str | None]]) -> LoadResult:
        """The pages in sitemap order, fetched a few at a time."""
        gate = asyncio.Semaphore(self.concurrency)

        async def load(address: str, lastmod: str | None) -> LoadResult:
            async with gate:
                try:
                    return _page(address, lastmod, await self.fetch(address, sitemap_allowed=False))
                except (FetchError, DocumentError) as exc:
                    return _skip(address, str(exc))

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(load(address, lastmod)) for address, lastmod in pages]
        result = LoadResult()
        owners: dict[str, str] = {}
        for task in tasks:
            loaded = task.result()
            result.skipped.extend(loaded.skipped)
            for document in loaded.documents:
                if owner := owners.get(document.doc_id):
                    result.extend(_skip(document.source, f"{owner} has the same id {document.doc_id!r}"))
                else:
                    owners[document.doc_id] = document.source
                    result.documents.append(document)
        return result

    async def fetch(self, url: str, *, sitemap_allowed: bool) -> _Fetched:
        """The response body, or FetchError with a reason such as "HTTP 404" or "timed out after 10 s"."""
        try:
            async with asyncio.timeout(self.page_timeout):  # the whole download, not each read
                return await self._download(url, sitemap_allowed)
        except (TimeoutError, httpx.TimeoutException):
            raise FetchError(f"timed out after {self.page_timeout:g} s") from None
        except httpx.ConnectError as exc:
            raise FetchError(f"could not connect: {exc or 'connection failed'}") from None
        except httpx.TooManyRedirects:
            raise FetchError("too many redirects") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            raise FetchError("not a valid web address") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"the download failed: {exc or type(exc).__name__}") from None

    async def _download(self, url: str, sitemap_allowed: bool) -> _Fetched:
        async with self.client.stream("GET", url, timeout=self.page_timeout, follow_redirects=True,
                                      headers={"Accept": _ACCEPT}) as response:
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code}")
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if not sitemap_allowed and content_type and content_type not in _HTML_TYPES:
                raise FetchError(f"not an HTML page (the server sends {content_type})")
            xml = content_type in _XML_TYPES or urlsplit(url).path.lower().endswith(".xml")
            limit = MAX_SITEMAP_BYTES if sitemap_allowed and xml else MAX_DOCUMENT_BYTES
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise FetchError(f"the page is {int(declared):,} bytes; the limit is {limit:,}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    raise FetchError(f"the page is larger than the limit of {limit:,} bytes")
            return _Fetched(content_type, response.charset_encoding, bytes(body))


def _page(url: str, lastmod: str | None, fetched: _Fetched) -> LoadResult:
    if not fetched.is_html:
        raise FetchError(f"not an HTML page (the server sends {fetched.content_type})")
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    draft = parse_html(fetched.body, humanize(name) or urlsplit(url).netloc, charset=fetched.charset)
    return LoadResult([draft.to_document(url_doc_id(url), url, url=url, updated=lastmod)])


def _skip(source: str, reason: str) -> LoadResult:
    log.warning("skipped %s: %s", source, reason)
    return LoadResult(skipped=[(source, reason)])
