//! The database: state, id maps, cursors, runs, run leases, activity,
//! incidents and tokens, behind one interface with two backends. SQLite
//! (one file, or memory for tests) is the embedded default; PostgreSQL
//! (`postgres://user@host:port/db`) lets many processes on many machines
//! share one database (docs/2026-12-03-postgres-storage.md). Queries are
//! written once, in the SQL both understand (`?1` arguments, `ON CONFLICT`,
//! `RETURNING`); the PostgreSQL backend translates the few spellings that
//! differ. Activity writes that fail are counted per run here, so the run
//! can say it lost them.

mod location;
mod postgres;
mod sqlite;
mod value;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use anyhow::Context;

use crate::sealing::StateKeys;
pub use location::{Database, PostgresUrl};
pub use value::{FromValue, Row, ToValue, Value};

#[derive(Clone)]
pub struct Storage {
    backend: Arc<Backend>,
    /// "the database /srv/t/.trestle/trestle.db", for messages; a
    /// PostgreSQL URL without its password.
    described: Arc<str>,
    lost: Arc<Mutex<BTreeMap<String, LostWrites>>>,
    /// The operator's keys: state values are sealed with them (`sealing`).
    state_keys: Arc<OnceLock<StateKeys>>,
}

enum Backend {
    /// One connection behind a mutex is plenty: every write is small, and
    /// SQLite serialises writers anyway.
    Sqlite(Mutex<rusqlite::Connection>),
    Postgres(postgres::Postgres),
}

/// Activity-log entries of one run that could not be written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LostWrites {
    pub entries: u64,
    /// The last error, naming the database.
    pub error: String,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS state (
    tenant    TEXT NOT NULL,
    namespace TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (tenant, namespace, key)
);
CREATE TABLE IF NOT EXISTS activity (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT NOT NULL,
    tenant        TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    component     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    level         TEXT NOT NULL,
    message       TEXT NOT NULL,
    fields        TEXT NOT NULL DEFAULT '{}',
    record_kind   TEXT,
    source_system TEXT,
    source_id     TEXT,
    target_system TEXT,
    target_id     TEXT,
    outcome       TEXT,
    payload       TEXT,
    duration_us   INTEGER
);
CREATE INDEX IF NOT EXISTS activity_by_run ON activity (tenant, run_id);
CREATE INDEX IF NOT EXISTS activity_by_record ON activity (tenant, record_kind, source_id);
CREATE INDEX IF NOT EXISTS activity_by_time ON activity (tenant, at);
CREATE TABLE IF NOT EXISTS run_leases (
    tenant     TEXT NOT NULL,
    flow       TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    machine    TEXT NOT NULL,
    since      TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, flow)
);
CREATE TABLE IF NOT EXISTS runs (
    id          TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    flow        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    outcome     TEXT,
    summary     TEXT
);
";

impl Storage {
    /// Opens the SQLite file or connects to the PostgreSQL database, and
    /// creates the tables it lacks.
    pub fn open(database: &Database) -> anyhow::Result<Self> {
        match database {
            Database::File(path) => {
                let (conn, path) = sqlite::open(path)?;
                Self::init(Backend::Sqlite(Mutex::new(conn)), format!("the database {}", path.display()))
            }
            Database::Postgres(url) => {
                let described = format!("the database {url}");
                let backend = postgres::Postgres::connect(url).with_context(|| format!("cannot open {described}"))?;
                Self::init(Backend::Postgres(backend), described)
            }
        }
    }

    pub fn in_memory() -> anyhow::Result<Self> {
        Self::init(
            Backend::Sqlite(Mutex::new(rusqlite::Connection::open_in_memory()?)),
            "the in-memory database".into(),
        )
    }

    fn init(backend: Backend, described: String) -> anyhow::Result<Self> {
        let storage = Self {
            backend: Arc::new(backend),
            described: described.into(),
            lost: Arc::default(),
            state_keys: Arc::default(),
        };
        storage.create_tables(SCHEMA)?;
        Ok(storage)
    }

    /// Creates the tables of `schema` that do not exist yet; processes that
    /// start together take turns (PostgreSQL's `CREATE TABLE IF NOT EXISTS`
    /// is not safe side by side).
    pub fn create_tables(&self, schema: &str) -> anyhow::Result<()> {
        self.write_transaction(|db| db.execute_batch(schema))
            .with_context(|| format!("cannot create the tables of {}", self.describe()))
    }

    /// "the database /srv/t/.trestle/trestle.db", for error messages.
    pub fn describe(&self) -> String {
        self.described.to_string()
    }

    /// Counts `entries` activity-log entries of `run_id` as lost.
    pub fn note_lost(&self, run_id: &str, entries: usize, error: &anyhow::Error) {
        let mut lost = self.lost.lock().unwrap_or_else(|p| p.into_inner());
        let run = lost.entry(run_id.to_string()).or_default();
        run.entries += entries as u64;
        run.error = format!("cannot write to {}: {error:#}", self.describe());
    }

    /// The activity `run_id` lost, forgotten once asked.
    pub fn take_lost(&self, run_id: &str) -> Option<LostWrites> {
        self.lost.lock().unwrap_or_else(|p| p.into_inner()).remove(run_id)
    }

    /// Seals every state value written from now on with `keys` (and opens
    /// sealed ones with them). Set once, before the first run.
    pub fn seal_state_with(&self, keys: StateKeys) -> anyhow::Result<()> {
        self.state_keys.set(keys).map_err(|_| anyhow::anyhow!("the state keys of {} are set already", self.describe()))
    }

    pub fn state_keys(&self) -> Option<&StateKeys> {
        self.state_keys.get()
    }

    /// Runs `work` on one connection, each statement committed on its own.
    pub fn with_db<T>(&self, work: impl FnOnce(&Db<'_>) -> anyhow::Result<T>) -> anyhow::Result<T> {
        match &*self.backend {
            Backend::Sqlite(conn) => work(&Db::Sqlite(&lock(conn))),
            Backend::Postgres(pg) => work(&Db::Postgres(&pg.session()?)),
        }
    }

    /// Runs `work` in one transaction: committed if it returns `Ok`, rolled
    /// back otherwise (and when it panics).
    pub fn transaction<T>(&self, work: impl FnOnce(&Db<'_>) -> anyhow::Result<T>) -> anyhow::Result<T> {
        self.with_db(|db| db.in_transaction("BEGIN", work))
    }

    /// A transaction that waits for every other writing one of every
    /// process sharing the database, for a read-then-write that must not
    /// interleave (the run lease).
    pub fn write_transaction<T>(&self, work: impl FnOnce(&Db<'_>) -> anyhow::Result<T>) -> anyhow::Result<T> {
        self.with_db(|db| {
            let begin = match db {
                Db::Sqlite(_) => "BEGIN IMMEDIATE",
                Db::Postgres(_) => postgres::BEGIN_SERIALISED,
            };
            db.in_transaction(begin, work)
        })
    }

    /// Gives the space of deleted rows back, so that what was purged is
    /// gone from the files too.
    pub fn compact(&self) -> anyhow::Result<()> {
        self.with_db(|db| db.execute_batch("VACUUM"))
    }
}

fn lock(conn: &Mutex<rusqlite::Connection>) -> MutexGuard<'_, rusqlite::Connection> {
    // A panic while holding the lock leaves SQLite itself consistent.
    conn.lock().unwrap_or_else(|p| p.into_inner())
}

/// One connection of either backend, for the length of a `with_db` or a
/// transaction.
pub enum Db<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(&'a postgres::Session),
}

impl Db<'_> {
    fn in_transaction<T>(&self, begin: &str, work: impl FnOnce(&Db<'_>) -> anyhow::Result<T>) -> anyhow::Result<T> {
        self.execute_batch(begin)?;
        let open = OpenTransaction(self);
        let result = work(self);
        std::mem::forget(open);
        match result {
            Ok(value) => self.execute_batch("COMMIT").map(|()| value),
            Err(e) => {
                let _ = self.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

/// Rolls back a transaction whose work panicked, so the connection goes
/// back clean.
struct OpenTransaction<'a, 'b>(&'a Db<'b>);

impl Drop for OpenTransaction<'_, '_> {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

/// Statements, the same on a `Storage` (each on its own) and a `Db`.
pub trait Sql {
    /// Every row `sql` returns.
    fn rows(&self, sql: &str, args: &[Value]) -> anyhow::Result<Vec<Row>>;
    /// Runs `sql`; the number of rows it changed.
    fn execute(&self, sql: &str, args: &[Value]) -> anyhow::Result<u64>;
    /// Runs statements separated by `;`, without arguments.
    fn execute_batch(&self, sql: &str) -> anyhow::Result<()>;

    fn query<T>(
        &self,
        sql: &str,
        args: &[Value],
        read: impl FnMut(&Row) -> anyhow::Result<T>,
    ) -> anyhow::Result<Vec<T>> {
        self.rows(sql, args)?.iter().map(read).collect()
    }

    /// The first row, if any.
    fn query_opt<T>(
        &self,
        sql: &str,
        args: &[Value],
        read: impl FnOnce(&Row) -> anyhow::Result<T>,
    ) -> anyhow::Result<Option<T>> {
        self.rows(sql, args)?.first().map(read).transpose()
    }

    /// The first row, which must be there.
    fn query_one<T>(
        &self,
        sql: &str,
        args: &[Value],
        read: impl FnOnce(&Row) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        self.query_opt(sql, args, read)?.context("the query returned no row")
    }
}

impl Sql for Db<'_> {
    fn rows(&self, sql: &str, args: &[Value]) -> anyhow::Result<Vec<Row>> {
        match self {
            Db::Sqlite(conn) => Ok(sqlite::rows(conn, sql, args)?),
            Db::Postgres(session) => session.rows(sql, args),
        }
    }

    fn execute(&self, sql: &str, args: &[Value]) -> anyhow::Result<u64> {
        match self {
            Db::Sqlite(conn) => Ok(sqlite::execute(conn, sql, args)?),
            Db::Postgres(session) => session.execute(sql, args),
        }
    }

    fn execute_batch(&self, sql: &str) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Db::Postgres(session) => session.execute_batch(sql),
        }
    }
}

impl Sql for Storage {
    fn rows(&self, sql: &str, args: &[Value]) -> anyhow::Result<Vec<Row>> {
        self.with_db(|db| db.rows(sql, args))
    }

    fn execute(&self, sql: &str, args: &[Value]) -> anyhow::Result<u64> {
        self.with_db(|db| db.execute(sql, args))
    }

    fn execute_batch(&self, sql: &str) -> anyhow::Result<()> {
        self.with_db(|db| db.execute_batch(sql))
    }
}
