//! `simulate --write-requests FILE`: the app-route callbacks of `--count`
//! rounds, encrypted and signed now, written one per line as
//! `PATH?QUERY<TAB>BODY` for an external load generator (`bench/load.sh`
//! feeds them to wrk), so that every request of a load run is a distinct
//! callback and no time is spent encrypting while measuring.

use std::io::Write;

use super::{APP_PATH, SimulateError, corpus, corpus::Route, nonce, now_seconds, ready};
use crate::{cli::SimulateArgs, configuration::Settings, wecom::EnvelopeFormat};

/// Writes the file; returns how many requests it holds.
pub fn write(settings: &Settings, args: &SimulateArgs, path: &std::path::Path) -> Result<u64, SimulateError> {
    let crypto = ready(settings.channels.wechat_api.credentials()?).ok_or(SimulateError::NoChannels)?;
    let now = now_seconds();
    let run = chrono::Utc::now().timestamp_millis() as u64;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut written = 0;
    for round in 0..args.count {
        for sample in corpus::samples(run, round, now, crypto.receive_id()) {
            if !matches!(sample.route, Route::App) {
                continue;
            }
            let (query, body) = crypto.seal_callback(
                &sample.plaintext,
                EnvelopeFormat::Xml,
                &now.to_string(),
                &nonce(),
                &rand::random(),
            )?;
            // Sealed envelopes are one line of XML; a tab or newline would break the format.
            debug_assert!(!body.contains(['\t', '\n']));
            writeln!(out, "{APP_PATH}?{query}\t{body}")?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}
