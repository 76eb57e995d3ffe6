//! Third-party suite / 代开发 instruction callbacks: `InfoType` instead of
//! `MsgType`, encrypted for the SuiteID, answered with the literal `success`.
//! Authorisation, licence (接口许可) and archive notices are typed here;
//! directory and customer changes relayed to the suite reuse the app types.

use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, NoneAsEmptyString, PickFirst, serde_as};

use super::{
    contact::ContactChange,
    external_contact::{ExternalChatChange, ExternalContactChange, ExternalTagChange},
};

/// A suite notification (`suite_ticket`, `create_auth`, `change_auth`, …).
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct SuiteNotice {
    /// The suite it is for (`ServiceCorpId` for licence notices).
    #[serde(default)]
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
    /// `create_auth` / `reset_permanent_code`: the temporary auth code.
    #[serde(default)]
    pub auth_code: Option<String>,
    /// The authorising corp (every type but `suite_ticket` and `create_auth`).
    #[serde(default)]
    pub auth_corp_id: Option<String>,
    /// The typed content of the `InfoType`.
    #[serde(skip_deserializing)]
    pub detail: SuiteDetail,
    /// Every field as received, for the types with more detail.
    #[serde(skip_deserializing)]
    pub fields: serde_json::Value,
}

/// What a suite notice says; the variant is the `InfoType`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(tag = "info_type", rename_all = "snake_case")]
pub enum SuiteDetail {
    /// Every 10 minutes: the ticket for `get_suite_token`.
    SuiteTicket {},
    /// A corp installed the suite (`State` from the install link).
    CreateAuth(AuthState),
    /// A corp changed the suite's authorisation.
    ChangeAuth(AuthState),
    /// A corp uninstalled the suite.
    CancelAuth {},
    /// A corp's permanent code was reset; exchange `AuthCode` again.
    ResetPermanentCode {},
    /// A directory change in an authorising corp.
    ChangeContact(Box<ContactChange>),
    /// A customer change in an authorising corp.
    ChangeExternalContact(ExternalContactChange),
    /// A customer-group change in an authorising corp.
    ChangeExternalChat(ExternalChatChange),
    /// A customer-tag change in an authorising corp.
    ChangeExternalTag(ExternalTagChange),
    /// Licences were activated automatically.
    AutoActivate(AutoActivate),
    /// A corp agreed to migrate external_userids to the service provider.
    AgreeExternalUseridMigration {},
    /// A licence order was paid.
    LicensePaySuccess(LicenseOrder),
    /// A licence order was refunded.
    LicenseRefund(LicenseOrder),
    /// A customer agreed to chat archiving in a single chat (archive zone).
    ChatArchiveAuditApprovedSingle(ArchiveAudit),
    /// An archive export job finished.
    ChatArchiveExportFinished(ArchiveJob),
    /// New archived messages are ready to pull.
    ConversationNewMessage(ArchiveToken),
    /// Archived messages hit a keyword rule.
    HitKeyword(ArchiveToken),
    /// A paid advanced API (chat archiving, …) expired.
    AdvancedApiExpired(AdvancedApi),
    /// The trial of a paid advanced API expired.
    AdvancedApiTrialExpired(AdvancedApi),
    /// A corp placed an order for the suite (paid apps, doc 90639).
    OpenOrder(AppOrder),
    /// An unpaid order was replaced by another.
    ChangeOrder(OrderChange),
    /// An order was paid.
    PayForAppSuccess(AppOrder),
    /// An order was refunded.
    Refund(AppOrder),
    /// A corp's edition of the suite changed (WeCom spells it `change_editon`).
    ChangeEditon(PaidCorp),
    /// An admin granted a special permission (e.g. 通讯录 fields).
    ApproveSpecialAuth(SpecialAuth),
    /// An admin withdrew a special permission.
    CancelSpecialAuth(SpecialAuth),
    /// An admin authorised the corp's architecture (上下游) to the suite.
    CorpArchAuth {},
    /// An `InfoType` we do not model (its fields are in `fields`).
    #[default]
    Unknown,
}

/// `create_auth` / `change_auth`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct AuthState {
    /// The `state` of the install link, when any.
    #[serde(default)]
    pub state: Option<String>,
    /// `change_auth`: extra detail (e.g. authorised 微信客服 accounts), as received.
    #[serde(default)]
    pub extra_info: Option<serde_json::Value>,
}

/// `auto_activate`.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct AutoActivate {
    /// 1 a member was added/enabled, 2 a member was moved into the visible range, …
    #[serde_as(as = "PickFirst<(Option<_>, NoneAsEmptyString)>")]
    #[serde(default)]
    pub scene: Option<i64>,
    /// The accounts activated: always a list.
    #[serde(default)]
    #[serde_as(as = "serde_with::OneOrMany<_, serde_with::formats::PreferMany>")]
    pub account_list: Vec<ActivatedAccount>,
}

/// One licence activated by `auto_activate`.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct ActivatedAccount {
    /// The activation code.
    pub active_code: String,
    /// 1 basic, 2 interworking.
    #[serde_as(as = "PickFirst<(Option<_>, NoneAsEmptyString)>")]
    #[serde(default)]
    pub r#type: Option<i64>,
    /// Unix seconds.
    #[serde_as(as = "PickFirst<(Option<_>, NoneAsEmptyString)>")]
    #[serde(default)]
    pub expire_time: Option<i64>,
    /// The member.
    #[serde(default)]
    pub user_id: String,
    /// The member's licence state before.
    #[serde_as(as = "PickFirst<(Option<_>, NoneAsEmptyString)>")]
    #[serde(default)]
    pub previous_status: Option<i64>,
    /// The code it replaced, when any.
    #[serde(default)]
    pub previous_active_code: Option<String>,
}

/// `license_pay_success` / `license_refund`.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct LicenseOrder {
    /// The service provider's corp.
    #[serde(default)]
    pub service_corp_id: Option<String>,
    /// The order.
    pub order_id: String,
    /// `license_pay_success`: who paid.
    #[serde(default)]
    pub buyer_user_id: Option<String>,
    /// `license_refund`: 5 refunded, 6 refund refused, …
    #[serde_as(as = "PickFirst<(Option<_>, NoneAsEmptyString)>")]
    #[serde(default)]
    pub order_status: Option<i64>,
}

/// `chat_archive_audit_approved_single`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct ArchiveAudit {
    /// The member (open_userid).
    #[serde(rename(deserialize = "OpenUserID"), default)]
    pub open_user_id: Option<String>,
    /// The customer.
    #[serde(rename(deserialize = "ExternalUserID"), default)]
    pub external_user_id: Option<String>,
    /// The group, for group chats.
    #[serde(default)]
    pub chat_id: Option<String>,
}

/// `chat_archive_export_finished`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct ArchiveJob {
    /// The export job.
    #[serde(default)]
    pub job_id: Option<String>,
}

/// `conversation_new_message` / `hit_keyword`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct ArchiveToken {
    /// The token for pulling the messages.
    #[serde(default)]
    pub token: Option<String>,
}

/// `open_order`, `pay_for_app_success`, `refund`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct AppOrder {
    /// The corp that pays.
    #[serde(default)]
    pub paid_corp_id: String,
    /// The order (`get_order`).
    pub order_id: String,
    /// `open_order`: who placed it, when sent.
    #[serde(default)]
    pub operator_id: Option<String>,
}

/// `change_order`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct OrderChange {
    /// The corp that pays.
    #[serde(default)]
    pub paid_corp_id: String,
    /// The order replaced.
    pub old_order_id: String,
    /// The order replacing it.
    pub new_order_id: String,
}

/// `change_editon`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct PaidCorp {
    /// The corp whose edition changed.
    #[serde(default)]
    pub paid_corp_id: String,
}

/// `approve_special_auth` / `cancel_special_auth`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct SpecialAuth {
    /// The permission, e.g. `follow_user`, `phone`.
    #[serde(default)]
    pub auth_type: String,
}

/// `advanced_api_expired` / `advanced_api_trial_expired`.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct AdvancedApi {
    /// 1 chat archiving (会话内容存档).
    #[serde_as(as = "PickFirst<(Option<_>, NoneAsEmptyString)>")]
    #[serde(default)]
    pub advance_api_type: Option<i64>,
    /// The chat-archiving edition that expired, when sent.
    #[serde(default)]
    pub chat_archive_api: Option<ChatArchiveApi>,
}

/// `<ChatArchiveApi><Edition>…</Edition></ChatArchiveApi>`.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct ChatArchiveApi {
    /// 1 office edition, 2 service edition, 3 enterprise edition.
    #[serde_as(as = "PickFirst<(Option<_>, NoneAsEmptyString)>")]
    #[serde(default)]
    pub edition: Option<i64>,
}

impl SuiteDetail {
    /// Types the `InfoType`'s fields; a type we do not model, or fields
    /// that do not fit, give `Unknown`.
    pub(super) fn from_fields(info_type: &str, fields: &serde_json::Value) -> Self {
        use serde_json::from_value;
        let owned = || fields.clone();
        let typed: Result<Self, serde_json::Error> = match info_type {
            "suite_ticket" => Ok(Self::SuiteTicket {}),
            "create_auth" => from_value(owned()).map(Self::CreateAuth),
            "change_auth" => from_value(owned()).map(Self::ChangeAuth),
            "cancel_auth" => Ok(Self::CancelAuth {}),
            "reset_permanent_code" => Ok(Self::ResetPermanentCode {}),
            "change_contact" => match ContactChange::from_fields(fields) {
                Some(change) => change.map(|change| Self::ChangeContact(Box::new(change))),
                None => Ok(Self::Unknown),
            },
            "change_external_contact" => {
                ExternalContactChange::from_fields(fields).map(Self::ChangeExternalContact)
            }
            "change_external_chat" => ExternalChatChange::from_fields(fields).map(Self::ChangeExternalChat),
            "change_external_tag" => ExternalTagChange::from_fields(fields).map(Self::ChangeExternalTag),
            "auto_activate" => from_value(owned()).map(Self::AutoActivate),
            "agree_external_userid_migration" => Ok(Self::AgreeExternalUseridMigration {}),
            "license_pay_success" => from_value(owned()).map(Self::LicensePaySuccess),
            "license_refund" => from_value(owned()).map(Self::LicenseRefund),
            "chat_archive_audit_approved_single" => {
                from_value(owned()).map(Self::ChatArchiveAuditApprovedSingle)
            }
            "chat_archive_export_finished" => from_value(owned()).map(Self::ChatArchiveExportFinished),
            "conversation_new_message" => from_value(owned()).map(Self::ConversationNewMessage),
            "hit_keyword" => from_value(owned()).map(Self::HitKeyword),
            "open_order" => from_value(owned()).map(Self::OpenOrder),
            "change_order" => from_value(owned()).map(Self::ChangeOrder),
            "pay_for_app_success" => from_value(owned()).map(Self::PayForAppSuccess),
            "refund" => from_value(owned()).map(Self::Refund),
            "change_editon" => from_value(owned()).map(Self::ChangeEditon),
            "approve_special_auth" => from_value(owned()).map(Self::ApproveSpecialAuth),
            "cancel_special_auth" => from_value(owned()).map(Self::CancelSpecialAuth),
            "corp_arch_auth" => Ok(Self::CorpArchAuth {}),
            "advanced_api_expired" => from_value(owned()).map(Self::AdvancedApiExpired),
            "advanced_api_trial_expired" => from_value(owned()).map(Self::AdvancedApiTrialExpired),
            _ => Ok(Self::Unknown),
        };
        typed.unwrap_or(Self::Unknown)
    }
}
