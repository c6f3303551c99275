"""The customer sentences in app/languages/<code>/messages.yaml: the shipped languages are
complete, a broken file stops start-up naming the file and the key, and a missing
translation is said in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.core import language_data
from app.core.errors import ConfigError
from app.core.i18n import placeholders, say, status_name
from tests.support.server import PROJECT_ROOT


def _replace_line(file: Path, key: str, line: str | None) -> None:
    """Replace (or with None, remove) the one-line entry of `key`."""
    lines = file.read_text(encoding="utf-8").splitlines()
    found = [i for i, text in enumerate(lines) if text.startswith(f"{key}: ")]
    assert len(found) == 1, f"{key} is not a one-line entry of {file}"
    if line is None:
        del lines[found[0]]
    else:
        lines[found[0]] = line
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_every_shipped_language_has_every_english_sentence_with_the_same_placeholders():
    messages = language_data.language_data("messages")
    english = messages["en"].root
    assert set(messages) == set(language_data.languages()) == {"en", "es", "de", "fr"}
    for code, translation in messages.items():
        assert set(translation.root) == set(english), code
        for key, text in translation.root.items():
            assert text.strip(), f"{code} {key} is empty"
            assert placeholders(text) == placeholders(english[key]), f"{code} {key}"


def test_every_sentence_the_code_names_is_in_english():
    said = set()
    for source in (PROJECT_ROOT / "app").rglob("*.py"):
        said |= set(re.findall(r"""\bsay\(\s*["']([a-z_.]+)["']""", source.read_text(encoding="utf-8")))
    assert len(said) > 50  # the pattern still finds the calls
    assert said <= set(language_data.language_data("messages")["en"].root)


def test_the_shipped_files_pass_the_start_up_check():
    language_data.check_all()


@pytest.mark.parametrize(("code", "key", "line", "named"), [
    ("fr", "flow.maybe", 'flow.maybe: "Peut-être"', "flow.maybe: no such key in English"),
    ("de", "welcome", 'welcome: "Hallo! Ich bin der Assistent von {firma}."',
     "welcome: placeholder {firma} is not in the English sentence"),
    ("es", "flow.no", "flow.no: No", "flow.no: Input should be a valid string"),  # YAML reads No as false
    ("es", "orders.eta", 'orders.eta: "Entrega estimada: {date."', "orders.eta: Value error"),
    ("en", "orders.more", 'orders.more: "You have {0} more orders."', "orders.more: Value error"),
])
def test_a_broken_sentence_stops_start_up_naming_the_file_and_the_key(languages_copy, code, key, line, named):
    file = languages_copy / code / "messages.yaml"
    if key == "flow.maybe":
        file.write_text(file.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    else:
        _replace_line(file, key, line)
    with pytest.raises(ConfigError) as failure:
        language_data.check_all()
    assert str(file) in str(failure.value)
    assert named in str(failure.value)


@pytest.mark.parametrize(("content", "named"), [
    ('welcome: "Bonjour {company}\ncsat.thanks: [Merci', "not readable YAML"),
    ('- "Bonjour"\n', "must contain a mapping"),
])
def test_a_file_that_is_not_a_mapping_stops_start_up_naming_the_file(languages_copy, content, named):
    file = languages_copy / "fr" / "messages.yaml"
    file.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=named) as failure:
        language_data.check_all()
    assert str(file) in str(failure.value)


def test_without_the_english_file_start_up_stops(languages_copy):
    (languages_copy / "en" / "messages.yaml").unlink()
    with pytest.raises(ConfigError, match="incomplete") as failure:
        language_data.check_all()
    assert str(languages_copy / "en" / "messages.yaml") in str(failure.value)


def test_a_missing_translation_is_said_in_english(languages_copy):
    english = say("csat.thanks", "en")
    assert say("csat.thanks", "es") != english
    _replace_line(languages_copy / "es" / "messages.yaml", "csat.thanks", None)
    _replace_line(languages_copy / "de" / "messages.yaml", "order_status.delayed", None)
    language_data.reload()
    language_data.check_all()  # an incomplete translation is allowed

    assert say("csat.thanks", "es") == english
    assert say("csat.ask", "es").startswith("¿Qué tal")  # the rest of Spanish is untouched
    assert status_name("delayed", "de") == "delayed"
    assert say("csat.thanks", "pt") == say("csat.thanks", None) == english  # unknown language


def test_a_language_without_a_messages_file_is_said_in_english(languages_copy):
    (languages_copy / "fr" / "messages.yaml").unlink()
    language_data.check_all()
    assert say("orders.eta", "fr", date="2026-12-04") == "Estimated delivery: 2026-12-04."


@pytest.mark.parametrize("domain", ["messages", "signals", "sentiment", "injection", "pii", "entities", "answers",
                                    "intents", "search"])
def test_serving_checks_every_language_file_before_anything_starts(languages_copy, tmp_path, domain):
    """`frontline serve` and build_services call check_configuration first: a broken file of any
    domain stops them with the file named, whichever module reads that domain."""
    from app.config.settings import Settings
    from app.services import check_configuration

    settings = Settings(data_dir=tmp_path / "data")
    assert [tenant.id for tenant in check_configuration(settings)] == ["demo"]  # the shipped copy passes
    file = languages_copy / "de" / f"{domain}.yaml"
    file.write_text("- just a list\n", encoding="utf-8")
    language_data.reload()
    with pytest.raises(ConfigError, match="must contain a mapping") as failure:
        check_configuration(settings)
    assert str(file) in str(failure.value)
