//! One stream: a robot's answer to one user message, filled by a business
//! system while WeCom polls it. Pure state and transitions; where it is
//! kept and when it is read is [`super::Conversations`]' business.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::wecom::reply::{FeedbackRef, RobotReply, RobotStream};

/// WeCom's limit on a stream's content (bytes, UTF-8).
pub const MAX_CONTENT_BYTES: usize = 20480;
/// WeCom's limit on a finished stream's images.
pub const MAX_IMAGES: usize = 10;

/// A stream as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamState {
    /// Our id (WeCom's refresh callbacks name it).
    pub id: String,
    /// The robot account.
    pub account: String,
    /// The user's message it answers (its `msgid`).
    pub message_id: String,
    /// `single` or `group`.
    pub chat_type: String,
    /// The group, for group chats.
    pub chat_id: Option<String>,
    /// Who asked.
    pub user_id: String,
    /// The full text so far.
    pub content: String,
    /// No more updates.
    pub finish: bool,
    /// Finished by the deadline, not by the business system.
    pub forced: bool,
    /// Images shown with the finished answer.
    pub msg_item: Vec<Value>,
    /// A card shown below the text (`stream_with_template_card`).
    pub template_card: Option<Value>,
    /// The feedback id every answer carries.
    pub feedback_id: String,
    /// When the user's message came (Unix ms).
    pub opened_at_ms: i64,
    /// The last write or keepalive (Unix ms).
    pub updated_at_ms: i64,
    /// Force-finished when still open at this time (Unix ms).
    pub deadline_ms: i64,
    /// Keepalive updates made.
    pub keepalives: u32,
    /// Changes so far (writes, keepalives, the force-finish).
    pub revision: u64,
}

/// A business system's write: the whole content so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamWrite {
    /// The full text so far (replaces the previous).
    pub content: String,
    /// The last write.
    pub finish: bool,
    /// Images (`{msgtype: image, image: {base64, md5}}`), with `finish` only.
    pub msg_item: Vec<Value>,
    /// A card below the text.
    pub template_card: Option<Value>,
}

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteRefused {
    /// The business system finished it already.
    #[error("stream {0} is finished")]
    Finished(String),
    /// The deadline finished it; the content must go out another way.
    #[error("stream {0} was force-finished at its deadline")]
    ForceFinished(String),
    /// The write breaks one of WeCom's rules.
    #[error("{0}")]
    Invalid(String),
}

/// The ids of the stream that answers `message_id` in `account`: the same
/// for a retry of the callback on any replica, so a retry finds its stream.
pub fn stream_id(account: &str, message_id: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{account}\n{message_id}").as_bytes());
    format!("st_{}", hex::encode(&digest[..16]))
}

/// The feedback id of a reply whose tracked id (a stream id or a reply's
/// message id) is `reply_id`; [`reply_of_feedback`] reads it back.
pub fn feedback_id(reply_id: &str) -> String {
    format!("fb.{reply_id}")
}

/// The reply a feedback id belongs to, if it is one of ours.
pub fn reply_of_feedback(feedback_id: &str) -> Option<&str> {
    feedback_id.strip_prefix("fb.").filter(|id| pmc_actors::MessageId::parse(id).is_ok())
}

impl StreamState {
    /// The state of a new stream.
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        account: &str,
        message_id: &str,
        chat_type: &str,
        chat_id: Option<String>,
        user_id: &str,
        thinking: Option<&str>,
        now_ms: i64,
        deadline_ms: i64,
    ) -> Self {
        let id = stream_id(account, message_id);
        Self {
            feedback_id: feedback_id(&id),
            id,
            account: account.to_owned(),
            message_id: message_id.to_owned(),
            chat_type: chat_type.to_owned(),
            chat_id,
            user_id: user_id.to_owned(),
            content: thinking.unwrap_or_default().to_owned(),
            finish: false,
            forced: false,
            msg_item: Vec::new(),
            template_card: None,
            opened_at_ms: now_ms,
            updated_at_ms: now_ms,
            deadline_ms,
            keepalives: 0,
            revision: 0,
        }
    }

    /// What time does to an open stream: past its deadline it is finished
    /// with `fallback` after its content; not written for `keepalive_ms`
    /// it gets a keepalive. Whether it changed.
    pub fn tick(&mut self, now_ms: i64, keepalive_ms: i64, fallback: &str) -> bool {
        if self.finish {
            return false;
        }
        if now_ms >= self.deadline_ms {
            self.content = if self.content.is_empty() || self.revision == self.keepalives as u64 {
                // Nothing written yet (only the thinking text): the fallback alone.
                fallback.to_owned()
            } else {
                // Within WeCom's limit: the end of the content gives way to the fallback.
                let room = MAX_CONTENT_BYTES.saturating_sub(fallback.len() + 2);
                let mut cut = self.content.len().min(room);
                while !self.content.is_char_boundary(cut) {
                    cut -= 1;
                }
                format!("{}\n\n{fallback}", &self.content[..cut])
            };
            self.finish = true;
            self.forced = true;
            self.revision += 1;
            return true;
        }
        if now_ms - self.updated_at_ms >= keepalive_ms {
            self.keepalives += 1;
            self.updated_at_ms = now_ms;
            self.revision += 1;
            return true;
        }
        false
    }

    /// Applies a business system's write.
    pub fn write(&mut self, write: StreamWrite, now_ms: i64) -> Result<(), WriteRefused> {
        if self.forced {
            return Err(WriteRefused::ForceFinished(self.id.clone()));
        }
        if self.finish {
            return Err(WriteRefused::Finished(self.id.clone()));
        }
        check(&write)?;
        self.content = write.content;
        self.finish = write.finish;
        self.msg_item = write.msg_item;
        if write.template_card.is_some() {
            self.template_card = write.template_card;
        }
        self.updated_at_ms = now_ms;
        self.revision += 1;
        Ok(())
    }

    /// The passive reply that shows this state.
    pub fn reply(&self) -> RobotReply {
        let stream = RobotStream {
            id: self.id.clone(),
            finish: self.finish,
            content: self.content.clone(),
            msg_item: self.msg_item.clone(),
            feedback: Some(FeedbackRef { id: self.feedback_id.clone() }),
        };
        match &self.template_card {
            Some(card) => RobotReply::StreamWithTemplateCard {
                msgtype: "stream_with_template_card",
                stream,
                template_card: card.clone(),
            },
            None => RobotReply::Stream { msgtype: "stream", stream },
        }
    }
}

fn check(write: &StreamWrite) -> Result<(), WriteRefused> {
    let invalid = |reason: &str| Err(WriteRefused::Invalid(reason.to_owned()));
    if write.content.len() > MAX_CONTENT_BYTES {
        return invalid("content: at most 20480 bytes (UTF-8)");
    }
    if !write.msg_item.is_empty() && !write.finish {
        return invalid("msg_item: images go with the last write only (finish: true)");
    }
    if write.msg_item.len() > MAX_IMAGES {
        return invalid("msg_item: at most 10 images");
    }
    let image_ok = |item: &Value| {
        item["msgtype"] == "image"
            && item["image"]["base64"].as_str().is_some_and(|text| !text.is_empty())
            && item["image"]["md5"].as_str().is_some_and(|text| text.len() == 32)
    };
    if !write.msg_item.iter().all(image_ok) {
        return invalid("msg_item: each item is {msgtype: image, image: {base64, md5}}");
    }
    if let Some(card) = &write.template_card
        && card["card_type"].as_str().is_none_or(str::is_empty)
    {
        return invalid("template_card.card_type is required");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const MIN: i64 = 60_000;

    fn open() -> StreamState {
        StreamState::open("default", "m1", "single", None, "zhangsan", Some("思考中"), 0, 6 * MIN)
    }

    #[test]
    fn writes_replace_the_content_and_a_finished_stream_takes_no_more() {
        let mut stream = open();
        stream.write(StreamWrite { content: "a".into(), ..StreamWrite::default() }, 1).unwrap();
        stream
            .write(StreamWrite { content: "ab".into(), finish: true, ..StreamWrite::default() }, 2)
            .unwrap();
        assert_eq!(stream.content, "ab");
        let again = stream.write(StreamWrite { content: "abc".into(), ..StreamWrite::default() }, 3);
        assert_eq!(again, Err(WriteRefused::Finished(stream.id.clone())));
        let reply = serde_json::to_value(stream.reply()).unwrap();
        assert_eq!(reply["stream"]["finish"], true);
        assert_eq!(reply["stream"]["feedback"]["id"], format!("fb.{}", stream.id));
    }

    #[test]
    fn keepalive_then_force_finish_with_the_fallback_after_the_content() {
        let mut stream = open();
        assert!(!stream.tick(3 * MIN, 4 * MIN, "timeout"));
        stream.write(StreamWrite { content: "half".into(), ..StreamWrite::default() }, MIN).unwrap();
        assert!(stream.tick(5 * MIN, 4 * MIN, "timeout"), "4 min without a write");
        assert_eq!(stream.keepalives, 1);
        assert!(!stream.finish);
        assert!(stream.tick(6 * MIN, 4 * MIN, "timeout"));
        assert!(stream.finish && stream.forced);
        assert_eq!(stream.content, "half\n\ntimeout");
        let late = stream.write(StreamWrite { content: "all".into(), ..StreamWrite::default() }, 7 * MIN);
        assert_eq!(late, Err(WriteRefused::ForceFinished(stream.id.clone())));
    }

    #[test]
    fn a_full_stream_force_finished_stays_within_wecoms_limit() {
        let mut stream = open();
        let full = "查".repeat(MAX_CONTENT_BYTES / 3);
        stream.write(StreamWrite { content: full, ..StreamWrite::default() }, 1).unwrap();
        assert!(stream.tick(6 * MIN, 4 * MIN, "超时"));
        assert!(stream.content.len() <= MAX_CONTENT_BYTES, "{}", stream.content.len());
        assert!(stream.content.ends_with("查\n\n超时"));
    }

    #[test]
    fn a_stream_never_written_finishes_with_the_fallback_alone() {
        let mut stream = open();
        assert!(stream.tick(6 * MIN, 4 * MIN, "timeout"));
        assert_eq!(stream.content, "timeout");
    }

    #[test]
    fn images_only_with_finish_and_cards_become_stream_with_template_card() {
        let image = json!({"msgtype": "image", "image": {"base64": "aGk=", "md5": "49f68a5c8493ec2c0bf489821c21fc3b"}});
        let mut stream = open();
        let early =
            StreamWrite { content: "x".into(), msg_item: vec![image.clone()], ..StreamWrite::default() };
        assert!(matches!(stream.write(early, 1), Err(WriteRefused::Invalid(_))));
        let card = json!({"card_type": "text_notice", "main_title": {"title": "t"}});
        let last = StreamWrite {
            content: "x".into(),
            finish: true,
            msg_item: vec![image],
            template_card: Some(card.clone()),
        };
        stream.write(last, 2).unwrap();
        let reply = serde_json::to_value(stream.reply()).unwrap();
        assert_eq!(reply["msgtype"], "stream_with_template_card");
        assert_eq!(reply["template_card"], card);
        assert_eq!(reply["stream"]["msg_item"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn stream_ids_are_stable_per_account_and_message_and_feedback_ids_lead_back() {
        assert_eq!(stream_id("a", "m"), stream_id("a", "m"));
        assert_ne!(stream_id("a", "m"), stream_id("b", "m"));
        let id = stream_id("a", "m");
        assert_eq!(reply_of_feedback(&feedback_id(&id)), Some(id.as_str()));
        assert_eq!(reply_of_feedback("someone-elses"), None);
    }
}
