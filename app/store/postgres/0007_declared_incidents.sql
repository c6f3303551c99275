-- Incidents a lead declares, and who was told about each (app/store/incidents.py; the SQLite
-- twin is m011_declared_incidents in app/store/migrations.py).
CREATE TABLE declared_incidents (
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
);
CREATE INDEX declared_incidents_open ON declared_incidents(tenant, status);
CREATE TABLE incident_contacts (
    incident_id TEXT NOT NULL REFERENCES declared_incidents(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    how TEXT NOT NULL CHECK (how IN ('reported', 'linked', 'offered')),
    subscribed INTEGER NOT NULL DEFAULT 0,
    known_at TEXT NOT NULL,
    subscribed_at TEXT,
    fixed_at TEXT,
    PRIMARY KEY (incident_id, conversation_id)
);
CREATE INDEX incident_contacts_by_conversation ON incident_contacts(conversation_id);
