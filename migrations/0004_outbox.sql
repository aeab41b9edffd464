CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    destination TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER
);

CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at);

CREATE INDEX IF NOT EXISTS outbox_incident ON outbox(incident_id);
