//! Approval events: the legacy approval engine (`open_approval_change`) and
//! OA approvals (`sys_approval_change`, doc 91815). The identifying and
//! status fields are typed; the node trees are kept as received.

use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, OneOrMany, PickFirst, formats::PreferMany, serde_as};

/// `open_approval_change` → `ApprovalInfo`.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct OpenApprovalInfo {
    /// The caller's approval number.
    pub third_no: String,
    /// Approval name.
    #[serde(default)]
    pub open_sp_name: String,
    /// Template id.
    #[serde(default)]
    pub open_template_id: String,
    /// 1 pending, 2 approved, 3 rejected, 4 withdrawn.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub open_sp_status: i64,
    /// Unix seconds.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub apply_time: Option<i64>,
    /// Applicant's name.
    #[serde(default)]
    pub apply_user_name: Option<String>,
    /// Applicant's UserID.
    #[serde(default)]
    pub apply_user_id: Option<String>,
    /// Applicant's department.
    #[serde(default)]
    pub apply_user_party: Option<String>,
    /// The approval nodes, as received.
    #[serde(default)]
    pub approval_nodes: Option<serde_json::Value>,
    /// The notified members, as received.
    #[serde(default)]
    pub notify_nodes: Option<serde_json::Value>,
    /// Current step.
    #[serde(rename(deserialize = "approverstep"), default)]
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    pub approver_step: Option<i64>,
}

/// `sys_approval_change` → `ApprovalInfo`.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct SysApprovalInfo {
    /// Approval number.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub sp_no: String,
    /// Approval name.
    #[serde(default)]
    pub sp_name: String,
    /// 1 pending, 2 approved, 3 rejected, 4 withdrawn, 6 revoked, 7 deleted, 10 paid.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub sp_status: i64,
    /// Template id.
    #[serde(default)]
    pub template_id: String,
    /// Unix seconds.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub apply_time: Option<i64>,
    /// The applicant.
    #[serde(default)]
    pub applyer: Option<Applyer>,
    /// One record per approval step.
    #[serde(default)]
    #[serde_as(as = "OneOrMany<_, PreferMany>")]
    pub sp_record: Vec<SpRecord>,
    /// Members notified, as received.
    #[serde(default)]
    pub notifyer: Option<serde_json::Value>,
    /// Comments, as received.
    #[serde(default)]
    pub comments: Option<serde_json::Value>,
    /// What changed: 1 submit, 2 approve, 3 reject, 4 transfer, 5 urge, 6 withdraw, 8 revoke, 10 comment.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub statu_change_event: Option<i64>,
}

/// The applicant of an OA approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct Applyer {
    /// UserID.
    pub user_id: String,
    /// Department.
    #[serde(default)]
    pub party: Option<String>,
}

/// One approval step.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct SpRecord {
    /// 1 pending, 2 approved, 3 rejected, 4 transferred.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub sp_status: i64,
    /// 1 or-sign, 2 and-sign.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub approver_attr: Option<i64>,
    /// Each approver's decision, as received.
    #[serde(default)]
    pub details: Option<serde_json::Value>,
}
