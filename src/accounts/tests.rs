use std::collections::HashMap;

use secrecy::ExposeSecret;

use super::*;
use crate::configuration::{CliOverrides, load_from};

const KEY_A: &str = "pTD5bzLbh2r9V223o61L16+lc3GdqxJZejprMkkVZio";

fn load(yaml: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notification.yaml");
    std::fs::write(&file, yaml).unwrap();
    let env: HashMap<String, String> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    load_from(&env, &CliOverrides { config_file: Some(file), ..Default::default() })
}

#[test]
fn the_seed_variables_define_the_default_app_and_robot() {
    let settings = load(
        "",
        &[
            ("WECHAT_CORP_ID", "ww1"),
            ("WECHAT_TOKEN", "t"),
            ("WECHAT_ENCODING_AES_KEY", KEY_A),
            ("WECHAT_AGENT_ID", "1000002"),
            ("WECHAT_BOT_WEBHOOK_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1"),
        ],
    )
    .unwrap();
    let accounts = Accounts::from_settings(&settings).unwrap();
    let app = accounts.get(Family::Api, "default").unwrap();
    assert!(app.legacy && app.callback.is_ok());
    assert_eq!(app.agent_id, Some(1_000_002));
    assert_eq!(app.dedupe_namespace(), None);
    let robot = accounts.get(Family::Bot, "default").unwrap();
    assert_eq!(robot.callback.as_ref().unwrap_err(), "missing WECHAT_BOT_TOKEN, WECHAT_BOT_ENCODING_AES_KEY");
    assert!(robot.can_send().is_ok());
    assert_eq!(
        app.can_send().unwrap_err(),
        "sending through app account default needs WECHAT_CORP_SECRET",
        "the seed's names for the seed's accounts"
    );
    assert_eq!(accounts.default_api_route().len(), 1);
}

#[test]
fn configured_accounts_are_validated_and_namespaced() {
    let yaml = format!(
        "accounts:\n\
         - {{id: hr, kind: app, corp_id: ww1, agent_id: '1000005', secret: s, token: t, encoding_aes_key: '{KEY_A}'}}\n\
         - {{id: isv, kind: suite, suite_id: wwsuite, suite_secret: ss, token: t2, encoding_aes_key: '{KEY_A}'}}\n\
         - {{id: ops-bot, kind: robot, token: t3, encoding_aes_key: '{KEY_A}', webhook_url: 'https://x/send?key=abc'}}\n"
    );
    let settings = load(&yaml, &[]).unwrap();
    let accounts = Accounts::from_settings(&settings).unwrap();
    let hr = accounts.get(Family::Api, "hr").unwrap();
    assert_eq!(hr.route(), "/api/v1/webhooks/wechat/api/hr");
    assert_eq!(hr.dedupe_namespace().as_deref(), Some("account:hr"));
    assert_eq!(hr.callback.as_ref().unwrap().receive_id(), "ww1");
    let isv = accounts.get(Family::Api, "isv").unwrap();
    assert_eq!(isv.callback.as_ref().unwrap().receive_id(), "wwsuite");
    assert!(accounts.get(Family::Bot, "isv").is_none(), "suites are on the app routes");
    let bot = accounts.get(Family::Bot, "ops-bot").unwrap();
    assert_eq!(bot.robot_key.as_ref().unwrap().expose_secret(), "abc");
    assert_eq!(bot.credentials_set(), vec!["token", "encoding_aes_key", "webhook_url"]);
    // default app + default robot + three.
    assert_eq!(accounts.len(), 5);
}

#[test]
fn mistakes_are_refused_naming_the_account() {
    for (yaml, expected) in [
        ("accounts:\n- {id: HR, kind: app}\n", "invalid account HR: account id may only hold"),
        ("accounts:\n- {id: a, kind: app}\n- {id: a, kind: suite}\n", "invalid account a: defined twice"),
        ("accounts:\n- {id: default, kind: app}\n", "the seed's channels settings already define it"),
        ("accounts:\n- {id: b, kind: robot, agent_id: '1'}\n", "agent_id does not apply to a robot account"),
        ("accounts:\n- {id: s, kind: suite, corp_id: ww}\n", "corp_id (a suite's corps"),
        ("accounts:\n- {id: c, kind: app, encoding_aes_key: short}\n", "invalid account c: encoding_aes_key"),
        ("accounts:\n- {id: d, kind: app, agent_id: x}\n", "agent_id must be a number"),
        ("accounts:\n- {id: e, kind: app, corpid: ww}\n", "unknown field `corpid`"),
    ] {
        let error = load(yaml, &[]).unwrap_err().to_string();
        assert!(error.contains(expected), "{yaml}: {error}");
    }
}

#[test]
fn a_robot_and_an_app_may_share_an_id() {
    let settings = load("accounts:\n- {id: ops, kind: app}\n- {id: ops, kind: robot}\n", &[]).unwrap();
    let accounts = Accounts::from_settings(&settings).unwrap();
    assert_eq!(accounts.get(Family::Api, "ops").unwrap().kind, AccountKind::App);
    assert_eq!(accounts.get(Family::Bot, "ops").unwrap().kind, AccountKind::Robot);
    assert!(accounts.get(Family::Api, "ops").unwrap().callback.is_err());
}

#[test]
fn robots_answer_with_streams_when_told_and_only_robots_can_be_told() {
    let yaml = format!(
        "accounts:\n\
         - {{id: ops, kind: robot, reply: stream, thinking_text: '查询中', token: t, encoding_aes_key: '{KEY_A}'}}\n\
         - {{id: quiet, kind: robot, token: t, encoding_aes_key: '{KEY_A}'}}\n"
    );
    let settings = load(&yaml, &[("WECHAT_BOT_REPLY", "stream")]).unwrap();
    let accounts = Accounts::from_settings(&settings).unwrap();
    let ops = accounts.get(Family::Bot, "ops").unwrap();
    assert_eq!((ops.reply, ops.thinking_text.as_deref()), (RobotReplyMode::Stream, Some("查询中")));
    assert_eq!(accounts.get(Family::Bot, "quiet").unwrap().reply, RobotReplyMode::None);
    assert_eq!(
        accounts.get(Family::Bot, "default").unwrap().reply,
        RobotReplyMode::Stream,
        "WECHAT_BOT_REPLY"
    );
    // An empty variable (a `.env` left blank) is the default.
    let blank = load("", &[("WECHAT_BOT_REPLY", "")]).unwrap();
    assert_eq!(
        Accounts::from_settings(&blank).unwrap().get(Family::Bot, "default").unwrap().reply,
        RobotReplyMode::None
    );
    assert!(load("", &[("WECHAT_BOT_REPLY", "streams")]).is_err());
    assert!(load("", &[("PMC__ROBOT__STREAM_DEADLINE_SECS", "400")]).is_err(), "past WeCom's 6 minutes");
    assert!(load("", &[("PMC__ROBOT__STREAM_KEEPALIVE_SECS", "0")]).is_err());
    let app = format!(
        "accounts:\n- {{id: hr, kind: app, corp_id: ww1, reply: stream, token: t, encoding_aes_key: '{KEY_A}'}}\n"
    );
    let refused = load(&app, &[]).unwrap_err();
    assert!(refused.to_string().contains("reply does not apply to a app account"), "{refused}");
}
