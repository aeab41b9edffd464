//! Owner of `rate_limits`: a sliding window of hits per bucket and key, for public endpoints
//! that take no token. Keys are hashed by the caller (client addresses are personal data).

use safetynet_db::StoreResult;
use safetynet_db::{Db, int, rows, text};

/// Records a hit unless `limit` hits already fell in the last `window_ms`. Returns `None` when
/// allowed, or the ms until the oldest hit leaves the window. Call inside a transaction.
pub fn hit(
    db: &Db,
    bucket: &str,
    key: &str,
    limit: i64,
    window_ms: i64,
    now: i64,
) -> StoreResult<Option<i64>> {
    let since = now - window_ms;
    // Old hits of this key are dead weight; dropping them keeps the table as small as the traffic.
    db.exec(
        "DELETE FROM rate_limits WHERE bucket = ? AND key = ? AND at <= ?",
        &[text(bucket), text(key), int(since)],
    )?;
    let r = db.exec(
        "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM rate_limits WHERE bucket = ? AND key = ?",
        &[text(bucket), text(key)],
    )?;
    let (n, oldest) = rows(&r).next().map_or((0, now), |row| {
        (row.int("n"), row.opt_int("oldest").unwrap_or(now))
    });
    if n >= limit {
        return Ok(Some((oldest + window_ms - now).max(1)));
    }
    db.exec(
        "INSERT INTO rate_limits (bucket, key, at) VALUES (?,?,?)",
        &[text(bucket), text(key), int(now)],
    )?;
    Ok(None)
}
