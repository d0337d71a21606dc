//! The connection's settings: what `spec()` describes and how they are read
//! from the host's config (once per instance; config cannot change mid-run).

use std::rc::Rc;

use trestle_guest::types::Setting;
use trestle_guest::{Error, settings};

pub const DEFAULT_API_BASE_URL: &str = "https://eaccountingapi.vismaonline.com/v2";
pub const DEFAULT_IDENTITY_BASE_URL: &str = "https://identity.vismaonline.com";
/// eAccounting's documented default is 50; its maximum is unknown, so we
/// stay well below anything a server would clamp.
const DEFAULT_PAGE_SIZE: u32 = 100;

pub struct Settings {
    /// Without trailing slash, e.g. `https://eaccountingapi.vismaonline.com/v2`.
    pub api_base_url: String,
    /// Prefix of `/connect/token`, without trailing slash.
    pub identity_base_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// The refresh token the user configured, if any (see `oauth` for how it
    /// relates to the rotated one in state).
    pub refresh_token: Option<String>,
    /// The company the token must belong to (name or organisation number).
    pub company: Option<String>,
    pub page_size: u32,
    /// Whether a company's contact person and e-mail address in the books
    /// follow the buyer in the shop (off: the books' own stay).
    pub update_contact: bool,
}

pub fn described() -> Vec<Setting> {
    vec![
        Setting::new("api_base_url", "eAccounting API base URL, including /v2").default(DEFAULT_API_BASE_URL),
        Setting::new("identity_base_url", "Visma identity server (the prefix of /connect/token)")
            .default(DEFAULT_IDENTITY_BASE_URL),
        Setting::new("client_id", "OAuth client id registered with Visma").required(),
        Setting::new("client_secret", "OAuth client secret registered with Visma").required().secret(),
        Setting::new(
            "refresh_token",
            "Initial refresh token; normally stored by `trestle connect eaccounting` instead. \
             After first use the rotated token in the connection's state takes over.",
        )
        .secret(),
        Setting::new(
            "company",
            "Name or organisation number of the company the connection must reach; check() refuses another one",
        ),
        Setting::new("page_size", "Items per page when listing").default(&DEFAULT_PAGE_SIZE.to_string()),
        Setting::new(
            "update_contact",
            "Whether updating a company customer writes the shop's buyer over the contact person and e-mail \
             address the books already have (true or false)",
        )
        .default("false"),
    ]
}

thread_local! {
    static LOADED: std::cell::OnceCell<Rc<Settings>> = const { std::cell::OnceCell::new() };
}

/// The settings of this instance, read on first use.
pub fn get() -> Result<Rc<Settings>, Error> {
    if let Some(settings) = LOADED.with(|cell| cell.get().cloned()) {
        return Ok(settings);
    }
    let settings = Rc::new(read()?);
    LOADED.with(|cell| cell.set(settings.clone()).ok());
    Ok(settings)
}

fn read() -> Result<Settings, Error> {
    let optional = settings::value;
    let required = |name: &str| {
        optional(name).ok_or_else(|| {
            Error::Invalid(format!(
                "setting `{name}` of the eAccounting connection is missing; add it to the tenant config"
            ))
        })
    };
    let url = |name: &str, default: &str| {
        optional(name).unwrap_or_else(|| default.to_string()).trim_end_matches('/').to_string()
    };
    let page_size = match optional("page_size") {
        None => DEFAULT_PAGE_SIZE,
        Some(text) => text.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
            Error::Invalid(format!("setting `page_size` must be a positive whole number, not `{text}`"))
        })?,
    };
    let update_contact = match optional("update_contact").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(Error::Invalid(format!("setting `update_contact` must be true or false, not `{other}`")));
        }
    };
    Ok(Settings {
        api_base_url: url("api_base_url", DEFAULT_API_BASE_URL),
        identity_base_url: url("identity_base_url", DEFAULT_IDENTITY_BASE_URL),
        client_id: required("client_id")?,
        client_secret: required("client_secret")?,
        refresh_token: optional("refresh_token"),
        company: optional("company"),
        page_size,
        update_contact,
    })
}
