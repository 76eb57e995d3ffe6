//! Parsing, labels and dedupe keys of whole callbacks.

use proptest::prelude::*;

use super::*;
use crate::wecom::Envelope;

proptest! {
    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_xml_payload(&text);
        let _ = parse_json_payload(&text);
        let _ = Envelope::parse(&bytes);
    }

    #[test]
    fn parsing_wecom_shaped_xml_never_panics(
        msg_type in "(text|image|event|location|x)",
        event in "(click|change_contact|template_card_event|sys_approval_change|LOCATION|zzz)",
        field in "[A-Za-z_]{1,12}",
        value in "[^<>&]{0,20}",
    ) {
        let document = format!(
            "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>{value}</CreateTime><MsgType>{msg_type}</MsgType><Event>{event}</Event><{field}>{value}</{field}></xml>"
        );
        let parsed = parse_xml_payload(&document).unwrap();
        prop_assert!(!parsed.dedupe_key.is_empty());
    }

    #[test]
    fn parsing_robot_shaped_json_never_panics(msgtype in "(text|image|event|stream|mixed|x)", key in "[a-z_]{1,10}", value in any::<i64>()) {
        let document = serde_json::json!({"msgid": "m", "msgtype": msgtype, key.clone(): value, "event": {"eventtype": key}}).to_string();
        let parsed = parse_json_payload(&document).unwrap();
        prop_assert_eq!(parsed.dedupe_key, "msgid:m");
    }
}

#[test]
fn an_unknown_event_is_kept_with_its_fields() {
    let parsed = parse_xml_payload(
        "<xml><ToUserName>ww</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>future_event</Event><Extra>x</Extra></xml>",
    )
    .unwrap();
    assert_eq!(parsed.callback_type, "event.future_event");
    assert!(parsed.dedupe_key.starts_with("evt:u:1:future_event:"), "{}", parsed.dedupe_key);
    assert!(
        matches!(parsed.callback, Callback::App { content: AppContent::UnknownEvent { ref fields, .. }, .. } if fields["Extra"] == "x")
    );
}

#[test]
fn untyped_documented_lists_keep_their_shape_with_one_or_two_items() {
    for items in ["<Item>a</Item>", "<Item>a</Item><Item>b</Item>"] {
        let parsed = parse_xml_payload(&format!(
            "<xml><ToUserName>ww</ToUserName><FromUserName>sys</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>future_chat_event</Event><MemChangeList>{items}</MemChangeList></xml>"
        ))
        .unwrap();
        let Callback::App { content: AppContent::UnknownEvent { fields, .. }, .. } = parsed.callback else {
            panic!("expected an unknown event");
        };
        assert!(fields["MemChangeList"]["Item"].is_array(), "{fields}");
    }
}

#[test]
fn customer_changes_are_labelled_by_change_type_and_name_the_member() {
    let parsed = parse_xml_payload(
        "<xml><ToUserName>ww</ToUserName><FromUserName>sys</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>change_external_contact</Event><ChangeType>add_external_contact</ChangeType><UserID>zhangsan</UserID><ExternalUserID>wmX</ExternalUserID><State>s1</State><WelcomeCode>W</WelcomeCode></xml>",
    )
    .unwrap();
    assert_eq!(parsed.callback_type, "event.change_external_contact.add_external_contact");
    assert_eq!(parsed.user_id.as_deref(), Some("zhangsan"));
    let relayed = parse_xml_payload(
        "<xml><SuiteId>ww5f</SuiteId><AuthCorpId>wwC</AuthCorpId><InfoType>change_external_chat</InfoType><TimeStamp>2</TimeStamp><ChangeType>update</ChangeType><ChatId>wr1</ChatId><UpdateDetail>del_member</UpdateDetail><QuitScene>0</QuitScene><MemChangeCnt>1</MemChangeCnt><MemChangeList><Item>wmX</Item></MemChangeList></xml>",
    )
    .unwrap();
    assert_eq!(relayed.callback_type, "suite.change_external_chat.update");
    let Callback::Suite(notice) = relayed.callback else { panic!("not a suite notice") };
    let SuiteDetail::ChangeExternalChat(ExternalChatChange::Update(update)) = notice.detail else {
        panic!("not typed: {:?}", notice.detail);
    };
    assert_eq!((update.quit_scene, update.mem_change_list), (Some(0), vec!["wmX".to_owned()]));
}

#[test]
fn a_suite_ticket_is_typed_and_keyed_by_suite_type_and_time() {
    let parsed = parse_xml_payload(
        "<xml><SuiteId><![CDATA[ww5f]]></SuiteId><InfoType><![CDATA[suite_ticket]]></InfoType><TimeStamp>1717401600</TimeStamp><SuiteTicket><![CDATA[t1]]></SuiteTicket></xml>",
    )
    .unwrap();
    assert_eq!(parsed.callback_type, "suite.suite_ticket");
    assert!(parsed.dedupe_key.starts_with("suite:ww5f:suite_ticket:1717401600:"), "{}", parsed.dedupe_key);
    let Callback::Suite(notice) = parsed.callback else { panic!("not a suite notice") };
    assert_eq!(notice.suite_ticket.as_deref(), Some("t1"));
}
