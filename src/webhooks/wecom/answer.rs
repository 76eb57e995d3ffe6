//! What a robot or app callback is answered with — one decision for every
//! way a callback arrives: a URL callback's passive reply
//! ([`super::WeComSource`]) and a long connection's `aibot_respond_*` frame
//! ([`crate::robot::longconn`]). Nothing here waits on a remote server
//! (a handler runs under its deadline; a stream is opened in the background).

use super::ReplyPolicy;
use crate::{
    accounts::Account,
    configuration::RobotReplyMode,
    replies::{Decision, Replier, ReplyRequest, render},
    robot::Conversations,
    wecom::payload::{Callback, ParsedCallback, ReplyRef, SmartRobotBody},
};

/// The reply's plaintext (app XML, robot JSON), if any: a stream refresh
/// poll gets its stream; otherwise the reply handler, then the account's
/// rules, then its defaults (a new stream, `auto_reply_text`,
/// `welcome_text`). Every robot callback's `response_url` is remembered
/// first; a callback a stream answers is marked with it.
pub async fn decide(
    conversations: Option<&Conversations>,
    replier: &Replier,
    account: &Account,
    corp_id: &str,
    parsed: &mut ParsedCallback,
) -> Option<String> {
    if let (Some(conversations), Callback::SmartRobot(robot)) = (conversations, &parsed.callback) {
        conversations.remember_response_url(account, robot);
        if matches!(robot.body, SmartRobotBody::Stream { .. }) {
            return robot_stream(conversations, account, parsed, false).await;
        }
    }
    let request = ReplyRequest::from_callback(account.id.as_str(), &parsed.callback)?;
    match replier.decide(&account.replies, request).await {
        Decision::Reply(reply) => match render(&reply, &parsed.callback, corp_id) {
            Ok(plaintext) => Some(plaintext),
            Err(error) => {
                replier.count_unfit();
                tracing::warn!(account = %account.id, error = %error, "A decided passive reply does not fit its callback; answering empty.");
                None
            }
        },
        Decision::Empty => None,
        Decision::Undecided => {
            let stream = match conversations {
                Some(conversations) => robot_stream(conversations, account, parsed, true).await,
                None => None,
            };
            let replies = ReplyPolicy {
                app_auto_reply_text: account.auto_reply_text.clone(),
                bot_welcome_text: account.welcome_text.clone(),
            };
            stream.or_else(|| replies.reply_for(&parsed.callback, corp_id))
        }
    }
}

/// A smart robot's stream answer (`reply: stream` accounts): the stream's
/// state for a refresh poll, or — when `open` — a new stream for a user's
/// message (the callback is marked with it).
async fn robot_stream(
    conversations: &Conversations,
    account: &Account,
    parsed: &mut ParsedCallback,
    open: bool,
) -> Option<String> {
    let Callback::SmartRobot(robot) = &mut parsed.callback else { return None };
    if account.reply != RobotReplyMode::Stream {
        return None;
    }
    if open && robot.body.is_user_message() {
        let stream = conversations.open_stream(account, robot);
        robot.reply =
            Some(ReplyRef { stream_id: stream.id.clone(), feedback_id: stream.feedback_id.clone() });
        return Some(stream.reply().to_json());
    }
    if let SmartRobotBody::Stream { stream } = &robot.body {
        return Some(conversations.poll(account, &stream.id).await.reply().to_json());
    }
    None
}
