//! Which parameters an evidence document holds in its `parameters` map: all of them, as
//! `inspect` shows a file, or only those the rules in force can read, as a scan builds it.
//!
//! A parameter file has about 900 parameters and a scan's rules read a dozen of them: making
//! the JSON nodes of the others, then dropping them, was most of the cost of scanning a
//! parameter file (docs/evidence/parameters.md). The rules layer works out what its queries
//! can read (`rules::reads`) and falls back to [`ParameterScope::All`] for any query it cannot
//! bound. Everything else of the document (`parameter_count`, `families`, `endpoints`,
//! `mavlink_instances`) is made from every parameter whatever the scope.

use crate::analyze::ArtifactKind;
use std::collections::BTreeSet;

/// The kinds whose evidence has a `parameters` map made in a [`ParameterScope`].
pub const KINDS: [ArtifactKind; 5] = [
    ArtifactKind::ArdupilotParams,
    ArtifactKind::QgcParams,
    ArtifactKind::DataflashLog,
    ArtifactKind::Ulog,
    ArtifactKind::Tlog,
];

/// Which parameters go into an evidence document's `parameters` map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ParameterScope {
    /// Every parameter.
    #[default]
    All,
    /// The parameters of these names and those of these families (`SERIALn_PROTOCOL`), and
    /// no others.
    Only {
        names: BTreeSet<String>,
        families: BTreeSet<String>,
    },
}

/// [`ParameterScope::All`], for the callers that need a reference that lives as long as the
/// program.
pub static ALL: ParameterScope = ParameterScope::All;

impl ParameterScope {
    /// Whether the parameter named `name`, of `family` when it is numbered, is in the scope.
    pub fn holds(&self, name: &str, family: Option<&str>) -> bool {
        match self {
            ParameterScope::All => true,
            ParameterScope::Only { names, families } => {
                names.contains(name) || family.is_some_and(|family| families.contains(family))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_is_held_by_its_name_or_its_family() {
        let scope = ParameterScope::Only {
            names: ["SYSID_ENFORCE".to_owned()].into(),
            families: ["SERIALn_PROTOCOL".to_owned()].into(),
        };
        assert!(scope.holds("SYSID_ENFORCE", None));
        assert!(scope.holds("SERIAL2_PROTOCOL", Some("SERIALn_PROTOCOL")));
        assert!(!scope.holds("SERIAL2_BAUD", Some("SERIALn_BAUD")));
        assert!(!scope.holds("LOG_DISARMED", None));
        assert!(ParameterScope::All.holds("LOG_DISARMED", None));
    }
}
