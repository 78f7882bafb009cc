//! Structured text sources (JSON and TOML) read into one JSON value plus a line map.
//!
//! Analyzers of document formats (device profiles, policy-like files) parse with
//! [`parse_json`] or [`parse_toml`] and get a [`StructuredSource`]: the document as a
//! `serde_json::Value`, which typed deserialisation and rules work on, and a [`LineMap`] from
//! JSON pointer to the 1-based line the node starts on, so a finding can say where it is.

use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A document and where each of its nodes starts in the source text.
#[derive(Debug, Clone, PartialEq)]
pub struct StructuredSource {
    pub value: Value,
    pub lines: LineMap,
}

/// JSON pointer (RFC 6901) of a node → the 1-based line of the source it starts on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineMap(BTreeMap<String, u32>);

impl LineMap {
    /// The line of the node at `pointer`, or of its nearest ancestor that has one.
    pub fn line_of(&self, pointer: &str) -> Option<u32> {
        let mut current = pointer;
        loop {
            if let Some(line) = self.0.get(current) {
                return Some(*line);
            }
            let cut = current.rfind('/')?;
            current = &current[..cut];
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn record(&mut self, pointer: String, line: u32) {
        self.0.entry(pointer).or_insert(line);
    }
}

/// Why a structured source could not be read; the text carries the line and column.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("invalid TOML: {0}")]
    Toml(String),
}

/// Parses JSON text and maps each node to its line.
pub fn parse_json(text: &str) -> Result<StructuredSource, SourceError> {
    let value: Value = serde_json::from_str(text)?;
    let lines = json_lines(text);
    Ok(StructuredSource { value, lines })
}

/// Parses TOML text and maps each node to its line.
pub fn parse_toml(text: &str) -> Result<StructuredSource, SourceError> {
    let table =
        DeTable::parse(text).map_err(|error| SourceError::Toml(toml_message(text, &error)))?;
    let starts = LineStarts::new(text);
    let mut lines = LineMap::default();
    let value = toml_table_to_json(table.get_ref(), "", &starts, &mut lines)?;
    Ok(StructuredSource { value, lines })
}

/// Characters of the offending line a TOML error quotes.
const TOML_EXCERPT_CHARS: usize = 80;

/// Why `text` is not TOML: "line L, column C: what is wrong (at `excerpt`)". The toml crate's
/// own message quotes the whole offending line, which a hostile file makes megabytes long
/// (a 100,000-deep array put 200 KB into every report and onto standard error).
fn toml_message(text: &str, error: &toml::de::Error) -> String {
    let start = error.span().map_or(0, |span| span.start).min(text.len());
    let start = (0..=start)
        .rev()
        .find(|at| text.is_char_boundary(*at))
        .unwrap_or(0);
    let line = text[..start].matches('\n').count() + 1;
    let line_start = text[..start].rfind('\n').map_or(0, |at| at + 1);
    let column = text[line_start..start].chars().count() + 1;
    let line_end = text[start..].find('\n').map_or(text.len(), |at| start + at);
    let message = error.message().lines().collect::<Vec<_>>().join("; ");
    let mut quoted = String::new();
    for character in text[start..line_end]
        .trim()
        .chars()
        .take(TOML_EXCERPT_CHARS)
    {
        if character.is_control() {
            quoted.extend(character.escape_default());
        } else {
            quoted.push(character);
        }
    }
    if text[start..line_end].trim().chars().count() > TOML_EXCERPT_CHARS {
        quoted.push('…');
    }
    let at = if quoted.is_empty() {
        String::new()
    } else {
        format!(" (at `{quoted}`)")
    };
    format!("line {line}, column {column}: {message}{at}")
}

/// Appends one reference token to a JSON pointer, escaping as RFC 6901 says.
pub fn pointer_push(pointer: &str, token: &str) -> String {
    let mut pushed = String::with_capacity(pointer.len() + token.len() + 1);
    pushed.push_str(pointer);
    pushed.push('/');
    if token.contains(['~', '/']) {
        pushed.push_str(&token.replace('~', "~0").replace('/', "~1"));
    } else {
        pushed.push_str(token);
    }
    pushed
}

/// A path as serde_path_to_error and serde_ignored print it (`controllers[0].apps[1].name`)
/// as a JSON pointer (`/controllers/0/apps/1/name`).
pub fn serde_path_to_pointer(path: &str) -> String {
    let mut pointer = String::new();
    for part in path
        .split('.')
        .filter(|part| !part.is_empty() && *part != "?")
    {
        let (name, indexes) = part.split_once('[').unwrap_or((part, ""));
        pointer = pointer_push(&pointer, name);
        for index in indexes.split('[') {
            let index = index.trim_end_matches(']');
            if !index.is_empty() {
                pointer = pointer_push(&pointer, index);
            }
        }
    }
    pointer
}

/// Byte offset → line number, by binary search over the offsets where lines start.
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(index, _)| index + 1));
        LineStarts(starts)
    }

    fn line(&self, offset: usize) -> u32 {
        let index = self.0.partition_point(|start| *start <= offset);
        u32::try_from(index).unwrap_or(u32::MAX)
    }
}

fn toml_table_to_json(
    table: &DeTable<'_>,
    pointer: &str,
    starts: &LineStarts,
    lines: &mut LineMap,
) -> Result<Value, SourceError> {
    let mut object = Map::new();
    for (key, value) in table.iter() {
        let child = pointer_push(pointer, key.get_ref());
        lines.record(child.clone(), starts.line(key.span().start));
        let json = toml_value_to_json(value, &child, starts, lines)?;
        object.insert(key.get_ref().to_string(), json);
    }
    Ok(Value::Object(object))
}

fn toml_value_to_json(
    value: &Spanned<DeValue<'_>>,
    pointer: &str,
    starts: &LineStarts,
    lines: &mut LineMap,
) -> Result<Value, SourceError> {
    Ok(match value.get_ref() {
        DeValue::String(text) => Value::String(text.to_string()),
        DeValue::Integer(integer) => {
            let number = i64::from_str_radix(integer.as_str(), integer.radix()).map_err(|_| {
                SourceError::Toml(format!("integer {integer} out of range at {pointer}"))
            })?;
            Value::Number(number.into())
        }
        DeValue::Float(float) => {
            let number = float
                .as_str()
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64);
            match number {
                Some(number) => Value::Number(number),
                None => {
                    return Err(SourceError::Toml(format!(
                        "float {float} is not a finite number at {pointer}"
                    )))
                }
            }
        }
        DeValue::Boolean(flag) => Value::Bool(*flag),
        DeValue::Datetime(datetime) => Value::String(datetime.to_string()),
        DeValue::Array(array) => {
            let mut items = Vec::with_capacity(array.len());
            for (index, item) in array.iter().enumerate() {
                let child = pointer_push(pointer, &index.to_string());
                lines.record(child.clone(), starts.line(item.span().start));
                items.push(toml_value_to_json(item, &child, starts, lines)?);
            }
            Value::Array(items)
        }
        DeValue::Table(table) => toml_table_to_json(table, pointer, starts, lines)?,
    })
}

/// One open container while scanning JSON text.
enum Frame {
    Object { key: Option<String> },
    Array { index: usize, started: bool },
}

/// Maps each node of a JSON text (already known to be valid) to its line.
///
/// Object members are placed at the line of their key; array elements at the line where the
/// element starts.
fn json_lines(text: &str) -> LineMap {
    let bytes = text.as_bytes();
    let mut lines = LineMap::default();
    let mut frames: Vec<Frame> = Vec::new();
    let mut line = 1u32;
    let mut position = 0;
    while position < bytes.len() {
        let byte = bytes[position];
        match byte {
            b'\n' => line += 1,
            b'"' => {
                let end = string_end(bytes, position);
                let expecting_key = matches!(frames.last(), Some(Frame::Object { key: None }));
                if expecting_key {
                    let key: String =
                        serde_json::from_str(&text[position..end]).unwrap_or_default();
                    if let Some(Frame::Object { key: slot }) = frames.last_mut() {
                        *slot = Some(key);
                    }
                    lines.record(frame_pointer(&frames), line);
                } else {
                    start_array_element(&mut frames, &mut lines, line);
                }
                position = end;
                continue;
            }
            b'{' | b'[' => {
                start_array_element(&mut frames, &mut lines, line);
                frames.push(if byte == b'{' {
                    Frame::Object { key: None }
                } else {
                    Frame::Array {
                        index: 0,
                        started: false,
                    }
                });
            }
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::Object { key }) => *key = None,
                Some(Frame::Array { index, started }) => {
                    *index += 1;
                    *started = false;
                }
                None => {}
            },
            b' ' | b'\t' | b'\r' | b':' => {}
            _ => start_array_element(&mut frames, &mut lines, line),
        }
        position += 1;
    }
    lines
}

/// Records the line of an array element the first time a byte of it is seen.
fn start_array_element(frames: &mut [Frame], lines: &mut LineMap, line: u32) {
    if let Some(Frame::Array { started, .. }) = frames.last_mut() {
        if !*started {
            *started = true;
            lines.record(frame_pointer(frames), line);
        }
    }
}

fn frame_pointer(frames: &[Frame]) -> String {
    let mut pointer = String::new();
    for frame in frames {
        match frame {
            Frame::Object { key: Some(key) } => pointer = pointer_push(&pointer, key),
            Frame::Object { key: None } => {}
            Frame::Array { index, .. } => pointer = pointer_push(&pointer, &index.to_string()),
        }
    }
    pointer
}

/// The offset just past the closing quote of the string that starts at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut position = start + 1;
    while position < bytes.len() {
        match bytes[position] {
            b'\\' => position += 2,
            b'"' => return position + 1,
            _ => position += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_toml_error_quotes_a_short_excerpt_of_its_line() {
        // toml's own message quoted the whole line: 200 KB here, into the report and stderr.
        let text = format!(
            "name = \"x\"\nmodel = {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let Err(SourceError::Toml(message)) = parse_toml(&text) else {
            panic!("not TOML");
        };
        assert!(message.len() < 300, "{} bytes", message.len());
        assert!(message.starts_with("line 2, column "), "{message}");
        assert!(message.contains('…'), "{message}");
        let Err(SourceError::Toml(message)) = parse_toml("a = \"unterminated\n") else {
            panic!("not TOML");
        };
        assert!(message.starts_with("line 1, column "), "{message}");
    }

    #[test]
    fn json_members_map_to_their_key_lines() {
        let text = "{\n  \"identity\": {\n    \"model\": \"M2E\"\n  },\n  \"apps\": [\n    {\"name\": \"a/b\"},\n    {\n      \"name\": \"c\"\n    }\n  ]\n}\n";
        let source = parse_json(text).unwrap();
        assert_eq!(source.lines.line_of("/identity"), Some(2));
        assert_eq!(source.lines.line_of("/identity/model"), Some(3));
        assert_eq!(source.lines.line_of("/apps"), Some(5));
        assert_eq!(source.lines.line_of("/apps/0"), Some(6));
        assert_eq!(source.lines.line_of("/apps/1"), Some(7));
        assert_eq!(source.lines.line_of("/apps/1/name"), Some(8));
        // A pointer the source lacks falls back to its nearest ancestor.
        assert_eq!(source.lines.line_of("/apps/1/policy/approved"), Some(7));
        assert_eq!(source.lines.line_of("/nowhere"), None);
    }

    #[test]
    fn json_strings_with_escapes_and_braces_do_not_confuse_the_scan() {
        let text = "{\"a\": \"x\\\"}{[\", \"b\":\n[1,\n 2]}";
        let source = parse_json(text).unwrap();
        assert_eq!(source.lines.line_of("/b"), Some(1));
        assert_eq!(source.lines.line_of("/b/0"), Some(2));
        assert_eq!(source.lines.line_of("/b/1"), Some(3));
    }

    #[test]
    fn toml_tables_and_arrays_of_tables_map_to_lines() {
        let text = "[identity]\nmodel = \"Anafi\"\n\n[[storage]]\nmedium = \"sd-card\"\n\n[[storage]]\nmedium = \"internal\"\n";
        let source = parse_toml(text).unwrap();
        assert_eq!(source.value["storage"][1]["medium"], "internal");
        assert_eq!(source.lines.line_of("/identity/model"), Some(2));
        assert_eq!(source.lines.line_of("/storage/0/medium"), Some(5));
        assert_eq!(source.lines.line_of("/storage/1/medium"), Some(8));
    }

    #[test]
    fn toml_errors_carry_the_line() {
        let error = parse_toml("[identity]\nmodel = \n").unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
    }

    #[test]
    fn serde_paths_become_pointers() {
        assert_eq!(
            serde_path_to_pointer("controllers[0].apps[12].name"),
            "/controllers/0/apps/12/name"
        );
        assert_eq!(serde_path_to_pointer("rule[3]"), "/rule/3");
        assert_eq!(serde_path_to_pointer("identity"), "/identity");
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(pointer_push("/a", "b/c~d"), "/a/b~1c~0d");
    }
}
