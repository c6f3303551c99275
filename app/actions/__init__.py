"""Writes to a company's systems: the action gate (policy, idempotency ledger, audit) and approvals."""
