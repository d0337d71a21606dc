//! A sliding-window request counter per key, as both APIs limit requests per
//! minute per client and resource.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(window: Duration) -> Self {
        Self { window, hits: Mutex::new(HashMap::new()) }
    }

    /// Counts one request for `key` if fewer than `limit` happened within the
    /// window; otherwise returns how long until one slot frees up.
    pub fn check(&self, key: &str, limit: u32) -> Result<(), Duration> {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let q = hits.entry(key.to_string()).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            q.pop_front();
        }
        if q.len() >= limit as usize {
            let oldest = *q.front().expect("limit > 0 means a hit is recorded");
            return Err(self.window.saturating_sub(now.duration_since(oldest)));
        }
        q.push_back(now);
        Ok(())
    }

    pub fn reset(&self) {
        self.hits.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_and_says_how_long_to_wait() {
        let limiter = RateLimiter::new(Duration::from_secs(60));
        for _ in 0..3 {
            assert!(limiter.check("GET /orders", 3).is_ok());
        }
        let wait = limiter.check("GET /orders", 3).unwrap_err();
        assert!(wait > Duration::from_secs(59) && wait <= Duration::from_secs(60));
        assert!(limiter.check("POST /orders", 3).is_ok(), "keys are counted apart");
    }

    #[test]
    fn slots_free_up_when_the_window_passes() {
        let limiter = RateLimiter::new(Duration::from_millis(0));
        assert!(limiter.check("k", 1).is_ok());
        assert!(limiter.check("k", 1).is_ok());
    }
}
