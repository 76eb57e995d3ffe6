//! Configuration layering and validation, through the real loader and the
//! real config/notification.yaml. No test touches the process environment.

use std::collections::HashMap;

use pmc_webhook::configuration::{ChannelCredentials, CliOverrides, load_from};

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn the_seed_environment_names_configure_the_channels() {
    let settings = load_from(
        &env(&[
            ("WECHAT_CORP_ID", "wwcorp"),
            ("WECHAT_TOKEN", "tok"),
            ("WECHAT_ENCODING_AES_KEY", crate::helpers::APP_KEY),
            ("WECHAT_AGENT_ID", "1000002"),
            ("MYSQL_HOST", "db.internal"),
            ("MYSQL_PORT", "3307"),
            ("REDIS_HOST", "cache"),
            ("LOG_LEVEL", "debug"),
            ("PMC_DATA_DIR", "/tmp/pmc-data"),
        ]),
        &CliOverrides::default(),
    )
    .unwrap();
    assert!(
        matches!(settings.channels.wechat_api.credentials().unwrap(), ChannelCredentials::Ready(ref c) if c[0].receive_id() == "wwcorp")
    );
    assert_eq!(settings.channels.wechat_api.agent_id.as_deref(), Some("1000002"));
    assert_eq!(settings.mysql.host.as_deref(), Some("db.internal"));
    assert_eq!(settings.mysql.port, 3307);
    assert_eq!(settings.redis.host.as_deref(), Some("cache"));
    assert_eq!(settings.log.level, "debug");
    assert_eq!(settings.storage.data_dir.to_str(), Some("/tmp/pmc-data"));
    assert!(matches!(
        settings.channels.wechat_bot.credentials().unwrap(),
        ChannelCredentials::Unconfigured(_)
    ));
}

#[test]
fn layers_apply_in_order_file_then_env_file_then_environment_then_cli() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("custom.yaml");
    std::fs::write(&file, "webhook:\n  port: 9001\nlog:\n  level: \"${FILE_LEVEL:-warn}\"\nstorage:\n  dedupe_window_secs: 60\n").unwrap();
    let dotenv = dir.path().join(".env");
    std::fs::write(&dotenv, "LOG_LEVEL=debug\nPMC_PORT=9002\nFILE_LEVEL=error\n").unwrap();

    // File only: its own values, with ${…} resolved.
    let only_file = load_from(
        &env(&[("FILE_LEVEL", "trace")]),
        &CliOverrides { config_file: Some(file.clone()), ..Default::default() },
    )
    .unwrap();
    assert_eq!(only_file.webhook.port, 9001);
    assert_eq!(only_file.log.level, "trace");
    assert_eq!(only_file.storage.dedupe_window_secs, 60);

    // .env below the process environment, both above the file; CLI on top.
    let layered =
        pmc_webhook::configuration::environment_from(&dotenv, [("PMC_PORT".to_owned(), "9003".to_owned())])
            .unwrap();
    let settings =
        load_from(&layered, &CliOverrides { config_file: Some(file.clone()), ..Default::default() }).unwrap();
    assert_eq!(settings.log.level, "debug", ".env's LOG_LEVEL beats the file");
    assert_eq!(settings.webhook.port, 9003, "the environment beats .env");
    let settings = load_from(
        &layered,
        &CliOverrides {
            config_file: Some(file),
            port: Some(9004),
            log_level: Some("info".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(settings.webhook.port, 9004, "CLI flags beat everything");
    assert_eq!(settings.log.level, "info");
}

#[test]
fn a_42_character_key_fails_at_start_naming_the_key() {
    let error = load_from(
        &env(&[
            ("WECHAT_CORP_ID", "ww"),
            ("WECHAT_TOKEN", "t"),
            ("WECHAT_ENCODING_AES_KEY", "pTD5bzLbh2r9V223o61L16+lc3GdqxJZejprMkkVZi"),
        ]),
        &CliOverrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("channels.wechat_api.encoding_aes_key"), "{error}");
    assert!(error.contains("WECHAT_ENCODING_AES_KEY"), "{error}");
    assert!(!error.contains("pTD5bzLb"), "the value itself is never echoed: {error}");
}

#[test]
fn an_explicit_config_file_that_does_not_exist_is_an_error() {
    let error = load_from(
        &env(&[]),
        &CliOverrides { config_file: Some("/nonexistent/x.yaml".into()), ..Default::default() },
    )
    .unwrap_err();
    assert!(error.to_string().contains("/nonexistent/x.yaml"));
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let settings = load_from(
        &env(&[
            ("WECHAT_CORP_ID", "wwcorp"),
            ("WECHAT_TOKEN", "SUPERSECRETTOKEN"),
            ("WECHAT_ENCODING_AES_KEY", crate::helpers::APP_KEY),
            ("WECHAT_CORP_SECRET", "SUPERSECRETCORP"),
            ("MYSQL_PASSWORD", "SUPERSECRETDB"),
            ("REDIS_PASSWORD", "SUPERSECRETREDIS"),
            ("WECHAT_BOT_WEBHOOK_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SUPERSECRETKEY"),
        ]),
        &CliOverrides::default(),
    )
    .unwrap();
    let printed = format!("{settings:?} {:?}", settings.channels.wechat_api.credentials().unwrap());
    assert!(!printed.contains("SUPERSECRET"), "{printed}");
    assert!(!printed.contains(crate::helpers::APP_KEY), "{printed}");
    assert!(printed.contains("wwcorp"));
}

#[test]
fn external_storage_needs_mysql_and_builds_its_url_from_the_seed_names() {
    let error = load_from(&env(&[("PMC_STORAGE", "external")]), &CliOverrides::default()).unwrap_err();
    assert!(error.to_string().contains("MYSQL_HOST"), "{error}");
    let settings = load_from(
        &env(&[
            ("PMC_STORAGE", "external"),
            ("MYSQL_HOST", "db.internal"),
            ("MYSQL_PORT", "3307"),
            ("MYSQL_USER", "pmc"),
            ("MYSQL_PASSWORD", "p@ss/w:rd"),
            ("MYSQL_DATABASE", "notify"),
        ]),
        &CliOverrides::default(),
    )
    .unwrap();
    assert_eq!(settings.storage.mode, pmc_webhook::configuration::StorageMode::External);
    let url = settings.mysql.url().unwrap().expose().to_owned();
    assert_eq!(
        url, "mysql://pmc:p%40ss%2Fw%3Ard@db.internal:3307/notify?ssl-mode=PREFERRED",
        "the password is escaped"
    );
    assert!(!format!("{settings:?}").contains("p@ss"), "and never printed");
    let default = load_from(&env(&[]), &CliOverrides::default()).unwrap();
    assert_eq!(default.storage.mode, pmc_webhook::configuration::StorageMode::Embedded);
}

#[test]
fn background_thread_settings_out_of_range_fail_at_start_naming_the_setting() {
    for (name, value, key) in [
        ("PMC__TRACKING__BACKGROUND_THREADS", "0", "tracking.background_threads"),
        ("PMC__TRACKING__BACKGROUND_NICE", "-5", "tracking.background_nice"),
        ("PMC__TRACKING__BACKGROUND_NICE", "20", "tracking.background_nice"),
    ] {
        let error = load_from(&env(&[(name, value)]), &CliOverrides::default()).unwrap_err();
        assert!(
            error.to_string().contains(key) && error.to_string().contains(value),
            "{name}={value}: {error}"
        );
    }
    let settings =
        load_from(&env(&[("PMC__TRACKING__BACKGROUND_NICE", "0")]), &CliOverrides::default()).unwrap();
    assert_eq!((settings.tracking.background_threads, settings.tracking.background_nice), (2, 0));
}

#[test]
fn backend_connection_strings_take_tls_and_credentials_and_are_printed_redacted() {
    let settings = load_from(
        &env(&[
            (
                "MONGODB_URI",
                "mongodb://raw:m0ngo-pw@db1:27017,db2:27017/logs?authSource=admin&replicaSet=rs0&tls=true",
            ),
            ("MONGODB_HOST", "ignored.internal"),
            ("REDIS_HOST", "cache.internal"),
            ("REDIS_PASSWORD", "r3dis-pw"),
            ("REDIS_TLS", "true"),
            ("MYSQL_HOST", "db.internal"),
            ("MYSQL_PASSWORD", "my-pw"),
            ("MYSQL_SSL_MODE", "verify_full"),
            ("MYSQL_SSL_CA", "/etc/pmc/ca.pem"),
        ]),
        &CliOverrides::default(),
    )
    .unwrap();
    let mongo = settings.mongodb.url().unwrap();
    assert!(mongo.expose().starts_with("mongodb://raw:m0ngo-pw@db1:27017,db2:27017/logs"), "the URI wins");
    assert_eq!(settings.redis.connection_url().unwrap().expose(), "rediss://:r3dis-pw@cache.internal:6379/");
    let mysql = settings.mysql.url().unwrap();
    assert!(mysql.expose().ends_with("?ssl-mode=VERIFY_IDENTITY&ssl-ca=%2Fetc%2Fpmc%2Fca.pem"), "{mysql}");
    // `pmc-webhook config` prints `{settings:#?}`.
    let printed = format!("{settings:#?}");
    for secret in ["m0ngo-pw", "r3dis-pw", "my-pw"] {
        assert!(!printed.contains(secret), "{secret} printed");
    }
    assert!(
        printed
            .contains("mongodb://raw:***@db1:27017,db2:27017/logs?authSource=admin&replicaSet=rs0&tls=true")
    );
    // Host/port with a user.
    let settings = load_from(
        &env(&[("MONGODB_HOST", "m.internal"), ("MONGODB_USER", "app"), ("MONGODB_PASSWORD", "p@ss")]),
        &CliOverrides::default(),
    )
    .unwrap();
    assert_eq!(settings.mongodb.url().unwrap().expose(), "mongodb://app:p%40ss@m.internal:27017/");
    let bad = load_from(&env(&[("MYSQL_SSL_MODE", "sometimes")]), &CliOverrides::default());
    assert!(
        bad.unwrap_err().to_string().contains("tls"),
        "an unknown TLS mode is refused naming the setting"
    );
}
