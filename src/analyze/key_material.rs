//! Key material kept as plain files in a device's folder: SSH host and user keys
//! (`ssh_host_*_key`, `id_*`), `*.pem` and `*.key` files, certificates and keys of TLS, VPN and
//! signing tools. An image overlay that ships one gives every installation the same key.
//!
//! A file is identified by what it holds, not its name: a PEM block (`-----BEGIN …-----`) or a
//! PuTTY key near its start, in text. Its bytes then get the firmware content scan
//! ([`crate::analyze::firmware::content::Scanner`], rules/catalogue/secret-patterns.toml), the same
//! one every member of an image gets, so a key is told and redacted the same way in both. The
//! evidence ([`KeyMaterialEvidence`], docs/evidence/key-material.md) lists the PEM blocks and the
//! secrets found, each with its line and byte offset, never the key itself.

use crate::analyze::firmware::content::{self, Found, Scanner};
use crate::analyze::fleet_secret::{FleetSecret, SecretKind};
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub struct KeyMaterialAnalyzer;

/// How far into a file identification looks for the start of key material: a PEM file may
/// begin with comments or `Bag Attributes` lines, but not with pages of them.
const SNIFF_BYTES: usize = 8 * 1024;

/// PEM blocks listed per file; the rest are counted.
const MAX_BLOCKS: usize = 1_000;

/// The longest PEM body read (between its BEGIN and END lines): a 16,384-bit RSA key is about
/// 12 KiB of base64, a certificate a few KiB.
const MAX_PEM_BODY: usize = 1 << 20;

/// The longest PEM label read (`ENCRYPTED PRIVATE KEY`, `OPENSSH PRIVATE KEY`, …).
const MAX_LABEL: usize = 64;

/// The evidence document of a key-material file: its PEM blocks and the secrets the firmware
/// content scan finds in it, each with its line and byte offset; never the key itself.
#[derive(Debug, Serialize, JsonSchema)]
pub struct KeyMaterialEvidence {
    /// Always 1: the evidence is of one file (the firmware evidence counts files the same way).
    pub files: u32,
    /// The file's size in bytes.
    pub bytes: usize,
    /// Each `-----BEGIN LABEL-----` line, in file order (at most 1,000).
    pub pem_blocks: Vec<PemBlock>,
    /// PEM blocks past the first 1,000, counted.
    pub pem_blocks_not_listed: usize,
    /// What the content scan found, redacted, each with its line (50 kept per pattern). A
    /// PuTTY key file with `Private-Lines:` is a `private-key` too (`putty-private-key`).
    pub secrets: Vec<ScannedSecret>,
    /// The content scan's tallies.
    pub content_scan: ContentScan,
}

/// One `-----BEGIN LABEL-----` line.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PemBlock {
    /// The label: `RSA PRIVATE KEY`, `OPENSSH PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`,
    /// `CERTIFICATE`, `PUBLIC KEY`…
    pub label: String,
    /// The label names a private key.
    pub private: bool,
    /// The 1-based line the block starts on.
    pub line: usize,
    /// The byte offset the block starts at.
    pub offset: usize,
    /// A well-formed private key block's digest for the fleet's uniqueness check (`kind`
    /// `private-key`): SHA-256 over a domain string and the block's body less whitespace.
    /// Never the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet_secret: Option<FleetSecret>,
}

/// A secret the content scan found (rules/catalogue/secret-patterns.toml), redacted: what it
/// is and where, not the secret.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ScannedSecret {
    /// The catalogue pattern that matched (`pem-private-key`, `aws-access-key`, …; not a rule
    /// id).
    pub pattern: String,
    /// What the secret is: `private-key`, `certificate`, `cloud-key`, `token`,
    /// `password-assignment` or `password-hash`.
    pub kind: String,
    /// The pattern's title, for messages.
    pub title: String,
    /// The match, redacted: a PEM header, or the first characters and the length.
    pub excerpt: String,
    /// The byte offset of the match.
    pub offset: u64,
    /// The 1-based line of the match.
    #[serde(default)]
    pub line: usize,
}

/// The content scan's tallies.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ContentScan {
    /// Bytes scanned.
    pub bytes: u64,
    /// Files scanned (1).
    pub files: u64,
    /// Matches per pattern, kept in `secrets` or not.
    pub matches: BTreeMap<String, u64>,
}

/// The finding the PuTTY key file is, which the content scan does not know.
fn putty_private_key() -> ScannedSecret {
    ScannedSecret {
        pattern: "putty-private-key".to_owned(),
        kind: "private-key".to_owned(),
        title: "PuTTY private key".to_owned(),
        excerpt: "PuTTY-User-Key-File-…".to_owned(),
        offset: 0,
        line: 1,
    }
}

impl From<content::ContentScan> for ContentScan {
    fn from(scan: content::ContentScan) -> Self {
        ContentScan {
            bytes: scan.bytes,
            files: scan.files,
            matches: scan.matches,
        }
    }
}

/// The PEM labels in `content`: each `-----BEGIN ` followed by a label of capitals, digits and
/// spaces and `-----`.
fn pem_blocks(content: &[u8]) -> impl Iterator<Item = (usize, String)> + '_ {
    memchr::memmem::find_iter(content, b"-----BEGIN ").filter_map(move |start| {
        let after = start + b"-----BEGIN ".len();
        let rest = &content[after..content.len().min(after + MAX_LABEL + 5)];
        let end = memchr::memmem::find(rest, b"-----")?;
        let label = &rest[..end];
        let valid = !label.is_empty()
            && label
                .iter()
                .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || *byte == b' ');
        valid.then(|| (start, String::from_utf8_lossy(label).into_owned()))
    })
}

/// Checks the PEM block whose BEGIN line starts at `start` (RFC 7468, and RFC 1421 headers
/// such as `Proc-Type:` and `DEK-Info:` of encrypted keys): an END line with the same label
/// within [`MAX_PEM_BODY`] bytes, and between them only base64, header lines and whitespace.
/// A block that fails is damaged evidence, not a block read.
fn check_block<'a>(content: &'a [u8], start: usize, label: &str) -> Result<&'a [u8], String> {
    let body_start = start + "-----BEGIN ".len() + label.len() + "-----".len();
    let end_marker = format!("-----END {label}-----");
    let window = &content[body_start..content.len().min(body_start + MAX_PEM_BODY)];
    let Some(length) = memchr::memmem::find(window, end_marker.as_bytes()) else {
        return Err(format!(
            "no `{end_marker}` line within {MAX_PEM_BODY} bytes"
        ));
    };
    for line in window[..length].split(|byte| *byte == b'\n') {
        let line = line.trim_ascii();
        let base64 = line
            .iter()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'='));
        let header = line.contains(&b':')
            && line
                .iter()
                .all(|byte| byte.is_ascii_graphic() || *byte == b' ');
        if !(base64 || header) {
            return Err("a line of its body is neither base64 nor a header".to_owned());
        }
    }
    Ok(&window[..length])
}

/// The fleet digest of a private key's PEM body: its bytes less whitespace, so that one key
/// written with other line ends or wrapping is still one key.
fn private_key_secret(label: &str, body: &[u8]) -> FleetSecret {
    let compact: Vec<u8> = body
        .iter()
        .copied()
        .filter(|byte| !byte.is_ascii_whitespace())
        .collect();
    FleetSecret::new(SecretKind::PrivateKey, label, &compact)
}

/// Lines of byte offsets asked in increasing order, counting each newline once (a file of
/// many blocks must not be recounted from its start for each).
struct LineCounter<'a> {
    content: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(content: &'a [u8]) -> Self {
        LineCounter {
            content,
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based line of byte `offset`.
    fn line_at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.content.len());
        if offset < self.offset {
            (self.offset, self.line) = (0, 1);
        }
        self.line += memchr::memchr_iter(b'\n', &self.content[self.offset..offset]).count();
        self.offset = offset;
        self.line
    }
}

impl Analyzer for KeyMaterialAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::KeyMaterial
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["pem", "key", "crt", "cer", "ppk", "pub"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        let head = &content[..content.len().min(SNIFF_BYTES)];
        // Key material in PEM or PuTTY form is text; a NUL says binary.
        !head.contains(&0)
            && (pem_blocks(head).next().is_some() || head.starts_with(b"PuTTY-User-Key-File-"))
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        _: crate::analyze::AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        let mut blocks = Vec::new();
        let mut not_listed = 0;
        let mut damaged = Vec::new();
        let mut lines = LineCounter::new(content);
        for (offset, label) in pem_blocks(content) {
            if blocks.len() == MAX_BLOCKS {
                not_listed += 1;
                continue;
            }
            let line = lines.line_at(offset);
            let private = label.ends_with("PRIVATE KEY") || label.ends_with("PRIVATE KEY BLOCK");
            let fleet_secret = match check_block(content, offset, &label) {
                Ok(body) => private.then(|| private_key_secret(&label, body)),
                Err(problem) => {
                    damaged.push(format!(
                        "the {label} block of line {line} is damaged: {problem}"
                    ));
                    None
                }
            };
            blocks.push(PemBlock {
                private,
                label,
                line,
                offset,
                fleet_secret,
            });
        }
        let putty = content.starts_with(b"PuTTY-User-Key-File-");
        if blocks.is_empty() && !putty {
            return Err(AnalyzeError::new(
                "no PEM block (`-----BEGIN …-----`) or PuTTY key found",
            ));
        }
        let mut scanner = Scanner::new();
        let mut lines = LineCounter::new(content);
        let mut secrets = Vec::new();
        for found in scanner.scan(content, false) {
            let Found::Secret(secret) = found else {
                continue;
            };
            secrets.push(ScannedSecret {
                line: lines.line_at(secret.offset),
                pattern: secret.pattern,
                kind: secret.kind,
                title: secret.title,
                excerpt: secret.excerpt,
                offset: secret.offset as u64,
            });
        }
        if putty && memchr::memmem::find(content, b"Private-Lines:").is_some() {
            // The content scan knows PEM and OpenSSH keys; a PuTTY key file is one too.
            secrets.push(putty_private_key());
        }
        let evidence = KeyMaterialEvidence {
            files: 1,
            bytes: content.len(),
            pem_blocks: blocks,
            pem_blocks_not_listed: not_listed,
            secrets,
            content_scan: ContentScan::from(scanner.summary()),
        };
        let document = serde_json::to_value(&evidence).map_err(|error| {
            AnalyzeError::new(format!("cannot serialise key-material evidence: {error}"))
        })?;
        // What the scan found stands (a damaged key is still a key), but a damaged block may
        // hide what it holds: the file is partial.
        let incomplete = crate::analyze::incomplete_reason(damaged);
        Ok(Evidence {
            kind: ArtifactKind::KeyMaterial,
            document,
            lines: Default::default(),
            warnings: Vec::new(),
            incomplete,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Not a real key: the header and a few lines of base64, as the scan sees them.
    const HOST_KEY: &[u8] =
        b"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAuMPICm59CIP3q/B0U5eNTloFNg\n-----END RSA PRIVATE KEY-----\n";

    #[test]
    fn a_private_key_is_identified_and_found_redacted() {
        assert!(KeyMaterialAnalyzer.identify(HOST_KEY));
        let found = crate::analyze::identify(Path::new("ssh_host_rsa_key"), HOST_KEY)
            .map(|analyzer| analyzer.kind());
        assert_eq!(found, Some(ArtifactKind::KeyMaterial));
        let evidence = KeyMaterialAnalyzer.analyze(HOST_KEY).expect("analyzed");
        let document = &evidence.document;
        assert_eq!(document["pem_blocks"][0]["label"], "RSA PRIVATE KEY");
        assert_eq!(document["pem_blocks"][0]["private"], true);
        assert_eq!(document["secrets"][0]["kind"], "private-key");
        assert_eq!(document["secrets"][0]["line"], 1);
        assert!(!document.to_string().contains("MIIEpAIBAAKC"));
        assert!(evidence.incomplete.is_none());
    }

    /// A PuTTY key file's header and the line that says it holds a private key (the key
    /// lines are not needed to tell it).
    const PUTTY_KEY: &[u8] = b"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: gcs-laptop\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAIL3\nAAAA\nPrivate-Lines: 1\nAAAAIFR\n";

    #[test]
    fn the_evidence_follows_its_schema() {
        // A ground station's TLS bundle: a certificate, an encrypted key and a token beside it.
        let bundle = b"# telemetry proxy\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIE\n-----END ENCRYPTED PRIVATE KEY-----\napi_key=Zm9vYmFyYmF6\n";
        let mut files = vec![HOST_KEY.to_vec(), bundle.to_vec(), PUTTY_KEY.to_vec()];
        files.extend(crate::test_prerequisites::corpus_bytes(
            "openhd/ssh_host_rsa_key",
        ));
        for content in files {
            let evidence = KeyMaterialAnalyzer.analyze(&content).expect("analyzed");
            let secrets = evidence.document["secrets"].as_array().map_or(0, Vec::len);
            assert!(secrets > 0, "every file holds a secret to type");
            crate::analyze::schema::assert_follows_schema(
                crate::analyze::ArtifactKind::KeyMaterial,
                &evidence.document,
            );
        }
    }

    #[test]
    fn a_putty_key_is_a_private_key_as_the_json_said_before_the_types() {
        let evidence = KeyMaterialAnalyzer.analyze(PUTTY_KEY).expect("analyzed");
        // The node the analyzer wrote with json! before its evidence was typed.
        let before = serde_json::json!({
            "pattern": "putty-private-key",
            "kind": "private-key",
            "title": "PuTTY private key",
            "excerpt": "PuTTY-User-Key-File-…",
            "offset": 0,
            "line": 1,
        });
        assert_eq!(evidence.document["secrets"], serde_json::json!([before]));
        assert_eq!(
            evidence.document["content_scan"],
            serde_json::json!({"bytes": PUTTY_KEY.len(), "files": 1, "matches": {}})
        );
    }

    #[test]
    fn a_damaged_block_makes_the_file_partial() {
        let mut cut = HOST_KEY.to_vec();
        cut.truncate(HOST_KEY.len() - 10);
        let evidence = KeyMaterialAnalyzer.analyze(&cut).expect("analyzed");
        assert!(evidence.incomplete.expect("partial").contains(
            "RSA PRIVATE KEY block of line 1 is damaged: no `-----END RSA PRIVATE KEY-----` line"
        ));
        assert_eq!(
            evidence.document["secrets"][0]["kind"], "private-key",
            "still a key"
        );
        let spoiled = String::from_utf8_lossy(HOST_KEY).replace("MIIE", "MI\u{e9}E");
        let evidence = KeyMaterialAnalyzer
            .analyze(spoiled.as_bytes())
            .expect("analyzed");
        assert!(evidence
            .incomplete
            .expect("partial")
            .contains("neither base64"));
        let encrypted = b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\nMIIE\n-----END RSA PRIVATE KEY-----\n";
        assert!(KeyMaterialAnalyzer
            .analyze(encrypted)
            .expect("analyzed")
            .incomplete
            .is_none());
    }

    #[test]
    fn certificates_are_key_material_without_a_private_key() {
        let certificate =
            b"# CA of the ground station\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert!(KeyMaterialAnalyzer.identify(certificate));
        let evidence = KeyMaterialAnalyzer.analyze(certificate).expect("analyzed");
        assert_eq!(evidence.document["pem_blocks"][0]["line"], 2);
        assert_eq!(evidence.document["pem_blocks"][0]["private"], false);
        assert!(evidence.document["secrets"]
            .as_array()
            .expect("secrets")
            .iter()
            .all(|secret| secret["kind"] != "private-key"));
    }

    #[test]
    fn other_text_and_binaries_are_not_key_material() {
        assert!(!KeyMaterialAnalyzer.identify(b"Port 22\nHostKey /etc/ssh/ssh_host_rsa_key\n"));
        assert!(!KeyMaterialAnalyzer.identify(b"-----BEGIN lower-----"));
        assert!(!KeyMaterialAnalyzer.identify(b"\0-----BEGIN RSA PRIVATE KEY-----"));
        assert!(KeyMaterialAnalyzer.analyze(b"nothing").is_err());
    }

    #[test]
    fn no_input_makes_the_analyzer_panic() {
        for end in 0..=HOST_KEY.len() {
            let _ = KeyMaterialAnalyzer.identify(&HOST_KEY[..end]);
            let _ = KeyMaterialAnalyzer.analyze(&HOST_KEY[..end]);
        }
        let many = "-----BEGIN X-----\n".repeat(2_000);
        let evidence = KeyMaterialAnalyzer
            .analyze(many.as_bytes())
            .expect("analyzed");
        assert_eq!(evidence.document["pem_blocks_not_listed"], 1_000);
    }
}
