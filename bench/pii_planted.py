"""The connector-known case: a demo customer's own values planted into the PII data set's sentences.

A name with no greeting or signature around it is out of reach of patterns, but in LLM mode
the connector knows the verified customer. This measures how well `KnownPii` finds those
values when the customer types them differently from the record: for every held-out
sentence with a PERSON, STREET_ADDRESS or PHONE_NUMBER gold span, the spans are replaced by
the values of one demo customer (demo/crm.json: name, shipping address; the demo CRM holds
no phone numbers, so each customer gets a made-up number in its country's format), written
in one of several ways (as recorded, lower case, without accents, upper case, first or last
name only, street line only, phone regrouped with or without its country code). Recall is
the share of planted values redacted with the customer's record given to `find_pii`, and
without it (patterns alone) for comparison; false positives are NAME/ADDRESS/PHONE spans
that touch no planted value and no gold span of any type.
"""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path
from typing import Any

from guardrails.pii import KnownPii, find_pii

CRM = Path(__file__).resolve().parents[1] / "demo" / "crm.json"
PLANTED_TYPES = {"PERSON": "NAME", "STREET_ADDRESS": "ADDRESS", "PHONE_NUMBER": "PHONE"}
PHONES = {"US": "+1 415 555 {n:04}", "ES": "+34 612 345 {n:03}", "DE": "+49 171 555 {n:04}",
          "FR": "+33 6 12 34 {n:02} 78", "GB": "+44 7700 900{n:03}", "AT": "+43 664 555 {n:04}",
          "MX": "+52 55 5555 {n:04}"}


def _unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def customers() -> list[dict[str, Any]]:
    """Each demo customer with a shipping address: name, e-mail, address and a made-up phone."""
    data = json.loads(CRM.read_text(encoding="utf-8"))
    addresses: dict[str, str] = {}
    for order in data["orders"]:
        if order.get("shipping_address"):
            addresses.setdefault(order["customer_id"], order["shipping_address"])
    found = []
    for number, customer in enumerate(data["customers"]):
        if customer["id"] in addresses:
            country = customer.get("country") or "US"
            phone = PHONES.get(country, PHONES["US"]).format(n=number + 10)
            found.append({**customer, "address": addresses[customer["id"]], "phone": phone})
    return found


def _written(kind: str, value: str, rng: random.Random) -> str:
    """`value` as a customer might type it."""
    if kind == "NAME":
        parts = value.split()
        return rng.choice([value, value.lower(), _unaccented(value), value.upper(), parts[0], parts[-1]])
    if kind == "ADDRESS":
        return rng.choice([value, value.lower(), _unaccented(value), value.split(",")[0]])
    digits = "".join(ch for ch in value if ch.isdigit())
    code = len(digits) - 9 if len(digits) > 9 else 1
    national = digits[code:]
    return rng.choice([value, "+" + digits, "00" + digits, "0" + national,
                       " ".join([national[:3], national[3:6], national[6:]]), "-".join([national[:3], national[3:]])])


def planted_figures(rows: list[dict[str, Any]], seed: int = 16) -> dict[str, Any]:
    """Recall of planted customer values with and without the record, and false positives."""
    rng = random.Random(seed)
    people = customers()
    counts = {kind: {"planted": 0, "with_record": 0, "patterns_only": 0} for kind in PLANTED_TYPES.values()}
    sentences = false_positives = 0
    examples: list[str] = []
    missed: list[str] = []
    for index, row in enumerate(rows):
        gold = sorted(row["spans"], key=lambda s: s["start_position"])
        if not any(s["entity_type"] in PLANTED_TYPES for s in gold):
            continue
        person = people[index % len(people)]
        values = {"NAME": person["name"], "ADDRESS": person["address"], "PHONE": person["phone"]}
        original, text, last = row["full_text"], "", 0
        planted: list[tuple[str, int, int]] = []
        others: list[tuple[int, int]] = []  # gold spans of other types, where they are now
        for span in gold:
            start, end = span["start_position"], span["end_position"]
            if start < last:
                continue  # overlapping gold spans: keep the first
            text += original[last:start]
            kind = PLANTED_TYPES.get(span["entity_type"])
            value = _written(kind, values[kind], rng) if kind else original[start:end]
            (planted.append((kind, len(text), len(text) + len(value))) if kind
             else others.append((len(text), len(text) + len(value))))
            text += value
            last = end
        text += original[last:]
        known = KnownPii(names=(person["name"],), addresses=(person["address"],), phones=(person["phone"],),
                         emails=(person["email"],))
        with_record, patterns_only = find_pii(text, known), find_pii(text)
        sentences += 1
        for kind, start, end in planted:
            counts[kind]["planted"] += 1
            hit = any(s.kind == kind and s.start < end and s.end > start for s in with_record)
            counts[kind]["with_record"] += hit
            if not hit and len(missed) < 5:
                missed.append(f"{kind} {text[start:end]!r} ({values[kind]!r}) in {text[max(0, start - 30):end + 10]!r}")
            counts[kind]["patterns_only"] += any(s.kind == kind and s.start < end and s.end > start
                                                 for s in patterns_only)
        for span in with_record:
            if span.kind in PLANTED_TYPES.values() and not any(
                    span.start < end and span.end > start for _, start, end in planted) and not any(
                    span.start < end and span.end > start for start, end in others):
                false_positives += 1
                if len(examples) < 5:
                    examples.append(f"{span.kind} {span.text!r} in {text[:90]!r}")
    return {"sentences": sentences, "customers": len(people), "kinds": counts,
            "false_positives": false_positives, "false_positive_examples": examples, "missed_examples": missed}
