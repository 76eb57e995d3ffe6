//! The command line: `pmc-webhook [serve|simulate|config] [flags]`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::configuration::CliOverrides;

/// pmc-webhook: the WeCom callback service.
#[derive(Debug, Parser)]
#[command(name = "pmc-webhook", version, about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags every command understands.
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Flags shared by every command.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Configuration file (default: config/notification.yaml if present; env PMC_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// An env file read under the real environment (default: .env; env PMC_ENV_FILE).
    #[arg(long, global = true, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Bind address.
    #[arg(long, global = true, value_name = "H")]
    pub host: Option<String>,
    /// Bind port.
    #[arg(long, global = true, value_name = "P")]
    pub port: Option<u16>,
    /// Where the event log lives (env PMC_DATA_DIR).
    #[arg(long, global = true, value_name = "D")]
    pub data_dir: Option<PathBuf>,
    /// Log filter: error, warn, info, debug, trace (env LOG_LEVEL).
    #[arg(long, global = true, value_name = "L")]
    pub log_level: Option<String>,
}

impl GlobalArgs {
    /// The settings layer these flags form.
    pub fn overrides(&self) -> CliOverrides {
        CliOverrides {
            config_file: self.config.clone(),
            host: self.host.clone(),
            port: self.port,
            data_dir: self.data_dir.clone(),
            log_level: self.log_level.clone(),
        }
    }
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (the default).
    Serve,
    /// Act as WeCom: verify the URLs, then send encrypted callbacks of every type.
    Simulate(SimulateArgs),
    /// Print the effective configuration (secrets redacted) and exit.
    Config,
    /// Create or upgrade the schema of every configured database, then exit
    /// (the service also does this at start).
    Migrate,
    /// Copy the data directory, consistently, into DIR (a new or empty
    /// directory) while the service keeps serving. Restore: stop the
    /// service, put the copy in place of the data directory, start it.
    Backup {
        /// Where the copy goes.
        dir: std::path::PathBuf,
    },
}

/// `simulate` flags.
#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// The service's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// A management API token (read access suffices), for the calls that
    /// need one (`--status-messages` polls `/api/v1/actors`). Default: the
    /// first token of `PMC_API_TOKENS`, else the one generated into the data
    /// directory (`DATA_DIR/api_token`) when simulating against the local service.
    #[arg(long, env = "PMC_API_TOKEN", hide_env_values = true)]
    pub token: Option<secrecy::SecretString>,
    /// Callbacks per type.
    #[arg(long, default_value_t = 1)]
    pub count: u32,
    /// Callbacks per second (default: as fast as the service answers).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Send every callback a second time, as WeCom's retries do.
    #[arg(long)]
    pub duplicates: bool,
    /// Instead of WeCom callbacks: track this many distinct message ids with
    /// three signed status callbacks each (sent, read, delivered), then wait
    /// until the service has stored them all (a tracking benchmark).
    #[arg(long, value_name = "N")]
    pub status_messages: Option<u64>,
    /// Status updates per request in `--status-messages` mode.
    #[arg(long, default_value_t = 500)]
    pub status_batch: usize,
    /// Do not send: write the app-route callbacks of `--count` rounds,
    /// encrypted and signed now, one `PATH?QUERY<TAB>BODY` per line, for a
    /// load generator (`bench/load.sh`).
    #[arg(long, value_name = "FILE")]
    pub write_requests: Option<std::path::PathBuf>,
}
