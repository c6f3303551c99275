"""Priority: explainable parts that add up to the score, for demo customers writing in en/es/de/fr."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import date

import pytest

from app.understanding.priority import URGENT_INTENTS, score_priority
from app.understanding.sentiment import Sentiment, assess
from connectors.base import Customer

TODAY = date(2026, 11, 30)
PARTS = {"customer_value", "renewal", "sla", "repeat_contacts", "sentiment", "urgent_intent"}

# As in demo/crm.json
BECKER = Customer("cus_1009", "Becker Haustechnik GmbH", "becker.haustechnik@example.com", "business",
                  42000.0, "2027-07-01", "enterprise", "de")
HARBORVIEW = Customer("cus_1006", "Harborview Property Management", "harborview.ops@example.com", "business",
                      18000.0, "2026-12-15", "premium", "en")
LUCIA = Customer("cus_1002", "Lucía Fernández", "lucia.fernandez@example.com", "plus", 96.0, "2026-12-10",
                 "standard", "es")
CAMILLE = Customer("cus_1005", "Camille Laurent", "camille.laurent@example.com", "free", 0.0, None, "standard", "fr")
CALM = assess("Where is my order?")


def priority(customer: Customer | None = None, sentiment: Sentiment = CALM, intent: str | None = None,
             repeat_contacts: int = 0, sla_tier: str | None = None):
    return score_priority(customer=customer, sentiment=sentiment, intent=intent, repeat_contacts=repeat_contacts,
                          today=TODAY, sla_tier=sla_tier)


MESSAGES = [
    ("Where is my order BW-10234?", "en"),
    ("THIS IS RIDICULOUS!!! I was charged twice, I'll cancel", "en"),
    ("¡Me cobraron dos veces! Es una vergüenza, me doy de baja", "es"),
    ("Die Rechnung ist falsch. Unverschämt, ich schalte meinen Anwalt ein", "de"),
    ("Merci, c'est parfait", "fr"),
]


def test_parts_always_add_up_to_the_score():
    combinations = itertools.product([None, BECKER, HARBORVIEW, LUCIA, CAMILLE], MESSAGES,
                                     [None, "order_status", "refund_request"], [0, 1, 5], [None, "enterprise"])
    for customer, (text, language), intent, repeat_contacts, sla_tier in combinations:
        result = priority(customer, assess(text, language=language), intent, repeat_contacts, sla_tier)
        assert set(result.parts) == PARTS
        assert sum(result.parts.values()) == result.score
        assert 0 <= result.score <= 100 and all(v >= 0 for v in result.parts.values())


def test_everything_at_once_stays_within_100():
    furious = assess("I'LL CANCEL!!! MY LAWYER WILL SUE YOU, THIS IS SHIT", ["I'LL CANCEL!!! MY LAWYER WILL SUE YOU, "
                                                                            "THIS IS SHIT"], failures=9)
    whale = replace(BECKER, annual_contract_value=10**9, renewal_date="2026-12-01")
    result = priority(whale, furious, "refund_request", 50)
    assert result.score == sum(result.parts.values()) <= 100
    assert result.level == "urgent"


def test_a_calm_guest_with_a_question_is_low():
    result = priority(None, assess("¿Cuál es el horario de atención?", language="es"))
    assert (result.score, result.level) == (0, "low")


def test_guests_get_no_value_renewal_or_sla_points_unless_a_tier_is_given():
    guest = priority(None, CALM)
    assert guest.parts["customer_value"] == guest.parts["renewal"] == guest.parts["sla"] == 0
    assert priority(None, CALM, sla_tier="premium").parts["sla"] > 0


def test_an_upset_guest_can_be_high_but_never_urgent():
    furious = assess("C'est une arnaque !!! Je vais porter plainte et résilier", ["C'est une arnaque !!! Je vais "
                                                                                  "porter plainte et résilier"],
                     failures=4, language="fr")
    result = priority(None, furious, "refund_request", 3)
    assert result.level == "high"


def test_customer_value_is_log_scaled_and_capped():
    def value(acv: float) -> int:
        return priority(replace(CAMILLE, annual_contract_value=acv)).parts["customer_value"]

    points = [value(acv) for acv in (0, 96, 1_000, 10_000, 100_000, 10**9)]
    assert points[0] == points[1] == 0  # free and hobby plans earn nothing
    assert points == sorted(points) and points[2] > 0
    assert points[3] - points[2] == pytest.approx(points[2] - value(100), abs=1)  # each 10x adds the same
    assert points[4] == points[5]  # capped
    assert value(float("nan")) == value(-5) == 0


def test_a_renewal_soon_adds_and_sooner_adds_more():
    def renewal(day: str | None, acv: float = 2_400.0) -> int:
        return priority(replace(LUCIA, renewal_date=day, annual_contract_value=acv)).parts["renewal"]

    in_3, in_7, in_20, in_30, in_31 = (renewal(d) for d in ("2026-12-03", "2026-12-07", "2026-12-20", "2026-12-30",
                                                            "2026-12-31"))
    assert in_3 == in_7 > in_20 == in_30 > in_31 == 0
    assert renewal("2026-11-30") == in_3  # today
    assert renewal("2026-12-03T00:00:00Z") == in_3
    for unusable in ("2026-11-29", None, "", "soon", "31/12/2026"):
        assert renewal(unusable) == 0
    assert renewal("2026-12-03", acv=0.0) == 0  # nothing to renew on a free plan


def test_demo_customers_renewing_this_month():
    assert priority(LUCIA).parts["renewal"] > 0  # 2026-12-10: within 30 days
    assert priority(HARBORVIEW).parts["renewal"] > 0
    assert priority(BECKER).parts["renewal"] == 0  # July


def test_sla_tiers_rank_standard_premium_enterprise_and_the_argument_overrides():
    sla = {tier: priority(replace(LUCIA, sla_tier=tier)).parts["sla"] for tier in ("standard", "premium", "enterprise")}
    assert sla["standard"] < sla["premium"] < sla["enterprise"]
    assert priority(LUCIA, sla_tier="Enterprise").parts["sla"] == sla["enterprise"]
    assert priority(BECKER, sla_tier="standard").parts["sla"] == sla["standard"]
    assert priority(replace(LUCIA, sla_tier="platinum")).parts["sla"] == 0


def test_repeat_contacts_add_up_to_a_cap():
    points = [priority(LUCIA, repeat_contacts=n).parts["repeat_contacts"] for n in (-1, 0, 1, 2, 3, 10)]
    assert points[0] == points[1] == 0
    assert points[1] < points[2] < points[3] < points[4] == points[5]


@pytest.mark.parametrize(("calm", "upset"), [
    ("Where is my order?", "Where is my order??? This is useless, I'll cancel"),
    ("¿Dónde está mi pedido?", "¿DÓNDE ESTÁ MI PEDIDO? ¡¡¡ES INACEPTABLE!!!"),
    ("Wo ist meine Bestellung?", "Wo ist meine Bestellung? Das ist eine Frechheit, ich kündige"),
    ("Où est ma commande ?", "Où est ma commande ? C'est honteux, j'appelle mon avocat"),
])
def test_frustration_raises_priority_in_every_language(calm, upset):
    quiet, loud = priority(LUCIA, assess(calm)), priority(LUCIA, assess(upset))
    assert loud.parts["sentiment"] > quiet.parts["sentiment"] == 0
    assert loud.score > quiet.score


@pytest.mark.parametrize("intent", sorted(URGENT_INTENTS))
def test_urgent_intents_add_points(intent):
    assert priority(CAMILLE, intent=intent).parts["urgent_intent"] > 0
    assert priority(CAMILLE, intent=intent).level != "low"


@pytest.mark.parametrize("intent", [None, "order_status", "greeting", "human_handoff", ""])
def test_other_intents_add_nothing(intent):
    assert priority(CAMILLE, intent=intent).parts["urgent_intent"] == 0


def test_the_same_problem_ranks_a_large_enterprise_account_above_a_free_one():
    upset = assess("Die Zahlung ist fehlgeschlagen und der Support ist nutzlos", language="de")
    big = priority(BECKER, upset, "refund_request", 1)
    small = priority(CAMILLE, upset, "refund_request", 1)
    assert big.score > small.score
    assert big.level == "urgent" and small.level in ("normal", "high")


def test_trace_is_json_safe_and_a_copy():
    result = priority(HARBORVIEW, assess("Thanks!"), "order_status", 1)
    trace = result.as_trace()
    assert json.loads(json.dumps(trace)) == {"score": result.score, "level": result.level, "parts": result.parts}
    trace["parts"]["sla"] = 999  # type: ignore[index]
    assert result.parts["sla"] != 999
