//! Embeds pmc-webhook in your own program with two custom handlers — the
//! Rust form of the seed's `tracker.add_status_callback(...)` and
//! `tracker.add_interaction_callback(...)`.
//!
//!     cargo run --example embed_with_handlers -- --env-file config/demo.env
//!
//! Then register a message and post status callbacks (see the README), or
//! run `pmc-webhook simulate` against it to see the interaction handler fire.

use async_trait::async_trait;
use clap::Parser;
use pmc_actors::{HandlerError, InteractionHandler, InteractionRecord, Status, StatusChange, StatusHandler};
use pmc_webhook::{
    cli::Cli,
    configuration,
    startup::{Application, shutdown_signal},
    telemetry,
};

/// Tells someone when a notification was read.
struct ReadReceipts;

#[async_trait]
impl StatusHandler for ReadReceipts {
    async fn on_status(&self, change: &StatusChange) -> Result<(), HandlerError> {
        println!(
            "message {} was read by {:?} (source: {})",
            change.message_id, change.recipient, change.source
        );
        Ok(())
    }
}

/// Forwards card clicks and replies to another system (here: prints them).
struct ForwardInteractions;

#[async_trait]
impl InteractionHandler for ForwardInteractions {
    async fn on_interaction(&self, interaction: &InteractionRecord) -> Result<(), HandlerError> {
        println!(
            "{} did {} (message {:?}, from {})",
            interaction.user_id, interaction.kind, interaction.message_id, interaction.callback_type
        );
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let settings =
        configuration::load_with_env_file(&cli.global.overrides(), cli.global.env_file.as_deref())?;
    telemetry::init(&settings.log)?;
    let application = Application::builder(settings)
        .on_status("read-receipts", Status::Read, ReadReceipts)
        .on_interaction("forward-interactions", ForwardInteractions)
        .build()
        .await?;
    println!("listening on port {}", application.port());
    application.run_until_stopped(shutdown_signal()).await?;
    Ok(())
}
