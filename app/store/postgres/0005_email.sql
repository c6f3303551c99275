-- The email channel's own records: every inbound mail (deduplicated by Message-ID per tenant,
-- stored before it is answered) and every outbound mail (stored before it is sent, resent
-- until the relay takes it). See app/store/email_mail.py; the SQLite twin is m009_email in
-- app/store/migrations.py.
CREATE TABLE email_inbound (
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
);
CREATE INDEX email_inbound_status ON email_inbound(status, received_at);
CREATE INDEX email_inbound_conversation ON email_inbound(conversation_id, received_at);
CREATE TABLE email_outbound (
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
);
CREATE INDEX email_outbound_status ON email_outbound(status, created_at);
CREATE INDEX email_outbound_thread ON email_outbound(tenant, message_id);
