//! `GET /api/v1/device-directory`: the device bridge's table — every MQTT speaker and DC-09
//! gateway that is not retired, with the webhook secret it signs with and its DC-09 key. The
//! bridge refreshes from here, so a device registered or retired in the suite is known or
//! refused at the bridge within one refresh, and no secret is copied into a file by hand.
//!
//! Only the bridge's token (role `clock`) and admins may read it: it holds secrets.

use safetynet_auth::{Role, Staff};
use safetynet_db::Db;
use safetynet_http::{ApiError, ApiResult, json as json_response};
use safetynet_secrets as secrets;
use serde_json::{Value, json};
use spin_sdk::http::Response;

/// Field names are the bridge's `[[devices]]` entries (`device_id`, `secret`, `dc09_account`,
/// `dc09_key`, `supervision_s`).
pub fn list(db: &Db, staff: &Staff) -> ApiResult<Response> {
    staff.require(&[Role::Clock])?;
    let master = spin_sdk::variables::get("secret_key")
        .map_err(|_| ApiError::internal("secret_key variable not set"))?;
    let open = |sealed: &str, what: &str, id: &str| {
        secrets::open(&master, sealed)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                ApiError::internal(format!("{what} of {id} does not open with secret_key"))
            })
    };
    let mut devices: Vec<Value> = Vec::new();
    for (d, key_sealed) in safetynet_residents::bridge_devices(db)? {
        let dc09 = d.protocol == "dc09";
        devices.push(json!({
            "device_id": d.id,
            "secret": open(&d.secret_sealed, "secret", &d.id)?,
            "dc09_account": d.dc09_account,
            "dc09_key": key_sealed.map(|k| open(&k, "dc09_key", &d.id)).transpose()?,
            // A DC-09 gateway's heartbeat interval is its supervision interval at the bridge.
            "supervision_s": if dc09 { d.heartbeat_interval_s } else { None },
        }));
    }
    Ok(json_response(200, &json!({ "devices": devices })))
}
