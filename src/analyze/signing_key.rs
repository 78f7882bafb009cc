//! PX4's MAVLink signing key file, `/mavlink/mavlink-signing-key.bin` on the flight
//! controller's SD card (PX4 1.18+, and 1.17 with MAV_SIGN_CFG): 32 bytes of secret key, then
//! the signing timestamp as a little-endian u64 (40 bytes in all). PX4 reads no other place:
//! the key lives on removable media, and whoever pulls the card holds it.
//!
//! Nothing in the bytes says what they are (a key is random), so the file is known by its name
//! and place only ([`crate::analyze::kind_named`]: `mavlink-signing-key.bin` in a `mavlink`
//! folder). The evidence ([`MavlinkSigningKeyEvidence`], docs/evidence/mavlink-signing-key.md) says
//! that the key is there, its size, whether it is well formed and all zero (PX4's "no key"),
//! and a domain-separated digest of the key for the fleet's uniqueness check: never the key.

use crate::analyze::fleet_secret::{FleetSecret, SecretKind};
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use schemars::JsonSchema;
use serde::Serialize;

pub struct SigningKeyAnalyzer;

/// The size of PX4's key file: a 32-byte key and a u64 timestamp.
pub const KEY_FILE_SIZE: usize = 40;

/// The size of a MAVLink 2 signing secret.
const KEY_SIZE: usize = 32;

/// Where PX4 keeps the file on its SD card.
pub const PATH_ON_CARD: &str = "/mavlink/mavlink-signing-key.bin";

/// The evidence document of PX4's MAVLink signing key file: that the key is there and what
/// state it is in, never the key. PX4 keeps the key only on the SD card, so whoever pulls the
/// card holds it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MavlinkSigningKeyEvidence {
    /// The key file as found on the card.
    pub key_file: KeyFile,
}

/// What the file shows about the key, without the key.
#[derive(Debug, Serialize, JsonSchema)]
pub struct KeyFile {
    /// Always `/mavlink/mavlink-signing-key.bin`: the place PX4 reads the key from.
    pub path_on_card: &'static str,
    /// The file's size in bytes.
    pub size: usize,
    /// The file is 40 bytes, as PX4 writes it; PX4 ignores a file of any other size and runs
    /// unsigned.
    pub well_formed: bool,
    /// The 32 key bytes are all zero: PX4 treats that as "no key", signing off.
    pub key_all_zero: bool,
    /// SHA-256 of `drone-audit fleet-secret mavlink-signing-key v1`, a NUL and the 32 key
    /// bytes, hex; absent when the file is not well formed or the key is zero. A key is 256
    /// random bits, so the digest gives nothing of it away; equal digests on two devices mean
    /// one shared key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_digest: Option<String>,
    /// The same digest, as the fleet's uniqueness check collects it (`kind`
    /// `mavlink-signing-key`); absent when `key_digest` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet_secret: Option<FleetSecret>,
    /// The signing timestamp stored after the key (10 µs units since 2015-01-01); absent when
    /// the file is not well formed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    /// Always 0: findings point at the start of the file.
    pub offset: u64,
}

/// The digest of a signing key that the evidence and the fleet's uniqueness check carry.
pub fn key_digest(key: &[u8]) -> String {
    key_secret(key).digest
}

fn key_secret(key: &[u8]) -> FleetSecret {
    FleetSecret::new(SecretKind::MavlinkSigningKey, PATH_ON_CARD, key)
}

impl Analyzer for SigningKeyAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::MavlinkSigningKey
    }

    fn extensions(&self) -> &'static [&'static str] {
        &[]
    }

    /// Never by content: 40 random bytes look like anything. The scan sends the file here by
    /// its name and place.
    fn identify(&self, _content: &[u8]) -> bool {
        false
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        _: crate::analyze::AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        let well_formed = content.len() == KEY_FILE_SIZE;
        let key = content.get(..KEY_SIZE).filter(|_| well_formed);
        let key_all_zero = key.is_some_and(|key| key.iter().all(|byte| *byte == 0));
        let timestamp = content
            .get(KEY_SIZE..KEY_FILE_SIZE)
            .filter(|_| well_formed)
            .and_then(|bytes| bytes.try_into().ok())
            .map(u64::from_le_bytes);
        let evidence = MavlinkSigningKeyEvidence {
            key_file: KeyFile {
                path_on_card: PATH_ON_CARD,
                size: content.len(),
                well_formed,
                key_all_zero,
                key_digest: key.filter(|_| !key_all_zero).map(key_digest),
                fleet_secret: key.filter(|_| !key_all_zero).map(key_secret),
                timestamp,
                offset: 0,
            },
        };
        let mut warnings = Vec::new();
        if !well_formed {
            warnings.push(format!(
                "the signing key file is {} bytes, not the {KEY_FILE_SIZE} PX4 writes: PX4 \
                 ignores it and runs unsigned",
                content.len()
            ));
        }
        Ok(Evidence {
            kind: ArtifactKind::MavlinkSigningKey,
            document: serde_json::to_value(evidence)
                .map_err(|error| AnalyzeError::new(error.to_string()))?,
            lines: Default::default(),
            warnings,
            incomplete: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::hex;
    use sha2::{Digest, Sha256};

    fn key_file(key: [u8; 32], timestamp: u64) -> Vec<u8> {
        let mut content = key.to_vec();
        content.extend_from_slice(&timestamp.to_le_bytes());
        content
    }

    #[test]
    fn a_key_is_described_never_shown() {
        let key = [0x5a; 32];
        let evidence = SigningKeyAnalyzer.analyze(&key_file(key, 7)).unwrap();
        let node = &evidence.document["key_file"];
        assert_eq!(node["size"], 40);
        assert_eq!(node["well_formed"], true);
        assert_eq!(node["key_all_zero"], false);
        assert_eq!(node["timestamp"], 7);
        assert_eq!(node["key_digest"], key_digest(&key));
        let text = evidence.document.to_string();
        assert!(!text.contains(&hex(&key)), "the key leaked: {text}");
        // The digest is not the plain SHA-256 of the key.
        assert_ne!(node["key_digest"], hex(&Sha256::digest(key)));
    }

    #[test]
    fn the_evidence_follows_its_schema() {
        let files = [
            key_file([0x5a; 32], 1_234_567_890),
            key_file([0; 32], 0),
            vec![7; 39],
        ];
        for content in files {
            let evidence = SigningKeyAnalyzer.analyze(&content).unwrap();
            crate::analyze::schema::assert_follows_schema(
                crate::analyze::ArtifactKind::MavlinkSigningKey,
                &evidence.document,
            );
        }
    }

    #[test]
    fn a_zero_key_is_no_key_and_a_short_file_is_not_well_formed() {
        let zero = SigningKeyAnalyzer.analyze(&key_file([0; 32], 0)).unwrap();
        assert_eq!(zero.document["key_file"]["key_all_zero"], true);
        assert!(zero.document["key_file"].get("key_digest").is_none());
        let short = SigningKeyAnalyzer.analyze(&[1; 39]).unwrap();
        assert_eq!(short.document["key_file"]["well_formed"], false);
        assert!(short.document["key_file"].get("key_digest").is_none());
        assert_eq!(short.warnings.len(), 1);
        assert!(!SigningKeyAnalyzer.identify(&key_file([1; 32], 1)));
    }
}
