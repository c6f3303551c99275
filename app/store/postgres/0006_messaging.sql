-- The messaging channel: the inbox of bridge webhooks, senders' conversations, and the outbox of
-- messages owed to bridges (app/store/messaging.py; the SQLite twin is m010_messaging in
-- app/store/migrations.py). `rowid` keeps insertion order, as SQLite's implicit one does.
CREATE TABLE messaging_inbox (
    tenant TEXT NOT NULL,
    bridge_message_id TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done')),
    received_at TEXT NOT NULL,
    done_at TEXT,
    rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    PRIMARY KEY (tenant, bridge_message_id)
);
CREATE INDEX messaging_inbox_status ON messaging_inbox(status);
CREATE INDEX messaging_inbox_conversation ON messaging_inbox(conversation_id);
CREATE TABLE messaging_senders (
    tenant TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    customer_id TEXT,
    linked_customer_id TEXT,
    offered TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, sender_id)
);
CREATE INDEX messaging_senders_conversation ON messaging_senders(conversation_id);
CREATE TABLE messaging_outbox (
    message_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
);
CREATE INDEX messaging_outbox_status ON messaging_outbox(status);
CREATE INDEX messaging_outbox_conversation ON messaging_outbox(conversation_id);
