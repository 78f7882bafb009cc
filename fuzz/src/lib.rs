//! The fuzz targets' entry points live in drone-audit itself (`drone_audit::fuzzing`), so that
//! tests/fuzz_regressions.rs replays what they found through the same code.

pub use drone_audit::fuzzing::*;
