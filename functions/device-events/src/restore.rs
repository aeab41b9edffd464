//! `restore` events: a device saying a condition is over (back online, power back, smoke
//! cleared), named in `data.restores`. What that does to the open incident of the condition is
//! the routing policy's call (`restore-action`): resolve it, downgrade it, or nothing. A restore
//! counts only from a device that is part of the condition: for `device-offline`, when no other
//! supervised device of the resident is still offline; otherwise, when this device reported an
//! event of the incident.

use serde_json::Value;

use safetynet_alerting::events;
use safetynet_alerting::incidents;
use safetynet_alerting::routing_client::{self as routing, RestoreAction, kind_from_str};
use safetynet_db::Db;
use safetynet_http::{ApiError, ApiResult};
use safetynet_residents as registry;

/// The condition a `restore` event ends (`data.restores`); `None` for every other kind.
pub fn parse<'a>(kind: &str, data: &'a Value) -> ApiResult<Option<&'a str>> {
    if kind != "restore" {
        return Ok(None);
    }
    let restored = match data.get("restores") {
        Some(Value::String(s)) => s.as_str(),
        None | Some(Value::Null) => {
            return Err(ApiError::invalid(
                "data.restores",
                "required: the event kind whose condition is over, e.g. device-offline",
            ));
        }
        Some(_) => return Err(ApiError::invalid("data.restores", "must be a string")),
    };
    if kind_from_str(restored).is_none() || restored == "restore" {
        return Err(ApiError::invalid(
            "data.restores",
            format!("{restored:?} is not an event kind a device reports"),
        ));
    }
    Ok(Some(restored))
}

/// Applies the policy's action for `restored` to the resident's open incident of that kind, if
/// this device may end it. Returns the incident and `resolved` or `downgraded`.
pub fn apply(
    db: &Db,
    restored: &str,
    device_id: &str,
    resident_id: &str,
    now: i64,
) -> ApiResult<Option<(String, &'static str)>> {
    let Some(incident_id) = incidents::find_open(db, resident_id, restored)? else {
        return Ok(None);
    };
    let kind = kind_from_str(restored).expect("checked by parse");
    let action = routing::restore_action(kind)?;
    if action == RestoreAction::None {
        return Ok(None);
    }
    let part_of_it = if restored == "device-offline" {
        registry::offline_devices_of(db, resident_id, device_id, now)?.is_empty()
    } else {
        events::device_in_incident(db, &incident_id, device_id)?
    };
    if !part_of_it {
        return Ok(None);
    }
    let actor = format!("device:{device_id}");
    let note = format!("{restored} restored by device {device_id}");
    let how = match action {
        RestoreAction::Resolve => {
            incidents::close(
                db,
                &incident_id,
                &actor,
                "resolved",
                incidents::RESTORED,
                Some(&note),
                now,
            )?;
            "resolved"
        }
        _ => {
            incidents::downgrade(db, &incident_id, &actor, &note, now)?;
            "downgraded"
        }
    };
    Ok(Some((incident_id, how)))
}
