-- What the 119 centre reports back about a dispatch (received, en route, on scene, transported,
-- cancelled), by the dispatch's idempotency key. One row per dispatch and status, so a callback
-- repeated by the centre is stored once; the incident keeps the latest status and when the
-- resident was transported, which the statistics count.
CREATE TABLE IF NOT EXISTS dispatch_updates (
    outbox_id TEXT NOT NULL,
    status TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    note TEXT,
    received_at INTEGER NOT NULL,
    received_by TEXT NOT NULL,
    PRIMARY KEY (outbox_id, status)
);

CREATE INDEX IF NOT EXISTS dispatch_updates_incident ON dispatch_updates(incident_id, at);

ALTER TABLE incidents ADD COLUMN dispatch_status TEXT;

ALTER TABLE incidents ADD COLUMN transported_at INTEGER;
