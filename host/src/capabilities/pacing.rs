//! Pacing outgoing requests to the budgets an API enforces (one budget for
//! every method per client and URL, or one per resource and method). A
//! connector declares its API's budgets in its
//! spec; the host holds one limiter per connection and URL and lets each
//! request out when the budget allows, so a long run slows down to the
//! API's pace instead of collecting 429s and waiting out a minute each.
//!
//! The host keeps, per connection and URL, the times of the requests it let
//! out in the last minute, as the API counts them (a sliding minute), and
//! lets a request out as soon as the API would accept it: the whole budget at
//! once, then one request per slot as slots leave the window. A steady-rate
//! limiter (governor's GCRA, tried first) cannot use a sliding window's
//! budget: a run calls several URLs in turn and every wait on one wasted the
//! others' slots (1.16x the floor measured, against 0.9x this way). No crate
//! implements a sliding-window scheduler that books future slots, hence this
//! one. The window is a second longer than the API's, since the API sees our
//! requests a little later than we send them. A 429 that happens anyway
//! (another process on the same client) is still waited out by the host's
//! retry.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{Method, Uri};

use crate::manifest::RateManifest;

/// The API's minute plus a margin for the time our requests take to arrive.
const WINDOW: Duration = Duration::from_secs(61);

/// One budget of an API, as a connector declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRule {
    /// Upper-case methods; empty: every method.
    pub methods: Vec<String>,
    /// Path endings the rule is limited to; empty: every URL.
    pub path_suffixes: Vec<String>,
    /// Each method counts on its own, or they share the budget.
    pub per_method: bool,
    pub per_minute: u32,
}

impl RateRule {
    fn covers(&self, method: &Method, path: &str) -> bool {
        (self.methods.is_empty() || self.methods.iter().any(|m| m.eq_ignore_ascii_case(method.as_str())))
            && (self.path_suffixes.is_empty() || self.path_suffixes.iter().any(|s| path.ends_with(s.as_str())))
    }
}

/// The request times of every connection a host runs, shared by all its
/// Stores so consecutive runs of a tenant share one budget, as the API
/// counts it.
#[derive(Default)]
pub struct Pacer {
    /// Key (connection, method, URL) -> send times booked within the window,
    /// oldest first; some may lie in the future.
    booked: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Pacer {
    /// Books the earliest time at or after `now` when one more request on
    /// `key` keeps the window within `per_minute`, and returns it.
    fn book(&self, key: &str, per_minute: u32, now: Instant) -> Instant {
        let mut booked = self.booked.lock().unwrap_or_else(|p| p.into_inner());
        let times = booked.entry(key.to_string()).or_default();
        while times.front().is_some_and(|t| *t + WINDOW <= now) {
            times.pop_front();
        }
        let limit = per_minute.max(1) as usize;
        // Kept in order, so the one `limit` places back is the slot that must
        // leave the window first. (Two threads may read the clock in one
        // order and book in the other, hence the sorted insert.)
        let at = if times.len() < limit { now } else { (times[times.len() - limit] + WINDOW).max(now) };
        let place = times.partition_point(|t| *t <= at);
        times.insert(place, at);
        at
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

    /// A connection's budgets as its connector declares them, its own
    /// (each connection has its own API client), kept in the host's pacer.
    pub fn prepare(pacer: Arc<Pacer>, tenant: &str, connection: &str, declared: &[RateManifest]) -> Self {
        let rules = declared
            .iter()
            .map(|l| RateRule {
                methods: l.methods.clone(),
                path_suffixes: l.path_suffixes.clone(),
                per_method: l.per_method,
                per_minute: l.per_minute,
            })
            .collect();
        Self::new(rules, format!("{tenant}/{connection}"), pacer)
    }

    /// Books this request's turn in the first budget covering it; none
    /// when no budget does.
    fn turn(&self, method: &Method, uri: &Uri, now: Instant) -> Option<Instant> {
        let url = url_of(uri);
        let rule = self.rules.iter().find(|r| r.covers(method, &url))?;
        let method = if rule.per_method { method.as_str() } else { "*" };
        let key = format!("{} {method} {}{url}", self.budget, uri.authority().map_or("", |a| a.as_str()));
        Some(self.pacer.book(&key, rule.per_minute, now))
    }

    /// Waits until this request's turn; at once when no budget covers it.
    pub fn wait_turn(&self, method: &Method, uri: &Uri) -> impl Future<Output = ()> + Send + 'static {
        let turn = self.turn(method, uri, Instant::now());
        async move {
            if let Some(at) = turn {
                tokio::time::sleep_until(at.into()).await;
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

    fn shared(per_minute: u32) -> RateRule {
        RateRule { methods: vec![], path_suffixes: vec![], per_method: false, per_minute }
    }

    /// Seconds after `t0` each of `n` requests made at `t0` may go out.
    fn turns(p: &Pacing, method: Method, url: &str, t0: Instant, n: usize) -> Vec<u64> {
        (0..n).map(|_| p.turn(&method, &uri(url), t0).map_or(0, |at| (at - t0).as_secs())).collect()
    }

    #[test]
    fn the_whole_budget_goes_at_once_then_each_request_waits_for_a_slot_to_leave_the_minute() {
        let p = pacing(vec![shared(3)]);
        let t0 = Instant::now();
        assert_eq!(turns(&p, Method::GET, "http://x/v2/customers/1", t0, 5), [0, 0, 0, 61, 61]);
        // Same URL with another id and method: the same budget.
        assert_eq!(turns(&p, Method::POST, "http://x/v2/customers/2", t0, 1), [61]);
        // Another URL has a budget of its own.
        assert_eq!(turns(&p, Method::GET, "http://x/v2/articles", t0, 1), [0]);
        // Once the first minute has passed, its slots are free again.
        let later = t0 + Duration::from_secs(200);
        assert_eq!(turns(&p, Method::GET, "http://x/v2/customers/1", later, 3), [0, 0, 0]);
    }

    #[test]
    fn a_budget_for_some_paths_comes_before_the_general_one() {
        let get = |path_suffixes: Vec<String>, per_minute| RateRule {
            methods: vec!["GET".into()],
            path_suffixes,
            per_method: true,
            per_minute,
        };
        let p = pacing(vec![get(vec!["/productqueries".into()], 1), get(vec![], 3)]);
        let t0 = Instant::now();
        assert_eq!(turns(&p, Method::GET, "http://x/api/productqueries?skunumber=A", t0, 2), [0, 61]);
        assert_eq!(turns(&p, Method::GET, "http://x/api/products", t0, 3), [0, 0, 0]);
    }

    #[test]
    fn per_method_budgets_and_uncovered_methods() {
        let p = pacing(vec![RateRule {
            methods: vec!["GET".into()],
            path_suffixes: vec![],
            per_method: true,
            per_minute: 1,
        }]);
        let t0 = Instant::now();
        assert_eq!(turns(&p, Method::GET, "http://x/orders", t0, 2), [0, 61]);
        assert!(p.turn(&Method::POST, &uri("http://x/orders"), t0).is_none(), "no budget covers POST");
    }

    #[test]
    fn connections_do_not_share_budgets() {
        let pacer = Arc::new(Pacer::default());
        let a = Pacing::new(vec![shared(1)], "t/shop-a".into(), pacer.clone());
        let b = Pacing::new(vec![shared(1)], "t/shop-b".into(), pacer);
        let t0 = Instant::now();
        assert_eq!(turns(&a, Method::GET, "http://x/orders", t0, 2), [0, 61]);
        assert_eq!(turns(&b, Method::GET, "http://x/orders", t0, 1), [0]);
    }

    #[test]
    fn waiting_for_a_turn_really_waits() {
        let p = pacing(vec![shared(1)]);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        runtime.block_on(async {
            p.wait_turn(&Method::GET, &uri("http://x/a")).await;
            let second = p.wait_turn(&Method::GET, &uri("http://x/a"));
            assert!(tokio::time::timeout(Duration::from_millis(50), second).await.is_err());
        });
    }

    #[test]
    fn a_connection_gets_the_budgets_its_connector_declares_as_its_own() {
        let declared =
            [RateManifest { methods: vec!["GET".into()], path_suffixes: vec![], per_method: true, per_minute: 1 }];
        let pacer = Arc::new(Pacer::default());
        let shop = Pacing::prepare(pacer.clone(), "t", "shop", &declared);
        let other = Pacing::prepare(pacer, "t", "other-shop", &declared);
        let t0 = Instant::now();
        assert_eq!(turns(&shop, Method::GET, "http://x/orders", t0, 2), [0, 61]);
        assert_eq!(turns(&other, Method::GET, "http://x/orders", t0, 1), [0]);
        assert!(shop.turn(&Method::PUT, &uri("http://x/orders"), t0).is_none(), "only what is declared is paced");
    }
}
