//! A small blocking JSON client for the suite's API.

use anyhow::{Result, bail};
use serde_json::Value;
use std::time::Duration;

pub struct Api {
    pub base: String,
    token: String,
    agent: ureq::Agent,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Self {
        Api {
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(30))
                .build(),
        }
    }

    /// Sends a request and returns (status, JSON body); transport errors are errors.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Result<(u16, Value)> {
        let mut req = self
            .agent
            .request(method, &format!("{}{path}", self.base))
            .set("content-type", "application/json");
        if !self.token.is_empty() {
            req = req.set("authorization", &format!("Bearer {}", self.token));
        }
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let res = match body {
            Some(b) => req.send_string(b),
            None => req.call(),
        };
        let resp = match res {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => bail!("{method} {path}: {e}"),
        };
        let status = resp.status();
        let text = resp.into_string()?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    /// Like [`Api::call`] with a JSON body, failing unless the status is 2xx.
    pub fn ok(&self, method: &str, path: &str, body: &Value) -> Result<Value> {
        let (status, v) = self.call(method, path, &[], Some(&body.to_string()))?;
        if !(200..300).contains(&status) {
            bail!("{method} {path} → {status}: {v}");
        }
        Ok(v)
    }
}
