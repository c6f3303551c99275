"""Signal and sentiment lexicons as per-language files: shipped complete, validated, and the only source."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core import language_data
from app.core.errors import ConfigError
from app.understanding.sentiment import assess
from app.understanding.signals import NAMED_TOPICS, detect


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def load_error() -> str:
    with pytest.raises(ConfigError) as caught:
        language_data.check_all()
    return str(caught.value)


@pytest.mark.parametrize("domain", ["signals", "sentiment"])
def test_every_shipped_language_has_both_lexicons(domain):
    assert tuple(language_data.language_data(domain)) == language_data.languages()
    assert set(language_data.languages()) >= {"en", "es", "de", "fr"}


def test_every_shipped_language_names_fault_topics_with_the_shared_keys():
    for code, lexicon in language_data.language_data("signals").items():
        assert lexicon.topics, code
        assert set(lexicon.topics) <= set(NAMED_TOPICS), code


def test_an_entry_that_is_not_a_regex_names_the_file_and_the_entry(languages_copy):
    path = languages_copy / "fr" / "signals.yaml"
    edit(path, "not_a_fault:\n", "not_a_fault:\n  - code (promo\n")
    message = load_error()
    assert str(path) in message and "not_a_fault" in message and "'code (promo'" in message


def test_an_unknown_topic_names_the_file_and_the_topic(languages_copy):
    path = languages_copy / "de" / "signals.yaml"
    edit(path, "\n  device:\n", "\n  drucker:\n")
    message = load_error()
    assert str(path) in message and "topics" in message and "'drucker'" in message


def test_an_unknown_shorthand_names_the_file_and_the_entry(languages_copy):
    path = languages_copy / "es" / "signals.yaml"
    edit(path, "data_deletion:\n", "data_deletion:\n  - borrar {mis_datos}\n")
    message = load_error()
    assert str(path) in message and "'borrar {mis_datos}'" in message and "shorthands" in message


def test_a_bad_sentiment_phrase_or_a_phrase_among_words_names_the_file_and_the_entry(languages_copy):
    path = languages_copy / "en" / "sentiment.yaml"
    edit(path, "complaints:\n", "complaints:\n  - fed up (?:with\n")
    message = load_error()
    assert str(path) in message and "complaints" in message and "'fed up (?:with'" in message

    edit(path, "  - fed up (?:with\n", "")
    edit(path, "negative_words:\n", "negative_words:\n  - fed up\n")
    language_data.reload()
    message = load_error()
    assert str(path) in message and "negative_words" in message and "'fed up' is not one word" in message


def test_a_language_without_lexicon_files_detects_nothing_in_that_language(languages_copy):
    french = ["L'application plante sans arrêt", "Je vais porter plainte contre vous"]
    assert [[s.kind for s in detect(text)] for text in french] == [["technical_fault"], ["legal_threat"]]
    assert assess("C'est nul, c'est honteux").label == "negative"

    (languages_copy / "fr" / "signals.yaml").unlink()
    (languages_copy / "fr" / "sentiment.yaml").unlink()
    language_data.reload()
    language_data.check_all()

    assert [detect(text) for text in french] == [[], []]
    assert assess("C'est nul, c'est honteux").label == "neutral"
    assert [s.kind for s in detect("The app keeps crashing")] == ["technical_fault"]
    assert assess("This is useless and I am angry").label == "negative"


def test_detection_reads_the_files_so_a_translator_adds_words_there(languages_copy):
    assert detect("the gizmo went kaput again") == []
    assert assess("what a shambles").label == "neutral"

    signals = languages_copy / "en" / "signals.yaml"
    edit(signals, "technical_fault:\n", "technical_fault:\n  - Went Kapüt\n")
    edit(signals, "  device:\n", "  device:\n    - gizmos?\n")
    # entries are folded when read; any language's file counts in every message
    edit(languages_copy / "es" / "sentiment.yaml", "negative_words:\n", "negative_words:\n  - SHAMBLÉS\n")
    language_data.reload()

    [signal] = detect("the gizmo went kaput again")
    assert (signal.kind, signal.phrase, signal.topic) == ("technical_fault", "went kaput", "device")
    assert assess("what a shambles").signals == ["negative_words"]
