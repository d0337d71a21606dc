//! Spans of time as a tenant config and the CLI write them: `30s`, `5m`,
//! `2h`, `1d`, a whole number and a unit.

use std::time::Duration;

pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{text}` needs a unit: s, m, h or d (e.g. 30s, 5m, 1h)")),
    };
    match number.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Duration::from_secs(n * seconds_per)),
        _ => Err(format!("`{text}` needs a whole number above 0 before the unit (e.g. 30s, 5m, 1h)")),
    }
}

/// A span the way `parse_interval` takes it.
pub fn describe_interval(span: Duration) -> String {
    match span.as_secs() {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_need_a_number_and_a_unit() {
        assert_eq!(parse_interval("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_interval("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_interval("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_interval("5").unwrap_err().contains("unit"));
        assert!(parse_interval("0m").unwrap_err().contains("above 0"));
        assert!(parse_interval("m").unwrap_err().contains("whole number"));
        assert_eq!(describe_interval(Duration::from_secs(300)), "5m");
        assert_eq!(describe_interval(Duration::from_secs(90)), "90s");
    }
}
