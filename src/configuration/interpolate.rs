//! `${NAME}` and `${NAME:-default}` in the YAML file, resolved against the
//! layered environment (`.env` under the process environment).

/// Replaces every `${NAME}` / `${NAME:-default}`; `$${` writes a literal `${`.
/// An unset variable without a default becomes the empty string, which the
/// settings read as "not configured".
pub fn interpolate(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut output = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('$') {
        output.push_str(&rest[..start]);
        let after = &rest[start..];
        if let Some(literal) = after.strip_prefix("$${") {
            output.push_str("${");
            rest = literal;
        } else if let Some(body) = after.strip_prefix("${") {
            let end = body.find('}').ok_or_else(|| format!("unclosed ${{ in {:?}", truncate(after)))?;
            let expression = &body[..end];
            let (name, default) = match expression.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (expression, None),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("invalid variable name {name:?}"));
            }
            let value =
                lookup(name).filter(|v| !v.is_empty()).or(default.map(str::to_owned)).unwrap_or_default();
            output.push_str(&value);
            rest = &body[end + 1..];
        } else {
            output.push('$');
            rest = &after[1..];
        }
    }
    output.push_str(rest);
    Ok(output)
}

fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        (name == "SET").then(|| "value".to_owned())
    }

    #[test]
    fn variables_defaults_and_literals_are_resolved() {
        assert_eq!(
            interpolate("a: ${SET}\nb: ${UNSET}\nc: ${UNSET:-dflt}\nd: $${SET}\ne: $5", &lookup).unwrap(),
            "a: value\nb: \nc: dflt\nd: ${SET}\ne: $5"
        );
    }

    #[test]
    fn an_unclosed_variable_is_an_error() {
        assert!(interpolate("a: ${SET", &lookup).is_err());
    }
}
