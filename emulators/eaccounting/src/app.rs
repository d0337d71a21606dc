//! Everything one emulated company shares between its endpoints.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use emulator_kit::{Faults, RateLimiter, RequestStats};

use crate::answers::PaymentAnswers;
use crate::books::Books;
use crate::config::Config;
use crate::tokens::Tokens;

pub struct App {
    pub config: Config,
    books: Mutex<Books>,
    tokens: Mutex<Tokens>,
    pub limiter: RateLimiter,
    pub faults: Arc<Faults>,
    pub stats: Arc<RequestStats>,
    pub payment_answers: PaymentAnswers,
    /// Issued at start for the demo company, so no browser is needed.
    pub initial_refresh_token: String,
}

impl App {
    pub fn new(config: Config) -> Arc<Self> {
        let mut tokens = Tokens::new(config.access_token_lifetime);
        let initial_refresh_token = tokens.consent_offline(&config.client_id, config.scopes.clone());
        Arc::new(Self {
            books: Mutex::new(Books::seeded(&config)),
            tokens: Mutex::new(tokens),
            limiter: RateLimiter::new(Duration::from_secs(60)),
            faults: Faults::new(crate::errors::render_fault),
            stats: RequestStats::new(),
            payment_answers: PaymentAnswers::default(),
            initial_refresh_token,
            config,
        })
    }

    pub fn books(&self) -> MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn tokens(&self) -> MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Books back to the seed, rate-limit windows and counts cleared, faults
    /// off. Grants and tokens stay, so a connected client stays connected.
    pub fn reset(&self) {
        *self.books() = Books::seeded(&self.config);
        self.limiter.reset();
        self.stats.reset();
        self.faults.set(emulator_kit::FaultConfig::default()).expect("default fault config is valid");
        self.payment_answers.set(Default::default());
    }
}
