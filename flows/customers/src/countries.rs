//! Settings keyed by country, read the way the orders flow reads
//! `vat_code.*` and `revenue_account.*`, so a tenant writes them the same
//! way for both flows: `<name>.<ISO code>` for one country, else
//! `<name>.domestic`, `<name>.eu` or `<name>.export` for its region seen from
//! the home country, else `<name>.default`. A bare `<name> = …` is the
//! default too. Nothing here depends on this flow's bindings: it can move to
//! the shared guest crate as it is.

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
