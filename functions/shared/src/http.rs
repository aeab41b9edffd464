//! Request and response helpers over spin-sdk's HTTP types.

use serde_json::Value;
use spin_sdk::http::{Request, Response};

use crate::api::ApiError;

pub fn json(status: u16, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

pub fn error(e: &ApiError) -> Response {
    json(e.status, &e.body())
}

/// The request path split into segments, without the query.
pub fn segments(req: &Request) -> Vec<String> {
    req.path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| s.to_string())
        .collect()
}

/// A query-string parameter, percent-decoded.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query().split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            // Bytes, not `&s[..]`: a raw multi-byte character after `%` is no char boundary
            // (slicing there panicked: a 500 for `?dong=%1é`).
            b'%' if i + 2 < b.len()
                && b[i + 1].is_ascii_hexdigit()
                && b[i + 2].is_ascii_hexdigit() =>
            {
                out.push(hex_val(b[i + 1]) << 4 | hex_val(b[i + 2]));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.header(name).and_then(|v| v.as_str())
}

/// Converts a handler result into a response, logging server errors by code only.
pub fn respond(result: Result<Response, ApiError>) -> Response {
    match result {
        Ok(r) => r,
        Err(e) => {
            if e.status >= 500 {
                eprintln!("error code={} message={}", e.code, e.message);
            }
            error(&e)
        }
    }
}
