//! `pmc-webhook backup DIR`: a consistent online copy of the data directory
//! while the service serves. Each SQLite database is copied with
//! `VACUUM INTO` — a transaction-consistent snapshot, taken through a
//! reader, so the service keeps acknowledging — plus the small identity
//! files. The lock file is not copied (nor taken: the service holds it).

use std::path::{Path, PathBuf};

use sea_orm::sqlx::{
    AssertSqlSafe, Connection, Executor,
    sqlite::{SqliteConnectOptions, SqliteConnection},
};

/// The databases copied, when present.
const DATABASES: [&str; 3] = ["events.db", "tracking.db", "outbound.db"];
/// The plain files copied, when present.
const FILES: [&str; 2] = ["instance_id", "api_token"];

/// Why a backup failed. Names paths, never contents.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The target exists and is not empty: a backup never overwrites.
    #[error("{0} exists and is not empty; back up into a new directory")]
    TargetNotEmpty(PathBuf),
    /// Nothing to back up.
    #[error("{0} holds no event log (events.db); is it the data directory?")]
    NoEventLog(PathBuf),
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// SQLite refused the copy.
    #[error("copying {path}: {reason}")]
    Copy {
        /// The database.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Copies `data_dir` into `target` (created); returns the files copied.
pub async fn backup(data_dir: &Path, target: &Path) -> Result<Vec<String>, BackupError> {
    if !data_dir.join("events.db").exists() {
        return Err(BackupError::NoEventLog(data_dir.to_owned()));
    }
    if std::fs::read_dir(target).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(BackupError::TargetNotEmpty(target.to_owned()));
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |error: std::io::Error| BackupError::Io { path, reason: error.to_string() }
    };
    std::fs::create_dir_all(target).map_err(io(target))?;
    let mut copied = Vec::new();
    for name in DATABASES {
        let source = data_dir.join(name);
        if !source.exists() {
            continue;
        }
        let copy_error = |error: sea_orm::sqlx::Error| BackupError::Copy {
            path: source.clone(),
            reason: error.to_string(),
        };
        let mut connection = SqliteConnection::connect_with(
            &SqliteConnectOptions::new().filename(&source).busy_timeout(std::time::Duration::from_secs(10)),
        )
        .await
        .map_err(copy_error)?;
        let destination = target.join(name);
        let quoted = destination.to_string_lossy().replace('\'', "''");
        // A path is no SQL parameter for VACUUM INTO: quoted, as SQLite quotes.
        let sql = AssertSqlSafe(format!("VACUUM INTO '{quoted}'"));
        connection.execute(sql).await.map_err(copy_error)?;
        connection.close().await.map_err(copy_error)?;
        copied.push(name.to_owned());
    }
    for name in FILES {
        let source = data_dir.join(name);
        if source.exists() {
            std::fs::copy(&source, target.join(name)).map_err(io(&source))?;
            copied.push(name.to_owned());
        }
    }
    Ok(copied)
}
