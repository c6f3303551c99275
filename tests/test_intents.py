"""Intent classifier behaviour with the real embedding models and the demo tenant's intents."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from app.core.errors import ConfigError
from app.understanding.intents import K_CANDIDATES, IntentClassifier, IntentResult
from knowledge.embedder import Embedder

DEMO_INTENTS = Path(__file__).resolve().parents[1] / "demo" / "intents.yaml"


@pytest.fixture(scope="session")
def routed(embedder: Embedder, multilingual_embedder: Embedder) -> IntentClassifier:
    """The production pair: the English model for English, the multilingual one for the rest."""
    return IntentClassifier.from_file(embedder, DEMO_INTENTS, multilingual=multilingual_embedder)


@pytest.fixture(scope="session")
def multilingual_only(multilingual_embedder: Embedder) -> IntentClassifier:
    return IntentClassifier.from_file(multilingual_embedder, DEMO_INTENTS)


class CountingEmbedder:
    """Wraps a real embedder and counts the texts it was asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name, self.dim, self.revision = inner.name, inner.dim, inner.revision
        self.languages, self.relevance_floor = inner.languages, inner.relevance_floor
        self.embedded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += len(texts)
        return self.inner.embed(texts)


# Phrasings that are not among the exemplars, in each language the demo tenant serves.
KNOWN = [
    ("en", "has my parcel left the warehouse yet?", "order_status"),
    ("es", "¿Ya enviaron mi paquete? Lo pedí hace una semana", "order_status"),
    ("de", "Ist meine Bestellung schon unterwegs?", "order_status"),
    ("fr", "Quand vais-je recevoir mon colis ?", "order_status"),
    ("en", "hello there", "greeting"),
    ("es", "Buenas tardes", "greeting"),
    ("de", "Guten Morgen", "greeting"),
    ("fr", "Bonsoir", "greeting"),
    ("en", "thanks a lot, that sorted it", "thanks"),
    ("es", "Mil gracias", "thanks"),
    ("de", "Danke schön, das hat geholfen", "thanks"),
    ("fr", "Merci, c'est parfait", "thanks"),
    ("en", "see you later, bye", "goodbye"),
    ("es", "Nos vemos, adiós", "goodbye"),
    ("de", "Bis später, tschüss", "goodbye"),
    ("fr", "À bientôt, au revoir", "goodbye"),
]

# The demo tenant's task intents (the flows in app/conversation/flows), phrased unlike the exemplars and
# unlike bench/data/demo_intents_dev.jsonl.
TASKS = [
    ("en", "Could you email me the invoice for BW-10401 once more?", "invoice_copy"),
    ("en", "I need my receipt resent, the first email never came", "invoice_copy"),
    ("de", "Schicken Sie mir bitte eine Kopie der Rechnung INV-2026-0350", "invoice_copy"),
    ("fr", "Vous pouvez me réexpédier ma facture ? Je ne la trouve plus", "invoice_copy"),
    ("en", "I can't sign in, I think I forgot my password", "password_reset"),
    ("en", "please send me a link to set a new password", "password_reset"),
    ("es", "Olvidé mi contraseña y no puedo acceder a la app", "password_reset"),
    ("fr", "Impossible de me connecter, j'ai perdu mon mot de passe", "password_reset"),
    ("en", "I'd like my money back for the plug I ordered, it arrived broken", "refund_request"),
    ("es", "Quiero un reembolso del cargo de este mes", "refund_request"),
    ("de", "Ich verlange eine Rückerstattung für die Bestellung BW-10377", "refund_request"),
    ("en", "I want to cancel order BW-10390, I don't need it anymore", "cancellation"),
    ("en", "I'd like to stop paying for Pro, cancel it please", "cancellation"),
    ("es", "Ya no quiero el pedido BW-10390, anuladlo", "cancellation"),
    ("de", "Ich möchte mein Abonnement kündigen, bitte", "cancellation"),
    ("en", "Please deliver BW-10390 to a different address", "address_change"),
    ("en", "I gave you the wrong delivery address, can you fix it?", "address_change"),
    ("es", "¿Podéis cambiar la dirección de envío del pedido BW-10390?", "address_change"),
    ("fr", "Pouvez-vous changer l'adresse de livraison de BW-10390 ?", "address_change"),
]

# Requests the demo tenant may miss (it then answers from the help center, which covers each
# of them); what must never happen is that they start a different task.
MAY_BE_MISSED = [
    ("es", "¿Me mandáis de nuevo la factura de diciembre?", "invoice_copy"),
    ("en", "Please refund the subscription payment you took yesterday", "refund_request"),
]

# Informational questions the help center answers: they must not start a task (or get small
# talk). The demo tenant's `question` intent is what keeps them apart; see demo/intents.yaml.
HELP_CENTER = [
    ("de", "Wie lange dauert der Versand nach Deutschland und was kostet er?"),
    ("en", "How long does delivery to Canada take and what does it cost?"),
    ("en", "What features does the Business plan have?"),
    ("en", "Can I protect my login with a code from an authenticator app?"),
    ("en", "My smart plug stopped responding, what can I do?"),
    ("en", "Do you share my energy data with anyone?"),
    ("es", "¿Cuánto cuesta el envío a México y cuánto tarda?"),
    ("es", "¿Qué incluye el plan Plus?"),
    ("es", "El hub se desconecta cada noche, ¿qué puedo hacer?"),
    ("es", "¿Vendéis mis datos a terceros?"),
    ("de", "Was kostet der Pro-Tarif im Monat?"),
    ("de", "Mein Smart Plug reagiert nicht mehr, was tun?"),
    ("de", "Wie schalte ich die Zwei-Faktor-Anmeldung ein?"),
    ("fr", "Combien de temps faut-il pour être livré en Belgique ?"),
    ("fr", "Quels sont les tarifs des abonnements ?"),
    ("fr", "Comment configurer la double authentification ?"),
    ("fr", "Le hub n'arrive pas à se connecter au wifi"),
    ("fr", "Partagez-vous mes données avec d'autres sociétés ?"),
]
TASK_INTENTS = {"order_status", "invoice_copy", "password_reset", "refund_request", "cancellation", "address_change"}

OUT_OF_SCOPE = [
    ("en", "What is the capital of Australia?"),
    ("en", "How do I reverse a linked list in Python?"),
    ("es", "¿Cuál es la capital de Australia?"),
    ("de", "Was ist die Hauptstadt von Australien?"),
    ("fr", "Quelle est la capitale de l'Australie ?"),
    ("fr", "Tu connais une blague sur les chats ?"),
]


@pytest.mark.parametrize(("language", "text", "intent"), KNOWN)
def test_known_intents_map_in_every_language(routed: IntentClassifier, multilingual_only: IntentClassifier,
                                             language: str, text: str, intent: str) -> None:
    for classifier in (routed, multilingual_only):
        result = classifier.classify(text, language)
        assert (result.name, result.out_of_scope) == (intent, False), result
        assert result.method.startswith("exemplars:")


@pytest.mark.parametrize(("language", "text", "intent"), TASKS)
def test_task_requests_map_in_english_and_other_languages(routed: IntentClassifier,
                                                          multilingual_only: IntentClassifier,
                                                          language: str, text: str, intent: str) -> None:
    for classifier in (routed, multilingual_only):
        result = classifier.classify(text, language)
        assert (result.name, result.out_of_scope) == (intent, False), result


@pytest.mark.parametrize(("language", "text", "intent"), MAY_BE_MISSED)
def test_a_missed_request_never_starts_another_task(routed: IntentClassifier, language: str, text: str,
                                                    intent: str) -> None:
    result = routed.classify(text, language)
    assert result.name in (intent, None, "question"), result


@pytest.mark.parametrize(("language", "text"), HELP_CENTER)
def test_help_center_questions_do_not_start_a_task(routed: IntentClassifier, multilingual_only: IntentClassifier,
                                                   language: str, text: str) -> None:
    for classifier in (routed, multilingual_only):
        result = classifier.classify(text, language)
        assert result.name in (None, "question"), result  # both are answered from the help center


def test_the_demo_tenant_has_every_task_the_flows_need(routed: IntentClassifier) -> None:
    assert TASK_INTENTS | {"human_handoff", "question", "greeting", "thanks", "goodbye"} == set(routed.intents)


def test_language_picks_the_model(routed: IntentClassifier) -> None:
    assert "MiniLM" in routed.classify("hello there", "en").method
    assert routed.classify("Buenas tardes", "es").method == "exemplars:use-multilingual-v3"
    assert "MiniLM" in routed.classify("hello there").method  # no language: the primary model


@pytest.mark.parametrize(("language", "text"), OUT_OF_SCOPE)
def test_out_of_scope_text_gets_no_intent(routed: IntentClassifier, language: str, text: str) -> None:
    result = routed.classify(text, language)
    assert result.name is None, result
    assert result.out_of_scope
    assert result.runners_up, "a declined message still shows its best candidates"


def test_rules_are_checked_first_with_full_confidence(embedder: Embedder) -> None:
    refund = re.compile(r"\brefund\b", re.IGNORECASE)
    classifier = IntentClassifier.from_file(embedder, DEMO_INTENTS, rules=[(refund, "refund_request")])
    result = classifier.classify("Hi! where is my order? I want a refund")
    assert result == IntentResult("refund_request", 1.0, [], "rule", False)


def test_default_rule_catches_requests_for_a_person(routed: IntentClassifier) -> None:
    for text, language in [("hello, can I speak to a real person?", "en"),
                           ("Hola, quiero hablar con una persona", "es"),
                           ("Je voudrais parler à un conseiller", "fr"),
                           ("Ich möchte mit einem Mitarbeiter sprechen", "de")]:
        result = routed.classify(text, language)
        assert (result.name, result.confidence, result.method) == ("human_handoff", 1.0, "rule")


@pytest.mark.parametrize(("language", "text"), [
    ("en", "are you a bot?"), ("en", "Am I talking to a real person?"), ("en", "r u human"),
    ("en", "Is this an automated assistant or a person?"), ("en", "you're a robot, aren't you"),
    ("es", "¿Hablo con una persona de verdad?"), ("de", "Sind Sie ein echter Mensch?"), ("fr", "T'es un robot ?"),
])
def test_a_question_whether_the_assistant_is_a_bot_is_not_a_request_for_a_person(
        routed: IntentClassifier, language: str, text: str) -> None:
    result = routed.classify(text, language)
    assert (result.name, result.confidence, result.method) == ("bot_identity", 1.0, "rule"), result


@pytest.mark.parametrize("text", ["Are you a bot? Then get me a human.", "are you a person? I want to talk to someone",
                                  "Is there a human I can talk to?", "I want a human"])
def test_a_request_for_a_person_wins_over_a_bot_question(routed: IntentClassifier, text: str) -> None:
    assert routed.classify(text, "en").name == "human_handoff"


def test_a_rule_yields_to_a_later_rule_matching_the_rest_of_the_message(embedder: Embedder) -> None:
    rules = [(re.compile(r"\bstatus of my refund\b", re.I), "order_status"),
             (re.compile(r"\brefund\b", re.I), "refund")]
    classifier = IntentClassifier(embedder, {}, rules=rules)
    assert classifier.classify("what is the status of my refund?").name == "order_status"
    assert classifier.classify("status of my refund? and I want a refund for BW-1").name == "refund"
    assert classifier.classify("nothing matches").name is None


def test_the_rule_does_not_fire_on_a_word_about_staff(routed: IntentClassifier) -> None:
    result = routed.classify("Können eure Support-Mitarbeiter meine Daten einsehen?", "de")
    assert result.method != "rule" and result.name != "human_handoff", result


def test_without_rules_the_exemplars_still_find_a_handoff(embedder: Embedder) -> None:
    classifier = IntentClassifier.from_file(embedder, DEMO_INTENTS, rules=())
    result = classifier.classify("please put me through to someone from your team")
    assert result.name == "human_handoff"
    assert result.method.startswith("exemplars:")


@pytest.mark.parametrize(("language", "text"),
                         [(lang, text) for lang, text, _ in KNOWN + TASKS] + HELP_CENTER + OUT_OF_SCOPE)
def test_confidences_are_probabilities_in_order(routed: IntentClassifier, language: str, text: str) -> None:
    result = routed.classify(text, language)
    scores = [result.confidence] + [score for _, score in result.runners_up]
    assert all(0.0 <= score <= 1.0 for score in scores)
    names = [name for name, _ in result.runners_up]
    if result.name is None:
        assert result.runners_up[0][1] == result.confidence  # the declined best candidate comes first
        scores = scores[1:]
    else:
        assert result.name not in names
    assert scores == sorted(scores, reverse=True)
    assert len(names) == len(set(names)) <= 3
    assert sum(scores) <= 1.0 + 1e-3


def test_calibration_is_fitted_per_model(routed: IntentClassifier) -> None:
    fitted = routed.calibrations
    assert [c.embedder for c in fitted][1] == "use-multilingual-v3"
    for calibration in fitted:
        assert calibration.k in K_CANDIDATES
        assert 0.0 < calibration.temperature < 2.0
        assert -1.0 <= calibration.floor <= 1.0
        assert 0.0 <= calibration.cv_ece <= 1.0 and 0.5 < calibration.cv_accuracy <= 1.0


def test_building_twice_gives_the_same_answers(multilingual_embedder: Embedder,
                                               multilingual_only: IntentClassifier) -> None:
    again = IntentClassifier.from_file(multilingual_embedder, DEMO_INTENTS)
    assert again.calibrations[0].temperature == multilingual_only.calibrations[0].temperature
    assert again.classify("Wo bleibt mein Paket?", "de") == multilingual_only.classify("Wo bleibt mein Paket?", "de")


def test_cached_exemplars_are_not_embedded_again(multilingual_embedder: Embedder, tmp_path: Path) -> None:
    exemplars = {"greeting": ["hi", "hello", "good morning"], "goodbye": ["bye", "see you", "good night"]}
    first = CountingEmbedder(multilingual_embedder)
    IntentClassifier(first, exemplars, cache_dir=tmp_path)
    assert first.embedded == 6
    second = CountingEmbedder(multilingual_embedder)
    classifier = IntentClassifier(second, {**exemplars, "thanks": ["thank you"]}, cache_dir=tmp_path)
    assert second.embedded == 1  # only the new exemplar
    (tmp_path / next(p.name for p in tmp_path.iterdir())).write_bytes(b"not a numpy file")
    third = CountingEmbedder(multilingual_embedder)
    rebuilt = IntentClassifier(third, {**exemplars, "thanks": ["thank you"]}, cache_dir=tmp_path)
    assert third.embedded == 7  # a broken cache is rebuilt, not fatal
    fresh, cached = rebuilt.classify("hey, good morning", "en"), classifier.classify("hey, good morning", "en")
    assert fresh.name == cached.name  # batch composition moves the vectors in the last float bits only
    assert fresh.confidence == pytest.approx(cached.confidence, abs=1e-3)


def test_a_tenant_without_intents_only_has_rules(embedder: Embedder) -> None:
    classifier = IntentClassifier(embedder, {})
    assert classifier.classify("where is my order").name is None
    assert classifier.classify("where is my order").out_of_scope
    assert classifier.classify("I want a human").name == "human_handoff"


@pytest.mark.parametrize("content", [
    "intents: [unclosed",
    "not_intents: {}\n",
    "intents: {}\n",
    "intents:\n  greeting: hello\n",
    "intents:\n  greeting:\n    examples: []\n",
    "intents:\n  greeting:\n    examples: [hi, 42]\n",
    "intents:\n  greeting:\n    examples: [hi, '  ']\n",
    "intents:\n  greeting:\n    example: [hi]\n",
    "- just\n- a list\n",
])
def test_a_malformed_intents_file_names_the_file(embedder: Embedder, tmp_path: Path, content: str) -> None:
    path = tmp_path / "broken-intents.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(str(path))):
        IntentClassifier.from_file(embedder, path)


def test_a_missing_intents_file_names_the_file(embedder: Embedder, tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError, match=re.escape(str(path))):
        IntentClassifier.from_file(embedder, path)
