//! Serves the suite's OpenAPI 3.1 document at `/api/v1/openapi.json` (assembled by build.rs).

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

const DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

#[http_component]
fn handle(req: Request) -> Response {
    match req.method() {
        Method::Get | Method::Head => Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(DOCUMENT)
            .build(),
        _ => Response::builder()
            .status(405)
            .header("content-type", "application/json")
            .header("allow", "GET, HEAD")
            .body(
                safetynet_http::ApiError::method_not_allowed()
                    .body()
                    .to_string(),
            )
            .build(),
    }
}
