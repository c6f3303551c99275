"""Escalation signals: specialist-queue language in en/es/de/fr, stable fault topics, no false alarms."""

from __future__ import annotations

import json

import pytest

from app.understanding.signals import KINDS, REGULATORY, TOPICS, Signal, detect


def kinds(text: str) -> list[str]:
    return [signal.kind for signal in detect(text)]


def fault(text: str) -> Signal:
    found = [signal for signal in detect(text) if signal.kind == "technical_fault"]
    assert len(found) == 1, (text, detect(text))
    return found[0]


@pytest.mark.parametrize("text", [
    "Please delete my account and all my data.",
    "I want you to erase all my personal data.",
    "I'm exercising my right to be forgotten under the GDPR.",
    "Remove my personal information from your systems",
    "I'd like my account deleted, thanks",
    "DELETE MY ACCOUNT NOW",
    "Cierren mi cuenta y borren mis datos.",
    "Quiero ejercer mi derecho al olvido",
    "Solicito la ELIMINACION de mis datos personales",
    "Por favor, eliminen mi cuenta",
    "Borrad todos mis datos ya",
    "Löschen Sie bitte meine Daten.",
    "Ich berufe mich auf das Recht auf Vergessenwerden",
    "Bitte meine personenbezogenen Daten gemäß DSGVO löschen",
    "LOESCHEN SIE MEIN KONTO",
    "Ich beantrage die Löschung meiner Daten",
    "Supprimez mes données s'il vous plaît",
    "Je demande l'effacement de mes données personnelles (RGPD).",
    "J'invoque mon droit à l'oubli",
    "Veuillez SUPPRIMER MON COMPTE",
    "supprimez toutes mes donnees",
])
def test_requests_to_erase_personal_data_are_data_deletion(text):
    assert kinds(text) == ["data_deletion"]


@pytest.mark.parametrize("text", [
    "I'm going to sue you",
    "My lawyer will be in touch.",
    "I will take legal action if this is not fixed",
    "See you in small claims court",
    "I'll report you to Trading Standards",
    "I am filing a complaint with the ICO",
    "This is a clear GDPR violation",
    "I've contacted my attorney",
    "Voy a hablar con mi ABOGADO",
    "Os voy a denunciar",
    "Lo llevaré a los tribunales",
    "Pondré una reclamación en la OCU",
    "Presentaré una denuncia ante la AEPD",
    "Me voy a quejar ante consumo",
    "Ich schalte meinen Rechtsanwalt ein",
    "Ich werde Sie verklagen!",
    "Wir sehen uns vor Gericht.",
    "Ich gehe zur Verbraucherzentrale",
    "Ich reiche Beschwerde bei der Datenschutzbehörde ein",
    "Das ist ein klarer Verstoß gegen die DSGVO",
    "Je vais contacter mon avocat",
    "Je vais vous poursuivre en justice",
    "Je vais porter plainte",
    "Je saisis la CNIL",
    "J'ai écrit à UFC-Que Choisir",
    "Signalement à la DGCCRF en cours",
])
def test_lawyers_courts_and_regulators_are_legal_threats(text):
    assert kinds(text) == ["legal_threat"]


@pytest.mark.parametrize("text", [
    "I'm blind and use a screen reader",
    "The checkout is not accessible to keyboard-only users",
    "Please add captions to your videos, there are no captions and I am deaf",
    "I use a wheelchair, is the pickup point step-free?",
    "Your site fails WCAG 2.1 AA",
    "My son has dyslexia and struggles with the form",
    "Your website is not ADA compliant",
    "I'm visually impaired and the contrast is too low",
    "Soy ciego y uso un LECTOR DE PANTALLA",
    "La web no tiene accesibilidad",
    "Mi madre es sorda y la tienda no tiene subtitulos",
    "Voy en silla de ruedas",
    "Ihre Seite ist nicht barrierefrei",
    "BARRIEREFREIHEIT fehlt komplett",
    "Ich bin blind und nutze einen Screenreader",
    "Ich bin gehörlos",
    "Mein Vater ist sehbehindert",
    "Je suis aveugle",
    "Le site n'est pas compatible avec mon lecteur d'écran",
    "L'accessibilité de votre site est nulle",
    "Je suis malvoyante",
    "Mon fils est sourd",
    "Je me déplace en fauteuil roulant",
])
def test_accessibility_needs_and_complaints_are_accessibility(text):
    assert kinds(text) == ["accessibility"]


@pytest.mark.parametrize(("text", "topic"), [
    ("The app keeps crashing", "app"),
    ("I get error E42 when I pay", "error:E42"),
    ("I can't log in since this morning", "login"),
    ("The website won't load, just a blank screen", "website"),
    ("The device won't turn on", "device"),
    ("The payment page shows an error", "payment"),
    ("My printer keeps disconnecting from the wifi", "connection"),
    ("Getting code 0x80070005 on install", "error:0X80070005"),
    ("Calendar sync stopped working yesterday", "sync"),
    ("Something is not working", "general"),
    ("La app se cuelga", "app"),
    ("No puedo iniciar sesión", "login"),
    ("Me da error 503 al pagar", "error:503"),
    ("La página no carga", "website"),
    ("El correo no funciona desde ayer", "email"),
    ("Die App stürzt ständig ab", "app"),
    ("Ich kann mich nicht anmelden", "login"),
    ("Fehler 503 beim Bezahlen", "error:503"),
    ("Die Webseite lädt nicht", "website"),
    ("Das Gerät verbindet sich nicht mit dem WLAN", "connection"),
    ("L'application plante", "app"),
    ("Impossible de me connecter", "login"),
    ("Message d'erreur au moment du paiement", "payment"),
    ("Le site ne charge pas", "website"),
    ("Mes e-mails ne se synchronisent pas, ça bug", "email"),
])
def test_reports_of_broken_things_are_technical_faults_with_a_topic(text, topic):
    signals = detect(text)
    assert [s.kind for s in signals] == ["technical_fault"]
    assert signals[0].topic == topic


@pytest.mark.parametrize(("topic", "texts"), [
    ("app", ["the app keeps crashing", "la app se cuelga", "die App stürzt ständig ab", "l'application plante"]),
    ("login", ["I can't log in", "No puedo iniciar sesión", "Ich kann mich nicht anmelden",
               "Impossible de me connecter"]),
    ("payment", ["The payment page shows an error", "Me da error al pagar", "Die Zahlung funktioniert nicht",
                 "Le paiement ne fonctionne pas"]),
    ("website", ["The website won't load", "La página web no carga", "Die Webseite lädt nicht",
                 "Le site ne charge pas"]),
    ("connection", ["My router keeps disconnecting from the wifi", "Se desconecta del wifi constantemente",
                    "Das Gerät verbindet sich nicht mit dem WLAN", "L'appareil se déconnecte du wifi"]),
    ("error:E42", ["Error E42 again", "Me sale el código de error E42", "Fehlercode E-42 beim Start",
                   "Erreur e42 au démarrage"]),
])
def test_the_same_problem_gets_the_same_topic_in_every_language(topic, texts):
    assert [fault(text).topic for text in texts] == [topic] * 4


@pytest.mark.parametrize(("text", "topic"), [
    ("Error: E42", "error:E42"),
    ("error code 42 in the app", "error:42"),
    ("Fehlercode: 0x80070005", "error:0X80070005"),
    ("Código de error ERR-1001 en la app", "error:ERR1001"),
    ("L'appli plante avec l'erreur 500", "error:500"),
    ("the app crashes, error ERR_1001.", "error:ERR1001"),
])
def test_an_explicit_error_code_is_the_topic_and_beats_any_category(text, topic):
    assert fault(text).topic == topic


@pytest.mark.parametrize("text", [
    "I got the error 2 times today and the app crashed",
    "The app crashed on order BW-10234",
])
def test_numbers_that_are_not_error_codes_do_not_become_the_topic(text):
    assert fault(text).topic == "app"


@pytest.mark.parametrize("text", [
    # en
    "How do I delete a saved card?",
    "Please delete my old address from my profile",
    "I want to cancel my subscription",
    "My order hasn't arrived yet",
    "I want a refund for order BW-10234",
    "Can I change my password?",
    "Does the car come with a blind spot sensor?",
    "This is a joke, where is my parcel?",
    "How do I remove an item from my cart?",
    "My discount code is not working",
    "There's an error on my invoice, I was charged twice",
    "That date doesn't work for me, can we reschedule?",
    "I have power of attorney for my mother's account",
    "My complaint fell on deaf ears last time",
    "I ordered a roller blind in the wrong size",
    "Is roaming included in my data plan?",
    "If you don't refund me I'll file a chargeback with my bank",
    "Is your service GDPR compliant?",
    "How do I turn off subtitles?",
    "Can I get a copy of my personal data?",
    "I'm not working this week, please deliver on Monday",
    "I talked to Sue yesterday about my order",
    "I'm a lawyer and need an invoice with VAT",
    "I got an error in my order, wrong size delivered",
    "The gift card doesn't work",
    # es
    "¿Cómo elimino una tarjeta guardada?",
    "Quiero cancelar mi suscripción",
    "Mi pedido no ha llegado todavía",
    "Quiero un reembolso",
    "¿Puedo cambiar mi contraseña?",
    "Mi código de descuento no funciona",
    "¿Cómo funciona la devolución?",
    "Hay mucha demanda estos días, ¿cuándo hay stock?",
    "Quiero borrar la dirección antigua",
    "Hay un error en mi factura",
    "Lo compré a ciegas, sin ver fotos",
    "¿Tiene sensor de punto ciego?",
    "A mi juicio el precio es alto",
    "Eliminen los datos de la tarjeta antigua",
    "Quiero denunciar un correo de phishing que recibí",
    # de
    "Wie lösche ich eine gespeicherte Karte?",
    "Ich möchte mein Abo kündigen",
    "Meine Bestellung ist noch nicht angekommen",
    "Ich möchte eine Rückerstattung",
    "Kann ich mein Passwort ändern?",
    "Mein Gutscheincode funktioniert nicht",
    "Das Gericht war kalt, als es ankam",
    "Ich will mich nicht beklagen, aber die Lieferung war spät",
    "Entschuldigen Sie die Störung, wo ist mein Paket?",
    "Es gibt einen Fehler in meiner Rechnung",
    "Kann ich meine alte Adresse löschen?",
    # fr
    "Comment supprimer une carte enregistrée ?",
    "Je veux résilier mon abonnement",
    "Ma commande n'est pas arrivée",
    "Je voudrais un remboursement",
    "Puis-je changer mon mot de passe ?",
    "Mon code promo ne marche pas",
    "Les avocats étaient trop mûrs",
    "J'ai commandé une plante verte, quand arrive-t-elle ?",
    "Il y a une erreur sur ma facture",
    "Supprimez mon ancienne adresse s'il vous plaît",
    "Vous faites la sourde oreille depuis une semaine",
    "J'ai acheté ce canapé à l'aveugle",
    "Ça ne marche pas pour moi ce jour-là",
])
def test_everyday_support_messages_raise_no_signal(text):
    assert detect(text) == []


def test_every_kind_in_one_mixed_language_message_comes_in_a_fixed_order():
    text = "Soy sordo. Die App stürzt ständig ab, I will call my lawyer, et supprimez mon compte."
    signals = detect(text)
    assert [s.kind for s in signals] == list(KINDS) == ["data_deletion", "legal_threat", "accessibility",
                                                       "technical_fault"]
    assert [s.phrase for s in signals] == ["supprimez mon compte", "lawyer", "Soy sordo", "stürzt ständig ab"]
    assert signals[3].topic == "app"
    assert all(s.topic is None for s in signals[:3])


def test_a_gdpr_deletion_request_is_deletion_only_but_naming_a_regulator_is_a_threat_too():
    assert kinds("Under the GDPR, delete all my personal data") == ["data_deletion"]
    assert kinds("Delete my data or I will complain to the CNIL") == ["data_deletion", "legal_threat"]
    assert kinds("Your GDPR breach will be reported") == ["legal_threat"]


def test_a_promo_code_fault_counts_when_an_error_code_is_quoted():
    assert fault("My promo code gives error E42").topic == "error:E42"


@pytest.mark.parametrize(("text", "phrase"), [
    ("Por favor, ELIMINACIÓN de mis datos personales!", "ELIMINACIÓN de mis datos personales"),
    ("Ich  möchte   die Löschung\nmeiner Daten", "Löschung\nmeiner Daten"),
    ("Mon appli a PLANTÉ hier", "PLANTÉ"),
    ("I’m going to SUE YOU", "going to SUE"),
    ("BARRIEREFREIHEIT?", "BARRIEREFREIHEIT"),
])
def test_the_phrase_is_the_customers_own_words(text, phrase):
    signal = detect(text)[0]
    assert signal.phrase == phrase
    assert signal.phrase in text


def test_accents_and_case_do_not_change_the_result():
    for variants in (["eliminación de mis datos", "eliminacion de mis datos", "ELIMINACIÓN DE MIS DATOS"],
                     ["Barrierefreiheit fehlt", "BARRIEREFREIHEIT fehlt", "barrierefreiheit fehlt"],
                     ["Die App stürzt ab", "die app stuerzt ab", "DIE APP STÜRZT AB"]):
        assert len({(s.kind, s.topic) for v in variants for s in detect(v)}) == 1


def test_as_trace_is_json_safe_and_always_has_the_same_keys():
    signals = detect("Mi abogado os llamará: la app da error 0x1F4A")
    traces = [s.as_trace() for s in signals]
    assert traces == [
        {"kind": "legal_threat", "phrase": "abogado", "topic": None},
        {"kind": "technical_fault", "phrase": "da error", "topic": "error:0X1F4A"},
    ]
    assert json.loads(json.dumps(traces)) == traces


def test_public_vocabulary():
    assert sorted(REGULATORY) == ["accessibility", "data_deletion", "legal_threat"]
    assert set(KINDS) - REGULATORY == {"technical_fault"}
    assert TOPICS == ("connection", "login", "payment", "email", "sync", "app", "website", "device", "general")


def test_signals_are_frozen():
    signal = detect("I'm going to sue you")[0]
    with pytest.raises(AttributeError):
        signal.kind = "accessibility"  # type: ignore[misc]
