//! The JSON Schema of the JSON report (and of `compare --format json`), generated from the report's Rust types (schemars), so
//! that it cannot drift from what drone-audit writes. `drone-audit schema report` prints it,
//! docs/schemas/report.schema.json is a copy kept current by a test, and every JSON report the
//! tests write is validated against it.
//!
//! The schema describes what reports are read back as (`merge`, `--baseline`): serde's
//! deserialisation contract, which every report written satisfies.

use crate::report::comparison::Comparison;
use crate::report::Report;
use crate::score::NotAssessed;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use std::borrow::Cow;

/// The JSON Schema of the JSON report.
pub fn report_schema() -> Schema {
    schemars::generate::SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<Report>()
}

/// The JSON Schema of a comparison (`compare --format json`), which is only written.
pub fn comparison_schema() -> Schema {
    schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<Comparison>()
}

/// A rule's reason for not being assessed is written as its text.
impl JsonSchema for NotAssessed {
    fn schema_name() -> Cow<'static, str> {
        "NotAssessed".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "Why a rule in force could not be assessed on the device (no artifact of its kinds, its `requires` matched nothing, damaged evidence…), as text."
        })
    }
}
