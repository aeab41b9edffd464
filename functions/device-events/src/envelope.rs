//! The webhook's body: `{event_id, device_id, kind, occurred_at, sequence?, data?}`.
//!
//! Read in two steps, because nothing but the device id is looked at before the signature is
//! checked. Pure (no I/O), so the fuzz target in `fuzz/` drives this same file natively.

use serde_json::{Value, json};

use safetynet_http::validate::{opt_i64, parse_body, req_str, req_time};
use safetynet_http::{ApiError, ApiResult};
use safetynet_vocabulary::EventKind;

/// The body as a JSON object, and the device it claims to come from.
pub fn sender(body: &[u8]) -> ApiResult<(Value, String)> {
    let v = parse_body(body)?;
    let device_id = req_str(&v, "device_id", 64)?.to_string();
    Ok((v, device_id))
}

/// An authenticated event's fields.
pub struct Envelope<'a> {
    /// The sender's id for this event; a repeat of it is the same event.
    pub event_id: &'a str,
    /// The kind as sent.
    pub kind_name: &'a str,
    /// The kind, known to the vocabulary.
    pub kind: EventKind,
    /// When the device says it happened (unix ms).
    pub occurred_at: i64,
    /// The device's own counter, if it keeps one.
    pub sequence: Option<i64>,
    /// Kind-specific details; `{}` when absent.
    pub data: Value,
}

/// The rest of the envelope, once the sender is authenticated; 400 naming the first bad field.
pub fn fields(v: &Value) -> ApiResult<Envelope<'_>> {
    let event_id = req_str(v, "event_id", 128)?;
    let kind_name = req_str(v, "kind", 32)?;
    let kind: EventKind = kind_name
        .parse()
        .map_err(|e: String| ApiError::invalid("kind", e))?;
    let occurred_at = req_time(v, "occurred_at")?;
    let sequence = opt_i64(v, "sequence", 0, i64::MAX)?;
    let data = match v.get("data") {
        None | Some(Value::Null) => json!({}),
        Some(d @ Value::Object(_)) => d.clone(),
        Some(_) => return Err(ApiError::invalid("data", "must be an object")),
    };
    Ok(Envelope {
        event_id,
        kind_name,
        kind,
        occurred_at,
        sequence,
        data,
    })
}
