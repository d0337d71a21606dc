//! Fault injection: a share of 5xx answers, added latency, dropped
//! connections and bursts of 429, decided by a seeded RNG so a failing test
//! can be replayed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// What to inject. All zero (the default) means a well-behaved server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Share of requests (0.0..=1.0) answered with a 5xx.
    pub error_rate: f64,
    /// Delay added before every answer.
    pub latency_ms: u64,
    /// Share of requests whose connection is cut mid-answer.
    pub drop_rate: f64,
    /// After every `burst_every` requests, the next `burst_length` get a 429.
    pub burst_every: u32,
    pub burst_length: u32,
    /// What an injected 429 tells the client to wait, in seconds (0 means 1):
    /// a burst is short, so a client that waits this long gets through.
    pub burst_retry_after_secs: u64,
    /// Requests whose `METHOD /path` starts with this (`"POST /v2/articles"`)
    /// are carried out and then never answered: the server did the write and
    /// went silent, the moment a kill test needs to stop its client.
    pub hold_after_write: Option<String>,
    /// Seed for the decisions above.
    pub seed: u64,
}

impl FaultConfig {
    /// Checks the knobs make sense, naming the one that does not.
    pub fn validate(&self) -> anyhow::Result<()> {
        for (name, v) in [("error_rate", self.error_rate), ("drop_rate", self.drop_rate)] {
            if !(0.0..=1.0).contains(&v) {
                anyhow::bail!("fault knob {name} must be between 0.0 and 1.0, got {v}");
            }
        }
        if self.burst_length > 0 && self.burst_every == 0 {
            anyhow::bail!("fault knob burst_length needs burst_every > 0");
        }
        if let Some(prefix) = &self.hold_after_write {
            let (method, path) = prefix.split_once(' ').unwrap_or_default();
            if !["POST", "PUT", "PATCH", "DELETE"].contains(&method) || !path.starts_with('/') {
                anyhow::bail!(
                    "fault knob hold_after_write must be a write method and a path, like \"POST /v2/articles\"; got {prefix:?}"
                );
            }
        }
        Ok(())
    }
}

/// The fault an emulator must render in its own API's error format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    ServerError,
    TooManyRequests { retry_after_secs: u64 },
}

/// Renders an injected fault as the emulated API would answer it.
pub type FaultRenderer = fn(FaultKind) -> Response;

/// Shared, changeable fault settings plus the RNG that applies them.
pub struct Faults {
    inner: Mutex<FaultState>,
    render: FaultRenderer,
}

struct FaultState {
    config: FaultConfig,
    rng: StdRng,
    seen: u64,
}

enum Decision {
    Pass,
    Fault(FaultKind),
    Drop,
}

impl Faults {
    pub fn new(render: FaultRenderer) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(FaultState { config: FaultConfig::default(), rng: StdRng::seed_from_u64(0), seen: 0 }),
            render,
        })
    }

    pub fn config(&self) -> FaultConfig {
        self.lock().config.clone()
    }

    pub fn set(&self, config: FaultConfig) -> anyhow::Result<()> {
        config.validate()?;
        let mut state = self.lock();
        state.rng = StdRng::seed_from_u64(config.seed);
        state.seen = 0;
        state.config = config;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn holds(&self, request: &Request) -> bool {
        let line = format!("{} {}", request.method(), request.uri().path());
        self.lock().config.hold_after_write.as_ref().is_some_and(|prefix| line.starts_with(prefix.as_str()))
    }

    fn decide(&self) -> (Decision, Duration) {
        let mut s = self.lock();
        let c = s.config.clone();
        let n = s.seen;
        s.seen += 1;
        let latency = Duration::from_millis(c.latency_ms);
        if c.burst_every > 0 && c.burst_length > 0 {
            let period = u64::from(c.burst_every) + u64::from(c.burst_length);
            if n % period >= u64::from(c.burst_every) {
                let retry_after_secs = c.burst_retry_after_secs.max(1);
                return (Decision::Fault(FaultKind::TooManyRequests { retry_after_secs }), latency);
            }
        }
        if c.drop_rate > 0.0 && s.rng.random_bool(c.drop_rate) {
            return (Decision::Drop, latency);
        }
        if c.error_rate > 0.0 && s.rng.random_bool(c.error_rate) {
            return (Decision::Fault(FaultKind::ServerError), latency);
        }
        (Decision::Pass, latency)
    }
}

/// Axum middleware: apply it with `route_layer` to the API routes only.
pub async fn inject(State(faults): State<Arc<Faults>>, request: Request, next: Next) -> Response {
    let (decision, latency) = faults.decide();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match decision {
        Decision::Pass if faults.holds(&request) => {
            let _done = next.run(request).await;
            std::future::pending().await
        }
        Decision::Pass => next.run(request).await,
        Decision::Fault(kind) => (faults.render)(kind),
        Decision::Drop => dropped_connection(),
    }
}

/// A response whose body fails at once: hyper then aborts the connection, so
/// the client sees the answer cut off, as with a dropped connection.
pub fn dropped_connection() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<bytes::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "emulator: injected dropped connection",
        ))
    });
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .expect("static response parts are valid")
}

#[cfg(test)]
mod tests {
    use super::FaultConfig;

    #[test]
    fn a_hold_names_a_write_and_a_path() {
        let hold = |s: &str| FaultConfig { hold_after_write: Some(s.into()), ..Default::default() }.validate();
        assert!(hold("POST /v2/articles").is_ok());
        for bad in ["GET /v2/articles", "POST", "/v2/articles", "POST v2/articles"] {
            let err = hold(bad).expect_err(bad).to_string();
            assert!(err.contains("hold_after_write") && err.contains("\"POST /v2/articles\""), "{err}");
        }
    }
}
