//! Where a host keeps its records: a SQLite file (the default, nothing to
//! install) or a PostgreSQL database named by its URL. A URL may carry the
//! database's password, so it is shown only without it: `Debug` and
//! `Display` both leave it out, and so does every message built from them.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file.
    File(PathBuf),
    /// `postgres://user:password@host:port/database`.
    Postgres(PostgresUrl),
}

/// A `postgres://` (or `postgresql://`) URL, its password kept out of sight.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl(String);

impl Database {
    /// A `postgres://` or `postgresql://` URL names a PostgreSQL database;
    /// anything else is the path of a SQLite file.
    pub fn parse(text: &str) -> Self {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Database::Postgres(PostgresUrl(text.to_string()))
        } else {
            Database::File(PathBuf::from(text))
        }
    }

    /// Whether there is anything to read yet: a file that exists, or a
    /// server (asked when it is opened).
    pub fn exists(&self) -> bool {
        match self {
            Database::File(path) => path.exists(),
            Database::Postgres(_) => true,
        }
    }
}

impl PostgresUrl {
    /// The URL as given, password included: for connecting, nothing else.
    pub(super) fn secret(&self) -> &str {
        &self.0
    }

    /// The URL without its password (in the user part or as a `password`
    /// parameter), for messages.
    pub fn redacted(&self) -> String {
        let Ok(mut url) = url::Url::parse(&self.0) else {
            return "(a postgres:// URL that cannot be read)".into();
        };
        let _ = url.set_password(None);
        if url.query_pairs().any(|(name, _)| name == "password") {
            let kept: Vec<(String, String)> =
                url.query_pairs().filter(|(name, _)| name != "password").map(|(n, v)| (n.into(), v.into())).collect();
            url.set_query(None);
            if !kept.is_empty() {
                url.query_pairs_mut().extend_pairs(kept);
            }
        }
        url.to_string()
    }
}

impl From<PathBuf> for Database {
    fn from(path: PathBuf) -> Self {
        Database::File(path)
    }
}

impl From<&Path> for Database {
    fn from(path: &Path) -> Self {
        Database::File(path.to_path_buf())
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::File(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => write!(f, "{url}"),
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::File(path) => f.debug_tuple("File").field(path).finish(),
            Database::Postgres(url) => f.debug_tuple("Postgres").field(url).finish(),
        }
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

/// In a tenant config: `database = "postgres://..."` or a path, or
/// `database = { env = "NAME" }` to keep a URL with its password out of
/// the file.
impl<'de> Deserialize<'de> for Database {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            Text(String),
            Env { env: String },
        }
        match Given::deserialize(deserializer).map_err(|_| {
            serde::de::Error::custom(
                "`database` is a path, a postgres:// URL, or { env = \"NAME\" } naming the variable that holds one",
            )
        })? {
            Given::Text(text) => Ok(Database::parse(&text)),
            Given::Env { env } => match std::env::var(&env) {
                Ok(text) if !text.is_empty() => Ok(Database::parse(&text)),
                _ => Err(serde::de::Error::custom(format!(
                    "`database` reads the environment variable {env}, which is not set"
                ))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> PostgresUrl {
        match Database::parse(text) {
            Database::Postgres(url) => url,
            other => panic!("{text} was read as {other:?}"),
        }
    }

    #[test]
    fn a_password_never_reaches_a_message() {
        let given = url("postgres://trestle:s3cret@db.example:5432/trestle");
        assert_eq!(given.redacted(), "postgres://trestle@db.example:5432/trestle");
        assert_eq!(format!("{given}"), given.redacted());
        assert!(!format!("{:?}", Database::Postgres(given.clone())).contains("s3cret"));
        let as_parameter = url("postgresql://trestle@db/trestle?sslmode=disable&password=s3cret");
        assert_eq!(as_parameter.redacted(), "postgresql://trestle@db/trestle?sslmode=disable");
        assert!(!url("postgres://u:s3cret@[::1/x").redacted().contains("s3cret"));
    }

    #[test]
    fn anything_but_a_postgres_url_is_a_file() {
        assert_eq!(Database::parse(".trestle/trestle.db"), Database::File(".trestle/trestle.db".into()));
        assert_eq!(Database::parse("postgres.db"), Database::File("postgres.db".into()));
    }
}
