"""Frontline's error hierarchy.

    FrontlineError
    ├── ConfigError            a settings value or tenant file is unusable (operator fixes it)
    ├── StoreError             the system of record refused a write or read
    │   └── OwnershipConflict  a conversation changed hands before the transition committed
    ├── KnowledgeError         the knowledge base cannot be built or searched
    ├── ConnectorError         a CRM/billing/orders system failed or answered nonsense
    ├── ApprovalError          an approval is unknown, not the agent's, or already decided
    ├── IncidentError          an incident command names no incident, no topic, or is not allowed
    └── AuthError              a token or password is missing, malformed, expired or wrong

Each error carries a message written for the person who sees it: operators see
ConfigError text at start-up, agents see OwnershipConflict text in the console. Customers
never see an exception's text; the engine maps failures to translated sentences.
"""

from __future__ import annotations


class FrontlineError(Exception):
    """Base of every error Frontline raises on purpose."""


class ConfigError(FrontlineError):
    """A setting or tenant file is missing, malformed or inconsistent."""


class StoreError(FrontlineError):
    """The system of record (SQLite or PostgreSQL) could not complete an operation."""


class OwnershipConflict(StoreError):
    """The conversation is not in the state the transition requires (someone got there first)."""


class KnowledgeError(FrontlineError):
    """The knowledge base could not be built, synced or searched."""


class IncidentError(FrontlineError):
    """A declared incident cannot be declared, linked or resolved as asked (the text says why)."""


class ConnectorError(FrontlineError):
    """An external business system failed, timed out or returned malformed data."""


class ApprovalError(FrontlineError):
    """An agent's approve/reject could not apply; the message says why and what to do."""


class AuthError(FrontlineError):
    """Authentication failed: a bad, expired or missing token or password."""
