//! A small, safe XML reader for WeCom documents: elements, text and CDATA
//! only. It refuses DTDs (so no entity expansion, no XXE, no billion laughs),
//! bounds nesting depth, resolves only the five predefined entities and
//! character references, and merges adjacent text and CDATA (WeCom splits
//! `]]>` across two CDATA sections).

use quick_xml::{Reader, events::Event};
use serde_json::{Map, Value};

use super::WeComError;

/// Deeper nesting than any WeCom payload (approval events reach 6).
const MAX_DEPTH: usize = 32;

/// One element: its name, its own text (trimmed only if it has children),
/// and its children in document order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XmlElement {
    /// Tag name as written (`ToUserName`).
    pub name: String,
    /// Concatenated text and CDATA directly inside this element.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<XmlElement>,
}

impl XmlElement {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&XmlElement> {
        self.children.iter().find(|child| child.name == name)
    }

    /// The text of the first child named `name`, if present.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|child| child.text.as_str())
    }

    /// The text at a `/`-separated path below this element (`BatchJob/JobId`).
    pub fn path_text(&self, path: &str) -> Option<&str> {
        let mut element = self;
        for part in path.split('/') {
            element = element.child(part)?;
        }
        Some(element.text.as_str())
    }

    /// A JSON view that keeps every field: leaves become strings, elements
    /// with children become objects, repeated names become arrays.
    pub fn to_json(&self) -> Value {
        if self.children.is_empty() {
            return Value::String(self.text.clone());
        }
        let mut object = Map::new();
        for child in &self.children {
            let value = child.to_json();
            match object.get_mut(&child.name) {
                Some(Value::Array(items)) => items.push(value),
                Some(existing) => {
                    let first = existing.take();
                    *existing = Value::Array(vec![first, value]);
                }
                None => {
                    object.insert(child.name.clone(), value);
                }
            }
        }
        Value::Object(object)
    }
}

/// Parses a whole document and returns its root element.
pub fn parse_document(document: &str) -> Result<XmlElement, WeComError> {
    let mut reader = Reader::from_str(document);
    let mut stack: Vec<XmlElement> = Vec::new();
    let mut root: Option<XmlElement> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|error| WeComError::ParseXml(format!("at byte {}: {error}", reader.error_position())))?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(parse_error("content after the root element"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(parse_error("nesting too deep"));
                }
                stack
                    .push(XmlElement { name: start.name().into_inner().to_owned(), ..XmlElement::default() });
            }
            Event::Empty(start) => {
                let element =
                    XmlElement { name: start.name().into_inner().to_owned(), ..XmlElement::default() };
                close_element(element, &mut stack, &mut root)?;
            }
            Event::End(_) => {
                let mut element = stack.pop().ok_or_else(|| parse_error("unbalanced end tag"))?;
                if !element.children.is_empty() {
                    element.text = element.text.trim().to_owned();
                }
                close_element(element, &mut stack, &mut root)?;
            }
            Event::Text(text) => append_text(&mut stack, &text.xml10_content())?,
            Event::CData(cdata) => append_text(&mut stack, &cdata.xml10_content())?,
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(character)) => character.to_string(),
                    Ok(None) => predefined_entity(&reference)
                        .ok_or_else(|| parse_error("undeclared entity reference"))?
                        .to_string(),
                    Err(_) => return Err(parse_error("invalid character reference")),
                };
                append_text(&mut stack, &resolved)?;
            }
            Event::DocType(_) => return Err(parse_error("DTD declarations are not accepted")),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(parse_error("unexpected end of document"));
    }
    root.ok_or_else(|| parse_error("empty document"))
}

fn close_element(
    element: XmlElement,
    stack: &mut [XmlElement],
    root: &mut Option<XmlElement>,
) -> Result<(), WeComError> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => return Err(parse_error("more than one root element")),
    }
    Ok(())
}

fn append_text(stack: &mut [XmlElement], text: &str) -> Result<(), WeComError> {
    match stack.last_mut() {
        Some(element) => element.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err(parse_error("text outside the root element")),
    }
    Ok(())
}

fn predefined_entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

fn parse_error(reason: &str) -> WeComError {
    WeComError::ParseXml(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn cdata_split_around_the_terminator_is_merged() {
        let root =
            parse_document("<xml><Content><![CDATA[a ]]]]><![CDATA[> b]]></Content><N>1</N></xml>").unwrap();
        assert_eq!(root.child_text("Content"), Some("a ]]> b"));
        assert_eq!(root.child_text("N"), Some("1"));
    }

    #[test]
    fn entities_and_character_references_are_resolved() {
        let root = parse_document("<xml><A>&lt;&amp;&#x4e2d;&#25991;</A></xml>").unwrap();
        assert_eq!(root.child_text("A"), Some("<&中文"));
    }

    #[test]
    fn a_doctype_is_refused() {
        let billion_laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><xml><A>&lol2;</A></xml>"#;
        assert!(matches!(parse_document(billion_laughs), Err(WeComError::ParseXml(_))));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let document = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(parse_document(&document).is_err());
    }

    #[test]
    fn repeated_children_become_an_array_in_the_json_view() {
        let root = parse_document("<xml><L><i>1</i><i>2</i><i>3</i></L></xml>").unwrap();
        assert_eq!(root.to_json(), serde_json::json!({"L": {"i": ["1", "2", "3"]}}));
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_text_never_panics(text in "\\PC{0,400}") {
            let _ = parse_document(&text);
        }

        #[test]
        fn parsing_arbitrary_xml_like_text_never_panics(text in "[<>/a-z!\\[\\]CDAT&;# ]{0,200}") {
            let _ = parse_document(&text);
        }
    }
}
