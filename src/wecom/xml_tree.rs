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

/// A repeated element that WeCom documents as a list: every `child` of a
/// `parent` element is a JSON array in [`XmlElement::to_json`], even with
/// one item (or none: an empty `parent` gives `[]`), so the JSON a consumer
/// sees never changes type with the number of members, options or nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListField {
    /// The element holding the list (`xml` for the document root).
    pub parent: &'static str,
    /// The repeated element.
    pub child: &'static str,
    /// Where WeCom documents it.
    pub documented_in: &'static str,
}

/// The documented list fields (README, "Shape-stable JSON"). Matched by
/// parent and child name, at any depth.
pub const LIST_FIELDS: &[ListField] = &[
    ListField { parent: "PicList", child: "item", documented_in: "pic_* menu events (doc 90240)" },
    ListField {
        parent: "SelectedItems",
        child: "SelectedItem",
        documented_in: "template_card_event (doc 90240)",
    },
    ListField { parent: "OptionIds", child: "OptionId", documented_in: "template_card_event (doc 90240)" },
    ListField {
        parent: "MemChangeList",
        child: "Item",
        documented_in: "change_external_chat update (doc 92130)",
    },
    ListField {
        parent: "ApprovalNodes",
        child: "ApprovalNode",
        documented_in: "open_approval_change (doc 90269)",
    },
    ListField {
        parent: "Items",
        child: "Item",
        documented_in: "open_approval_change ApprovalNode (doc 90269)",
    },
    ListField {
        parent: "NotifyNodes",
        child: "NotifyNode",
        documented_in: "open_approval_change (doc 90269)",
    },
    ListField { parent: "ApprovalInfo", child: "SpRecord", documented_in: "sys_approval_change (doc 91815)" },
    ListField { parent: "SpRecord", child: "Details", documented_in: "sys_approval_change (doc 91815)" },
    ListField { parent: "ApprovalInfo", child: "Notifyer", documented_in: "sys_approval_change (doc 91815)" },
    ListField { parent: "ApprovalInfo", child: "Comments", documented_in: "sys_approval_change (doc 91815)" },
    ListField {
        parent: "xml",
        child: "AuthAddOpenKfId",
        documented_in: "kf_account_auth_change (doc 94670)",
    },
    ListField {
        parent: "xml",
        child: "AuthDelOpenKfId",
        documented_in: "kf_account_auth_change (doc 94670)",
    },
    ListField {
        parent: "AuthOpenKfIdList",
        child: "OpenKfId",
        documented_in: "suite change_auth ExtraInfo (doc 90642)",
    },
    ListField { parent: "xml", child: "AccountList", documented_in: "suite auto_activate (doc 95994)" },
    ListField { parent: "xml", child: "UploadInfo", documented_in: "meeting_change (doc 95333)" },
    ListField { parent: "xml", child: "DocId", documented_in: "doc_change (doc 97973)" },
    ListField { parent: "xml", child: "FormId", documented_in: "doc_change (doc 97973)" },
    ListField { parent: "xml", child: "FieldId", documented_in: "smart_sheet_change (doc 100604)" },
    ListField { parent: "xml", child: "RecordId", documented_in: "smart_sheet_change (doc 100604)" },
];

/// Whether `child` under `parent` is a documented list.
pub fn is_list_field(parent: &str, child: &str) -> bool {
    LIST_FIELDS.iter().any(|field| field.parent == parent && field.child == child)
}

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
    /// with children become objects, repeated names become arrays, and the
    /// [`LIST_FIELDS`] are arrays whatever their length.
    pub fn to_json(&self) -> Value {
        let lists: Vec<&str> =
            LIST_FIELDS.iter().filter(|field| field.parent == self.name).map(|field| field.child).collect();
        if self.children.is_empty() {
            return if lists.is_empty() || self.name == "xml" || !self.text.trim().is_empty() {
                Value::String(self.text.clone())
            } else {
                // `<MemChangeList></MemChangeList>`: a list with no items.
                Value::Object(
                    lists.iter().map(|child| ((*child).to_owned(), Value::Array(Vec::new()))).collect(),
                )
            };
        }
        let mut object = Map::new();
        for child in &self.children {
            let value = child.to_json();
            match object.get_mut(&child.name) {
                Some(Value::Array(items)) if lists.contains(&child.name.as_str()) => items.push(value),
                None if lists.contains(&child.name.as_str()) => {
                    object.insert(child.name.clone(), Value::Array(vec![value]));
                }
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

    #[test]
    fn documented_lists_are_arrays_with_one_two_or_no_items() {
        let one = parse_document("<xml><MemChangeList><Item>a</Item></MemChangeList></xml>").unwrap();
        assert_eq!(one.to_json(), serde_json::json!({"MemChangeList": {"Item": ["a"]}}));
        let two =
            parse_document("<xml><MemChangeList><Item>a</Item><Item>b</Item></MemChangeList></xml>").unwrap();
        assert_eq!(two.to_json(), serde_json::json!({"MemChangeList": {"Item": ["a", "b"]}}));
        let none = parse_document("<xml><MemChangeList></MemChangeList></xml>").unwrap();
        assert_eq!(none.to_json(), serde_json::json!({"MemChangeList": {"Item": []}}));
        let nested = parse_document(
            "<xml><SelectedItems><SelectedItem><QuestionKey>q</QuestionKey><OptionIds><OptionId>o</OptionId></OptionIds></SelectedItem></SelectedItems><AuthAddOpenKfId>k</AuthAddOpenKfId></xml>",
        )
        .unwrap();
        assert_eq!(
            nested.to_json(),
            serde_json::json!({
                "SelectedItems": {"SelectedItem": [{"QuestionKey": "q", "OptionIds": {"OptionId": ["o"]}}]},
                "AuthAddOpenKfId": ["k"]
            })
        );
        // Undocumented repetitions keep the old rule; single fields stay scalars.
        let plain = parse_document("<xml><Item>a</Item><Other><Item>b</Item></Other></xml>").unwrap();
        assert_eq!(plain.to_json(), serde_json::json!({"Item": "a", "Other": {"Item": "b"}}));
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
