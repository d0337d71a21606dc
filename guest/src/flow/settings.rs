//! Reading a flow's settings (config entries, flattened to `a.b = "value"`):
//! the pieces every flow needs, with errors that name the key and what is
//! allowed.

use std::collections::BTreeMap;

/// `key = true | false`, or `default` when it is not set.
pub fn flag(entries: &BTreeMap<String, String>, key: &str, default: bool) -> Result<bool, String> {
    match entries.get(key).map(String::as_str) {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(format!("setting `{key}` must be true or false, got {other:?}")),
    }
}

/// The entries under `prefix` (which ends in a dot), keyed by the rest.
pub fn group(entries: &BTreeMap<String, String>, prefix: &str) -> BTreeMap<String, String> {
    entries.iter().filter_map(|(k, v)| k.strip_prefix(prefix).map(|rest| (rest.to_string(), v.clone()))).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{flag, group};

    fn entries(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn flag_takes_true_false_or_the_default_and_names_the_key_otherwise() {
        let e = entries(&[("on", "true"), ("off", "false"), ("typo", "yes")]);
        assert_eq!(flag(&e, "on", false), Ok(true));
        assert_eq!(flag(&e, "off", true), Ok(false));
        assert_eq!(flag(&e, "unset", true), Ok(true));
        assert_eq!(flag(&e, "typo", true), Err("setting `typo` must be true or false, got \"yes\"".into()));
    }

    #[test]
    fn group_keeps_only_the_entries_under_the_prefix() {
        let e = entries(&[("terms.ideal", "14"), ("terms.default", "30"), ("termsx", "1"), ("other.ideal", "7")]);
        assert_eq!(group(&e, "terms."), entries(&[("ideal", "14"), ("default", "30")]));
    }
}
