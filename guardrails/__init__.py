"""Guardrails: small named checks that return verdicts, run in order by one runner."""

from guardrails.verdict import Check, Verdict, run_checks

__all__ = ["Check", "Verdict", "run_checks"]
