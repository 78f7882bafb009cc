//! Digests of the secrets a device holds, for the fleet's uniqueness check (ETSI EN 303 645
//! 5.1-1: secrets unique per device): a password hash, an SSH host key, a Wi-Fi passphrase, a
//! MAVLink signing key. An analyzer puts a [`FleetSecret`] node (`fleet_secret`) beside each
//! secret it reads; the scan collects them per device ([`collect`]) and the fleet stage
//! (`crate::shared_secrets`) groups equal digests across devices.
//!
//! A digest must not help anyone holding the report to the secret. Each is SHA-256 over a
//! domain string and the secret, except where the secret itself can be guessed:
//! - a password hash is digested whole (`$6$salt$…`): guessing the password needs the salt,
//!   which the report never holds;
//! - a key (SSH host key body, MAVLink signing key) is 256 random bits or more;
//! - a Wi-Fi passphrase can be guessed, so its digest is PBKDF2-HMAC-SHA256 with a fixed salt
//!   and 4096 rounds, WPA's own cost: testing a guess against the report costs what testing it
//!   against a captured handshake costs. (The salt is fixed so that one passphrase on networks
//!   of different names, `Drone-1A2B` and `Drone-3C4D`, still shows as one.)

use crate::analyze::ArtifactKind;
use crate::digest::hex;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

/// What kind of secret a digest is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SecretKind {
    /// An account's password hash (shadow), digested whole with its salt.
    PasswordHash,
    /// A PEM private key kept as a file: an SSH host key (`ssh_host_*_key`) or a TLS, VPN or
    /// signing key.
    PrivateKey,
    /// A Wi-Fi passphrase (hostapd, wpa_supplicant), digested with PBKDF2 at WPA's own cost.
    WifiPassphrase,
    /// PX4's MAVLink 2 signing key.
    MavlinkSigningKey,
}

impl SecretKind {
    pub fn id(self) -> &'static str {
        match self {
            SecretKind::PasswordHash => "password-hash",
            SecretKind::PrivateKey => "private-key",
            SecretKind::WifiPassphrase => "wifi-passphrase",
            SecretKind::MavlinkSigningKey => "mavlink-signing-key",
        }
    }
}

/// A digest of a secret for the fleet's uniqueness check (FLEET-001, docs/fleet.md): the same
/// digest on two devices means they share the secret. Never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FleetSecret {
    /// What kind of secret it is.
    pub kind: SecretKind,
    /// What the secret belongs to: the account, the network's SSID, the key's PEM label.
    pub label: String,
    /// Hex SHA-256 over a domain string and the secret (PBKDF2-HMAC-SHA256 for a Wi-Fi
    /// passphrase, which can be guessed): it tells nothing of the secret.
    pub digest: String,
}

/// PBKDF2 rounds for a Wi-Fi passphrase: WPA's own.
const PASSPHRASE_ROUNDS: u32 = 4096;

impl FleetSecret {
    pub fn new(kind: SecretKind, label: impl Into<String>, secret: &[u8]) -> FleetSecret {
        let domain = format!("drone-audit fleet-secret {} v1", kind.id());
        let digest = match kind {
            SecretKind::WifiPassphrase => passphrase_digest(secret, &domain),
            _ => {
                let mut hasher = Sha256::new();
                hasher.update(domain.as_bytes());
                hasher.update([0]);
                hasher.update(secret);
                hex(&hasher.finalize())
            }
        };
        FleetSecret {
            kind,
            label: label.into(),
            digest,
        }
    }
}

/// Passphrase digests made so far in this process, by SHA-256 of the passphrase: a fleet's
/// devices often share one (the weakness FLEET-001 finds), and each PBKDF2 costs about a
/// millisecond, a tenth of scanning a device with two Wi-Fi configurations. Only digests are
/// kept, never a passphrase; the memo lives as long as the process, and stops growing at
/// [`MAX_REMEMBERED`] passphrases.
static PASSPHRASE_DIGESTS: LazyLock<Mutex<HashMap<[u8; 32], String>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Distinct passphrases whose digest is remembered (about 120 bytes each).
const MAX_REMEMBERED: usize = 65_536;

/// PBKDF2-HMAC-SHA256 of `passphrase` with `domain` as its salt, at WPA's cost, remembered.
fn passphrase_digest(passphrase: &[u8], domain: &str) -> String {
    let key: [u8; 32] = Sha256::new()
        .chain_update(domain.as_bytes())
        .chain_update([0])
        .chain_update(passphrase)
        .finalize()
        .into();
    let remembered = PASSPHRASE_DIGESTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
        .cloned();
    if let Some(digest) = remembered {
        return digest;
    }
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<pbkdf2::sha2::Sha256>(
        passphrase,
        domain.as_bytes(),
        PASSPHRASE_ROUNDS,
        &mut out,
    );
    let digest = hex(&out);
    let mut digests = PASSPHRASE_DIGESTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if digests.len() < MAX_REMEMBERED {
        digests.insert(key, digest.clone());
    }
    digest
}

/// The kinds whose evidence can hold `fleet_secret` nodes: those of the analyzers that read a
/// secret (accounts, Wi-Fi, key material, the signing key) and firmware, which holds their
/// files. They are FLEET-001's kinds (a test keeps them so). The scan walks only these
/// kinds' documents for secrets: walking a parameter file's 900 nodes for none cost a tenth
/// of the scan of 5,000 of them.
pub const KINDS: [ArtifactKind; 6] = [
    ArtifactKind::Shadow,
    ArtifactKind::KeyMaterial,
    ArtifactKind::WpaSupplicant,
    ArtifactKind::Hostapd,
    ArtifactKind::MavlinkSigningKey,
    ArtifactKind::Firmware,
];

/// Whether evidence of `kind` can hold `fleet_secret` nodes ([`KINDS`]).
pub fn may_hold_secrets(kind: ArtifactKind) -> bool {
    KINDS.contains(&kind)
}

/// Nodes visited and depth walked per evidence document when collecting: documents are
/// bounded by their analyzers already; this keeps the walk bounded whatever they hold.
const MAX_NODES: usize = 200_000;
const MAX_DEPTH: usize = 32;
/// `fleet_secret` nodes taken from one document.
pub const MAX_PER_ARTIFACT: usize = 1_000;

/// The `fleet_secret` nodes of an evidence document, in document order: (kind, label, digest).
pub fn collect(document: &Value) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    let mut stack: Vec<(&Value, usize)> = vec![(document, 0)];
    let mut visited = 0;
    while let Some((node, depth)) = stack.pop() {
        visited += 1;
        if visited > MAX_NODES || found.len() >= MAX_PER_ARTIFACT {
            break;
        }
        // Children are pushed reversed, so that the stack pops them in document order, and
        // straight from the node: no list of them is made for each node.
        let walk = depth < MAX_DEPTH;
        match node {
            Value::Object(object) => {
                if let Some(secret) = object.get("fleet_secret") {
                    let text = |key: &str| secret.get(key).and_then(Value::as_str);
                    if let (Some(kind), Some(label), Some(digest)) =
                        (text("kind"), text("label"), text("digest"))
                    {
                        found.push((kind.to_owned(), label.to_owned(), digest.to_owned()));
                    }
                }
                if walk {
                    stack.extend(
                        object
                            .iter()
                            .rev()
                            .filter(|(key, _)| *key != "fleet_secret")
                            .map(|(_, value)| (value, depth + 1)),
                    );
                }
            }
            Value::Array(items) if walk => {
                stack.extend(items.iter().rev().map(|item| (item, depth + 1)));
            }
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn digests_are_per_kind_and_never_the_secret() {
        let hash = FleetSecret::new(SecretKind::PasswordHash, "root", b"$6$salt$abc");
        let same = FleetSecret::new(SecretKind::PasswordHash, "admin", b"$6$salt$abc");
        assert_eq!(hash.digest, same.digest);
        let other_kind = FleetSecret::new(SecretKind::PrivateKey, "root", b"$6$salt$abc");
        assert_ne!(hash.digest, other_kind.digest);
        assert_ne!(hash.digest, hex(&Sha256::digest(b"$6$salt$abc")));
        let wifi = FleetSecret::new(SecretKind::WifiPassphrase, "Drone-1A2B", b"12345678");
        let wifi_again = FleetSecret::new(SecretKind::WifiPassphrase, "Drone-3C4D", b"12345678");
        assert_eq!(wifi.digest, wifi_again.digest);
        assert_eq!(wifi.digest.len(), 64);
    }

    #[test]
    fn a_remembered_passphrase_digest_is_the_pbkdf2_of_it() {
        let domain = "drone-audit fleet-secret wifi-passphrase v1";
        let mut expected = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<pbkdf2::sha2::Sha256>(
            b"hunter22",
            domain.as_bytes(),
            4096,
            &mut expected,
        );
        for _ in 0..2 {
            let secret = FleetSecret::new(SecretKind::WifiPassphrase, "Drone", b"hunter22");
            assert_eq!(secret.digest, hex(&expected));
        }
        let other = FleetSecret::new(SecretKind::WifiPassphrase, "Drone", b"hunter23");
        assert_ne!(other.digest, hex(&expected));
    }

    #[test]
    fn collect_finds_nested_nodes_in_order() {
        let document = json!({
            "accounts": [
                {"name": "root", "fleet_secret": {"kind": "password-hash", "label": "root", "digest": "aa"}},
                {"name": "pi", "fleet_secret": {"kind": "password-hash", "label": "pi", "digest": "bb"}},
                {"name": "bad", "fleet_secret": {"kind": "password-hash"}}
            ],
            "key_file": {"fleet_secret": {"kind": "mavlink-signing-key", "label": "k", "digest": "cc"}}
        });
        let found: Vec<String> = collect(&document).into_iter().map(|(_, _, d)| d).collect();
        assert_eq!(found, ["aa", "bb", "cc"]);
    }

    #[test]
    fn collect_is_bounded_in_depth() {
        let mut deep = json!({"fleet_secret": {"kind": "k", "label": "l", "digest": "d"}});
        for _ in 0..100 {
            deep = json!({ "inner": deep });
        }
        assert!(collect(&deep).is_empty());
    }
}

/// One secret of a device as the report carries it: what kind, its digest, and where it is.
/// The fleet stage groups these across devices; `merge` reads them back from each part.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct DeviceSecret {
    /// `password-hash`, `private-key`, `wifi-passphrase` or `mavlink-signing-key`.
    pub kind: String,
    pub digest: String,
    /// The artifact that holds it.
    pub artifact: String,
    /// The account, network, key label it belongs to.
    pub label: String,
}

/// A device's secrets, from its artifacts' evidence: sorted, each once.
pub fn device_secrets<'a>(
    artifacts: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> Vec<DeviceSecret> {
    let mut secrets: Vec<DeviceSecret> = artifacts
        .into_iter()
        .flat_map(|(artifact, document)| {
            collect(document)
                .into_iter()
                .map(move |(kind, label, digest)| DeviceSecret {
                    kind,
                    digest,
                    artifact: artifact.to_owned(),
                    label,
                })
        })
        .collect();
    secrets.sort();
    secrets.dedup();
    secrets
}
