CREATE TABLE IF NOT EXISTS reminder_schedules (
    id TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL,
    dong TEXT NOT NULL,
    kind TEXT NOT NULL,
    medication_name TEXT,
    dose TEXT,
    text TEXT NOT NULL,
    rule TEXT NOT NULL,
    tz TEXT NOT NULL,
    start_at INTEGER,
    end_at INTEGER,
    needs_ack INTEGER NOT NULL,
    grace_minutes INTEGER NOT NULL,
    misses_to_escalate INTEGER NOT NULL,
    next_at INTEGER,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    deleted_at INTEGER
);

CREATE INDEX IF NOT EXISTS reminder_schedules_next ON reminder_schedules(next_at) WHERE next_at IS NOT NULL;

CREATE INDEX IF NOT EXISTS reminder_schedules_resident ON reminder_schedules(resident_id);

CREATE TABLE IF NOT EXISTS reminder_deliveries (
    id TEXT PRIMARY KEY,
    schedule_id TEXT NOT NULL,
    resident_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurs_at INTEGER NOT NULL,
    needs_ack INTEGER NOT NULL,
    grace_minutes INTEGER NOT NULL,
    device_id TEXT,
    claimed_at INTEGER,
    acked_at INTEGER,
    acked_by TEXT,
    missed_at INTEGER,
    incident_id TEXT
);

CREATE INDEX IF NOT EXISTS reminder_deliveries_schedule ON reminder_deliveries(schedule_id, occurs_at);

CREATE INDEX IF NOT EXISTS reminder_deliveries_resident ON reminder_deliveries(resident_id, occurs_at);

CREATE INDEX IF NOT EXISTS reminder_deliveries_open ON reminder_deliveries(occurs_at)
    WHERE needs_ack = 1 AND acked_at IS NULL AND missed_at IS NULL;

CREATE TABLE IF NOT EXISTS checkins (
    event_id TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    said TEXT,
    crisis INTEGER NOT NULL,
    delivery_id TEXT,
    incident_id TEXT,
    answered_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS checkins_resident ON checkins(resident_id, answered_at);
