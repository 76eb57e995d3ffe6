//! The outer, unencrypted envelope of a POST callback: XML
//! `<xml><ToUserName/><AgentID/><Encrypt/></xml>` (apps, suites, legacy
//! group robots) or JSON `{"encrypt": "…"}` (smart robots). Its fields other
//! than the ciphertext are unauthenticated hints (PROTOCOL.md §2.2).

use serde::Deserialize;

use super::{WeComError, xml_tree};

/// How the envelope was written; the decrypted payload uses the same format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvelopeFormat {
    /// `<xml><Encrypt>…</Encrypt></xml>`.
    Xml,
    /// `{"encrypt": "…"}`.
    Json,
}

/// The parsed outer envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The base64 ciphertext, exactly as received.
    pub ciphertext: String,
    /// XML or JSON.
    pub format: EnvelopeFormat,
    /// Outer `ToUserName` (CorpID or SuiteID), unauthenticated.
    pub to_user_name: Option<String>,
    /// Outer `AgentID`, unauthenticated.
    pub agent_id: Option<String>,
}

#[derive(Deserialize)]
struct JsonEnvelope {
    encrypt: Option<String>,
    tousername: Option<String>,
    agentid: Option<serde_json::Value>,
}

impl Envelope {
    /// Parses a raw POST body, detecting XML or JSON from its first
    /// non-blank character (WeCom's Content-Type is not reliable).
    pub fn parse(body: &[u8]) -> Result<Self, WeComError> {
        let text =
            std::str::from_utf8(body).map_err(|_| WeComError::ParseXml("body is not UTF-8".to_owned()))?;
        match text.trim_start().as_bytes().first() {
            Some(b'{') => Self::parse_json(text),
            Some(b'<') => Self::parse_xml(text),
            _ => Err(WeComError::ParseXml("body is neither XML nor JSON".to_owned())),
        }
    }

    fn parse_xml(text: &str) -> Result<Self, WeComError> {
        let root = xml_tree::parse_document(text)?;
        let ciphertext = root
            .child_text("Encrypt")
            .filter(|ciphertext| !ciphertext.is_empty())
            .ok_or_else(|| WeComError::ParseXml("no <Encrypt> element".to_owned()))?;
        Ok(Self {
            ciphertext: ciphertext.to_owned(),
            format: EnvelopeFormat::Xml,
            to_user_name: root.child_text("ToUserName").map(str::to_owned),
            agent_id: root.child_text("AgentID").map(str::to_owned),
        })
    }

    fn parse_json(text: &str) -> Result<Self, WeComError> {
        let envelope: JsonEnvelope =
            serde_json::from_str(text).map_err(|error| WeComError::ParseXml(error.to_string()))?;
        let ciphertext = envelope
            .encrypt
            .filter(|ciphertext| !ciphertext.is_empty())
            .ok_or_else(|| WeComError::ParseXml("no \"encrypt\" field".to_owned()))?;
        Ok(Self {
            ciphertext,
            format: EnvelopeFormat::Json,
            to_user_name: envelope.tousername,
            agent_id: envelope.agentid.map(|agent_id| match agent_id {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_xml_envelope_yields_its_ciphertext_and_hints() {
        let envelope = Envelope::parse(
            b"<xml><ToUserName><![CDATA[ww1]]></ToUserName><AgentID><![CDATA[7]]></AgentID><Encrypt><![CDATA[abc=]]></Encrypt></xml>",
        )
        .unwrap();
        assert_eq!(envelope.ciphertext, "abc=");
        assert_eq!(envelope.format, EnvelopeFormat::Xml);
        assert_eq!(envelope.agent_id.as_deref(), Some("7"));
    }

    #[test]
    fn a_json_envelope_needs_the_lower_case_field() {
        assert_eq!(Envelope::parse(br#"{"encrypt":"abc="}"#).unwrap().ciphertext, "abc=");
        assert_eq!(Envelope::parse(br#"{"Encrypt":"abc="}"#).unwrap_err().code(), -40002);
    }

    #[test]
    fn an_empty_ciphertext_is_a_parse_error() {
        let error = Envelope::parse(b"<xml><Encrypt><![CDATA[]]></Encrypt></xml>").unwrap_err();
        assert_eq!(error.code(), -40002);
    }
}
