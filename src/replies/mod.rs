//! Passive replies by rule or handler: what an app or robot callback is
//! answered with, decided in-process within WeCom's 5 s window.
//!
//! The order for each callback is: the builder's [`ReplyHandler`] (run on a
//! blocking thread under a deadline, default 200 ms), then the account's
//! `replies:` rules (first match wins), then the account's older single
//! options (`auto_reply_text`, `welcome_text`, and a robot's `reply:
//! stream`). A handler that overruns its deadline or panics counts in
//! `pmc_reply_handler_fallbacks_total` and the rules decide. Nothing here
//! waits on a remote server.

mod render;
mod request;
mod rules;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use serde::Deserialize;

pub use self::{
    render::{RenderError, render},
    request::ReplyRequest,
    rules::{ReplyMatch, ReplyRule, ReplyRuleSettings, ReplyRules},
};
use crate::wecom::reply::NewsArticle;

/// The default time a [`ReplyHandler`] has to decide.
pub const DEFAULT_HANDLER_DEADLINE: Duration = Duration::from_millis(200);

/// What a callback is answered with. Which kinds fit which callback:
/// `text` (app messages and events, robot messages and `enter_chat`),
/// `markdown` (robot messages, as a finished stream), `news` (app),
/// `template_card` (robot messages and `enter_chat`), `update_card` (card
/// events, app and robot), `update_button` (app card events).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Reply {
    /// Plain text.
    Text(String),
    /// Markdown (robots: the content of a finished stream).
    Markdown(String),
    /// 1–8 articles (apps).
    News(Vec<NewsItem>),
    /// A template card, in WeCom's JSON.
    TemplateCard(serde_json::Value),
    /// Replaces the clicked card (answer to a card event), in WeCom's JSON;
    /// the callback's `task_id` is filled in when the card has none.
    UpdateCard(serde_json::Value),
    /// Renames the clicked button (app card events).
    UpdateButton(String),
}

impl Reply {
    /// The kind's name, as written in `replies:`.
    pub fn kind(&self) -> &'static str {
        match self {
            Reply::Text(_) => "text",
            Reply::Markdown(_) => "markdown",
            Reply::News(_) => "news",
            Reply::TemplateCard(_) => "template_card",
            Reply::UpdateCard(_) => "update_card",
            Reply::UpdateButton(_) => "update_button",
        }
    }
}

/// One news article of a [`Reply::News`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewsItem {
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Link.
    pub url: String,
    /// Picture URL.
    #[serde(default)]
    pub picurl: String,
}

impl From<&NewsItem> for NewsArticle {
    fn from(item: &NewsItem) -> Self {
        NewsArticle {
            title: item.title.clone(),
            description: item.description.clone(),
            pic_url: item.picurl.clone(),
            url: item.url.clone(),
        }
    }
}

/// A handler's decision.
#[derive(Debug, Clone, PartialEq)]
pub enum HandlerDecision {
    /// Answer with this.
    Reply(Reply),
    /// Answer with an empty body, whatever the rules say.
    Empty,
    /// Let the account's rules decide.
    UseRules,
}

/// Shapes passive replies in Rust. Called for every app and robot callback
/// that may be answered (not for stream refresh polls); it must decide
/// synchronously, without waiting on a remote server: past the deadline
/// its answer is dropped and the rules decide.
pub trait ReplyHandler: Send + Sync + 'static {
    /// The decision for `request`.
    fn reply(&self, request: &ReplyRequest) -> HandlerDecision;
}

impl<F> ReplyHandler for F
where
    F: Fn(&ReplyRequest) -> HandlerDecision + Send + Sync + 'static,
{
    fn reply(&self, request: &ReplyRequest) -> HandlerDecision {
        self(request)
    }
}

/// Where a callback's reply came from, for `/metrics`.
#[derive(Debug, Default)]
pub struct ReplyCounters {
    /// Replies the handler decided (an empty answer included).
    pub by_handler: AtomicU64,
    /// Replies a rule decided.
    pub by_rule: AtomicU64,
    /// Handler calls that overran the deadline (the rules decided).
    pub handler_overruns: AtomicU64,
    /// Handler calls that panicked (the rules decided).
    pub handler_panics: AtomicU64,
    /// Decided replies that did not fit the callback (answered empty).
    pub unfit: AtomicU64,
}

impl ReplyCounters {
    /// Reads one.
    pub fn read(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// What was decided for one callback.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Answer with this.
    Reply(Reply),
    /// Answer empty (the handler said so).
    Empty,
    /// Neither handler nor rules decided: the account's own defaults apply.
    Undecided,
}

/// The builder's handler, its deadline, and the counters.
pub struct Replier {
    handler: Option<Arc<dyn ReplyHandler>>,
    deadline: Duration,
    counters: ReplyCounters,
}

impl std::fmt::Debug for Replier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replier")
            .field("handler", &self.handler.is_some())
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl Default for Replier {
    fn default() -> Self {
        Self::new(None, DEFAULT_HANDLER_DEADLINE)
    }
}

impl Replier {
    /// A replier calling `handler` (if any) with `deadline`.
    pub fn new(handler: Option<Arc<dyn ReplyHandler>>, deadline: Duration) -> Self {
        Self { handler, deadline, counters: ReplyCounters::default() }
    }

    /// The counters.
    pub fn counters(&self) -> &ReplyCounters {
        &self.counters
    }

    /// Counts a decided reply that did not fit its callback.
    pub fn count_unfit(&self) {
        ReplyCounters::bump(&self.counters.unfit);
    }

    /// The handler's decision under the deadline, else the first matching
    /// rule's reply.
    pub async fn decide(&self, rules: &ReplyRules, request: ReplyRequest) -> Decision {
        let request = Arc::new(request);
        if let Some(handler) = &self.handler {
            let (handler, asked) = (Arc::clone(handler), Arc::clone(&request));
            let call = tokio::task::spawn_blocking(move || handler.reply(&asked));
            match tokio::time::timeout(self.deadline, call).await {
                Ok(Ok(HandlerDecision::Reply(reply))) => {
                    ReplyCounters::bump(&self.counters.by_handler);
                    return Decision::Reply(reply);
                }
                Ok(Ok(HandlerDecision::Empty)) => {
                    ReplyCounters::bump(&self.counters.by_handler);
                    return Decision::Empty;
                }
                Ok(Ok(HandlerDecision::UseRules)) => {}
                Ok(Err(error)) => {
                    ReplyCounters::bump(&self.counters.handler_panics);
                    tracing::error!(account = %request.account, error = %error, "The reply handler failed; the rules decide.");
                }
                Err(_) => {
                    ReplyCounters::bump(&self.counters.handler_overruns);
                    tracing::warn!(account = %request.account, deadline_ms = self.deadline.as_millis() as u64, "The reply handler overran its deadline; the rules decide.");
                }
            }
        }
        match rules.first_match(&request) {
            Some(reply) => {
                ReplyCounters::bump(&self.counters.by_rule);
                Decision::Reply(reply.clone())
            }
            None => Decision::Undecided,
        }
    }
}
