//! Outgoing HTTP, deny by default: a connector reaches only the hosts of the
//! base URLs in its own settings, and only at addresses its network scope
//! admits once the name is resolved (public ones, unless the connection
//! allows its private network; never link-local or metadata addresses). The
//! policy is plain data, checked in the `wasi:http` send hook; a refusal is
//! logged with the reason and reaches the guest as `HttpRequestDenied`.
//! Allowed requests wait their turn in the connection's rate budgets
//! (`pacing`) and go to the vetted address (`outbound`). A Store holds an
//! `HttpCapability`; its `wasi:http` view is the Store's own, which shares
//! one resource table with WASI.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use http::Uri;
use wasmtime::component::Linker;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpHooks, WasiHttpView};

use crate::capabilities::config::ComponentConfig;
use crate::capabilities::log::ActivityWriter;
use crate::capabilities::network::{NetworkScope, Refusal};
use crate::capabilities::outbound;
use crate::capabilities::pacing::Pacing;
use crate::manifest::Manifest;
use crate::tenant::config::ConnectionConfig;

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
    network: NetworkScope,
    pacing: Option<Pacing>,
}

/// How to allow what the network scope refused, for messages.
const ALLOW_PRIVATE: &str = "allow_private_network = true";

impl HttpPolicy {
    /// No outgoing HTTP at all.
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// Allows the origins of these base URLs on the network `scope` admits,
    /// refusing anything that is not an absolute http(s) URL, and a URL whose
    /// host is an address the scope refuses.
    pub fn from_base_urls<'a>(urls: impl IntoIterator<Item = &'a str>, network: NetworkScope) -> anyhow::Result<Self> {
        let mut allowed = Vec::new();
        for url in urls {
            let parsed = url::Url::parse(url).map_err(|e| anyhow::anyhow!("`{url}` is not a valid base URL: {e}"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                anyhow::bail!("base URL `{url}` must be http or https");
            }
            let host = parsed.host_str().ok_or_else(|| anyhow::anyhow!("base URL `{url}` has no host"))?;
            let host = host.trim_matches(['[', ']']);
            if let Ok(ip) = host.parse::<IpAddr>()
                && let Err(refusal) = network.admits(ip)
            {
                anyhow::bail!("base URL `{url}` is refused: {}", refusal.explain(ip));
            }
            allowed.push(Origin::of(parsed.scheme(), host, parsed.port()));
        }
        Ok(Self { allowed, network, pacing: None })
    }

    /// A connection's policy: the origins of the settings its connector's
    /// manifest marks as URLs (`config`, defaults applied), on the network
    /// its table (`table`) allows, paced when `pacing` is given.
    pub fn prepare(
        table: &str,
        connection: &ConnectionConfig,
        manifest: &Manifest,
        config: &ComponentConfig,
        pacing: Option<Pacing>,
    ) -> anyhow::Result<Self> {
        let network = NetworkScope::prepare(connection.allow_private_network);
        let policy = Self::from_base_urls(manifest.urls(config.values()), network)
            .map_err(|e| e.context(format!("in [{table}]")))?;
        Ok(match pacing {
            Some(pacing) => policy.paced(pacing),
            None => policy,
        })
    }

    /// The same policy, with requests paced to these budgets.
    pub fn paced(self, pacing: Pacing) -> Self {
        Self { pacing: Some(pacing), ..self }
    }

    pub fn allowed(&self) -> &[Origin] {
        &self.allowed
    }

    pub fn network(&self) -> NetworkScope {
        self.network
    }

    /// Ok when the request's origin is allowed; otherwise the reason, in
    /// words. Where its name leads is checked when it is sent (`vet`).
    pub fn check(&self, uri: &Uri) -> Result<(), String> {
        let scheme = uri.scheme_str().unwrap_or("https");
        if !matches!(scheme, "http" | "https") {
            return Err(format!("request to `{uri}` refused: only http and https are allowed"));
        }
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

    /// For a request the host makes itself on the connection's behalf
    /// (`trestle connect`): the URL's host name and the vetted addresses to
    /// send it to, or why not.
    pub fn permit_blocking(&self, url: &str) -> Result<(String, Vec<SocketAddr>), String> {
        let uri: Uri = url.parse().map_err(|e| format!("`{url}` is not a valid URL: {e}"))?;
        self.check(&uri)?;
        let host = uri.host().unwrap_or_default().trim_matches(['[', ']']).to_string();
        let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("http") { 80 } else { 443 });
        let resolved = match host.parse::<IpAddr>() {
            Ok(ip) => Ok(vec![SocketAddr::new(ip, port)]),
            Err(_) => std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port)).map(Iterator::collect),
        };
        let addresses = admit(self.network, &host, port, resolved).map_err(|e| e.message().to_string())?;
        Ok((host, addresses))
    }
}

/// Why a request did not go out after its origin was allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotSent {
    /// The name resolves to an address the network scope refuses.
    Refused(String),
    /// The name does not resolve (reaches the guest as a DNS error, which
    /// it may retry).
    Unresolved(String),
}

impl NotSent {
    pub fn message(&self) -> &str {
        match self {
            NotSent::Refused(m) | NotSent::Unresolved(m) => m,
        }
    }
}

/// Resolves `host` once and vets every address it names: the request goes
/// to these addresses and no others.
pub async fn vet(network: NetworkScope, host: &str, port: u16) -> Result<Vec<SocketAddr>, NotSent> {
    let resolved = match host.parse::<IpAddr>() {
        Ok(ip) => Ok(vec![SocketAddr::new(ip, port)]),
        Err(_) => tokio::net::lookup_host((host, port)).await.map(Iterator::collect),
    };
    admit(network, host, port, resolved)
}

/// The addresses `host` resolved to, if the scope admits every one: a name
/// with any refused address is refused as a whole (it is not worth
/// guessing which answer was meant).
fn admit(
    network: NetworkScope,
    host: &str,
    port: u16,
    resolved: std::io::Result<Vec<SocketAddr>>,
) -> Result<Vec<SocketAddr>, NotSent> {
    let unresolved = |why: String| NotSent::Unresolved(format!("request to {host}:{port} failed: {why}"));
    let addresses = resolved.map_err(|e| unresolved(format!("the name does not resolve ({e})")))?;
    if addresses.is_empty() {
        return Err(unresolved("the name resolves to no address".into()));
    }
    for address in &addresses {
        if let Err(refusal) = network.admits(address.ip()) {
            let named = if host.parse::<IpAddr>().is_ok() { String::new() } else { format!("{host} resolves to ") };
            let how = match refusal {
                Refusal::Private(_) => format!(" (set {ALLOW_PRIVATE} in the connection's table to allow it)"),
                Refusal::Always(_) => String::new(),
            };
            let ip = address.ip();
            return Err(NotSent::Refused(format!(
                "request to {host}:{port} refused: {named}{}{how}",
                short(&refusal, ip)
            )));
        }
    }
    Ok(addresses)
}

fn short(refusal: &Refusal, ip: IpAddr) -> String {
    match refusal {
        Refusal::Always(what) | Refusal::Private(what) => format!("{ip}, {what}"),
    }
}

/// One Store's outgoing HTTP: wasi-http's context and the hooks that hold
/// every request to the policy.
pub struct HttpCapability {
    pub(crate) ctx: WasiHttpCtx,
    pub(crate) hooks: FilteredHttp,
}

impl HttpCapability {
    pub fn prepare(policy: HttpPolicy, activity: Arc<Mutex<ActivityWriter>>) -> Self {
        Self { ctx: WasiHttpCtx::new(), hooks: FilteredHttp::new(policy, activity) }
    }

    /// Why the host last refused one of this component's requests.
    pub fn last_refusal(&self) -> Option<String> {
        self.hooks.last_refusal.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// `wasi:http` (outgoing requests only), for connectors.
pub fn link<T: WasiHttpView + 'static>(linker: &mut Linker<T>) -> anyhow::Result<()> {
    wasmtime_wasi_http::p2::add_only_http_to_linker_sync(linker).map_err(anyhow::Error::from)
}

/// The `wasi:http` hooks of one Store: the policy, where refusals go, and
/// the last refusal (what a failed `check` is really about).
pub struct FilteredHttp {
    pub policy: HttpPolicy,
    pub activity: Arc<Mutex<ActivityWriter>>,
    pub last_refusal: Arc<Mutex<Option<String>>>,
}

impl FilteredHttp {
    pub fn new(policy: HttpPolicy, activity: Arc<Mutex<ActivityWriter>>) -> Self {
        Self { policy, activity, last_refusal: Arc::default() }
    }
}

/// Logs a refusal where the user looks (activity log, stderr) and keeps it.
fn refused(activity: &Mutex<ActivityWriter>, last: &Mutex<Option<String>>, reason: &str) {
    let mut activity = activity.lock().unwrap_or_else(|p| p.into_inner());
    let component = activity.context().component.clone();
    activity.host("warn", &format!("{component}: {reason}"));
    tracing::warn!("{component}: {reason}");
    *last.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason.to_string());
}

type ResponseFuture = Box<dyn Future<Output = wasmtime_wasi_http::Result<outbound::Sent>> + Send>;

impl WasiHttpHooks for FilteredHttp {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> ResponseFuture {
        _ = fut;
        if let Err(reason) = self.policy.check(request.uri()) {
            refused(&self.activity, &self.last_refusal, &reason);
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        let uri = request.uri();
        let tls = uri.scheme_str() != Some("http");
        let host = uri.host().unwrap_or_default().trim_matches(['[', ']']).to_string();
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let turn = self.policy.pacing.as_ref().map(|p| p.wait_turn(request.method(), request.uri()));
        let (network, activity, last) = (self.policy.network, self.activity.clone(), self.last_refusal.clone());
        Box::new(async move {
            let addresses = match vet(network, &host, port).await {
                Ok(addresses) => addresses,
                Err(NotSent::Refused(reason)) => {
                    refused(&activity, &last, &reason);
                    return Err(HttpError::HttpRequestDenied);
                }
                Err(NotSent::Unresolved(why)) => {
                    tracing::warn!("{why}");
                    return Err(HttpError::DnsError { rcode: None, info_code: None });
                }
            };
            if let Some(turn) = turn {
                turn.await;
            }
            outbound::send(request, &addresses, &host, tls, options).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_origins_pass() {
        let ftp = HttpPolicy::deny_all().check(&"ftp://example.com/".parse().unwrap()).unwrap_err();
        assert!(ftp.contains("only http and https"), "{ftp}");
        let p = HttpPolicy::from_base_urls(
            ["http://127.0.0.1:8080/api/rest/v1", "https://identity.example.com"],
            NetworkScope::WithPrivate,
        )
        .unwrap();
        assert!(p.check(&"http://127.0.0.1:8080/api/rest/v1/orders?x=1".parse().unwrap()).is_ok());
        assert!(p.check(&"https://identity.example.com/connect/token".parse().unwrap()).is_ok());
        let other_port = p.check(&"http://127.0.0.1:9090/".parse().unwrap()).unwrap_err();
        assert!(other_port.contains("127.0.0.1:9090 refused"), "{other_port}");
        assert!(other_port.contains("allowed hosts are http://127.0.0.1:8080"), "{other_port}");
        assert!(p.check(&"http://identity.example.com/".parse().unwrap()).is_err(), "scheme counts");
        assert!(p.check(&"https://evil.example.net/".parse().unwrap()).is_err());
    }

    #[test]
    fn a_connection_reaches_the_urls_its_manifest_marks_defaults_included() {
        let manifest: Manifest = serde_json::from_value(serde_json::json!({
            "roles": ["order-source"],
            "connector": {
                "name": "shop-api", "title": "Shop", "version": "1",
                "settings": [
                    {"name": "base_url", "description": "", "required": true, "secret": false, "url": true, "default": null},
                    {"name": "identity_url", "description": "", "required": false, "secret": false, "url": true,
                     "default": "https://id.example.com"},
                    {"name": "homepage", "description": "", "required": false, "secret": false, "url": false,
                     "default": "https://www.example.org"}
                ],
                "auth": {"kind": "settings"}, "rate_limits": [], "webhooks": false
            }
        }))
        .unwrap();
        let tenant = crate::tenant::TenantConfig::parse(
            "tenant = \"t\"\n[connections.shop]\nconnector = \"shop-api\"\nbase_url = \"http://127.0.0.1:8080/api\"\n",
        )
        .unwrap();
        let connection = &tenant.connections["shop"];
        let config = ComponentConfig::prepare("connections.shop", connection, &manifest).unwrap();
        let err = HttpPolicy::prepare("connections.shop", connection, &manifest, &config, None).unwrap_err();
        assert!(format!("{err:#}").contains("in [connections.shop]: base URL `http://127.0.0.1:8080/api` is refused"));
        let mut private = connection.clone();
        private.allow_private_network = true;
        let policy = HttpPolicy::prepare("connections.shop", &private, &manifest, &config, None).unwrap();
        let allowed: Vec<String> = policy.allowed().iter().map(ToString::to_string).collect();
        assert_eq!(allowed, ["http://127.0.0.1:8080", "https://id.example.com:443"]);
    }

    #[test]
    fn deny_all_says_so() {
        let err = HttpPolicy::deny_all().check(&"https://example.com/".parse().unwrap()).unwrap_err();
        assert!(err.contains("may not make HTTP requests"), "{err}");
    }

    #[test]
    fn bad_base_urls_are_named() {
        let err = HttpPolicy::from_base_urls(["ftp://x"], NetworkScope::Public).unwrap_err().to_string();
        assert!(err.contains("ftp://x"), "{err}");
    }

    #[test]
    fn base_urls_at_refused_addresses_say_why_and_how_to_allow_them() {
        let err = HttpPolicy::from_base_urls(["http://169.254.169.254/"], NetworkScope::WithPrivate).unwrap_err();
        assert!(err.to_string().contains("169.254.169.254 is a link-local address"), "{err}");
        let err = HttpPolicy::from_base_urls(["http://127.0.0.1:8080"], NetworkScope::Public).unwrap_err();
        assert!(err.to_string().contains("allow_private_network = true"), "{err}");
        assert!(HttpPolicy::from_base_urls(["http://[::1]:8080"], NetworkScope::WithPrivate).is_ok());
    }

    #[tokio::test]
    async fn names_are_vetted_by_every_address_they_resolve_to() {
        let Err(NotSent::Refused(err)) = vet(NetworkScope::Public, "localhost", 80).await else { panic!() };
        assert!(err.contains("localhost resolves to") && err.contains(ALLOW_PRIVATE), "{err}");
        assert!(!vet(NetworkScope::WithPrivate, "localhost", 80).await.unwrap().is_empty());
        let Err(NotSent::Refused(err)) = vet(NetworkScope::WithPrivate, "169.254.169.254", 80).await else { panic!() };
        assert!(err.contains("refused: 169.254.169.254, a link-local address"), "{err}");
        assert!(!err.contains(ALLOW_PRIVATE), "no allowance reaches a metadata address: {err}");
        let unknown = vet(NetworkScope::Public, "name.invalid", 443).await.unwrap_err();
        assert!(matches!(unknown, NotSent::Unresolved(_)), "{unknown:?}");
    }
}
