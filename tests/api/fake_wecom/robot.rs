//! The smart-robot side of the fake WeCom, URL mode: it plays the user's
//! message as WeCom's encrypted JSON callback, reads the encrypted answer
//! as WeCom would (signature, then decryption), polls a stream the answer
//! opened the way WeCom does — a refresh callback about every second, until
//! the stream finishes or 6 minutes (of fake time) pass — and serves the
//! one-time `response_url`s it hands out with the callbacks (each works
//! once; a second post is refused with an errcode).

use std::{collections::HashSet, time::Duration};

use pmc_webhook::{
    robot::ManualClock,
    wecom::{CallbackCrypto, CallbackQuery, EnvelopeFormat},
};
use poem::{
    handler,
    web::{Data, Json, Query},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{FakeWeCom, State, answer, enter};

type Shared = std::sync::Arc<std::sync::Mutex<State>>;

/// How long WeCom polls a stream after the user's message.
pub const POLL_FOR: Duration = Duration::from_secs(6 * 60);
/// What the fake answers a `response_url` used twice.
pub const USED_ERRCODE: i64 = 600039;

#[derive(Default)]
pub(super) struct RobotState {
    issued: u64,
    /// Issued and not used yet.
    unused: HashSet<String>,
}

impl FakeWeCom {
    /// A fresh one-time `response_url` of this fake.
    pub fn issue_response_url(&self) -> String {
        let mut state = self.state.lock().unwrap();
        state.robot.issued += 1;
        let code = format!("rc-{}-{}", state.robot.issued, hex::encode(rand::random::<[u8; 4]>()));
        state.robot.unused.insert(code.clone());
        format!("{}/cgi-bin/aibot/response?response_code={code}", self.url)
    }
}

/// A user talking to one robot route of the service, as WeCom delivers it.
pub struct RobotUser {
    pub crypto: CallbackCrypto,
    /// `/api/v1/webhooks/wechat/bot` or `…/{account}`.
    pub route: String,
    pub user_id: String,
}

impl RobotUser {
    /// POSTs `plaintext` (a decrypted robot callback) encrypted to
    /// `service_url`; returns the decrypted answer (`Null` when empty).
    pub async fn deliver(&self, service_url: &str, plaintext: &Value) -> Value {
        let nonce = format!("n{}", rand::random::<u32>());
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let (query, body) = self
            .crypto
            .seal_callback(&plaintext.to_string(), EnvelopeFormat::Json, &timestamp, &nonce, &rand::random())
            .unwrap();
        let response = reqwest::Client::new()
            .post(format!("{service_url}{}?{query}", self.route))
            .body(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "callback {plaintext}");
        let text = response.text().await.unwrap();
        if text.is_empty() {
            return Value::Null;
        }
        self.open_answer(&text, &nonce)
    }

    /// Verifies and decrypts an answer as WeCom does.
    fn open_answer(&self, text: &str, nonce: &str) -> Value {
        let envelope: Value = serde_json::from_str(text).unwrap();
        assert_eq!(envelope["nonce"], nonce, "the answer reuses the callback's nonce");
        let signed = CallbackQuery {
            msg_signature: envelope["msgsignature"].as_str().unwrap().to_owned(),
            timestamp: envelope["timestamp"].to_string(),
            nonce: nonce.to_owned(),
            echostr: None,
        };
        let opened = self.crypto.open(&signed, text.as_bytes()).expect("a signed, decryptable answer");
        serde_json::from_str(&opened.plaintext).unwrap()
    }

    /// A text message; `response_url` as WeCom includes it.
    pub fn text(&self, msgid: &str, content: &str, response_url: &str) -> Value {
        json!({"msgid": msgid, "aibotid": "aib-fake", "chattype": "single", "from": {"userid": self.user_id},
               "response_url": response_url, "msgtype": "text", "text": {"content": content}})
    }

    /// WeCom's refresh poll of a stream.
    pub fn refresh(&self, stream_id: &str) -> Value {
        json!({"msgid": format!("poll-{}", rand::random::<u64>()), "aibotid": "aib-fake", "chattype": "single",
               "from": {"userid": self.user_id}, "msgtype": "stream", "stream": {"id": stream_id}})
    }

    /// A user's rating of an answer that carried `feedback_id`.
    pub fn feedback(&self, msgid: &str, feedback_id: &str, kind: i64) -> Value {
        json!({"msgid": msgid, "create_time": chrono::Utc::now().timestamp(), "aibotid": "aib-fake",
               "chattype": "single", "from": {"userid": self.user_id}, "msgtype": "event",
               "event": {"eventtype": "feedback_event",
                         "feedback_event": {"id": feedback_id, "type": kind, "content": "", "inaccurate_reason_list": []}}})
    }
}

/// Polls like WeCom: one refresh callback per `every` of fake time, sent
/// to `services` in turn, until the answer is finished or [`POLL_FOR`] of
/// fake time has passed. With `clock`, fake time is the service's clock,
/// moved by `every` per poll, and real time only `real_pause` per poll.
pub struct Poller<'a> {
    pub user: &'a RobotUser,
    pub services: Vec<String>,
    pub every: Duration,
    pub clock: Option<ManualClock>,
    pub real_pause: Duration,
}

impl Poller<'_> {
    /// Every answer, in order; stops after the first finished one.
    /// `between(n)` runs before poll `n` (a business system writing).
    pub async fn run<F, Fut>(&self, stream_id: &str, mut between: F) -> Vec<Value>
    where
        F: FnMut(usize) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let mut answers = Vec::new();
        let mut elapsed = Duration::ZERO;
        let mut n = 0;
        while elapsed <= POLL_FOR {
            between(n).await;
            let service = &self.services[n % self.services.len()];
            let answer = self.user.deliver(service, &self.user.refresh(stream_id)).await;
            let finished = answer["stream"]["finish"] == true;
            answers.push(answer);
            if finished {
                break;
            }
            match &self.clock {
                Some(clock) => {
                    clock.advance(self.every);
                    tokio::time::sleep(self.real_pause).await;
                }
                None => tokio::time::sleep(self.every).await,
            }
            elapsed += self.every;
            n += 1;
        }
        answers
    }
}

#[derive(Deserialize)]
pub(super) struct ResponseCode {
    response_code: String,
}

/// `POST {response_url}`: accepted once per URL.
#[handler]
pub(super) async fn response_url_post(
    state: Data<&Shared>,
    Query(query): Query<ResponseCode>,
    Json(body): Json<Value>,
) -> poem::Response {
    let api = "aibot/response";
    if let Some(faulted) = enter(state.0, api, body).await {
        return faulted;
    }
    let fresh = state.0.lock().unwrap().robot.unused.remove(&query.response_code);
    if !fresh {
        return answer(
            state.0,
            api,
            json!({"errcode": USED_ERRCODE, "errmsg": "response_url used or invalid"}),
        );
    }
    answer(state.0, api, json!({"errcode": 0, "errmsg": "ok"}))
}
