//! Examples shown in the spec and in Swagger UI for the bodies people
//! write and read most (`#[oai(example)]`).

use std::collections::BTreeMap;

use poem_openapi::types::Example;
use serde_json::json;

use super::{
    error::ErrorBody,
    forwarding::ReplayRequest,
    message_actions::CardUpdate,
    message_bodies::{MessageBody, MessageStatusBody, RecipientBody, RegisterMessage},
    subscriptions::{NewSubscription, SecretRotation},
};

fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse().expect("a valid example time")
}

impl Example for RegisterMessage {
    fn example() -> Self {
        RegisterMessage {
            id: Some("order-20261128-0001".to_owned()),
            channel: "wecom_app".to_owned(),
            account: Some("default".to_owned()),
            corp_id: None,
            recipients: vec!["zhangsan".to_owned(), "lisi".to_owned()],
            parties: Vec::new(),
            tags: Vec::new(),
            chatid: None,
            open_kfid: None,
            welcome_code: None,
            msgtype: Some("text".to_owned()),
            text: Some(json!({"content": "订单 0001 已发货"})),
            markdown: None,
            markdown_v2: None,
            textcard: None,
            news: None,
            template_card: None,
            image: None,
            file: None,
            voice: None,
            video: None,
            mpnews: None,
            miniprogram_notice: None,
            safe: false,
            enable_duplicate_check: true,
            duplicate_check_interval: None,
            wecom_msgid: None,
            task_id: None,
            status: None,
        }
    }
}

fn recipients() -> Vec<RecipientBody> {
    vec![
        RecipientBody {
            recipient: "lisi".to_owned(),
            status: "sent".to_owned(),
            reached: vec!["sent".to_owned()],
        },
        RecipientBody {
            recipient: "zhangsan".to_owned(),
            status: "read".to_owned(),
            reached: vec!["sent".to_owned(), "delivered".to_owned(), "read".to_owned()],
        },
    ]
}

fn counts() -> BTreeMap<String, u64> {
    BTreeMap::from([("read".to_owned(), 1), ("sent".to_owned(), 1)])
}

impl Example for MessageBody {
    fn example() -> Self {
        MessageBody {
            id: "order-20261128-0001".to_owned(),
            channel: "wecom_app".to_owned(),
            account: "default".to_owned(),
            status: Some("read".to_owned()),
            registered: true,
            wecom_msgid: Some("wmF3kqDwAAgWqBNh3Kx2G0XgA".to_owned()),
            task_id: None,
            created_at: at("2026-11-28T08:00:00Z"),
            updated_at: at("2026-11-28T08:03:12Z"),
            recipients: recipients(),
            counts: counts(),
        }
    }
}

impl Example for MessageStatusBody {
    fn example() -> Self {
        MessageStatusBody {
            message_id: "order-20261128-0001".to_owned(),
            status: Some("read".to_owned()),
            recipients: recipients(),
            counts: counts(),
            updated_at: at("2026-11-28T08:03:12Z"),
        }
    }
}

impl Example for ErrorBody {
    fn example() -> Self {
        ErrorBody {
            error: "not_found".to_owned(),
            message: "no message with id order-20261128-0001".to_owned(),
            code: None,
        }
    }
}

impl Example for NewSubscription {
    fn example() -> Self {
        NewSubscription {
            url: "https://erp.example.com/wecom-events".to_owned(),
            kinds: vec!["status".to_owned(), "interaction".to_owned()],
            accounts: vec!["hr".to_owned()],
            secret: None,
        }
    }
}

impl Example for SecretRotation {
    fn example() -> Self {
        SecretRotation { secret: None, overlap_secs: Some(86_400) }
    }
}

impl Example for ReplayRequest {
    fn example() -> Self {
        ReplayRequest {
            since: at("2026-11-28T00:00:00Z"),
            until: Some(at("2026-11-28T12:00:00Z")),
            kinds: vec!["status".to_owned()],
            subscription_id: Some("sub_0123456789abcdef01234567".to_owned()),
        }
    }
}

impl Example for CardUpdate {
    fn example() -> Self {
        CardUpdate {
            userids: Vec::new(),
            partyids: Vec::new(),
            tagids: Vec::new(),
            button: Some(json!({"replace_name": "已处理"})),
            template_card: None,
        }
    }
}
