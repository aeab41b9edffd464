CREATE TABLE IF NOT EXISTS scoring_cycles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    households INTEGER NOT NULL DEFAULT 0,
    households_uploaded_at INTEGER,
    households_uploaded_by TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS scoring_households (
    cycle TEXT NOT NULL,
    idx INTEGER NOT NULL,
    household_id TEXT NOT NULL,
    dong TEXT NOT NULL,
    size INTEGER NOT NULL,
    head_age_band TEXT NOT NULL,
    receiving_support INTEGER NOT NULL,
    PRIMARY KEY (cycle, idx)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS scoring_uploads (
    cycle TEXT NOT NULL,
    provider TEXT NOT NULL,
    rows INTEGER NOT NULL,
    missing_cells INTEGER NOT NULL,
    columns TEXT NOT NULL,
    uploaded_at INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL,
    PRIMARY KEY (cycle, provider)
);

CREATE TABLE IF NOT EXISTS scoring_columns (
    cycle TEXT NOT NULL,
    indicator TEXT NOT NULL,
    provider TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (cycle, indicator)
);

CREATE TABLE IF NOT EXISTS scoring_runs (
    id TEXT PRIMARY KEY,
    cycle TEXT NOT NULL,
    superseded INTEGER NOT NULL DEFAULT 0,
    model_version TEXT NOT NULL,
    meta TEXT NOT NULL,
    scores BLOB NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    run_by TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS scoring_runs_cycle ON scoring_runs(cycle, superseded);

CREATE TABLE IF NOT EXISTS scoring_flags (
    run_id TEXT NOT NULL,
    dong TEXT NOT NULL,
    rank INTEGER NOT NULL,
    household_id TEXT NOT NULL,
    score REAL NOT NULL,
    band TEXT NOT NULL,
    reasons TEXT NOT NULL,
    case_id TEXT NOT NULL,
    PRIMARY KEY (run_id, dong, rank)
) WITHOUT ROWID;
