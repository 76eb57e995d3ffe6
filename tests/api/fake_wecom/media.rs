//! The app's media and group-chat side of the fake WeCom:
//! `media/upload` (multipart field `media`, type `image|voice|video|file`,
//! answering WeCom's `{errcode, errmsg, type, media_id, created_at}`) and
//! `appchat/send` (the types WeCom takes in an app group chat).

use poem::{
    handler,
    web::{Data, Json, Multipart, Query},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{FakeWeCom, State, TokenParam, answer, enter, note_via, token_error};

type Shared = std::sync::Arc<std::sync::Mutex<State>>;

/// The types `appchat/send` takes.
const CHAT_MSGTYPES: [&str; 9] =
    ["text", "image", "voice", "video", "file", "textcard", "news", "mpnews", "markdown"];

/// One file `media/upload` stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Uploaded {
    /// `image`, `voice`, `video`, `file`.
    pub kind: String,
    /// The multipart file name.
    pub filename: String,
    /// Its size.
    pub bytes: usize,
}

#[derive(Default)]
pub(super) struct MediaState {
    /// media_id → what was uploaded, in order.
    uploaded: Vec<(String, Uploaded)>,
}

impl FakeWeCom {
    /// The file `media/upload` answered `media_id` for.
    pub fn uploaded(&self, media_id: &str) -> Option<Uploaded> {
        let state = self.state.lock().unwrap();
        state.media.uploaded.iter().find(|(id, _)| id == media_id).map(|(_, file)| file.clone())
    }
}

#[derive(Deserialize)]
pub(super) struct UploadQuery {
    access_token: String,
    #[serde(rename = "type")]
    kind: String,
}

#[handler]
pub(super) async fn media_upload(
    state: Data<&Shared>,
    Query(query): Query<UploadQuery>,
    mut multipart: Multipart,
) -> poem::Response {
    let api = "media/upload";
    let mut file = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map(|bytes| bytes.len()).unwrap_or_default();
        if name == "media" {
            file = Some((filename, bytes));
        }
    }
    let recorded = match &file {
        Some((filename, bytes)) => json!({"type": query.kind, "filename": filename, "bytes": bytes}),
        None => json!({"type": query.kind}),
    };
    if let Some(faulted) = enter(state.0, api, recorded.clone()).await {
        return faulted;
    }
    if let Some(expired) = token_error(state.0, api, &query.access_token) {
        return expired;
    }
    note_via(&mut state.0.lock().unwrap(), api, &query.access_token, &Value::Null);
    if !["image", "voice", "video", "file"].contains(&query.kind.as_str()) {
        return answer(state.0, api, json!({"errcode": 40004, "errmsg": "invalid media type"}));
    }
    let Some((filename, bytes)) = file else {
        return answer(state.0, api, json!({"errcode": 44001, "errmsg": "empty media data: no field media"}));
    };
    if bytes < 5 {
        return answer(state.0, api, json!({"errcode": 40006, "errmsg": "invalid media size"}));
    }
    let media_id = {
        let mut state = state.0.lock().unwrap();
        let media_id = format!("media-{}-{}", query.kind, state.media.uploaded.len() + 1);
        let uploaded = Uploaded { kind: query.kind.clone(), filename, bytes };
        state.media.uploaded.push((media_id.clone(), uploaded));
        media_id
    };
    answer(
        state.0,
        api,
        json!({"errcode": 0, "errmsg": "", "type": query.kind, "media_id": media_id,
               "created_at": chrono::Utc::now().timestamp().to_string()}),
    )
}

#[handler]
pub(super) async fn appchat_send(
    state: Data<&Shared>,
    Query(query): Query<TokenParam>,
    Json(body): Json<Value>,
) -> poem::Response {
    let api = "appchat/send";
    if let Some(faulted) = enter(state.0, api, body.clone()).await {
        return faulted;
    }
    if let Some(expired) = token_error(state.0, api, &query.access_token) {
        return expired;
    }
    note_via(&mut state.0.lock().unwrap(), api, &query.access_token, &Value::Null);
    let msgtype = body["msgtype"].as_str().unwrap_or_default();
    if body["chatid"].as_str().is_none_or(str::is_empty) {
        return answer(state.0, api, json!({"errcode": 86003, "errmsg": "chat not exists"}));
    }
    if !CHAT_MSGTYPES.contains(&msgtype) || !body[msgtype].is_object() {
        return answer(state.0, api, json!({"errcode": 40008, "errmsg": "invalid message type"}));
    }
    answer(state.0, api, json!({"errcode": 0, "errmsg": "ok"}))
}
