CREATE TABLE IF NOT EXISTS officer_applications (
    id TEXT PRIMARY KEY,
    reference_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    birth_year INTEGER NOT NULL,
    phone TEXT NOT NULL,
    phone_digits TEXT NOT NULL,
    address TEXT NOT NULL,
    dong TEXT NOT NULL,
    activity_areas TEXT NOT NULL,
    motivation TEXT NOT NULL,
    volunteer_portal_id TEXT,
    consent_version TEXT NOT NULL,
    consented_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    submitted_at INTEGER NOT NULL,
    decided_at INTEGER,
    decided_by TEXT,
    reason TEXT,
    officer_id TEXT
);

CREATE UNIQUE INDEX IF NOT EXISTS officer_applications_live_phone
    ON officer_applications(phone_digits) WHERE state IN ('pending', 'approved');

CREATE INDEX IF NOT EXISTS officer_applications_state ON officer_applications(state, submitted_at);

CREATE TABLE IF NOT EXISTS officers (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL UNIQUE,
    officer_number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    birth_year INTEGER NOT NULL,
    phone TEXT NOT NULL,
    address TEXT NOT NULL,
    dong TEXT NOT NULL,
    volunteer_portal_id TEXT,
    state TEXT NOT NULL DEFAULT 'active',
    appointed_at INTEGER NOT NULL,
    appointed_by TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS officers_dong ON officers(dong);

CREATE TABLE IF NOT EXISTS officer_badges (
    officer_id TEXT NOT NULL,
    badge_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    threshold INTEGER NOT NULL,
    name_ko TEXT NOT NULL,
    name_en TEXT NOT NULL,
    awarded_at INTEGER NOT NULL,
    PRIMARY KEY (officer_id, badge_id)
);

CREATE TABLE IF NOT EXISTS officer_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    note TEXT
);

CREATE INDEX IF NOT EXISTS officer_audit_subject ON officer_audit(subject, id);
