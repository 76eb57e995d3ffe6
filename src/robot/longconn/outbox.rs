//! Frames to send on a bot's connection from outside its session loop
//! (stream updates, proactive sends), each with an optional wait for
//! WeCom's answer (`{headers: {req_id}, errcode, errmsg}`). Frames queued
//! while the connection is down wait for the next one.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::frame::Frame;

/// How many frames may wait for the connection.
const CAPACITY: usize = 1024;

/// One frame to send, and who waits for its answer.
pub(super) struct Outgoing {
    pub(super) frame: Frame,
    pub(super) answer: Option<oneshot::Sender<Frame>>,
}

/// Why a frame got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAnswered {
    /// Too many frames are waiting for the connection.
    #[error("the connection's queue is full")]
    Full,
    /// The connection keeper stopped.
    #[error("the connection is closed")]
    Closed,
    /// No answer in time (the connection may be down).
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// Sends frames on one bot's connection.
#[derive(Clone)]
pub struct Outbox {
    sender: mpsc::Sender<Outgoing>,
}

impl Outbox {
    pub(super) fn new() -> (Self, mpsc::Receiver<Outgoing>) {
        let (sender, receiver) = mpsc::channel(CAPACITY);
        (Self { sender }, receiver)
    }

    /// Sends `frame` and waits up to `timeout` for WeCom's answer to it.
    pub async fn request(&self, frame: Frame, timeout: Duration) -> Result<Frame, NotAnswered> {
        let (answer, answered) = oneshot::channel();
        self.sender.try_send(Outgoing { frame, answer: Some(answer) }).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => NotAnswered::Full,
            mpsc::error::TrySendError::Closed(_) => NotAnswered::Closed,
        })?;
        match tokio::time::timeout(timeout, answered).await {
            Ok(Ok(frame)) => Ok(frame),
            Ok(Err(_)) => Err(NotAnswered::Closed),
            Err(_) => Err(NotAnswered::Timeout(timeout)),
        }
    }
}
