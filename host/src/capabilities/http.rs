//! Outgoing HTTP, deny by default: a connector reaches only the hosts of the
//! base URLs in its own settings. The policy is plain data, checked in the
//! `wasi:http` send hook; a refusal is logged with the reason and reaches the
//! guest as `HttpRequestDenied`. Allowed requests wait their turn in the
//! connection's rate budgets (`pacing`) before they go out.

use std::sync::{Arc, Mutex};

use http::Uri;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::capabilities::log::ActivityWriter;
use crate::capabilities::pacing::Pacing;

/// One origin a connector may reach: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Origin {
    fn of(scheme: &str, host: &str, port: Option<u16>) -> Self {
        let port = port.unwrap_or(if scheme == "https" { 443 } else { 80 });
        Origin { scheme: scheme.to_ascii_lowercase(), host: host.to_ascii_lowercase(), port }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

#[derive(Debug, Clone, Default)]
pub struct HttpPolicy {
    allowed: Vec<Origin>,
    pacing: Option<Pacing>,
}

impl HttpPolicy {
    /// No outgoing HTTP at all.
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// Allows the origins of these base URLs, refusing anything that is not
    /// an absolute http(s) URL.
    pub fn from_base_urls<'a>(urls: impl IntoIterator<Item = &'a str>) -> anyhow::Result<Self> {
        let mut allowed = Vec::new();
        for url in urls {
            let parsed = url::Url::parse(url).map_err(|e| anyhow::anyhow!("`{url}` is not a valid base URL: {e}"))?;
            let host = parsed.host_str().ok_or_else(|| anyhow::anyhow!("base URL `{url}` has no host"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                anyhow::bail!("base URL `{url}` must be http or https");
            }
            allowed.push(Origin::of(parsed.scheme(), host.trim_matches(['[', ']']), parsed.port()));
        }
        Ok(Self { allowed, pacing: None })
    }

    /// The same policy, with requests paced to these budgets.
    pub fn paced(self, pacing: Pacing) -> Self {
        Self { pacing: Some(pacing), ..self }
    }

    pub fn allowed(&self) -> &[Origin] {
        &self.allowed
    }

    /// Ok when the request may go out; otherwise the reason, in words.
    pub fn check(&self, uri: &Uri) -> Result<(), String> {
        let scheme = uri.scheme_str().unwrap_or("https");
        let Some(host) = uri.host() else {
            return Err(format!("request to `{uri}` names no host"));
        };
        let origin = Origin::of(scheme, host.trim_matches(['[', ']']), uri.port_u16());
        if self.allowed.contains(&origin) {
            return Ok(());
        }
        if self.allowed.is_empty() {
            return Err(format!("request to {origin} refused: this component may not make HTTP requests"));
        }
        let list: Vec<String> = self.allowed.iter().map(ToString::to_string).collect();
        Err(format!("request to {origin} refused: allowed hosts are {}", list.join(", ")))
    }
}

/// The `wasi:http` hooks of one Store: the policy, and where refusals go.
pub struct FilteredHttp {
    pub policy: HttpPolicy,
    pub activity: Arc<Mutex<ActivityWriter>>,
}

type ResponseFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = Result<(), HttpError>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for FilteredHttp {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> ResponseFuture {
        _ = fut;
        if let Err(reason) = self.policy.check(request.uri()) {
            let mut activity = self.activity.lock().unwrap_or_else(|p| p.into_inner());
            let component = activity.context().component.clone();
            activity.host("warn", &format!("{component}: {reason}"));
            tracing::warn!("{component}: {reason}");
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        let turn = self.policy.pacing.as_ref().map(|p| p.wait_turn(request.method(), request.uri()));
        Box::new(async move {
            use http_body_util::BodyExt;
            if let Some(turn) = turn {
                turn.await;
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((response.map(BodyExt::boxed_unsync), Box::new(io) as Box<dyn Future<Output = _> + Send>))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_origins_pass() {
        let p =
            HttpPolicy::from_base_urls(["http://127.0.0.1:8080/api/rest/v1", "https://identity.example.com"]).unwrap();
        assert!(p.check(&"http://127.0.0.1:8080/api/rest/v1/orders?x=1".parse().unwrap()).is_ok());
        assert!(p.check(&"https://identity.example.com/connect/token".parse().unwrap()).is_ok());
        let other_port = p.check(&"http://127.0.0.1:9090/".parse().unwrap()).unwrap_err();
        assert!(other_port.contains("127.0.0.1:9090 refused"), "{other_port}");
        assert!(other_port.contains("allowed hosts are http://127.0.0.1:8080"), "{other_port}");
        assert!(p.check(&"http://identity.example.com/".parse().unwrap()).is_err(), "scheme counts");
        assert!(p.check(&"https://evil.example.net/".parse().unwrap()).is_err());
    }

    #[test]
    fn deny_all_says_so() {
        let err = HttpPolicy::deny_all().check(&"https://example.com/".parse().unwrap()).unwrap_err();
        assert!(err.contains("may not make HTTP requests"), "{err}");
    }

    #[test]
    fn bad_base_urls_are_named() {
        let err = HttpPolicy::from_base_urls(["ftp://x"]).unwrap_err().to_string();
        assert!(err.contains("ftp://x"), "{err}");
    }
}
