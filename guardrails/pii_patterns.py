"""What personal data looks like: the patterns and checksums behind `guardrails.pii`.

Kept apart from the finders so the tables can grow without burying the logic that decides
what counts. The country formats (cards, IBAN, national ids, phone shapes, postcodes) are
here; the words around them (street types, unit and phone words, labels, country names) are
language data in `app/languages/<code>/pii.yaml`, and `pii_patterns()` compiles the patterns
that use them once per load, every language's words together. Every numeric pattern refuses
to start or end inside a longer token, so an id such as "BW-10234" is not read as a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict, create_model

from app.core.language_data import RegexEntry, alternation, derived, register

# --- email -------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+%-])[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-]|\.[\w-])")



# --- payment cards -----------------------------------------------------------------------

_CARD = re.compile(
    r"(?<![\w+.,/-])(?:"
    r"[2-6]\d{12,18}|(?:1800|2131)\d{11}"  # 2131 and 1800: 15-digit JCB
    r"|[2-6]\d{3}(?P<a>[ -])\d{4}(?P=a)\d{4}(?P=a)\d{1,4}(?:(?P=a)\d{3})?"
    r"|3\d{3}(?P<b>[ -])\d{6}(?P=b)\d{4,5}"  # American Express 4-6-5, Diners 4-6-4
    r")(?![\w-]|[.,/]\d)")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# --- IBAN --------------------------------------------------------------------------------

IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
_IBAN = re.compile(r"(?<![\w-])([A-Za-z]{2})(\d{2})((?:[ -]?[A-Za-z0-9]){10,31})")


def iban_valid(compact: str) -> bool:
    compact = compact.upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


# --- national ids ------------------------------------------------------------------------

_SSN = re.compile(r"(?<![\w/.-])(?!000|666|9)\d{3}(?P<s>[- ])(?!00)\d{2}(?P=s)(?!0000)\d{4}(?![\w-]|[.,/]\d)")
_SSN_BARE = re.compile(r"(?<![\w/.-])(?!000|666|9)\d{3}(?!00)\d{2}(?!0000)\d{4}(?![\w-]|[.,/]\d)")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_DNI = re.compile(r"(?<![\w-])(\d{8})[ -]?([A-Za-z])(?![\w-])")
_NIE = re.compile(r"(?<![\w-])([XYZxyz])[ -]?(\d{7})[ -]?([A-Za-z])(?![\w-])")
_NIR = re.compile(
    r"(?<![\w/.-])([12378])[ .]?(\d{2})[ .]?(0[1-9]|1[0-2]|[2-9]\d)[ .]?(\d{2}|2[ABab])[ .]?(\d{3})[ .]?(\d{3})"
    r"[ .]?(\d{2})(?![\w-]|[.,/]\d)")
_NINO = re.compile(
    r"(?<![\w-])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w-])")
_STEUER_ID = re.compile(r"(?<![\w+/.-])[1-9]\d(?:(?P<s> ?)\d{3}(?P=s)\d{3}(?P=s)\d{3})(?![\w-]|[.,/]\d)")


def dni_valid(number: str, letter: str) -> bool:
    return _DNI_LETTERS[int(number) % 23] == letter.upper()


def nir_valid(groups: tuple[str, ...]) -> bool:
    body = "".join(groups[:6]).upper().replace("2A", "19").replace("2B", "18")
    return 97 - int(body) % 97 == int(groups[6])


def steuer_id_valid(digits: str) -> bool:
    if len(digits) != 11 or digits[0] == "0":
        return False
    counts = sorted((digits[:10].count(d) for d in set(digits[:10])), reverse=True)
    if counts[0] not in (2, 3) or (len(counts) > 1 and counts[1] != 1):
        return False
    product = 10
    for ch in digits[:10]:
        total = (int(ch) + product) % 10 or 10
        product = total * 2 % 11
    return (11 - product) % 10 == int(digits[10])


# --- phones ------------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w+/.-])(?<!\d[:,])"
    r"(?:\+\s?|\(\+?)?\d{1,15}\)?(?:(?:[ .\-/]|[ .\-]{2}|(?<=\))|\s?\(\d{1,5}\)\s?)\(?\d{1,10}\)?){0,7}"
    r"(?:\s*(?:x|ext\.?|extension|ext#|#)\s*\d{1,5})?"
    r"(?!\w|-\d|[.,/:]\d)")
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|extension|ext#|#)\s*\d{1,5}$", re.I)
_DATE_INSIDE = re.compile(r"(?<!\d)(?:\d{1,2}([./-])\d{1,2}\1(?:19|20)\d\d|(?:19|20)\d\d([./-])\d{1,2}\2\d{1,2})(?!\d)")
_MONEY_AROUND = re.compile(r"[€$£¥]\s?$|^\s?(?:[€$£¥%]|(?:eur|usd|gbp|chf|kwh|kg|km|mb|gb)\b)", re.I)


# --- street addresses --------------------------------------------------------------------

_UP = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĘĚĞŁŃŇŐŒŘŚŞŠŢŤŮŰŸŹŻŽ"
_LOW = "a-zß-öø-ÿāăąćčďđęěğłńňőœřśşšţťůűźżž"
_CAP = rf"[{_UP}](?:[{_LOW}]{{0,2}}\.|[\w'’-]*)"  # a capitalised word; "St." and "Mt." may end in a dot
_HOUSE = r"\d{1,6}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
_UNIT_ID = r"(?:\d[\w-]{0,5}|[A-Z])\b"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_CA_POSTCODE = r"[A-Z]\d[A-Z]\s?\d[A-Z]\d"

_PARTICLES = (r"(?:do|da|dos|das|de|del|della|delle|dello|dei|degli|di|e|du|des|de\s+la|de\s+l['’]|d['’]|la|le|"
              r"les|l['’])")

# Written the same way whatever the customer's language (several countries' words in one
# pattern, or one country's format); `_build` adds them after the patterns of language data.
_FIXED_ADDRESS_PATTERNS = [
    # Elsewhere in Europe: "Asselsestraat 7", "Skoanveien 226", "Rua do Arenque 1634", "Via Roma 10"
    ("strong", re.compile(
        r"(?<![\w-])[A-Za-zÆØÅÄÖæøåäö][a-zæøåäöüé-]*(?:straat|laan|gracht|plein|steeg|vej|gatan|gata|vägen|veien|katu)"
        r"\s+\d{1,4}[a-zA-Z]?(?![\w./-]|[.,]\d)")),
    ("strong", re.compile(
        rf"(?<![\w-])(?:Rua|Rúa|Travessa|Via|Viale|Piazza|Corso|Largo|ul\.|Ulica|Rue|Avenue|Chaussée|Boulevard|"
        rf"Place|Quai|Drève)\s+(?:{_PARTICLES}\s+)?{_CAP}(?:\s+(?:{_PARTICLES}\s+)?{_CAP}){{0,3}},?\s+"
        r"\d{1,4}[A-Za-z]?(?![\w./-]|[.,]\d)")),
    # US military addresses: "PSC 4574, Box 8393", "APO AA 81998", "USNS Bergman, FPO AP 93757"
    ("strong", re.compile(
        r"(?<![\w-])(?i:(?:PSC|CMR|Unit)\s+\d{3,5},?\s+Box\s+\d{1,5}|(?:USNS|USS|USCGC)\s+[^\W\d_][\w'-]*)"
        r"(?i:\s*,?\s*(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5})?")),
    ("strong", re.compile(r"(?<![\w-])(?i:APO|FPO|DPO)\s+(?i:AA|AE|AP)\s+\d{5}\b")),
]


# --- the language data -------------------------------------------------------------------

_CATEGORIES = (
    "role_mailboxes", "tracking_words", "ssn_labels",
    "phone_words", "phone_abbreviations", "phone_labels", "phone_label_links",
    "directions", "number_name_type_types", "number_name_type_weak_types", "number_name_type_ordinals",
    "number_name_type_lowercase_types", "number_name_type_not_names", "number_name_type_unit_words",
    "number_type_name_types", "number_type_name_capitalised_types", "number_type_name_suffixes",
    "number_type_name_particles", "number_type_name_links",
    "type_name_number_types", "type_name_number_lowercase_types", "type_name_number_particles",
    "type_name_number_links", "type_name_number_not_names", "type_name_number_number_words",
    "type_name_number_units",
    "name_type_number_suffixes", "name_type_number_capitalised_suffixes", "name_type_number_not_names",
    "name_type_number_types", "name_type_number_units",
    "unit_words", "unit_words_after_only", "unit_words_alone", "floor_sides", "floor_names", "po_box_words",
    "city_name_links", "country_names", "address_words", "year_prepositions",
    # names (guardrails/pii_names.py)
    "name_intros_strong", "name_intros", "company_intros", "company_links", "greetings", "sign_offs",
    "honorifics", "name_particles", "not_names", "name_words_also_words",
)

PiiWords = create_model(  # type: ignore[call-overload]
    "PiiWords", __config__=ConfigDict(extra="forbid"), **{name: (list[RegexEntry], []) for name in _CATEGORIES})
"""`app/languages/<code>/pii.yaml`: one list of regex entries per category of words around personal data."""

register("pii", PiiWords)


@dataclass(frozen=True)
class PiiPatterns:
    role_mailbox: re.Pattern[str]  # "support@": a function, not a person
    not_a_card_before: re.Pattern[str]  # "tracking number ...": a parcel, not a card
    ssn_words: re.Pattern[str]  # "SSN ...": nine bare digits are a social security number
    phone_words: re.Pattern[str]  # a phone word up to four words before the number
    phone_label: re.Pattern[str]  # right before it: "Phone: ...", "call me at ..."
    address_patterns: list[tuple[str, re.Pattern[str]]]  # (strong | weak, pattern)
    unit_after: re.Pattern[str]
    place_after: re.Pattern[str]
    country_after: re.Pattern[str]
    unit_before: re.Pattern[str]
    address_words: re.Pattern[str]  # what makes a weak street type count: "ship to ..."
    year_before: re.Pattern[str]  # "in 2019 Main ...": a year, not a house number


def _build(data: dict[str, Any]) -> PiiPatterns:
    def a(category: str) -> str:
        return alternation(data, category)

    phone_word = (rf"(?:\b(?:{a('phone_words')})\b|\b(?:{a('phone_abbreviations')})|"
                  rf"\b(?:{a('phone_labels')})\s*:)")
    direction = rf"(?:{a('directions')})\.?"
    en_stop = rf"(?!(?:{a('number_name_type_not_names')})\b)"
    fr_suffix = rf"(?:\s?(?:{a('number_type_name_suffixes')}|[A-Da-d])\b)?"
    fr_particles = rf"(?:(?:{a('number_type_name_particles')})\s*)?"
    fr_links = rf"(?:(?:{a('number_type_name_links')})\s+)?"
    es_stop = rf"(?!(?:{a('type_name_number_not_names')})\b)"
    es_particles = rf"(?:(?:{a('type_name_number_particles')})\s+)?"
    es_number = (rf",?\s*(?:(?i:{a('type_name_number_number_words')})\s*)?\d{{1,4}}[A-Za-z]?"
                 rf"(?![\w./-]|[.,]\d|\s?(?:%|€|\$|{a('type_name_number_units')})\b)")
    de_number = (rf"\s*\d{{1,4}}\s?[a-zA-Z]?(?:\s?[-/]\s?\d{{1,4}}[a-z]?)?"
                 rf"(?![\w./-]|[.,]\d|\s?(?:{a('name_type_number_units')}|€|%)\b)")
    address_patterns = [
        # number, name, type: "221B Baker Street", "600 Harbor Boulevard Suite 210", "5 W 42nd St"
        ("strong", rf"(?<![\w.,/+-]){_HOUSE},?\s+(?:{direction}\s+)?"
                   rf"(?:(?:{_CAP}|\d{{1,3}}(?:{a('number_name_type_ordinals')}))\s+){{1,4}}?"
                   rf"(?:{a('number_name_type_types')})\b\.?(?:\s+{direction}(?!\w))?"),
        ("weak", rf"(?<![\w.,/+-]){_HOUSE}\s+(?:{direction}\s+)?(?:{_CAP}\s+){{1,3}}?"
                 rf"(?:{a('number_name_type_weak_types')})\b\.?"),
        # typed in lower case: "221b baker street" (two name words at most, no small words)
        ("strong", rf"(?<![\w.,/+-]){_HOUSE}\s+(?:{en_stop}[a-z][a-z'’-]+\s+){{1,2}}"
                   rf"(?:{a('number_name_type_lowercase_types')})\b"),
        # a number, a capitalised name and a unit: "6750 Smith Ports Apt. 864"
        ("strong", rf"(?<![\w.,/+-]){_HOUSE}\s+(?:{_CAP}\s+){{1,3}}(?:\d{{1,5}}\s+)?"
                   rf"(?:{a('number_name_type_unit_words')})\b\.?\s*#?\s*{_UNIT_ID}"),
        # number, type, name: "12 rue de la Paix", "7 place du Capitole", "3 bis, avenue Foch"
        ("strong", rf"(?<![\w.,/+-])\d{{1,4}}{fr_suffix},?\s+(?i:{a('number_type_name_types')})\s+{fr_particles}"
                   rf"[\w'’-]+(?:[\s-]+{fr_links}{_CAP}){{0,3}}"),
        ("strong", rf"(?<![\w.,/+-])\d{{1,4}}{fr_suffix},?\s+(?i:{a('number_type_name_capitalised_types')})\s+"
                   rf"{fr_particles}{_CAP}(?:[\s-]+{fr_links}{_CAP}){{0,3}}"),
        # type, name, number: "Calle Mayor 5", "Avda. de América 12", "Passeig Marítim 56"
        ("strong", rf"(?<![\w.-])(?i:{a('type_name_number_types')})\s*{es_particles}"
                   rf"{_CAP}(?:\s+(?:(?:{a('type_name_number_links')})\s+)?{_CAP}){{0,3}}{es_number}"),
        ("strong", rf"(?<![\w.-])(?i:{a('type_name_number_lowercase_types')})\s*{es_particles}"
                   rf"{es_stop}[{_LOW}]+(?:\s+{es_stop}[{_LOW}]+)?{es_number}"),
        # name and type, number: "Hauptstraße 12", "Hauptstr. 5a", "Birkenweg 3", "Mariahilfer Straße 102"
        ("strong", rf"(?<![\w-])[A-Za-zÄÖÜäöü][a-zäöüß-]*(?i:{a('name_type_number_suffixes')}){de_number}"),
        ("strong", rf"(?<![\w-])(?!(?:{a('name_type_number_not_names')}))"
                   rf"[A-ZÄÖÜ][a-zäöüß-]*(?:{a('name_type_number_capitalised_suffixes')}){de_number}"),
        ("strong", rf"(?<![\w-])(?:{_CAP}\s+){{1,2}}(?:{a('name_type_number_types')}){de_number}"),
        # an apartment or suite on its own: "Apt. 864", "Suite 210"
        ("strong", rf"(?<![\w-])(?<!Office )(?:{a('unit_words_alone')})\s*#?\s*\d{{1,5}}[A-Za-z]?\b"),
        # post office boxes
        ("strong", rf"(?<![\w-])(?i:{a('po_box_words')})\s*\d[\d ]{{0,8}}\d?(?![\w-])"),
    ]
    city = rf"{_CAP}(?:[ -](?:{_CAP}|{a('city_name_links')})){{0,3}}"
    country = a("country_names")
    unit_words = a("unit_words")
    return PiiPatterns(
        role_mailbox=re.compile(rf"(?:{a('role_mailboxes')})@", re.I),
        not_a_card_before=re.compile(rf"(?:{a('tracking_words')})\W+(?:\w+\W+){{0,3}}$", re.I),
        ssn_words=re.compile(rf"(?:{a('ssn_labels')})\W{{0,5}}(?:\w+\W+){{0,3}}$", re.I),
        phone_words=re.compile(rf"{phone_word}[^\w]{{0,6}}(?:[\w'’]+[^\w\n]{{1,3}}){{0,4}}$", re.I),
        phone_label=re.compile(
            rf"{phone_word}[^\w]{{0,6}}(?:(?:{a('phone_label_links')})[^\w]{{1,3}}){{0,3}}$", re.I),
        address_patterns=[(strength, re.compile(p)) for strength, p in address_patterns] + _FIXED_ADDRESS_PATTERNS,
        unit_after=re.compile(
            rf",?\s*(?:(?:{unit_words}|{a('unit_words_after_only')})\b\.?\s*(?:#|n[º°o]\.?)?\s*[\w-]{{1,6}}\b"
            rf"|#\s*\d{{1,5}}[A-Za-z]?\b"
            rf"|\d{{1,2}}\s?[º°ª]\s?(?:[A-Za-z]\b|{a('floor_sides')})?"
            rf"|(?:{a('floor_names')})\b)", re.I),
        place_after=re.compile(
            rf",?\s*(?:(?:[A-Z]{{1,2}}-)?\d{{4,5}}\s+{city}"  # "75002 Paris", "D-10969 Berlin", "1070 Wien"
            rf"|{city},?\s+(?:[A-Z]{{2}},?\s+)?\d{{5}}(?:-\d{{4}})?(?!\d)"  # "Austin, TX 78745", "Madrid, 28005"
            rf"|{city},?\s+(?:{_UK_POSTCODE}|{_CA_POSTCODE})\b"  # "Cambridge, CB1 1DS"
            rf"|{city},?\s+[A-Z]{{2}},?\s+(?:{_CA_POSTCODE})\b"  # "Toronto ON, M4Y 1H3"
            rf"|{city},\s*[A-Z]{{2}}(?=\s*(?:[,.;)\n]|$))"  # "Springfield, IL"
            rf"|{city},?\s+\d{{4}}(?=\s*,\s*(?:{country})\b)"  # "Wien, 1070, Austria"
            rf"|\d{{5}}(?:-\d{{4}})?(?!\d)|(?:{_UK_POSTCODE}|{_CA_POSTCODE})\b)"),
        country_after=re.compile(rf",?\s*(?:{country})\b"),
        unit_before=re.compile(rf"(?:\b(?:{unit_words})\b\.?\s*#?\s*[\w-]{{1,6}},?\s+)$", re.I),
        address_words=re.compile(rf"(?:{a('address_words')})\W+(?:\w+\W+){{0,3}}$", re.I),
        year_before=re.compile(rf"\b(?:{a('year_prepositions')})\s+$", re.I),
    )


def pii_patterns() -> PiiPatterns:
    """The patterns that use language data, with every language's words, compiled once per load."""
    return derived("pii", _build)
