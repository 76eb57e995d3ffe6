//! `replies:` rules of an account: a match on the callback's facts and the
//! reply; the first rule that matches decides. Checked at start: a bad
//! regex, an empty match or a reply kind the account's kind cannot send is
//! refused, naming the rule.

use regex::Regex;
use serde::Deserialize;

use super::{Reply, ReplyRequest};
use crate::configuration::AccountKind;

/// One entry of `replies:` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyRuleSettings {
    /// What the callback must be (every given field must hold).
    #[serde(rename = "match")]
    pub matches: ReplyMatch,
    /// The answer.
    pub reply: Reply,
}

/// The conditions of a rule; every given field must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyMatch {
    /// The message type (`text`, `image`, …, `event`).
    pub msg_type: Option<String>,
    /// The message's text contains this.
    pub keyword: Option<String>,
    /// The message's text matches this regular expression (anywhere; anchor
    /// with `^…$`).
    pub regex: Option<String>,
    /// The event's name (`click`, `enter_chat`, `template_card_event`, …;
    /// any case).
    pub event: Option<String>,
    /// The event key (menu key, card button key), exactly.
    pub event_key: Option<String>,
    /// The card event's task id, exactly.
    pub task_id: Option<String>,
}

/// One checked rule.
#[derive(Debug, Clone)]
pub struct ReplyRule {
    matches: ReplyMatch,
    regex: Option<Regex>,
    reply: Reply,
}

impl ReplyRule {
    fn holds(&self, request: &ReplyRequest) -> bool {
        let m = &self.matches;
        let text = request.text.as_deref();
        m.msg_type.as_ref().is_none_or(|want| request.msg_type.eq_ignore_ascii_case(want))
            && m.keyword
                .as_ref()
                .is_none_or(|keyword| text.is_some_and(|text| text.contains(keyword.as_str())))
            && self.regex.as_ref().is_none_or(|regex| text.is_some_and(|text| regex.is_match(text)))
            && m.event.as_ref().is_none_or(|want| {
                request.event.as_deref().is_some_and(|event| event.eq_ignore_ascii_case(want))
            })
            && m.event_key.as_ref().is_none_or(|want| request.event_key.as_deref() == Some(want.as_str()))
            && m.task_id.as_ref().is_none_or(|want| request.task_id.as_deref() == Some(want.as_str()))
    }
}

/// An account's checked rules, in order.
#[derive(Debug, Clone, Default)]
pub struct ReplyRules {
    rules: Vec<ReplyRule>,
}

impl ReplyRules {
    /// Checks `settings` for an account of `kind`; the error names the rule
    /// (`replies[2]: …`).
    pub fn compile(settings: &[ReplyRuleSettings], kind: AccountKind) -> Result<Self, String> {
        let rules = settings
            .iter()
            .enumerate()
            .map(|(index, rule)| {
                compile_one(rule, kind).map_err(|reason| format!("replies[{index}]: {reason}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { rules })
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The reply of the first rule that holds for `request`.
    pub fn first_match(&self, request: &ReplyRequest) -> Option<&Reply> {
        self.rules.iter().find(|rule| rule.holds(request)).map(|rule| &rule.reply)
    }
}

fn compile_one(rule: &ReplyRuleSettings, kind: AccountKind) -> Result<ReplyRule, String> {
    if rule.matches == ReplyMatch::default() {
        return Err("match is empty: give msg_type, keyword, regex, event, event_key or task_id".to_owned());
    }
    let regex = rule.matches.regex.as_deref().map(Regex::new).transpose().map_err(|error| {
        format!("regex {:?} is invalid: {error}", rule.matches.regex.as_deref().unwrap_or(""))
    })?;
    let fits = !matches!(
        (kind, &rule.reply),
        (AccountKind::Suite, _)
            | (AccountKind::App, Reply::Markdown(_) | Reply::TemplateCard(_))
            | (AccountKind::Robot, Reply::News(_) | Reply::UpdateButton(_))
    );
    if !fits {
        return Err(format!(
            "a {} reply cannot be sent passively by a {} account",
            rule.reply.kind(),
            kind.as_str()
        ));
    }
    match &rule.reply {
        Reply::News(items) if items.is_empty() || items.len() > 8 => {
            return Err("news takes 1 to 8 articles".to_owned());
        }
        Reply::UpdateCard(_) | Reply::UpdateButton(_)
            if rule.matches.task_id.is_none()
                && !rule
                    .matches
                    .event
                    .as_deref()
                    .is_some_and(|event| event.eq_ignore_ascii_case("template_card_event")) =>
        {
            return Err(format!(
                "{} answers card events only: match on task_id or event: template_card_event",
                rule.reply.kind()
            ));
        }
        Reply::TemplateCard(card) | Reply::UpdateCard(card) if !card.is_object() => {
            return Err(format!("{} must be an object in WeCom's JSON", rule.reply.kind()));
        }
        _ => {}
    }
    Ok(ReplyRule { matches: rule.matches.clone(), regex, reply: rule.reply.clone() })
}
