//! Owner of the bimonthly scoring tables (the `scoring` function): cycles, the household
//! reference per cycle, provider uploads (stored as one blob per indicator holding only the
//! households with a value, by position, so a run reads 47 small blobs instead of millions of
//! rows), runs and the flagged households each run sent to the dong centres.

use serde_json::Value;

use safetynet_db::StoreResult;
use safetynet_db::{Db, int, rows, text};

pub use crate::sparse_column::SparseColumn;
use crate::sparse_column::{f32s_from_le_bytes, f32s_to_le_bytes};

#[derive(Debug, Clone)]
pub struct Cycle {
    pub id: String,
    pub name: String,
    pub households: i64,
    pub households_uploaded_at: Option<i64>,
    pub created_at: i64,
}

pub fn get_cycle(db: &Db, id: &str) -> StoreResult<Option<Cycle>> {
    let r = db.exec(
        "SELECT id, name, households, households_uploaded_at, created_at FROM scoring_cycles WHERE id = ?",
        &[text(id)],
    )?;
    Ok(rows(&r).next().map(|r| Cycle {
        id: r.str("id"),
        name: r.str("name"),
        households: r.int("households"),
        households_uploaded_at: r.opt_int("households_uploaded_at"),
        created_at: r.int("created_at"),
    }))
}

pub fn list_cycles(db: &Db) -> StoreResult<Vec<Cycle>> {
    let r = db.exec(
        "SELECT id, name, households, households_uploaded_at, created_at FROM scoring_cycles ORDER BY id DESC",
        &[],
    )?;
    Ok(rows(&r)
        .map(|r| Cycle {
            id: r.str("id"),
            name: r.str("name"),
            households: r.int("households"),
            households_uploaded_at: r.opt_int("households_uploaded_at"),
            created_at: r.int("created_at"),
        })
        .collect())
}

/// One line of the household reference (no names: a pseudonymous id and coarse facts).
pub struct Household {
    pub id: String,
    pub dong: String,
    pub size: i64,
    pub head_age_band: String,
    pub receiving_support: bool,
}

/// Replaces the cycle's households (creating the cycle); call inside a transaction.
pub fn replace_households(
    db: &Db,
    cycle: &str,
    name: &str,
    list: &[Household],
    by: &str,
    now: i64,
) -> StoreResult<()> {
    db.exec(
        "INSERT INTO scoring_cycles (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING",
        &[text(cycle), text(name), int(now)],
    )?;
    db.exec(
        "DELETE FROM scoring_households WHERE cycle = ?",
        &[text(cycle)],
    )?;
    // Multi-row INSERTs: one statement per 500 households keeps 500k uploads to ~1,000 calls.
    for (c, chunk) in list.chunks(500).enumerate() {
        let mut sql = String::with_capacity(64 + chunk.len() * 16);
        sql.push_str("INSERT INTO scoring_households (cycle, idx, household_id, dong, size, head_age_band, receiving_support) VALUES ");
        let mut params = Vec::with_capacity(chunk.len() * 7);
        for (i, h) in chunk.iter().enumerate() {
            sql.push_str(if i == 0 {
                "(?,?,?,?,?,?,?)"
            } else {
                ",(?,?,?,?,?,?,?)"
            });
            params.extend([
                text(cycle),
                int((c * 500 + i) as i64),
                text(&h.id),
                text(&h.dong),
                int(h.size),
                text(&h.head_age_band),
                int(h.receiving_support as i64),
            ]);
        }
        db.exec(&sql, &params)?;
    }
    db.exec(
        "UPDATE scoring_cycles SET households = ?, households_uploaded_at = ?, households_uploaded_by = ? WHERE id = ?",
        &[int(list.len() as i64), int(now), text(by), text(cycle)],
    )?;
    Ok(())
}

/// Household ids in position order (position = index into every column).
pub fn household_ids(db: &Db, cycle: &str) -> StoreResult<Vec<String>> {
    let r = db.exec(
        "SELECT household_id FROM scoring_households WHERE cycle = ? ORDER BY idx",
        &[text(cycle)],
    )?;
    Ok(r.rows
        .iter()
        .map(|row| row.get::<&str>(0).unwrap_or_default().to_string())
        .collect())
}

/// What a run needs of each household, in position order: (id, dong, receiving support).
pub fn households_for_run(db: &Db, cycle: &str) -> StoreResult<Vec<(String, String, bool)>> {
    let r = db.exec(
        "SELECT household_id, dong, receiving_support FROM scoring_households WHERE cycle = ? ORDER BY idx",
        &[text(cycle)],
    )?;
    Ok(r.rows
        .iter()
        .map(|row| {
            (
                row.get::<&str>(0).unwrap_or_default().to_string(),
                row.get::<&str>(1).unwrap_or_default().to_string(),
                row.get::<i64>(2).unwrap_or(0) != 0,
            )
        })
        .collect())
}

#[derive(Debug, Clone)]
pub struct Upload {
    pub provider: String,
    pub rows: i64,
    pub missing_cells: i64,
    pub columns: Vec<String>,
    pub uploaded_at: i64,
    pub uploaded_by: String,
}

pub fn uploads(db: &Db, cycle: &str) -> StoreResult<Vec<Upload>> {
    let r = db.exec(
        "SELECT provider, rows, missing_cells, columns, uploaded_at, uploaded_by FROM scoring_uploads WHERE cycle = ? ORDER BY provider",
        &[text(cycle)],
    )?;
    Ok(rows(&r)
        .map(|r| Upload {
            provider: r.str("provider"),
            rows: r.int("rows"),
            missing_cells: r.int("missing_cells"),
            columns: serde_json::from_str(&r.str("columns")).unwrap_or_default(),
            uploaded_at: r.int("uploaded_at"),
            uploaded_by: r.str("uploaded_by"),
        })
        .collect())
}

/// Replaces everything `provider` sent for the cycle; call inside a transaction, so the
/// earlier upload stays whole until the new one is complete.
pub fn replace_provider(
    db: &Db,
    cycle: &str,
    upload: &Upload,
    columns: &[(String, Vec<f32>)],
) -> StoreResult<()> {
    db.exec(
        "DELETE FROM scoring_columns WHERE cycle = ? AND provider = ?",
        &[text(cycle), text(&upload.provider)],
    )?;
    for (indicator, values) in columns {
        db.exec(
            "INSERT OR REPLACE INTO scoring_columns (cycle, indicator, provider, data, encoding) VALUES (?, ?, ?, ?, 'sparse')",
            &[
                text(cycle),
                text(indicator),
                text(&upload.provider),
                spin_sdk::sqlite3::Value::Blob(SparseColumn::from_dense(values).to_bytes()),
            ],
        )?;
    }
    db.exec(
        "INSERT OR REPLACE INTO scoring_uploads (cycle, provider, rows, missing_cells, columns, uploaded_at, uploaded_by)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        &[
            text(cycle),
            text(&upload.provider),
            int(upload.rows),
            int(upload.missing_cells),
            text(Value::from(upload.columns.clone()).to_string()),
            int(upload.uploaded_at),
            text(&upload.uploaded_by),
        ],
    )?;
    Ok(())
}

/// One indicator's column of the cycle, whichever way it was stored.
pub fn column(db: &Db, cycle: &str, indicator: &str) -> StoreResult<Option<SparseColumn>> {
    let r = db.exec(
        "SELECT data, encoding FROM scoring_columns WHERE cycle = ? AND indicator = ?",
        &[text(cycle), text(indicator)],
    )?;
    let Some(row) = r.rows.first() else {
        return Ok(None);
    };
    let data = row.get::<&[u8]>(0).unwrap_or_default();
    Ok(match row.get::<&str>(1) {
        Some("sparse") => SparseColumn::from_bytes(data),
        _ => Some(SparseColumn::from_dense_bytes(data)),
    })
}

#[derive(Debug, Clone)]
pub struct Run {
    pub id: String,
    pub cycle: String,
    pub model_version: String,
    /// Counts, allocation, timings: see the function's run module.
    pub meta: Value,
    pub started_at: i64,
    pub finished_at: i64,
    pub run_by: String,
}

/// The cycle's current (not superseded) run.
pub fn current_run(db: &Db, cycle: &str) -> StoreResult<Option<Run>> {
    let r = db.exec(
        "SELECT id, cycle, model_version, meta, started_at, finished_at, run_by FROM scoring_runs
         WHERE cycle = ? AND superseded = 0 ORDER BY started_at DESC LIMIT 1",
        &[text(cycle)],
    )?;
    Ok(rows(&r).next().map(|r| Run {
        id: r.str("id"),
        cycle: r.str("cycle"),
        model_version: r.str("model_version"),
        meta: serde_json::from_str(&r.str("meta")).unwrap_or(Value::Null),
        started_at: r.int("started_at"),
        finished_at: r.int("finished_at"),
        run_by: r.str("run_by"),
    }))
}

/// Every household's score of a run, by position.
pub fn run_scores(db: &Db, run_id: &str) -> StoreResult<Vec<f32>> {
    let r = db.exec(
        "SELECT scores FROM scoring_runs WHERE id = ?",
        &[text(run_id)],
    )?;
    Ok(r.rows
        .first()
        .and_then(|row| row.get::<&[u8]>(0))
        .map(f32s_from_le_bytes)
        .unwrap_or_default())
}

pub fn supersede(db: &Db, run_id: &str) -> StoreResult<()> {
    db.exec(
        "UPDATE scoring_runs SET superseded = 1 WHERE id = ?",
        &[text(run_id)],
    )?;
    db.exec(
        "DELETE FROM scoring_flags WHERE run_id = ?",
        &[text(run_id)],
    )?;
    Ok(())
}

/// Stores a run with every household's score (f32 by position, for audit and export).
pub fn insert_run(db: &Db, run: &Run, scores: &[f32]) -> StoreResult<()> {
    db.exec(
        "INSERT INTO scoring_runs (id, cycle, model_version, meta, scores, started_at, finished_at, run_by) VALUES (?,?,?,?,?,?,?,?)",
        &[
            text(&run.id),
            text(&run.cycle),
            text(&run.model_version),
            text(run.meta.to_string()),
            spin_sdk::sqlite3::Value::Blob(f32s_to_le_bytes(scores)),
            int(run.started_at),
            int(run.finished_at),
            text(&run.run_by),
        ],
    )?;
    Ok(())
}

/// A household a run sent to its dong centre.
#[derive(Debug, Clone)]
pub struct Flag {
    pub dong: String,
    /// 1-based within the dong.
    pub rank: i64,
    pub household_id: String,
    pub score: f64,
    pub band: String,
    /// JSON array of reasons.
    pub reasons: Value,
    pub case_id: String,
}

pub fn insert_flags(db: &Db, run_id: &str, flags: &[Flag]) -> StoreResult<()> {
    for chunk in flags.chunks(400) {
        let mut sql = String::from(
            "INSERT INTO scoring_flags (run_id, dong, rank, household_id, score, band, reasons, case_id) VALUES ",
        );
        let mut params = Vec::with_capacity(chunk.len() * 8);
        for (i, f) in chunk.iter().enumerate() {
            sql.push_str(if i == 0 {
                "(?,?,?,?,?,?,?,?)"
            } else {
                ",(?,?,?,?,?,?,?,?)"
            });
            params.extend([
                text(run_id),
                text(&f.dong),
                int(f.rank),
                text(&f.household_id),
                safetynet_db::opt_real(Some(f.score)),
                text(&f.band),
                text(f.reasons.to_string()),
                text(&f.case_id),
            ]);
        }
        db.exec(&sql, &params)?;
    }
    Ok(())
}

/// One centre's list with each case's current status, in rank order.
pub fn flags_for_dong(
    db: &Db,
    run_id: &str,
    dong: &str,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<(Flag, String)>> {
    let r = db.exec(
        "SELECT f.dong, f.rank, f.household_id, f.score, f.band, f.reasons, f.case_id, c.status
         FROM scoring_flags f LEFT JOIN cases c ON c.id = f.case_id
         WHERE f.run_id = ? AND f.dong = ? ORDER BY f.rank LIMIT ? OFFSET ?",
        &[text(run_id), text(dong), int(limit), int(offset)],
    )?;
    Ok(rows(&r)
        .map(|r| {
            (
                Flag {
                    dong: r.str("dong"),
                    rank: r.int("rank"),
                    household_id: r.str("household_id"),
                    score: r.opt_real("score").unwrap_or(0.0),
                    band: r.str("band"),
                    reasons: serde_json::from_str(&r.str("reasons")).unwrap_or(Value::Null),
                    case_id: r.str("case_id"),
                },
                r.str("status"),
            )
        })
        .collect())
}
