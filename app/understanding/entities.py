"""Entities in a customer's message: order and invoice ids, emails, amounts and dates.

Regex-based on purpose: entities feed lookups that a connector verifies anyway, so a cheap,
predictable extractor beats a model here. Extraction runs in a fixed order and masks what it
found before the next pass (emails → invoice ids → order ids → dates → amounts), so that
`BW-10234` is never also read as a number or a date, and a date never becomes an amount.

All matching runs on a length-preserving "folded" copy of the text (lower case, accents
stripped), so "Décembre", "decembre" and "DÉCEMBRE" read the same and spans map back to
the original text. The words (months, relative days, currencies, money words) are language
data in `app/languages/<code>/entities.yaml`; every language's words are read in every
conversation, as customers mix languages in dates and amounts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr, field_validator

from app.core import clock
from app.core.alternation import arranged
from app.core.char_fold import CharFold
from app.core.language_data import RegexEntry, alternation, derived, register

_T = TypeVar("_T", bound=Hashable)


def _folded_phrase(entry: str) -> str:
    if not entry.strip() or _fold(entry) != entry:
        raise ValueError(f"{entry!r} must be written folded, as {_fold(entry)!r} (lower case, no accents)")
    return entry


def _folded_word(entry: str) -> str:
    if not re.fullmatch(r"[\w'-]+", _folded_phrase(entry)):
        raise ValueError(f"{entry!r} must be one word")
    return entry


def _currency_code(code: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(f"{code!r} is not an ISO 4217 currency code such as EUR")
    return code


class EntityWords(BaseModel):
    """`app/languages/<code>/entities.yaml`: how a language writes dates and money."""

    model_config = ConfigDict(extra="forbid")
    month_first: StrictBool = False  # "11/24/2026" is November 24 (English); otherwise day first
    months: dict[int, list[Annotated[StrictStr, AfterValidator(_folded_word)]]] = {}
    day_ordinals: list[RegexEntry] = []  # after the day before a month: "24th", "1er", "1o"
    month_day_ordinals: list[RegexEntry] = []  # after the day after a month: "November 24th"
    before_month: list[RegexEntry] = []  # "24 of November", "24 de noviembre"
    before_year: list[RegexEntry] = []  # "24 de noviembre de 2026"
    relative_days: dict[Annotated[StrictStr, AfterValidator(_folded_phrase)], StrictInt] = {}
    relative_days_in_this_language_only: dict[Annotated[StrictStr, AfterValidator(_folded_phrase)], StrictInt] = {}
    also_morning: list[Annotated[StrictStr, AfterValidator(_folded_word)]] = []  # "mañana", "Morgen"
    morning_before: list[RegexEntry] = []  # "esta mañana", "guten Morgen": not tomorrow
    currency_words: dict[Annotated[StrictStr, AfterValidator(_currency_code)], list[RegexEntry]] = {}
    money_words: list[RegexEntry] = []  # "charged ... 49,90": a number after one is an amount

    @field_validator("months")
    @classmethod
    def _twelve(cls, months: dict[int, list[str]]) -> dict[int, list[str]]:
        if wrong := sorted(set(months) - set(range(1, 13))):
            raise ValueError(f"months are numbered 1 to 12, not {wrong}")
        return months


register("entities", EntityWords)


@dataclass(frozen=True)
class _Lexicon:
    """Every language's words in compiled patterns: a customer may write a date in another language."""

    month_first_languages: frozenset[str]
    month_by_name: dict[str, int]
    day_month: re.Pattern[str]
    month_day: re.Pattern[str]
    relative: dict[str, tuple[int, str | None]]  # phrase -> (offset in days, the only language it is read in)
    relative_re: re.Pattern[str]
    also_morning: frozenset[str]
    morning_before: re.Pattern[str]
    amount: re.Pattern[str]
    currency_by_word: tuple[tuple[re.Pattern[str], str], ...]
    bare_amount: re.Pattern[str]


def _build(data: dict[str, EntityWords]) -> _Lexicon:
    month_by_name = {name: month for words in data.values() for month, names in words.months.items()
                     for name in names}
    month_re = arranged("|".join(re.escape(name) for name in sorted(month_by_name, key=len, reverse=True)) or "(?!)")
    # "last week" resolves to the same weekday a week ago: a point the agent can show, not a range.
    relative: dict[str, tuple[int, str | None]] = {}
    for words in data.values():
        relative.update({phrase: (offset, None) for phrase, offset in words.relative_days.items()})
    for code, words in data.items():  # German "hier" means "here": the French "yesterday" only in French
        own = words.relative_days_in_this_language_only
        relative.update({phrase: (offset, code) for phrase, offset in own.items()})
    currencies: dict[str, list[str]] = {}
    for words in data.values():
        for code, entries in words.currency_words.items():
            currencies.setdefault(code, []).extend(entries)
    currency_words = "|".join(e for entries in currencies.values() for e in dict.fromkeys(entries))
    return _Lexicon(
        month_first_languages=frozenset(code for code, words in data.items() if words.month_first),
        month_by_name=month_by_name,
        day_month=re.compile(
            rf"(?<![\w.,])(\d{{1,2}})(?:{alternation(data, 'day_ordinals')})?\.?\s+"
            rf"(?:(?:{alternation(data, 'before_month')})\s+)?({month_re})\b\.?"
            rf"(?:,?\s+(?:(?:{alternation(data, 'before_year')})\s+)?(\d{{4}})\b)?"),
        month_day=re.compile(
            rf"\b({month_re})\.?\s+(\d{{1,2}})(?:{alternation(data, 'month_day_ordinals')})?\b(?:,?\s+(\d{{4}})\b)?"),
        relative=relative,
        relative_re=re.compile(r"(?<![\w-])(" + ("|".join(re.escape(p) for p in sorted(relative, key=len, reverse=True))
                                                 or "(?!)") + r")(?![\w-])"),
        also_morning=frozenset(w for words in data.values() for w in words.also_morning),
        morning_before=re.compile(rf"(?:\b(?:{alternation(data, 'morning_before')}))\s+$"),
        amount=re.compile(
            rf"(?P<pre>us\$|\$|€|£|\b(?:usd|eur|gbp|chf)\b)\s?(?P<pnum>{_NUMBER})(?!\d)"
            rf"|(?<![\w.,])(?P<snum>{_NUMBER})\s?(?P<post>\$|€|£|\b(?:usd|eur|gbp|chf|{currency_words or '(?!)'})\b)"),
        currency_by_word=tuple((re.compile("|".join(f"(?:{e})" for e in entries)), code)
                               for code, entries in currencies.items()),
        bare_amount=re.compile(
            rf"\b(?:{alternation(data, 'money_words')})\b[^\d\n]{{0,25}}?(?<![\w.,])"
            rf"(?P<num>\d{{1,3}}(?:[.,]\d{{3}})*[.,]\d{{2}}|\d+[.,]\d{{2}})(?![.,]?\d)"),
    )


def _lexicon() -> _Lexicon:
    return derived("entities", _build)


_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_INVOICE_ID = re.compile(r"(?<![\w-])inv-\d{4}-\d{3,6}(?![\w-])")
_ORDER_ID = re.compile(r"\b(?!inv-)[a-z]{2,4}-\d{4,8}\b")

_ISO_DATE = re.compile(r"(?<![\w./-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\w/-]|[.,]\d)")
_NUMERIC_DATE = re.compile(r"(?<![\w./-])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\w/-]|[.,]\d)")

# A number: "1.299,00", "1,299.00", "1 299,00" (grouped) or "49,90", "129", "129.5" (plain).
_NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f\u2009 ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_CURRENCY_CODES = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "usd": "USD", "eur": "EUR",
                   "gbp": "GBP", "chf": "CHF"}


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
    process clock, app/core/clock.py; pass it for reproducible results). `day_first` decides "03/04/2026"; by
    default English reads month first and every other language day first. A numeric date
    that is impossible one way ("24/11/2026") is read the other way.
    """
    today = today or clock.today()
    if day_first is None:
        day_first = language not in _lexicon().month_first_languages
    chars = list(_fold(text))
    emails = _dedupe(text[m.start():m.end()] for m in _matches(_EMAIL, chars))
    invoice_ids = _dedupe(m.group().upper() for m in _matches(_INVOICE_ID, chars))
    order_ids = _dedupe(m.group().upper() for m in _matches(_ORDER_ID, chars))
    found_dates = _dates(chars, today, language, day_first)
    lexicon = _lexicon()
    amounts = [(m.start(), _amount(m)) for m in _matches(lexicon.amount, chars)]
    # Without a currency, only "money word ... 49,90" counts: a bare "3" or "2026" is never an amount.
    amounts += [(m.start("num"), _amount(m)) for m in _matches(lexicon.bare_amount, chars, group="num")]
    in_order = _dedupe(a for _, a in sorted(amounts, key=lambda item: item[0]) if a is not None)
    return Entities(order_ids, invoice_ids, emails, in_order, found_dates)


def _fold_char(ch: str) -> str:
    if ch.isascii():
        return ch.lower()
    if ch == "\u2019":
        return "'"
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
    return base if len(base) == 1 else ch.lower() if len(ch.lower()) == 1 else ch


_fold = CharFold(_fold_char)
"""Lower-case and strip accents without changing the length, so spans stay valid."""


def _matches(pattern: re.Pattern[str], chars: list[str], group: str | int = 0) -> list[re.Match[str]]:
    """All matches in the current text; each matched span is blanked out for later passes."""
    found = list(pattern.finditer("".join(chars)))
    for m in found:
        start, end = m.span(group)
        chars[start:end] = " " * (end - start)
    return found


def _dates(chars: list[str], today: date, language: str | None, day_first: bool) -> list[date]:
    lexicon = _lexicon()
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
    for pattern, day_group, month_group in ((lexicon.day_month, 1, 2), (lexicon.month_day, 2, 1)):
        for m in list(pattern.finditer("".join(chars))):
            day, month = int(m[day_group]), lexicon.month_by_name[m[month_group]]
            d = _make_date(int(m[3]), month, day) if m[3] else _nearest_year(today, month, day)
            if d:
                found.append((m.start(), d))
                _blank(chars, m.span())
    folded = "".join(chars)
    for m in lexicon.relative_re.finditer(folded):
        offset, only_in = lexicon.relative[m[1]]
        if only_in is not None and language != only_in:
            continue
        if m[1] in lexicon.also_morning and lexicon.morning_before.search(folded, max(0, m.start() - 12), m.start()):
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
        currency = _CURRENCY_CODES.get(marker) or next(
            (code for words, code in _lexicon().currency_by_word if words.fullmatch(marker)), None)
    return Amount(value, currency)


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
