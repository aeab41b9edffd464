CREATE TABLE IF NOT EXISTS residents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    birth_year INTEGER,
    phone TEXT,
    address TEXT NOT NULL,
    dong TEXT NOT NULL,
    latitude REAL,
    longitude REAL,
    eligibility TEXT NOT NULL,
    eligibility_until INTEGER,
    medical_notes TEXT,
    inactivity_threshold_minutes INTEGER NOT NULL DEFAULT 1440,
    last_activity_at INTEGER,
    created_at INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS residents_dong ON residents(dong);

CREATE TABLE IF NOT EXISTS contacts (
    id TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL REFERENCES residents(id),
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    relation TEXT NOT NULL,
    priority INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS contacts_resident ON contacts(resident_id);

CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL REFERENCES residents(id),
    kind TEXT NOT NULL,
    protocol TEXT NOT NULL,
    dc09_account TEXT UNIQUE,
    secret_sealed TEXT NOT NULL,
    heartbeat_interval_s INTEGER,
    last_seen_at INTEGER,
    last_heartbeat_at INTEGER,
    created_at INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS devices_resident ON devices(resident_id);

CREATE TABLE IF NOT EXISTS staff_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    dong TEXT,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
