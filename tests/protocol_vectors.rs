//! Replays every WeCom test vector (tests/fixtures/wecom, copied from
//! shared/wecom/vectors) through the protocol layer: URL checks, decryption,
//! typed parsing and dedupe keys, error codes, and byte-exact reply encryption.

use pmc_webhook::wecom::{
    CallbackCrypto, CallbackQuery, EncodingAesKey, WeComError,
    payload::{self, AppContent, Callback},
};
use secrecy::SecretString;
use serde_json::Value;

fn load(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/fixtures/wecom/{name}", env!("CARGO_MANIFEST_DIR"));
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["cases"].as_array().unwrap().clone()
}

fn crypto_for(case: &Value) -> Result<CallbackCrypto, WeComError> {
    let config = &case["config"];
    let key = EncodingAesKey::parse(config["encoding_aes_key"].as_str().unwrap())?;
    Ok(CallbackCrypto::new(
        SecretString::from(config["token"].as_str().unwrap()),
        key,
        config["receive_id"].as_str().unwrap(),
    ))
}

/// Runs one case; `Err` describes a mismatch.
fn run_case(case: &Value) -> Result<(), String> {
    let id = case["id"].as_str().unwrap();
    let expected = &case["expected"];
    let outcome = (|| -> Result<Option<String>, WeComError> {
        let crypto = crypto_for(case)?;
        match case["kind"].as_str().unwrap() {
            "verify_url" => {
                let query = CallbackQuery::parse(case["request"]["raw_query"].as_str().unwrap())?;
                Ok(Some(crypto.verify_url(&query)?))
            }
            "decrypt_post_xml" | "decrypt_post_json" => {
                let query = CallbackQuery::parse(case["request"]["raw_query"].as_str().unwrap())?;
                let opened = crypto.open(&query, case["request"]["body"].as_str().unwrap().as_bytes())?;
                Ok(Some(opened.plaintext))
            }
            "encrypt_reply_xml" | "encrypt_reply_json" => {
                let input = &case["input"];
                let random: [u8; 16] =
                    hex::decode(input["random_hex"].as_str().unwrap()).unwrap().try_into().unwrap();
                let sealed = crypto.seal_reply(
                    input["plaintext"].as_str().unwrap(),
                    input["timestamp"].as_str().unwrap(),
                    input["nonce"].as_str().unwrap(),
                    &random,
                )?;
                let body =
                    if case["kind"] == "encrypt_reply_xml" { sealed.to_xml() } else { sealed.to_json() };
                if sealed.encrypt != expected["Encrypt"] || sealed.msg_signature != expected["MsgSignature"] {
                    return Ok(Some(format!(
                        "MISMATCH encrypt={} signature={}",
                        sealed.encrypt, sealed.msg_signature
                    )));
                }
                if body != expected["response_body"] {
                    return Ok(Some(format!("MISMATCH body={body}")));
                }
                Ok(None)
            }
            other => panic!("unknown kind {other}"),
        }
    })();

    if expected["ok"] == false {
        let code = expected["error_code"].as_i64().unwrap();
        return match outcome {
            Err(error) if error.code() as i64 == code => Ok(()),
            Err(_) if expected["any_rejection_acceptable"] == true => Ok(()),
            Err(error) => Err(format!("{id}: expected {code}, got {} ({error})", error.code())),
            Ok(_) => Err(format!("{id}: expected {code}, but it was accepted")),
        };
    }
    let plaintext = match outcome {
        Err(error) => return Err(format!("{id}: unexpected error {} ({error})", error.code())),
        Ok(None) => return Ok(()),
        Ok(Some(text)) if text.starts_with("MISMATCH") => return Err(format!("{id}: {text}")),
        Ok(Some(text)) => text,
    };
    let want =
        expected.get("http_response_body").or(expected.get("plaintext")).and_then(Value::as_str).unwrap();
    if plaintext != want {
        return Err(format!("{id}: plaintext {plaintext:?} != {want:?}"));
    }
    if !case["kind"].as_str().unwrap().starts_with("decrypt_post") {
        return Ok(());
    }
    check_typed_payload(case, &plaintext)
}

fn check_typed_payload(case: &Value, plaintext: &str) -> Result<(), String> {
    let id = case["id"].as_str().unwrap();
    let parsed = if case["kind"] == "decrypt_post_json" {
        payload::parse_json_payload(plaintext)
    } else {
        payload::parse_xml_payload(plaintext)
    };
    // Two decrypt-level positives carry a payload that is not a document:
    // msg_len = 0 and the official SDK's JSON sample with a typo.
    if matches!(id, "msg-len-zero" | "sbzhu-json-decrypt-post") {
        return match parsed {
            Err(error) if error.code() == -40002 => Ok(()),
            other => Err(format!("{id}: expected -40002 at the payload layer, got {other:?}")),
        };
    }
    let parsed = parsed.map_err(|error| format!("{id}: payload rejected: {error}"))?;
    if let Some(dedupe_key) = case["expected"]["dedupe_key"].as_str()
        && parsed.dedupe_key != dedupe_key
    {
        return Err(format!("{id}: dedupe key {} != {dedupe_key}", parsed.dedupe_key));
    }
    // The WeChat Official Account sample is a reply (no MsgId), not an app callback: kept as unknown.
    let typed = match &parsed.callback {
        Callback::Unknown { .. } => false,
        Callback::App { content, .. } => {
            matches!(content, AppContent::Message { .. } | AppContent::Event { .. })
        }
        Callback::SmartRobot(robot) => !matches!(robot.body, payload::SmartRobotBody::Unknown { .. }),
        _ => true,
    };
    if !typed && id != "third-party-mp-reply" {
        return Err(format!("{id}: parsed only as unknown: {:?}", parsed.callback));
    }
    if parsed.callback_type.contains("unknown") && id != "third-party-mp-reply" {
        return Err(format!("{id}: type label {}", parsed.callback_type));
    }
    Ok(())
}

fn run_file(name: &str) -> (usize, Vec<String>) {
    let cases = load(name);
    let failures: Vec<String> = cases.iter().filter_map(|case| run_case(case).err()).collect();
    println!("{name}: {}/{} cases pass", cases.len() - failures.len(), cases.len());
    (cases.len(), failures)
}

#[test]
fn every_official_sample_passes() {
    let (count, failures) = run_file("official_vectors.json");
    assert_eq!(count, 7);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_generated_case_passes() {
    let (count, failures) = run_file("generated_vectors.json");
    assert_eq!(count, 84);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn typed_fields_come_through_for_a_template_card_click() {
    let case = load("generated_vectors.json").into_iter().find(|c| c["id"] == "evt-template-card").unwrap();
    let parsed = payload::parse_xml_payload(case["expected"]["plaintext"].as_str().unwrap()).unwrap();
    let Callback::App { header, content: AppContent::Event { event } } = parsed.callback else {
        panic!("not an app event: {:?}", parsed.callback);
    };
    let payload::AppEvent::TemplateCardEvent(card) = *event else {
        panic!("not a template card event: {event:?}");
    };
    assert_eq!(header.from_user_name, "zhangsan");
    assert_eq!(header.agent_id, Some(1000002));
    assert_eq!(card.task_id, "task-20240603-0001");
    let selected = card.selected_items.unwrap().selected_item;
    assert_eq!(selected.len(), 2);
    assert_eq!(selected[0].option_ids.option_id, vec!["o1", "o2"]);
    assert_eq!(selected[1].option_ids.option_id, vec!["o3"]);
    assert_eq!(parsed.callback_type, "event.template_card_event");
    assert_eq!(parsed.user_id.as_deref(), Some("zhangsan"));
}

#[test]
fn an_unknown_message_type_is_kept_with_its_fields() {
    let parsed = payload::parse_xml_payload(
        "<xml><ToUserName>ww</ToUserName><FromUserName>u1</FromUserName><CreateTime>5</CreateTime><MsgType>hologram</MsgType><Beam>on</Beam><MsgId>9</MsgId></xml>",
    )
    .unwrap();
    assert_eq!(parsed.callback_type, "message.hologram");
    assert_eq!(parsed.dedupe_key, "msgid:9");
    let Callback::App { content: AppContent::UnknownMessage { raw_msg_type, fields }, .. } = parsed.callback
    else {
        panic!("expected an unknown message");
    };
    assert_eq!(raw_msg_type, "hologram");
    assert_eq!(fields["Beam"], "on");
}

/// An id-less app event built from generated field values.
fn id_less_event(user: &str, time: u32, event: &str, field: &str, value: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[ww0a1b2c3d4e5f6789]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{time}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event><{field}><![CDATA[{value}]]></{field}></xml>"
    )
}

proptest::proptest! {
    /// Distinct documents never share a dedupe key; the same document,
    /// re-encrypted with any nonce, timestamp and random prefix (a retry,
    /// possibly to another replica), always gets the same one.
    #[test]
    fn dedupe_keys_separate_distinct_documents_and_join_reencryptions(
        user in "(sys|zhangsan|[a-z]{1,8})",
        time in 1_717_401_600u32..1_717_401_603,
        event in "(change_external_contact|change_external_chat|kf_msg_or_event|change_contact)",
        field in "(ExternalUserID|UpdateDetail|CurMemVer|Token|OpenKfId|NewField)",
        first in "[A-Za-z0-9]{0,12}",
        second in "[A-Za-z0-9]{0,12}",
        nonces in proptest::array::uniform2("[0-9]{1,10}"),
        prefixes in proptest::array::uniform2(proptest::array::uniform16(proptest::prelude::any::<u8>())),
    ) {
        let crypto = CallbackCrypto::new(
            SecretString::from("Tok3nForV3ctors"),
            EncodingAesKey::parse("pTD5bzLbh2r9V223o61L16+lc3GdqxJZejprMkkVZio").unwrap(),
            "ww0a1b2c3d4e5f6789",
        );
        let key_of = |plaintext: &str, nonce: &str, prefix: &[u8; 16], timestamp: &str| {
            let (query, body) = crypto
                .seal_callback(plaintext, pmc_webhook::wecom::EnvelopeFormat::Xml, timestamp, nonce, prefix)
                .unwrap();
            let opened = crypto.open(&CallbackQuery::parse(&query).unwrap(), body.as_bytes()).unwrap();
            payload::parse_xml_payload(&opened.plaintext).unwrap().dedupe_key
        };
        let one = id_less_event(&user, time, &event, &field, &first);
        let other = id_less_event(&user, time, &event, &field, &second);
        let original = key_of(&one, &nonces[0], &prefixes[0], "1717401600");
        let retry = key_of(&one, &nonces[1], &prefixes[1], "1717401660");
        proptest::prop_assert_eq!(&original, &retry);
        let distinct = key_of(&other, &nonces[0], &prefixes[0], "1717401600");
        proptest::prop_assert_eq!(first == second, original == distinct);
    }
}

/// Whether every key of `want` is in `got` with the same value (objects
/// recursively; arrays and scalars exactly); `Err` names the first difference.
fn contains(got: &Value, want: &Value, path: &str) -> Result<(), String> {
    match (got, want) {
        (Value::Object(got), Value::Object(want)) => want.iter().try_for_each(|(key, value)| {
            let at = format!("{path}.{key}");
            contains(got.get(key).unwrap_or(&Value::Null), value, &at)
        }),
        _ if got == want => Ok(()),
        _ => Err(format!("{path}: got {got}, want {want}")),
    }
}

/// The typed part of a parsed callback a payload vector describes: the
/// event of an app callback, the `detail` of a suite notice.
fn typed_part(callback: &Callback) -> Result<Value, String> {
    match callback {
        Callback::App { content: AppContent::Event { event }, .. } => {
            serde_json::to_value(event).map_err(|error| error.to_string())
        }
        Callback::Suite(notice) => serde_json::to_value(&notice.detail).map_err(|error| error.to_string()),
        other => Err(format!("not a typed event or suite notice: {other:?}")),
    }
}

#[test]
fn every_documented_payload_sample_is_typed_with_its_fields() {
    let cases = load("payload_vectors.json");
    assert_eq!(cases.len(), 63);
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let id = case["id"].as_str().unwrap();
            run_case(case).err().or_else(|| {
                let expected = &case["expected"];
                let parsed = payload::parse_xml_payload(expected["plaintext"].as_str().unwrap()).unwrap();
                if parsed.callback_type != expected["callback_type"] {
                    return Some(format!(
                        "{id}: type {} != {}",
                        parsed.callback_type, expected["callback_type"]
                    ));
                }
                typed_part(&parsed.callback)
                    .and_then(|typed| contains(&typed, &expected["typed"], ""))
                    .err()
                    .map(|error| format!("{id}: {error}"))
            })
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}
