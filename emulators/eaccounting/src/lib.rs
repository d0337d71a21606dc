//! A faithful local stand-in for the Visma eAccounting API v2 and its OAuth2
//! identity server: one listener serves the identity endpoints under
//! `/connect`, the API under `/v2` and test controls under `/_emulator`.

mod answers;
mod app;
mod bearer;
mod books;
mod config;
mod control;
mod envelope;
mod errors;
mod filter;
mod oauth;
mod query;
mod resources;
mod schema;
mod seed;
mod throttle;
mod tokens;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use emulator_kit::{FaultConfig, Running};
use serde_json::Value;

use crate::app::App;

pub use crate::answers::PaymentAnswerConfig;
pub use crate::config::{Config, ReadOnlyFields, StringComparison};
pub use crate::control::ArticleChange;

/// A running emulator; dropping it stops the server.
pub struct Handle {
    app: Arc<App>,
    running: Running,
}

/// Starts the emulator on a free port.
pub fn start(config: Config) -> anyhow::Result<Handle> {
    start_on_port(config, 0)
}

/// Starts the emulator on `127.0.0.1:port` (0 picks a free one).
pub fn start_on_port(config: Config, port: u16) -> anyhow::Result<Handle> {
    let app = App::new(config);
    let running = emulator_kit::server::spawn(router(app.clone()), port)?;
    Ok(Handle { app, running })
}

/// Layers, innermost first on the API: rate limit (needs the grant), bearer
/// check, fault injection, counting. Identity and control paths get none of
/// them, so a test can always reach the knobs and a token.
fn router(app: Arc<App>) -> Router {
    let api = resources::routes()
        .route_layer(from_fn_with_state(app.clone(), throttle::limit))
        .route_layer(from_fn_with_state(app.clone(), bearer::authenticate))
        .route_layer(from_fn_with_state(app.faults.clone(), emulator_kit::faults::inject))
        .route_layer(from_fn_with_state(app.stats.clone(), emulator_kit::stats::count))
        .with_state(app.clone());
    Router::new()
        .merge(api)
        .merge(oauth::routes(app.clone()))
        .merge(control::routes(app.clone()))
        .merge(emulator_kit::control::routes(app.faults.clone(), app.stats.clone()))
}

/// How `value` breaks the official component schema `component` (e.g.
/// "ArticleApi", "PaginatedResponseOfArticleApi"), one message per problem.
pub fn schema_violations(component: &str, value: &Value) -> Vec<String> {
    schema::schemas().validate(component, value).into_iter().map(|e| format!("{}: {}", e.field, e.message)).collect()
}

/// The read-only properties `value` (a request body for `component`) sets,
/// nested ones as `Rows[0].Id`: what a client should not send.
pub fn read_only_properties(component: &str, value: &Value) -> Vec<String> {
    schema::schemas().read_only_set(component, value).into_iter().map(|e| e.field).collect()
}

impl Handle {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        self.running.base_url()
    }

    /// Where the API lives: `{base}/v2` (the real one: `https://eaccountingapi.vismaonline.com/v2`).
    pub fn api_base_url(&self) -> String {
        format!("{}/v2", self.base_url())
    }

    /// Prefix of `/connect/authorize` and `/connect/token` (the real one:
    /// `https://identity.vismaonline.com`).
    pub fn identity_base_url(&self) -> String {
        self.base_url()
    }

    pub fn config(&self) -> &Config {
        &self.app.config
    }

    /// A refresh token for the demo company, issued at start as if the user
    /// had consented to `config.scopes`. Single use, like every refresh token.
    pub fn initial_refresh_token(&self) -> String {
        self.app.initial_refresh_token.clone()
    }

    /// Another consent of the demo user: a fresh refresh token.
    pub fn new_refresh_token(&self) -> String {
        self.app.tokens().consent_offline(&self.app.config.client_id, self.app.config.scopes.clone())
    }

    pub fn set_faults(&self, faults: FaultConfig) -> anyhow::Result<()> {
        self.app.faults.set(faults)
    }

    /// Requests per "METHOD /matched/path" on the API since start or reset.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.app.stats.snapshot()
    }

    /// The user withdraws consent: refresh and access tokens stop working.
    pub fn revoke_grants(&self) {
        self.app.tokens().revoke_all();
    }

    /// Every access token issued so far is expired from now on.
    pub fn expire_access_tokens(&self) {
        self.app.tokens().expire_access_tokens();
    }

    /// Whether the answers to the next payments are lost or held.
    pub fn set_payment_answers(&self, config: PaymentAnswerConfig) {
        self.app.payment_answers.set(config);
    }

    /// What is left of the last `set_payment_answers`.
    pub fn payment_answers(&self) -> PaymentAnswerConfig {
        self.app.payment_answers.config()
    }

    /// Changes an article (by number) as a bookkeeper would; returns it.
    pub fn change_article(&self, number: &str, change: &ArticleChange) -> anyhow::Result<Value> {
        self.app.change_article(number, change)
    }

    /// A customer a bookkeeper entered (see `App::add_customer`); returns it.
    pub fn add_customer(&self, values: Value) -> Value {
        self.app.add_customer(values)
    }

    /// Changes a customer (by id) as a bookkeeper would; returns it.
    pub fn edit_customer(&self, id: &str, edit: impl FnOnce(&mut Value)) -> anyhow::Result<Value> {
        self.app.edit_customer(id, edit)
    }

    /// Changes a customer invoice (by id) as a bookkeeper would; `edit`
    /// answering `None` deletes it. Returns it as it is now.
    pub fn edit_invoice(&self, id: &str, edit: impl FnOnce(&mut Value) -> Option<()>) -> anyhow::Result<Option<Value>> {
        self.app.edit_invoice(id, edit)
    }

    /// Books, grants and the initial refresh token, as `GET /_emulator/state`.
    pub fn state(&self) -> Value {
        self.app.state()
    }

    /// Books back to the seed; counts, rate-limit windows and faults cleared.
    pub fn reset(&self) {
        self.app.reset();
    }
}
