"""Priority of a conversation in the human queue, as a sum of parts that explain it.

Every factor contributes whole points, and the parts are recorded as they are, so an agent or
an analyst can read why a conversation jumped the queue ("sla 15 + renewal 10 + sentiment 14").
The factor maximums add up to exactly 100, so the score is the plain sum of its parts and the
0-100 clamp is only a guard:

    factor           max  why
    customer_value    20  revenue at stake, log-scaled: each 10x in contract value adds the same ~7
    renewal           10  a bad experience right before a renewal is the costliest kind
    sla               15  a contractual response time the company must keep
    repeat_contacts   15  coming back within a week means the first contacts did not solve it
    sentiment         20  an upset customer escalates (or leaves) if left waiting
    urgent_intent     20  money or access blocked: waiting itself does harm

Guests have no contract, so they get no value or renewal points; their priority comes from
what is happening (mood, intent, repeat contacts), which can still make them "high".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.understanding.sentiment import Sentiment
from connectors.base import Customer

Level = Literal["low", "normal", "high", "urgent"]

URGENT_INTENTS = frozenset({"refund_request", "cancellation", "password_reset"})  # money, churn, locked out

VALUE_MAX = 20
VALUE_FLOOR = 100.0  # annual contract value at or below this earns nothing: hobby and free plans
VALUE_CAP = 50_000.0  # and at or above this the full VALUE_MAX
RENEWAL_SOON_DAYS, RENEWAL_SOON = 30, 5
RENEWAL_IMMINENT_DAYS, RENEWAL_IMMINENT = 7, 10
SLA_POINTS = {"standard": 0, "premium": 8, "enterprise": 15}
REPEAT_CONTACT_STEP, REPEAT_CONTACT_MAX = 5, 15  # per earlier contact in the last 7 days; full at 3
SENTIMENT_MAX = 20  # times frustration in [0, 1]
URGENT_INTENT = 20

# Lowest score of each level, highest first. A guest maxes out at 55 ("high"): "urgent"
# needs a contract (value, SLA or renewal) on top of an urgent situation.
LEVELS: tuple[tuple[int, Level], ...] = (
    (60, "urgent"),
    (40, "high"),
    (20, "normal"),
    (0, "low"),
)


@dataclass(frozen=True)
class Priority:
    score: int  # 0-100, the sum of `parts`
    level: Level
    parts: dict[str, int]  # every factor, zeros included, so traces have one shape

    def as_trace(self) -> dict[str, object]:
        return {"score": self.score, "level": self.level, "parts": dict(self.parts)}


def score_priority(*, customer: Customer | None, sentiment: Sentiment, intent: str | None,
                   repeat_contacts: int, today: date, sla_tier: str | None = None) -> Priority:
    """Score how soon a person should pick this conversation up.

    `repeat_contacts` counts the customer's earlier contacts in the last 7 days (not this one).
    `sla_tier`, when given, overrides the customer's own tier (e.g. a tenant-wide contract); it is
    the only way a guest gets SLA points.
    """
    tier = sla_tier or (customer.sla_tier if customer else None)
    parts = {
        "customer_value": _value_points(customer.annual_contract_value) if customer else 0,
        "renewal": _renewal_points(customer, today) if customer else 0,
        "sla": SLA_POINTS.get((tier or "").strip().lower(), 0),
        "repeat_contacts": min(REPEAT_CONTACT_MAX, REPEAT_CONTACT_STEP * max(0, repeat_contacts)),
        "sentiment": round(SENTIMENT_MAX * min(1.0, max(0.0, sentiment.frustration))),
        "urgent_intent": URGENT_INTENT if intent in URGENT_INTENTS else 0,
    }
    score = max(0, min(100, sum(parts.values())))
    level = next(name for floor, name in LEVELS if score >= floor)
    return Priority(score, level, parts)


def _value_points(annual_contract_value: float) -> int:
    """Log-scaled between VALUE_FLOOR and VALUE_CAP: $1k → 7, $10k → 15, $18k → 17, $42k → 19."""
    acv = annual_contract_value
    if not math.isfinite(acv) or acv <= VALUE_FLOOR:
        return 0
    share = math.log(min(acv, VALUE_CAP) / VALUE_FLOOR) / math.log(VALUE_CAP / VALUE_FLOOR)
    return round(VALUE_MAX * share)


def _renewal_points(customer: Customer, today: date) -> int:
    """Points for a paid renewal coming up; a past or unreadable date (CRM data) earns none."""
    if not customer.renewal_date or not customer.annual_contract_value > 0:
        return 0
    try:
        renewal = date.fromisoformat(customer.renewal_date[:10])
    except ValueError:
        return 0
    days = (renewal - today).days
    if 0 <= days <= RENEWAL_IMMINENT_DAYS:
        return RENEWAL_IMMINENT
    if 0 <= days <= RENEWAL_SOON_DAYS:
        return RENEWAL_SOON
    return 0
