//! Disk space of the data directory: sampled in the background (never a
//! `statvfs` per request), read by `/health`, `/metrics` and the event log.

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

/// How often free space is sampled.
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(2);

/// The files whose sizes are reported (`pmc_storage_bytes{file}`).
pub const FILES: [&str; 12] = [
    "events.db",
    "events.db-wal",
    "events.db-shm",
    "catalog.db",
    "catalog.db-wal",
    "catalog.db-shm",
    "tracking.db",
    "tracking.db-wal",
    "tracking.db-shm",
    "outbound.db",
    "outbound.db-wal",
    "outbound.db-shm",
];

/// The latest sample and the thresholds.
#[derive(Debug)]
pub struct DiskGauge {
    data_dir: PathBuf,
    min_free_bytes: u64,
    free_bytes: AtomicU64,
}

impl DiskGauge {
    /// A gauge for `data_dir`, sampled once now.
    pub fn new(data_dir: &Path, min_free_bytes: u64) -> Self {
        let gauge =
            Self { data_dir: data_dir.to_owned(), min_free_bytes, free_bytes: AtomicU64::new(u64::MAX) };
        gauge.sample();
        gauge
    }

    /// Reads the filesystem's free space (for unprivileged users) now.
    pub fn sample(&self) -> u64 {
        let free = match rustix::fs::statvfs(&self.data_dir) {
            Ok(stats) => stats.f_bavail.saturating_mul(stats.f_frsize),
            Err(error) => {
                tracing::warn!(error = %error, "Reading the data directory's free space failed.");
                u64::MAX
            }
        };
        self.free_bytes.store(free, Ordering::Relaxed);
        free
    }

    /// Free bytes at the last sample.
    pub fn free_bytes(&self) -> u64 {
        self.free_bytes.load(Ordering::Relaxed)
    }

    /// Below `storage.min_free_bytes`: `/health` is degraded.
    pub fn is_low(&self) -> bool {
        self.free_bytes() < self.min_free_bytes
    }

    /// Below half of it: callbacks are refused.
    pub fn is_critical(&self) -> bool {
        self.free_bytes() < self.min_free_bytes / 2
    }

    /// Each reported file's size in bytes (absent files are 0).
    pub fn file_sizes(&self) -> Vec<(&'static str, u64)> {
        FILES
            .iter()
            .map(|file| (*file, std::fs::metadata(self.data_dir.join(file)).map_or(0, |meta| meta.len())))
            .collect()
    }
}
