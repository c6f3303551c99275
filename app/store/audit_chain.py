"""The audit log's hash chain: the one definition of an event's hash.

Kept apart from the log so that the migration which added the chain (app/store/migrations.py)
and the log itself (app/store/audit.py) hash events the same way without importing each other.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

HASHED_FIELDS = ("at", "tenant", "actor", "action", "subject", "detail", "policy_version", "outcome")


def chain_hash(previous: str, event: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the event's fields in a fixed, canonical form."""
    body = json.dumps([previous, *(event.get(name) for name in HASHED_FIELDS)], ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()
