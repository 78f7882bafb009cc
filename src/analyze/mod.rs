//! Turning artifact bytes into evidence: identification by content, then one analyzer per kind.
//!
//! An [`Analyzer`] holds all the format knowledge of one [`ArtifactKind`] and nothing of
//! policy: it says whether some bytes are its kind ([`Analyzer::identify`]) and turns them
//! into [`Evidence`], a JSON document that rules query with JSONPath. [`identify`] tries the
//! analyzers whose extensions match the file name first; the extension is only a hint.

pub mod accounts;
pub mod ardupilot_params;
pub mod capture;
pub mod dataflash;
pub mod defaults;
pub mod dji_record;
pub mod firmware;
pub mod fleet_secret;
pub mod hostapd;
pub mod key_material;
pub mod log_evidence;
pub mod mavlink;
pub mod mavlink_router;
pub mod parameters;
pub mod profile;
pub mod qgc_params;
pub mod schema;
pub mod signing_key;
pub mod sshd;
pub mod text;
pub mod tlog;
pub mod ulog;
pub mod wifi;
pub mod wpa_supplicant;

/// Text sources and line maps live in a shared leaf module; analyzers name them as
/// `analyze::source`.
pub use crate::source;

use crate::source::LineMap;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// Declares [`ArtifactKind`] from one list, so that a kind is added in one place: each
/// variant with its doc comment, its id (the kebab-case name reports and rule files use) and
/// the root type of its evidence document, and [`ArtifactKind::ALL`], [`ArtifactKind::id`]
/// and [`ArtifactKind::evidence_schema`] made from it.
macro_rules! artifact_kinds {
    ($($(#[doc = $doc:literal])* $variant:ident => $id:literal, evidence: $evidence:ty, doc: $doc_page:literal,)*) => {
        /// What an artifact is, decided from its content.
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
        pub enum ArtifactKind {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ArtifactKind {
            pub const ALL: [ArtifactKind; [$($id),*].len()] = [$(ArtifactKind::$variant),*];

            pub fn id(self) -> &'static str {
                match self {
                    $(ArtifactKind::$variant => $id,)*
                }
            }

            /// The JSON Schema of the evidence document this kind's analyzer makes, generated
            /// from its Rust types (`drone-audit schema evidence KIND` prints it).
            pub fn evidence_schema(self) -> schemars::Schema {
                match self {
                    $(ArtifactKind::$variant => schema::evidence_schema_of::<$evidence>(),)*
                }
            }

            /// The page of docs/ that documents this kind's evidence, and carries the
            /// generated reference of its fields ([`schema::field_reference`]).
            pub fn evidence_doc(self) -> &'static str {
                match self {
                    $(ArtifactKind::$variant => $doc_page,)*
                }
            }
        }
    };
}

artifact_kinds! {
    /// A vendor-neutral device profile (docs/profile.md).
    Profile => "profile", evidence: profile::evidence::ProfileEvidence,
        doc: "docs/profile.md",
    /// ArduPilot parameters: Mission Planner `.param` or MAVProxy `.parm` files.
    ArdupilotParams => "ardupilot-params", evidence: parameters::evidence::ParametersEvidence,
        doc: "docs/evidence/parameters.md",
    /// Parameters as QGroundControl saves them (`.params`), for PX4 or ArduPilot.
    QgcParams => "qgc-params", evidence: parameters::evidence::ParametersEvidence,
        doc: "docs/evidence/parameters.md",
    /// mavlink-router's INI configuration.
    MavlinkRouter => "mavlink-router", evidence: mavlink_router::MavlinkRouterEvidence,
        doc: "docs/evidence/mavlink-router.md",
    /// hostapd.conf: a Wi-Fi access point.
    Hostapd => "hostapd", evidence: hostapd::HostapdEvidence,
        doc: "docs/evidence/wifi.md",
    /// wpa_supplicant.conf: Wi-Fi networks a client joins.
    WpaSupplicant => "wpa-supplicant", evidence: wpa_supplicant::WpaSupplicantEvidence,
        doc: "docs/evidence/wifi.md",
    /// OpenSSH server configuration.
    SshdConfig => "sshd-config", evidence: sshd::SshdConfigEvidence,
        doc: "docs/evidence/sshd-config.md",
    /// /etc/shadow.
    Shadow => "shadow", evidence: accounts::shadow::ShadowEvidence,
        doc: "docs/evidence/accounts.md",
    /// /etc/passwd.
    Passwd => "passwd", evidence: accounts::passwd::PasswdEvidence,
        doc: "docs/evidence/accounts.md",
    /// A packet capture: pcap or pcapng.
    Capture => "capture", evidence: capture::CaptureEvidence,
        doc: "docs/evidence/capture.md",
    /// An ArduPilot DataFlash binary log (`.bin`).
    DataflashLog => "dataflash-log", evidence: dataflash::DataflashEvidence,
        doc: "docs/evidence/dataflash-log.md",
    /// A MAVLink telemetry log (`.tlog`).
    Tlog => "tlog", evidence: tlog::TlogEvidence,
        doc: "docs/evidence/tlog.md",
    /// A PX4 ULog flight log (`.ulg`).
    Ulog => "ulog", evidence: ulog::UlogEvidence,
        doc: "docs/evidence/ulog.md",
    /// A DJI flight record (`DJIFlightRecord_*.txt`).
    DjiFlightRecord => "dji-flight-record", evidence: dji_record::DjiRecordEvidence,
        doc: "docs/evidence/dji-flight-record.md",
    /// Key material kept as a plain file: a PEM or PuTTY key or certificate (`ssh_host_*_key`,
    /// `*.pem`, `*.key`).
    KeyMaterial => "key-material", evidence: key_material::KeyMaterialEvidence,
        doc: "docs/evidence/key-material.md",
    /// A firmware image, update package or the archive it comes in (`.apj`, `.px4`, DJI
    /// `IM*H` and xV4, uImage, gzip, tar, zip, SquashFS, ELF), unpacked recursively.
    Firmware => "firmware", evidence: firmware::FirmwareEvidence,
        doc: "docs/evidence/firmware.md",
    /// PX4's MAVLink signing key file on the SD card (`mavlink/mavlink-signing-key.bin`),
    /// known by its name and place only.
    MavlinkSigningKey => "mavlink-signing-key", evidence: signing_key::MavlinkSigningKeyEvidence,
        doc: "docs/evidence/mavlink-signing-key.md",
}

impl fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for ArtifactKind {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ArtifactKind::ALL
            .into_iter()
            .find(|kind| kind.id() == text)
            .ok_or_else(|| {
                let known: Vec<&str> = ArtifactKind::ALL.iter().map(|k| k.id()).collect();
                format!(
                    "unknown artifact kind `{text}` (expected one of {})",
                    known.join(", ")
                )
            })
    }
}

/// What an analyzer made of one artifact: the document rules query, and where its nodes are.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub kind: ArtifactKind,
    /// The evidence document (its schema is documented per kind in docs/).
    pub document: serde_json::Value,
    /// Lines of the source where the document's nodes start, for formats that have lines.
    pub lines: LineMap,
    /// Things that did not stop the analysis but that the user should see (unknown fields…).
    pub warnings: Vec<String>,
    /// Set when only part of the artifact could be read (a capture cut short): why. The
    /// evidence covers the part read; the artifact is reported as partial, not assessed.
    pub incomplete: Option<String>,
}

/// Why an artifact of a known kind could not be analyzed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AnalyzeError {
    pub message: String,
    /// The 1-based line the problem is on, when the format has lines and it is known.
    pub line: Option<u32>,
    /// The content turned out not to be of the analyzer's kind after all (an archive that
    /// holds no firmware): the artifact is skipped with the reason, not an error, and no rule
    /// of the kind is assessed on it.
    pub not_this_kind: bool,
}

impl AnalyzeError {
    pub fn new(message: impl Into<String>) -> Self {
        AnalyzeError {
            message: message.into(),
            line: None,
            not_this_kind: false,
        }
    }

    /// The content is not of the analyzer's kind after all, and why.
    pub fn not_this_kind(message: impl Into<String>) -> Self {
        AnalyzeError {
            not_this_kind: true,
            ..AnalyzeError::new(message)
        }
    }
}

/// Why an artifact is partial, from the problems its analysis met: the first three, joined,
/// and how many more; none when there were none.
pub fn incomplete_reason(problems: Vec<String>) -> Option<String> {
    let count = problems.len();
    if count == 0 {
        return None;
    }
    let mut reason = problems.into_iter().take(3).collect::<Vec<_>>().join("; ");
    if count > 3 {
        reason.push_str(&format!("; and {} more", count - 3));
    }
    Some(reason)
}

/// Bounds on unpacking one artifact that holds others (a firmware image and its archives).
#[derive(Debug, Clone, Copy)]
pub struct UnpackLimits {
    /// Containers nested deeper than this are not opened.
    pub max_depth: usize,
    /// Members (files in archives, modules in packages) visited in all.
    pub max_members: u64,
    /// Bytes produced by decompression in all.
    pub max_unpacked: u64,
    /// An artifact that unpacks to more than this many times its own size (and more than
    /// [`UnpackLimits::ratio_floor`] bytes) is a decompression bomb.
    pub max_ratio: u64,
    /// What any artifact may unpack to, however small it is.
    pub ratio_floor: u64,
}

impl Default for UnpackLimits {
    fn default() -> Self {
        UnpackLimits {
            max_depth: 12,
            max_members: 200_000,
            max_unpacked: 2 << 30,
            max_ratio: 1_000,
            ratio_floor: 16 << 20,
        }
    }
}

/// One artifact format: identification and analysis.
pub trait Analyzer: Sync {
    fn kind(&self) -> ArtifactKind;
    /// File extensions (lowercase, no dot) that hint at this kind.
    fn extensions(&self) -> &'static [&'static str];
    /// Whether `content` is an artifact of this kind. Must be cheap on content of other kinds
    /// and must not fail: an artifact with errors in it is still identified, so that the
    /// errors are reported rather than the file skipped.
    fn identify(&self, content: &[u8]) -> bool;
    /// The evidence of `content` as the pipeline asks for it: unpacked within `options.unpack`
    /// (formats that hold other artifacts), with the parameters of `options.parameters` in its
    /// `parameters` map (formats that hold parameters). Other formats ignore the options.
    fn analyze_with_options(
        &self,
        content: &[u8],
        options: AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError>;
    /// The evidence of `content` as `inspect` shows it: unpacked within the default limits,
    /// every parameter in it.
    fn analyze(&self, content: &[u8]) -> Result<Evidence, AnalyzeError> {
        self.analyze_with_options(content, AnalyzeOptions::default())
    }
}

/// What the pipeline asks of an analysis besides the content.
#[derive(Debug, Clone, Copy)]
pub struct AnalyzeOptions<'a> {
    /// How far an artifact that holds others is unpacked.
    pub unpack: UnpackLimits,
    /// Which parameters the evidence document holds in its `parameters` map.
    pub parameters: &'a parameters::ParameterScope,
}

impl Default for AnalyzeOptions<'static> {
    /// What [`Analyzer::analyze`] does: the default limits, every parameter.
    fn default() -> Self {
        AnalyzeOptions {
            unpack: UnpackLimits::default(),
            parameters: &parameters::scope::ALL,
        }
    }
}

/// Most specific formats first: identification stops at the first analyzer that says yes.
static ANALYZERS: &[&dyn Analyzer] = &[
    &capture::CaptureAnalyzer,
    &dataflash::DataflashAnalyzer,
    &tlog::TlogAnalyzer,
    &ulog::UlogAnalyzer,
    &dji_record::DjiRecordAnalyzer,
    &profile::ProfileAnalyzer,
    &qgc_params::QgcParamsAnalyzer,
    &ardupilot_params::ArdupilotParamsAnalyzer,
    &mavlink_router::MavlinkRouterAnalyzer,
    &wpa_supplicant::WpaSupplicantAnalyzer,
    &hostapd::HostapdAnalyzer,
    &sshd::SshdConfigAnalyzer,
    &accounts::ShadowAnalyzer,
    &accounts::PasswdAnalyzer,
    &key_material::KeyMaterialAnalyzer,
    // Never claims content: reached by name only (`kind_named`).
    &signing_key::SigningKeyAnalyzer,
    // Last: archives (zip, tar, gzip) are firmware only when nothing more specific claims them.
    &firmware::FirmwareAnalyzer,
];

/// Every analyzer, in the order identification tries them.
pub fn analyzers() -> &'static [&'static dyn Analyzer] {
    ANALYZERS
}

/// The analyzer of `kind`.
pub fn analyzer_for(kind: ArtifactKind) -> &'static dyn Analyzer {
    *ANALYZERS
        .iter()
        .find(|analyzer| analyzer.kind() == kind)
        .expect("every artifact kind has an analyzer")
}

/// The kind a file's name (or place) says it is, for names that say so without doubt: such a
/// file whose content no analyzer recognises is analyzed as that kind anyway, so that a damaged
/// one is an error with its reason and line rather than skipped as unknown.
pub fn kind_named(path: &Path) -> Option<ArtifactKind> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let parent = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|parent| parent.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let kind = match (lower.as_str(), extension.as_str()) {
        ("sshd_config", _) => ArtifactKind::SshdConfig,
        ("hostapd.conf", _) => ArtifactKind::Hostapd,
        ("wpa_supplicant.conf", _) => ArtifactKind::WpaSupplicant,
        ("mavlink-router.conf", _) => ArtifactKind::MavlinkRouter,
        ("main.conf", _) if parent == "mavlink-router" => ArtifactKind::MavlinkRouter,
        ("shadow", _) => ArtifactKind::Shadow,
        ("passwd", _) => ArtifactKind::Passwd,
        ("mavlink-signing-key.bin", _) if parent == "mavlink" => ArtifactKind::MavlinkSigningKey,
        (_, "param" | "parm") => ArtifactKind::ArdupilotParams,
        (_, "params") => ArtifactKind::QgcParams,
        (_, "ulg") => ArtifactKind::Ulog,
        (_, "tlog") => ArtifactKind::Tlog,
        (_, "pcap" | "pcapng") => ArtifactKind::Capture,
        (_, "apj" | "px4") => ArtifactKind::Firmware,
        (_, "bin" | "log") if matches!(parent.as_str(), "logs" | "log") => {
            ArtifactKind::DataflashLog
        }
        (_, "txt") if lower.starts_with("djiflightrecord_") => ArtifactKind::DjiFlightRecord,
        (stem, "json" | "toml") if stem.starts_with("profile.") => ArtifactKind::Profile,
        _ => return None,
    };
    Some(kind)
}

/// Decides the kind of an artifact from its content, trying extension matches first.
pub fn identify(path: &Path, content: &[u8]) -> Option<&'static dyn Analyzer> {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let hinted = |analyzer: &&&dyn Analyzer| analyzer.extensions().contains(&extension.as_str());
    ANALYZERS
        .iter()
        .filter(hinted)
        .chain(ANALYZERS.iter().filter(|analyzer| !hinted(analyzer)))
        .find(|analyzer| analyzer.identify(content))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_analyzer() {
        for kind in ArtifactKind::ALL {
            assert_eq!(analyzer_for(kind).kind(), kind);
            assert_eq!(analyzers().iter().filter(|a| a.kind() == kind).count(), 1);
        }
    }

    #[test]
    fn a_kind_is_written_and_read_by_its_id() {
        for kind in ArtifactKind::ALL {
            assert_eq!(serde_json::to_value(kind).ok(), Some(kind.id().into()));
            assert_eq!(kind.id().parse::<ArtifactKind>(), Ok(kind));
        }
        assert!("firmware-image".parse::<ArtifactKind>().is_err());
    }

    #[test]
    fn names_that_say_what_a_file_is() {
        let named = |path: &str| kind_named(Path::new(path));
        assert_eq!(named("a/profile.json"), Some(ArtifactKind::Profile));
        assert_eq!(
            named("a/etc/ssh/sshd_config"),
            Some(ArtifactKind::SshdConfig)
        );
        assert_eq!(
            named("a/APM/LOGS/00000012.BIN"),
            Some(ArtifactKind::DataflashLog)
        );
        assert_eq!(named("a/firmware/update.bin"), None);
        assert_eq!(named("a/logs/flight.tlog"), Some(ArtifactKind::Tlog));
        assert_eq!(
            named("a/DJIFlightRecord_2023-09-22_[15-50-27].txt"),
            Some(ArtifactKind::DjiFlightRecord)
        );
        assert_eq!(
            named("sd/mavlink/mavlink-signing-key.bin"),
            Some(ArtifactKind::MavlinkSigningKey)
        );
        assert_eq!(named("a/mavlink-signing-key.bin"), None);
        assert_eq!(named("a/notes.txt"), None);
        assert_eq!(named("a/profiles.json"), None);
    }

    #[test]
    fn unknown_content_is_not_identified() {
        assert!(identify(Path::new("notes.txt"), b"just some notes").is_none());
        assert!(identify(Path::new("x.json"), b"{\"name\": \"not a profile\"}").is_none());
        assert!(identify(Path::new("x.bin"), &[0xff, 0x00, 0x13]).is_none());
    }
}
