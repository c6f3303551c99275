"""Ordered schema migrations. Append new ones; never edit one that has shipped.

Each migration is an async function taking the open transaction; its name is recorded in
`schema_migrations` once applied.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiosqlite

from app.store.audit_chain import chain_hash

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


async def m004_guarded_actions(tx: aiosqlite.Connection) -> None:
    """Hash-chained append-only audit, the ledger of writes, and approvals.

    The ledger and approvals are business records: they outlive a deleted conversation (a
    customer must not reset their refund count by deleting a chat), so they carry no
    foreign key to it. The unused `actions` table of m001 is replaced by the ledger.
    """
    for column in ("policy_version", "outcome", "prev_hash", "hash"):
        await tx.execute(f"ALTER TABLE audit_events ADD COLUMN {column} TEXT")
    previous = ""
    rows = await tx.execute_fetchall(
        "SELECT id, at, tenant, actor, action, subject, detail, policy_version, outcome FROM audit_events ORDER BY id")
    for row in rows:
        digest = chain_hash(previous, dict(row))
        await tx.execute("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?", (previous, digest, row["id"]))
        previous = digest
    for verb in ("UPDATE", "DELETE"):
        await tx.execute(f"""CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""")
    await tx.execute("DROP TABLE actions")
    await tx.execute("""CREATE TABLE action_ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        customer_id TEXT,
        action TEXT NOT NULL,
        arguments TEXT NOT NULL,
        amount REAL,
        idempotency_key TEXT NOT NULL UNIQUE,
        policy_version TEXT NOT NULL,
        status TEXT NOT NULL,
        reference TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        finished_at TEXT
    )""")
    await tx.execute("CREATE INDEX action_ledger_by_customer ON action_ledger(tenant, customer_id, action, created_at)")
    await tx.execute("CREATE INDEX action_ledger_by_conversation ON action_ledger(conversation_id, action, created_at)")
    await tx.execute("""CREATE TABLE approvals (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        customer_id TEXT,
        language TEXT NOT NULL,
        action TEXT NOT NULL,
        arguments TEXT NOT NULL,
        amount REAL,
        summary TEXT NOT NULL,
        customer_summary TEXT NOT NULL,
        why TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        policy_version TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
        requested_at TEXT NOT NULL,
        decided_by TEXT,
        decided_at TEXT,
        note TEXT,
        result TEXT
    )""")
    await tx.execute("CREATE INDEX approvals_by_status ON approvals(tenant, status, requested_at)")


async def m005_handoff_desk(tx: aiosqlite.Connection) -> None:
    """Queues with SLA deadlines, incidents, the agent's notes and suggested replies,
    satisfaction checks, agent API tokens and the webhook outbox."""
    for column in ("trigger_rule TEXT", "level TEXT NOT NULL DEFAULT 'normal'", "due_at TEXT",
                   "policy_version TEXT", "packet TEXT", "follow_up TEXT", "incident_id TEXT", "noticed_at TEXT"):
        await tx.execute(f"ALTER TABLE handoffs ADD COLUMN {column}")
    await tx.execute("CREATE INDEX handoffs_open ON handoffs(closed_at, queue, due_at)")
    await tx.execute("ALTER TABLE agents ADD COLUMN language TEXT NOT NULL DEFAULT 'en'")
    await tx.execute("""CREATE TABLE issue_reports (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant TEXT NOT NULL,
        topic TEXT NOT NULL,
        user_identifier TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        at TEXT NOT NULL
    )""")
    await tx.execute("CREATE INDEX issue_reports_recent ON issue_reports(tenant, topic, at)")
    await tx.execute("""CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        topic TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        customers INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        closed_at TEXT
    )""")
    await tx.execute("CREATE INDEX incidents_open ON incidents(tenant, topic, status)")
    await tx.execute("""CREATE TABLE agent_notes (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        agent TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""")
    await tx.execute("CREATE INDEX agent_notes_by_conversation ON agent_notes(conversation_id, created_at)")
    await tx.execute("""CREATE TABLE suggestions (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        agent TEXT NOT NULL,
        method TEXT NOT NULL,
        suggested TEXT NOT NULL,
        sent TEXT,
        outcome TEXT NOT NULL DEFAULT 'offered'
            CHECK (outcome IN ('offered', 'sent_as_is', 'edited', 'discarded')),
        similarity REAL,
        created_at TEXT NOT NULL,
        decided_at TEXT
    )""")
    await tx.execute("CREATE INDEX suggestions_by_conversation ON suggestions(conversation_id, created_at)")
    await tx.execute("""CREATE TABLE csat (
        handoff_id INTEGER PRIMARY KEY REFERENCES handoffs(id),
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        agent TEXT,
        score INTEGER CHECK (score BETWEEN 1 AND 5),
        asked_at TEXT NOT NULL,
        answered_at TEXT
    )""")
    await tx.execute("""CREATE TABLE agent_tokens (
        token_hash TEXT PRIMARY KEY,
        agent_email TEXT NOT NULL REFERENCES agents(email),
        label TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
    )""")
    await tx.execute("""CREATE TABLE webhook_outbox (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        event TEXT NOT NULL,
        url TEXT NOT NULL,
        secret_env TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        created_at TEXT NOT NULL,
        delivered_at TEXT
    )""")
    await tx.execute("CREATE INDEX webhook_outbox_due ON webhook_outbox(status, next_attempt_at)")


async def m006_lead_role(tx: aiosqlite.Connection) -> None:
    """Allow the `lead` role (agents who also see analytics). SQLite cannot alter a CHECK, so
    `agents` is rebuilt with every row kept. Its one child table, agent_tokens, is set aside
    and restored around the rebuild: with foreign keys on, dropping a referenced parent fails,
    and the pragma that turns them off does nothing inside a transaction."""
    await tx.execute("CREATE TABLE agent_tokens_kept AS SELECT * FROM agent_tokens")
    await tx.execute("DROP TABLE agent_tokens")
    await tx.execute("""CREATE TABLE agents_rebuilt (
        email TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('agent', 'lead', 'admin')),
        tenants TEXT NOT NULL DEFAULT '["*"]',
        password_hash TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        language TEXT NOT NULL DEFAULT 'en'
    )""")
    await tx.execute("INSERT INTO agents_rebuilt (email, name, role, tenants, password_hash, updated_at, language)"
                     " SELECT email, name, role, tenants, password_hash, updated_at, language FROM agents")
    await tx.execute("DROP TABLE agents")
    await tx.execute("ALTER TABLE agents_rebuilt RENAME TO agents")
    await tx.execute("""CREATE TABLE agent_tokens (
        token_hash TEXT PRIMARY KEY,
        agent_email TEXT NOT NULL REFERENCES agents(email),
        label TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
    )""")
    await tx.execute("INSERT INTO agent_tokens (token_hash, agent_email, label, created_at, last_used_at, revoked_at)"
                     " SELECT token_hash, agent_email, label, created_at, last_used_at, revoked_at"
                     " FROM agent_tokens_kept")
    await tx.execute("DROP TABLE agent_tokens_kept")


async def m007_follow_ups(tx: aiosqlite.Connection) -> None:
    """Whether an automated resolution solved the problem, asked once per conversation."""
    await tx.execute("""CREATE TABLE follow_ups (
        conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
        tenant TEXT NOT NULL,
        user_identifier TEXT NOT NULL,
        asked_in TEXT,
        asked_at TEXT NOT NULL,
        answer TEXT NOT NULL DEFAULT 'none' CHECK (answer IN ('solved', 'not_solved', 'none')),
        answered_at TEXT,
        handoff_id INTEGER REFERENCES handoffs(id)
    )""")
    await tx.execute("CREATE INDEX follow_ups_asked_in ON follow_ups(asked_in)")
    await tx.execute("CREATE INDEX follow_ups_by_user ON follow_ups(tenant, user_identifier)")


async def m008_customer_tier(tx: aiosqlite.Connection) -> None:
    """The verified customer's tier (the CRM's SLA tier), so model spend can be split by it."""
    await tx.execute("ALTER TABLE conversations ADD COLUMN customer_tier TEXT")


async def m010_messaging(tx: aiosqlite.Connection) -> None:
    """The messaging channel: the inbox of bridge webhooks, senders' conversations, and the outbox
    of messages owed to bridges (app/store/messaging.py)."""
    for statement in _M010:
        await tx.execute(statement)


_M010 = [
    """CREATE TABLE messaging_inbox (
        tenant TEXT NOT NULL,
        bridge_message_id TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done')),
        received_at TEXT NOT NULL,
        done_at TEXT,
        PRIMARY KEY (tenant, bridge_message_id)
    )""",
    "CREATE INDEX messaging_inbox_status ON messaging_inbox(status)",
    "CREATE INDEX messaging_inbox_conversation ON messaging_inbox(conversation_id)",
    """CREATE TABLE messaging_senders (
        tenant TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        customer_id TEXT,
        linked_customer_id TEXT,
        offered TEXT NOT NULL DEFAULT '[]',
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant, sender_id)
    )""",
    "CREATE INDEX messaging_senders_conversation ON messaging_senders(conversation_id)",
    """CREATE TABLE messaging_outbox (
        message_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
    )""",
    "CREATE INDEX messaging_outbox_status ON messaging_outbox(status)",
    "CREATE INDEX messaging_outbox_conversation ON messaging_outbox(conversation_id)",
]
async def m009_email(tx: aiosqlite.Connection) -> None:
    """The email channel's inbound and outbound mail (app/store/email_mail.py)."""
    await tx.execute("""CREATE TABLE email_inbound (
        tenant TEXT NOT NULL,
        message_id TEXT NOT NULL,
        conversation_id TEXT,
        turn_message_id TEXT,
        sender TEXT NOT NULL,
        subject TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('received', 'answered', 'relayed', 'ignored', 'refused', 'limited')),
        reason TEXT,
        raw TEXT NOT NULL DEFAULT '',
        received_at TEXT NOT NULL,
        PRIMARY KEY (tenant, message_id)
    )""")
    await tx.execute("CREATE INDEX email_inbound_status ON email_inbound(status, received_at)")
    await tx.execute("CREATE INDEX email_inbound_conversation ON email_inbound(conversation_id, received_at)")
    await tx.execute("""CREATE TABLE email_outbound (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        conversation_id TEXT,
        message_id TEXT NOT NULL,
        recipient TEXT NOT NULL,
        mail TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        claimed_at TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
    )""")
    await tx.execute("CREATE INDEX email_outbound_status ON email_outbound(status, created_at)")
    await tx.execute("CREATE INDEX email_outbound_thread ON email_outbound(tenant, message_id)")
async def m011_declared_incidents(tx: aiosqlite.Connection) -> None:
    """Incidents a lead declares, and who was told about each (app/store/incidents.py): the
    customers who reported it, linked by hand or subscribed, each told once it is known and
    once it is fixed."""
    for statement in _M011:
        await tx.execute(statement)


_M011 = [
    """CREATE TABLE declared_incidents (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        topic TEXT NOT NULL,
        message TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
        declared_by TEXT NOT NULL,
        declared_at TEXT NOT NULL,
        resolved_by TEXT,
        resolved_at TEXT,
        resolution TEXT
    )""",
    "CREATE INDEX declared_incidents_open ON declared_incidents(tenant, status)",
    """CREATE TABLE incident_contacts (
        incident_id TEXT NOT NULL REFERENCES declared_incidents(id),
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        how TEXT NOT NULL CHECK (how IN ('reported', 'linked', 'offered')),
        subscribed INTEGER NOT NULL DEFAULT 0,
        known_at TEXT NOT NULL,
        subscribed_at TEXT,
        fixed_at TEXT,
        PRIMARY KEY (incident_id, conversation_id)
    )""",
    "CREATE INDEX incident_contacts_by_conversation ON incident_contacts(conversation_id)",
]


MIGRATIONS: list[Migration] = [m001_initial, m002_llm_usage, m003_pending_flow, m004_guarded_actions,
                               m005_handoff_desk, m006_lead_role, m007_follow_ups, m008_customer_tier,
                               m009_email, m010_messaging, m011_declared_incidents]
