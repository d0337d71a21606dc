//! A connection's settings held against its connector's spec: a key the
//! connector does not know is refused (a typo must not silently fall back
//! to a default), a documented default fills in what the config leaves out
//! (so the host, which builds the HTTP allowlist from the settings, sees
//! the same base URLs the connector uses), and a required one must be there.

use std::collections::BTreeMap;

use crate::manifest::SettingManifest as Setting;
use crate::tenant::config::HOST_CONNECTION_KEYS;

/// The settings the connector gets, defaults applied. `table` names the
/// config table for errors (`connections.shop`).
pub fn complete(
    table: &str,
    connector: &str,
    spec: &[Setting],
    mut values: BTreeMap<String, String>,
) -> anyhow::Result<BTreeMap<String, String>> {
    for key in values.keys() {
        if !spec.iter().any(|s| s.name == *key) {
            let known: Vec<&str> = spec.iter().map(|s| s.name.as_str()).collect();
            anyhow::bail!(
                "`{table}.{key}` is not a setting of the connector `{connector}`; its settings are {}, and the host \
                 reads {}",
                known.join(", "),
                HOST_CONNECTION_KEYS.join(", ")
            );
        }
    }
    for setting in spec {
        if values.contains_key(&setting.name) {
            continue;
        }
        match &setting.default {
            Some(default) => {
                values.insert(setting.name.clone(), default.clone());
            }
            None if setting.required => {
                anyhow::bail!("`{table}.{}` is missing: {}", setting.name, setting.description)
            }
            None => {}
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(name: &str, required: bool, default: Option<&str>) -> Setting {
        Setting {
            name: name.into(),
            description: format!("the {name}"),
            required,
            secret: false,
            url: false,
            default: default.map(String::from),
        }
    }

    fn spec() -> Vec<Setting> {
        vec![
            setting("api_base_url", false, Some("https://api.example.com/v2")),
            setting("public_key", true, None),
            setting("company", false, None),
        ]
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_fill_in_and_what_is_given_wins() {
        let done = complete("connections.books", "x", &spec(), values(&[("public_key", "p")])).unwrap();
        assert_eq!(done, values(&[("api_base_url", "https://api.example.com/v2"), ("public_key", "p")]));
        let given = values(&[("public_key", "p"), ("api_base_url", "http://127.0.0.1:1/v2")]);
        assert_eq!(complete("connections.books", "x", &spec(), given.clone()).unwrap(), given);
    }

    #[test]
    fn unknown_and_missing_keys_are_named() {
        let typo = values(&[("publick_key", "p")]);
        let err = complete("connections.shop", "shop-api", &spec(), typo).unwrap_err().to_string();
        assert!(err.contains("`connections.shop.publick_key` is not a setting of the connector `shop-api`"), "{err}");
        assert!(err.contains("api_base_url, public_key, company") && err.contains("pace_requests"), "{err}");
        let err = complete("connections.shop", "shop-api", &spec(), values(&[])).unwrap_err().to_string();
        assert!(err.contains("`connections.shop.public_key` is missing: the public_key"), "{err}");
    }
}
