//! `allowed_outbound_hosts`: which URLs a component may call, checked as Spin does.
//!
//! An entry is `scheme://host[:port]`; `*` may stand for the scheme, the host, a leading
//! subdomain label (`*.example.com`) or the port. A missing port means the scheme's default.
//! Anything not allowed is refused with `HttpRequestDenied` before a connection is made.

use anyhow::{Result, anyhow, bail};
use std::sync::Arc;
use wasmtime_wasi_http::{WasiBody, WasiHttpHooks};

#[derive(Debug, Clone, PartialEq)]
pub struct AllowedHost {
    scheme: String,
    host: String,
    port: Option<String>,
}

impl AllowedHost {
    /// Parses one rendered entry. A path is tolerated and ignored (operators often paste URLs).
    pub fn parse(entry: &str) -> Result<Self> {
        let (scheme, rest) = entry
            .split_once("://")
            .ok_or_else(|| anyhow!("{entry:?}: expected scheme://host[:port]"))?;
        let authority = rest.split('/').next().unwrap_or("");
        if authority.is_empty() {
            bail!("{entry:?}: missing host");
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
                (h.to_string(), Some(p.to_string()))
            }
            _ => (authority.to_string(), None),
        };
        Ok(Self {
            scheme: scheme.to_ascii_lowercase(),
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let scheme_ok = self.scheme == "*" || self.scheme == scheme;
        let host_ok = self.host == "*"
            || self.host == host
            || self
                .host
                .strip_prefix("*.")
                .is_some_and(|suffix| host.ends_with(&format!(".{suffix}")));
        let port_ok = match &self.port {
            Some(p) if p == "*" => true,
            Some(p) => p.parse::<u16>().ok() == Some(port),
            None => default_port(&self.scheme).or(default_port(scheme)) == Some(port),
        };
        scheme_ok && host_ok && port_ok
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// The hooks wasi-http calls for each outgoing request of one component.
#[derive(Clone, Default)]
pub struct OutboundPolicy {
    pub allowed: Arc<Vec<AllowedHost>>,
}

impl OutboundPolicy {
    pub fn allows(&self, uri: &http::Uri) -> bool {
        let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
        let Some(host) = uri.host() else { return false };
        let host = host.to_ascii_lowercase();
        let Some(port) = uri.port_u16().or(default_port(&scheme)) else {
            return false;
        };
        self.allowed.iter().any(|a| a.allows(&scheme, &host, port))
    }
}

impl WasiHttpHooks for OutboundPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        fut: Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> Box<
        dyn std::future::Future<
                Output = Result<
                    (
                        http::Response<WasiBody>,
                        Box<
                            dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>>
                                + Send,
                        >,
                    ),
                    wasmtime_wasi_http::Error,
                >,
            > + Send,
    > {
        let allowed = self.allows(request.uri());
        if !allowed {
            tracing::warn!(uri = %request.uri(), "outbound request denied: not in allowed_outbound_hosts");
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        let _ = fut;
        Box::new(async move {
            use http_body_util::BodyExt;
            let (res, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                res.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn std::future::Future<Output = _> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(entries: &[&str]) -> OutboundPolicy {
        OutboundPolicy {
            allowed: Arc::new(
                entries
                    .iter()
                    .map(|e| AllowedHost::parse(e).unwrap())
                    .collect(),
            ),
        }
    }

    #[test]
    fn matches_scheme_host_and_port() {
        let p = policy(&["http://127.0.0.1:9119", "https://*.example.com"]);
        assert!(p.allows(&"http://127.0.0.1:9119/dispatch".parse().unwrap()));
        assert!(!p.allows(&"http://127.0.0.1:9120/".parse().unwrap()));
        assert!(!p.allows(&"https://127.0.0.1:9119/".parse().unwrap()));
        assert!(p.allows(&"https://api.example.com/x".parse().unwrap()));
        assert!(!p.allows(&"https://example.org/".parse().unwrap()));
    }

    #[test]
    fn default_and_wildcard_ports() {
        let p = policy(&["http://localhost", "http://10.0.0.1:*"]);
        assert!(p.allows(&"http://localhost/".parse().unwrap()));
        assert!(!p.allows(&"http://localhost:8080/".parse().unwrap()));
        assert!(p.allows(&"http://10.0.0.1:1234/".parse().unwrap()));
        assert!(!policy(&[]).allows(&"http://x/".parse().unwrap()));
    }
}
