//! Test support: checks that an evidence document an analyzer made follows the JSON Schema of
//! its root type, and that the schema documents every field.
//!
//! The schema is generated as the published one is (`drone-audit schema evidence KIND`: draft
//! 2020-12, serialisation contract). The check is stricter than the published schema in one
//! way: every object is closed (`additionalProperties: false`), so a field the analyzer writes
//! that the types do not describe fails the test. The published schema stays open because the
//! policy step adds `policy` nodes to evidence after analysis.
//!
//! It also fails on a field, type or enum value without a description: the doc comments become
//! the field tables of docs/evidence/*.md, and an auditor reads every one of them.

use schemars::JsonSchema;
use serde_json::{Map, Value};

/// The schema of evidence whose root type is `T`, as the published one is generated.
pub fn schema_of<T: JsonSchema>() -> Value {
    schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}

/// Panics, listing the problems, when `document` does not follow `T`'s schema (closed), or
/// when the schema leaves a field, type or enum value undocumented.
pub fn assert_follows_schema<T: JsonSchema>(document: &Value) {
    let schema = schema_of::<T>();
    let undocumented = undocumented(&schema);
    assert!(
        undocumented.is_empty(),
        "evidence fields without a doc comment: {undocumented:?}"
    );
    for (which, schema) in [("published", schema.clone()), ("closed", closed(schema))] {
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|error| panic!("the {which} schema compiles: {error}"));
        let errors: Vec<String> = validator
            .iter_errors(document)
            .take(10)
            .map(|error| format!("{error} at {}", error.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "the evidence does not follow the {which} schema of {}:\n{}",
            T::schema_name(),
            errors.join("\n")
        );
    }
}

/// The schema with every object that lists its properties closed to others.
fn closed(mut schema: Value) -> Value {
    fn close(node: &mut Value) {
        match node {
            Value::Object(object) => {
                if object.contains_key("properties") && !object.contains_key("additionalProperties")
                {
                    object.insert("additionalProperties".to_owned(), Value::Bool(false));
                }
                object.values_mut().for_each(close);
            }
            Value::Array(items) => items.iter_mut().for_each(close),
            _ => {}
        }
    }
    close(&mut schema);
    schema
}

/// Where the schema lacks a description: a property with none of its own or of the type it
/// refers to, a definition, or one alternative of an enum's `oneOf`.
fn undocumented(schema: &Value) -> Vec<String> {
    let empty = Map::new();
    let definitions = schema
        .get("$defs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let described = |node: &Value| -> bool {
        let own = node.get("description").is_some();
        let referred = node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix("#/$defs/"))
            .and_then(|name| definitions.get(name))
            .is_some_and(|definition| definition.get("description").is_some());
        own || referred
    };
    let mut missing = Vec::new();
    let mut check = |name: &str, node: &Value| {
        if !described(node) {
            missing.push(name.to_owned());
        }
        let properties = node.get("properties").and_then(Value::as_object);
        for (field, property) in properties.into_iter().flatten() {
            if !described(property) {
                missing.push(format!("{name}.{field}"));
            }
        }
        let alternatives = node.get("oneOf").and_then(Value::as_array);
        for alternative in alternatives.into_iter().flatten() {
            if !described(alternative) {
                missing.push(format!("{name}: {alternative}"));
            }
        }
        // An enum none of whose values has a doc comment is one `enum` list, not a `oneOf`.
        if let Some(values) = node.get("enum").and_then(Value::as_array) {
            if values.len() > 1 {
                missing.push(format!("{name}: {}", Value::Array(values.clone())));
            }
        }
    };
    check("(root)", schema);
    for (name, definition) in definitions {
        check(name, definition);
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    /// A documented shape.
    #[derive(Serialize, JsonSchema)]
    struct Documented {
        /// How many.
        count: u32,
        /// What it is.
        shape: Shape,
    }

    /// A shape.
    #[derive(Serialize, JsonSchema)]
    #[serde(rename_all = "lowercase")]
    enum Shape {
        /// Round.
        Round,
        /// Square.
        Square,
    }

    /// Its values have no doc comment.
    #[derive(Serialize, JsonSchema)]
    #[allow(dead_code)] // only its schema is used
    enum Bare {
        One,
        Two,
    }

    /// Its field has no doc comment.
    #[derive(Serialize, JsonSchema)]
    struct Undocumented {
        count: u32,
    }

    #[test]
    fn a_document_of_its_type_follows_the_schema() {
        for shape in [Shape::Round, Shape::Square] {
            let document = serde_json::to_value(Documented { count: 2, shape }).unwrap();
            assert_follows_schema::<Documented>(&document);
        }
    }

    #[test]
    #[should_panic(expected = "does not follow the closed schema")]
    fn a_field_the_types_do_not_describe_fails() {
        let document = serde_json::json!({"count": 2, "shape": "round", "colour": "red"});
        assert_follows_schema::<Documented>(&document);
    }

    #[test]
    #[should_panic(expected = "does not follow the published schema")]
    fn a_value_of_the_wrong_type_fails() {
        let document = serde_json::json!({"count": "two", "shape": "round"});
        assert_follows_schema::<Documented>(&document);
    }

    #[test]
    #[should_panic(expected = "without a doc comment: [\"(root).count\"]")]
    fn a_field_without_a_doc_comment_fails() {
        assert_follows_schema::<Undocumented>(&serde_json::json!({"count": 1}));
    }

    #[test]
    #[should_panic(expected = "without a doc comment: [\"(root): [\\\"One\\\",\\\"Two\\\"]\"]")]
    fn enum_values_without_a_doc_comment_fail() {
        assert_follows_schema::<Bare>(&serde_json::json!("One"));
    }
}
