"""Knowledge loaders for URLs and sitemaps, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from knowledge.loaders import LoadResult, load_sources, load_url


def reasons(result: LoadResult) -> dict[str, str]:
    return {Path(source).name: reason for source, reason in result.skipped}


# --- URLs and sitemaps, from a real local server --------------------------------------


class Site:
    """What the local server serves, and what it saw."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0
        self.base = ""

    def html(self, path: str, html: str, status: int = 200, content_type: str = "text/html; charset=utf-8") -> str:
        self.pages[path] = (status, content_type, html.encode())
        return self.base + path


def page(title: str, text: str) -> str:
    return (f"<html><head><title>{title} | Help</title></head><body><nav>Menu</nav>"
            f"<main><h1>{title}</h1><p>{text}</p></main><footer>Footer</footer></body></html>")


def make_handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            counted = self.path.startswith("/counted/")
            with site.lock:
                site.in_flight += counted
                site.most_in_flight = max(site.most_in_flight, site.in_flight)
            try:
                self.respond()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the loader stopped reading, as it should past a limit or a timeout
            finally:
                with site.lock:
                    site.in_flight -= counted

        def respond(self) -> None:
            if self.path == "/slow":
                site.release.wait(5)
            elif self.path.startswith("/counted/"):
                time.sleep(0.1)
            elif self.path in ("/huge", "/huge-declared"):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                if self.path == "/huge-declared":
                    self.send_header("Content-Length", str(3_000_000))
                self.end_headers()
                for _ in range(50):
                    self.wfile.write(b"<p>" + b"x" * 65_536 + b"</p>")
                return
            status, content_type, body = site.pages.get(self.path, (404, "text/html", b"<h1>Not found</h1>"))
            if self.path.startswith("/counted/") or self.path == "/slow":
                status, content_type, body = 200, "text/html", page("Counted", "Text of a counted page.").encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield site
    site.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as opened:
        yield opened


def host_id(site: Site) -> str:
    return site.base.removeprefix("http://").replace(":", "-")


def urlset(*entries: tuple[str, str | None]) -> str:
    urls = "".join(f"<url><loc>{loc}</loc>{f'<lastmod>{mod}</lastmod>' if mod else ''}</url>" for loc, mod in entries)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


async def test_a_web_page_is_loaded_as_its_main_content(site, client):
    url = site.html("/articles/reset-password", page("Reset your password", "Choose Forgot password."))
    result = await load_url(url, client)
    [document] = result.documents
    assert result.skipped == []
    assert document.doc_id == f"{host_id(site)}/articles/reset-password"
    assert (document.url, document.source, document.title) == (url, url, "Reset your password")
    assert document.body == "Choose Forgot password."


async def test_a_sitemap_loads_its_pages_and_explains_every_page_it_could_not(site, client):
    base = site.base
    site.html("/docs/shipping.html", page("Shipping", "Standard shipping takes three days."))
    site.html("/docs/returns", page("Returns", "Returns are free within 30 days."))
    site.html("/docs/empty", "<html><body><nav>Only navigation</nav></body></html>")
    site.html("/docs/manual.pdf", "%PDF-1.4", content_type="application/pdf")
    site.html("/docs/gone", "<h1>Gone</h1>", status=410)
    site.pages["/sitemap.xml"] = (200, "application/xml", urlset(
        (f"{base}/docs/shipping.html", "2026-05-01"), (f"{base}/docs/returns", None),
        (f"{base}/docs/missing", None), (f"{base}/docs/gone", None), (f"{base}/docs/empty", None),
        (f"{base}/docs/manual.pdf", None), (f"{base}/slow", None), (f"{base}/huge", None),
        (f"{base}/huge-declared", None), ("https://elsewhere.example/page", None),
    ).encode())
    result = await load_url(f"{base}/sitemap.xml", client, page_timeout=0.5)
    assert [(d.doc_id, d.title, d.updated, d.body) for d in result.documents] == [
        (f"{host_id(site)}/docs/shipping", "Shipping", "2026-05-01", "Standard shipping takes three days."),
        (f"{host_id(site)}/docs/returns", "Returns", None, "Returns are free within 30 days."),
    ]
    assert {source.removeprefix(base): reason for source, reason in result.skipped} == {
        "https://elsewhere.example/page": "not on the sitemap's host (127.0.0.1:" + base.rsplit(":", 1)[1]
                                          + "), so not fetched",
        "/docs/missing": "HTTP 404",
        "/docs/gone": "HTTP 410",
        "/docs/empty": "the page has no main content",
        "/docs/manual.pdf": "not an HTML page (the server sends application/pdf)",
        "/slow": "timed out after 0.5 s",
        "/huge": "the page is larger than the limit of 2,000,000 bytes",
        "/huge-declared": "the page is 3,000,000 bytes; the limit is 2,000,000",
    }


async def test_a_sitemap_index_is_followed_and_max_pages_bounds_the_load(site, client):
    base = site.base
    for n in range(5):
        site.html(f"/kb/{n}", page(f"Article {n}", f"Text of article number {n} in the knowledge base."))
    site.pages["/kb-a.xml"] = (200, "text/xml", urlset(*[(f"{base}/kb/{n}", None) for n in range(3)]).encode())
    site.pages["/kb-b"] = (200, "application/xml", urlset(*[(f"{base}/kb/{n}", None) for n in range(2, 5)]).encode())
    site.pages["/index.xml"] = (200, "application/xml", (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/kb-a.xml</loc></sitemap><sitemap><loc>{base}/kb-b</loc></sitemap>"
        f"<sitemap><loc>{base}/no-such-sitemap.xml</loc></sitemap><sitemap><loc>{base}/index.xml</loc></sitemap>"
        "</sitemapindex>").encode())
    full = await load_url(f"{base}/index.xml", client)
    assert [d.title for d in full.documents] == [f"Article {n}" for n in range(5)]
    assert full.skipped == [(f"{base}/no-such-sitemap.xml", "HTTP 404")]
    bounded = await load_url(f"{base}/index.xml", client, max_pages=2)
    assert [d.title for d in bounded.documents] == ["Article 0", "Article 1"]
    assert (f"{base}/index.xml", "the sitemap lists 5 pages; only the first 2 were loaded") in bounded.skipped


async def test_no_more_than_four_pages_are_fetched_at_once(site, client):
    site.pages["/many.xml"] = (200, "application/xml",
                               urlset(*[(f"{site.base}/counted/{n}", None) for n in range(12)]).encode())
    site.most_in_flight = 0
    result = await load_url(f"{site.base}/many.xml", client)
    assert len(result.documents) == 12 and result.skipped == []
    assert 1 < site.most_in_flight <= 4


async def test_the_page_charset_from_http_is_honoured(site, client):
    site.pages["/fr"] = (200, "text/html; charset=iso-8859-1", (
        "<html><body><main><h1>Crème</h1><p>La crème brûlée est un dessert français.</p></main></body></html>"
    ).encode("latin-1"))
    [document] = (await load_url(f"{site.base}/fr", client)).documents
    assert document.title == "Crème" and document.body == "La crème brûlée est un dessert français."


async def test_an_unreachable_host_or_a_bad_address_is_a_reason(client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/help"
    [(source, reason)] = (await load_url(closed, client)).skipped
    assert source == closed and reason.startswith("could not connect: ")
    assert (await load_url("ftp://example.com/help", client)).skipped == [
        ("ftp://example.com/help", "not a web address (it must start with http:// or https://)")]


async def test_load_sources_mixes_folders_and_urls_and_keeps_ids_unique(site, tmp_path):
    (tmp_path / "hc").mkdir()
    (tmp_path / "hc" / "returns.md").write_text("# Returns\n\nFree within 30 days.\n")
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "returns.txt").write_text("Returns again\n\nA second file with the same id.\n")
    url = site.html("/guide", page("Guide", "The online guide."))
    result = await load_sources([str(tmp_path / "hc"), url, str(tmp_path / "more"), str(tmp_path / "missing")])
    assert [d.doc_id for d in result.documents] == ["returns", f"{host_id(site)}/guide"]
    assert result.skipped == [
        (str(tmp_path / "more" / "returns.txt"), f"{tmp_path / 'hc' / 'returns.md'} already has the id 'returns'"),
        (str(tmp_path / "missing"), "no such file or folder"),
    ]
