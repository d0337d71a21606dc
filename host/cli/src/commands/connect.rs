//! `trestle connect`: the OAuth2 authorization-code flow, once per
//! eAccounting connection. Prints the consent URL, receives the redirect on
//! a local listener, trades the code for tokens and stores the refresh
//! token where the connector reads it (state key `oauth/refresh_token` of
//! that connection). From then on the connector rotates it by itself.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

use anyhow::{Context, bail};
use trestle_host::capabilities::state::StateScope;

/// Scopes a sync needs: the API, a refresh token, sales and accounting reads.
const SCOPES: &str = "ea:api offline_access ea:sales ea:accounting_readonly";
/// Where the connector looks for the first refresh token.
const REFRESH_TOKEN_KEY: &str = "oauth/refresh_token";

pub fn run(config: &Path, connection: &str, port: u16) -> anyhow::Result<()> {
    let (host, tenant) = super::open_tenant(config)?;
    let setup = tenant.connections.get(connection).with_context(|| {
        let known: Vec<&str> = tenant.connections.keys().map(String::as_str).collect();
        format!("the tenant config has no connection `{connection}`; it has: {}", known.join(", "))
    })?;
    let setting = |key: &str| {
        setup.config.get(key).with_context(|| format!("`connections.{connection}.{key}` is needed to connect"))
    };
    let identity = setting("identity_base_url")?;
    let client_id = setting("client_id")?;
    let client_secret = setting("client_secret")?;

    let listener = TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("cannot listen on 127.0.0.1:{port} for the redirect; pick another --port"))?;
    let redirect_uri = format!("http://localhost:{}/callback", listener.local_addr()?.port());
    let state = uuid::Uuid::new_v4().to_string();
    let mut authorize = url::Url::parse(&format!("{}/connect/authorize", identity.trim_end_matches('/')))?;
    authorize
        .query_pairs_mut()
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", SCOPES)
        .append_pair("state", &state);
    println!("Open this address in a browser and allow Trestle to use your eAccounting company:\n\n  {authorize}\n");
    println!("Waiting for eAccounting to send you back to {redirect_uri} ...");
    // Flushed so a script (or test) reading our output sees the address now.
    std::io::stdout().flush()?;

    let code = receive_code(&listener, &state)?;
    // The connection's network policy holds for the host's own request too:
    // the code and the client secret go only to an address it admits.
    let token_url = format!("{}/connect/token", identity.trim_end_matches('/'));
    let (host_name, addresses) = setup.http.permit_blocking(&token_url).map_err(anyhow::Error::msg)?;
    let client = reqwest::blocking::Client::builder().resolve_to_addrs(&host_name, &addresses).build()?;
    let response = client
        .post(&token_url)
        .basic_auth(&client_id, Some(&client_secret))
        .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &redirect_uri)])
        .send()
        .context("cannot reach the eAccounting identity server")?;
    let status = response.status();
    let body: serde_json::Value =
        response.json().context("the identity server answered with something that is not JSON")?;
    if !status.is_success() {
        bail!(
            "eAccounting refused the code ({status}): {}",
            body["error_description"].as_str().or(body["error"].as_str()).unwrap_or("no reason given")
        );
    }
    let refresh = body["refresh_token"]
        .as_str()
        .context("eAccounting sent no refresh token: the consent must include offline_access")?;
    StateScope::new(host.storage().clone(), &tenant.config.tenant, connection).set(REFRESH_TOKEN_KEY, refresh)?;
    println!("Connected: `{connection}` can now reach eAccounting. Try `trestle check --config {}`.", config.display());
    Ok(())
}

/// Serves one request on the listener: the redirect with `code` and `state`.
fn receive_code(listener: &TcpListener, expected_state: &str) -> anyhow::Result<String> {
    let (mut stream, _) = listener.accept()?;
    let mut request_line = String::new();
    BufReader::new(&stream).read_line(&mut request_line)?;
    let target = request_line.split_whitespace().nth(1).context("the redirect was not an HTTP request")?;
    let url = url::Url::parse(&format!("http://localhost{target}"))?;
    let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let (page, result) = match (param("code"), param("state"), param("error")) {
        (_, _, Some(error)) => ("Trestle was not allowed in.", Err(anyhow::anyhow!("eAccounting said: {error}"))),
        (Some(code), Some(state), None) if state == expected_state => {
            ("Connected. You can close this window.", Ok(code))
        }
        (Some(_), _, None) => (
            "This answer was not for this request.",
            Err(anyhow::anyhow!("the redirect's state does not match: refusing it")),
        ),
        _ => ("No code in the answer.", Err(anyhow::anyhow!("the redirect carried no code"))),
    };
    write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
        page.len()
    )?;
    result
}
