//! Media carried by a send: checked against WeCom's limits at the API, and,
//! when given as content (`filename` + `base64`) instead of a `media_id`,
//! uploaded by the worker before sending (`media/upload` for apps,
//! `webhook/upload_media` for robots), the returned `media_id` put in its
//! place.

use base64::Engine;
use serde_json::{Map, Value};

use super::request::{SendChannel, SendRequest};

/// The app's media types, sent as `{"media_id"}` (video also with `title`,
/// `description`), each uploadable as content.
pub const APP_MEDIA: [&str; 4] = ["image", "voice", "video", "file"];

/// WeCom's limits for one upload type: (most bytes, allowed extensions;
/// empty: any).
fn limits(kind: &str) -> (usize, &'static [&'static str]) {
    match kind {
        "image" => (10 << 20, &["jpg", "jpeg", "png"]),
        "voice" => (2 << 20, &["amr"]),
        "video" => (10 << 20, &["mp4"]),
        _ => (20 << 20, &[]),
    }
}

/// One piece of content to upload before sending.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// The upload `type`: `image`, `voice`, `video`, `file`.
    pub kind: &'static str,
    /// The file name sent with it.
    pub filename: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// `None`: the message's own media; `Some(i)`: the thumb of mpnews article `i`.
    pub article: Option<usize>,
}

/// Checks `{filename, base64}` against the limits of `kind`; the decoded bytes.
fn check_upload(
    field: &str,
    kind: &str,
    filename: Option<&str>,
    encoded: Option<&str>,
) -> Result<Vec<u8>, String> {
    let filename = filename
        .filter(|name| !name.is_empty())
        .ok_or_else(|| format!("{field}: a media_id, or filename and base64 to upload"))?;
    let encoded = encoded
        .filter(|text| !text.is_empty())
        .ok_or_else(|| format!("{field}: a media_id, or filename and base64 to upload"))?;
    let (max, extensions) = limits(kind);
    let extension = filename.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default();
    if !extensions.is_empty() && !extensions.contains(&extension.as_str()) {
        return Err(format!("{field}: a {kind} must be {} (filename {filename})", extensions.join(", ")));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| format!("{field}.base64 is not base64"))?;
    if bytes.len() < 5 || bytes.len() > max {
        return Err(format!(
            "{field}: a {kind} of 5 bytes to {} MB (this one: {} bytes)",
            max >> 20,
            bytes.len()
        ));
    }
    Ok(bytes)
}

fn text<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

/// Whether `key` is a non-empty string.
fn has(object: &Map<String, Value>, key: &str) -> bool {
    text(object, key).is_some_and(|value| !value.is_empty())
}

/// The media checks of one send's content (`Ok` for types without media).
pub fn check(channel: SendChannel, msgtype: &str, content: &Map<String, Value>) -> Result<(), String> {
    let need = |key: &str| -> Result<(), String> {
        text(content, key)
            .filter(|value| !value.is_empty())
            .map(|_| ())
            .ok_or_else(|| format!("{msgtype}.{key} is required"))
    };
    match (channel, msgtype) {
        // The robot's image is inline: base64 and its md5.
        (SendChannel::WecomBot, "image") => {
            need("base64")?;
            need("md5")?;
        }
        (_, "image" | "voice" | "video" | "file") if !has(content, "media_id") => {
            check_upload(msgtype, msgtype, text(content, "filename"), text(content, "base64"))?;
        }
        (_, "mpnews") => {
            let articles =
                content.get("articles").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            if !(1..=8).contains(&articles.len()) {
                return Err("mpnews.articles: 1 to 8 articles".to_owned());
            }
            for (index, article) in articles.iter().enumerate() {
                let field = format!("mpnews.articles[{index}]");
                let article = article.as_object().ok_or_else(|| format!("{field} must be an object"))?;
                for key in ["title", "content"] {
                    if text(article, key).is_none_or(str::is_empty) {
                        return Err(format!("{field}.{key} is required"));
                    }
                }
                if !has(article, "thumb_media_id") {
                    check_upload(
                        &format!("{field}.thumb"),
                        "image",
                        text(article, "thumb_filename"),
                        text(article, "thumb_base64"),
                    )
                    .map_err(|error| {
                        error
                            .replace("filename and base64", "thumb_filename and thumb_base64")
                            .replace("a media_id", "a thumb_media_id")
                    })?;
                }
            }
        }
        (_, "miniprogram_notice") => {
            need("appid")?;
            need("title")?;
            let items = content.get("content_item").and_then(Value::as_array).map_or(0, Vec::len);
            if items > 10 {
                return Err("miniprogram_notice.content_item: at most 10".to_owned());
            }
        }
        _ => {}
    }
    Ok(())
}

/// What to upload before sending `request` (content checked at the API, so
/// only a stored request altered since fails to decode, and is skipped).
pub fn uploads(request: &SendRequest) -> Vec<Upload> {
    let decode = |encoded: Option<&str>| {
        encoded.and_then(|encoded| base64::engine::general_purpose::STANDARD.decode(encoded).ok())
    };
    let content = &request.content;
    match request.msgtype.as_str() {
        "image" if request.channel == SendChannel::WecomBot => Vec::new(),
        kind @ ("image" | "voice" | "video" | "file") if !has(content, "media_id") => {
            let kind = APP_MEDIA.into_iter().find(|media| *media == kind).expect("one of them");
            match (text(content, "filename"), decode(text(content, "base64"))) {
                (Some(filename), Some(bytes)) => {
                    vec![Upload { kind, filename: filename.to_owned(), bytes, article: None }]
                }
                _ => Vec::new(),
            }
        }
        "mpnews" if request.channel == SendChannel::WecomApp => content
            .get("articles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(index, article)| {
                let article = article.as_object()?;
                if has(article, "thumb_media_id") {
                    return None;
                }
                Some(Upload {
                    kind: "image",
                    filename: text(article, "thumb_filename")?.to_owned(),
                    bytes: decode(text(article, "thumb_base64"))?,
                    article: Some(index),
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The content to send: each upload's fields replaced by the `media_id`
/// WeCom returned for it (`uploaded`: each of [`uploads`] with its id).
pub fn resolved(request: &SendRequest, uploaded: &[(Upload, String)]) -> Map<String, Value> {
    let mut content = request.content.clone();
    for (upload, media_id) in uploaded {
        match upload.article {
            None => {
                content.remove("filename");
                content.remove("base64");
                content.insert("media_id".into(), Value::String(media_id.clone()));
            }
            Some(index) => {
                if let Some(Value::Object(article)) =
                    content.get_mut("articles").and_then(|articles| articles.get_mut(index))
                {
                    article.remove("thumb_filename");
                    article.remove("thumb_base64");
                    article.insert("thumb_media_id".into(), Value::String(media_id.clone()));
                }
            }
        }
    }
    content
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn encoded(bytes: usize) -> String {
        base64::engine::general_purpose::STANDARD.encode(vec![7u8; bytes])
    }

    #[test]
    fn media_over_wecoms_limits_or_of_the_wrong_kind_are_refused() {
        let app = SendChannel::WecomApp;
        let cases = [
            ("image", json!({"filename": "a.gif", "base64": encoded(10)}), "must be jpg, jpeg, png"),
            ("voice", json!({"filename": "a.amr", "base64": encoded((2 << 20) + 1)}), "5 bytes to 2 MB"),
            ("video", json!({"filename": "a.mp4", "base64": encoded(3)}), "5 bytes to 10 MB"),
            ("file", json!({"filename": "a.bin"}), "a media_id, or filename and base64"),
            (
                "mpnews",
                json!({"articles": [{"title": "t", "content": "c"}]}),
                "thumb_media_id, or thumb_filename",
            ),
            ("miniprogram_notice", json!({"title": "t"}), "miniprogram_notice.appid is required"),
        ];
        for (msgtype, content, reason) in cases {
            let error = check(app, msgtype, &object(content)).unwrap_err();
            assert!(error.contains(reason), "{msgtype}: {error}");
        }
        assert!(check(app, "image", &object(json!({"media_id": "m"}))).is_ok());
        assert!(check(app, "image", &object(json!({"filename": "a.PNG", "base64": encoded(10)}))).is_ok());
    }

    #[test]
    fn uploads_are_replaced_by_their_media_ids() {
        let input = super::super::request::SendInput {
            message_id: "m1".into(),
            channel: "wecom_app".into(),
            msgtype: Some("mpnews".into()),
            contents: vec![(
                "mpnews",
                Some(json!({"articles": [
                    {"title": "a", "content": "x", "thumb_filename": "a.jpg", "thumb_base64": encoded(8)},
                    {"title": "b", "content": "y", "thumb_media_id": "kept"}]})),
            )],
            recipients: vec!["zhangsan".into()],
            ..Default::default()
        };
        let request = SendRequest::parse(input).unwrap();
        let uploads = uploads(&request);
        assert_eq!(
            uploads,
            [Upload { kind: "image", filename: "a.jpg".into(), bytes: vec![7; 8], article: Some(0) }]
        );
        let content = resolved(&request, &[(uploads[0].clone(), "thumb-1".into())]);
        assert_eq!(
            Value::Object(content),
            json!({"articles": [{"title": "a", "content": "x", "thumb_media_id": "thumb-1"},
                                {"title": "b", "content": "y", "thumb_media_id": "kept"}]})
        );
    }
}
