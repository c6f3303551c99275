"""Sitemaps: the pages a help center publishes, and when each one last changed.

A `<urlset>` lists pages (`<loc>`, optional `<lastmod>`); a `<sitemapindex>` lists further
sitemaps. Parsed with the standard library: its expat refuses entity-expansion bombs and
never fetches external entities, and the caller bounds the size before parsing.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from knowledge.documents import DocumentError

_ROOT = re.compile(rb"<(?:\w+:)?(urlset|sitemapindex)[\s>]")


@dataclass
class Sitemap:
    pages: list[tuple[str, str | None]] = field(default_factory=list)  # (address, lastmod)
    sitemaps: list[str] = field(default_factory=list)  # nested sitemaps, from an index


def looks_like_sitemap(body: bytes) -> bool:
    return bool(_ROOT.search(body[:4096]))


def parse_sitemap(body: bytes) -> Sitemap | None:
    """The sitemap's entries, or None when the XML is something else (a feed, say)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        line, column = exc.position
        raise DocumentError(f"the sitemap is not well-formed XML (line {line}, column {column})") from None
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        return None
    sitemap = Sitemap()
    for entry in root:
        fields = {_local(child.tag): (child.text or "").strip() for child in entry}
        if not fields.get("loc"):
            continue
        if kind == "urlset" and _local(entry.tag) == "url":
            sitemap.pages.append((fields["loc"], fields.get("lastmod") or None))
        elif kind == "sitemapindex" and _local(entry.tag) == "sitemap":
            sitemap.sitemaps.append(fields["loc"])
    return sitemap


def _local(tag: str) -> str:
    """`{http://www.sitemaps.org/schemas/sitemap/0.9}url` → `url`."""
    return tag.rsplit("}", 1)[-1]
