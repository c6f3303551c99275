"""Ordered schema migrations. Append new ones; never edit one that has shipped.

Each migration is an async function taking the open transaction; its name is recorded in
`schema_migrations` once applied.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiosqlite

Migration = Callable[[aiosqlite.Connection], Awaitable[None]]


async def m001_initial(tx: aiosqlite.Connection) -> None:
    for statement in _M001:
        await tx.execute(statement)


_M001 = [
    """CREATE TABLE users (
        id TEXT PRIMARY KEY,
        identifier TEXT NOT NULL UNIQUE,
        display_name TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE agents (
        email TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('agent', 'admin')),
        tenants TEXT NOT NULL DEFAULT '["*"]',
        password_hash TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'customer' CHECK (kind IN ('customer', 'console')),
        user_identifier TEXT NOT NULL,
        customer_id TEXT,
        verified INTEGER NOT NULL DEFAULT 0,
        channel TEXT NOT NULL DEFAULT 'web',
        name TEXT,
        language TEXT,
        state TEXT NOT NULL DEFAULT 'assistant'
            CHECK (state IN ('assistant', 'queued', 'human', 'resolved')),
        assigned_agent TEXT,
        queue TEXT,
        priority INTEGER NOT NULL DEFAULT 0,
        misses INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX conversations_by_user ON conversations(user_identifier, updated_at)",
    "CREATE INDEX conversations_by_state ON conversations(tenant, state, priority)",
    """CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        role TEXT NOT NULL CHECK (role IN ('customer', 'assistant', 'agent', 'system')),
        author TEXT NOT NULL,
        content TEXT NOT NULL,
        created_at TEXT NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}'
    )""",
    "CREATE INDEX messages_by_conversation ON messages(conversation_id, created_at)",
    """CREATE TABLE decision_traces (
        message_id TEXT PRIMARY KEY REFERENCES messages(id),
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        trace TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE handoffs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        queue TEXT NOT NULL,
        reason TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        requested_at TEXT NOT NULL,
        claimed_by TEXT,
        claimed_at TEXT,
        closed_at TEXT,
        outcome TEXT CHECK (outcome IN ('resolved', 'handed_back'))
    )""",
    "CREATE INDEX handoffs_by_conversation ON handoffs(conversation_id, requested_at)",
    """CREATE TABLE actions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        tool TEXT NOT NULL,
        arguments TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE audit_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        tenant TEXT,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
    )""",
    """CREATE TABLE feedback (
        id TEXT PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE REFERENCES messages(id),
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        value INTEGER NOT NULL CHECK (value IN (0, 1)),
        comment TEXT,
        created_at TEXT NOT NULL
    )""",
]

async def m002_llm_usage(tx: aiosqlite.Connection) -> None:
    """Tokens and cost of every model call, for metering per tenant and conversation."""
    await tx.execute("""CREATE TABLE llm_usage (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        message_id TEXT,
        model TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        cost_usd REAL,
        created_at TEXT NOT NULL
    )""")
    await tx.execute("CREATE INDEX llm_usage_by_tenant ON llm_usage(tenant, created_at)")
    await tx.execute("CREATE INDEX llm_usage_by_conversation ON llm_usage(conversation_id)")


async def m003_pending_flow(tx: aiosqlite.Connection) -> None:
    """The task the assistant is in the middle of (slots asked, awaiting a yes), as JSON."""
    await tx.execute("ALTER TABLE conversations ADD COLUMN flow TEXT")


MIGRATIONS: list[Migration] = [m001_initial, m002_llm_usage, m003_pending_flow]
