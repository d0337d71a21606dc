//! Settings keyed by country, written the same way in every flow:
//! `<name>.<ISO code>` for one country, else `<name>.domestic`, `<name>.eu`
//! or `<name>.export` for its region seen from the home country, else
//! `<name>.default`. A bare `<name> = …` is the default too.

use std::collections::BTreeMap;

const EU: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

const REGIONS: &[&str] = &["domestic", "eu", "export", "default"];

/// Two letters, as ISO 3166-1 alpha-2 codes are.
pub fn is_iso_code(code: &str) -> bool {
    code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic())
}

/// Where `country` lies seen from `home`: "domestic", "eu" or "export".
fn region(country: &str, home: &str) -> &'static str {
    if country == home {
        "domestic"
    } else if EU.contains(&country) {
        "eu"
    } else {
        "export"
    }
}

/// Values per country code or region, from the settings `<name>.*`.
#[derive(Debug, Clone)]
pub struct ByCountry<T> {
    name: &'static str,
    /// Upper-case country code or region -> value.
    values: BTreeMap<String, T>,
}

impl<T> ByCountry<T> {
    /// Reads `<name>` and `<name>.*` from `settings`; `parse` reads one value,
    /// and `expected` says what a value must be when it cannot.
    pub fn parse(
        settings: &BTreeMap<String, String>,
        name: &'static str,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Self, String> {
        let mut values = BTreeMap::new();
        for (key, value) in settings {
            let scope = if key == name {
                "default".to_string()
            } else if let Some(scope) = key.strip_prefix(name).and_then(|rest| rest.strip_prefix('.')) {
                // "eu" is two letters too: regions first, then country codes.
                let lower = scope.to_ascii_lowercase();
                if REGIONS.contains(&lower.as_str()) { lower } else { scope.to_ascii_uppercase() }
            } else {
                continue;
            };
            if !is_iso_code(&scope) && !REGIONS.contains(&scope.as_str()) {
                return Err(format!(
                    "setting `{key}` names no country; allowed after `{name}.`: a two-letter ISO code (`{name}.SE`) \
                     or one of {}",
                    REGIONS.join(", ")
                ));
            }
            let parsed =
                parse(value.trim()).ok_or_else(|| format!("setting `{key}` must be {expected}, got {value:?}"))?;
            if values.insert(scope.clone(), parsed).is_some() {
                return Err(format!("setting `{key}` says again what `{name}.{scope}` says; keep one of them"));
            }
        }
        Ok(ByCountry { name, values })
    }

    /// Values already read from `<name>.<key>`, keys taken as written and
    /// not checked: only upper-case codes and lower-case regions ever match.
    /// For settings a flow read this way before [`ByCountry::parse`] existed,
    /// so that tenant configs that worked keep working.
    pub fn as_written(name: &'static str, values: BTreeMap<String, T>) -> Self {
        ByCountry { name, values }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value for `country` (an upper-case ISO code): its own, else its
    /// region's, else the default.
    pub fn get(&self, country: &str, home: &str) -> Option<&T> {
        [country, region(country, home), "default"].into_iter().find_map(|scope| self.values.get(scope))
    }

    /// The settings that would give `country` a value, for a parked
    /// record's reason.
    pub fn setting_to_add(&self, country: &str, home: &str) -> String {
        format!("{name}.{country} (or {name}.{region})", name = self.name, region = region(country, home))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::ByCountry;

    fn entries(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn accounts(pairs: &[(&str, &str)]) -> Result<ByCountry<u32>, String> {
        ByCountry::parse(&entries(pairs), "revenue_account", "an account number", |v| v.parse().ok())
    }

    #[test]
    fn looks_up_the_country_then_its_region_then_the_default() {
        let map = accounts(&[
            ("revenue_account.se", "1"),
            ("revenue_account.EU", "2"),
            ("revenue_account.domestic", "3"),
            ("revenue_account", "4"),
            ("other.export", "5"),
        ])
        .unwrap();
        assert_eq!(map.get("SE", "NL"), Some(&1));
        assert_eq!(map.get("DE", "NL"), Some(&2));
        assert_eq!(map.get("NL", "NL"), Some(&3));
        assert_eq!(map.get("DE", "DE"), Some(&3), "the home country is domestic, not EU");
        assert_eq!(map.get("US", "NL"), Some(&4));
        assert_eq!(map.setting_to_add("US", "NL"), "revenue_account.US (or revenue_account.export)");
    }

    #[test]
    fn no_default_means_no_value_for_unmapped_countries() {
        let map = accounts(&[("revenue_account.NL", "3001")]).unwrap();
        assert!(!map.is_empty());
        assert_eq!(map.get("BE", "NL"), None);
        assert!(accounts(&[]).unwrap().is_empty());
    }

    #[test]
    fn refuses_bad_keys_bad_values_and_keys_said_twice() {
        let err = |pairs| accounts(pairs).unwrap_err();
        assert!(err(&[("revenue_account.Sweden", "1")]).contains("`revenue_account.Sweden` names no country"));
        assert_eq!(
            err(&[("revenue_account.SE", "three")]),
            "setting `revenue_account.SE` must be an account number, got \"three\""
        );
        assert!(err(&[("revenue_account.SE", "1"), ("revenue_account.se", "2")]).contains("says again"));
        assert!(err(&[("revenue_account", "1"), ("revenue_account.default", "2")]).contains("says again"));
    }

    #[test]
    fn as_written_matches_only_keys_spelled_as_looked_up() {
        let values: BTreeMap<String, String> = entries(&[("nl", "lower"), ("EU", "upper region"), ("eu", "eu")]);
        let map = ByCountry::as_written("vat_code", values);
        assert_eq!(map.get("NL", "BE").map(String::as_str), Some("eu"));
        assert_eq!(map.get("US", "BE"), None);
    }
}
