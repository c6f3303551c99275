"""Sentiment and frustration: real messages in en/es/de/fr, signals that explain, monotonic frustration."""

from __future__ import annotations

import pytest

from app.understanding.sentiment import assess


@pytest.mark.parametrize(("text", "language"), [
    ("This is ridiculous, the app is useless and your support is the worst", "en"),
    ("Es vergonzoso, la aplicación es inútil y horrible", "es"),
    ("Das ist unverschämt, die App ist nutzlos und schrecklich", "de"),
    ("C'est nul, l'appli est inutile, c'est honteux", "fr"),
])
def test_angry_messages_in_every_language_are_negative(text, language):
    result = assess(text, language=language)
    assert result.label == "negative"
    assert "negative_words" in result.signals
    assert result.score < -0.3 and result.frustration > 0.3


@pytest.mark.parametrize(("text", "language"), [
    ("Thanks, that was perfect!", "en"),
    ("¡Genial, muchas gracias!", "es"),
    ("Super, danke! Das war sehr hilfreich.", "de"),
    ("Parfait, merci beaucoup !", "fr"),
])
def test_grateful_messages_in_every_language_are_positive(text, language):
    result = assess(text, language=language)
    assert result.label == "positive" and result.score > 0.3
    assert result.frustration == 0 and result.signals == []


@pytest.mark.parametrize(("text", "language"), [
    ("Where is my order BW-10234?", "en"),
    ("¿Cuándo llega mi pedido?", "es"),
    ("Wie ändere ich meine Rechnungsadresse?", "de"),
    ("Comment changer mon mot de passe ?", "fr"),
    ("Ich habe ein Problem mit dem Bad-Thermostat", "de"),  # German "Bad" is a bathroom
])
def test_plain_questions_are_neutral(text, language):
    result = assess(text, language=language)
    assert (result.label, result.score, result.frustration, result.signals) == ("neutral", 0, 0, [])


@pytest.mark.parametrize(("text", "language"), [
    ("It's not good at all", "en"),
    ("La app no funciona", "es"),
    ("Das ist nicht gut", "de"),
    ("Ça ne marche pas", "fr"),
    ("It doesn't work", "en"),
    ("Die Heizung funktioniert immer noch nicht", "de"),
])
def test_negated_praise_and_broken_things_are_complaints(text, language):
    result = assess(text, language=language)
    assert "negative_words" in result.signals and result.label == "negative"


@pytest.mark.parametrize("text", ["Not bad", "No está mal, nada horrible", "Nicht schlecht", "No problem, great job",
                                  "No thanks, all good"])
def test_negated_complaints_and_polite_refusals_are_not_negative(text):
    result = assess(text)
    assert result.label != "negative" and "negative_words" not in result.signals


@pytest.mark.parametrize("text", ["Thanks for nothing", "Gracias por nada", "Danke für nichts", "Merci pour rien"])
def test_sarcastic_thanks_is_not_gratitude(text):
    assert assess(text).label == "negative"


def test_shouting_counts_only_in_messages_long_enough():
    assert "all_caps" in assess("WHERE IS MY ORDER I HAVE BEEN WAITING").signals
    assert "all_caps" in assess("WO BLEIBT MEINE BESTELLUNG").signals
    for short in ("OK", "GDPR?", "BW-10234 INV-2026-0412"):
        assert "all_caps" not in assess(short).signals


def test_runs_of_exclamation_or_question_marks_count_but_a_single_one_does_not():
    for text in ("Where is it!!!", "¡¡¡Todavía nada!!!", "Wo ist es???", "Quoi ?!"):
        assert "exclamations" in assess(text).signals, text
    for text in ("Where is it?", "Hello!", "really??"):
        assert "exclamations" not in assess(text).signals, text


def test_enthusiastic_shouting_is_not_frustration():
    result = assess("THANK YOU SO MUCH, THAT WAS PERFECT!!!")
    assert result.label == "positive" and result.frustration == 0 and result.signals == []


@pytest.mark.parametrize(("text", "history"), [
    ("WHERE IS MY ORDER???", ["Hello", "Where is my order?"]),
    ("¿Dónde está mi reembolso? Ya lo pregunté", ["¿dónde está mi reembolso?"]),
    ("Ich will mein Geld zurück, bitte", ["Ich will mein Geld zurück!"]),
    ("Je veux annuler ma commande BW-10234 !", ["je veux annuler ma commande bw-10234"]),
])
def test_repeating_a_recent_message_is_a_signal(text, history):
    assert "repetition" in assess(text, history).signals


def test_a_different_or_old_or_tiny_message_is_not_repetition():
    assert "repetition" not in assess("Where is my invoice?", ["Where is my order?"]).signals
    old = ["Where is my order?", "a", "b", "c", "d", "e"]  # said six messages ago
    assert "repetition" not in assess("Where is my order?", old).signals
    assert "repetition" not in assess("ok thanks", ["ok thanks"]).signals


def test_failures_count_from_two_in_a_row_and_grow():
    frustration = [assess("ok", failures=n).frustration for n in range(7)]
    assert frustration[0] == frustration[1] == 0
    assert frustration[2] < frustration[3] < frustration[4] == frustration[6]
    assert assess("ok", failures=2).signals == ["repeated_failures"]


@pytest.mark.parametrize(("text", "signal"), [
    ("If this is not fixed today I'll cancel", "threat_to_leave"),
    ("I'm switching to a competitor", "threat_to_leave"),
    ("Si no lo arreglan me doy de baja", "threat_to_leave"),
    ("Dann kündige ich eben, ich werde den Vertrag kündigen", "threat_to_leave"),
    ("Je vais résilier mon abonnement", "threat_to_leave"),
    ("My lawyer will hear about this", "legal_threat"),
    ("I will sue you, this breaks GDPR and consumer protection law", "legal_threat"),
    ("Voy a hablar con mi abogado", "legal_threat"),
    ("Ich schalte meinen Anwalt ein und gehe zur Verbraucherzentrale", "legal_threat"),
    ("Je vais contacter un avocat et porter plainte", "legal_threat"),
    ("What the fuck is going on", "profanity"),
    ("Esto es una mierda", "profanity"),
    ("So ein Scheiß", "profanity"),
    ("Putain, encore en panne", "profanity"),
])
def test_threats_and_profanity_in_every_language(text, signal):
    result = assess(text)
    assert signal in result.signals and result.label == "negative"


@pytest.mark.parametrize("text", ["Sue from your team was great, thanks", "How do I cancel an order?",
                                  "Kann ich meine Bestellung ändern?", "¿Cómo cancelo un pedido?",
                                  "Comment annuler une commande ?", "Das Gericht war lecker"])
def test_ordinary_sentences_are_not_threats(text):
    signals = assess(text).signals
    assert "threat_to_leave" not in signals and "legal_threat" not in signals


def test_frustration_rises_with_every_signal_added():
    text = "Where is my order, this is ridiculous"
    steps: list[tuple[str, bool, int]] = [("Where is my order", False, 0), (text, False, 0)]
    text += " and useless"
    steps.append((text, False, 0))
    text = text.upper()
    steps.append((text, False, 0))
    text += "!!!"
    steps += [(text, False, 0), (text, True, 0), (text, True, 2), (text, True, 4)]
    for extra in (" I'll cancel", " My lawyer will call", " Damn"):
        text += extra.upper()
        steps.append((text, True, 4))
    # repeated: the customer sent this same message just before
    results = [assess(t, [t.lower()] if repeated else [], failures=f) for t, repeated, f in steps]
    frustration = [r.frustration for r in results]
    assert frustration == sorted(frustration) and len(set(frustration)) == len(frustration)
    assert [len(r.signals) for r in results] == sorted(len(r.signals) for r in results)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    assert set(results[-1].signals) == {"negative_words", "all_caps", "exclamations", "repetition",
                                        "repeated_failures", "threat_to_leave", "legal_threat", "profanity"}
    assert 0.95 < results[-1].frustration < 1 and results[-1].score >= -1


@pytest.mark.parametrize("text", ["terrible", "I'll cancel", "my lawyer", "WHERE IS MY ORDER NOW", "why!!!", "shit"])
def test_adding_a_signal_to_any_message_never_lowers_frustration(text):
    for other in ("", "thanks", "this is useless", "esto no funciona"):
        alone = assess(other).frustration
        assert assess(f"{other} {text}").frustration >= alone


@pytest.mark.parametrize("text", ["", "   ", "🙂", "🤷"])
def test_empty_and_emoji_only_text_is_neutral_or_follows_the_emoji(text):
    result = assess(text)
    assert result.frustration == 0 and result.signals == []
    assert result.label == ("positive" if text == "🙂" else "neutral")


def test_angry_emoji_count_as_negative():
    assert assess("😡😡").label == "negative"


def test_mixed_case_and_missing_accents_still_match():
    assert "negative_words" in assess("UnAcCePtAbLe").signals
    assert assess("es inutil y vergonzoso", language="es").label == "negative"
    assert assess("UNVERSCHAEMT", language="de").label == "negative"


def test_very_long_text_stays_bounded():
    text = "This is useless!!! " * 5_000
    result = assess(text, [text] * 10, failures=50)
    assert -1 <= result.score <= 0 and 0 < result.frustration < 1


def test_trace_is_rounded_and_plain():
    trace = assess("This is useless!!!", failures=3).as_trace()
    assert trace["label"] == "negative"
    assert trace["signals"] == ["negative_words", "exclamations", "repeated_failures"]
    assert isinstance(trace["score"], float) and len(str(trace["frustration"]).split(".")[1]) <= 3
