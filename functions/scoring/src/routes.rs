//! The HTTP entry: authenticate, then stream upload bodies or read the others whole.

use futures::TryStreamExt;
use spin_sdk::http::{IncomingRequest, Method, Request, Response};
use spin_sdk::http_component;

use safetynet_auth::{Role, Staff, authenticate};
use safetynet_db::Db;
use safetynet_http::{ApiError, ApiResult};
use safetynet_http::{decode_path_segment, json, respond, segments};

use crate::cycle::Cycle;

#[http_component]
async fn handle(req: IncomingRequest) -> Response {
    respond(route(req).await)
}

async fn route(inc: IncomingRequest) -> ApiResult<Response> {
    let mut req = Request::builder()
        .method(inc.method())
        .uri(inc.uri())
        .headers(inc.headers())
        .build();
    let db = Db::open(safetynet_migrations::ALL)?;
    let staff = authenticate(&req, &db)?;
    let seg: Vec<String> = segments(&req)
        .iter()
        .map(|s| decode_path_segment(s))
        .collect();
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    let m = req.method().clone();
    // Uploads are read as they stream in; everything else is small.
    match (&m, &seg[..]) {
        (Method::Put, ["api", "v1", "scoring", "cycles", c, "households"]) => {
            let cycle = cycle(c)?;
            staff.require(&[])?;
            let body = inc.into_body_stream().map_err(|e| format!("{e:?}"));
            return crate::uploads::households(&db, &staff, &cycle, body).await;
        }
        (Method::Put, ["api", "v1", "scoring", "cycles", c, "providers", p]) => {
            let cycle = cycle(c)?;
            // An admin, or the provider's own system for its own files.
            if !(staff.role == Role::DataProvider && staff.provider.as_deref() == Some(*p)) {
                staff.require(&[])?;
            }
            let body = inc.into_body_stream().map_err(|e| format!("{e:?}"));
            return crate::uploads::provider(&db, &staff, &cycle, p, body).await;
        }
        _ => {}
    }
    *req.body_mut() = safetynet_http::read_body(inc, safetynet_http::BODY_LIMIT).await?;
    rest(&req, &db, &staff, &m, &seg)
}

fn rest(req: &Request, db: &Db, staff: &Staff, m: &Method, seg: &[&str]) -> ApiResult<Response> {
    match (m, seg) {
        (Method::Get, ["api", "v1", "scoring", "model"]) => model(staff),
        (Method::Get, ["api", "v1", "scoring", "cycles"]) => crate::lists::cycles(db, staff),
        (Method::Get, ["api", "v1", "scoring", "cycles", c]) => {
            crate::lists::cycle(db, staff, &cycle(c)?)
        }
        (Method::Post, ["api", "v1", "scoring", "cycles", c, "runs"]) => {
            crate::run::run(req, db, staff, &cycle(c)?)
        }
        (Method::Get, ["api", "v1", "scoring", "cycles", c, "run"]) => {
            crate::lists::current_run(db, staff, &cycle(c)?)
        }
        (Method::Get, ["api", "v1", "scoring", "cycles", c, "run", "scores"]) => {
            crate::lists::scores(db, staff, &cycle(c)?)
        }
        (Method::Get, ["api", "v1", "scoring", "cycles", c, "centres", dong]) => {
            crate::lists::centre(req, db, staff, &cycle(c)?, dong)
        }
        (Method::Get, ["api", "v1", "scoring", "cycles", c, "report"]) => {
            crate::lists::report(db, staff, &cycle(c)?)
        }
        (Method::Get, ["api", "v1", "cases"]) => crate::cases::list(req, db, staff),
        (Method::Get, ["api", "v1", "cases", id]) => crate::cases::detail(db, staff, id),
        (Method::Post, ["api", "v1", "cases", id, "status"]) => {
            crate::cases::update(req, db, staff, id)
        }
        (_, ["api", "v1", "scoring", ..]) | (_, ["api", "v1", "cases", ..]) => {
            Err(ApiError::method_not_allowed())
        }
        _ => Err(ApiError::not_found("no such route")),
    }
}

fn cycle(s: &str) -> ApiResult<Cycle> {
    Cycle::parse(s).ok_or_else(|| {
        ApiError::invalid(
            "cycle",
            "two months of one year, odd month first, e.g. 2026-11-12 (for 2026-11/12)",
        )
    })
}

/// The model's indicators and what each provider uploads.
fn model(staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::WelfareCentre, Role::SupportCentre])?;
    let model = crate::scorer::model_json();
    let info = crate::scorer::info(&model)?;
    let indicators: Vec<_> = info
        .indicators
        .iter()
        .map(|i| {
            serde_json::json!({"id": i.id, "name_ko": i.name_ko, "name_en": i.name_en, "agency": i.agency, "unit": i.unit, "weight": i.weight})
        })
        .collect();
    let interactions: Vec<_> = info
        .interactions
        .iter()
        .map(|x| serde_json::json!({"id": x.id, "name_ko": x.name_ko, "name_en": x.name_en, "weight": x.weight}))
        .collect();
    let providers: Vec<_> = crate::scorer::providers(&info)
        .into_iter()
        .map(|(p, cols)| serde_json::json!({"id": p, "columns": cols}))
        .collect();
    Ok(json(
        200,
        &serde_json::json!({
            "version": info.version,
            "indicators": indicators,
            "interactions": interactions,
            "providers": providers,
            "allocation_min_band": crate::scorer::band_str(crate::scorer::band_u8(info.allocation_min_band)),
        }),
    ))
}
