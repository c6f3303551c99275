-- Whether an automated resolution solved the problem, asked once per conversation
-- (app/store/follow_ups.py; the SQLite twin is m006_follow_ups in app/store/migrations.py).
CREATE TABLE follow_ups (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
    tenant TEXT NOT NULL,
    user_identifier TEXT NOT NULL,
    asked_in TEXT,
    asked_at TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT 'none' CHECK (answer IN ('solved', 'not_solved', 'none')),
    answered_at TEXT,
    handoff_id BIGINT REFERENCES handoffs(id)
);
CREATE INDEX follow_ups_asked_in ON follow_ups(asked_in);
CREATE INDEX follow_ups_by_user ON follow_ups(tenant, user_identifier);
