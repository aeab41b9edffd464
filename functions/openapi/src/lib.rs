//! Serves the suite's OpenAPI 3.1 document at `/api/v1/openapi.json` (assembled by build.rs).

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

const DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

#[http_component]
fn handle(_req: Request) -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(DOCUMENT)
        .build()
}
