//! CCV Shop's error answers turned into the contract's error variant, in
//! words a shop owner can act on.

use chrono::{DateTime, Utc};
use trestle_guest::errors::{from_status, retry_after_ms};
use trestle_guest::http::Response;
use trestle_guest::{Error, RateLimit};

use crate::json::parse_timestamp;

/// The shop refuses requests whose `x-date` is further off than this.
const CLOCK_WINDOW_SECS: i64 = 5 * 60;
/// CCV documents no Retry-After; clients wait out the minute window.
const DEFAULT_RETRY_AFTER_MS: u64 = 60_000;
/// The shop's own words are quoted up to this length: enough for support,
/// short enough for an activity log line.
const QUOTED_CHARS: usize = 160;

/// `{code, status, developermessage}`, or the start of whatever came instead.
fn api_message(response: &Response) -> (Option<String>, String) {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(&response.body).ok();
    let field = |name: &str| parsed.as_ref().and_then(|v| v.get(name)).and_then(|v| v.as_str()).map(str::to_string);
    let message = field("developermessage").unwrap_or_else(|| response.text());
    let message = if message.trim().is_empty() {
        "no explanation given".to_string()
    } else if message.chars().count() > QUOTED_CHARS {
        format!("{}…", message.chars().take(QUOTED_CHARS).collect::<String>())
    } else {
        message
    };
    (field("code"), message)
}

/// The error for a non-2xx answer to `method uri`, sent at `sent_at`.
pub fn from_response(method: &str, uri: &str, response: &Response, sent_at: DateTime<Utc>) -> Error {
    let (code, message) = api_message(response);
    let status = response.status;
    let request = format!("{method} {uri}");
    match status {
        401 => match clock_skew_secs(response, sent_at) {
            Some(skew) if skew.abs() > CLOCK_WINDOW_SECS - 60 => Error::Auth(format!(
                "CCV Shop refused the request because this system's clock is {} {} the shop's clock \
                 (CCV Shop allows at most 5 minutes): correct the clock (turn on automatic time / NTP) and try again",
                describe_duration(skew.unsigned_abs()),
                if skew < 0 { "behind" } else { "ahead of" },
            )),
            _ => Error::Auth(format!(
                "CCV Shop did not accept the API key: check the public and secret key \
                 (My web shop > Settings > API settings) (CCV Shop said: {message})"
            )),
        },
        403 => Error::Auth(format!(
            "the API key may not use {request}: give it access to this resource in CCV Shop's API settings (CCV Shop said: {message})"
        )),
        429 => Error::RateLimited(RateLimit {
            retry_after_ms: retry_after_ms(response.header("retry-after")).unwrap_or(DEFAULT_RETRY_AFTER_MS),
            message: format!("CCV Shop's rate limit was reached for {request}: {message}"),
        }),
        _ => {
            let text = format!(
                "CCV Shop answered {request} with {status}{}: {message}",
                code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default()
            );
            match code.as_deref() {
                // 500.x codes that say the request itself is wrong: retrying cannot help.
                Some(
                    "500.20" | "500.21" | "500.22" | "500.24" | "500.25" | "500.40" | "500.50" | "500.60" | "500.70"
                    | "500.80",
                ) => Error::Invalid(text),
                Some("500.90") => Error::Auth(format!("{text}; install the required app in the shop")),
                _ if status == 501 => Error::Fatal(text),
                _ => from_status(status, None, text),
            }
        }
    }
}

/// How far our clock is ahead of the shop's (negative: behind), from the
/// date the shop put on its answer.
fn clock_skew_secs(response: &Response, sent_at: DateTime<Utc>) -> Option<i64> {
    let server = response.header("x-date").and_then(parse_timestamp).or_else(|| {
        response.header("date").and_then(|d| DateTime::parse_from_rfc2822(d).ok()).map(|d| d.with_timezone(&Utc))
    })?;
    Some((sent_at - server).num_seconds())
}

/// "6 minutes", "3 hours 20 minutes", "2 days".
pub fn describe_duration(secs: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => plural(secs, "second"),
        (0, 0, m) => plural(m, "minute"),
        (0, h, 0) => plural(h, "hour"),
        (0, h, m) => format!("{} {}", plural(h, "hour"), plural(m, "minute")),
        (d, 0, _) => plural(d, "day"),
        (d, h, _) => format!("{} {}", plural(d, "day"), plural(h, "hour")),
    }
}
