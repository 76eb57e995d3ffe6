//! Passive (synchronous) replies: the plaintexts WeCom accepts in answer to a
//! callback (doc 90241 for apps, 101031 for smart robots) and the encrypted
//! envelope they travel in.

use serde::Serialize;

/// An encrypted reply, ready to be written as the HTTP body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyEnvelope {
    /// Base64 ciphertext.
    pub encrypt: String,
    /// Signature over token, timestamp, nonce and `encrypt`.
    pub msg_signature: String,
    /// The timestamp signed (seconds, as text).
    pub timestamp: String,
    /// The nonce signed.
    pub nonce: String,
}

impl ReplyEnvelope {
    /// The XML body for app and legacy group-robot replies.
    pub fn to_xml(&self) -> String {
        format!(
            "<xml><Encrypt>{}</Encrypt><MsgSignature>{}</MsgSignature><TimeStamp>{}</TimeStamp><Nonce>{}</Nonce></xml>",
            cdata(&self.encrypt),
            cdata(&self.msg_signature),
            self.timestamp,
            cdata(&self.nonce)
        )
    }

    /// The JSON body for smart-robot replies; `timestamp` is a number.
    pub fn to_json(&self) -> String {
        let timestamp = self
            .timestamp
            .parse::<i64>()
            .map(serde_json::Value::from)
            .unwrap_or_else(|_| serde_json::Value::from(self.timestamp.clone()));
        format!(
            "{{\"encrypt\": {}, \"msgsignature\": {}, \"timestamp\": {}, \"nonce\": {}}}",
            serde_json::Value::from(self.encrypt.as_str()),
            serde_json::Value::from(self.msg_signature.as_str()),
            timestamp,
            serde_json::Value::from(self.nonce.as_str()),
        )
    }
}

/// A passive reply to an app callback.
#[derive(Debug, Clone, PartialEq)]
pub enum AppReply {
    /// Text (≤ 2048 bytes; WeCom truncates longer).
    Text {
        /// The text.
        content: String,
    },
    /// A picture by media id.
    Image {
        /// Media id.
        media_id: String,
    },
    /// A voice clip by media id.
    Voice {
        /// Media id.
        media_id: String,
    },
    /// A video by media id.
    Video {
        /// Media id.
        media_id: String,
        /// Title.
        title: String,
        /// Description.
        description: String,
    },
    /// 1–8 articles.
    News {
        /// The articles.
        articles: Vec<NewsArticle>,
    },
    /// Answer to `template_card_event`: renames the clicker's button.
    UpdateButton {
        /// New button text.
        replace_name: String,
    },
    /// Answer to `template_card_event`: replaces the clicker's card. The
    /// card is given as WeCom's JSON (snake_case keys) and written as XML
    /// with the keys in PascalCase, arrays as repeated elements.
    UpdateTemplateCard {
        /// The new card.
        template_card: serde_json::Value,
    },
}

/// One news article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsArticle {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Picture URL.
    pub pic_url: String,
    /// Link.
    pub url: String,
}

impl AppReply {
    /// The reply's plaintext XML, addressed from the corp to the member.
    pub fn to_xml(&self, to_user: &str, corp_id: &str, create_time: i64) -> String {
        let mut xml = format!(
            "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName><CreateTime>{create_time}</CreateTime><MsgType>{}</MsgType>",
            cdata(to_user),
            cdata(corp_id),
            cdata(self.msg_type()),
        );
        match self {
            AppReply::Text { content } => element(&mut xml, "Content", content),
            AppReply::Image { media_id } => wrap(&mut xml, "Image", |x| element(x, "MediaId", media_id)),
            AppReply::Voice { media_id } => wrap(&mut xml, "Voice", |x| element(x, "MediaId", media_id)),
            AppReply::Video { media_id, title, description } => wrap(&mut xml, "Video", |x| {
                element(x, "MediaId", media_id);
                element(x, "Title", title);
                element(x, "Description", description);
            }),
            AppReply::News { articles } => {
                xml.push_str(&format!("<ArticleCount>{}</ArticleCount>", articles.len()));
                wrap(&mut xml, "Articles", |x| {
                    for article in articles {
                        wrap(x, "item", |x| {
                            element(x, "Title", &article.title);
                            element(x, "Description", &article.description);
                            element(x, "PicUrl", &article.pic_url);
                            element(x, "Url", &article.url);
                        });
                    }
                });
            }
            AppReply::UpdateButton { replace_name } => {
                wrap(&mut xml, "Button", |x| element(x, "ReplaceName", replace_name))
            }
            AppReply::UpdateTemplateCard { template_card } => {
                json_as_xml(&mut xml, "TemplateCard", template_card)
            }
        }
        xml.push_str("</xml>");
        xml
    }

    fn msg_type(&self) -> &'static str {
        match self {
            AppReply::Text { .. } => "text",
            AppReply::Image { .. } => "image",
            AppReply::Voice { .. } => "voice",
            AppReply::Video { .. } => "video",
            AppReply::News { .. } => "news",
            AppReply::UpdateButton { .. } => "update_button",
            AppReply::UpdateTemplateCard { .. } => "update_template_card",
        }
    }
}

/// A passive reply to a smart-robot callback (doc 101031); serialises to the
/// plaintext JSON WeCom expects.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RobotReply {
    /// Welcome text (answer to `enter_chat` only).
    Text {
        /// Always `text`.
        msgtype: &'static str,
        /// The text.
        text: RobotText,
    },
    /// Stream content (answer to a message or a stream refresh).
    Stream {
        /// Always `stream`.
        msgtype: &'static str,
        /// The stream state.
        stream: RobotStream,
    },
    /// Stream content with a template card below it (answer to a message
    /// or a stream refresh).
    StreamWithTemplateCard {
        /// Always `stream_with_template_card`.
        msgtype: &'static str,
        /// The stream state.
        stream: RobotStream,
        /// The card, in WeCom's JSON.
        template_card: serde_json::Value,
    },
    /// A template card (welcome or message answer).
    TemplateCard {
        /// Always `template_card`.
        msgtype: &'static str,
        /// The card, in WeCom's JSON.
        template_card: serde_json::Value,
    },
    /// Answer to `template_card_event`: replace the card for some users.
    UpdateTemplateCard {
        /// Always `update_template_card`.
        response_type: &'static str,
        /// Whose card to replace.
        userids: Vec<String>,
        /// The new card.
        template_card: serde_json::Value,
    },
}

/// `{"content": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RobotText {
    /// The text.
    pub content: String,
}

/// A stream reply: the whole text so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RobotStream {
    /// Our stream id.
    pub id: String,
    /// Whether this is the last update.
    pub finish: bool,
    /// The full text so far (≤ 20480 bytes).
    pub content: String,
    /// Images (`{msgtype: image, image: {base64, md5}}`), only with `finish`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub msg_item: Vec<serde_json::Value>,
    /// The id a user's `feedback_event` on this answer will carry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback: Option<FeedbackRef>,
}

/// `{"id": …}`: the feedback id of a reply (≤ 256 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedbackRef {
    /// The id.
    pub id: String,
}

impl RobotReply {
    /// A welcome text.
    pub fn text(content: impl Into<String>) -> Self {
        RobotReply::Text { msgtype: "text", text: RobotText { content: content.into() } }
    }

    /// A stream update.
    pub fn stream(id: impl Into<String>, finish: bool, content: impl Into<String>) -> Self {
        RobotReply::Stream {
            msgtype: "stream",
            stream: RobotStream {
                id: id.into(),
                finish,
                content: content.into(),
                msg_item: Vec::new(),
                feedback: None,
            },
        }
    }

    /// The plaintext JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("reply types always serialise")
    }
}

/// Wraps text in CDATA, splitting any `]]>` across two sections.
pub fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

fn element(xml: &mut String, name: &str, text: &str) {
    xml.push_str(&format!("<{name}>{}</{name}>", cdata(text)));
}

fn wrap(xml: &mut String, name: &str, inner: impl FnOnce(&mut String)) {
    xml.push_str(&format!("<{name}>"));
    inner(xml);
    xml.push_str(&format!("</{name}>"));
}

fn json_as_xml(xml: &mut String, name: &str, value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => wrap(xml, name, |x| {
            for (key, child) in map {
                json_as_xml(x, &pascal_case(key), child);
            }
        }),
        serde_json::Value::Array(items) => {
            for item in items {
                json_as_xml(xml, name, item);
            }
        }
        serde_json::Value::String(text) => element(xml, name, text),
        serde_json::Value::Null => {}
        other => xml.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdata_splits_the_terminator() {
        assert_eq!(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
    }

    #[test]
    fn an_update_template_card_reply_renders_pascal_case_xml() {
        let reply = AppReply::UpdateTemplateCard {
            template_card: serde_json::json!({"card_type": "button_interaction", "replace_text": "done", "button_list": [{"text": "a"}, {"text": "b"}]}),
        };
        let xml = reply.to_xml("u", "ww", 1);
        assert!(xml.contains("<TemplateCard><CardType><![CDATA[button_interaction]]></CardType>"));
        assert!(xml.contains("<ButtonList><Text><![CDATA[a]]></Text></ButtonList><ButtonList><Text><![CDATA[b]]></Text></ButtonList>"));
    }
}
