//! Badges as the recognition component awards them: recomputed from approved minutes and filed
//! crisis reports whenever either changes, stored once, and reported when newly crossed.

use serde_json::{Value, json};

use crate::store::officer_activities;
use crate::store::officers;
use safetynet_cases as cases;
use safetynet_db::Db;
use safetynet_http::ApiResult;

use crate::recognition_client::{self as recognition, OfficerTotals};

/// Stores every badge the officer's record has earned; returns the ones that are new. Call
/// inside the transaction that changed the record, so a crossing is never missed or doubled.
pub fn refresh(db: &Db, officer_id: &str, now: i64) -> ApiResult<Vec<Value>> {
    let (minutes, _) = officer_activities::approved_minutes(db, officer_id)?;
    let reports = cases::count_by_reporter(db, officer_id)?;
    let totals = OfficerTotals {
        officer_id: officer_id.to_string(),
        approved_minutes: minutes.max(0) as u64,
        crisis_reports: reports.max(0) as u32,
    };
    let mut new = Vec::new();
    for b in recognition::earned_badges(&totals)? {
        let stored = officers::award_badge(
            db,
            officer_id,
            &officers::NewBadge {
                id: &b.id,
                metric: &b.metric,
                threshold: b.threshold,
                name_ko: &b.name_ko,
                name_en: &b.name_en,
            },
            now,
        )?;
        if stored {
            eprintln!("badge awarded officer={officer_id} badge={}", b.id);
            new.push(json!({
                "id": b.id,
                "metric": b.metric,
                "threshold": b.threshold,
                "name_ko": b.name_ko,
                "name_en": b.name_en,
            }));
        }
    }
    Ok(new)
}
