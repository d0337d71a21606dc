//! The SQLite backend: one file (or memory), statements prepared once per
//! connection and cached.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rusqlite::Connection;
use rusqlite::types::{ToSqlOutput, ValueRef};

use super::value::{Row, Value};

/// The connection, and the file as an operator finds it from anywhere.
pub(super) fn open(path: &Path) -> anyhow::Result<(Connection, PathBuf)> {
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
    Ok((conn, std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())))
}

pub(super) fn rows(conn: &Connection, sql: &str, args: &[Value]) -> rusqlite::Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let columns = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let values = (0..columns).map(|i| row.get_ref(i).map(value_of)).collect::<rusqlite::Result<_>>()?;
        out.push(Row { values });
    }
    Ok(out)
}

pub(super) fn execute(conn: &Connection, sql: &str, args: &[Value]) -> rusqlite::Result<u64> {
    Ok(conn.prepare_cached(sql)?.execute(rusqlite::params_from_iter(args))? as u64)
}

fn value_of(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) | ValueRef::Blob(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(r) => ValueRef::Real(*r),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
        }))
    }
}
