//! Pacing outgoing requests to the budgets an API enforces (eAccounting: 600
//! a minute per client and URL; CCV Shop: 150 GETs and 100 writes a minute
//! per resource and method). A connector declares its API's budgets in its
//! spec; the host holds one limiter per connection and URL and lets each
//! request out when the budget allows, so a long run slows down to the
//! API's pace instead of collecting 429s and waiting out a minute each.
//!
//! governor's GCRA spreads requests evenly (burst of one), slightly under
//! the budget: the API counts in a sliding minute and sees our requests a
//! little later than we send them, so exactly the budget could still tip
//! over. A 429 that happens anyway (another process on the same client) is
//! still waited out by the host's retry.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::{Method, Uri};

/// Share of the declared budget we use (see the module comment).
const HEADROOM: f64 = 0.98;

/// One budget of an API, as a connector declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRule {
    /// Upper-case methods; empty: every method.
    pub methods: Vec<String>,
    /// Each method counts on its own, or they share the budget.
    pub per_method: bool,
    pub per_minute: u32,
}

impl RateRule {
    fn covers(&self, method: &Method) -> bool {
        self.methods.is_empty() || self.methods.iter().any(|m| m.eq_ignore_ascii_case(method.as_str()))
    }
}

/// The limiters of every connection a host runs, shared by all its Stores
/// so consecutive runs of a tenant share one budget, as the API counts it.
#[derive(Default)]
pub struct Pacer {
    /// One keyed limiter per budget size (keys: connection and URL).
    limiters: Mutex<HashMap<u32, Arc<DefaultKeyedRateLimiter<String>>>>,
}

impl Pacer {
    fn limiter(&self, per_minute: u32) -> Arc<DefaultKeyedRateLimiter<String>> {
        let mut limiters = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
        limiters
            .entry(per_minute)
            .or_insert_with(|| {
                let period = Duration::from_secs_f64(60.0 / (f64::from(per_minute.max(1)) * HEADROOM));
                let quota = Quota::with_period(period).expect("a positive period").allow_burst(NonZeroU32::MIN);
                Arc::new(RateLimiter::keyed(quota))
            })
            .clone()
    }
}

/// One connection's budgets and where it keeps them.
#[derive(Clone)]
pub struct Pacing {
    rules: Arc<[RateRule]>,
    /// Tells this connection's budgets apart from every other's
    /// ("tenant/connection").
    budget: String,
    pacer: Arc<Pacer>,
}

impl std::fmt::Debug for Pacing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacing").field("rules", &self.rules).field("budget", &self.budget).finish()
    }
}

impl Pacing {
    pub fn new(rules: Vec<RateRule>, budget: String, pacer: Arc<Pacer>) -> Self {
        Pacing { rules: rules.into(), budget, pacer }
    }

    /// Waits until the first budget covering this request has room for it.
    /// Returns at once when no budget covers it.
    pub fn wait_turn(&self, method: &Method, uri: &Uri) -> impl Future<Output = ()> + Send + 'static {
        let turn = self.rules.iter().find(|r| r.covers(method)).map(|rule| {
            let method = if rule.per_method { method.as_str() } else { "*" };
            let key = format!("{} {method} {}{}", self.budget, uri.authority().map_or("", |a| a.as_str()), url_of(uri));
            (self.pacer.limiter(rule.per_minute), key)
        });
        async move {
            if let Some((limiter, key)) = turn {
                limiter.until_key_ready(&key).await;
            }
        }
    }
}

/// The URL as APIs count it: the path without query, segments that are ids
/// (digits, GUIDs) folded, so `/customers/{id}` is one URL whatever the id.
fn url_of(uri: &Uri) -> String {
    uri.path().split('/').map(|segment| if is_id(segment) { "{id}" } else { segment }).collect::<Vec<_>>().join("/")
}

fn is_id(segment: &str) -> bool {
    let digits = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
    let guid = segment.len() == 36 && segment.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    digits || guid
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Uri {
        text.parse().unwrap()
    }

    #[test]
    fn ids_in_paths_fold_into_one_url() {
        assert_eq!(
            url_of(&uri("http://x/v2/customers/5f1c3a0e-8b7d-4c1e-9f00-1234567890ab?a=1")),
            "/v2/customers/{id}"
        );
        assert_eq!(url_of(&uri("http://x/api/rest/v1/orders/123/orderrows")), "/api/rest/v1/orders/{id}/orderrows");
        assert_eq!(url_of(&uri("http://x/v2/articles?%24filter=Number%20eq%20%271%27")), "/v2/articles");
    }

    fn pacing(rules: Vec<RateRule>) -> Pacing {
        Pacing::new(rules, "t/books".into(), Arc::new(Pacer::default()))
    }

    /// How many requests get their turn without waiting.
    fn immediate(p: &Pacing, method: Method, url: &str, tries: usize) -> usize {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        runtime.block_on(async {
            let mut n = 0;
            for _ in 0..tries {
                let turn = p.wait_turn(&method, &uri(url));
                if tokio::time::timeout(Duration::from_millis(20), turn).await.is_ok() {
                    n += 1;
                }
            }
            n
        })
    }

    #[test]
    fn a_budget_lets_one_request_through_then_spaces_the_rest() {
        let p = pacing(vec![RateRule { methods: vec![], per_method: false, per_minute: 60 }]);
        assert_eq!(immediate(&p, Method::GET, "http://x/v2/customers/1", 5), 1);
        // Same URL, other id and method: the same budget, already spent.
        assert_eq!(immediate(&p, Method::POST, "http://x/v2/customers/2", 1), 0);
        // Another URL has a budget of its own.
        assert_eq!(immediate(&p, Method::GET, "http://x/v2/articles", 1), 1);
    }

    #[test]
    fn per_method_budgets_and_uncovered_methods() {
        let p = pacing(vec![RateRule { methods: vec!["GET".into()], per_method: true, per_minute: 60 }]);
        assert_eq!(immediate(&p, Method::GET, "http://x/orders", 3), 1);
        assert_eq!(immediate(&p, Method::POST, "http://x/orders", 3), 3, "no budget covers POST");
    }

    #[test]
    fn connections_do_not_share_budgets() {
        let pacer = Arc::new(Pacer::default());
        let rule = RateRule { methods: vec![], per_method: false, per_minute: 60 };
        let a = Pacing::new(vec![rule.clone()], "t/shop-a".into(), pacer.clone());
        let b = Pacing::new(vec![rule], "t/shop-b".into(), pacer);
        assert_eq!(immediate(&a, Method::GET, "http://x/orders", 2), 1);
        assert_eq!(immediate(&b, Method::GET, "http://x/orders", 2), 1);
    }
}
