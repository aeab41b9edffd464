//! `POST /api/v1/jobs/officers` (the clock, or an admin): retention of what this function
//! owns — applications rejected `retention_rejected_application_days` (183) ago are deleted,
//! in small batches, on the wall clock. The answer counts what went.

use safetynet_auth::{Role, Staff};
use safetynet_db::Db;
use safetynet_http::{ApiResult, days_variable, json as json_response};
use serde_json::json;
use spin_sdk::http::Response;

use crate::store::officers;

const BATCH: i64 = 100;
const BATCHES: usize = 10;
const DAY_MS: i64 = 86_400_000;

pub fn run(db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::Clock])?;
    let before = safetynet_wire::time::now_ms()
        - days_variable("retention_rejected_application_days", 183)? * DAY_MS;
    let mut removed = 0;
    for _ in 0..BATCHES {
        let n = db.tx(|db| officers::purge_rejected(db, before, BATCH))?;
        removed += n;
        if n < BATCH as u64 {
            break;
        }
    }
    if removed > 0 {
        eprintln!("retention rejected_applications={removed}");
    }
    Ok(json_response(
        200,
        &json!({ "retention": { "rejected_applications": removed } }),
    ))
}
