//! 微信客服 (WeChat customer service) notices to the app callback, doc
//! 94670. They carry no message content: `kf_msg_or_event` says "pull with
//! `kf/sync_msg`", handing over a 10-minute `Token`.

use serde::{Deserialize, Serialize};
use serde_with::{OneOrMany, formats::PreferMany, serde_as};

/// `kf_msg_or_event`: new messages or events for a customer-service account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct KfMsgOrEvent {
    /// The `token` for `kf/sync_msg`, valid for 10 minutes.
    pub token: String,
    /// The customer-service account (`open_kfid`) with new messages.
    #[serde(rename(deserialize = "OpenKfId"))]
    pub open_kf_id: String,
}

/// `kf_account_auth_change`: accounts granted to or withdrawn from the app.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KfAccountAuthChange {
    /// Newly authorised `open_kfid`s (one `AuthAddOpenKfId` element each).
    #[serde(rename(deserialize = "AuthAddOpenKfId"), default)]
    #[serde_as(as = "OneOrMany<_, PreferMany>")]
    pub auth_add_open_kf_id: Vec<String>,
    /// Withdrawn `open_kfid`s (one `AuthDelOpenKfId` element each).
    #[serde(rename(deserialize = "AuthDelOpenKfId"), default)]
    #[serde_as(as = "OneOrMany<_, PreferMany>")]
    pub auth_del_open_kf_id: Vec<String>,
}
