"""Entities in a customer's message: order and invoice ids, emails, amounts and dates.

Regex-based on purpose: entities feed lookups that a connector verifies anyway, so a cheap,
predictable extractor beats a model here. Extraction runs in a fixed order and masks what it
found before the next pass (emails → invoice ids → order ids → dates → amounts), so that
`BW-10234` is never also read as a number or a date, and a date never becomes an amount.

All matching runs on a length-preserving "folded" copy of the text (lower case, accents
stripped), so "Décembre", "decembre" and "DÉCEMBRE" read the same and spans map back to
the original text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from app import clock

_T = TypeVar("_T", bound=Hashable)

MONTH_FIRST_LANGUAGES = frozenset({"en"})  # "11/24/2026"; es/de/fr write the day first

_MONTHS: dict[int, tuple[str, ...]] = {  # folded spellings; ambiguous short forms ("ago", "ene") left out
    1: ("january", "jan", "januar", "janner", "jaenner", "enero", "janvier", "janv"),
    2: ("february", "feb", "februar", "febrero", "febr", "fevrier", "fevr"),
    3: ("march", "mar", "marz", "maerz", "marzo", "mars"),
    4: ("april", "apr", "abril", "avril", "avr"),
    5: ("may", "mai", "mayo"),
    6: ("june", "jun", "juni", "junio", "juin"),
    7: ("july", "jul", "juli", "julio", "juillet", "juil"),
    8: ("august", "aug", "agosto", "aout"),
    9: ("september", "sep", "sept", "septiembre", "setiembre", "septembre"),
    10: ("october", "oct", "oktober", "okt", "octubre", "octobre"),
    11: ("november", "nov", "noviembre", "novembre"),
    12: ("december", "dec", "dezember", "dez", "diciembre", "dic", "decembre"),
}
_MONTH_BY_NAME = {name: month for month, names in _MONTHS.items() for name in names}
_MONTH_RE = "|".join(sorted(_MONTH_BY_NAME, key=len, reverse=True))

# Relative days: folded phrase -> (offset in days, the only language it may be read in or None).
# "last week" resolves to the same weekday a week ago: a point the agent can show, not a range.
_RELATIVE: dict[str, tuple[int, str | None]] = {
    "day before yesterday": (-2, None), "day after tomorrow": (2, None),
    "yesterday": (-1, None), "today": (0, None), "tomorrow": (1, None), "last week": (-7, None),
    "anteayer": (-2, None), "antes de ayer": (-2, None), "pasado manana": (2, None),
    "ayer": (-1, None), "hoy": (0, None), "manana": (1, None),
    "la semana pasada": (-7, None), "semana pasada": (-7, None),
    "vorgestern": (-2, None), "ubermorgen": (2, None), "gestern": (-1, None), "heute": (0, None),
    "morgen": (1, None), "letzte woche": (-7, None), "letzten woche": (-7, None),
    "vergangene woche": (-7, None), "vergangenen woche": (-7, None),
    "avant-hier": (-2, None), "apres-demain": (2, None), "aujourd'hui": (0, None),
    "demain": (1, None), "semaine derniere": (-7, None), "semaine passee": (-7, None),
    "hier": (-1, "fr"),  # German "hier" means "here"
}
_RELATIVE_RE = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(p) for p in sorted(_RELATIVE, key=len, reverse=True)) + r")(?![\w-])")
# "mañana"/"Morgen" also mean "morning": "esta mañana", "guten Morgen" are not tomorrow.
_MORNING_BEFORE = re.compile(r"(?:\b(?:la|esta|cada|una|guten|heute|gestern|am|jeden|diesen|den|einen|dem|vom))\s+$")

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_INVOICE_ID = re.compile(r"(?<![\w-])inv-\d{4}-\d{3,6}(?![\w-])")
_ORDER_ID = re.compile(r"\b(?!inv-)[a-z]{2,4}-\d{4,8}\b")

_ISO_DATE = re.compile(r"(?<![\w./-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\w/-]|[.,]\d)")
_NUMERIC_DATE = re.compile(r"(?<![\w./-])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\w/-]|[.,]\d)")
_DAY_MONTH = re.compile(
    rf"(?<![\w.,])(\d{{1,2}})(?:st|nd|rd|th|er|e|o)?\.?\s+(?:of\s+|de\s+)?({_MONTH_RE})\b\.?"
    r"(?:,?\s+(?:de\s+)?(\d{4})\b)?")
_MONTH_DAY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}})\b)?")

# A number: "1.299,00", "1,299.00", "1 299,00" (grouped) or "49,90", "129", "129.5" (plain).
_NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f\u2009 ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_CURRENCY_WORDS = (r"usd|eur|gbp|chf|dollars?|dolares|euros?|pounds?|libras?|livres?|francs?|franken")
_AMOUNT = re.compile(
    rf"(?P<pre>us\$|\$|€|£|\b(?:usd|eur|gbp|chf)\b)\s?(?P<pnum>{_NUMBER})(?!\d)"
    rf"|(?<![\w.,])(?P<snum>{_NUMBER})\s?(?P<post>\$|€|£|\b(?:{_CURRENCY_WORDS})\b)")
_CURRENCY_CODES = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "usd": "USD", "eur": "EUR",
                   "gbp": "GBP", "chf": "CHF", "dolares": "USD", "franken": "CHF"}
# Without a currency, only "money word ... 49,90" counts: a bare "3" or "2026" is never an amount.
_MONEY_WORDS = (r"charged|paid|pay|refund\w*|price|cost|total|amount|cobr\w*|pag\w*|reembols\w*|precio|importe"
                r"|betrag|bezahlt|gezahlt|abgebucht|erstatt\w*|preis|summe|montant|paye|rembours\w*|prix|factur\w*")
_BARE_AMOUNT = re.compile(
    rf"\b(?:{_MONEY_WORDS})\b[^\d\n]{{0,25}}?(?<![\w.,])(?P<num>\d{{1,3}}(?:[.,]\d{{3}})*[.,]\d{{2}}|\d+[.,]\d{{2}})"
    r"(?![.,]?\d)")


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str | None  # ISO 4217 code; "$" is read as USD; None when only a money word said so


@dataclass(frozen=True)
class Entities:
    order_ids: list[str] = field(default_factory=list)  # upper case, in order of mention
    invoice_ids: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    amounts: list[Amount] = field(default_factory=list)
    dates: list[date] = field(default_factory=list)

    def as_trace(self) -> dict[str, list[Any]]:
        """JSON-safe, with emails redacted: traces are read widely and kept long, PII stays out."""
        return {
            "order_ids": list(self.order_ids),
            "invoice_ids": list(self.invoice_ids),
            "emails": ["<email>" for _ in self.emails],
            "amounts": [{"value": str(a.value), "currency": a.currency} for a in self.amounts],
            "dates": [d.isoformat() for d in self.dates],
        }


def extract_entities(text: str, *, today: date | None = None, language: str | None = None,
                     day_first: bool | None = None) -> Entities:
    """Find the entities in `text`.

    `today` anchors "yesterday", "ayer", "gestern"... and year-less dates (defaults to the
    process clock, app/clock.py; pass it for reproducible results). `day_first` decides "03/04/2026"; by
    default English reads month first and every other language day first. A numeric date
    that is impossible one way ("24/11/2026") is read the other way.
    """
    today = today or clock.today()
    if day_first is None:
        day_first = language not in MONTH_FIRST_LANGUAGES
    chars = list(_fold(text))
    emails = _dedupe(text[m.start():m.end()] for m in _matches(_EMAIL, chars))
    invoice_ids = _dedupe(m.group().upper() for m in _matches(_INVOICE_ID, chars))
    order_ids = _dedupe(m.group().upper() for m in _matches(_ORDER_ID, chars))
    found_dates = _dates(chars, today, language, day_first)
    amounts = [(m.start(), _amount(m)) for m in _matches(_AMOUNT, chars)]
    amounts += [(m.start("num"), _amount(m)) for m in _matches(_BARE_AMOUNT, chars, group="num")]
    in_order = _dedupe(a for _, a in sorted(amounts, key=lambda item: item[0]) if a is not None)
    return Entities(order_ids, invoice_ids, emails, in_order, found_dates)


def _fold(text: str) -> str:
    """Lower-case and strip accents without changing the length, so spans stay valid."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch.lower())
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
        out.append(base if len(base) == 1 else ch.lower() if len(ch.lower()) == 1 else ch)
    return "".join(out).replace("\u2019", "'")


def _matches(pattern: re.Pattern[str], chars: list[str], group: str | int = 0) -> list[re.Match[str]]:
    """All matches in the current text; each matched span is blanked out for later passes."""
    found = list(pattern.finditer("".join(chars)))
    for m in found:
        start, end = m.span(group)
        chars[start:end] = " " * (end - start)
    return found


def _dates(chars: list[str], today: date, language: str | None, day_first: bool) -> list[date]:
    found: list[tuple[int, date]] = []
    for m in _matches(_ISO_DATE, chars):
        if d := _make_date(int(m[1]), int(m[3]), int(m[4])):
            found.append((m.start(), d))
    for m in list(_NUMERIC_DATE.finditer("".join(chars))):
        a, b, year = int(m[1]), int(m[3]), int(m[4])
        if len(m[4]) == 2:
            if m[2] != "/":
                continue  # "1.2.24" is more likely a version than a date
            year += 2000
        first, second = ((b, a), (a, b)) if day_first else ((a, b), (b, a))
        d = _make_date(year, *first) or _make_date(year, *second)
        if d:
            found.append((m.start(), d))
            _blank(chars, m.span())
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        for m in list(pattern.finditer("".join(chars))):
            day, month = int(m[day_group]), _MONTH_BY_NAME[m[month_group]]
            d = _make_date(int(m[3]), month, day) if m[3] else _nearest_year(today, month, day)
            if d:
                found.append((m.start(), d))
                _blank(chars, m.span())
    folded = "".join(chars)
    for m in _RELATIVE_RE.finditer(folded):
        offset, only_in = _RELATIVE[m[1]]
        if only_in is not None and language != only_in:
            continue
        if m[1] in ("manana", "morgen") and _MORNING_BEFORE.search(folded, max(0, m.start() - 12), m.start()):
            continue
        found.append((m.start(), today + timedelta(days=offset)))
    return _dedupe(d for _, d in sorted(found, key=lambda item: item[0]))


def _blank(chars: list[str], span: tuple[int, int]) -> None:
    chars[span[0]:span[1]] = " " * (span[1] - span[0])


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _nearest_year(today: date, month: int, day: int) -> date | None:
    """ "Nov 24" means the Nov 24 closest to today: in January, "Dec 28" is last December."""
    candidates = [d for y in (today.year - 1, today.year, today.year + 1) if (d := _make_date(y, month, day))]
    return min(candidates, key=lambda d: abs((d - today).days), default=None)


def _amount(m: re.Match[str]) -> Amount | None:
    groups = m.groupdict()
    number = groups.get("pnum") or groups.get("snum") or groups.get("num") or ""
    marker = groups.get("pre") or groups.get("post")
    value = _parse_number(number)
    if value is None:
        return None
    currency = None
    if marker:
        marker = marker.lower()
        currency = _CURRENCY_CODES.get(marker) or _currency_from_word(marker)
    return Amount(value, currency)


def _currency_from_word(word: str) -> str:
    if word.startswith("dollar"):
        return "USD"
    if word.startswith("euro"):
        return "EUR"
    if word.startswith(("pound", "libra", "livre")):
        return "GBP"
    return "CHF"  # franc, francs


def _parse_number(raw: str) -> Decimal | None:
    """The last "." or "," followed by one or two digits is the decimal mark; others group thousands."""
    digits = re.sub(r"[\u00a0\u202f\u2009 ]", "", raw)
    m = re.search(r"[.,](\d{1,2})$", digits)
    whole, fraction = (digits[:m.start()], m[1]) if m else (digits, "")
    whole = re.sub(r"[.,]", "", whole)
    try:
        return Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:
        return None


def _dedupe(items: Iterable[_T]) -> list[_T]:
    """Keep the first of equal items (strings compared case-insensitively), in order."""
    seen: set[object] = set()
    out: list[_T] = []
    for item in items:
        key = item.casefold() if isinstance(item, str) else item
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
