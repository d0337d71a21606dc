//! The connector's settings: what a shop owner fills in, how it is checked,
//! and how it is described to them.

use trestle_guest::Error;
use trestle_guest::settings::value as read;
use trestle_guest::types::Setting;

/// Where the API lives under the shop's own domain.
pub const API_PREFIX: &str = "/api/rest/v1";

/// Clients clamp to this; larger pages are not known to work.
const MAX_PAGE_SIZE: u32 = 250;
const DEFAULT_PAGE_SIZE: u32 = 50;

pub struct Settings {
    /// Scheme, host and port of the shop, e.g. "https://shop.example".
    pub origin: String,
    pub public_key: String,
    pub secret_key: String,
    pub page_size: u32,
    /// Two-letter language for translated fields (Accept-Language).
    pub language: Option<String>,
}

impl Settings {
    pub fn load() -> Result<Self, Error> {
        let origin = origin_of(&read("base_url").ok_or_else(|| {
            Error::Invalid(
                "the setting `base_url` is missing: enter your shop's address, e.g. https://myshop.ccvshop.nl".into(),
            )
        })?)?;
        let public_key = read("public_key").ok_or_else(|| missing_key("public_key", "public key"))?;
        let secret_key = read("secret_key").ok_or_else(|| missing_key("secret_key", "secret key"))?;
        let page_size = match read("page_size") {
            None => DEFAULT_PAGE_SIZE,
            Some(text) => match text.parse::<u32>() {
                Ok(n @ 1..=MAX_PAGE_SIZE) => n,
                _ => {
                    return Err(Error::Invalid(format!(
                        "the setting `page_size` must be a whole number from 1 to {MAX_PAGE_SIZE}, not `{text}`"
                    )));
                }
            },
        };
        let language = read("language")
            .map(|lang| {
                if lang.len() == 2 && lang.chars().all(|c| c.is_ascii_alphabetic()) {
                    Ok(lang.to_ascii_lowercase())
                } else {
                    Err(Error::Invalid(format!(
                        "the setting `language` must be a two-letter code such as nl or en, not `{lang}`"
                    )))
                }
            })
            .transpose()?;
        Ok(Self { origin, public_key, secret_key, page_size, language })
    }
}

fn missing_key(setting: &str, what: &str) -> Error {
    Error::Auth(format!(
        "the setting `{setting}` is missing: create an API key in CCV Shop (My web shop > Settings > API settings) and enter its {what}"
    ))
}

/// The shop's origin from what the owner typed: with or without a trailing
/// slash or the API path.
fn origin_of(base_url: &str) -> Result<String, Error> {
    let trimmed = base_url.trim_end_matches('/');
    let trimmed = trimmed.strip_suffix(API_PREFIX).unwrap_or(trimmed).trim_end_matches('/');
    let valid = ["https://", "http://"]
        .iter()
        .any(|scheme| trimmed.strip_prefix(scheme).is_some_and(|rest| !rest.is_empty() && !rest.contains('/')));
    if valid {
        Ok(trimmed.to_string())
    } else {
        Err(Error::Invalid(format!(
            "the setting `base_url` must be your shop's address such as https://myshop.ccvshop.nl, not `{base_url}`"
        )))
    }
}

/// The settings as the connector's spec lists them.
pub fn declared() -> Vec<Setting> {
    vec![
        Setting::new(
            "base_url",
            "Your shop's address, e.g. https://myshop.ccvshop.nl (the API is under /api/rest/v1).",
        )
        .required(),
        Setting::new("public_key", "Public key of an API key (My web shop > Settings > API settings).").required(),
        Setting::new("secret_key", "Secret key of that API key; it signs every request and answer.")
            .required()
            .secret(),
        Setting::new("page_size", "Records per request, 1 to 250.").default("50"),
        Setting::new("language", "Two-letter language for translated texts (nl, en, de, ...)."),
    ]
}
