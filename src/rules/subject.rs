//! The subject of a finding: what the weakness is about (a parameter, a key, an account, an
//! endpoint, a flow), named from the evidence node a rule selected rather than from where it
//! sits. Fingerprints hash it, so it must not move when lines move, packets are reordered or
//! a list gains an unrelated entry.
//!
//! The subject is the node's RFC 9535 path with each array index replaced by what identifies
//! the element: its identity fields ([`IDENTITY_FIELDS`]: `name`, `ssid`, `system_id`, the
//! server of a flow…), or, for an element with none, every field but its place in the file
//! ([`PLACE_FIELDS`]). `$['controllers'][1]['apps'][0]` becomes
//! `controllers[name=Inspection phone].apps[name=FreeFlight 6]`, `$['flows'][2]` becomes
//! `flows[server=47.88.1.10:443, protocol=tcp, client=192.168.10.20]`.

use serde_json::{Map, Value};
use serde_json_path::{NormalizedPath, PathElement};

/// Fields that name an element of an evidence list, in the order the subject shows them.
/// Every one present is part of the subject. Counts, dates, line numbers, packet numbers and
/// offsets never are.
const IDENTITY_FIELDS: &[&str] = &[
    "container",
    "name",
    "ssid",
    "interface",
    "system_id",
    "instance",
    "component",
    "medium",
    "location",
    "service",
    "type",
    "comment",
    "kind",
    "pattern",
    "excerpt",
    "method",
    "host",
    "target",
    "server_name",
    "server",
    "protocol",
    "client",
    "path",
    "label",
    "text",
];

/// Fields that say where an element sits in its artifact (or when it was seen), left out of
/// the subject of an element that has no identity field.
const PLACE_FIELDS: &[&str] = &[
    "line",
    "packet",
    "last_packet",
    "offset",
    "message_index",
    "first_time",
    "last_time",
    "time",
    "timestamp",
    "index",
];

/// Longest text one element contributes to a subject: an excerpt or a log line is enough to
/// tell elements apart well before that.
const MAX_PART: usize = 120;

/// The subject of the node at `path` in `document`.
pub fn subject(document: &Value, path: &NormalizedPath<'_>) -> String {
    let mut subject = String::new();
    let mut node = Some(document);
    for element in path.iter() {
        match element {
            PathElement::Name(name) => {
                if !subject.is_empty() {
                    subject.push('.');
                }
                subject.push_str(name);
                node = node.and_then(|value| value.get(*name));
            }
            PathElement::Index(index) => {
                let item = node.and_then(|value| value.get(*index));
                subject.push('[');
                match item {
                    Some(item) => subject.push_str(&identity(item)),
                    None => subject.push_str(&index.to_string()),
                }
                subject.push(']');
                node = item;
            }
        }
    }
    subject
}

/// What identifies one element of a list, independent of its position.
fn identity(item: &Value) -> String {
    let Value::Object(fields) = item else {
        return shorten(&scalar_text(item));
    };
    let named: Vec<String> = IDENTITY_FIELDS
        .iter()
        .filter_map(|field| {
            let value = fields.get(*field)?;
            let text = field_text(field, value)?;
            Some(format!("{field}={}", shorten(&text)))
        })
        .collect();
    if !named.is_empty() {
        return named.join(", ");
    }
    shorten(&without_place(fields))
}

/// A field's value as the subject shows it: an address with its port, except a client's,
/// whose port the operating system picks anew for each connection.
fn field_text(field: &str, value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Object(endpoint) => {
            let address = endpoint.get("address").map(scalar_text);
            let port = endpoint.get("port").map(scalar_text);
            match (address, port) {
                (Some(address), _) if field == "client" => Some(address),
                (Some(address), Some(port)) => Some(format!("{address}:{port}")),
                (Some(address), None) => Some(address),
                _ => Some(without_place(endpoint)),
            }
        }
        other => Some(scalar_text(other)),
    }
}

/// The element's fields but those of its place, as compact JSON (keys sorted by serde_json's
/// map, so the same element always gives the same text).
fn without_place(fields: &Map<String, Value>) -> String {
    let kept: Map<String, Value> = fields
        .iter()
        .filter(|(key, _)| !PLACE_FIELDS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Value::Object(kept).to_string()
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Cuts a long part at a character boundary; the subject only has to tell elements apart.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_PART) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use serde_json_path::JsonPath;

    fn subject_of(document: &Value, query: &str) -> Vec<String> {
        let path = JsonPath::parse(query).expect("a valid query");
        path.query_located(document)
            .iter()
            .map(|located| subject(document, located.location()))
            .collect()
    }

    #[test]
    fn list_elements_are_named_by_their_identity_not_their_position() {
        let document = json!({"accounts": [
            {"name": "root", "line": 1, "hash": "x"},
            {"name": "pi", "line": 7, "hash": "y"},
        ]});
        let moved = json!({"accounts": [
            {"name": "pi", "line": 2, "hash": "y"},
            {"name": "root", "line": 9, "hash": "x"},
        ]});
        let query = "$.accounts[?@.name == 'pi']";
        assert_eq!(subject_of(&document, query), ["accounts[name=pi]"]);
        assert_eq!(subject_of(&document, query), subject_of(&moved, query));
    }

    #[test]
    fn a_flow_is_its_server_protocol_and_client_host_not_its_packets_or_client_port() {
        let flow = |packet: u64, port: u64| {
            json!({"flows": [{"client": {"address": "10.0.0.2", "port": port},
                               "server": {"address": "47.88.1.10", "port": 443},
                               "protocol": "tcp", "packet": packet, "packets": 5}]})
        };
        let first = subject_of(&flow(13, 52000), "$.flows[*]");
        assert_eq!(
            first,
            ["flows[server=47.88.1.10:443, protocol=tcp, client=10.0.0.2]"]
        );
        assert_eq!(first, subject_of(&flow(40, 52999), "$.flows[*]"));
    }

    #[test]
    fn an_element_without_identity_fields_is_its_content_without_its_place() {
        let document = json!({"images": [{"signed": false, "offset": 16, "line": 3}]});
        let moved = json!({"images": [{"signed": false, "offset": 900, "line": 40}]});
        assert_eq!(
            subject_of(&document, "$.images[*]"),
            subject_of(&moved, "$.images[*]")
        );
        let sshd = json!({"effective": {"permitrootlogin": {"value": "yes", "line": 6}}});
        assert_eq!(
            subject_of(&sshd, "$.effective.permitrootlogin"),
            ["effective.permitrootlogin"]
        );
    }
}
