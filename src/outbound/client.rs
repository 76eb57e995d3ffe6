//! WeCom's send-side HTTP API: `gettoken`, `message/send`,
//! `message/update_template_card`, `message/recall`, `appchat/send`,
//! `media/upload`, `webhook/send`, `webhook/upload_media`. Every
//! answer is `{errcode, errmsg, …}`; decisions are made on `errcode` only.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// A WeCom answer: its code, message and whole body.
#[derive(Debug, Clone)]
pub struct ApiAnswer {
    /// 0 on success.
    pub errcode: i64,
    /// WeCom's text (for people; never decided on).
    pub errmsg: String,
    /// The whole body.
    pub body: Value,
}

impl ApiAnswer {
    /// A string field of the body.
    pub fn text(&self, key: &str) -> Option<String> {
        self.body.get(key).and_then(Value::as_str).filter(|value| !value.is_empty()).map(str::to_owned)
    }
}

/// Why a call did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No HTTP answer (connection refused, timeout); the text names the
    /// endpoint and carries the causes.
    #[error("WeCom did not answer: {0}")]
    Transport(String),
    /// The TLS handshake with WeCom's endpoint failed (its certificate was
    /// refused: a wrong or missing CA, a name mismatch). Not retried: a
    /// retry cannot fix it, and the send's failure says why at once.
    #[error("TLS to WeCom failed: {0}")]
    Tls(String),
    /// An HTTP error status or a body that is not WeCom's JSON.
    #[error("WeCom answered HTTP {status}")]
    Http {
        /// The status.
        status: u16,
    },
}

impl CallError {
    /// Whether trying again later can help.
    pub fn is_transient(&self) -> bool {
        match self {
            CallError::Transport(_) => true,
            CallError::Tls(_) => false,
            CallError::Http { status } => *status >= 500 || *status == 429,
        }
    }
}

/// Token invalid or expired: refresh once and retry.
pub const TOKEN_ERRORS: [i64; 2] = [40014, 42001];
/// WeCom is busy or limits the rate: retry later.
pub const RETRY_LATER: [i64; 3] = [-1, 45009, 45033];

/// The client (one per service; cheap to clone).
#[derive(Clone)]
pub struct WeComApi {
    http: reqwest::Client,
    base_url: String,
}

impl WeComApi {
    /// Calls go to `base_url` (`https://qyapi.weixin.qq.com`, or
    /// `WECHAT_BASE_URL`).
    pub fn new(base_url: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .expect("an HTTP client");
        Self { http, base_url: base_url.trim_end_matches('/').to_owned() }
    }

    /// The API host calls go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The same client (connections and TLS settings shared) for another host.
    pub fn with_base_url(&self, base_url: &str) -> Self {
        Self { http: self.http.clone(), base_url: base_url.trim_end_matches('/').to_owned() }
    }

    /// `GET /cgi-bin/gettoken`.
    pub async fn get_token(&self, corp_id: &str, secret: &SecretString) -> Result<ApiAnswer, CallError> {
        let request = self
            .http
            .get(format!("{}/cgi-bin/gettoken", self.base_url))
            .query(&[("corpid", corp_id), ("corpsecret", secret.expose_secret())]);
        self.answer(request).await
    }

    /// `POST /cgi-bin/{path}?access_token=…` with a JSON body.
    pub async fn post_with_token(
        &self,
        path: &str,
        token: &str,
        body: &Value,
    ) -> Result<ApiAnswer, CallError> {
        let request = self
            .http
            .post(format!("{}/cgi-bin/{path}", self.base_url))
            .query(&[("access_token", token)])
            .json(body);
        self.answer(request).await
    }

    /// `POST /cgi-bin/{path}` with these query parameters and a JSON body
    /// (the suite service APIs take `suite_access_token`, or nothing).
    pub async fn post_with_query(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: &Value,
    ) -> Result<ApiAnswer, CallError> {
        let request = self.http.post(format!("{}/cgi-bin/{path}", self.base_url)).query(query).json(body);
        self.answer(request).await
    }

    /// `POST /cgi-bin/webhook/send?key=…`.
    pub async fn robot_send(&self, key: &SecretString, body: &Value) -> Result<ApiAnswer, CallError> {
        let request = self
            .http
            .post(format!("{}/cgi-bin/webhook/send", self.base_url))
            .query(&[("key", key.expose_secret())])
            .json(body);
        self.answer(request).await
    }
}

impl WeComApi {
    /// `POST /cgi-bin/webhook/upload_media?key=…&type=file|voice`: the
    /// multipart field `media`; answers a `media_id` valid for 3 days.
    pub async fn robot_upload(
        &self,
        key: &SecretString,
        kind: &str,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Result<ApiAnswer, CallError> {
        let form = media_form(filename, bytes);
        let request = self
            .http
            .post(format!("{}/cgi-bin/webhook/upload_media", self.base_url))
            .query(&[("key", key.expose_secret()), ("type", kind)])
            .multipart(form);
        self.answer(request).await
    }

    /// `POST /cgi-bin/media/upload?access_token=…&type=image|voice|video|file`:
    /// the multipart field `media`; answers a `media_id` valid for 3 days.
    pub async fn upload_media(
        &self,
        token: &str,
        kind: &str,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Result<ApiAnswer, CallError> {
        let request = self
            .http
            .post(format!("{}/cgi-bin/media/upload", self.base_url))
            .query(&[("access_token", token), ("type", kind)])
            .multipart(media_form(filename, bytes));
        self.answer(request).await
    }

    /// `POST` a JSON body to a URL WeCom handed out (a smart robot's
    /// `response_url`). The URL is a credential: it never appears in errors.
    pub async fn post_to_url(&self, url: &str, body: &Value) -> Result<ApiAnswer, CallError> {
        let response = self.http.post(url).json(body).send().await.map_err(|error| {
            let error = error.without_url();
            let reason = format!("response_url: {}", crate::telemetry::error_chain(&error));
            if crate::security::crypto::is_tls_failure(&error) {
                CallError::Tls(reason)
            } else {
                CallError::Transport(reason)
            }
        })?;
        answer_of(response).await
    }

    async fn answer(&self, request: reqwest::RequestBuilder) -> Result<ApiAnswer, CallError> {
        // The URL carries the token or key: never put it in an error; the
        // base URL (WECHAT_BASE_URL) names the endpoint.
        let response = request.send().await.map_err(|error| {
            let error = error.without_url();
            let reason = format!("{}: {}", self.base_url, crate::telemetry::error_chain(&error));
            if crate::security::crypto::is_tls_failure(&error) {
                CallError::Tls(reason)
            } else {
                CallError::Transport(reason)
            }
        })?;
        answer_of(response).await
    }
}

/// The multipart form of an upload: the file in the field `media`.
fn media_form(filename: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    let length = bytes.len() as u64;
    let part = reqwest::multipart::Part::stream_with_length(bytes, length)
        .file_name(filename.to_owned())
        .mime_str("application/octet-stream")
        .expect("a valid MIME type");
    reqwest::multipart::Form::new().part("media", part)
}

async fn answer_of(response: reqwest::Response) -> Result<ApiAnswer, CallError> {
    let status = response.status().as_u16();
    if !response.status().is_success() {
        return Err(CallError::Http { status });
    }
    let body: Value = response.json().await.map_err(|_| CallError::Http { status })?;
    let errcode = body.get("errcode").and_then(Value::as_i64).unwrap_or(0);
    let errmsg = body.get("errmsg").and_then(Value::as_str).unwrap_or_default().to_owned();
    Ok(ApiAnswer { errcode, errmsg, body })
}

/// The robot's key from `WECHAT_BOT_WEBHOOK_URL` (a full webhook URL, or
/// the bare key).
pub fn robot_key(webhook_url: &SecretString) -> Option<SecretString> {
    let text = webhook_url.expose_secret().trim();
    if text.is_empty() {
        return None;
    }
    match url::Url::parse(text) {
        Ok(url) => url
            .query_pairs()
            .find(|(name, _)| name == "key")
            .map(|(_, key)| SecretString::from(key.into_owned())),
        Err(_) => Some(SecretString::from(text.to_owned())),
    }
}
