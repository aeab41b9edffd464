//! Uploads per cycle: the household reference, then each provider's file. Both are validated
//! line by line as they stream in and stored in one transaction only when the whole file is
//! clean, so a rejected file leaves the earlier upload untouched.

use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use spin_sdk::http::Response;
use std::collections::{BTreeSet, HashMap};

use crate::store::{self as scoring, Household, Upload};
use safetynet_auth::Staff;
use safetynet_db::Db;
use safetynet_http::json as json_response;
use safetynet_http::{ApiError, ApiResult};
use safetynet_wire::time;

use crate::csv::{Column, Households, LineSink, Lines, Problems, Provider};
use crate::cycle::Cycle;

async fn read_all(
    body: impl Stream<Item = Result<Vec<u8>, String>>,
    sink: &mut impl LineSink,
) -> ApiResult<u64> {
    let mut body = std::pin::pin!(body);
    let mut lines = Lines::default();
    let mut bytes = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("reading body: {e}")))?;
        bytes += chunk.len() as u64;
        lines.feed(&chunk, sink);
    }
    lines.finish(sink);
    Ok(bytes)
}

/// 400 listing the rejected lines; nothing was stored.
fn rejected(p: &Problems, what: &str) -> Response {
    let lines: Vec<Value> = p
        .listed
        .iter()
        .map(|e| json!({"line": e.line, "message": e.message}))
        .collect();
    json_response(
        400,
        &json!({"error": {
            "code": "invalid_csv",
            "message": format!("{} problem(s) in the {what} file; nothing was stored and any earlier upload is unchanged", p.total),
            "field": "body",
            "rejected": p.total,
            "lines": lines,
            "listed_all": p.listed.len() as u64 == p.total,
        }}),
    )
}

pub async fn households(
    db: &Db,
    staff: &Staff,
    cycle: &Cycle,
    body: impl Stream<Item = Result<Vec<u8>, String>>,
) -> ApiResult<Response> {
    let id = cycle.id();
    locked_by_uploads(db, &id)?;
    let mut parser = Households::default();
    let bytes = read_all(body, &mut parser).await?;
    parser.check_complete();
    if !parser.problems.is_empty() {
        eprintln!(
            "scoring households rejected cycle={id} problems={}",
            parser.problems.total
        );
        return Ok(rejected(&parser.problems, "household"));
    }
    let list: Vec<Household> = parser
        .rows
        .into_iter()
        .map(|h| Household {
            id: h.id,
            dong: h.dong,
            size: h.size,
            head_age_band: h.head_age_band,
            receiving_support: h.receiving_support,
        })
        .collect();
    let dongs: BTreeSet<&str> = list.iter().map(|h| h.dong.as_str()).collect();
    let dong_count = dongs.len();
    let now = time::now_ms();
    db.tx(|db| -> ApiResult<_> {
        // Checked again inside the write lock: a provider upload may have landed meanwhile.
        locked_by_uploads(db, &id)?;
        Ok(scoring::replace_households(
            db,
            &id,
            &cycle.name(),
            &list,
            &staff.id,
            now,
        )?)
    })?;
    eprintln!(
        "scoring households cycle={id} rows={} bytes={bytes}",
        list.len()
    );
    Ok(json_response(
        200,
        &json!({"cycle": id, "name": cycle.name(), "households": list.len(), "dongs": dong_count,
                "receiving_support": list.iter().filter(|h| h.receiving_support).count(),
                "uploaded_at": time::to_rfc3339(now)}),
    ))
}

/// Provider columns index households by position, so the reference is fixed once they exist.
fn locked_by_uploads(db: &Db, cycle: &str) -> ApiResult<()> {
    if !scoring::uploads(db, cycle)?.is_empty() || scoring::current_run(db, cycle)?.is_some() {
        return Err(ApiError::conflict(
            "the household reference of a cycle can only be replaced before any provider upload or run",
        ));
    }
    Ok(())
}

pub async fn provider(
    db: &Db,
    staff: &Staff,
    cycle: &Cycle,
    provider: &str,
    body: impl Stream<Item = Result<Vec<u8>, String>>,
) -> ApiResult<Response> {
    let id = cycle.id();
    let model = crate::scorer::model_json();
    let info = crate::scorer::info(&model)?;
    let providers = crate::scorer::providers(&info);
    let Some((_, cols)) = providers.iter().find(|(p, _)| p == provider) else {
        let names: Vec<&str> = providers.iter().map(|(p, _)| p.as_str()).collect();
        return Err(ApiError::not_found(format!(
            "no provider {provider:?} in model {} (providers: {})",
            info.version,
            names.join(", ")
        )));
    };
    let columns: Vec<Column> = cols
        .iter()
        .map(|c| Column {
            id: c.clone(),
            unit: info
                .indicators
                .iter()
                .find(|i| &i.id == c)
                .map(|i| i.unit.clone())
                .unwrap_or_default(),
        })
        .collect();
    let c = scoring::get_cycle(db, &id)?
        .filter(|c| c.households > 0)
        .ok_or_else(|| {
            ApiError::conflict(format!(
                "upload the household reference of {} first",
                cycle.name()
            ))
        })?;
    let ids: HashMap<String, u32> = scoring::household_ids(db, &id)?
        .into_iter()
        .enumerate()
        .map(|(i, h)| (h, i as u32))
        .collect();
    let mut parser = Provider::new(provider, &ids, c.households as usize, columns);
    let bytes = read_all(body, &mut parser).await?;
    parser.check_complete();
    if !parser.problems.is_empty() {
        eprintln!(
            "scoring upload rejected cycle={id} provider={provider} problems={}",
            parser.problems.total
        );
        return Ok(rejected(&parser.problems, &format!("{provider} provider")));
    }
    let now = time::now_ms();
    let upload = Upload {
        provider: provider.to_string(),
        rows: parser.rows as i64,
        missing_cells: parser.missing_cells as i64,
        columns: parser.columns().iter().map(|c| c.id.clone()).collect(),
        uploaded_at: now,
        uploaded_by: staff.id.clone(),
    };
    let data: Vec<(String, Vec<f32>)> = upload
        .columns
        .iter()
        .cloned()
        .zip(std::mem::take(&mut parser.values))
        .collect();
    let replaced = scoring::uploads(db, &id)?
        .iter()
        .any(|u| u.provider == provider);
    db.tx(|db| scoring::replace_provider(db, &id, &upload, &data))?;
    eprintln!(
        "scoring upload cycle={id} provider={provider} rows={} bytes={bytes}",
        upload.rows
    );
    Ok(json_response(
        200,
        &json!({"cycle": id, "provider": provider, "rows": upload.rows, "missing_cells": upload.missing_cells,
                "columns": upload.columns, "replaced": replaced, "uploaded_at": time::to_rfc3339(now)}),
    ))
}
