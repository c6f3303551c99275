"""Grounded replies: answers built from the help center and the company's systems, no LLM.

Quotes are whole sentences from one section, cut to a readable length, always followed by
the article they came from.
"""

from __future__ import annotations

import logging
import re

from app.core.domain import Citation
from app.core.i18n import say, status_name
from connectors.base import Order
from guardrails.injection import detect_document_injection
from knowledge.index import Hit

log = logging.getLogger(__name__)

MAX_QUOTE_CHARS = 900
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def quote(text: str, limit: int = MAX_QUOTE_CHARS) -> str:
    """The section's text cut at a paragraph or sentence boundary, as a Markdown quote."""
    if len(text) > limit:
        cut = text[:limit]
        boundary = max(cut.rfind("\n\n"), max((m.end() for m in _SENTENCE_END.finditer(cut)), default=-1))
        text = (cut[:boundary] if boundary > limit // 3 else cut).rstrip() + " …"
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


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


def kb_answer(hits: list[Hit], lang: str) -> tuple[str, tuple[Citation, ...]]:
    best = hits[0]
    label = best.title + (f" — {best.heading}" if best.heading else "")
    citations = [Citation(best.title, best.url, best.heading)]
    lines = [say("kb.intro", lang), "", quote(best.text), "",
             f"{say('kb.source', lang)}: [{label}]({best.url})"]
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
