-- People sign in to the staff console with a username and password (an argon2id hash in PHC
-- form); an admin creates the account and resets its password. Machines keep bearer tokens.
CREATE TABLE IF NOT EXISTS staff_accounts (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    dong TEXT,
    created_at INTEGER NOT NULL,
    password_set_at INTEGER NOT NULL
);

-- Failed sign-ins counted per username whether or not the account exists, so a lockout does not
-- tell anyone which usernames are real.
CREATE TABLE IF NOT EXISTS sign_in_failures (
    username TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until INTEGER
);

-- A signed-in browser: the cookie's value is kept only as a hash; the CSRF token must come back
-- in a header with every state-changing request. A session ends after `idle_ms` without use.
CREATE TABLE IF NOT EXISTS staff_sessions (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES staff_accounts(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    idle_ms INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS staff_sessions_account ON staff_sessions(account_id);
