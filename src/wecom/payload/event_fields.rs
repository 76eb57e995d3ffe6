//! The fields of app interaction events (menus, scans, pictures, location
//! picker, template cards), directory batch jobs, approvals and app-state
//! notices: the structs [`super::AppEvent`] variants hold.

use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, OneOrMany, PickFirst, formats::PreferMany, serde_as};

/// An event whose only extra field is `EventKey` (menu key, URL, page path).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct KeyedEvent {
    /// Menu key / URL / page path; empty for subscribe and enter_agent.
    #[serde(default)]
    pub event_key: String,
}

/// `Event=LOCATION`.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct LocationReport {
    /// Latitude.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub latitude: f64,
    /// Longitude.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub longitude: f64,
    /// Precision in metres.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub precision: Option<f64>,
    /// `wxwork`, or absent from the WeChat plugin.
    #[serde(default)]
    pub app_type: Option<String>,
}

/// `scancode_push` / `scancode_waitmsg`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct ScanCodeEvent {
    /// Menu key.
    #[serde(default)]
    pub event_key: String,
    /// What was scanned.
    pub scan_code_info: ScanCodeInfo,
}

/// The scan result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct ScanCodeInfo {
    /// `qrcode`, `barcode`, …
    #[serde(default)]
    pub scan_type: String,
    /// The decoded content.
    #[serde(default)]
    pub scan_result: String,
}

/// `pic_sysphoto` / `pic_photo_or_album` / `pic_weixin`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct PictureEvent {
    /// Menu key.
    #[serde(default)]
    pub event_key: String,
    /// The pictures sent.
    pub send_pics_info: SendPicsInfo,
}

/// Pictures sent from a photo menu.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct SendPicsInfo {
    /// Number of pictures.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub count: u32,
    /// One entry per picture.
    #[serde(default)]
    pub pic_list: PicList,
}

/// `<PicList><item>…</item>…</PicList>`.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PicList {
    /// The pictures.
    #[serde(rename(deserialize = "item"), default)]
    #[serde_as(as = "OneOrMany<_, PreferMany>")]
    pub items: Vec<PicItem>,
}

/// One picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct PicItem {
    /// MD5 of the picture.
    pub pic_md5_sum: String,
}

/// `location_select`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct LocationSelectEvent {
    /// Menu key.
    #[serde(default)]
    pub event_key: String,
    /// The chosen place.
    pub send_location_info: SendLocationInfo,
    /// `wxwork`, or absent.
    #[serde(default)]
    pub app_type: Option<String>,
}

/// A place chosen in the location picker.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct SendLocationInfo {
    /// Latitude.
    #[serde(rename(deserialize = "Location_X"))]
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub latitude: f64,
    /// Longitude.
    #[serde(rename(deserialize = "Location_Y"))]
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub longitude: f64,
    /// Map zoom level.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub scale: Option<i64>,
    /// Address.
    #[serde(default)]
    pub label: String,
    /// Point-of-interest name.
    #[serde(default)]
    pub poiname: String,
}

/// `template_card_event` and `template_card_menu_event`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct TemplateCardEvent {
    /// Button key, submit key or menu key.
    #[serde(default)]
    pub event_key: String,
    /// The card's `task_id` from `message/send`.
    #[serde(default)]
    pub task_id: String,
    /// `text_notice`, `news_notice`, `button_interaction`, `vote_interaction`, `multiple_interaction`.
    #[serde(default)]
    pub card_type: String,
    /// Single-use code for `update_template_card` (72 h).
    #[serde(default)]
    pub response_code: Option<String>,
    /// Vote / multi-select answers.
    #[serde(default)]
    pub selected_items: Option<SelectedItems>,
}

/// `<SelectedItems><SelectedItem>…</SelectedItem>…</SelectedItems>`.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct SelectedItems {
    /// One entry per question.
    #[serde(default)]
    #[serde_as(as = "OneOrMany<_, PreferMany>")]
    pub selected_item: Vec<SelectedItem>,
}

/// The options chosen for one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct SelectedItem {
    /// The question's key.
    pub question_key: String,
    /// The chosen option ids.
    #[serde(default)]
    pub option_ids: OptionIds,
}

/// `<OptionIds><OptionId>…</OptionId>…</OptionIds>`.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct OptionIds {
    /// Option ids.
    #[serde(default)]
    #[serde_as(as = "OneOrMany<_, PreferMany>")]
    pub option_id: Vec<String>,
}

/// `batch_job_result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct BatchJobResult {
    /// The finished job.
    pub batch_job: BatchJob,
}

/// A directory batch job.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct BatchJob {
    /// Job id from the batch API.
    pub job_id: String,
    /// `sync_user`, `replace_user`, `invite_user`, `replace_party`.
    #[serde(default)]
    pub job_type: String,
    /// 0 on success.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub err_code: i64,
    /// Error text.
    #[serde(default)]
    pub err_msg: String,
}

/// An approval event wrapping its `ApprovalInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct ApprovalChange<Info> {
    /// The approval's state.
    pub approval_info: Info,
}

/// App-state notices (`close_inactive_agent`, `inactive_alert`, …).
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct AppStateEvent {
    /// When the change takes effect (alerts only), Unix seconds.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub effect_time: Option<i64>,
}
