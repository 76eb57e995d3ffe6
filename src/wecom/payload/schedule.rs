//! Calendar, schedule, meeting-room and meeting events (docs 93651, 93704,
//! 95333). They name what changed; the details are fetched by id.

use serde::{Deserialize, Serialize};
use serde_with::{NoneAsEmptyString, PickFirst, serde_as};

/// `add_calendar`, `modify_calendar`, `delete_calendar`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct CalendarEvent {
    /// The calendar's `cal_id`.
    pub cal_id: String,
}

/// `add_schedule`, `modify_schedule`, `delete_schedule`, `respond_schedule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct ScheduleEvent {
    /// The calendar holding the schedule.
    #[serde(default)]
    pub cal_id: Option<String>,
    /// The schedule's `schedule_id`.
    pub schedule_id: String,
}

/// `book_meeting_room`, `cancel_meeting_room`.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct MeetingRoomEvent {
    /// The meeting room.
    #[serde_as(as = "PickFirst<(Option<_>, NoneAsEmptyString)>")]
    #[serde(default)]
    pub meeting_room_id: Option<i64>,
    /// The booked meeting, when the booking was made for one.
    #[serde(default)]
    pub meeting_id: Option<String>,
    /// The booking (for `meetingroom/get_booking_info`), when sent.
    #[serde(default)]
    pub booking_id: Option<String>,
    /// The schedule the booking belongs to, when sent.
    #[serde(default)]
    pub schedule_id: Option<String>,
}

/// `meeting_change`: a WeCom meeting was created, changed, started, ended, …
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct MeetingChange {
    /// `create_meeting`, `update_meeting`, `cancel_meeting`, `start_meeting`,
    /// `end_meeting`, `join_meeting`, `quit_meeting`, `enroll_*`, `upload_*`, …
    pub change_type: String,
    /// The meeting.
    pub meeting_id: String,
    /// The meeting room (Rooms), when one is concerned.
    #[serde(default)]
    pub meeting_room_id: Option<String>,
    /// Who acted, for users outside the corp.
    #[serde(default)]
    pub from_user_tmp_open_id: Option<String>,
    /// The member acted upon (`UserId` / `TmpOpenId` / `UserRole`), as received.
    #[serde(default)]
    pub operated_user: Option<serde_json::Value>,
    /// Warm-up picture/video upload result, as received.
    #[serde(default)]
    pub warm_up_info: Option<serde_json::Value>,
    /// Upload results (`MediumType`, `MediumUrl`, `UploadStatus`, …): always
    /// a list (`UploadInfo` is a documented list field of `xml_tree`, so the
    /// document's JSON already holds an array).
    #[serde(default)]
    pub upload_info: Vec<serde_json::Value>,
    /// Enrolment, for `enroll_*` changes.
    #[serde(default)]
    pub enroll_id: Option<String>,
    /// Room-connector (MRA) address, as received.
    #[serde(default)]
    pub mra_address: Option<serde_json::Value>,
    /// A room's answer to an invitation.
    #[serde_as(as = "PickFirst<(Option<_>, NoneAsEmptyString)>")]
    #[serde(default)]
    pub room_response_status: Option<i64>,
}
