"""`frontline kb ...` run as a user would, against its own data folder and a local web server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.server import PROJECT_ROOT


def frontline(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FRONTLINE_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "app.cli.main", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """A small help-center website on 127.0.0.1 with a sitemap."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "returns.html").write_text(
        "<html><head><title>Returns | Acme</title></head><body><nav>Home Shop Blog</nav><main>"
        "<h1>Returning a product</h1><p>You can return any product within 30 days of delivery."
        " Print the prepaid label from your order page and drop the parcel at any post office.</p>"
        "</main><footer>© Acme</footer></body></html>")
    server = ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: SimpleHTTPRequestHandler(*a, directory=str(root)))
    url = f"http://127.0.0.1:{server.server_address[1]}"
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{url}/returns.html</loc><lastmod>2026-10-01</lastmod></url>"
        f"<url><loc>{url}/missing.html</loc></url></urlset>")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()


def test_ingest_search_list_delete(tmp_path, site):
    data = tmp_path / "data"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "invoices.md").write_text("---\ntitle: Download invoices\n---\n## Steps\n\n"
                                      "Open Billing, then Invoices, and choose Download PDF.\n")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (docs / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")

    first = frontline(data, "kb", "ingest", str(docs), f"{site}/sitemap.xml", "--tenant", "demo")
    assert first.returncode == 0, first.stderr
    assert "added 2, updated 0, unchanged 0, removed 0, skipped 3" in first.stdout, first.stdout
    assert "not a readable PDF" in first.stdout and "unsupported file type .png" in first.stdout
    assert "missing.html: HTTP 404" in first.stdout

    again = frontline(data, "kb", "ingest", str(docs), "--tenant", "demo")
    assert "added 0, updated 0, unchanged 1, removed 0" in again.stdout, again.stdout

    found = frontline(data, "kb", "search", "how long do I have to send something back?",
                      "--tenant", "demo", "--limit", "3", "--json")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert hits[0]["source"] == f"{site}/returns.html" and hits[0]["title"] == "Returning a product"
    assert {"source", "title", "score", "text"} <= set(hits[0]) and "30 days" in hits[0]["text"]
    assert "Home Shop Blog" not in hits[0]["text"]  # navigation is not content

    listed = frontline(data, "kb", "list", "--tenant", "demo", "--json")
    assert {row["title"] for row in json.loads(listed.stdout)} == {"Download invoices", "Returning a product"}

    # a source that disappeared is removed on the next ingest of its origin
    (docs / "invoices.md").unlink()
    (docs / "refunds.md").write_text("# Refunds\n\nRefunds take five business days.\n")
    changed = frontline(data, "kb", "ingest", str(docs), "--tenant", "demo")
    assert "added 1, updated 0, unchanged 0, removed 1" in changed.stdout, changed.stdout

    deleted = frontline(data, "kb", "delete", f"{site}/returns.html", "--tenant", "demo")
    assert deleted.returncode == 0 and "removed" in deleted.stdout
    gone = frontline(data, "kb", "delete", f"{site}/returns.html", "--tenant", "demo")
    assert gone.returncode == 1 and "Nothing in demo's knowledge base" in gone.stderr


def test_unreachable_or_missing_sources_change_nothing(tmp_path, site):
    data = tmp_path / "data"
    ok = frontline(data, "kb", "ingest", f"{site}/sitemap.xml", "--tenant", "demo")
    assert "added 1" in ok.stdout, ok.stdout
    server_gone = frontline(data, "kb", "ingest", "http://127.0.0.1:9/sitemap.xml", "--tenant", "demo")
    assert server_gone.returncode == 0 and "could not connect" in server_gone.stdout, server_gone.stdout
    missing = frontline(data, "kb", "ingest", str(tmp_path / "nope"), "--tenant", "demo")
    assert "no such file or folder" in missing.stdout
    listed = json.loads(frontline(data, "kb", "list", "--tenant", "demo", "--json").stdout)
    assert [row["title"] for row in listed] == ["Returning a product"]


def test_cli_errors_are_plain_sentences(tmp_path):
    unknown = frontline(tmp_path / "data", "kb", "list", "--tenant", "nobody")
    assert unknown.returncode == 1 and "No tenant 'nobody' is configured" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bad_limit = frontline(tmp_path / "data", "kb", "search", "x", "--tenant", "demo", "--limit", "0")
    # a question kb search cannot take is bad input, like a malformed option: exit status 2
    assert bad_limit.returncode == 2 and "--limit must be between 1 and 100" in bad_limit.stderr


def test_an_operators_json_export_keeps_its_ids_and_reports_progress_in_a_log(tmp_path):
    data, export = tmp_path / "data", tmp_path / "export.json"
    export.write_text(json.dumps([
        {"id": f"doc_bank_accounts_(general)_{n:03}", "title": f"Account question {n}",
         "content": f"Answer number {n}: open the app, choose Accounts and follow the steps shown there."}
        for n in range(1, 8)]))
    first = frontline(data, "kb", "ingest", str(export), "--tenant", "demo")  # stderr is a pipe, not a terminal
    assert first.returncode == 0 and "added 7" in first.stdout, first.stdout + first.stderr
    lines = first.stderr.splitlines()
    assert f"loading {export}" in lines and f"loaded 7 documents from {export} (0 skipped)" in lines
    assert any(line.startswith("indexed 7 documents in ") and line.endswith("docs/s") for line in lines), lines
    assert "\r" not in first.stderr  # no redrawn bar in a log

    listed = json.loads(frontline(data, "kb", "list", "--tenant", "demo", "--json").stdout)
    assert [row["doc_id"] for row in listed] == [f"doc_bank_accounts_(general)_{n:03}" for n in range(1, 8)]
    assert listed[0]["url"] == "/kb/demo/doc_bank_accounts_%28general%29_001"
    again = frontline(data, "kb", "ingest", str(export), "--tenant", "demo")
    assert "added 0, updated 0, unchanged 7" in again.stdout, again.stdout  # the fingerprints match
    deleted = frontline(data, "kb", "delete", "doc_bank_accounts_(general)_003", "--tenant", "demo")
    assert deleted.returncode == 0 and "removed" in deleted.stdout, deleted.stderr
    remaining = json.loads(frontline(data, "kb", "list", "--tenant", "demo", "--json").stdout)
    assert len(remaining) == 6
