//! A cycle's run: load every household's indicators, score them in the scoring component,
//! have the component choose each dong centre's list (leaving out households already in
//! follow-up or supported last cycle, ranking the rest, splitting the city quota), and store
//! each centre's list and a case per flagged household.

use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};
use std::time::Instant;

use crate::store::{self as scoring, Flag, Run};
use safetynet_auth::Staff;
use safetynet_cases::{self as cases, ScoredCase};
use safetynet_db::Db;
use safetynet_http::json as json_response;
use safetynet_http::{ApiError, ApiResult};
use safetynet_wire::ids;
use safetynet_wire::time;

use crate::cycle::Cycle;
use crate::scorer::{self, wit};

pub const DEFAULT_QUOTA: i64 = 4_000;
/// Reasons kept per household.
const TOP: usize = 3;

pub fn run(req: &Request, db: &Db, staff: &Staff, cycle: &Cycle) -> ApiResult<Response> {
    staff.require(&[])?;
    let v = safetynet_http::validate::parse_optional_body(req.body())?;
    let quota = match safetynet_http::validate::opt_i64(&v, "quota", 0, 1_000_000)? {
        Some(q) => q,
        None => spin_sdk::variables::get("scoring_quota")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(DEFAULT_QUOTA),
    };
    let replace = match v.get("replace") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::invalid("replace", "must be true or false")),
    };
    let id = cycle.id();
    let c = scoring::get_cycle(db, &id)?
        .filter(|c| c.households > 0)
        .ok_or_else(|| {
            ApiError::conflict(format!(
                "upload the household reference of {} first",
                cycle.name()
            ))
        })?;
    let previous_run = scoring::current_run(db, &id)?;
    if let Some(p) = &previous_run {
        if !replace {
            return Err(ApiError::conflict(format!(
                "{} already has run {}; send {{\"replace\": true}} to redo it",
                cycle.name(),
                p.id
            )));
        }
        if cases::run_has_progress(db, &p.id)? {
            return Err(ApiError::conflict(
                "centres have started following up this cycle's cases; it cannot be re-run",
            ));
        }
    }

    let started = time::now_ms();
    let t0 = Instant::now();
    let model = scorer::model_json();
    let info = scorer::info(&model)?;
    let k = info.indicators.len();

    // Load: households in position order and one column per indicator.
    let households = scoring::households_for_run(db, &id)?;
    let n = households.len();
    if n != c.households as usize {
        return Err(ApiError::internal(
            "household count does not match the cycle",
        ));
    }
    // Only the households with a value are loaded (almost every cell is 0), straight into
    // the shape the scoring component takes: column i is entries starts[i]..starts[i + 1].
    let mut missing_indicators = Vec::new();
    let mut starts = Vec::with_capacity(k + 1);
    let (mut rows, mut values) = (Vec::new(), Vec::new());
    starts.push(0u32);
    for ind in &info.indicators {
        match scoring::column(db, &id, &ind.id)?.filter(|c| c.households == n) {
            Some(c) => {
                rows.extend_from_slice(&c.rows);
                values.extend_from_slice(&c.values);
            }
            None => missing_indicators.push(ind.id.clone()),
        }
        starts.push(rows.len() as u32);
    }
    let columns = wit::SparseColumns {
        households: n as u32,
        starts,
        rows,
        values,
    };
    let t_load = t0.elapsed();

    // Reasons are needed only for households that may be sent to a centre.
    let scored = wit::score_sparse(&model, &columns, TOP as u32, info.allocation_min_band)
        .map_err(|e| ApiError::internal(format!("scoring: {e}")))?;
    let t_score = t0.elapsed();
    // Every household not returned scored 0 in band none. Households in the allocation band
    // or above have reasons, in row order.
    let min_band = scorer::band_u8(info.allocation_min_band);
    let mut scores = vec![0.0f32; n];
    let mut bands = vec![0u8; n];
    let mut explained = Vec::new();
    for (j, &r) in scored.rows.iter().enumerate() {
        scores[r as usize] = scored.scores[j];
        bands[r as usize] = scored.bands[j];
        if scored.bands[j] >= min_band {
            explained.push(r);
        }
    }

    let mut band_counts = [0u64; 4];
    for &b in &bands {
        band_counts[b.min(3) as usize] += 1;
    }

    // Who is left out, the ranking within each dong and the quota cut are the scoring
    // component's; this function only reads the cases it needs.
    let prev = cycle.previous().id();
    let (open_case, supported_last_cycle) =
        cases::exclusions(db, &prev, previous_run.as_ref().map(|r| r.id.as_str()))?;
    let followed = wit::Followed {
        open_case,
        supported_last_cycle,
    };
    let run_households = scorer::run_households(households, scores, bands);
    let selection = wit::select(
        &run_households,
        &followed,
        info.allocation_min_band,
        quota as u32,
    )
    .map_err(|e| ApiError::internal(format!("selecting households: {e}")))?;
    let wit::RunHouseholds {
        ids: household_ids,
        scores,
        bands,
        ..
    } = run_households;
    let t_rank = t0.elapsed();

    // Store the lists and open a case per flagged household, in one transaction.
    let run_id = ids::new_id("run");
    let mut flags = Vec::new();
    let mut new_cases = Vec::new();
    let mut centres = Vec::new();
    for centre in &selection.centres {
        let dong = centre.dong.as_str();
        centres.push(
            json!({"dong": dong, "at_risk": centre.at_risk, "allocated": centre.flagged.len()}),
        );
        for (rank, &at) in centre.flagged.iter().enumerate() {
            let (i, hid) = (at as usize, &household_ids[at as usize]);
            // Flagged households are in the allocation band, so they have reasons.
            let j = explained.binary_search(&at).unwrap_or_default();
            let why = reasons_json(
                &info,
                &columns,
                at,
                &scored.reasons[j * TOP..(j + 1) * TOP],
                &scored.points[j * TOP..(j + 1) * TOP],
            );
            let score = round2(scores[i]);
            let band = scorer::band_str(bands[i]);
            let case_id = ids::new_id("case");
            let names: Vec<&str> = why.iter().filter_map(|r| r["id"].as_str()).collect();
            new_cases.push(ScoredCase {
                id: case_id.clone(),
                household_id: hid,
                dong,
                score,
                band,
                summary: format!("crisis score {score} ({band}): {}", names.join(", ")),
            });
            flags.push(Flag {
                dong: dong.to_string(),
                rank: rank as i64 + 1,
                household_id: hid.clone(),
                score,
                band: band.to_string(),
                reasons: Value::Array(why),
                case_id,
            });
        }
    }
    let bands_json = json!({"none": band_counts[0], "low": band_counts[1], "medium": band_counts[2], "high": band_counts[3]});
    let uploads: Vec<Value> = scoring::uploads(db, &id)?
        .iter()
        .map(|u| json!({"provider": u.provider, "rows": u.rows, "uploaded_at": time::to_rfc3339(u.uploaded_at)}))
        .collect();
    let mut meta = json!({
        "quota": quota,
        "households": n,
        "scored": n,
        "excluded": {
            "receiving_support": selection.receiving_support,
            "open_case": selection.open_case,
            "supported_last_cycle": selection.supported_last_cycle,
        },
        "at_risk": selection.centres.iter().map(|c| c.at_risk as u64).sum::<u64>(),
        "flagged": flags.len(),
        "bands": bands_json,
        "centres": centres,
        "providers": uploads,
        "missing_indicators": missing_indicators,
        "replaced_run": previous_run.as_ref().map(|r| r.id.clone()),
    });
    let now = time::now_ms();
    let mut run = Run {
        id: run_id.clone(),
        cycle: id.clone(),
        model_version: info.version.clone(),
        meta: meta.clone(),
        started_at: started,
        finished_at: now,
        run_by: staff.id.clone(),
    };
    let t_before_store = t0.elapsed();
    db.tx(|db| -> ApiResult<_> {
        if let Some(p) = &previous_run {
            cases::delete_run_cases(db, &p.id)?;
            scoring::supersede(db, &p.id)?;
        }
        cases::create_scoring_cases(db, &id, &run_id, &new_cases, now)?;
        scoring::insert_flags(db, &run_id, &flags)?;
        let total = t0.elapsed();
        meta["duration_ms"] = json!(ms(total));
        meta["timings_ms"] = json!({
            "load": ms(t_load),
            "score": ms(t_score - t_load),
            "rank_allocate": ms(t_rank - t_score),
            "store": ms(total - t_before_store),
        });
        run.meta = meta.clone();
        run.finished_at = time::now_ms();
        Ok(scoring::insert_run(db, &run, &scores)?)
    })?;
    eprintln!(
        "scoring run id={run_id} cycle={id} households={n} flagged={} ms={}",
        flags.len(),
        meta["duration_ms"]
    );
    Ok(json_response(201, &run_json(&run, &cycle.name())))
}

fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

fn round2(x: f32) -> f64 {
    (x as f64 * 100.0).round() / 100.0
}

/// A flagged household's reasons with names, points and the raw value behind each.
fn reasons_json(
    info: &wit::ModelInfo,
    columns: &wit::SparseColumns,
    household: u32,
    idx: &[u16],
    pts: &[f32],
) -> Vec<Value> {
    let k = info.indicators.len();
    idx.iter()
        .zip(pts)
        .filter(|(r, _)| **r != u16::MAX)
        .filter_map(|(&r, &p)| {
            let r = r as usize;
            if r < k {
                let ind = &info.indicators[r];
                let span = columns.starts[r] as usize..columns.starts[r + 1] as usize;
                let value = columns.rows[span.clone()]
                    .binary_search(&household)
                    .map_or(0.0, |at| columns.values[span.start + at]);
                Some(json!({"id": ind.id, "name_ko": ind.name_ko, "name_en": ind.name_en, "unit": ind.unit, "value": value, "points": round2(p)}))
            } else {
                info.interactions.get(r - k).map(|x| {
                    json!({"id": x.id, "name_ko": x.name_ko, "name_en": x.name_en, "unit": "interaction", "points": round2(p)})
                })
            }
        })
        .collect()
}

pub fn run_json(run: &Run, cycle_name: &str) -> Value {
    let mut v = json!({
        "id": run.id,
        "cycle": run.cycle,
        "cycle_name": cycle_name,
        "model_version": run.model_version,
        "started_at": time::to_rfc3339(run.started_at),
        "finished_at": time::to_rfc3339(run.finished_at),
        "run_by": run.run_by,
    });
    if let (Some(o), Some(m)) = (v.as_object_mut(), run.meta.as_object()) {
        for (key, val) in m {
            o.insert(key.clone(), val.clone());
        }
    }
    v
}
