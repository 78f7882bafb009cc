//! The six DHS controls every finding belongs to, the supply-chain control beside them, and the
//! severities rules carry.
//!
//! `Control` is the backbone of every report (see DESIGN.md); `Severity` orders findings and
//! weighs rules in the score (docs/scoring.md). [`Control::ALL`] are the six DHS axes of the
//! score; [`Control::SupplyChain`] is reported beside them and left out of the score
//! ([`Control::in_score`]), so a law switched on or off never moves a security grade.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A DHS data-security mitigation for commercial drones.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Control {
    /// 1. Deactivate the internet connection of devices that operate the drone.
    Connectivity,
    /// 2. Precautions before installing software or firmware.
    Updates,
    /// 3. Remove the SD card when the drone is not in use.
    RemovableMedia,
    /// 4. Erase data after every flight.
    DataRetention,
    /// 5. Encrypt data and links.
    Encryption,
    /// 5. Password-protect the drone and its data.
    Authentication,
    /// Who made each part and where its data goes (CISA/FBI 2024 "procure"; NDAA FY2020 §848,
    /// American Security Drone Act, FCC Covered List). Not a DHS axis: outside the score.
    SupplyChain,
}

impl Control {
    /// Every control, in report order.
    pub const ALL: [Control; 6] = [
        Control::Connectivity,
        Control::Updates,
        Control::RemovableMedia,
        Control::DataRetention,
        Control::Encryption,
        Control::Authentication,
    ];

    /// Every control rules may belong to: the six DHS axes, then the supply chain.
    pub const EVERY: [Control; 7] = [
        Control::Connectivity,
        Control::Updates,
        Control::RemovableMedia,
        Control::DataRetention,
        Control::Encryption,
        Control::Authentication,
        Control::SupplyChain,
    ];

    /// Whether the control's rules count in device and fleet scores (the six DHS axes do;
    /// the supply chain is reported beside them).
    pub fn in_score(self) -> bool {
        self != Control::SupplyChain
    }

    /// The kebab-case id used in rule files and reports.
    pub fn id(self) -> &'static str {
        match self {
            Control::Connectivity => "connectivity",
            Control::Updates => "updates",
            Control::RemovableMedia => "removable-media",
            Control::DataRetention => "data-retention",
            Control::Encryption => "encryption",
            Control::Authentication => "authentication",
            Control::SupplyChain => "supply-chain",
        }
    }

    /// The DHS 2019 mitigation this control stands for.
    pub fn mitigation(self) -> &'static str {
        match self {
            Control::Connectivity => {
                "Deactivate the internet connection of devices that operate the drone"
            }
            Control::Updates => "Take precautions before installing software or firmware",
            Control::RemovableMedia => "Remove the SD card when the drone is not in use",
            Control::DataRetention => "Erase data after every flight",
            Control::Encryption => "Encrypt data and links (AES-256)",
            Control::Authentication => "Password-protect the drone and its data",
            Control::SupplyChain => {
                "Know who made each part and where its data goes (not a DHS 2019 mitigation: CISA/FBI 2024, NDAA FY2020 §848, ASDA, FCC Covered List)"
            }
        }
    }
}

impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Control {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Control::EVERY
            .into_iter()
            .find(|control| control.id() == text)
            .ok_or_else(|| {
                let known: Vec<&str> = Control::EVERY.iter().map(|c| c.id()).collect();
                format!(
                    "unknown control `{text}` (expected one of {})",
                    known.join(", ")
                )
            })
    }
}

/// How bad a finding is. Ordered from least to most severe so `>=` reads naturally.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// Where the severity is in [`Severity::ALL`]: 0 for the most severe.
    pub fn rank(self) -> usize {
        match self {
            Severity::Critical => 0,
            Severity::High => 1,
            Severity::Medium => 2,
            Severity::Low => 3,
            Severity::Info => 4,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The weight of a rule of this severity in the score (docs/scoring.md).
    pub fn weight(self) -> u32 {
        match self {
            Severity::Info => 0,
            Severity::Low => 1,
            Severity::Medium => 3,
            Severity::High => 6,
            Severity::Critical => 10,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.id() == text)
            .ok_or_else(|| {
                format!("unknown severity `{text}` (expected critical, high, medium, low or info)")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for control in Control::EVERY {
            assert_eq!(control.id().parse::<Control>(), Ok(control));
            let json = serde_json::to_string(&control).unwrap();
            assert_eq!(json, format!("\"{}\"", control.id()));
        }
        for severity in Severity::ALL {
            assert_eq!(severity.id().parse::<Severity>(), Ok(severity));
        }
    }

    #[test]
    fn the_score_keeps_the_six_dhs_axes() {
        assert!(Control::ALL.iter().all(|control| control.in_score()));
        assert!(!Control::SupplyChain.in_score());
        assert!(!Control::ALL.contains(&Control::SupplyChain));
    }

    #[test]
    fn a_severitys_rank_is_its_place_in_all() {
        for (rank, severity) in Severity::ALL.into_iter().enumerate() {
            assert_eq!(severity.rank(), rank);
        }
    }

    #[test]
    fn severities_order_by_gravity() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
        assert!("urgent".parse::<Severity>().is_err());
    }
}
