//! Grants and the tokens issued for them: authorization codes (single use,
//! five minutes), access tokens that expire, refresh tokens that rotate (a
//! used one is dead) and grants that the user can revoke.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use serde::Serialize;

/// IdentityServer's default authorization code lifetime.
const CODE_LIFETIME: Duration = Duration::from_secs(300);

/// One user's consent for one client to one company.
#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    pub id: u64,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub revoked: bool,
}

impl Grant {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

struct Code {
    grant: u64,
    redirect_uri: String,
    expires_at: Instant,
}

struct Access {
    grant: u64,
    expires_at: Instant,
}

/// Access and refresh token as sent in the token response.
pub struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scopes: Vec<String>,
}

/// Why a token was refused, worded for the client's developer.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Expired,
    Used,
    Revoked,
    WrongClient,
    WrongRedirectUri,
}

impl Refusal {
    pub fn describe(&self, what: &str) -> String {
        match self {
            Refusal::Unknown => format!("The {what} is not known to the identity server."),
            Refusal::Expired => format!("The {what} has expired."),
            Refusal::Used => {
                format!("The {what} was already used; refresh tokens and codes are single use.")
            }
            Refusal::Revoked => format!("The grant behind this {what} was revoked by the user."),
            Refusal::WrongClient => format!("The {what} was issued to another client."),
            Refusal::WrongRedirectUri => {
                format!("The redirect_uri differs from the one the {what} was issued for.")
            }
        }
    }
}

pub struct Tokens {
    lifetime: Duration,
    grants: Vec<Grant>,
    codes: HashMap<String, Code>,
    access: HashMap<String, Access>,
    /// Refresh token → (grant, already used).
    refresh: HashMap<String, (u64, bool)>,
}

fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 32]>())
}

impl Tokens {
    pub fn new(access_token_lifetime: Duration) -> Self {
        Self {
            lifetime: access_token_lifetime,
            grants: Vec::new(),
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
        }
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    fn add_grant(&mut self, client_id: &str, scopes: Vec<String>) -> u64 {
        let id = self.grants.len() as u64 + 1;
        self.grants.push(Grant { id, client_id: client_id.to_string(), scopes, revoked: false });
        id
    }

    fn grant(&self, id: u64) -> &Grant {
        &self.grants[(id - 1) as usize]
    }

    /// A new grant and a refresh token for it, as if the user had just
    /// consented (what a browser round trip would yield).
    pub fn consent_offline(&mut self, client_id: &str, scopes: Vec<String>) -> String {
        let grant = self.add_grant(client_id, scopes);
        let token = random_token();
        self.refresh.insert(token.clone(), (grant, false));
        token
    }

    pub fn issue_code(&mut self, client_id: &str, scopes: Vec<String>, redirect_uri: &str) -> String {
        let grant = self.add_grant(client_id, scopes);
        let code = random_token();
        let expires_at = Instant::now() + CODE_LIFETIME;
        self.codes.insert(code.clone(), Code { grant, redirect_uri: redirect_uri.to_string(), expires_at });
        code
    }

    pub fn redeem_code(&mut self, code: &str, client_id: &str, redirect_uri: &str) -> Result<Issued, Refusal> {
        // Removed on first presentation, right or wrong: codes are single use.
        let entry = self.codes.remove(code).ok_or(Refusal::Unknown)?;
        let grant = self.grant(entry.grant);
        if grant.client_id != client_id {
            return Err(Refusal::WrongClient);
        }
        if entry.redirect_uri != redirect_uri {
            return Err(Refusal::WrongRedirectUri);
        }
        if Instant::now() >= entry.expires_at {
            return Err(Refusal::Expired);
        }
        Ok(self.issue(entry.grant))
    }

    pub fn refresh(&mut self, token: &str, client_id: &str) -> Result<Issued, Refusal> {
        let (grant_id, used) = *self.refresh.get(token).ok_or(Refusal::Unknown)?;
        let grant = self.grant(grant_id);
        if grant.client_id != client_id {
            return Err(Refusal::WrongClient);
        }
        if grant.revoked {
            return Err(Refusal::Revoked);
        }
        if used {
            return Err(Refusal::Used);
        }
        self.refresh.insert(token.to_string(), (grant_id, true));
        Ok(self.issue(grant_id))
    }

    fn issue(&mut self, grant_id: u64) -> Issued {
        let access_token = random_token();
        let expires_at = Instant::now() + self.lifetime;
        self.access.insert(access_token.clone(), Access { grant: grant_id, expires_at });
        let grant = self.grant(grant_id).clone();
        // Without offline_access the connection ends with the access token.
        let refresh_token = grant.has_scope("offline_access").then(|| {
            let token = random_token();
            self.refresh.insert(token.clone(), (grant_id, false));
            token
        });
        Issued { access_token, refresh_token, scopes: grant.scopes }
    }

    /// The grant behind a bearer token, if the token is still good.
    pub fn authenticate(&self, access_token: &str) -> Result<Grant, Refusal> {
        let access = self.access.get(access_token).ok_or(Refusal::Unknown)?;
        let grant = self.grant(access.grant);
        if grant.revoked {
            return Err(Refusal::Revoked);
        }
        if Instant::now() >= access.expires_at {
            return Err(Refusal::Expired);
        }
        Ok(grant.clone())
    }

    /// Revokes the grant behind a refresh or access token (RFC 7009 says an
    /// unknown token is not an error). Returns whether one was revoked.
    pub fn revoke_token(&mut self, token: &str, client_id: &str) -> bool {
        let grant = self.refresh.get(token).map(|(g, _)| *g).or_else(|| self.access.get(token).map(|a| a.grant));
        match grant {
            Some(id) if self.grant(id).client_id == client_id => {
                self.grants[(id - 1) as usize].revoked = true;
                true
            }
            _ => false,
        }
    }

    /// The user withdraws consent: every grant and its tokens die.
    pub fn revoke_all(&mut self) {
        self.grants.iter_mut().for_each(|g| g.revoked = true);
    }

    /// Every access token issued so far expires now.
    pub fn expire_access_tokens(&mut self) {
        let now = Instant::now();
        self.access.values_mut().for_each(|a| a.expires_at = now);
    }
}
