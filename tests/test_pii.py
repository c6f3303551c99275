"""Personal data found and redacted in en/es/de/fr text; the product's own ids and numbers left alone."""

from __future__ import annotations

import io
import logging
from collections import namedtuple

import pytest

from connectors.base import Customer, Order
from guardrails.pii import (
    KnownPii,
    PiiSpan,
    RedactingFilter,
    find_pii,
    iban_valid,
    install_log_redaction,
    luhn_valid,
    redact,
    redact_value,
)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(span.kind, span.text) for span in find_pii(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Write to maya.thompson@example.com please", "Write to [EMAIL] please"),
    ("Mi correo es lucia.fernandez+pedidos@correo.example.es.", "Mi correo es [EMAIL]."),
    ("Meine Adresse: jonas_weber@mail.example.de", "Meine Adresse: [EMAIL]"),
])
def test_emails_are_redacted(text, expected):
    assert redact(text) == expected


def test_role_mailboxes_of_a_company_are_not_personal():
    text = "Write to support@brightwave.example or privacy@brightwave.example"
    assert find_pii(text) == []


@pytest.mark.parametrize("text", [
    "call me on +44 20 7946 0958",
    "my number is (415) 555-0123",
    "reach me at 415-555-0123 x204",
    "1-800-555-0199 is the number",
    "Llámame al +34 612 345 678",
    "mi móvil: 612 34 56 78",
    "Mein Handy: 0171 1234567",
    "Festnetz 030/1234567",
    "Appelez-moi au 06 12 34 56 78",
    "tel. 01.23.45.67.89",
    "0049 30 12345678 ist meine Nummer",
    "phone 4155550123",
    "call 555-0123 after six",
])
def test_phone_numbers_in_common_formats_are_redacted(text):
    assert [kind for kind, _ in kinds(text)] == ["PHONE"], text


@pytest.mark.parametrize("text", [
    "Order BW-10234 cost €129.00 and arrived on 2026-11-03 at 14:30",
    "Rechnung INV-2024-0042 vom 03.11.2026 über 49,99 €",
    "Refund RF-5001 for ticket TK-7001, see invoice INV-2025-0197",
    "Commande du 03/11/2026, 2 prises, total 1.299,00 €",
    "tracking 1Z999AA10123456784, DHL 0841485253",
    "request 550e8400-e29b-41d4-a716-446655440000, hash d41d8cd98f00b204e9800998ecf8427e",
    "I used 1,240 kWh in 2025, 12 kWh a day, 300-4000 watts",
    "version 10.2.3, build 20261103, IP 192.168.1.20 port 8080",
    "3 Smart Plugs and 2 Clamp Sensors. Way too expensive!",
    "la calle tiene 3 carriles y tarda 20 minutos",
    "Spring 2026 sale, 5 minutes down the street",
    "Es la tercera vez: pedido BW-10238, 2 unidades, 99,00 €",
    "between 9:00 and 17:00, 5 business days",
    "Can you call me on 03/11/2026 at 14:30?",
    "Rückruf bitte am 03.11.2026 14.30 Uhr",
    "Stecker für Arbeitsplatz 3 und Parkplatz 12",
    "In 2025 Main Street was closed for works",
    "Write to support@brightwave.example about order BW-10198",
])
def test_product_ids_prices_dates_and_quantities_are_left_alone(text):
    assert find_pii(text) == []


def test_payment_cards_need_a_valid_luhn_check():
    assert redact("card 4111 1111 1111 1111.") == "card [CARD]."
    assert redact("Karte 5500-0000-0000-0004") == "Karte [CARD]"
    assert redact("amex 3782 822463 10005") == "amex [CARD]"
    assert redact("tarjeta 4111111111111111") == "tarjeta [CARD]"
    assert find_pii("card 4111 1111 1111 1112") == []  # one digit off: Luhn fails
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")


@pytest.mark.parametrize("iban", [
    "DE89 3704 0044 0532 0130 00",
    "ES9121000418450200051332",
    "FR14 2004 1010 0505 0001 3M02 606",
    "GB82 WEST 1234 5698 7654 32",
])
def test_ibans_with_or_without_spaces_are_redacted(iban):
    assert redact(f"IBAN: {iban} please") == "IBAN: [IBAN] please"


def test_ibans_with_a_wrong_check_or_length_are_not_redacted():
    assert find_pii("IBAN DE89 3704 0044 0532 0130 01") == []  # mod-97 fails
    assert find_pii("IBAN DE89 3704 0044 0532 0130") == []  # too short for Germany
    assert iban_valid("NL91ABNA0417164300") and not iban_valid("NL91ABNA0417164301")


@pytest.mark.parametrize(("text", "value"), [
    ("SSN 123-45-6789", "123-45-6789"),
    ("my social security number is 123456789", "123456789"),
    ("DNI 12345678Z", "12345678Z"),
    ("NIE X1234567L", "X1234567L"),
    ("numéro de sécurité sociale 1 85 05 78 006 084 91", "1 85 05 78 006 084 91"),
    ("NI number AB 12 34 56 C", "AB 12 34 56 C"),
    ("Steuer-ID 86095742719", "86095742719"),
])
def test_national_ids_with_valid_checks_are_redacted(text, value):
    assert kinds(text) == [("NATIONAL_ID", value)]


@pytest.mark.parametrize("text", [
    "SSN 000-12-3456", "SSN 666-12-3456", "SSN 912-12-3456", "SSN 123-00-4567", "SSN 123-45-0000",
    "reference 123456789",  # nine bare digits without "SSN" before them
    "DNI 12345678A",  # wrong check letter
    "NIE X1234567M",
    "NIR 1 85 05 78 006 084 36",  # wrong key
    "QQ 12 34 56 C",  # Q is not a valid first letter
    "Steuer-ID 86095742718",
])
def test_national_ids_failing_their_checks_are_not_redacted(text):
    assert find_pii(text) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("I live at 221B Baker Street, London NW1 6XE.", "I live at [ADDRESS]."),
    ("Ship it to 600 Harbor Boulevard Suite 210, Long Beach CA, 90802, United States",
     "Ship it to [ADDRESS]"),
    ("Flat 3, 12 Baker Street please", "[ADDRESS] please"),
    ("Mi dirección es Calle Mayor 5, 3º B, 28013 Madrid", "Mi dirección es [ADDRESS]"),
    ("Envíalo a calle de Toledo 88", "Envíalo a [ADDRESS]"),
    ("Passeig Marítim 56, Lloret de Mar, 17310, Spain", "[ADDRESS]"),
    ("Neue Adresse: Hauptstraße 12, 10969 Berlin", "Neue Adresse: [ADDRESS]"),
    ("Lieferung an Mariahilfer Straße 102", "Lieferung an [ADDRESS]"),
    ("Meine Anschrift ist Hauptstr. 5a", "Meine Anschrift ist [ADDRESS]"),
    ("J'habite au 12 rue de la Paix, 75002 Paris", "J'habite au [ADDRESS]"),
    ("livrer au 7 place du Capitole", "livrer au [ADDRESS]"),
    ("PO Box 1234", "[ADDRESS]"),
])
def test_street_addresses_in_four_languages_are_redacted(text, expected):
    assert redact(text) == expected


def test_spans_do_not_overlap_and_come_in_order():
    text = ("Contact maya@example.com or +1 415-555-0123; card 4111 1111 1111 1111; "
            "IBAN DE89 3704 0044 0532 0130 00; 221B Baker Street")
    spans = find_pii(text)
    assert [s.kind for s in spans] == ["EMAIL", "PHONE", "CARD", "IBAN", "ADDRESS"]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert all(text[s.start:s.end] == s.text for s in spans)
    assert isinstance(spans[0], PiiSpan)


def test_a_checksummed_id_wins_over_a_phone_reading_of_the_same_digits():
    assert kinds("tel 5500 0000 0000 0004") == [("CARD", "5500 0000 0000 0004")]


def test_redact_value_redacts_strings_inside_nested_tool_results():
    Line = namedtuple("Line", "sku note")
    result = {
        "order": {"id": "BW-10234", "total": 129.0, "placed_at": "2026-11-03",
                  "shipping_address": "221B Baker Street, London NW1 6XE"},
        "contacts": ["maya@example.com", ("+44 20 7946 0958", 3)],
        "lines": [Line("BW-PLUG", "call 06 12 34 56 78")],
        "paid": True,
        "refund": None,
    }
    assert redact_value(result) == {
        "order": {"id": "BW-10234", "total": 129.0, "placed_at": "2026-11-03", "shipping_address": "[ADDRESS]"},
        "contacts": ["[EMAIL]", ("[PHONE]", 3)],
        "lines": [Line("BW-PLUG", "call [PHONE]")],
        "paid": True,
        "refund": None,
    }
    assert result["contacts"][0] == "maya@example.com"  # the original is not changed
    assert redact_value(42) == 42 and redact_value(b"maya@example.com") == b"maya@example.com"


@pytest.fixture
def captured():
    logger = logging.getLogger("frontline.test_pii")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)


def test_redacting_filter_redacts_the_formatted_message_with_its_args(captured):
    logger, stream = captured
    logger.info("customer %s wrote from %s about %s", "maya@example.com", "+44 20 7946 0958", "BW-10234")
    assert stream.getvalue() == "INFO customer [EMAIL] wrote from [PHONE] about BW-10234\n"


def test_redacting_filter_redacts_exception_text(captured):
    logger, stream = captured
    try:
        raise ValueError("card 4111 1111 1111 1111 declined for maya@example.com")
    except ValueError:
        logger.exception("payment failed for %s", "DE89 3704 0044 0532 0130 00")
    output = stream.getvalue()
    assert "payment failed for [IBAN]" in output
    assert "ValueError: card [CARD] declined for [EMAIL]" in output
    assert "4111" not in output and "maya@" not in output


def test_redacting_filter_never_raises_and_never_drops_a_record():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d items for %s", ("many",), None)
    assert RedactingFilter().filter(record) is True
    assert record.args is None and "%d items" in record.getMessage()
    record = logging.LogRecord("x", logging.INFO, __file__, 1, {"email": "maya@example.com"}, None, None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "{'email': '[EMAIL]'}"


def test_install_log_redaction_adds_the_filter_once_to_each_handler():
    logger = logging.getLogger("frontline.test_pii.install")
    first, second = logging.NullHandler(), logging.NullHandler()
    logger.addHandler(first)
    logger.addHandler(second)
    try:
        install_log_redaction(logger)
        install_log_redaction(logger)
        for target in (logger, first, second):
            assert sum(isinstance(f, RedactingFilter) for f in target.filters) == 1
    finally:
        for target in (logger, first, second):
            for f in [f for f in target.filters if isinstance(f, RedactingFilter)]:
                target.removeFilter(f)
        logger.removeHandler(first)
        logger.removeHandler(second)


# --- names: in greetings, signatures and introductions; the customer's own anywhere ------

@pytest.mark.parametrize(("text", "expected"), [
    ("Thanks, Maria Lopez", "Thanks, [NAME]"),
    ("Best regards,\nJohn", "Best regards,\n[NAME]"),
    ("My name is sarah and I need help", "My name is [NAME] and I need help"),
    ("I'm Maria, my order is late", "I'm [NAME], my order is late"),
    ("This is Maria from Acme, we have an issue", "This is [NAME] from Acme, we have an issue"),
    ("Hola, soy Lucía Fernández y tengo un problema", "Hola, soy [NAME] y tengo un problema"),
    ("Ich heiße Jonas Weber.", "Ich heiße [NAME]."),
    ("Je m'appelle Camille Laurent", "Je m'appelle [NAME]"),
    ("Dear Mr. Okafor,", "Dear Mr. [NAME],"),
    ("Hi Maria,\nthe invoice is wrong", "Hi [NAME],\nthe invoice is wrong"),
    ("Maika van de Noort\nthanks,\nMaika van de Noort", "Maika van de Noort\nthanks,\n[NAME]"),
    ("Mit freundlichen Grüßen\nJonas", "Mit freundlichen Grüßen\n[NAME]"),
])
def test_names_announced_by_the_words_around_them_are_redacted(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "I'm locked out of my account", "Hi team, my invoice is wrong", "Hi there,\nI need help",
    "Dear Customer,", "Thanks!", "I'm Canadian and pay in CAD", "Hello, I need a refund",
    "This is urgent", "Thanks for the quick reply", "Hola equipo, soy cliente desde 2020",
    "Best, Frontline Support", "My name is not on the invoice",
])
def test_words_after_a_greeting_or_introduction_that_are_no_name_stay(text):
    assert find_pii(text) == [], text


LUCIA = KnownPii.of(
    Customer("cus_1002", "Lucía Fernández", "lucia.fernandez@example.com", "plus", 96.0, None, "standard"),
    [Order("BW-1", "cus_1002", "shipped", "2026-11-01", 10.0, "EUR",
           shipping_address="Calle de Toledo 88, Madrid, 28005, Spain")],
    phones=["+34 612 345 678"])


@pytest.mark.parametrize(("text", "expected"), [
    ("lucia FERNANDEZ here", "[NAME] here"),
    ("Fernández, L.", "[NAME], L."),
    ("ship it to calle de toledo 88 please", "ship it to [ADDRESS] please"),
    ("Calle de Toledo 88, Madrid, 28005, Spain", "[ADDRESS]"),
    ("mi número: 612-34-56-78", "mi número: [PHONE]"),
    ("call 0034 612 345 678 or (612) 345678", "call [PHONE] or [PHONE]"),
    ("LUCIA.FERNANDEZ@EXAMPLE.COM", "[EMAIL]"),
    ("write to lucia.fernandez@example.com", "write to [EMAIL]"),  # an address, not a name inside it
])
def test_the_connector_known_customer_is_redacted_however_it_is_typed(text, expected):
    assert redact(text, LUCIA) == expected


def test_known_values_leave_other_people_numbers_and_common_words_alone():
    will = KnownPii(names=("Will Rose",), phones=("+1 415 555 0123",))
    assert redact("I will send a rose, and Will said hi", will) == "I will send a rose, and [NAME] said hi"
    assert redact("order 4155550", will) == "order 4155550"  # too few digits in common
    assert redact("call +1 212 555 0123", will) == "call [PHONE]"  # another number: still a phone pattern
    assert redact_value({"name": "Lucía Fernández", "items": ["Toledo 88 lamp"]}, LUCIA) == {
        "name": "[NAME]", "items": ["Toledo 88 lamp"]}
    assert redact("Lucía Fernández") == "Lucía Fernández"  # unknown and without context: out of reach
