//! Finding messages templated from the selected node: `{name}` quotes a field of the node,
//! `{cellular.state}` a nested one, `{{` and `}}` are literal braces.

use serde_json::Value;

/// A parsed message template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Field(Vec<String>),
}

impl Template {
    /// Parses a template, rejecting unbalanced braces and empty placeholders.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(character) = chars.next() {
            match character {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut field = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some('{') | None => {
                                return Err(format!("unclosed `{{` in message template `{text}`"))
                            }
                            Some(other) => field.push(other),
                        }
                    }
                    let parts: Vec<String> = field.trim().split('.').map(str::to_owned).collect();
                    if parts.iter().any(|part| part.is_empty()) {
                        return Err(format!(
                            "empty field name `{{{field}}}` in message template `{text}`"
                        ));
                    }
                    if !literal.is_empty() {
                        segments.push(Segment::Literal(std::mem::take(&mut literal)));
                    }
                    segments.push(Segment::Field(parts));
                }
                '}' => {
                    return Err(format!(
                        "unmatched `}}` in message template `{text}` (write `}}}}` for a brace)"
                    ))
                }
                other => literal.push(other),
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        Ok(Template { segments })
    }

    /// The fields it quotes, each as its path of names (`link.name`: `["link", "name"]`).
    pub fn fields(&self) -> impl Iterator<Item = &[String]> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Field(path) => Some(path.as_slice()),
            Segment::Literal(_) => None,
        })
    }

    /// Renders the template with fields of `node`; a field the node lacks renders as `<none>`.
    pub fn render(&self, node: &Value) -> String {
        let mut text = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(literal) => text.push_str(literal),
                Segment::Field(path) => {
                    let value = path
                        .iter()
                        .try_fold(node, |value, key| value.get(key.as_str()));
                    text.push_str(&value.map_or_else(|| "<none>".to_owned(), display_value));
                }
            }
        }
        text
    }
}

fn display_value(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "null".to_owned(),
        Value::Array(items) => items
            .iter()
            .map(display_value)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_fields_nested_fields_and_escapes() {
        let template =
            Template::parse("{name} on {link.name} carries {carries} {{raw}} ({count})").unwrap();
        let node = json!({"name": "DJI Pilot", "link": {"name": "OcuSync"}, "carries": ["video", "control"], "count": 3});
        assert_eq!(
            template.render(&node),
            "DJI Pilot on OcuSync carries video, control {raw} (3)"
        );
    }

    #[test]
    fn missing_fields_render_as_none() {
        let template = Template::parse("app {name}").unwrap();
        assert_eq!(template.render(&json!({})), "app <none>");
    }

    #[test]
    fn malformed_templates_are_rejected() {
        assert!(Template::parse("{name").unwrap_err().contains("unclosed"));
        assert!(Template::parse("name}").unwrap_err().contains("unmatched"));
        assert!(Template::parse("{}").unwrap_err().contains("empty field"));
        assert!(Template::parse("{a..b}")
            .unwrap_err()
            .contains("empty field"));
    }
}
