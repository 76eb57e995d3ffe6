//! Single-purpose app notices: living (doc 94145), documents and smart
//! sheets (`doc_change`, docs 97973 / 100604), app admins (95038), licences
//! (95716), media upload jobs (96219), chat archiving (`msgaudit_notify`,
//! 95039) and the archive-zone program notice (`program_notify`).

use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, OneOrMany, PickFirst, formats::PreferMany, serde_as};

/// `living_status_change`.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct LivingStatusChange {
    /// The living's `livingid`.
    pub living_id: String,
    /// 0 booked, 1 live, 2 ended, 3 expired, 4 cancelled.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub status: i64,
}

/// `doc_change` (documents and forms) and `smart_sheet_change` (2025:
/// a smart sheet's fields and records).
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct DocChange {
    /// `doc_member_change`, `delete_doc`, `modify_doc`, `delete_form`,
    /// `modify_form`, `update_field_or_record`, …
    pub change_type: String,
    /// The documents concerned: always a list.
    #[serde(rename(deserialize = "DocId"), default)]
    #[serde_as(as = "OneOrMany<_, PreferMany>")]
    pub doc_id: Vec<String>,
    /// The forms concerned: always a list.
    #[serde(rename(deserialize = "FormId"), default)]
    #[serde_as(as = "OneOrMany<_, PreferMany>")]
    pub form_id: Vec<String>,
    /// Smart sheets: the sheet.
    #[serde(default)]
    pub sheet_id: Option<String>,
    /// Smart sheets: the fields changed, always a list.
    #[serde(rename(deserialize = "FieldId"), default)]
    #[serde_as(as = "OneOrMany<_, PreferMany>")]
    pub field_id: Vec<String>,
    /// Smart sheets: the records changed, always a list.
    #[serde(rename(deserialize = "RecordId"), default)]
    #[serde_as(as = "OneOrMany<_, PreferMany>")]
    pub record_id: Vec<String>,
}

/// Notices whose only data is the header (`FromUserName`, `AgentID`):
/// `change_app_admin`, `unlicensed_notify`, `msgaudit_notify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeaderOnlyNotice {}

/// `upload_media_job_finish`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct UploadMediaJobFinish {
    /// The job from `media/upload_by_url`.
    pub job_id: String,
}

/// `program_notify` (应用专区 / archive zone): a program's notice to the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct ProgramNotify {
    /// The notice, for `program/get_notify`.
    pub notify_id: String,
    /// The program-defined scene.
    #[serde(default)]
    pub notify_scene: Option<String>,
}
