//! The app's media sends and group chats, end to end against the fake
//! WeCom: media given as content is uploaded through `media/upload` and
//! sent by the media id WeCom returned; media ids are sent as given;
//! oversize media is refused at the API; mpnews thumbs are uploaded;
//! miniprogram notices; `appchat/send` tracked as the chat; upload failures
//! fail the message with WeCom's errcode, and a rejected token is replaced
//! once.

use base64::Engine;
use serde_json::{Value, json};

use crate::{
    fake_wecom::{FakeWeCom, Fault, media::Uploaded},
    helpers::{TestApp, spawn_app_with},
    outbound::{env, send, until},
};

fn encoded(bytes: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(vec![0x5au8; bytes])
}

async fn sent(app: &TestApp, id: &str) -> Value {
    until(app, &format!("/api/v1/messages/{id}/status"), |s| s["status"] == "sent").await
}

/// The last `message/send` body WeCom received for `msgtype`.
fn last_send(fake: &FakeWeCom, msgtype: &str) -> Value {
    let calls = fake.calls("message/send");
    calls.iter().rev().find(|call| call.body["msgtype"] == msgtype).expect("sent").body.clone()
}

#[tokio::test]
async fn each_media_type_given_as_content_is_uploaded_then_sent_by_its_media_id() {
    let fake = FakeWeCom::start().await;
    let app = spawn_app_with(&env(&fake)).await;
    let cases = [
        ("image", "photo.png", 2000),
        ("voice", "note.amr", 1500),
        ("video", "clip.mp4", 3000),
        ("file", "report.pdf", 4000),
    ];
    for (index, (msgtype, filename, size)) in cases.into_iter().enumerate() {
        let id = format!("media-content-{msgtype}");
        let mut content = json!({"filename": filename, "base64": encoded(size)});
        if msgtype == "video" {
            content["title"] = json!("周会录像");
            content["description"] = json!("11 月");
        }
        let body = json!({"id": id, "channel": "wecom_app", "recipients": ["alice"], "msgtype": msgtype,
                          msgtype: content});
        let response = send(&app, body, None).await;
        assert_eq!(response.status(), 202, "{msgtype}: {}", response.text().await.unwrap());
        sent(&app, &id).await;
        let uploads = fake.calls("media/upload");
        assert_eq!(uploads.len(), index + 1, "one upload per send");
        assert_eq!(uploads[index].body, json!({"type": msgtype, "filename": filename, "bytes": size}));
        let body = last_send(&fake, msgtype);
        let media_id = body[msgtype]["media_id"].as_str().expect("a media_id").to_owned();
        assert_eq!(
            fake.uploaded(&media_id),
            Some(Uploaded { kind: msgtype.to_owned(), filename: filename.to_owned(), bytes: size })
        );
        assert!(body[msgtype].get("base64").is_none() && body[msgtype].get("filename").is_none(), "{body}");
        assert_eq!(body["agentid"], 1000002);
        if msgtype == "video" {
            assert_eq!(body["video"]["title"], "周会录像");
            assert_eq!(body["video"]["description"], "11 月");
        }
    }
}

#[tokio::test]
async fn media_ids_are_sent_as_given_and_oversize_or_wrong_media_is_refused() {
    let fake = FakeWeCom::start().await;
    let mut env = env(&fake);
    // Room for a 20 MB file in base64 (the API's default cap is 4 MiB).
    env.push(("PMC__SECURITY__MAX_API_BODY_BYTES", (40 << 20).to_string()));
    let app = spawn_app_with(&env).await;
    for msgtype in ["image", "voice", "video", "file"] {
        let id = format!("media-id-{msgtype}");
        let body = json!({"id": id, "channel": "wecom_app", "recipients": ["bob"], "msgtype": msgtype,
                          msgtype: {"media_id": format!("existing-{msgtype}")}});
        assert_eq!(send(&app, body, None).await.status(), 202);
        sent(&app, &id).await;
        assert_eq!(last_send(&fake, msgtype)[msgtype], json!({"media_id": format!("existing-{msgtype}")}));
    }
    assert!(fake.calls("media/upload").is_empty(), "a media_id is not uploaded");

    let refused = [
        ("image", json!({"filename": "big.jpg", "base64": encoded((10 << 20) + 1)}), "5 bytes to 10 MB"),
        ("voice", json!({"filename": "note.mp3", "base64": encoded(100)}), "must be amr"),
        ("file", json!({"filename": "huge.zip", "base64": encoded((20 << 20) + 1)}), "5 bytes to 20 MB"),
        ("video", json!({"title": "no media"}), "a media_id, or filename and base64"),
    ];
    for (msgtype, content, reason) in refused {
        let body =
            json!({"channel": "wecom_app", "recipients": ["bob"], "msgtype": msgtype, msgtype: content});
        let response = send(&app, body, None).await;
        assert_eq!(response.status(), 422, "{msgtype}");
        let text = response.text().await.unwrap();
        assert!(text.contains(reason), "{msgtype}: {text}");
    }
    assert!(fake.calls("media/upload").is_empty());
}

#[tokio::test]
async fn mpnews_thumbs_are_uploaded_and_miniprogram_notices_sent() {
    let fake = FakeWeCom::start().await;
    let app = spawn_app_with(&env(&fake)).await;
    let body = json!({"id": "mpnews-1", "channel": "wecom_app", "recipients": ["carol"], "msgtype": "mpnews",
        "mpnews": {"articles": [
            {"title": "发布公告", "thumb_filename": "cover.jpg", "thumb_base64": encoded(800),
             "author": "运营", "content_source_url": "https://example.com", "content": "<p>正文</p>",
             "digest": "摘要"},
            {"title": "第二篇", "thumb_media_id": "existing-thumb", "content": "<p>二</p>"}]}});
    assert_eq!(send(&app, body, None).await.status(), 202);
    sent(&app, "mpnews-1").await;
    let uploads = fake.calls("media/upload");
    assert_eq!(uploads.len(), 1, "only the article without a thumb_media_id");
    assert_eq!(uploads[0].body, json!({"type": "image", "filename": "cover.jpg", "bytes": 800}));
    let articles = last_send(&fake, "mpnews")["mpnews"]["articles"].clone();
    let thumb = articles[0]["thumb_media_id"].as_str().unwrap();
    assert_eq!(fake.uploaded(thumb).unwrap().filename, "cover.jpg");
    assert!(articles[0].get("thumb_base64").is_none(), "{articles}");
    assert_eq!(articles[0]["digest"], "摘要");
    assert_eq!(articles[1]["thumb_media_id"], "existing-thumb");

    let notice = json!({"appid": "wx123123123123123", "page": "pages/index?userid=zhangsan",
        "title": "会议室预订成功通知", "description": "4月27日 16:16", "emphasis_first_item": true,
        "content_item": [{"key": "会议室", "value": "402"}, {"key": "会议地点", "value": "广州TIT-402会议室"}]});
    let body = json!({"id": "mini-1", "channel": "wecom_app", "recipients": ["carol"],
                      "msgtype": "miniprogram_notice", "miniprogram_notice": notice});
    assert_eq!(send(&app, body, None).await.status(), 202);
    sent(&app, "mini-1").await;
    let body = last_send(&fake, "miniprogram_notice");
    assert_eq!(body["miniprogram_notice"], notice);
    assert_eq!(body["touser"], "carol");
    let bad = json!({"channel": "wecom_app", "recipients": ["carol"], "msgtype": "miniprogram_notice",
                     "miniprogram_notice": {"title": "no appid"}});
    assert_eq!(send(&app, bad, None).await.status(), 422);
}

#[tokio::test]
async fn a_group_chat_send_goes_to_appchat_and_is_tracked_as_the_chat() {
    let fake = FakeWeCom::start().await;
    let app = spawn_app_with(&env(&fake)).await;
    let body = json!({"id": "chat-1", "channel": "wecom_app", "chatid": "CHATID42", "msgtype": "image",
                      "image": {"filename": "chart.png", "base64": encoded(600)}, "safe": true});
    assert_eq!(send(&app, body, None).await.status(), 202);
    let status = sent(&app, "chat-1").await;
    assert_eq!(status["counts"], json!({"sent": 1}));
    assert_eq!(status["recipients"][0]["recipient"], "CHATID42");
    let calls = fake.calls("appchat/send");
    assert_eq!(calls.len(), 1);
    let media_id = calls[0].body["image"]["media_id"].as_str().unwrap().to_owned();
    assert_eq!(
        calls[0].body,
        json!({"chatid": "CHATID42", "msgtype": "image", "image": {"media_id": media_id}, "safe": 1})
    );
    assert!(calls[0].accepted());
    assert!(fake.calls("message/send").is_empty());

    let refused = [
        (
            json!({"chatid": "CHATID42", "recipients": ["dave"], "msgtype": "text", "text": {"content": "x"}}),
            "recipients, parties and tags do not apply",
        ),
        (
            json!({"chatid": "CHATID42", "msgtype": "template_card",
                "template_card": {"card_type": "text_notice"}}),
            "cannot be sent to a group chat",
        ),
        (json!({"chatid": "bad chat!", "msgtype": "text", "text": {"content": "x"}}), "chatid: 1 to 32"),
    ];
    for (mut body, reason) in refused {
        body["channel"] = json!("wecom_app");
        let response = send(&app, body, None).await;
        assert_eq!(response.status(), 422);
        let text = response.text().await.unwrap();
        assert!(text.contains(reason), "{text}");
    }
}

#[tokio::test]
async fn an_upload_wecom_refuses_fails_the_message_and_a_rejected_token_is_replaced_once() {
    let fake = FakeWeCom::start().await;
    let app = spawn_app_with(&env(&fake)).await;
    fake.fail_next("media/upload", Fault::Errcode(40005));
    let body = json!({"id": "upload-refused", "channel": "wecom_app", "recipients": ["erin"], "msgtype": "file",
                      "file": {"filename": "a.txt", "base64": encoded(100)}});
    assert_eq!(send(&app, body, None).await.status(), 202);
    until(&app, "/api/v1/messages/upload-refused/status", |s| s["status"] == "failed").await;
    let history = app.get_json("/api/v1/messages/upload-refused/history").await;
    let detail = history["history"].as_array().unwrap().last().unwrap()["detail"].clone();
    assert!(detail.as_str().unwrap().contains("40005"), "{history}");
    assert!(fake.calls("message/send").is_empty(), "nothing sent without the media");

    // The token expires: the upload answers 42001, the token is replaced once, then all goes through.
    let issued = fake.tokens_issued();
    fake.expire_tokens();
    let body = json!({"id": "upload-token", "channel": "wecom_app", "recipients": ["erin"], "msgtype": "voice",
                      "voice": {"filename": "v.amr", "base64": encoded(300)}});
    assert_eq!(send(&app, body, None).await.status(), 202);
    sent(&app, "upload-token").await;
    let uploads = fake.calls("media/upload");
    let codes: Vec<Option<i64>> = uploads[1..].iter().map(|call| call.errcode).collect();
    assert_eq!(codes, [Some(42001), Some(0)]);
    assert_eq!(fake.tokens_issued(), issued + 1, "one replacement");
    assert_eq!(last_send(&fake, "voice")["voice"]["media_id"].as_str().unwrap(), "media-voice-1");
}
