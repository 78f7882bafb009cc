//! drone-audit: audits drone (UAS) fleet artifacts against the DHS data-security mitigations.
//!
//! The pipeline runs one way: [`discover`] walks the paths and groups files into devices,
//! [`analyze`] identifies each artifact by content and turns it into evidence, [`policy`]
//! enriches the evidence with the organisation's policy, [`rules`] selects findings from it,
//! [`score`] rates each device and control, and [`report`] renders the result.
// Denied, not forbidden: `file_bytes` maps large files, the one `unsafe` block allowed.
#![deny(unsafe_code)]

pub mod analyze;
pub mod baseline;
pub mod bytes;
pub mod control;
pub mod digest;
pub mod discover;
pub mod escape;
pub mod file_bytes;
pub mod frameworks;
#[doc(hidden)]
pub mod fuzzing;
pub mod manual;
pub mod merge;
pub mod net;
pub mod policy;
pub mod report;
pub mod rules;
pub mod scan;
pub mod scan_path;
pub mod score;
pub mod shard;
pub mod shared_secrets;
pub mod source;
pub mod supply_chain;
#[cfg(test)]
mod test_prerequisites;
pub mod waiver;
