//! Evaluating one rule against one evidence document: which nodes it selects, where they are,
//! and what the finding says. The engine knows nothing of devices, scores or reports.

use crate::analyze::Evidence;
use crate::rules::Rule;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json_path::{NormalizedPath, PathElement};

/// Where in an artifact a finding is. Every field that is known is given.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Default,
    schemars::JsonSchema,
)]
pub struct Location {
    /// 1-based line in the artifact's text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based packet number in a capture (as Wireshark numbers them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packet: Option<u64>,
    /// Byte offset in the artifact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// 0-based index of the message in a log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<u64>,
    /// The path through the containers of an image to the member the finding is in
    /// (`rootfs.squashfs > /etc/shadow`); the line and byte offset are the member's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// RFC 9535 normalized path of the selected node in the evidence document.
    pub evidence_path: String,
}

/// One node a rule selected.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub location: Location,
    pub message: String,
    /// What the finding is about, independent of where it sits ([`super::subject`]).
    pub subject: String,
}

/// The outcome of a rule on one document.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `requires` selected nothing: this document holds no evidence for the rule.
    NoEvidence,
    /// The rule was assessed; each match is a finding (none means it passed).
    Assessed(Vec<Match>),
}

/// Runs `rule` over `evidence`.
pub fn evaluate(rule: &Rule, evidence: &Evidence) -> Outcome {
    let document = &evidence.document;
    if let Some(requires) = &rule.requires {
        if requires.path.query(document).is_empty() {
            return Outcome::NoEvidence;
        }
    }
    let matches = rule
        .select
        .path
        .query_located(document)
        .dedup()
        .iter()
        .map(|located| {
            let pointer = located.location().to_json_pointer();
            let mut location = locate(document, located.location());
            location.evidence_path = located.location().to_string();
            if location.line.is_none() {
                location.line = evidence.lines.line_of(&pointer);
            }
            Match {
                location,
                message: rule.message.render(located.node()),
                subject: super::subject::subject(document, located.location()),
            }
        })
        .collect();
    Outcome::Assessed(matches)
}

/// Reads location facts (`line`, `packet`, `offset`, `message_index`, `container`) from the
/// node at `path` or, for each fact it lacks, from its nearest ancestor that has it. The path
/// is walked down once, then its nodes read from the deepest up.
fn locate(document: &Value, path: &NormalizedPath<'_>) -> Location {
    let mut nodes = Vec::with_capacity(path.len() + 1);
    let mut node = Some(document);
    nodes.extend(node);
    for element in path.iter() {
        node = node.and_then(|value| match element {
            PathElement::Name(name) => value.get(*name),
            PathElement::Index(index) => value.get(*index),
        });
        nodes.extend(node);
    }
    let mut location = Location::default();
    for node in nodes.iter().rev().filter_map(|node| node.as_object()) {
        let fact = |name: &str| node.get(name).and_then(Value::as_u64);
        location.line = location
            .line
            .or(fact("line").and_then(|line| u32::try_from(line).ok()));
        location.packet = location.packet.or(fact("packet"));
        location.offset = location.offset.or(fact("offset"));
        location.message = location.message.or(fact("message_index"));
        if location.container.is_none() {
            location.container = node
                .get("container")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
    }
    location
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn location_facts_come_from_the_node_or_its_ancestors() {
        let located = |document: &Value, query: &str| {
            let path = serde_json_path::JsonPath::parse(query).expect("a query");
            let nodes = path.query_located(document);
            let node = nodes.iter().next().expect("a node");
            locate(document, node.location())
        };
        let document = json!({"flows": [{"packet": 7, "dns": {"offset": 40}}]});
        let location = located(&document, "$.flows[0].dns");
        assert_eq!(location.packet, Some(7));
        assert_eq!(location.offset, Some(40));
        assert_eq!(location.line, None);
        let document =
            json!({"accounts": [{"line": 2, "container": "rootfs.squashfs > /etc/shadow"}]});
        let location = located(&document, "$.accounts[0]");
        assert_eq!(
            location.container.as_deref(),
            Some("rootfs.squashfs > /etc/shadow")
        );
        assert_eq!(location.line, Some(2));
    }
}
