//! The staff console: the page and its assets at `/`, and sign-in at `/api/v1/session`.
//!
//! The console's screens call the suite's own API from the browser with the session cookie, so
//! what a person can see and do is exactly what the API allows their role and dong: there is no
//! second copy of any query or rule here.

use spin_sdk::http::{IncomingRequest, Request, Response};
use spin_sdk::http_component;

use safetynet_db::Db;
use safetynet_http::{ApiError, ApiResult};

mod assets;
mod sign_in;

#[http_component]
async fn handle(req: IncomingRequest) -> Response {
    safetynet_http::serve(req, |req| async move { route(req) }).await
}

fn route(req: Request) -> ApiResult<Response> {
    let path = req.path().to_string();
    match path.as_str() {
        "/api/v1/session" => sign_in::handle(&req, &Db::open(safetynet_migrations::ALL)?),
        p if p.starts_with("/api/") => Err(ApiError::not_found("no such route")),
        p => assets::serve(&req, p),
    }
}
