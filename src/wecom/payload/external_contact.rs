//! Customer contact (客户联系) changes: customers (`change_external_contact`),
//! customer groups (`change_external_chat`) and customer tags
//! (`change_external_tag`), docs 92130 and 92277. The same documents reach
//! a suite's instruction URL with `InfoType` (plus `SuiteId` and
//! `AuthCorpId`), so these types serve both.

use serde::{Deserialize, Deserializer, Serialize};
use serde_with::{NoneAsEmptyString, OneOrMany, PickFirst, formats::PreferMany, serde_as};

/// A customer change; the variant is the XML `ChangeType`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change_type", rename_all = "snake_case")]
pub enum ExternalContactChange {
    /// A member added a customer (`State` names the 联系我 channel).
    AddExternalContact(CustomerAdded),
    /// A member edited a customer's remark, tags or description.
    EditExternalContact(CustomerRef),
    /// A customer added a member who has not yet accepted (免验证 off).
    AddHalfExternalContact(CustomerAdded),
    /// A member deleted a customer.
    DelExternalContact(CustomerDeleted),
    /// A customer deleted a member.
    DelFollowUser(CustomerRef),
    /// Handing a customer over to another member failed.
    TransferFail(TransferFailed),
    /// A customer agreed to chat archiving (会话内容存档).
    MsgAuditApproved(CustomerAdded),
    /// A `ChangeType` we do not model, with every field kept.
    Unknown {
        /// The raw `ChangeType`.
        raw_change_type: String,
        /// Every field as received.
        fields: serde_json::Value,
    },
}

/// `add_external_contact`, `add_half_external_contact`, `msg_audit_approved`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct CustomerAdded {
    /// The member (企业服务人员) UserID.
    #[serde(rename(deserialize = "UserID"))]
    pub user_id: String,
    /// The customer's external_userid.
    #[serde(rename(deserialize = "ExternalUserID"))]
    pub external_user_id: String,
    /// The `state` of the 联系我 / 获客链接 configuration used, when any.
    #[serde(default)]
    pub state: Option<String>,
    /// Code for `send_welcome_msg`, valid 20 s (absent when WeCom sends none).
    #[serde(default)]
    pub welcome_code: Option<String>,
}

/// `edit_external_contact`, `del_follow_user`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct CustomerRef {
    /// The member UserID.
    #[serde(rename(deserialize = "UserID"))]
    pub user_id: String,
    /// The customer's external_userid.
    #[serde(rename(deserialize = "ExternalUserID"))]
    pub external_user_id: String,
}

/// `del_external_contact`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct CustomerDeleted {
    /// The member UserID.
    #[serde(rename(deserialize = "UserID"))]
    pub user_id: String,
    /// The customer's external_userid.
    #[serde(rename(deserialize = "ExternalUserID"))]
    pub external_user_id: String,
    /// `DELETE_BY_TRANSFER` when the deletion came from an on-job transfer.
    #[serde(default)]
    pub source: Option<String>,
}

/// `transfer_fail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct TransferFailed {
    /// The member who was to take the customer over.
    #[serde(rename(deserialize = "UserID"))]
    pub user_id: String,
    /// The customer's external_userid.
    #[serde(rename(deserialize = "ExternalUserID"))]
    pub external_user_id: String,
    /// `customer_refused` or `customer_limit_exceed`.
    #[serde(default)]
    pub fail_reason: String,
}

/// A customer-group change; the variant is the XML `ChangeType`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change_type", rename_all = "snake_case")]
pub enum ExternalChatChange {
    /// A customer group was created.
    Create(ChatRef),
    /// Members joined or left, or the owner, name or notice changed.
    Update(ChatUpdate),
    /// The group was dismissed.
    Dismiss(ChatRef),
    /// A `ChangeType` we do not model, with every field kept.
    Unknown {
        /// The raw `ChangeType`.
        raw_change_type: String,
        /// Every field as received.
        fields: serde_json::Value,
    },
}

/// `create` / `dismiss`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct ChatRef {
    /// The group's chat_id.
    pub chat_id: String,
}

/// `update`.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct ChatUpdate {
    /// The group's chat_id.
    pub chat_id: String,
    /// `add_member`, `del_member`, `change_owner`, `change_name`, `change_notice`.
    #[serde(default)]
    pub update_detail: String,
    /// `add_member` only: 0 invited by a member, 1 through the invitation link, 3 by scanning the group QR code.
    #[serde_as(as = "PickFirst<(Option<_>, NoneAsEmptyString)>")]
    #[serde(default)]
    pub join_scene: Option<i64>,
    /// `del_member` only: 0 left on their own, 1 removed by the owner or an admin.
    #[serde_as(as = "PickFirst<(Option<_>, NoneAsEmptyString)>")]
    #[serde(default)]
    pub quit_scene: Option<i64>,
    /// Number of members who joined or left.
    #[serde_as(as = "PickFirst<(Option<_>, NoneAsEmptyString)>")]
    #[serde(default)]
    pub mem_change_cnt: Option<i64>,
    /// The UserIDs / external_userids who joined or left: always a list
    /// (WeCom sends at most 1000; `MemChangeCnt` counts them all).
    #[serde(default, deserialize_with = "item_list")]
    pub mem_change_list: Vec<String>,
    /// The member version before the change (to detect missed callbacks).
    #[serde(default)]
    pub last_mem_ver: Option<String>,
    /// The member version after the change.
    #[serde(default)]
    pub cur_mem_ver: Option<String>,
}

/// A customer-tag change; the variant is the XML `ChangeType`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change_type", rename_all = "snake_case")]
pub enum ExternalTagChange {
    /// A tag or tag group was created.
    Create(TagEvent),
    /// A tag or tag group was renamed or reordered.
    Update(TagEvent),
    /// A tag or tag group was deleted.
    Delete(TagEvent),
    /// Tags were re-sorted (`Id` is the group, or absent for all groups).
    Shuffle(TagShuffle),
    /// A `ChangeType` we do not model, with every field kept.
    Unknown {
        /// The raw `ChangeType`.
        raw_change_type: String,
        /// Every field as received.
        fields: serde_json::Value,
    },
}

/// `create` / `update` / `delete` of a customer tag.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct TagEvent {
    /// Tag or tag-group id.
    pub id: String,
    /// `tag` or `tag_group`.
    #[serde(default)]
    pub tag_type: String,
    /// The rule group (规则组) of a strategy tag, when it has one (kept as
    /// sent: WeCom documents it as an id, not a number).
    #[serde_as(as = "NoneAsEmptyString")]
    #[serde(default)]
    pub strategy_id: Option<String>,
}

/// `shuffle`.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct TagShuffle {
    /// The tag group re-sorted; absent when the groups themselves were.
    #[serde(default)]
    pub id: Option<String>,
    /// The rule group, for strategy tags.
    #[serde_as(as = "NoneAsEmptyString")]
    #[serde(default)]
    pub strategy_id: Option<String>,
}

/// `customer_acquisition` (获客助手, doc 97299): a link's quota or
/// state changed, or a customer came through a link.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct CustomerAcquisition {
    /// `balance_low`, `balance_exhausted`, `quota_expire_soon`,
    /// `link_unavailable`, `delete_link`, `customer_start_chat`, …
    pub change_type: String,
    /// The 获客链接.
    #[serde(default)]
    pub link_id: Option<String>,
    /// `customer_start_chat`: the member the customer reached.
    #[serde(rename(deserialize = "UserID"), default)]
    pub user_id: Option<String>,
    /// `customer_start_chat`: the customer.
    #[serde(rename(deserialize = "ExternalUserID"), default)]
    pub external_user_id: Option<String>,
    /// `quota_expire_soon`: when the quota expires, Unix seconds.
    #[serde_as(as = "PickFirst<(Option<_>, NoneAsEmptyString)>")]
    #[serde(default)]
    pub expire_time: Option<i64>,
    /// `quota_expire_soon`: how many uses expire then.
    #[serde_as(as = "PickFirst<(Option<_>, NoneAsEmptyString)>")]
    #[serde(default)]
    pub expire_quota_num: Option<i64>,
}

/// `<X><Item>a</Item>…</X>` → `["a", …]`; an empty or absent `X` → `[]`.
pub(super) fn item_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[serde_as]
    #[derive(Deserialize)]
    struct Items {
        #[serde(rename = "Item", default)]
        #[serde_as(as = "OneOrMany<_, PreferMany>")]
        item: Vec<String>,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Shape {
        Items(Items),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Option::<Shape>::deserialize(deserializer)? {
        Some(Shape::Items(items)) => items.item,
        Some(Shape::Other(_)) | None => Vec::new(),
    })
}

fn change_type(fields: &serde_json::Value) -> &str {
    fields.get("ChangeType").and_then(|value| value.as_str()).unwrap_or("")
}

impl ExternalContactChange {
    pub(super) fn from_fields(fields: &serde_json::Value) -> Result<Self, serde_json::Error> {
        use serde_json::from_value;
        let owned = fields.clone();
        match change_type(fields) {
            "add_external_contact" => from_value(owned).map(Self::AddExternalContact),
            "edit_external_contact" => from_value(owned).map(Self::EditExternalContact),
            "add_half_external_contact" => from_value(owned).map(Self::AddHalfExternalContact),
            "del_external_contact" => from_value(owned).map(Self::DelExternalContact),
            "del_follow_user" => from_value(owned).map(Self::DelFollowUser),
            "transfer_fail" => from_value(owned).map(Self::TransferFail),
            "msg_audit_approved" => from_value(owned).map(Self::MsgAuditApproved),
            other => Ok(Self::Unknown { raw_change_type: other.to_owned(), fields: owned }),
        }
    }

    /// The member the change is about (the follow user).
    pub fn user_id(&self) -> Option<&str> {
        Some(match self {
            Self::AddExternalContact(c) | Self::AddHalfExternalContact(c) | Self::MsgAuditApproved(c) => {
                &c.user_id
            }
            Self::EditExternalContact(c) | Self::DelFollowUser(c) => &c.user_id,
            Self::DelExternalContact(c) => &c.user_id,
            Self::TransferFail(c) => &c.user_id,
            Self::Unknown { .. } => return None,
        })
    }
}

impl ExternalChatChange {
    pub(super) fn from_fields(fields: &serde_json::Value) -> Result<Self, serde_json::Error> {
        use serde_json::from_value;
        let owned = fields.clone();
        match change_type(fields) {
            "create" => from_value(owned).map(Self::Create),
            "update" => from_value(owned).map(Self::Update),
            "dismiss" => from_value(owned).map(Self::Dismiss),
            other => Ok(Self::Unknown { raw_change_type: other.to_owned(), fields: owned }),
        }
    }
}

impl ExternalTagChange {
    pub(super) fn from_fields(fields: &serde_json::Value) -> Result<Self, serde_json::Error> {
        use serde_json::from_value;
        let owned = fields.clone();
        match change_type(fields) {
            "create" => from_value(owned).map(Self::Create),
            "update" => from_value(owned).map(Self::Update),
            "delete" => from_value(owned).map(Self::Delete),
            "shuffle" => from_value(owned).map(Self::Shuffle),
            other => Ok(Self::Unknown { raw_change_type: other.to_owned(), fields: owned }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wecom::xml_tree;

    fn fields(inner: &str) -> serde_json::Value {
        xml_tree::parse_document(&format!("<xml>{inner}</xml>")).unwrap().to_json()
    }

    #[test]
    fn mem_change_list_is_a_list_with_one_two_or_no_members() {
        for (items, want) in [
            ("<Item>wmA</Item>", vec!["wmA"]),
            ("<Item>wmA</Item><Item>zhangsan</Item>", vec!["wmA", "zhangsan"]),
            ("", vec![]),
        ] {
            let change = ExternalChatChange::from_fields(&fields(&format!(
                "<ChangeType>update</ChangeType><ChatId>wrOg</ChatId><UpdateDetail>add_member</UpdateDetail><JoinScene>1</JoinScene><MemChangeCnt>{}</MemChangeCnt><MemChangeList>{items}</MemChangeList>",
                want.len()
            )))
            .unwrap();
            let ExternalChatChange::Update(update) = change else { panic!("not an update: {change:?}") };
            assert_eq!(update.mem_change_list, want);
            assert_eq!(update.join_scene, Some(1));
            let json = serde_json::to_value(&update).unwrap();
            assert!(json["mem_change_list"].is_array());
        }
    }

    #[test]
    fn empty_numbers_are_absent_and_unknown_change_types_are_kept() {
        let tag = ExternalTagChange::from_fields(&fields(
            "<ChangeType>create</ChangeType><Id>et1</Id><TagType>tag</TagType><StrategyId></StrategyId>",
        ))
        .unwrap();
        assert_eq!(
            tag,
            ExternalTagChange::Create(TagEvent {
                id: "et1".into(),
                tag_type: "tag".into(),
                strategy_id: None
            })
        );
        let unknown =
            ExternalContactChange::from_fields(&fields("<ChangeType>future</ChangeType><X>1</X>")).unwrap();
        assert!(
            matches!(unknown, ExternalContactChange::Unknown { ref raw_change_type, .. } if raw_change_type == "future")
        );
    }
}
