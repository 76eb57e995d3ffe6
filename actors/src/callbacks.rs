//! Callback actors: a small pool, routed by user (interactions) or message
//! (status changes) so each one's callbacks stay in order. They store
//! interactions (through the writer) and run the user handlers, isolated.
//!
//! Parent: the supervisor. All messages are casts. Handler failures never
//! fail the actor: errors, panics and timeouts are caught and counted.

use std::{future::Future, panic::AssertUnwindSafe, time::Duration};

use futures::FutureExt;
use ractor::{Actor, ActorProcessingErr, ActorRef};

use crate::{
    handlers::{HandlerRegistry, StatusChange},
    rows::{InteractionRow, UnitId, WriteBatch},
    writer::WriterMsg,
};

/// How long one handler call may take.
const HANDLER_TIMEOUT: Duration = Duration::from_secs(30);

/// Messages to a callback actor.
#[derive(Debug)]
pub enum CallbackMsg {
    /// Store interactions (in one write) and run the interaction handlers
    /// on each, in order.
    Interactions(Vec<(InteractionRow, UnitId)>),
    /// Run the status handlers for a change.
    Status(StatusChange),
}

/// A callback actor.
pub struct CallbackActor;

/// What it owns.
pub struct CallbackState {
    handlers: HandlerRegistry,
    writer: ActorRef<WriterMsg>,
}

impl Actor for CallbackActor {
    type Msg = CallbackMsg;
    type State = CallbackState;
    type Arguments = (HandlerRegistry, ActorRef<WriterMsg>);

    async fn pre_start(
        &self,
        _myself: ActorRef<CallbackMsg>,
        (handlers, writer): (HandlerRegistry, ActorRef<WriterMsg>),
    ) -> Result<CallbackState, ActorProcessingErr> {
        Ok(CallbackState { handlers, writer })
    }

    async fn handle(
        &self,
        _myself: ActorRef<CallbackMsg>,
        message: CallbackMsg,
        state: &mut CallbackState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            CallbackMsg::Interactions(rows) => {
                // The records (their JSON payloads) are copied only for handlers to read.
                let records: Vec<_> = if state.handlers.interaction.is_empty() {
                    Vec::new()
                } else {
                    rows.iter().map(|(row, _)| row.record.clone()).collect()
                };
                let (interactions, units) = rows.into_iter().unzip();
                let batch = WriteBatch { interactions, ..WriteBatch::default() };
                state.writer.cast(WriterMsg::Rows(batch, units))?;
                for record in &records {
                    for registered in &state.handlers.interaction {
                        let outcome = isolated(registered.handler.on_interaction(record)).await;
                        state.handlers.stats.record(&registered.name, outcome.err());
                    }
                }
            }
            CallbackMsg::Status(change) => {
                for registered in &state.handlers.status {
                    if registered.status.is_none_or(|status| status == change.status) {
                        let outcome = isolated(registered.handler.on_status(&change)).await;
                        state.handlers.stats.record(&registered.name, outcome.err());
                    }
                }
            }
        }
        Ok(())
    }
}

/// Runs a handler future, turning errors, panics and timeouts into a message.
async fn isolated<F>(call: F) -> Result<(), String>
where
    F: Future<Output = Result<(), crate::handlers::HandlerError>>,
{
    match tokio::time::timeout(HANDLER_TIMEOUT, AssertUnwindSafe(call).catch_unwind()).await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(error))) => {
            tracing::warn!(error = %error, "A handler failed; the pipeline goes on.");
            Err(error.to_string())
        }
        Ok(Err(panic)) => {
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned());
            tracing::error!(panic = %text, "A handler panicked; the pipeline goes on.");
            Err(format!("panicked: {text}"))
        }
        Err(_) => {
            tracing::warn!("A handler timed out; the pipeline goes on.");
            Err(format!("timed out after {} s", HANDLER_TIMEOUT.as_secs()))
        }
    }
}
