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

/// Refuses the first key that is neither one of `keys` nor under one of
/// `groups` (a prefix ending in a dot, and what follows it for people, e.g.
/// `("article.", "<kind>")`): a misspelt setting would otherwise be
/// ignored without a word and its default used.
pub fn refuse_unknown(
    entries: &BTreeMap<String, String>,
    flow: &str,
    keys: &[&str],
    groups: &[(&str, &str)],
) -> Result<(), String> {
    let known = |key: &str| {
        keys.contains(&key) || groups.iter().any(|(prefix, _)| key.len() > prefix.len() && key.starts_with(prefix))
    };
    match entries.keys().find(|key| !known(key)) {
        None => Ok(()),
        Some(unknown) => {
            let allowed: Vec<String> = keys
                .iter()
                .map(|k| k.to_string())
                .chain(groups.iter().map(|(prefix, rest)| format!("{prefix}{rest}")))
                .collect();
            Err(format!("setting `{unknown}` is not a setting of the {flow} flow; allowed: {}", allowed.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{flag, group, refuse_unknown};

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

    #[test]
    fn refuse_unknown_names_the_key_and_every_allowed_one() {
        let groups = [("terms.", "<method>")];
        let e = entries(&[("mode", "a"), ("terms.ideal", "14")]);
        assert_eq!(refuse_unknown(&e, "test", &["mode"], &groups), Ok(()));
        let e = entries(&[("mode", "a"), ("modus", "b")]);
        assert_eq!(
            refuse_unknown(&e, "test", &["mode", "other"], &groups),
            Err("setting `modus` is not a setting of the test flow; allowed: mode, other, terms.<method>".into())
        );
        // The bare prefix is not a group member.
        let e = entries(&[("terms.", "14")]);
        assert!(refuse_unknown(&e, "test", &["mode"], &groups).is_err());
    }
}
