//! Request and response helpers over spin-sdk's HTTP types.

use serde_json::Value;
use spin_sdk::http::{IncomingRequest, Request, Response};

use crate::{ApiError, ApiResult};

/// A response with this status and a JSON body.
pub fn json(status: u16, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

/// The response for an error: its status and its JSON error body.
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

/// A query value: `+` is a space, then percent-decoding (invalid UTF-8 becomes U+FFFD rather
/// than an error, so a bad byte in a filter is a 400 from its check, never a 500).
fn percent_decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// A path segment, percent-decoded (`+` stays a plus, as in paths it means itself).
pub fn decode_path_segment(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// A request header's value, if present and valid UTF-8.
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

/// The client's address: the connection's, or, from a proxy listed in the `trusted_proxies`
/// variable, the one it forwarded (see [`crate::client`]). `None` when it cannot be read.
pub fn client_addr(req: &Request) -> ApiResult<Option<std::net::IpAddr>> {
    let trusted = spin_sdk::variables::get("trusted_proxies").unwrap_or_default();
    let trusted = crate::client::parse_trusted(&trusted).map_err(ApiError::internal)?;
    Ok(crate::client::client_ip(
        header(req, "spin-client-addr").unwrap_or_default(),
        header(req, "x-forwarded-for"),
        &trusted,
    ))
}

/// A retention period in days from the variable `name` (`default` when unset or blank); a
/// value that is not a whole number of days is a server error naming the variable.
pub fn days_variable(name: &str, default: i64) -> ApiResult<i64> {
    match spin_sdk::variables::get(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| *d >= 0)
            .ok_or_else(|| {
                ApiError::internal(format!("{name}: a whole number of days, got {v:?}"))
            }),
        _ => Ok(default),
    }
}

/// The most a JSON request body may hold (uploads excepted): far above any form or event the
/// suite takes, and small enough that many at once cannot exhaust the machine that carries the
/// emergency path.
pub const BODY_LIMIT: usize = 64 * 1024;

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        413,
        "payload_too_large",
        format!("the request body may be at most {limit} bytes"),
    )
}

/// Reads a request's body, refusing with 413 one over `limit` bytes; no more than the limit
/// (and one chunk) is ever held.
///
/// The answer to an oversized body waits until the client has finished sending, or until
/// [`DRAIN_LIMIT`] more bytes were read and dropped: a connection closed while the client is
/// still writing reaches most clients as a broken pipe instead of the 413. Past the drain
/// limit the connection is given up on (an abusive upload gets a reset, at no memory cost).
pub async fn read_body(req: IncomingRequest, limit: usize) -> ApiResult<Vec<u8>> {
    use futures::StreamExt;
    let mut stream = req.into_body_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::bad_request("the request body could not be read"))?;
        if body.len() + chunk.len() > limit {
            let mut dropped = chunk.len();
            while dropped <= DRAIN_LIMIT {
                match stream.next().await {
                    Some(Ok(more)) => dropped += more.len(),
                    _ => break,
                }
            }
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// How much of an oversized body is read and dropped before answering 413 (see [`read_body`]).
pub const DRAIN_LIMIT: usize = 1024 * 1024;

/// The request with its body read as [`read_body`] does.
pub async fn bounded_request(req: IncomingRequest, limit: usize) -> ApiResult<Request> {
    let mut out = Request::builder()
        .method(req.method())
        .uri(req.uri())
        .headers(req.headers())
        .build();
    *out.body_mut() = read_body(req, limit).await?;
    Ok(out)
}

/// `?limit=` from 1 to `max`, `default` when absent; anything else is a 400 naming `limit`.
pub fn limit_param(req: &Request, default: i64, max: i64) -> ApiResult<i64> {
    match query_param(req, "limit") {
        None => Ok(default),
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=max).contains(l))
            .ok_or_else(|| ApiError::invalid("limit", format!("1 to {max}"))),
    }
}

/// `?<name>=` as an RFC 3339 timestamp (unix ms); anything else is a 400 naming it.
pub fn time_param(req: &Request, name: &str) -> ApiResult<Option<i64>> {
    match query_param(req, name) {
        None => Ok(None),
        Some(s) => safetynet_wire::time::parse_rfc3339(&s)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(name, "must be an RFC 3339 timestamp")),
    }
}

/// A function's entry: the request read within [`BODY_LIMIT`], handed to `route`, and its result
/// answered (errors in the API's shape).
pub async fn serve<F>(req: IncomingRequest, route: impl FnOnce(Request) -> F) -> Response
where
    F: std::future::Future<Output = ApiResult<Response>>,
{
    match bounded_request(req, BODY_LIMIT).await {
        Ok(req) => respond(route(req).await),
        Err(e) => respond(Err(e)),
    }
}
