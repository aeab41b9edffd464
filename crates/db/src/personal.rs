//! Personal data through the connection: every store seals and opens its personal columns with
//! the same keys, read once per connection from the Spin variables, and re-sealing under a new
//! key walks the tables the schema lists ([`PersonalColumns`]) in small batches.

use safetynet_secrets::PersonalDataKeys;

use crate::connection::{Db, Value, rows, text};
use crate::{PersonalColumns, StoreError, StoreResult};

/// What one re-sealing batch did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Resealed {
    /// Rows whose values were rewritten under the current key (or hashed).
    pub rewritten: u64,
    /// Values that could not be opened (their key is not configured), left as they were.
    pub unreadable: u64,
    /// Where the next batch starts (`table index/last key`); `None` when every table is done.
    pub cursor: Option<String>,
}

/// The length of a lookup hash (hex SHA-256).
const HASH_LEN: usize = 64;

impl Db {
    /// The keys that seal personal data (`personal_data_keys`; lookup hashes keyed by
    /// `secret_key`).
    pub fn personal(&self) -> StoreResult<&PersonalDataKeys> {
        self.personal
            .get_or_init(|| {
                let var = |name: &str| {
                    spin_sdk::variables::get(name).map_err(|_| format!("{name} variable not set"))
                };
                PersonalDataKeys::parse(&var("personal_data_keys")?, &var("secret_key")?)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| StoreError::Internal(e.clone()))
    }

    /// `value` sealed for `column` (`table.column`), as a parameter.
    pub fn sealed(&self, column: &str, value: &str) -> StoreResult<Value> {
        Ok(Value::Text(self.personal()?.seal(column, value)))
    }

    /// Like [`sealed`](Self::sealed), NULL for `None`.
    pub fn opt_sealed(&self, column: &str, value: Option<&str>) -> StoreResult<Value> {
        value.map_or(Ok(Value::Null), |v| self.sealed(column, v))
    }

    /// The plain text of a sealed `column` value. A value that cannot be opened (its key was
    /// removed, or it was altered) reads as a marker and is logged by column, never by value:
    /// an emergency must still reach 119 with what can be read.
    pub fn unsealed(&self, column: &str, stored: String) -> String {
        let opened = self
            .personal()
            .map_err(|e| e.to_string())
            .and_then(|keys| keys.open(column, &stored).map_err(|e| e.to_string()));
        opened.unwrap_or_else(|e| {
            eprintln!("personal data unreadable column={column} error={e}");
            format!("[unreadable: {e}]")
        })
    }

    /// The keyed hash of `value` for equality lookups of one `purpose`.
    pub fn lookup_hash(&self, purpose: &str, value: &str) -> StoreResult<String> {
        Ok(self.personal()?.lookup_hash(purpose, value))
    }

    /// Re-seals, in key order, up to `limit` rows that hold values not under the current key
    /// (or phone digits not yet hashed), starting at `cursor`. Call inside a transaction.
    pub fn reseal(
        &self,
        tables: &[PersonalColumns],
        cursor: &ResealCursor,
        limit: i64,
    ) -> StoreResult<Resealed> {
        let (mut index, mut after) = (cursor.table, cursor.after.clone());
        let keys = self.personal()?;
        let mut done = Resealed::default();
        let mut budget = limit;
        while index < tables.len() && budget > 0 {
            let t = &tables[index];
            let (n, last) = self.reseal_table(keys, t, &after, budget, &mut done)?;
            budget -= n;
            match last {
                Some(k) if n > 0 && budget == 0 => after = k,
                _ => {
                    index += 1;
                    after = String::new();
                }
            }
        }
        done.cursor = (index < tables.len()).then(|| format!("{index}/{after}"));
        Ok(done)
    }

    /// One table's batch: rows after `after` needing work, up to `limit`; returns how many
    /// rows were looked at and the last key.
    fn reseal_table(
        &self,
        keys: &PersonalDataKeys,
        t: &PersonalColumns,
        after: &str,
        limit: i64,
        done: &mut Resealed,
    ) -> StoreResult<(i64, Option<String>)> {
        let mut needs: Vec<String> = t.sealed.iter().map(|c| stale(keys, c)).collect();
        needs.extend(
            t.phone_hashes
                .iter()
                .map(|c| format!("length({c}) <> {HASH_LEN}")),
        );
        let cols: Vec<&str> = t.sealed.iter().chain(t.phone_hashes).copied().collect();
        let r = self.exec(
            &format!(
                "SELECT {key}, {cols} FROM {table} WHERE {key} > ? AND ({needs}) ORDER BY {key} LIMIT ?",
                key = t.key,
                cols = cols.join(", "),
                table = t.table,
                needs = needs.join(" OR "),
            ),
            &[key_param(t, after), Value::Integer(limit)],
        )?;
        let mut seen = 0;
        let mut last = None;
        for row in rows(&r) {
            seen += 1;
            let id = if t.integer_key {
                row.int(t.key).to_string()
            } else {
                row.str(t.key)
            };
            let mut sets: Vec<String> = Vec::new();
            let mut params: Vec<Value> = Vec::new();
            for c in t.sealed {
                let Some(v) = row.as_text(c) else { continue };
                if keys.is_current(&v) {
                    continue;
                }
                let column = format!("{}.{c}", t.table);
                match keys.open(&column, &v) {
                    Ok(plain) => {
                        sets.push(format!("{c} = ?"));
                        params.push(text(keys.seal(&column, &plain)));
                    }
                    Err(_) => done.unreadable += 1,
                }
            }
            for c in t.phone_hashes {
                let v = row.str(c);
                if v.len() != HASH_LEN {
                    sets.push(format!("{c} = ?"));
                    params.push(text(keys.lookup_hash("phone", &v)));
                }
            }
            if !sets.is_empty() {
                params.push(key_param(t, &id));
                self.exec(
                    &format!(
                        "UPDATE {} SET {} WHERE {} = ?",
                        t.table,
                        sets.join(", "),
                        t.key
                    ),
                    &params,
                )?;
                done.rewritten += 1;
            }
            last = Some(id);
        }
        Ok((seen, last))
    }

    /// How many values in `tables` are not under the current key (or not yet hashed).
    pub fn stale_personal_values(&self, tables: &[PersonalColumns]) -> StoreResult<u64> {
        let keys = self.personal()?;
        let mut total = 0;
        for t in tables {
            for c in t.sealed {
                total += self.count(&format!(
                    "SELECT COUNT(*) FROM {} WHERE {}",
                    t.table,
                    stale(keys, c)
                ))?;
            }
            for c in t.phone_hashes {
                total += self.count(&format!(
                    "SELECT COUNT(*) FROM {} WHERE length({c}) <> {HASH_LEN}",
                    t.table
                ))?;
            }
        }
        Ok(total)
    }

    fn count(&self, sql: &str) -> StoreResult<u64> {
        let r = self.exec(sql, &[])?;
        Ok(r.rows
            .first()
            .and_then(|r| r.get::<i64>(0))
            .unwrap_or(0)
            .max(0) as u64)
    }
}

/// SQL true for a value of column `c` not as the current key would store it: sealed under
/// another key or not sealed (or, in plain-text mode, sealed). Compared by prefix, so no row
/// is opened to find them. Key ids are letters, digits, '-' and '_' (checked when parsed), so
/// they are safe inside the literal.
fn stale(keys: &PersonalDataKeys, c: &str) -> String {
    match keys.current_key() {
        Some(id) => {
            let p = format!("pd1:{id}:");
            format!("({c} IS NOT NULL AND substr({c}, 1, {}) <> '{p}')", p.len())
        }
        None => format!("({c} IS NOT NULL AND substr({c}, 1, 4) = 'pd1:')"),
    }
}

/// A key as a parameter of its column's type (an empty text key is before every key).
fn key_param(t: &PersonalColumns, key: &str) -> Value {
    if t.integer_key {
        Value::Integer(key.parse().unwrap_or(i64::MIN))
    } else {
        text(key)
    }
}

/// Where a re-sealing batch starts: a table of the list and the last key done in it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ResealCursor {
    table: usize,
    after: String,
}

impl ResealCursor {
    /// Reads a cursor a previous batch returned over the same `tables`; `None` if it is not one.
    pub fn parse(cursor: &str, tables: &[PersonalColumns]) -> Option<ResealCursor> {
        let (i, after) = cursor.split_once('/')?;
        let table = i.parse::<usize>().ok().filter(|i| *i <= tables.len())?;
        Some(ResealCursor {
            table,
            after: after.to_string(),
        })
    }
}
