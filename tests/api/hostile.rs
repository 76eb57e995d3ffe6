//! Hostile input over HTTP, against the real binary: every attack gets a
//! clear 4xx or a closed connection, the service stays up, its memory stays
//! bounded (peak RSS read from /proc), and nothing hostile is stored.

use std::time::{Duration, Instant};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{
    durability::{free_port, start_service},
    helpers::{API_TOKEN, APP_KEY, APP_TOKEN, CORP_ID, app_crypto, now},
};
use pmc_webhook::wecom::EnvelopeFormat;

const APP: &str = "/api/v1/webhooks/wechat/api";

/// Sends raw bytes and returns the status code of the answer, or `None`
/// if the connection was closed without one.
async fn raw(port: u16, request: &[u8]) -> Option<u16> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // Written while the answer is read: a server refusing early answers
    // before the client has finished sending.
    let request = request.to_vec();
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(&request).await;
        writer
    });
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buffer = [0u8; 4096];
        while let Ok(read) = reader.read(&mut buffer).await {
            if read == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..read]);
            if answer.windows(4).any(|window| window == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    writing.abort();
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ").and_then(|rest| rest.get(..3)).and_then(|code| code.parse().ok())
}

fn post(path: &str, body: &[u8], extra_headers: &str) -> Vec<u8> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

fn peak_rss_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
}

/// An authentic callback whose decrypted document is `plaintext`.
fn sealed(plaintext: &str) -> (String, String) {
    app_crypto().seal_callback(plaintext, EnvelopeFormat::Xml, &now(), "1", &rand::random()).unwrap()
}

#[tokio::test]
async fn hostile_requests_get_clear_refusals_and_the_service_stays_up_with_bounded_memory() {
    let temp = tempfile::tempdir().unwrap();
    let env_file = temp.path().join("hostile.env");
    std::fs::write(
        &env_file,
        format!(
            "WECHAT_CORP_ID={CORP_ID}\nWECHAT_TOKEN={APP_TOKEN}\nWECHAT_ENCODING_AES_KEY={APP_KEY}\n\
             PMC__WEBHOOK__REQUEST_TIMEOUT_SECS=2\nPMC_CALLBACK_RATE_LIMIT=0\n"
        ),
    )
    .unwrap();
    let data_dir = temp.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let port = free_port();
    let service = start_service(&env_file, &data_dir, port).await;
    let pid = service.id().unwrap();
    let baseline = peak_rss_mb(pid);
    let report = std::cell::RefCell::new(Vec::new());
    let expect = |name: &str, status: Option<u16>, allowed: &[Option<u16>]| {
        assert!(allowed.contains(&status), "{name}: answered {status:?}, expected one of {allowed:?}");
        report.borrow_mut().push(format!("{name}: {status:?}"));
    };

    // Bodies far over the cap, declared and chunked, repeatedly: refused before buffering.
    let huge = vec![b'A'; 64 << 20];
    for _ in 0..8 {
        expect("oversized body (64 MiB, declared)", raw(port, &post(APP, &huge, "")).await, &[Some(413)]);
    }
    let mut chunked =
        format!("POST {APP}?msg_signature=a&timestamp=1&nonce=2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            .into_bytes();
    for _ in 0..64 {
        chunked.extend_from_slice(format!("{:x}\r\n", 1 << 20).as_bytes());
        chunked.extend_from_slice(&vec![b'B'; 1 << 20]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    expect("oversized body (64 MiB, chunked)", raw(port, &chunked).await, &[Some(413)]);

    // Slowloris: a body trickled one byte a second is cut off by the request deadline.
    let started = Instant::now();
    let mut slow = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    slow.write_all(format!("POST {APP}?msg_signature=a&timestamp=1&nonce=2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    for _ in 0..20 {
        if slow.write_all(b"<").await.is_err() {
            break;
        }
        let mut buffer = [0u8; 1024];
        if let Ok(Ok(read)) = tokio::time::timeout(Duration::from_secs(1), slow.read(&mut buffer)).await {
            answer.extend_from_slice(&buffer[..read]);
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408") || answer.is_empty(), "slow body: {text}");
    assert!(started.elapsed() < Duration::from_secs(10), "cut off by the 2 s deadline, not left open");
    report.borrow_mut().push(format!("slow body: {}", text.lines().next().unwrap_or("closed")));

    // Deep nesting and entity expansion, in the envelope and (authentic) inside it.
    let deep = format!("<xml>{}{}</xml>", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let query = "msg_signature=a&timestamp=1&nonce=2";
    expect(
        "deep XML envelope",
        raw(port, &post(&format!("{APP}?{query}"), deep.as_bytes(), "")).await,
        &[Some(400)],
    );
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><Encrypt>&lol3;</Encrypt></xml>"#;
    expect(
        "billion laughs envelope",
        raw(port, &post(&format!("{APP}?{query}"), laughs.as_bytes(), "")).await,
        &[Some(400)],
    );
    let (query, body) = sealed(&format!(
        "<!DOCTYPE x [<!ENTITY a \"{}\">]><xml><ToUserName>{CORP_ID}</ToUserName><MsgType>text</MsgType><Content>&a;&a;&a;</Content><MsgId>1</MsgId></xml>",
        "x".repeat(1000)
    ));
    expect(
        "authentic billion laughs (quarantined)",
        raw(port, &post(&format!("{APP}?{query}"), body.as_bytes(), "")).await,
        &[Some(400)],
    );
    let (query, body) = sealed(&format!("<xml>{}{}</xml>", "<b>".repeat(50_000), "</b>".repeat(50_000)));
    expect(
        "authentic deep XML (quarantined)",
        raw(port, &post(&format!("{APP}?{query}"), body.as_bytes(), "")).await,
        &[Some(400)],
    );

    // Invalid UTF-8 in the body and in the query.
    expect(
        "invalid UTF-8 body",
        raw(port, &post(&format!("{APP}?{query}"), b"<xml><Encrypt>\xff\xfe\xfd</Encrypt></xml>", "")).await,
        &[Some(400), Some(403)],
    );
    expect(
        "invalid UTF-8 query",
        raw(port, &post(&format!("{APP}?msg_signature=%ff%fe&timestamp=1&nonce=2"), b"<xml/>", "")).await,
        &[Some(400)],
    );
    // Wrong methods, duplicate query keys, a missing query.
    expect("PUT on a callback route", raw(port, b"PUT /api/v1/webhooks/wechat/api HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await, &[Some(405)]);
    expect(
        "DELETE on a callback route",
        raw(port, b"DELETE /api/v1/webhooks/wechat/bot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await,
        &[Some(405)],
    );
    expect(
        "duplicate query keys",
        raw(
            port,
            &post(
                &format!("{APP}?msg_signature=a&msg_signature=b&timestamp=1&nonce=2"),
                b"<xml><Encrypt>AAAA</Encrypt></xml>",
                "",
            ),
        )
        .await,
        &[Some(400)],
    );
    expect("no query", raw(port, &post(APP, b"<xml><Encrypt>AAAA</Encrypt></xml>", "")).await, &[Some(400)]);
    // Huge headers: one of 256 KiB, and 5 000 small ones.
    let big_header = format!("X-Big: {}\r\n", "h".repeat(256 << 10));
    expect("a 256 KiB header", raw(port, &post(APP, b"", &big_header)).await, &[Some(431), Some(400), None]);
    let many: String = (0..5000).map(|n| format!("X-H{n}: v\r\n")).collect();
    expect("5 000 headers", raw(port, &post(APP, b"", &many)).await, &[Some(431), Some(400), None]);
    // Garbage that is not HTTP at all.
    expect(
        "not HTTP",
        raw(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n").await,
        &[Some(400), None],
    );
    // The management API: no token, and a JSON bomb of nesting.
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let status = raw(
        port,
        &post(
            "/api/v1/messages",
            nested.as_bytes(),
            &format!("Authorization: Bearer {API_TOKEN}\r\nContent-Type: application/json\r\n"),
        ),
    )
    .await;
    expect("deeply nested JSON", status, &[Some(400), Some(422)]);

    // Still up, still answering, nothing hostile stored, memory bounded.
    let client = crate::helpers::api_client();
    let health = client.get(format!("http://127.0.0.1:{port}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let events: serde_json::Value = client
        .get(format!("http://127.0.0.1:{port}/api/v1/events"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(events["events"].as_array().unwrap().len(), 0, "nothing hostile stored: {events}");
    let peak = peak_rss_mb(pid);
    println!("hostile input: {:#?}\npeak RSS {baseline} MB at start → {peak} MB after", report.borrow());
    assert!(peak < baseline + 150, "peak RSS grew from {baseline} MB to {peak} MB");
}
