"""Web pages and HTML exports: the article in the page, without the site around it.

Help-center pages carry a lot besides the article: navigation, headers and footers,
search forms, cookie banners, "related articles". Only the main content is kept, so
answers quote the article and nothing else. The main content is `<main>`,
`[role=main]` or the longest `<article>` when the page marks one; otherwise the element
that directly holds the most text, after the usual boilerplate is removed. Content hidden
by CSS is kept on purpose: collapsed FAQ answers and accordions are content.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from knowledge.documents import DocumentError
from knowledge.loaders.base import Draft
from knowledge.loaders.encoding import decode_html
from knowledge.loaders.render import inline_text, render_blocks

NO_MAIN_CONTENT = "the page has no main content"
_NEVER_CONTENT = ["script", "style", "noscript", "template", "svg", "canvas", "iframe", "object",
                  "embed", "link", "meta", "head", "button", "input", "select", "textarea"]
_BOILERPLATE_TAGS = {"nav", "aside", "footer", "form", "dialog", "menu"}
_BOILERPLATE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog",
                      "alertdialog", "menu", "menubar"}
_BOILERPLATE_WORDS = {"cookie", "cookies", "consent", "gdpr", "breadcrumb", "breadcrumbs", "sidebar",
                      "newsletter", "share", "social", "advert", "advertisement", "popup", "modal",
                      "skip", "skiplink", "toc", "related", "feedback", "banner", "navbar", "menu"}
_CONTAINERS = ["div", "section", "td", "body", "article", "main"]
_TEXT_BLOCKS = {"p", "ul", "ol", "dl", "pre", "blockquote", "table", "h1", "h2", "h3", "h4", "h5", "h6"}


def parse_html(raw: bytes, fallback_title: str, *, charset: str | None = None) -> Draft:
    """A page as a draft; `charset` is the one an HTTP response declared, if any."""
    soup = BeautifulSoup(decode_html(raw, charset), "html.parser")
    page_title = _text(soup.title)
    language = _attr(soup.find("html"), "lang")
    updated = _meta(soup, "article:modified_time") or _meta(soup, "last-modified")
    canonical = _attr(soup.find("link", rel="canonical"), "href")
    _drop(soup.find_all(_NEVER_CONTENT))
    root = _marked_main(soup)
    _remove_boilerplate(soup, keep=root)
    root = root or _largest_text_block(soup)
    title = page_title or fallback_title
    if root is not None and (h1 := root.find("h1")) is not None and inline_text(h1):
        title = inline_text(h1)  # the article's own heading beats "Title | Site name"
        h1.decompose()
    try:
        body = "\n\n".join(render_blocks(root)) if root is not None else ""
    except RecursionError:
        raise DocumentError("the page's elements are nested too deeply to read") from None
    return Draft(title=title, body=body, language=language, updated=updated,
                 url=canonical if canonical and canonical.startswith(("http://", "https://")) else None,
                 empty_reason=NO_MAIN_CONTENT)


def html_fragment_text(fragment: str) -> str:
    """An HTML fragment stored inside another format (a JSON "html" field) as Markdown-like text.

    The whole fragment is the article, so nothing is judged boilerplate; scripts, styles and
    form controls are still dropped.
    """
    soup = BeautifulSoup(f"<body>{fragment}</body>", "html.parser")
    _drop(soup.find_all(_NEVER_CONTENT))
    root = soup.find("body")
    try:
        return "\n\n".join(render_blocks(root)) if isinstance(root, Tag) else ""
    except RecursionError:
        raise DocumentError("the HTML is nested too deeply to read") from None


def _marked_main(soup: BeautifulSoup) -> Tag | None:
    """The element the page itself says is the main content, if it says so."""
    found = soup.find("main") or soup.find(True, attrs={"role": "main"})
    if isinstance(found, Tag):
        return found
    articles = soup.find_all("article")
    return max(articles, key=lambda a: len(a.get_text(" ", strip=True))) if articles else None


def _remove_boilerplate(soup: BeautifulSoup, keep: Tag | None) -> None:
    """Drop navigation, footers, banners...; a `<header>` inside the main content is kept."""
    protected = {id(keep), *(id(parent) for parent in keep.parents)} if keep is not None else set()
    _drop([tag for tag in soup.find_all(True) if id(tag) not in protected and _is_boilerplate(tag, keep)])


def _is_boilerplate(tag: Tag, main: Tag | None) -> bool:
    """By tag or ARIA role; by a class or id word (`cookie-banner`) unless it holds the h1."""
    if tag.name in ("html", "body", "main", "article"):
        return False
    if tag.name in _BOILERPLATE_TAGS or _attr(tag, "role") in _BOILERPLATE_ROLES:
        return True
    if tag.name == "header":
        return main is None or main not in tag.parents
    words = " ".join([_attr(tag, "id") or "", *tag.get_attribute_list("class")]).lower()
    return bool(_BOILERPLATE_WORDS & set(re.split(r"[^a-z]+", words))) and tag.find("h1") is None


def _largest_text_block(soup: BeautifulSoup) -> Tag | None:
    """The container whose own paragraphs (not its descendants') hold the most text."""
    best, best_score = None, 0
    for tag in soup.find_all(_CONTAINERS):
        score = sum(_own_text_length(child) for child in tag.children)
        if score > best_score:
            best, best_score = tag, score
    return best


def _own_text_length(node: object) -> int:
    if isinstance(node, Tag):
        return len(node.get_text(" ", strip=True)) if node.name in _TEXT_BLOCKS else 0
    if isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
        return len(node.strip())
    return 0


def _drop(tags: list[Tag]) -> None:
    for tag in tags:
        if not tag.decomposed:  # already gone with an ancestor
            tag.decompose()


def _meta(soup: BeautifulSoup, name: str) -> str | None:
    tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
    return _attr(tag, "content")


def _attr(tag: object, name: str) -> str | None:
    if not isinstance(tag, Tag):
        return None
    value = tag.get(name)
    if isinstance(value, list):
        value = " ".join(value)
    return value.strip() or None if isinstance(value, str) else None


def _text(tag: object) -> str | None:
    return " ".join(tag.get_text(" ").split()) or None if isinstance(tag, Tag) else None
