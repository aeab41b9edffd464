-- Caregivers acknowledge without an account: each caregiver notification carries a short code,
-- in a signed link and for an SMS reply. A code is single-use and expires; the number it was
-- sent to (digits only) is how an SMS reply finds it.
CREATE TABLE IF NOT EXISTS ack_codes (
    code TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    phone_digits TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    used_via TEXT
);

CREATE INDEX IF NOT EXISTS ack_codes_phone ON ack_codes(phone_digits, expires_at);

-- Every SMS reply the gateway delivers, matched or not, so none is silently dropped.
CREATE TABLE IF NOT EXISTS sms_replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at INTEGER NOT NULL,
    from_digits TEXT NOT NULL,
    body TEXT NOT NULL,
    code TEXT,
    incident_id TEXT,
    outcome TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS sms_replies_outcome ON sms_replies(outcome, received_at);
