"""Action guardrails: conditions a connector call must meet before it runs."""

from __future__ import annotations

from app.core.domain import Identity
from guardrails.verdict import Verdict


def verified_customer(identity: Identity) -> Verdict:
    """Account reads and all writes need a customer verified by the tenant's signed token."""
    if not identity.verified:
        return Verdict("verified_customer", False, "guest asked for account data",
                       "account.sign_in_needed")
    return Verdict.ok("verified_customer")
