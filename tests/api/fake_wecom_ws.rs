//! A fake of WeCom's long-connection endpoint: accepts subscriptions,
//! answers `ping`, `aibot_respond_*` and `aibot_send_msg` with
//! `{headers: {req_id}, errcode, errmsg}` (errcode 0 unless a test sets one
//! for a command), counts the live connections of every bot (and the most
//! ever live at once), records frames, and lets a test push frames to a
//! bot's current connection.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

#[derive(Default)]
struct State {
    live: HashMap<String, usize>,
    max_live: HashMap<String, usize>,
    subscriptions: HashMap<String, usize>,
    senders: HashMap<String, Vec<(u64, mpsc::UnboundedSender<String>)>>,
    received: Vec<Value>,
    next_id: u64,
    errcodes: HashMap<String, i64>,
}

pub struct FakeWeComWs {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl FakeWeComWs {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, Arc::clone(&shared)));
            }
        });
        Self { url, state }
    }

    /// Live connections of `bot` now.
    pub fn live(&self, bot: &str) -> usize {
        self.state.lock().unwrap().live.get(bot).copied().unwrap_or(0)
    }

    /// The most connections of `bot` ever live at once.
    pub fn max_live(&self, bot: &str) -> usize {
        self.state.lock().unwrap().max_live.get(bot).copied().unwrap_or(0)
    }

    /// Subscriptions of `bot` so far.
    pub fn subscriptions(&self, bot: &str) -> usize {
        self.state.lock().unwrap().subscriptions.get(bot).copied().unwrap_or(0)
    }

    /// Frames received (of every bot), in order.
    pub fn received(&self) -> Vec<Value> {
        self.state.lock().unwrap().received.clone()
    }

    /// Frames received with command `cmd`, in order.
    pub fn received_cmd(&self, cmd: &str) -> Vec<Value> {
        self.received().into_iter().filter(|frame| frame["cmd"] == cmd).collect()
    }

    /// Answers frames of command `cmd` with `errcode` from now on (0: ok).
    pub fn answer_with(&self, cmd: &str, errcode: i64) {
        self.state.lock().unwrap().errcodes.insert(cmd.to_owned(), errcode);
    }

    /// Pushes a frame to every live connection of `bot`; how many got it.
    pub fn push(&self, bot: &str, frame: &Value) -> usize {
        let state = self.state.lock().unwrap();
        let senders = state.senders.get(bot).map(Vec::as_slice).unwrap_or_default();
        senders.iter().filter(|(_, sender)| sender.send(frame.to_string()).is_ok()).count()
    }
}

async fn serve(stream: tokio::net::TcpStream, state: Arc<Mutex<State>>) {
    let Ok(socket) = tokio_tungstenite::accept_async(stream).await else { return };
    let (mut sink, mut source) = socket.split();
    let (sender, mut outgoing) = mpsc::unbounded_channel::<String>();
    let mut bot: Option<(String, u64)> = None;
    loop {
        tokio::select! {
            Some(text) = outgoing.recv() => {
                if sink.send(Message::text(text)).await.is_err() { break; }
            }
            message = source.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Binary(_) | Message::Frame(_))) => continue,
                    _ => break,
                };
                let frame: Value = serde_json::from_str(text.as_str()).unwrap();
                let req_id = frame["headers"]["req_id"].clone();
                state.lock().unwrap().received.push(frame.clone());
                if frame["cmd"] == "aibot_subscribe" && bot.is_none() {
                    let id = frame["body"]["bot_id"].as_str().unwrap_or_default().to_owned();
                    let mut guard = state.lock().unwrap();
                    guard.next_id += 1;
                    let connection = guard.next_id;
                    let live = {
                        let live = guard.live.entry(id.clone()).or_default();
                        *live += 1;
                        *live
                    };
                    let max = guard.max_live.entry(id.clone()).or_default();
                    *max = (*max).max(live);
                    *guard.subscriptions.entry(id.clone()).or_default() += 1;
                    guard.senders.entry(id.clone()).or_default().push((connection, sender.clone()));
                    bot = Some((id, connection));
                }
                let errcode = frame["cmd"]
                    .as_str()
                    .and_then(|cmd| state.lock().unwrap().errcodes.get(cmd).copied())
                    .unwrap_or(0);
                let errmsg = if errcode == 0 { "ok".to_owned() } else { format!("fake error {errcode}") };
                let answer = json!({"headers": {"req_id": req_id}, "errcode": errcode, "errmsg": errmsg});
                if sink.send(Message::text(answer.to_string())).await.is_err() { break; }
            }
        }
    }
    if let Some((id, connection)) = bot {
        let mut guard = state.lock().unwrap();
        *guard.live.get_mut(&id).unwrap() -= 1;
        if let Some(senders) = guard.senders.get_mut(&id) {
            senders.retain(|(other, _)| *other != connection);
        }
    }
}
