//! App events (`MsgType=event`, doc 90240 and related): menu and card
//! interactions, app entry, location reports, directory changes, batch jobs,
//! approvals and app-state notices. No event carries a `MsgId`.

use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, OneOrMany, PickFirst, serde_as};

use super::{
    approval::{OpenApprovalInfo, SysApprovalInfo},
    contact::ContactChange,
};

/// An app event; the variant is the XML `Event`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AppEvent {
    /// Member added to the app's visible range (or joined the corp).
    Subscribe(KeyedEvent),
    /// Member removed from the visible range (or left / was disabled).
    Unsubscribe(KeyedEvent),
    /// Member opened the app.
    EnterAgent(KeyedEvent),
    /// Location reported on entering the app session.
    #[serde(rename = "LOCATION")]
    Location(LocationReport),
    /// Menu "pull message" click.
    Click(KeyedEvent),
    /// Menu URL opened.
    View(KeyedEvent),
    /// Menu mini-program opened.
    ViewMiniprogram(KeyedEvent),
    /// Scan from a menu; the result is pushed.
    ScancodePush(ScanCodeEvent),
    /// Scan from a menu; WeCom shows "receiving" and waits for a reply.
    ScancodeWaitmsg(ScanCodeEvent),
    /// Camera menu.
    PicSysphoto(PictureEvent),
    /// Camera or album menu.
    PicPhotoOrAlbum(PictureEvent),
    /// WeChat album menu.
    PicWeixin(PictureEvent),
    /// Location picker menu.
    LocationSelect(LocationSelectEvent),
    /// Button click or vote / multi-select submission on a template card.
    TemplateCardEvent(TemplateCardEvent),
    /// Item chosen from a template card's top-right menu.
    TemplateCardMenuEvent(TemplateCardEvent),
    /// Directory change.
    ChangeContact(ContactChange),
    /// An asynchronous directory job finished.
    BatchJobResult(BatchJobResult),
    /// Legacy approval-engine status change.
    OpenApprovalChange(ApprovalChange<OpenApprovalInfo>),
    /// OA approval status change.
    SysApprovalChange(ApprovalChange<SysApprovalInfo>),
    /// Shared app (企业互联) changed.
    ShareAgentChange(AppStateEvent),
    /// Shared app (上下游) changed.
    ShareChainChange(AppStateEvent),
    /// The app will be disabled for inactivity.
    InactiveAlert(AppStateEvent),
    /// Low-activity warning.
    LowActiveAlert(AppStateEvent),
    /// The app was disabled for inactivity.
    CloseInactiveAgent(AppStateEvent),
    /// The app was re-enabled.
    ReopenInactiveAgent(AppStateEvent),
    /// The app entered the low-activity state.
    LowActive(AppStateEvent),
    /// The app left the low-activity state.
    ActiveRestored(AppStateEvent),
}

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
    #[serde_as(as = "OneOrMany<_>")]
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
    #[serde_as(as = "OneOrMany<_>")]
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
    #[serde_as(as = "OneOrMany<_>")]
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

impl AppEvent {
    /// Parses the fields of a known `Event`; `None` for an event we do not model.
    pub(super) fn from_fields(
        event: &str,
        fields: &serde_json::Value,
    ) -> Option<Result<Self, serde_json::Error>> {
        use serde_json::from_value;
        let fields = fields.clone();
        Some(match event {
            "subscribe" => from_value(fields).map(AppEvent::Subscribe),
            "unsubscribe" => from_value(fields).map(AppEvent::Unsubscribe),
            "enter_agent" => from_value(fields).map(AppEvent::EnterAgent),
            "LOCATION" => from_value(fields).map(AppEvent::Location),
            "click" => from_value(fields).map(AppEvent::Click),
            "view" => from_value(fields).map(AppEvent::View),
            "view_miniprogram" => from_value(fields).map(AppEvent::ViewMiniprogram),
            "scancode_push" => from_value(fields).map(AppEvent::ScancodePush),
            "scancode_waitmsg" => from_value(fields).map(AppEvent::ScancodeWaitmsg),
            "pic_sysphoto" => from_value(fields).map(AppEvent::PicSysphoto),
            "pic_photo_or_album" => from_value(fields).map(AppEvent::PicPhotoOrAlbum),
            "pic_weixin" => from_value(fields).map(AppEvent::PicWeixin),
            "location_select" => from_value(fields).map(AppEvent::LocationSelect),
            "template_card_event" => from_value(fields).map(AppEvent::TemplateCardEvent),
            "template_card_menu_event" => from_value(fields).map(AppEvent::TemplateCardMenuEvent),
            "change_contact" => {
                return ContactChange::from_fields(&fields).map(|r| r.map(AppEvent::ChangeContact));
            }
            "batch_job_result" => from_value(fields).map(AppEvent::BatchJobResult),
            "open_approval_change" => from_value(fields).map(AppEvent::OpenApprovalChange),
            "sys_approval_change" => from_value(fields).map(AppEvent::SysApprovalChange),
            "share_agent_change" => from_value(fields).map(AppEvent::ShareAgentChange),
            "share_chain_change" => from_value(fields).map(AppEvent::ShareChainChange),
            "inactive_alert" => from_value(fields).map(AppEvent::InactiveAlert),
            "low_active_alert" => from_value(fields).map(AppEvent::LowActiveAlert),
            "close_inactive_agent" => from_value(fields).map(AppEvent::CloseInactiveAgent),
            "reopen_inactive_agent" => from_value(fields).map(AppEvent::ReopenInactiveAgent),
            "low_active" => from_value(fields).map(AppEvent::LowActive),
            "active_restored" => from_value(fields).map(AppEvent::ActiveRestored),
            _ => return None,
        })
    }
}
