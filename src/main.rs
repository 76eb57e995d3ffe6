//! The `pmc-webhook` binary: parse flags, load settings once, run a command.

use std::process::ExitCode;

use clap::Parser;
use pmc_webhook::{
    cli::{Cli, Command},
    configuration, simulator,
    startup::{Application, shutdown_signal},
    telemetry,
};

/// glibc's malloc spent a quarter of the service's CPU in arena contention
/// under load (perf); mimalloc removes most of it. Its v2 line (the `v2`
/// feature) keeps less resident than v3 under the churn of actor spawns and
/// stops: 1M-id tracking benchmark plateau ~215 MiB against ~250 MiB, same
/// throughput.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // Before anything can open a TLS connection (see security::crypto).
    pmc_webhook::security::install_crypto_provider();
    let cli = Cli::parse();
    if let Some(env_file) = &cli.global.env_file {
        // An explicitly named file must exist; the default `.env` is optional.
        if !env_file.exists() {
            eprintln!("error: env file {} does not exist", env_file.display());
            return ExitCode::from(2);
        }
    }
    let settings =
        match configuration::load_with_env_file(&cli.global.overrides(), cli.global.env_file.as_deref()) {
            Ok(settings) => settings,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        };
    // Held until exit: the file writer flushes when it is dropped.
    let _log_guard = match telemetry::init(&settings.log) {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => match Application::builder(settings)
            .reload_accounts_on_sighup({
                let (overrides, env_file) = (cli.global.overrides(), cli.global.env_file.clone());
                std::sync::Arc::new(move || {
                    configuration::load_with_env_file(&overrides, env_file.as_deref())
                })
            })
            .build()
            .await
        {
            Ok(application) => {
                announce_generated_token(&application);
                match application.run_until_stopped(shutdown_signal()).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(error) => {
                        tracing::error!(error = %error, "The service stopped with an error.");
                        ExitCode::FAILURE
                    }
                }
            }
            Err(error) => {
                tracing::error!(error = %error, "The service could not start.");
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        },
        Command::Simulate(args) if args.status_messages.is_some() => {
            let messages = args.status_messages.unwrap_or_default();
            match simulator::status_load::run(&settings, &args, messages).await {
                Ok(report) if report.failed_requests == 0 => ExitCode::SUCCESS,
                Ok(_) => ExitCode::FAILURE,
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Simulate(args) if args.write_requests.is_some() => {
            let path = args.write_requests.clone().unwrap_or_default();
            match simulator::request_file::write(&settings, &args, &path) {
                Ok(count) => {
                    println!("{count} requests written to {}", path.display());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Simulate(args) => match simulator::run(&settings, &args).await {
            Ok(report) if report.all_acknowledged() => ExitCode::SUCCESS,
            Ok(_) => ExitCode::FAILURE,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        },
        Command::Backup { dir } => {
            match pmc_webhook::retention::backup::backup(&settings.storage.data_dir, &dir).await {
                Ok(copied) => {
                    println!(
                        "Backed up {} into {}: {}",
                        settings.storage.data_dir.display(),
                        dir.display(),
                        copied.join(", ")
                    );
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Migrate => match pmc_webhook::startup::migrate(&settings).await {
            Ok(done) => {
                for line in done {
                    println!("{line}");
                }
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        },
        Command::Config => {
            println!("{settings:#?}");
            ExitCode::SUCCESS
        }
    }
}

/// Shows a token generated at this start, once, on standard error and not
/// through the log (log files and collectors must never hold it).
fn announce_generated_token(application: &Application) {
    if let Some(generated) = application.generated_api_token() {
        eprintln!(
            "\nManagement API token (generated now, shown once; also in {}):\n\n    {}\n\n\
             Send it as `Authorization: Bearer <token>`. Set PMC_API_TOKENS to use your own.\n",
            generated.path.display(),
            secrecy::ExposeSecret::expose_secret(&generated.token)
        );
    }
}
