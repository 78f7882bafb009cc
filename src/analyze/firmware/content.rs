//! The content scan: one compiled alternation of every secret pattern
//! (rules/catalogue/secret-patterns.toml) and every vendor domain
//! (rules/catalogue/vendor-endpoints.toml), run once over each file's bytes. A match is told
//! to its pattern by testing the patterns, anchored, on the matched bytes alone. Secrets are
//! recorded redacted; vendor hosts once per file with a count.

use crate::analyze::capture::{catalogue, vendor_of};
use regex::bytes::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;

const PATTERN_FILE: &str = include_str!("../../../rules/catalogue/secret-patterns.toml");
/// The longest DNS name.
const MAX_HOST: usize = 253;
/// Distinct vendor host names kept per file.
const MAX_HOSTS: usize = 1_000;
/// Findings of one pattern kept per image; the rest are counted.
const KEPT_PER_PATTERN: usize = 50;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pattern {
    name: String,
    kind: String,
    title: String,
    regex: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternFile {
    pattern: Vec<Pattern>,
}

/// The secret patterns, as the catalogue lists them.
static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    toml::from_str::<PatternFile>(PATTERN_FILE)
        .map(|file| file.pattern)
        .expect("rules/catalogue/secret-patterns.toml is valid (a unit test reads it)")
});

/// The vendor domains as regex literals (`dji\.com`).
fn domain_patterns() -> Vec<String> {
    catalogue()
        .iter()
        .map(|endpoint| regex::escape(&endpoint.domain))
        .collect()
}

struct Compiled {
    combined: Regex,
    /// Each secret pattern alone, anchored at both ends.
    anchored: Vec<Regex>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut alternatives: Vec<String> = PATTERNS
        .iter()
        .map(|pattern| format!("(?:{})", pattern.regex))
        .collect();
    alternatives.extend(domain_patterns());
    Compiled {
        combined: Regex::new(&alternatives.join("|")).expect("the catalogue's patterns compile"),
        anchored: PATTERNS
            .iter()
            .map(|pattern| {
                Regex::new(&format!("^(?:{})$", pattern.regex))
                    .expect("the catalogue's patterns compile")
            })
            .collect(),
    }
});

fn is_host_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'.'
}

/// What a secret looks like in the report: enough to find it, not enough to use it.
fn redact(pattern: &Pattern, matched: &[u8]) -> String {
    let text = String::from_utf8_lossy(matched);
    match pattern.kind.as_str() {
        "private-key" | "certificate" => text.into_owned(),
        "password-hash" => {
            let scheme: String = text.chars().take_while(|c| *c != '$').collect();
            let algorithm = text.split('$').nth(1).unwrap_or_default();
            format!("{scheme}${algorithm}$… ({} characters)", text.len())
        }
        "password-assignment" => {
            let key: String = text
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            format!("{key}=… ({} characters)", text.len())
        }
        _ => format!(
            "{}… ({} characters)",
            text.chars().take(4).collect::<String>(),
            text.len()
        ),
    }
}

/// What the content scan found in one file.
#[derive(Debug)]
pub enum Found {
    /// A secret, redacted.
    Secret(Secret),
    /// A vendor endpoint.
    Endpoint(Endpoint),
}

/// A secret the content scan found, redacted: its kind and first characters, never its value.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Secret {
    /// The catalogue's pattern that matched (`pem-private-key`…), from
    /// rules/catalogue/secret-patterns.toml.
    pub pattern: String,
    /// What kind of secret it is (`private-key`, `password-hash`, `api-key`…).
    pub kind: String,
    /// The pattern's title, in words.
    pub title: String,
    /// The secret's first characters and its length, never the value.
    pub excerpt: String,
    /// Where it starts in the file.
    pub offset: usize,
}

/// A vendor's host name the content scan found (rules/catalogue/vendor-endpoints.toml).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Endpoint {
    /// The host name, lowercase.
    host: String,
    /// Who runs the service, e.g. `DJI`.
    vendor: String,
    /// ISO 3166-1 alpha-2 country of the company that runs the service.
    operator_country: String,
    /// `cloud`, `update` or `maps`.
    kind: String,
    /// The catalogue's domain the host falls under.
    domain: String,
    /// How many times the host occurs in the file.
    occurrences: u64,
    /// Where it first occurs in the file.
    offset: usize,
}

/// What the content scan read and how often each pattern matched.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ContentScan {
    /// Bytes scanned.
    pub bytes: u64,
    /// Files scanned.
    pub files: u64,
    /// Matches of each secret pattern, kept or not, by pattern name.
    pub matches: BTreeMap<String, u64>,
}

/// Scans files and keeps the tallies of one image.
pub struct Scanner {
    bytes: u64,
    files: u64,
    counts: BTreeMap<String, u64>,
}

impl Scanner {
    pub fn new() -> Self {
        Scanner {
            bytes: 0,
            files: 0,
            counts: BTreeMap::new(),
        }
    }

    /// The findings in one file, as `(section, node)`: `secrets` and `endpoints`. Password
    /// hashes in a shadow file are the accounts check's, not a finding of their own.
    pub fn scan(&mut self, bytes: &[u8], skip_hashes: bool) -> Vec<Found> {
        let compiled = &*COMPILED;
        self.bytes += bytes.len() as u64;
        self.files += 1;
        let mut found = Vec::new();
        let mut hosts: BTreeMap<String, (usize, u64)> = BTreeMap::new();
        for matched in compiled.combined.find_iter(bytes) {
            let slice = matched.as_bytes();
            let pattern = compiled
                .anchored
                .iter()
                .position(|regex| regex.is_match(slice))
                .map(|index| &PATTERNS[index]);
            match pattern {
                Some(pattern) => {
                    if skip_hashes && pattern.kind == "password-hash" {
                        continue;
                    }
                    let count = self.counts.entry(pattern.name.clone()).or_default();
                    *count += 1;
                    if *count as usize > KEPT_PER_PATTERN {
                        continue;
                    }
                    found.push(Found::Secret(Secret {
                        pattern: pattern.name.clone(),
                        kind: pattern.kind.clone(),
                        title: pattern.title.clone(),
                        excerpt: redact(pattern, slice),
                        offset: matched.start(),
                    }));
                }
                None => {
                    // A vendor domain: widen it to the whole host name, which must end there.
                    if bytes
                        .get(matched.end())
                        .is_some_and(|byte| byte.is_ascii_alphanumeric() || *byte == b'-')
                    {
                        continue;
                    }
                    // A host name is at most 253 bytes: look no further back.
                    let window = matched.start().saturating_sub(MAX_HOST - matched.len());
                    let start = bytes[window..matched.start()]
                        .iter()
                        .rposition(|byte| !is_host_byte(*byte))
                        .map_or(window, |position| window + position + 1);
                    let host = String::from_utf8_lossy(&bytes[start..matched.end()])
                        .trim_start_matches(['.', '-'])
                        .to_ascii_lowercase();
                    // Distinct names kept per file are bounded too; repeats are counted.
                    if let Some(entry) = hosts.get_mut(&host) {
                        entry.1 += 1;
                    } else if hosts.len() < MAX_HOSTS {
                        hosts.insert(host, (start, 1));
                    }
                }
            }
        }
        for (host, (offset, count)) in hosts {
            let Some(endpoint) = vendor_of(&host) else {
                continue;
            };
            found.push(Found::Endpoint(Endpoint {
                host,
                vendor: endpoint.vendor.clone(),
                operator_country: endpoint.operator_country.clone(),
                kind: endpoint.kind.clone(),
                domain: endpoint.domain.clone(),
                occurrences: count,
                offset,
            }));
        }
        found
    }

    /// Bytes and files scanned, and every pattern's count (kept or not).
    pub fn summary(&self) -> ContentScan {
        ContentScan {
            bytes: self.bytes,
            files: self.files,
            matches: self.counts.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// What the scanner finds, as the evidence sections and nodes it becomes.
    fn scan(bytes: &[u8], skip_hashes: bool) -> Vec<(&'static str, Value)> {
        Scanner::new()
            .scan(bytes, skip_hashes)
            .into_iter()
            .map(|found| match found {
                Found::Secret(secret) => ("secrets", serde_json::to_value(secret)),
                Found::Endpoint(endpoint) => ("endpoints", serde_json::to_value(endpoint)),
            })
            .map(|(section, node)| (section, node.expect("a node serialises")))
            .collect()
    }

    #[test]
    fn the_catalogue_compiles() {
        assert!(PATTERNS.len() >= 8);
        assert_eq!(COMPILED.anchored.len(), PATTERNS.len());
    }

    #[test]
    fn secrets_are_found_told_apart_and_redacted() {
        let text = b"x\0-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\0AKIAIOSFODNN7EXAMPLE\0password=Hunter22\0root:$6$saltsalt$0123456789012345678901234567890123456789012345678901234567890123456789012345678901\0";
        let found = scan(text, false);
        let kinds: Vec<&str> = found
            .iter()
            .map(|(_, node)| node["pattern"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "pem-private-key",
                "aws-access-key",
                "password-assignment",
                "crypt-hash"
            ]
        );
        assert_eq!(found[0].1["offset"], 2);
        let excerpts: Vec<&str> = found
            .iter()
            .map(|(_, node)| node["excerpt"].as_str().unwrap())
            .collect();
        assert!(!excerpts
            .iter()
            .any(|excerpt| excerpt.contains("Hunter22") || excerpt.contains("IOSFODNN")));
        assert!(scan(text, true)
            .iter()
            .all(|(_, node)| node["kind"] != "password-hash"));
    }

    #[test]
    fn vendor_hosts_are_whole_names_counted_once() {
        let text = b"GET https://mydjiflight.dji.com/api\0mydjiflight.dji.com\0dji.community\0";
        let found = scan(text, false);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "endpoints");
        assert_eq!(found[0].1["host"], "mydjiflight.dji.com");
        assert_eq!(found[0].1["occurrences"], 2);
        assert_eq!(found[0].1["offset"], 12);
    }

    #[test]
    fn a_run_of_domains_is_bounded() {
        let text = "dji.com.".repeat(100_000);
        let found = scan(text.as_bytes(), false);
        assert!(found.iter().all(|(_, node)| node["host"]
            .as_str()
            .is_none_or(|host| host.len() <= MAX_HOST)));
    }

    #[test]
    fn format_strings_and_placeholders_are_not_passwords() {
        let text = b"password=%s\0password=$1\0password: <none>\0";
        assert!(scan(text, false).is_empty());
    }
}
