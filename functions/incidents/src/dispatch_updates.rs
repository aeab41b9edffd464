//! `POST /api/v1/dispatch-updates`: the 119 centre reports what became of a dispatch (received,
//! en route, on scene, transported, cancelled), naming it by the `Idempotency-Key` it arrived
//! with. Each status is recorded once per dispatch, on the incident's timeline, and "transported"
//! feeds the statistics, so the city's count of 119 transports is what 119 said, not what
//! someone typed.

use serde_json::json;
use spin_sdk::http::{Request, Response};

use safetynet_alerting::incidents::{self, DISPATCH_STATUSES, DispatchUpdate};
use safetynet_alerting::outbox;
use safetynet_auth::{Role, Staff};
use safetynet_db::Db;
use safetynet_http::json as json_response;
use safetynet_http::validate::{opt_str, opt_time, parse_body, req_enum, req_str};
use safetynet_http::{ApiError, ApiResult};
use safetynet_wire::time::{self, to_rfc3339};

pub fn post(req: &Request, db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::Dispatcher])?;
    let v = parse_body(req.body())?;
    let key = req_str(&v, "idempotency_key", 300)?;
    let status = req_enum(&v, "status", DISPATCH_STATUSES)?;
    let now = time::now_ms();
    let at = opt_time(&v, "at")?.unwrap_or(now);
    let note = opt_str(&v, "note", 2000)?;

    let (incident_id, channel) = outbox::incident_and_channel(db, key)?.ok_or_else(|| {
        ApiError::new(
            404,
            "unknown_dispatch",
            "no dispatch was sent with this idempotency_key",
        )
    })?;
    if outbox::destination_of(&channel) != "dispatch" {
        return Err(ApiError::invalid(
            "idempotency_key",
            "names a notification that was not sent to 119",
        ));
    }
    let update = DispatchUpdate {
        outbox_id: key,
        incident_id: &incident_id,
        status,
        at,
        note,
        by: &staff.id,
    };
    let recorded = db.tx(|db| incidents::record_dispatch_update(db, &update, now))?;
    let incident = incidents::get(db, &incident_id)?
        .ok_or_else(|| ApiError::internal("dispatch of a missing incident"))?;
    eprintln!("dispatch update incident={incident_id} status={status} new={recorded}");
    Ok(json_response(
        200,
        &json!({
            "incident_id": incident_id,
            "status": status,
            "duplicate": !recorded,
            "dispatch_status": incident.dispatch_status,
            "transported_at": incident.transported_at.map(to_rfc3339),
        }),
    ))
}
