//! The console's pages and assets, embedded at build time (see `build.rs`).
//!
//! Hashed files under `/assets/` never change, so browsers keep them for a year; the page itself
//! is revalidated every time, so a new release reaches everyone on their next load. Every page
//! carries a strict Content-Security-Policy: scripts and styles only from this origin, none
//! inline, so text that slipped past escaping still cannot run.

use spin_sdk::http::{Method, Request, Response};

use safetynet_http::{ApiError, ApiResult};

/// One built file.
pub struct Asset {
    /// The URL path it is served at, e.g. `/assets/index-3f2a.js`.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// The file.
    pub body: &'static [u8],
    /// A gzip copy, where smaller.
    pub gzip: Option<&'static [u8]>,
    /// A strong ETag from the file's SHA-256.
    pub etag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The policy every page is served under.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// Serves the asset at the request's path, or the console's page for any other path without a
/// file extension (the console's own screens are addressed by `#` fragments, but a bookmarked
/// `/` or `/board` still lands on it).
pub fn serve(req: &Request, path: &str) -> ApiResult<Response> {
    if !matches!(req.method(), Method::Get | Method::Head) {
        return Err(ApiError::method_not_allowed());
    }
    let asset = match find(path) {
        Some(a) => a,
        None if !path.rsplit('/').next().unwrap_or("").contains('.') => {
            find("/index.html").ok_or_else(|| ApiError::internal("console page missing"))?
        }
        None => return Err(ApiError::not_found("no such file")),
    };
    let immutable = asset.path.starts_with("/assets/");
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut r = Response::builder();
    r.header("content-type", asset.content_type)
        .header("cache-control", cache)
        .header("etag", asset.etag)
        .header("vary", "accept-encoding")
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer");
    if asset.content_type.starts_with("text/html") {
        r.header("content-security-policy", CONTENT_SECURITY_POLICY)
            .header("x-frame-options", "DENY");
    }
    let fresh = safetynet_http::header(req, "if-none-match").is_some_and(|tags| {
        tags.split(',')
            .any(|t| t.trim() == asset.etag || t.trim() == "*")
    });
    if fresh {
        return Ok(r.status(304).body(Vec::new()).build());
    }
    let accepts_gzip = safetynet_http::header(req, "accept-encoding")
        .is_some_and(|h| h.split(',').any(|e| e.trim().starts_with("gzip")));
    let body = match asset.gzip {
        Some(gz) if accepts_gzip => {
            r.header("content-encoding", "gzip");
            gz
        }
        _ => asset.body,
    };
    let body = if req.method() == &Method::Head {
        &[][..]
    } else {
        body
    };
    Ok(r.status(200).body(body.to_vec()).build())
}
