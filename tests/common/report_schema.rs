//! Validates JSON reports the tests write against the committed report schema
//! (docs/schemas/report.schema.json, `drone-audit schema report`).

use serde_json::Value;
use std::sync::OnceLock;

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/schemas/report.schema.json"
        );
        let text = std::fs::read_to_string(path).expect("docs/schemas/report.schema.json");
        let schema: Value = serde_json::from_str(&text).expect("the report schema is JSON");
        jsonschema::validator_for(&schema).expect("the report schema compiles")
    })
}

/// Panics, listing every error, when `report` does not follow the report schema.
pub fn assert_valid_report(report: &Value) {
    let errors: Vec<String> = validator()
        .iter_errors(report)
        .take(10)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the JSON report does not follow docs/schemas/report.schema.json:\n{}",
        errors.join("\n")
    );
}
