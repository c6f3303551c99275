"""Rows of the store read back as domain values, for every store module that reads them."""

from __future__ import annotations

import json

from app.core.domain import Conversation, ConversationId, Ownership, TenantId
from app.store.database import Row


def conversation_from_row(row: Row) -> Conversation:
    return Conversation(
        id=ConversationId(row["id"]),
        tenant=TenantId(row["tenant"]),
        kind=row["kind"],
        user_identifier=row["user_identifier"],
        customer_id=row["customer_id"],
        language=row["language"],
        state=Ownership(row["state"]),
        assigned_agent=row["assigned_agent"],
        queue=row["queue"],
        priority=row["priority"],
        misses=row["misses"],
        flow=json.loads(row["flow"]) if row["flow"] else None,
        customer_tier=row["customer_tier"],
        channel=row["channel"],
        name=row["name"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
