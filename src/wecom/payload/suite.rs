//! Third-party suite / 代开发 instruction callbacks: `InfoType` instead of
//! `MsgType`, encrypted for the SuiteID, answered with the literal `success`.

use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, PickFirst, serde_as};

/// A suite notification (`suite_ticket`, `create_auth`, `change_auth`, …).
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct SuiteNotice {
    /// The suite it is for.
    pub suite_id: String,
    /// `suite_ticket`, `create_auth`, `change_auth`, `cancel_auth`, `change_contact`, …
    pub info_type: String,
    /// Unix seconds.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub time_stamp: Option<i64>,
    /// `suite_ticket` only: the ticket to exchange for a suite token.
    #[serde(default)]
    pub suite_ticket: Option<String>,
    /// `create_auth` only: the temporary auth code.
    #[serde(default)]
    pub auth_code: Option<String>,
    /// The authorising corp (`change_auth`, `cancel_auth`, `change_contact`).
    #[serde(default)]
    pub auth_corp_id: Option<String>,
    /// Every field as received, for the types with more detail.
    #[serde(skip_deserializing)]
    pub fields: serde_json::Value,
}
