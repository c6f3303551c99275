"""The verified customer's own details, redacted wherever they appear.

Patterns cannot tell a name from any other word, but the connector knows who the customer
is: their name, e-mail address, shipping addresses and phone numbers. `KnownPii` holds those
values for one turn and finds them in any text bound for the LLM provider, however they are
typed:

- names and addresses ignore case, accents and spacing/punctuation between words ("maya
  THOMPSON", "Lucia Fernandez", "calle de toledo 88 madrid"); each part of a name counts
  alone too ("Maya"), except parts that are also common words ("Will", "Rose": language
  data), which count alone only when written with a capital;
- an address counts whole and by its street line ("Calle de Toledo 88");
- phones match by their digits, whatever the grouping, with or without the country code
  ("+34 612 345 678" = "612345678" = "0034 612-34-56-78");
- e-mail addresses match in any case.

Found values become "[NAME]", "[ADDRESS]", "[PHONE]" and "[EMAIL]" through `guardrails.pii`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from app.core.errors import ConnectorError
from connectors.base import Connector, Customer, Order
from guardrails.pii_names import name_patterns

log = logging.getLogger(__name__)

MIN_PART_LETTERS = 3  # "Jo", "Li", initials: too short to redact on their own
MIN_PHONE_DIGITS = 7
_PHONE_RUN = re.compile(r"(?<![\w+(])(?:\+|\(\+?)?\d[\d \t().\-/]{5,}\d(?!\w)")


def fold(text: str) -> tuple[str, list[int]]:
    """`text` without accents, case-folded, and for each folded character its index in `text`."""
    folded: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)).casefold()
        folded.append(plain)
        where.extend([index] * len(plain))
    return "".join(folded), where


def _words_pattern(value: str) -> str | None:
    words = re.findall(r"[^\W_]+", fold(value)[0])
    return r"(?<![^\W_])" + r"[\W_]*".join(re.escape(w) for w in words) + r"(?![^\W_])" if words else None


def _digits(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return digits[2:] if value.strip().startswith("00") else digits


@dataclass(frozen=True)
class KnownPii:
    """One customer's values; `spans(text)` finds them as (kind, start, end)."""

    names: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    @classmethod
    def of(cls, customer: Customer | None, orders: Iterable[Order] = (), *, phones: Iterable[str] = (),
           addresses: Iterable[str] = ()) -> KnownPii:
        """What the connector returned about the customer: name, e-mail, shipping addresses."""
        shipping = [o.shipping_address for o in orders if o.shipping_address]
        return cls(names=(customer.name,) if customer and customer.name else (),
                   addresses=tuple(dict.fromkeys([*shipping, *addresses])),
                   phones=tuple(phones), emails=(customer.email,) if customer and customer.email else ())

    def __bool__(self) -> bool:
        return bool(self.names or self.addresses or self.phones or self.emails)

    def spans(self, text: str) -> Iterator[tuple[str, int, int]]:
        if not self or not text:
            return
        folded, where = fold(text)
        for kind, pattern, needs_capital in self._patterns():
            for match in pattern.finditer(folded):
                start, end = where[match.start()], where[match.end() - 1] + 1
                if needs_capital and not text[start].isupper():
                    continue
                yield kind, start, end
        yield from self._phone_spans(text)

    def _patterns(self) -> Iterator[tuple[str, re.Pattern[str], bool]]:
        for email in self.emails:
            yield "EMAIL", re.compile(r"(?<![\w.+-])" + re.escape(fold(email)[0]) + r"(?![\w-])"), False
        for address in self.addresses:
            for part in dict.fromkeys([address, address.split(",")[0]]):
                if (pattern := _words_pattern(part)) and re.search(r"\d", part):
                    yield "ADDRESS", re.compile(pattern), False
        also_words = name_patterns().also_words
        for name in self.names:
            if pattern := _words_pattern(name):
                yield "NAME", re.compile(pattern), False
            for part in re.findall(r"[^\W\d_]+", name):
                if len(part) >= MIN_PART_LETTERS and (pattern := _words_pattern(part)):
                    yield "NAME", re.compile(pattern), also_words.fullmatch(part) is not None

    def _phone_spans(self, text: str) -> Iterator[tuple[str, int, int]]:
        known = [d for d in (_digits(p) for p in self.phones) if len(d) >= MIN_PHONE_DIGITS]
        if not known:
            return
        for match in _PHONE_RUN.finditer(text):
            digits = _digits(match.group())
            if len(digits) >= MIN_PHONE_DIGITS and any(_same_number(digits, k) for k in known):
                yield "PHONE", match.start(), match.end()


def _same_number(typed: str, known: str) -> bool:
    """The same line: equal digits, or one is the other without its country code or trunk 0."""
    if typed == known:
        return True
    short, long = sorted((typed.lstrip("0"), known.lstrip("0")), key=len)
    return len(short) >= MIN_PHONE_DIGITS and long.endswith(short) and len(long) - len(short) <= 3


async def known_pii(connector: Connector | None, customer_id: str | None, *,
                    customer: Customer | None = None) -> KnownPii:
    """The verified customer's values from the connector; nothing for a guest or without one.
    `customer` is the record this turn already read (triage reads it for the priority): given,
    only the orders are read."""
    if connector is None or customer_id is None:
        return KnownPii()
    try:
        if customer is None or customer.id != customer_id:
            customer = await connector.customer(customer_id)
        orders = await connector.orders(customer_id) if customer is not None else []
    except ConnectorError as exc:  # the patterns still redact; the turn goes on
        log.warning("the customer's details could not be read for redaction: %s", exc)
        return KnownPii()
    return KnownPii.of(customer, orders)
