//! Reading fields out of a JSON body with errors that name the field.

use crate::{ApiError, ApiResult};
use serde_json::Value;

/// The request body as a JSON object; 400 if it is empty, not JSON, or not an object.
pub fn parse_body(body: &[u8]) -> ApiResult<Value> {
    if body.is_empty() {
        return Err(ApiError::bad_request("request body must be a JSON object"));
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("body is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(ApiError::bad_request("request body must be a JSON object"));
    }
    Ok(v)
}

/// Like [`parse_body`], but an empty body counts as `{}` (for actions whose fields are all
/// optional).
pub fn parse_optional_body(body: &[u8]) -> ApiResult<Value> {
    if body.is_empty() {
        Ok(Value::Object(Default::default()))
    } else {
        parse_body(body)
    }
}

/// A required, non-blank string field of at most `max_len` characters.
pub fn req_str<'a>(v: &'a Value, field: &str, max_len: usize) -> ApiResult<&'a str> {
    match v.get(field) {
        None | Some(Value::Null) => Err(ApiError::invalid(field, "required")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(ApiError::invalid(field, "must not be empty"))
        }
        Some(Value::String(s)) if s.chars().count() > max_len => Err(ApiError::invalid(
            field,
            format!("longer than {max_len} characters"),
        )),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::invalid(field, "must be a string")),
    }
}

/// An optional string field (absent or null is `None`); if present, as [`req_str`].
pub fn opt_str<'a>(v: &'a Value, field: &str, max_len: usize) -> ApiResult<Option<&'a str>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => req_str(v, field, max_len).map(Some),
    }
}

/// An optional integer field in `min..=max` (absent or null is `None`); `474.0` counts as 474.
pub fn opt_i64(v: &Value, field: &str, min: i64, max: i64) -> ApiResult<Option<i64>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        // JSON has one number type: `474.0` is the integer 474 (Python and others send it so).
        Some(Value::Number(n)) => match n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= min as f64 && *f <= max as f64)
                .map(|f| f as i64)
        }) {
            Some(i) if (min..=max).contains(&i) => Ok(Some(i)),
            _ => Err(ApiError::invalid(
                field,
                format!("must be an integer from {min} to {max}"),
            )),
        },
        Some(_) => Err(ApiError::invalid(field, "must be a number")),
    }
}

/// An optional number field in `min..=max` (absent or null is `None`).
pub fn opt_f64(v: &Value, field: &str, min: f64, max: f64) -> ApiResult<Option<f64>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f >= min && f <= max => Ok(Some(f)),
            _ => Err(ApiError::invalid(
                field,
                format!("must be a number from {min} to {max}"),
            )),
        },
        Some(_) => Err(ApiError::invalid(field, "must be a number")),
    }
}

/// A string that must be one of `allowed`.
pub fn req_enum<'a>(v: &'a Value, field: &str, allowed: &[&str]) -> ApiResult<&'a str> {
    let s = req_str(v, field, 64)?;
    if allowed.contains(&s) {
        Ok(s)
    } else {
        Err(ApiError::invalid(
            field,
            format!("must be one of {}", allowed.join(", ")),
        ))
    }
}

/// A timestamp field in RFC 3339, returned as unix ms.
pub fn req_time(v: &Value, field: &str) -> ApiResult<i64> {
    let s = req_str(v, field, 64)?;
    safetynet_wire::time::parse_rfc3339(s).ok_or_else(|| {
        ApiError::invalid(
            field,
            "must be an RFC 3339 timestamp, e.g. 2026-11-26T09:30:00+09:00",
        )
    })
}

/// An optional RFC 3339 timestamp field, as unix ms.
pub fn opt_time(v: &Value, field: &str) -> ApiResult<Option<i64>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => req_time(v, field).map(Some),
    }
}

/// Korean mobile or landline numbers, digits with optional dashes/plus.
pub fn phone(v: &Value, field: &str) -> ApiResult<String> {
    let s = req_str(v, field, 20)?;
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let ok = s
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == ' ');
    if !ok || !(9..=13).contains(&digits.len()) {
        return Err(ApiError::invalid(
            field,
            "must be a phone number such as 010-1234-5678",
        ));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_the_field() {
        let v = json!({"a": 1, "b": "", "k": "x"});
        assert_eq!(
            req_str(&v, "a", 10).unwrap_err().field.as_deref(),
            Some("a")
        );
        assert!(req_str(&v, "b", 10).unwrap_err().message.starts_with("b: "));
        assert_eq!(
            req_str(&v, "missing", 10).unwrap_err().message,
            "missing: required"
        );
        assert!(req_enum(&v, "k", &["y"]).is_err());
        assert!(phone(&json!({"p": "010-1234-5678"}), "p").is_ok());
        assert!(phone(&json!({"p": "call me"}), "p").is_err());
        assert!(req_time(&json!({"t": "2026-11-26T09:30:00+09:00"}), "t").is_ok());
        assert!(parse_body(b"[1]").is_err());
        let n: Value =
            serde_json::from_str(r#"{"a": 474.0, "b": 4.5, "c": 1e300, "d": -0.0}"#).unwrap();
        assert_eq!(opt_i64(&n, "a", 0, 1000), Ok(Some(474)));
        assert!(opt_i64(&n, "b", 0, 1000).is_err());
        assert!(opt_i64(&n, "c", 0, i64::MAX).is_err());
        assert_eq!(opt_i64(&n, "d", 0, 1), Ok(Some(0)));
    }
}
