//! The HTTP trigger: accept connections, route, add Spin's headers, run the component.
//!
//! Each request gets a fresh instance (as in Spin), so a trap in one request cannot affect the
//! next: a component that panics answers 500 and the host keeps serving.

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use wasmtime::Engine;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;

use crate::routes::RouteTable;
use crate::runtime::Prepared;

type Body = UnsyncBoxBody<Bytes, anyhow::Error>;

pub struct Server {
    pub engine: Engine,
    pub routes: RouteTable,
    pub components: HashMap<String, Arc<Prepared>>,
    pub request_timeout: std::time::Duration,
    /// Guest runs, which may outlive their response (a function answers, then keeps working:
    /// the webhook sends 119 after acknowledging the device). Shutdown waits for them.
    pub guests: tokio_util::task::TaskTracker,
}

impl Server {
    /// Serves until `shutdown` resolves, then stops accepting and lets in-flight requests finish.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<()> {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, client) = match accepted {
                        Ok(a) => a,
                        Err(e) => { tracing::warn!(error = %e, "accept failed"); continue; }
                    };
                    let _ = stream.set_nodelay(true);
                    let local = stream.local_addr().ok();
                    let server = self.clone();
                    let service = hyper::service::service_fn(move |req| {
                        let server = server.clone();
                        async move { Ok::<_, std::convert::Infallible>(server.handle(req, client, local).await) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        if let Err(e) = conn.await {
                            tracing::debug!(error = %e, "connection ended with error");
                        }
                    });
                }
                _ = &mut shutdown => break,
            }
        }
        drop(listener);
        self.guests.close();
        let drain = async {
            graceful.shutdown().await;
            self.guests.wait().await;
        };
        tokio::select! {
            _ = drain => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(10)) => {
                tracing::warn!("in-flight requests did not finish within 10 s");
            }
        }
        Ok(())
    }

    async fn handle(
        &self,
        req: Request<Incoming>,
        client: SocketAddr,
        local: Option<SocketAddr>,
    ) -> Response<Body> {
        let path = req.uri().path().to_string();
        let Some(m) = self.routes.find(&path) else {
            return plain(StatusCode::NOT_FOUND, "Not Found");
        };
        let Some(component) = self.components.get(&m.component).cloned() else {
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        };
        let (mut parts, body) = req.into_parts();
        let host = parts
            .headers
            .get(hyper::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
            .or_else(|| local.map(|l| l.to_string()))
            .unwrap_or_else(|| "localhost".to_string());
        let path_and_query = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| path.clone());
        let full_url = format!("http://{host}{path_and_query}");
        let h = &mut parts.headers;
        set(h, "spin-full-url", &full_url);
        set(h, "spin-path-info", &m.path_info);
        set(h, "spin-matched-route", &m.matched_route);
        set(h, "spin-raw-component-route", &m.matched_route);
        set(h, "spin-component-route", &m.component_route);
        set(h, "spin-base-path", "/");
        set(h, "spin-client-addr", &client.to_string());
        for (k, v) in &m.params {
            set(h, &format!("spin-path-match-{k}"), v);
        }
        if let Ok(uri) = full_url.parse() {
            parts.uri = uri;
        }
        let req = Request::from_parts(parts, body);

        match self.run(&component, req).await {
            Ok(resp) => resp,
            Err(e) => {
                tracing::error!(component = %component.id, error = %format!("{e:#}"), "component failed");
                plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }

    async fn run(&self, c: &Prepared, req: Request<Incoming>) -> Result<Response<Body>> {
        let mut store = c.new_store(&self.engine);
        let (tx, rx) = tokio::sync::oneshot::channel();
        let req = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, req)?;
        let out = store.data_mut().http().new_response_outparam(tx)?;
        let pre = c.pre.clone();
        // The guest may keep streaming the body after it has sent the headers, so it runs in
        // its own task.
        let timeout = self.request_timeout;
        let task = self.guests.spawn(async move {
            let run = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, req, out)
                    .await
            };
            // Guests yield at epoch ticks, so the timeout can fire; dropping the future drops
            // the instance.
            match tokio::time::timeout(timeout, run).await {
                Ok(r) => r,
                Err(_) => Err(wasmtime::Error::msg(format!(
                    "request exceeded {timeout:?}"
                ))),
            }
        });
        match rx.await {
            Ok(Ok(resp)) => Ok(resp.map(|b| b.map_err(anyhow::Error::from).boxed_unsync())),
            Ok(Err(code)) => anyhow::bail!("component answered with error {code:?}"),
            Err(_) => match task.await {
                Ok(Ok(())) => anyhow::bail!("component never set a response"),
                Ok(Err(e)) => Err(e.into()),
                Err(e) => Err(e.into()),
            },
        }
    }
}

fn set(h: &mut hyper::HeaderMap, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (
        hyper::header::HeaderName::from_bytes(name.as_bytes()),
        hyper::header::HeaderValue::from_str(value),
    ) {
        h.insert(n, v);
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(
            Full::new(Bytes::from_static(text.as_bytes()))
                .map_err(|never| match never {})
                .boxed_unsync(),
        )
        .unwrap()
}
