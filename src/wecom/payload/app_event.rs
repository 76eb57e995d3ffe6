//! App events (`MsgType=event`, doc 90240 and related): menu and card
//! interactions, app entry, location reports, directory and customer
//! changes, 微信客服, schedules and meetings, batch jobs, approvals and
//! app-state notices. No event carries a `MsgId`.

use serde::Serialize;

use super::{
    approval::{OpenApprovalInfo, SysApprovalInfo},
    contact::ContactChange,
    event_fields::*,
    external_contact::{CustomerAcquisition, ExternalChatChange, ExternalContactChange, ExternalTagChange},
    kf::{KfAccountAuthChange, KfMsgOrEvent},
    notices::{DocChange, HeaderOnlyNotice, LivingStatusChange, ProgramNotify, UploadMediaJobFinish},
    schedule::{CalendarEvent, MeetingChange, MeetingRoomEvent, ScheduleEvent},
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
    /// A customer was added, edited or deleted (客户联系).
    ChangeExternalContact(ExternalContactChange),
    /// A customer group was created, changed or dismissed.
    ChangeExternalChat(ExternalChatChange),
    /// A customer tag or tag group changed.
    ChangeExternalTag(ExternalTagChange),
    /// 获客助手: a customer-acquisition link's quota or state changed, or a
    /// customer came through one.
    CustomerAcquisition(CustomerAcquisition),
    /// 微信客服: messages or events to pull with `kf/sync_msg`.
    KfMsgOrEvent(KfMsgOrEvent),
    /// 微信客服: accounts granted to or withdrawn from the app.
    KfAccountAuthChange(KfAccountAuthChange),
    /// A calendar was created.
    AddCalendar(CalendarEvent),
    /// A calendar was changed.
    ModifyCalendar(CalendarEvent),
    /// A calendar was deleted.
    DeleteCalendar(CalendarEvent),
    /// A schedule was created.
    AddSchedule(ScheduleEvent),
    /// A schedule was changed.
    ModifySchedule(ScheduleEvent),
    /// A schedule was deleted.
    DeleteSchedule(ScheduleEvent),
    /// An attendee answered a schedule invitation.
    RespondSchedule(ScheduleEvent),
    /// A meeting room was booked.
    BookMeetingRoom(MeetingRoomEvent),
    /// A meeting-room booking was cancelled.
    CancelMeetingRoom(MeetingRoomEvent),
    /// A WeCom meeting changed.
    MeetingChange(MeetingChange),
    /// A living (直播) changed state.
    LivingStatusChange(LivingStatusChange),
    /// A document or form changed (members, content, deletion).
    DocChange(DocChange),
    /// A smart sheet's fields or records changed (2025).
    SmartSheetChange(DocChange),
    /// The app's admins changed (`FromUserName` is the member).
    ChangeAppAdmin(HeaderOnlyNotice),
    /// A member without a licence used the app (接口许可).
    UnlicensedNotify(HeaderOnlyNotice),
    /// A `media/upload_by_url` job finished.
    UploadMediaJobFinish(UploadMediaJobFinish),
    /// New archived chat content is ready (会话内容存档).
    MsgauditNotify(HeaderOnlyNotice),
    /// An archive-zone (应用专区) program notice.
    ProgramNotify(ProgramNotify),
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
            "change_external_contact" => {
                ExternalContactChange::from_fields(&fields).map(AppEvent::ChangeExternalContact)
            }
            "change_external_chat" => {
                ExternalChatChange::from_fields(&fields).map(AppEvent::ChangeExternalChat)
            }
            "change_external_tag" => ExternalTagChange::from_fields(&fields).map(AppEvent::ChangeExternalTag),
            "customer_acquisition" => from_value(fields).map(AppEvent::CustomerAcquisition),
            "kf_msg_or_event" => from_value(fields).map(AppEvent::KfMsgOrEvent),
            "kf_account_auth_change" => from_value(fields).map(AppEvent::KfAccountAuthChange),
            "add_calendar" => from_value(fields).map(AppEvent::AddCalendar),
            "modify_calendar" => from_value(fields).map(AppEvent::ModifyCalendar),
            "delete_calendar" => from_value(fields).map(AppEvent::DeleteCalendar),
            "add_schedule" => from_value(fields).map(AppEvent::AddSchedule),
            "modify_schedule" => from_value(fields).map(AppEvent::ModifySchedule),
            "delete_schedule" => from_value(fields).map(AppEvent::DeleteSchedule),
            "respond_schedule" => from_value(fields).map(AppEvent::RespondSchedule),
            "book_meeting_room" => from_value(fields).map(AppEvent::BookMeetingRoom),
            "cancel_meeting_room" => from_value(fields).map(AppEvent::CancelMeetingRoom),
            "meeting_change" => from_value(fields).map(AppEvent::MeetingChange),
            "living_status_change" => from_value(fields).map(AppEvent::LivingStatusChange),
            "doc_change" => from_value(fields).map(AppEvent::DocChange),
            "smart_sheet_change" => from_value(fields).map(AppEvent::SmartSheetChange),
            "change_app_admin" => from_value(fields).map(AppEvent::ChangeAppAdmin),
            "unlicensed_notify" => from_value(fields).map(AppEvent::UnlicensedNotify),
            "upload_media_job_finish" => from_value(fields).map(AppEvent::UploadMediaJobFinish),
            "msgaudit_notify" => from_value(fields).map(AppEvent::MsgauditNotify),
            "program_notify" => from_value(fields).map(AppEvent::ProgramNotify),
            _ => return None,
        })
    }
}
