//! Group commit: single-statement writes from many requests share one transaction and one fsync.
//!
//! Most requests that write (device heartbeats, activity) run one INSERT in autocommit. Each
//! such commit costs SQLite a WAL append of every page it touched plus an fsync, and while the
//! fsync runs the worker thread that issued it sits idle holding the write gate. Here those
//! statements go to one committer thread per database instead: it takes whatever has queued up,
//! runs each statement inside its own savepoint of one transaction (so a failing statement is
//! undone alone, exactly as in autocommit), commits once, and only then answers each caller.
//! Nobody is answered before the commit that holds their write is durable, so the guarantee a
//! guest sees is the same as autocommit's; the WAL pages and the fsync are shared, and the
//! fsync no longer blocks a thread that runs Wasm.

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use std::sync::Weak;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot};

use super::{Database, Rows, run};

/// Most statements one transaction takes; bounds how long the gate is held at a time.
const MAX_BATCH: usize = 256;

/// One queued statement and where its outcome goes.
pub(super) struct Job {
    pub sql: String,
    pub params: Vec<SqlValue>,
    pub reply: oneshot::Sender<Outcome>,
}

/// Rows, `last_insert_rowid` and `changes` of a committed statement, or why it did not commit.
pub(super) type Outcome = Result<(Rows, i64, u64), String>;

/// Starts the committer thread of `db`; it ends when the database (and so the sender) is dropped.
pub(super) fn start(db: Weak<Database>) -> std::io::Result<mpsc::UnboundedSender<Job>> {
    // Only to wait for the write gate from this thread (a plain thread may block on a handle).
    let runtime = Handle::try_current().map_err(std::io::Error::other)?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
    std::thread::Builder::new()
        .name("sqlite-commit".into())
        .spawn(move || {
            while let Some(first) = rx.blocking_recv() {
                let Some(db) = db.upgrade() else { break };
                let mut batch = vec![first];
                drain(&mut rx, &mut batch);
                // The gate orders this batch with guests' own write transactions.
                let Ok(permit) = runtime.block_on(db.gate.clone().acquire_owned()) else {
                    fail_all(batch, "database closed");
                    break;
                };
                // Statements that arrived while the gate was busy join this commit too.
                drain(&mut rx, &mut batch);
                match db.take_writer() {
                    Ok(writer) => {
                        commit(&writer, batch);
                        if writer.is_autocommit() {
                            db.return_writer(writer);
                        }
                    }
                    Err(e) => fail_all(batch, &format!("{e:#}")),
                }
                drop(permit);
            }
        })?;
    Ok(tx)
}

fn drain(rx: &mut mpsc::UnboundedReceiver<Job>, batch: &mut Vec<Job>) {
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

fn fail_all(batch: Vec<Job>, why: &str) {
    for job in batch {
        let _ = job.reply.send(Err(why.to_string()));
    }
}

/// Runs `batch` in one transaction, each statement in its own savepoint, and answers each job
/// after the commit (or with the commit's error: then nothing of the batch was stored).
fn commit(conn: &Connection, batch: Vec<Job>) {
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
        return fail_all(batch, &e);
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut replies = Vec::with_capacity(batch.len());
    for job in batch {
        outcomes.push(one_statement(conn, &job.sql, &job.params));
        replies.push(job.reply);
    }
    if let Err(e) = exec(conn, "COMMIT") {
        let _ = exec(conn, "ROLLBACK");
        let why = format!("commit failed: {e}");
        for o in &mut outcomes {
            if o.is_ok() {
                *o = Err(why.clone());
            }
        }
    }
    for (reply, outcome) in replies.into_iter().zip(outcomes) {
        // A caller that went away (its request was cancelled) still had its write committed,
        // as it would have in autocommit.
        let _ = reply.send(outcome);
    }
}

/// Runs a parameterless control statement (BEGIN, COMMIT, SAVEPOINT...) from the statement
/// cache: every batch runs the same few, so they are parsed once.
fn exec(conn: &Connection, sql: &str) -> Result<(), String> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .map(drop)
        .map_err(|e| e.to_string())
}

/// One statement inside its own savepoint: undone alone if it fails.
fn one_statement(conn: &Connection, sql: &str, params: &[SqlValue]) -> Outcome {
    let savepoint = |verb: &str| exec(conn, verb);
    savepoint("SAVEPOINT one")?;
    match run(conn, sql, params) {
        Ok(rows) => {
            let done = (rows, conn.last_insert_rowid(), conn.changes());
            match savepoint("RELEASE one") {
                Ok(()) => Ok(done),
                Err(e) => {
                    // Not released means not part of the commit: undo it and say so.
                    let _ = savepoint("ROLLBACK TO one");
                    Err(e)
                }
            }
        }
        Err(e) => {
            savepoint("ROLLBACK TO one")?;
            savepoint("RELEASE one")?;
            Err(e.to_string())
        }
    }
}
