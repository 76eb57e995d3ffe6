//! Per-callback CPU cost of the hot path, one step at a time and whole, for
//! every callback type the simulator knows (`cargo bench --bench callbacks`):
//! signature check, decrypt, parse, encrypt a passive reply, one state
//! machine step. End-to-end HTTP figures are in `bench/load.sh`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pmc_actors::{Status, status::RecipientState};
use pmc_webhook::{
    simulator::corpus::{self, Route},
    wecom::{
        CallbackCrypto, CallbackQuery, EncodingAesKey, EnvelopeFormat,
        envelope::Envelope,
        payload::{parse_json_payload, parse_xml_payload},
    },
};
use secrecy::SecretString;

const CORP_ID: &str = "ww0a1b2c3d4e5f6789";

fn app() -> CallbackCrypto {
    CallbackCrypto::new(
        SecretString::from("Tok3nForV3ctors"),
        EncodingAesKey::parse("pTD5bzLbh2r9V223o61L16+lc3GdqxJZejprMkkVZio").unwrap(),
        CORP_ID,
    )
}

fn bot() -> CallbackCrypto {
    CallbackCrypto::new(
        SecretString::from("RobotTok3n"),
        EncodingAesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").unwrap(),
        "",
    )
}

/// Every sample type, sealed as WeCom would send it: (name, crypto, format, query, body).
fn sealed() -> Vec<(&'static str, CallbackCrypto, EnvelopeFormat, CallbackQuery, String)> {
    let now = chrono::Utc::now().timestamp();
    corpus::samples(1, 1, now, CORP_ID)
        .into_iter()
        .map(|sample| {
            let (crypto, format) = match sample.route {
                Route::App => (app(), EnvelopeFormat::Xml),
                Route::BotJson => (bot(), EnvelopeFormat::Json),
                Route::BotXml => (bot(), EnvelopeFormat::Xml),
            };
            let (query, body) = crypto
                .seal_callback(&sample.plaintext, format, &now.to_string(), "1719203847", &[7; 16])
                .unwrap();
            (sample.name, crypto, format, CallbackQuery::parse(&query).unwrap(), body)
        })
        .collect()
}

fn steps(c: &mut Criterion) {
    let crypto = app();
    let samples = sealed();
    let (_, _, _, query, body) = samples.iter().find(|sample| sample.0 == "message.text").unwrap();
    let envelope = Envelope::parse(body.as_bytes()).unwrap();
    let opened = crypto.open(query, body.as_bytes()).unwrap();
    let mut group = c.benchmark_group("step");
    group.throughput(Throughput::Elements(1));
    group.bench_function("envelope_parse", |b| {
        b.iter(|| Envelope::parse(black_box(body.as_bytes())).unwrap())
    });
    group.bench_function("signature_check", |b| {
        b.iter(|| crypto.check_signature(black_box(query), black_box(&envelope.ciphertext)).unwrap())
    });
    group.bench_function("verify_and_decrypt", |b| {
        b.iter(|| crypto.open(black_box(query), black_box(body.as_bytes())).unwrap())
    });
    group.bench_function("parse_text_message", |b| {
        b.iter(|| parse_xml_payload(black_box(&opened.plaintext)).unwrap())
    });
    let reply = "<xml><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[收到]]></Content></xml>";
    group.bench_function("encrypt_reply", |b| {
        b.iter(|| crypto.seal_reply(black_box(reply), "1717401600", "1719203847", &[9; 16]).unwrap())
    });
    group.bench_function("state_machine_sent_delivered_read", |b| {
        b.iter(|| {
            let mut state = RecipientState::default();
            for observed in [Status::Sent, Status::Read, Status::Delivered] {
                black_box(state.apply(black_box(observed)));
            }
            state
        })
    });
    group.finish();
}

/// Verify, decrypt and parse, per callback type: what the service does
/// before it commits a callback to the event log.
fn per_type(c: &mut Criterion) {
    let mut group = c.benchmark_group("open_and_parse");
    group.throughput(Throughput::Elements(1));
    for (name, crypto, format, query, body) in sealed() {
        group.bench_with_input(BenchmarkId::from_parameter(name), &body, |b, body| {
            b.iter(|| {
                let opened = crypto.open(&query, black_box(body.as_bytes())).unwrap();
                match format {
                    EnvelopeFormat::Xml => parse_xml_payload(&opened.plaintext),
                    EnvelopeFormat::Json => parse_json_payload(&opened.plaintext),
                }
                .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, steps, per_type);
criterion_main!(benches);
