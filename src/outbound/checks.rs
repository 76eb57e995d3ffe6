//! What a send must satisfy before it is queued: WeCom would refuse the
//! whole send otherwise, so the API says why at once.

use serde_json::{Map, Value};

use super::request::{APP_CARDS, BOT_CARDS, CHAT_MSGTYPES, SendChannel, SendInput};

/// A 微信客服 send: one customer of one customer-service account (or a
/// welcome code), and a message id WeCom takes as its `msgid` — so
/// `msg_send_fail` can name the message.
pub(super) fn check_kf(input: &SendInput) -> Result<(), String> {
    let id_ok = (1..=32).contains(&input.message_id.len())
        && input.message_id.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
    if !id_ok {
        return Err("wecom_kf: the message id is WeCom's kf msgid, 1 to 32 of [A-Za-z0-9_-] (leave id out to get one)".to_owned());
    }
    if input.recipients.len() != 1
        || input.chatid.is_some()
        || !input.parties.is_empty()
        || !input.tags.is_empty()
    {
        return Err("wecom_kf sends to one customer: recipients with their external_userid".to_owned());
    }
    if input.open_kfid.as_deref().is_none_or(str::is_empty) && input.welcome_code.is_none() {
        return Err("wecom_kf needs open_kfid (the customer-service account), or a welcome_code".to_owned());
    }
    if input.welcome_code.as_deref().is_some_and(|code| code.is_empty() || code.len() > 128) {
        return Err("welcome_code: 1 to 128 characters, from the enter_session event".to_owned());
    }
    if input.safe || input.enable_duplicate_check || input.duplicate_check_interval.is_some() {
        return Err("kf/send_msg has no safe mode or duplicate check".to_owned());
    }
    Ok(())
}

/// A send to an app group chat: the chat alone, a type `appchat/send` takes.
pub(super) fn check_chat(
    channel: SendChannel,
    msgtype: &str,
    chatid: &str,
    addressed: bool,
    duplicate_check: bool,
) -> Result<(), String> {
    if channel != SendChannel::WecomApp {
        return Err("chatid is for wecom_app (an app group chat); a robot sends to its own group".to_owned());
    }
    if !(1..=32).contains(&chatid.len()) || !chatid.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
        return Err("chatid: 1 to 32 of [0-9A-Za-z]".to_owned());
    }
    if addressed {
        return Err("chatid sends to the group chat: recipients, parties and tags do not apply".to_owned());
    }
    if !CHAT_MSGTYPES.contains(&msgtype) {
        return Err(format!(
            "msgtype {msgtype} cannot be sent to a group chat: one of {}",
            CHAT_MSGTYPES.join(", ")
        ));
    }
    if duplicate_check {
        return Err("appchat/send has no duplicate check".to_owned());
    }
    Ok(())
}

pub(super) fn check_ids(field: &str, ids: &[String], max: usize) -> Result<(), String> {
    if ids.len() > max {
        return Err(format!("{field}: at most {max}"));
    }
    if ids.iter().any(|id| id.is_empty() || id.len() > 128 || id.contains('|')) {
        return Err(format!("{field}: ids of 1 to 128 characters, without '|'"));
    }
    Ok(())
}

/// The checks WeCom would fail the whole send for, made before queueing.
pub(super) fn check_content(
    channel: SendChannel,
    msgtype: &str,
    content: &Map<String, Value>,
) -> Result<(), String> {
    let text = |key: &str| content.get(key).and_then(Value::as_str);
    let need = |key: &str| -> Result<&str, String> {
        text(key).filter(|value| !value.is_empty()).ok_or_else(|| format!("{msgtype}.{key} is required"))
    };
    match msgtype {
        "text" | "markdown" | "markdown_v2" => {
            let limit = if msgtype == "text" { 2048 } else { 4096 };
            if need("content")?.len() > limit {
                return Err(format!("{msgtype}.content: at most {limit} bytes (UTF-8)"));
            }
        }
        "textcard" => {
            need("title")?;
            need("description")?;
            need("url")?;
        }
        "news" => {
            let articles = content.get("articles").and_then(Value::as_array).map_or(0, Vec::len);
            if !(1..=8).contains(&articles) {
                return Err("news.articles: 1 to 8 articles".to_owned());
            }
        }
        "template_card" => {
            let card_type = need("card_type")?;
            let allowed: &[&str] = if channel == SendChannel::WecomBot { &BOT_CARDS } else { &APP_CARDS };
            if !allowed.contains(&card_type) {
                return Err(format!("template_card.card_type must be one of {}", allowed.join(", ")));
            }
            let interactive = !matches!(card_type, "text_notice" | "news_notice");
            match text("task_id") {
                Some(task_id) if valid_task_id(task_id) => {}
                Some(_) => return Err("template_card.task_id: 1 to 128 of [0-9A-Za-z_-@]".to_owned()),
                None if interactive => {
                    return Err(format!("template_card.task_id is required for {card_type} cards"));
                }
                None => {}
            }
        }
        _ => super::media::check(channel, msgtype, content)?,
    }
    Ok(())
}

fn valid_task_id(task_id: &str) -> bool {
    (1..=128).contains(&task_id.len())
        && task_id.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'@'))
}
