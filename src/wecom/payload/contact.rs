//! `change_contact` events: users, departments (parties) and tags
//! (docs 90970, 90240). Sensitive fields are omitted for apps without the
//! permission, so everything except the ids is optional.

use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, PickFirst, serde_as};

/// A directory change; the variant is the XML `ChangeType`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change_type", rename_all = "snake_case")]
pub enum ContactChange {
    /// A member was created.
    CreateUser(UserChange),
    /// A member was updated (possibly renamed: `new_user_id`).
    UpdateUser(UserChange),
    /// A member was deleted.
    DeleteUser(UserChange),
    /// A department was created.
    CreateParty(PartyChange),
    /// A department was updated.
    UpdateParty(PartyChange),
    /// A department was deleted.
    DeleteParty(PartyChange),
    /// Members or departments were added to or removed from a tag.
    UpdateTag(TagChange),
    /// A `ChangeType` we do not model, with every field kept.
    Unknown {
        /// The raw `ChangeType`.
        raw_change_type: String,
        /// Every field as received.
        fields: serde_json::Value,
    },
}

/// A member change.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct UserChange {
    /// The member's UserID.
    #[serde(rename(deserialize = "UserID"))]
    pub user_id: String,
    /// The new UserID when it changed.
    #[serde(rename(deserialize = "NewUserID"), default)]
    pub new_user_id: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Department ids, comma separated as sent.
    #[serde(default)]
    pub department: Option<String>,
    /// Main department id.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub main_department: Option<i64>,
    /// Leader flags per department, comma separated.
    #[serde(default)]
    pub is_leader_in_dept: Option<String>,
    /// Direct leaders' UserIDs, comma separated.
    #[serde(default)]
    pub direct_leader: Option<String>,
    /// Job title.
    #[serde(default)]
    pub position: Option<String>,
    /// Mobile number.
    #[serde(default)]
    pub mobile: Option<String>,
    /// 1 male, 2 female.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub gender: Option<i64>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Business e-mail.
    #[serde(default)]
    pub biz_mail: Option<String>,
    /// 1 active, 2 disabled, 4 not yet activated.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub status: Option<i64>,
    /// Avatar URL.
    #[serde(default)]
    pub avatar: Option<String>,
    /// Alias.
    #[serde(default)]
    pub alias: Option<String>,
    /// Landline.
    #[serde(default)]
    pub telephone: Option<String>,
    /// Address.
    #[serde(default)]
    pub address: Option<String>,
}

/// A department change.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct PartyChange {
    /// Department id.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub id: i64,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Parent department id.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub parent_id: Option<i64>,
    /// Sort order.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub order: Option<i64>,
}

/// A tag change; lists are comma separated as sent.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct TagChange {
    /// Tag id.
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub tag_id: i64,
    /// Members added.
    #[serde(default)]
    pub add_user_items: Option<String>,
    /// Members removed.
    #[serde(default)]
    pub del_user_items: Option<String>,
    /// Departments added.
    #[serde(default)]
    pub add_party_items: Option<String>,
    /// Departments removed.
    #[serde(default)]
    pub del_party_items: Option<String>,
}

impl ContactChange {
    pub(super) fn from_fields(fields: &serde_json::Value) -> Option<Result<Self, serde_json::Error>> {
        use serde_json::from_value;
        let change_type = fields.get("ChangeType").and_then(|value| value.as_str()).unwrap_or("");
        let owned = fields.clone();
        Some(match change_type {
            "create_user" => from_value(owned).map(ContactChange::CreateUser),
            "update_user" => from_value(owned).map(ContactChange::UpdateUser),
            "delete_user" => from_value(owned).map(ContactChange::DeleteUser),
            "create_party" => from_value(owned).map(ContactChange::CreateParty),
            "update_party" => from_value(owned).map(ContactChange::UpdateParty),
            "delete_party" => from_value(owned).map(ContactChange::DeleteParty),
            "update_tag" => from_value(owned).map(ContactChange::UpdateTag),
            other => Ok(ContactChange::Unknown { raw_change_type: other.to_owned(), fields: owned }),
        })
    }
}
