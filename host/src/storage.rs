//! The embedded database: state, activity log and runs in one SQLite file
//! (or in memory for tests). One connection behind a mutex is plenty: every
//! write is small, and SQLite serialises writers anyway. Activity writes
//! that fail are counted per run here, so the run can say it lost them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use anyhow::Context;
use rusqlite::Connection;

use crate::sealing::StateKeys;

#[derive(Clone)]
pub struct Storage {
    conn: Arc<Mutex<Connection>>,
    /// The file, for messages; `None` in memory.
    path: Option<Arc<PathBuf>>,
    lost: Arc<Mutex<BTreeMap<String, LostWrites>>>,
    /// The operator's keys: state values are sealed with them (`sealing`).
    state_keys: Arc<OnceLock<StateKeys>>,
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
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the folder for the database {}", dir.display()))?;
        }
        let conn = Connection::open(path).with_context(|| format!("cannot open the database {}", path.display()))?;
        // WAL lets `trestle logs` read while a run writes; a busy timeout rides
        // out the short moments two processes write at once.
        conn.pragma_update(None, "journal_mode", "WAL")
            .with_context(|| format!("cannot use the database {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Messages name the file as an operator finds it, from anywhere.
        Self::init(conn, Some(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())))
    }

    pub fn in_memory() -> anyhow::Result<Self> {
        Self::init(Connection::open_in_memory()?, None)
    }

    fn init(conn: Connection, path: Option<PathBuf>) -> anyhow::Result<Self> {
        let storage = Self {
            conn: Arc::new(Mutex::new(conn)),
            path: path.map(Arc::new),
            lost: Arc::default(),
            state_keys: Arc::default(),
        };
        storage
            .conn()
            .execute_batch(SCHEMA)
            .with_context(|| format!("cannot create the tables of {}", storage.describe()))?;
        Ok(storage)
    }

    /// "the database /srv/t/.trestle/trestle.db", for error messages.
    pub fn describe(&self) -> String {
        match &self.path {
            Some(path) => format!("the database {}", path.display()),
            None => "the in-memory database".into(),
        }
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

    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite itself consistent.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}
