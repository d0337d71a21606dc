//! `trestle connect`: the OAuth2 authorization-code flow, once per
//! connection whose connector declares it (its manifest names the
//! authorization server's setting, the endpoints, the scopes and the state
//! key for the refresh token). Prints the consent URL, receives the redirect
//! on a local listener, trades the code for tokens and stores the refresh
//! token where the connector reads it. From then on the connector rotates
//! it by itself. Nothing here knows a system.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

use anyhow::{Context, bail};
use trestle_host::capabilities::state::StateScope;
use trestle_host::connection::ConnectionSetup;
use trestle_host::manifest::{AuthManifest, OAuth2Code};
use trestle_host::tenant::PreparedTenant;

pub fn run(config: &Path, connection: Option<&str>, port: u16) -> anyhow::Result<()> {
    let (host, tenant) = super::open_tenant(config)?;
    let (connection, setup, oauth) = pick(&tenant, connection)?;
    let title = setup.component.manifest.connector.as_ref().map_or(connection, |c| c.title.as_str());
    let setting = |key: &str| {
        setup.config.get(key).with_context(|| format!("`connections.{connection}.{key}` is needed to connect"))
    };
    let server = setting(&oauth.server_setting)?;
    let server = server.trim_end_matches('/');
    let client_id = setting(&oauth.client_id_setting)?;
    let client_secret = setting(&oauth.client_secret_setting)?;

    let listener = TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("cannot listen on 127.0.0.1:{port} for the redirect; pick another --port"))?;
    let redirect_uri = format!("http://localhost:{}/callback", listener.local_addr()?.port());
    let state = uuid::Uuid::new_v4().to_string();
    let authorize_url = format!("{server}{}", oauth.authorize_path);
    let mut authorize = url::Url::parse(&authorize_url).with_context(|| {
        format!("`connections.{connection}.{}` does not make a valid address: {authorize_url}", oauth.server_setting)
    })?;
    authorize
        .query_pairs_mut()
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", &oauth.scopes.join(" "))
        .append_pair("state", &state);
    println!("Open this address in a browser and allow Trestle to use your {title} account:\n\n  {authorize}\n");
    println!("Waiting for {title} to send you back to {redirect_uri} ...");
    // Flushed so a script (or test) reading our output sees the address now.
    std::io::stdout().flush()?;

    let code = receive_code(&listener, &state, title)?;
    // The connection's network policy holds for the host's own request too:
    // the code and the client secret go only to an address it admits.
    let token_url = format!("{server}{}", oauth.token_path);
    let (host_name, addresses) = setup.http.permit_blocking(&token_url).map_err(anyhow::Error::msg)?;
    let client = reqwest::blocking::Client::builder().resolve_to_addrs(&host_name, &addresses).build()?;
    let response = client
        .post(&token_url)
        .basic_auth(&client_id, Some(&client_secret))
        .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &redirect_uri)])
        .send()
        .with_context(|| format!("cannot reach {title}'s authorization server at {token_url}"))?;
    let status = response.status();
    let body: serde_json::Value =
        response.json().context("the authorization server answered with something that is not JSON")?;
    if !status.is_success() {
        bail!(
            "{title} refused the code ({status}): {}",
            body["error_description"].as_str().or(body["error"].as_str()).unwrap_or("no reason given")
        );
    }
    let refresh = body["refresh_token"].as_str().with_context(|| {
        format!(
            "{title} sent no refresh token: the consent must allow offline access (scopes asked: {})",
            oauth.scopes.join(" ")
        )
    })?;
    StateScope::new(host.storage().clone(), &tenant.config.tenant, connection)
        .set(&oauth.refresh_token_key, refresh)?;
    println!("Connected: `{connection}` can now reach {title}. Try `trestle check --config {}`.", config.display());
    Ok(())
}

/// The connection to connect and its connector's OAuth2 declaration: the
/// one named, or the only one whose connector declares OAuth2.
fn pick<'a>(
    tenant: &'a PreparedTenant,
    name: Option<&'a str>,
) -> anyhow::Result<(&'a str, &'a ConnectionSetup, &'a OAuth2Code)> {
    let oauth_of = |setup: &'a ConnectionSetup| match setup.component.manifest.connector.as_ref().map(|c| &c.auth) {
        Some(AuthManifest::Oauth2Code(o)) => Some(o),
        _ => None,
    };
    let consenting: Vec<&str> =
        tenant.connections.iter().filter(|(_, s)| oauth_of(s).is_some()).map(|(n, _)| n.as_str()).collect();
    let name = match name {
        Some(name) => name,
        None => match consenting.as_slice() {
            [only] => only,
            [] => bail!(
                "no connection of this tenant needs `trestle connect`: their connectors take their credentials from the settings"
            ),
            many => {
                bail!("several connections need `trestle connect`: name one with --connection ({})", many.join(", "))
            }
        },
    };
    let setup = tenant.connections.get(name).with_context(|| {
        let known: Vec<&str> = tenant.connections.keys().map(String::as_str).collect();
        format!("the tenant config has no connection `{name}`; it has: {}", known.join(", "))
    })?;
    let Some(oauth) = oauth_of(setup) else {
        let secrets: Vec<&str> = setup.component.manifest.secrets().collect();
        bail!(
            "connection `{name}` needs no `trestle connect`: its connector `{}` declares no OAuth2 consent, its \
             credentials are its settings ({}); `trestle check` says whether they work",
            setup.component.name,
            if secrets.is_empty() { "none secret".to_string() } else { secrets.join(", ") }
        );
    };
    Ok((name, setup, oauth))
}

/// Serves one request on the listener: the redirect with `code` and `state`.
fn receive_code(listener: &TcpListener, expected_state: &str, title: &str) -> anyhow::Result<String> {
    let (mut stream, _) = listener.accept()?;
    let mut request_line = String::new();
    BufReader::new(&stream).read_line(&mut request_line)?;
    let target = request_line.split_whitespace().nth(1).context("the redirect was not an HTTP request")?;
    let url = url::Url::parse(&format!("http://localhost{target}"))?;
    let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let (page, result) = match (param("code"), param("state"), param("error")) {
        (_, _, Some(error)) => ("Trestle was not allowed in.", Err(anyhow::anyhow!("{title} said: {error}"))),
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
