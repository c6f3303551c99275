"""Grounded replies: answers built from the help center and the company's systems, no LLM.

A quote is the whole answering unit the search found (a section's text, or the steps, list
or table with the sentence introducing it), always followed by the article it came from. A
unit too long for the chat widget is cut between paragraphs or list items, never inside one,
and ends with a link to the rest in the article. A multi-part question gets one quote per part.
"""

from __future__ import annotations

import logging
import re

from app.core.domain import Citation
from app.core.i18n import say, status_name
from connectors.base import Order
from guardrails.injection import detect_document_injection
from knowledge.index import Hit
from knowledge.retrieval import hit_part

log = logging.getLogger(__name__)

MAX_QUOTE_CHARS = 1600  # a whole section of steps fits; the widget scrolls beyond ~25 lines
MAX_PART_QUOTE_CHARS = 1000  # per part, when one reply answers two questions
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_ITEM_START = re.compile(r"\n(?=\s{0,3}(?:[-*+•]|\d{1,3}[.)])\s+\S|\s*\|)")


def fit_for_widget(text: str, limit: int = MAX_QUOTE_CHARS) -> tuple[str, bool]:
    """(the text, whether it was cut): cut between paragraphs or list items, never inside a list
    item or table row; only prose with neither is cut at a sentence end."""
    text = text.strip()
    if len(text) <= limit:
        return text, False
    cut = text[:limit + 1]
    boundaries = [m.start() for m in re.finditer(r"\n\s*\n", cut)] + [m.start() for m in _ITEM_START.finditer(cut)]
    boundary = max((b for b in boundaries if b <= limit), default=-1)
    if boundary < limit // 3:  # one long paragraph: its last whole sentence that fits
        boundary = max((m.start() for m in _SENTENCE_END.finditer(cut) if m.start() <= limit), default=-1)
    if boundary < limit // 3:
        boundary = cut.rfind(" ", 0, limit)
    return text[:max(boundary, 1)].rstrip(), True


def quote(text: str, limit: int = MAX_QUOTE_CHARS) -> str:
    """The passage (cut to fit, see fit_for_widget) as a Markdown quote."""
    shown, cut = fit_for_widget(text, limit)
    if cut:
        shown += " …"
    return "\n".join(f"> {line}" if line.strip() else ">" for line in shown.splitlines())


def screened(hits: list[Hit]) -> tuple[list[Hit], list[str]]:
    """Passages safe to quote or show a model, and the ids of those that read as instructions
    to an AI (indirect prompt injection): those are never used, and the reason is logged. The
    title and headings are read too: they are shown as the source's name."""
    kept, dropped = [], []
    for hit in hits:
        finding = detect_document_injection(hit.text)
        if not finding.is_injection:
            finding = detect_document_injection(". ".join((hit.title, *hit.heading_path, hit.heading or "")))
        if finding.is_injection:
            log.warning("help-center passage %s (%s) not used: it reads as a prompt injection (%s)",
                        hit.point_id, hit.doc_id, ", ".join(finding.signals))
            dropped.append(hit.point_id)
        else:
            kept.append(hit)
    return kept, dropped


def _quoted(hit: Hit, lang: str, limit: int) -> list[str]:
    """The hit's passage as a quote, then its source; a cut passage links to the rest."""
    shown, cut = fit_for_widget(hit.text, limit)
    lines = ["\n".join(f"> {line}" if line.strip() else ">" for line in shown.splitlines())]
    if cut:
        lines += [">", f"> … [{say('kb.continued', lang)}]({hit.url})"]
    label = hit.title + (f" — {hit.heading}" if hit.heading else "")
    return [*lines, "", f"{say('kb.source', lang)}: [{label}]({hit.url})"]


def kb_answer(hits: list[Hit], lang: str) -> tuple[str, tuple[Citation, ...]]:
    """The best passage quoted whole; for a multi-part question, the best passage of each part."""
    best = hits[0]
    per_part: dict[int, Hit] = {}
    for hit in hits:
        per_part.setdefault(hit_part(hit), hit)
    if len(per_part) > 1:
        lines = [say("kb.intro", lang), ""]
        citations = []
        for part in sorted(per_part):
            hit = per_part[part]
            if part > 0:
                lines += ["", say("kb.next_part", lang, question=getattr(hit, "question", "")), ""]
            lines += _quoted(hit, lang, MAX_PART_QUOTE_CHARS)
            citations.append(Citation(hit.title, hit.url, hit.heading))
        return "\n".join(lines), tuple(citations)
    citations = [Citation(best.title, best.url, best.heading)]
    lines = [say("kb.intro", lang), "", *_quoted(best, lang, MAX_QUOTE_CHARS)]
    related = [h for h in hits[1:3] if h.doc_id != best.doc_id and h.similarity >= best.similarity - 0.08]
    if related:
        other = related[0]
        citations.append(Citation(other.title, other.url, other.heading))
        lines.append(f"{say('kb.related', lang)}: [{other.title}]({other.url})")
    return "\n".join(lines), tuple(citations)


def _item_name(name: str, sku: str) -> str:
    """An item's name as the customer reads it; one that reads as instructions (a planted
    "tell the reader to call ...") is shown by its SKU instead, and the reason logged."""
    if len(name) >= 12 and detect_document_injection(name).is_injection:
        log.warning("item %s: name not shown, it reads as a prompt injection", sku)
        return sku
    return name


def _describe(order: Order, lang: str) -> str:
    items = ", ".join(f"{i.quantity}× {_item_name(i.name, i.sku)}" for i in order.items) or "—"
    parts = [say("orders.line", lang, order=order.id, items=items, placed=order.placed_at[:10],
                 status=status_name(order.status, lang))]
    if order.carrier and order.tracking_number and order.status not in ("cancelled", "processing"):
        parts.append(say("orders.tracking", lang, carrier=order.carrier, tracking=order.tracking_number))
    if order.status == "delivered" and order.delivered_at:
        parts.append(say("orders.delivered_on", lang, date=order.delivered_at[:10]))
    elif order.estimated_delivery and order.status not in ("cancelled", "returned"):
        parts.append(say("orders.eta", lang, date=order.estimated_delivery))
    return " ".join(parts)


def order_status(orders: list[Order], lang: str, *, shown: int = 2) -> str:
    if not orders:
        return say("orders.none", lang)
    lines = [_describe(order, lang) for order in orders[:shown]]
    if len(orders) > shown:
        lines.append(say("orders.more", lang, count=len(orders) - shown))
    return "\n\n".join(lines)
