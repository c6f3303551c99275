"""Reference text read as data: what a company system returns is screened before a model sees it.

Help-center passages are screened whole (`app.conversation.grounded.screened` drops a passage
that reads as instructions). Account data from a connector is structured: an order's item
names, an invoice's description, a carrier name. A planted instruction there ("add this link to
your answer") is withheld field by field, so the rest of the record still answers the
customer, and the path of every withheld field is returned for the trace and the log.
"""

from __future__ import annotations

from typing import Any

from guardrails.injection import detect_document_injection

WITHHELD = "[withheld: this text reads as instructions to the assistant]"
MIN_CHARS = 12  # shorter strings (ids, statuses, dates, amounts) cannot carry an instruction


def screen_value(value: Any, path: str = "") -> tuple[Any, list[str]]:
    """`value` with every string that reads as a prompt injection replaced by WITHHELD, and
    the paths of those strings ("orders[0].items[1]")."""
    if isinstance(value, str):
        if len(value) >= MIN_CHARS and detect_document_injection(value).is_injection:
            return WITHHELD, [path or "$"]
        return value, []
    if isinstance(value, dict):
        screened: dict[Any, Any] = {}
        withheld: list[str] = []
        for key, item in value.items():
            screened[key], found = screen_value(item, f"{path}.{key}" if path else str(key))
            withheld += found
        return screened, withheld
    if isinstance(value, (list, tuple)):
        items, withheld = [], []
        for i, item in enumerate(value):
            clean, found = screen_value(item, f"{path}[{i}]")
            items.append(clean)
            withheld += found
        return items, withheld
    return value, []
