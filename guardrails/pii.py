"""Personal data in text: find it, and redact it from what leaves the conversation.

The customer's own chat keeps what they typed. The copy that goes to an LLM provider, the
arguments and results of tools, and log records get placeholders instead: "[EMAIL]",
"[PHONE]", "[CARD]", "[IBAN]", "[NATIONAL_ID]", "[ADDRESS]", "[NAME]". Given the verified
customer's own details (`known`, a `guardrails.pii_known.KnownPii`), those values are
redacted wherever they appear, however they are typed.

Regex-based and checksum-backed where a checksum exists:

- EMAIL: local@domain.tld; role mailboxes (support@, privacy@, no-reply@...) are not personal.
- CARD: 13-19 digits (plain, or grouped with one kind of separator), issuer prefix 2-6 (or a
  15-digit JCB 1800/2131), Luhn.
- IBAN: a known country code, that country's length, ISO 13616 mod-97; spaces allowed.
- NATIONAL_ID: US SSN (area not 000/666/9xx, group not 00, serial not 0000; 9 bare digits only
  after "SSN"/"social security"), Spanish DNI and NIE (check letter), French INSEE/NIR (key),
  UK National Insurance number (prefix rules, suffix A-D), German Steuer-ID (digit rule and
  ISO 7064 MOD 11,10).
- PHONE: "+CC ..." or "00CC ...", US/Canada (NPA-NXX-XXXX, optional leading 1 and extension),
  national numbers starting with 0 (UK, DE, FR) and Spanish 9-digit numbers, written with
  separators. Bare digit runs and US 7-digit local numbers count only after a phone word
  ("phone", "Tel.", "móvil", "Handy", "portable"...); right after a label ("Phone:", "call me
  at") any grouping of 7-15 digits counts. Nothing containing a date does.
- ADDRESS: a house number with a street-type word, in the order each language writes it:
  "221B Baker Street", "12 rue de la Paix", "Calle Mayor 5", "Hauptstraße 12",
  "Mariahilfer Straße 102", PO boxes; then an apartment/unit, city, postcode and country when
  they follow directly.
- NAME: only where the words around it announce one (greetings, signatures, "my name is",
  titles; `guardrails.pii_names`), and the connector-known customer's name anywhere.

Ids the product issues (BW-10234, INV-2024-0042, RF-5001, TK-7001), prices, dates, times,
carrier tracking numbers, UUIDs and hashes are left alone: every numeric pattern refuses to
start or end inside a longer token ("BW-", "1Z..."), and a checksum or a phone shape decides.

The patterns and checksums live in `guardrails.pii_patterns`, the words around personal data
in `app/languages/<code>/pii.yaml`; this module decides which matches count and which kind
wins where they overlap.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from guardrails.pii_known import KnownPii
from guardrails.pii_names import find_names
from guardrails.pii_patterns import (
    _CARD,
    _DATE_INSIDE,
    _DNI,
    _EMAIL,
    _EXTENSION,
    _IBAN,
    _MONEY_AROUND,
    _NIE,
    _NINO,
    _NIR,
    _PHONE,
    _SSN,
    _SSN_BARE,
    _STEUER_ID,
    IBAN_LENGTHS,
    dni_valid,
    iban_valid,
    luhn_valid,
    nir_valid,
    pii_patterns,
    steuer_id_valid,
)

__all__ = [
    "IBAN_LENGTHS", "KINDS", "KnownPii", "PiiSpan", "RedactingFilter", "dni_valid", "find_pii", "iban_valid",
    "install_log_redaction", "luhn_valid", "nir_valid", "redact", "redact_value", "steuer_id_valid",
]

KINDS = ("EMAIL", "PHONE", "CARD", "IBAN", "NATIONAL_ID", "ADDRESS", "NAME")
# On overlap the more specific kind wins, then the longer span; a name inside an address or
# an e-mail address goes with it.
_SPECIFICITY = {"EMAIL": 6, "IBAN": 5, "CARD": 4, "NATIONAL_ID": 4, "PHONE": 2, "ADDRESS": 1, "NAME": 0}


@dataclass(frozen=True)
class PiiSpan:
    kind: str
    start: int
    end: int
    text: str


# --- finders: candidate spans per kind, checked against context and checksums ------------

def _emails(text: str) -> Iterator[tuple[int, int]]:
    for m in _EMAIL.finditer(text):
        if not pii_patterns().role_mailbox.match(m.group()):
            yield m.span()


def _cards(text: str) -> Iterator[tuple[int, int]]:
    for m in _CARD.finditer(text):
        start, end = m.span()
        raw = m.group()
        digits = re.sub(r"\D", "", raw)
        if not 13 <= len(digits) <= 19:
            continue
        if raw.isdigit() and pii_patterns().not_a_card_before.search(text, max(0, start - 40), start):
            continue
        if not luhn_valid(digits) and m.group("a") and len(digits) > 16:
            # a 19-digit grouping that swallowed a following number: try the 16 digits alone
            end = start + len(raw.rsplit(m.group("a"), 1)[0])
            digits = digits[:16]
        if luhn_valid(digits):
            yield start, end


def _ibans(text: str) -> Iterator[tuple[int, int]]:
    for m in _IBAN.finditer(text):
        length = IBAN_LENGTHS.get(m.group(1).upper())
        if length is None:
            continue
        # take exactly the country's length of characters; the pattern may run into the next word
        need, end = length - 4, m.start(3)
        for i, ch in enumerate(m.group(3), start=m.start(3)):
            if ch.isalnum():
                need -= 1
                if need == 0:
                    end = i + 1
                    break
        if need or (end < len(text) and text[end].isalnum()):
            continue
        if iban_valid(re.sub(r"[ -]", "", text[m.start():end])):
            yield m.start(), end


def _national_ids(text: str) -> Iterator[tuple[int, int]]:
    for m in _SSN.finditer(text):
        yield m.span()
    for m in _SSN_BARE.finditer(text):
        if pii_patterns().ssn_words.search(text, max(0, m.start() - 40), m.start()):
            yield m.span()
    for m in _DNI.finditer(text):
        if dni_valid(m.group(1), m.group(2)):
            yield m.span()
    for m in _NIE.finditer(text):
        if dni_valid(str("XYZ".index(m.group(1).upper())) + m.group(2), m.group(3)):
            yield m.span()
    for m in _NIR.finditer(text):
        if nir_valid(m.groups()):
            yield m.span()
    for m in _NINO.finditer(text):
        yield m.span()
    for m in _STEUER_ID.finditer(text):
        if steuer_id_valid(m.group().replace(" ", "")):
            yield m.span()


def _phone_shape_ok(candidate: str, has_context: bool, labelled: bool = False) -> bool:
    core = _EXTENSION.sub("", candidate)
    digits = re.sub(r"\D", "", core)
    groups = re.findall(r"\d+", core)
    separated = len(groups) > 1
    n = len(digits)
    if labelled and 7 <= n <= 15 and (not separated or min(len(g) for g in groups[1:]) >= 2):
        return True
    if core.startswith(("+", "(+")):
        return 9 <= n <= 15 and digits[0] != "0"
    if digits.startswith("00"):
        return 11 <= n <= 15 and digits[2] != "0" and (separated or has_context)
    if not separated:
        if not has_context:
            return False
        return (9 <= n <= 12 and digits[0] == "0") or _nanp(digits) or (n == 9 and digits[0] in "6789")
    seps = set(re.sub(r"[\d()]", "", core).replace("  ", " "))
    lengths = tuple(len(g) for g in groups)
    if digits[0] == "0":  # national trunk prefix: UK, DE, FR, ...
        return 10 <= n <= 12 and min(lengths) >= 2 and max(lengths) <= 8
    if lengths[0] == 1 and digits[0] == "1":  # "1-800-555-0199", "1 (415) 555 0123"
        lengths, digits = lengths[1:], digits[1:]
    if lengths in ((3, 3, 4), (3, 7)) and _nanp(digits):
        return True
    if len(seps) == 1 and n == 9 and digits[0] in "6789" and lengths in ((3, 3, 3), (3, 2, 2, 2), (2, 3, 2, 2)):
        return True  # Spanish numbers: "612 345 678", "91 123 45 67"
    return has_context and lengths == (3, 4) and digits[0] in "23456789" and "-" in seps  # US local "555-0123"


def _nanp(digits: str) -> bool:
    return len(digits) == 10 and digits[0] in "23456789"


def _phones(text: str) -> Iterator[tuple[int, int]]:
    words = pii_patterns()
    for m in _PHONE.finditer(text):
        start, candidate = m.start(), m.group().rstrip(" .-/")
        if sum(ch.isdigit() for ch in candidate) < 7 or _DATE_INSIDE.search(candidate):
            continue
        if _MONEY_AROUND.search(text[max(0, start - 2):start]) or _MONEY_AROUND.search(
                text[start + len(candidate):start + len(candidate) + 5]):
            continue
        has_context = words.phone_words.search(text, max(0, start - 40), start) is not None
        labelled = has_context and words.phone_label.search(text, max(0, start - 30), start) is not None
        # the run may have swallowed a neighbouring number: drop trailing groups until it fits
        while candidate:
            if _phone_shape_ok(candidate, has_context, labelled):
                yield start, start + len(candidate)
                break
            cut = re.search(r"[ .\-/]+\(?\d+\)?$", candidate)
            if cut is None or cut.start() == 0:
                break
            candidate = candidate[:cut.start()]


def _extend(text: str, end: int) -> tuple[int, bool]:
    """Extend a street match over a unit, city, postcode and country that follow directly."""
    attached = False
    words = pii_patterns()
    unit = words.unit_after.match(text, end)
    if unit:
        end, attached = unit.end(), True
    place = words.place_after.match(text, end)
    if place:
        end, attached = place.end(), True
        country = words.country_after.match(text, end)
        if country:
            end = country.end()
    return end, attached


def _addresses(text: str) -> Iterator[tuple[int, int]]:
    words = pii_patterns()
    for strength, pattern in words.address_patterns:
        for m in pattern.finditer(text):
            start, end = m.span()
            if re.match(r"(?:19|20)\d\d\s", m.group()) and words.year_before.search(text, max(0, start - 12), start):
                continue  # "in 2025 Main Street was closed": a year, not a house number
            end, attached = _extend(text, end)
            if strength == "weak" and not attached and not words.address_words.search(text, max(0, start - 40), start):
                continue
            before = words.unit_before.search(text, max(0, start - 20), start)
            yield (before.start() if before else start), end


# --- finding and redacting ---------------------------------------------------------------

_FINDERS: tuple[tuple[str, Callable[[str], Iterator[tuple[int, int]]]], ...] = (
    ("EMAIL", _emails), ("CARD", _cards), ("IBAN", _ibans), ("NATIONAL_ID", _national_ids),
    ("PHONE", _phones), ("ADDRESS", _addresses),
)
_HAS_DIGIT_OR_AT = re.compile(r"[\d@]")


def find_pii(text: str, known: KnownPii | None = None) -> list[PiiSpan]:
    """Personal data in `text`: non-overlapping spans sorted by start. On overlap the more
    specific kind wins (checksummed ids over phones, anything over addresses and names), then
    the longer. `known`: the verified customer's own values, found however they are typed."""
    if not text:
        return []
    candidates = [("NAME", start, end) for start, end in find_names(text)]
    if known:
        candidates += [span for span in known.spans(text) if span[2] > span[1]]
    if _HAS_DIGIT_OR_AT.search(text):  # every other kind needs a digit or an "@"
        candidates += [(kind, start, end) for kind, finder in _FINDERS for start, end in finder(text) if end > start]
    candidates.sort(key=lambda c: (-_SPECIFICITY[c[0]], -(c[2] - c[1]), c[1]))
    taken: list[tuple[str, int, int]] = []
    for kind, start, end in candidates:
        if all(end <= s or start >= e for _, s, e in taken):
            taken.append((kind, start, end))
    return [PiiSpan(kind, start, end, text[start:end]) for kind, start, end in sorted(taken, key=lambda c: c[1])]


def redact(text: str, known: KnownPii | None = None) -> str:
    """`text` with every span found by `find_pii` replaced by "[KIND]"."""
    spans = find_pii(text, known)
    if not spans:
        return text
    parts, last = [], 0
    for span in spans:
        parts += [text[last:span.start], f"[{span.kind}]"]
        last = span.end
    parts.append(text[last:])
    return "".join(parts)


def redact_value(value: Any, known: KnownPii | None = None) -> Any:
    """Redact every string inside dicts, lists and tuples (keys stay); other values unchanged."""
    if isinstance(value, str):
        return redact(value, known)
    if isinstance(value, dict):
        return {key: redact_value(item, known) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_value(item, known) for item in value]
    if isinstance(value, tuple):
        items = [redact_value(item, known) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value


# --- logging -----------------------------------------------------------------------------

class RedactingFilter(logging.Filter):
    """Redacts a log record in place: the message is formatted once with its args, redacted and
    stored back (args=None); exception and stack text are formatted and redacted too. Never
    raises and never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the template and the args' repr
            message = f"{record.msg!s} {record.args!r}"
        try:
            record.msg, record.args = redact(message), None
            if record.exc_info and not record.exc_text:
                record.exc_text = self._formatter.formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
            if record.stack_info:
                record.stack_info = redact(record.stack_info)
        except Exception:
            pass
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Add a RedactingFilter to every handler of `logger` (the root logger by default) and to
    the logger itself, once; calling it again adds nothing."""
    logger = logger if logger is not None else logging.getLogger()
    for target in (logger, *logger.handlers):
        if not any(isinstance(f, RedactingFilter) for f in target.filters):
            target.addFilter(RedactingFilter())
