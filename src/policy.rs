//! The organisation's policy: approved firmware, password and link requirements, rule
//! overrides. It is read from `drone-audit.toml` in the scanned root, from `--policy`, or,
//! for a CI gate, only from `--trusted-policy` ([`Policy::for_scan`]).
//!
//! A policy found in the scanned tree is untrusted input, like everything there: it is read
//! only as a regular file inside the scanned folder, at most [`tree_file::POLICY_BOUND`]
//! bytes, and error messages quote at most a short excerpt of it. Whatever its origin, what
//! it changes of the built-in rules ([`PolicyChanges`]: rules disabled, re-rated, waived,
//! requirements relaxed) is computed once and stated by every report, so a pull request that
//! adds a waiver cannot turn a red gate green unnoticed.
//!
//! The policy never decides findings itself: [`Policy::enrich`] writes what it says about a
//! node onto the evidence, as a `policy` object next to the facts it concerns (e.g.
//! `firmware[0].policy.approved = false`), and rules select on those facts. The raw file is
//! parsed strictly (`deny_unknown_fields`), then validated with every error collected.

mod remote_id;

pub use remote_id::RemoteIdPolicy;

use crate::analyze::ArtifactKind;
use crate::control::Severity;
use crate::digest::hex;
use crate::discover::tree_file::{self, TreeFileError};
use crate::discover::{display, FoundPolicy};
use crate::net::{self, AllowedDestination};
use crate::rules::RuleSet;
use crate::source::{parse_toml, serde_path_to_pointer};
use crate::waiver::{Date, RawWaiver, RawWaiverSettings, Waiver};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::discover::POLICY_FILE_NAME;

/// A validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Where it came from (`None`: the built-in defaults).
    pub source: Option<String>,
    /// SHA-256 of the policy file's bytes (of the empty string for the defaults).
    pub digest: String,
    pub firmware: Vec<ApprovedFirmware>,
    pub password_min_length: u32,
    pub required_link_encryption: Vec<String>,
    pub disabled_rules: Vec<String>,
    pub severity_overrides: BTreeMap<String, Severity>,
    /// Whether SSH logins must use keys, never passwords.
    pub ssh_require_keys: bool,
    /// Destinations outside the local network that devices may reach.
    pub allowed_destinations: Vec<AllowedDestination>,
    /// Findings the organisation accepts, until a date: the waivers in force.
    pub waivers: Vec<Waiver>,
    /// Waivers past their date: they no longer apply, and every report lists them.
    pub expired_waivers: Vec<Waiver>,
    /// Days before expiry from which a waiver is listed as due (`[waivers] warn_days`).
    pub waiver_warn_days: u32,
    /// Whether the vehicles' memory cards are taken out after every flight (DHS
    /// mitigation 3): a flight log still on a vehicle's card is then a finding.
    pub cards_removed_after_flight: bool,
    /// Coverage (percent) below which a grade is provisional (`[scoring] provisional_below`):
    /// a grade over too few assessed rules says little (docs/scoring.md).
    pub provisional_below: f64,
    /// `[remote_id]`: what a broadcast Remote ID may disclose (src/policy/remote_id.rs).
    pub remote_id: RemoteIdPolicy,
    /// What the policy changes of the built-in rules and defaults.
    pub changes: PolicyChanges,
    /// Policy files found in the scanned folders and not used, with why: the report's
    /// warnings name them.
    pub not_used: Vec<String>,
    /// The laws that bind the organisation and the supply-chain catalogue (`[supply_chain]`).
    pub supply_chain: crate::supply_chain::SupplyChainPolicy,
}

/// What a policy changes of the built-in rules and defaults: every report states it, so a
/// policy that disables, re-rates or waives rules cannot pass a gate unnoticed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyChanges {
    /// Rules the policy turns off (`[rules] disable`), sorted.
    pub disabled: Vec<String>,
    /// Rules given another severity than their own (`[rules.severity]`), by id.
    pub rerated: Vec<Rerated>,
    /// Waivers (`[[waiver]]`) in force, in the policy's order.
    pub waived: Vec<WaiverScope>,
    /// Waivers past their date, which no longer apply (not a change: listed so that every
    /// report says why their findings count again).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expired: Vec<WaiverScope>,
    /// Requirements set below the built-in defaults (`ssh.require_keys = false (default
    /// true)`…).
    pub relaxed: Vec<String>,
}

/// A rule whose severity the policy changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rerated {
    pub rule: String,
    /// The rule's own severity.
    pub from: Severity,
    /// The severity in force.
    pub to: Severity,
}

/// What one waiver covers, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WaiverScope {
    pub rule: String,
    /// The rule and the device and path globs: `CONN-006 (device px4-*)`.
    pub waiver: String,
    /// The last day it holds, `YYYY-MM-DD`.
    pub expires: String,
    /// Days it has left, when it expires within `[waivers] warn_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_in_days: Option<i64>,
}

/// Most ids or waivers a summary line names of each kind; the JSON report lists them all.
const NAMED_IN_SUMMARY: usize = 10;

impl PolicyChanges {
    /// Whether the policy disables, re-rates or waives nothing and relaxes no requirement.
    pub fn is_empty(&self) -> bool {
        self.disabled.is_empty()
            && self.rerated.is_empty()
            && self.waived.is_empty()
            && self.relaxed.is_empty()
    }

    /// The number of distinct rules the waivers name.
    pub fn waived_rules(&self) -> usize {
        let mut rules: Vec<&str> = self
            .waived
            .iter()
            .map(|scope| scope.rule.as_str())
            .collect();
        rules.sort_unstable();
        rules.dedup();
        rules.len()
    }

    /// One line: `disables 2 rules (CONN-001, CONN-007), re-rates 1 (CONN-006 high → low),
    /// waives 1 (CONN-006 (device px4-*) until 2027-01-31)`, and the requirements relaxed.
    pub fn summary(&self) -> String {
        let rules = |count: usize| if count == 1 { "rule" } else { "rules" };
        let mut line = format!(
            "disables {} {}{}, re-rates {}{}, waives {} {}{}",
            self.disabled.len(),
            rules(self.disabled.len()),
            named(self.disabled.iter().cloned()),
            self.rerated.len(),
            named(
                self.rerated
                    .iter()
                    .map(|rerated| format!("{} {} → {}", rerated.rule, rerated.from, rerated.to))
            ),
            self.waived_rules(),
            rules(self.waived_rules()),
            named(self.waived.iter().map(|scope| match scope.due_in_days {
                Some(days) => format!(
                    "{} until {}, due in {days} days",
                    scope.waiver, scope.expires
                ),
                None => format!("{} until {}", scope.waiver, scope.expires),
            })),
        );
        if !self.expired.is_empty() {
            line.push_str(&format!(
                "; {} expired {} no longer {}{}",
                self.expired.len(),
                if self.expired.len() == 1 {
                    "waiver"
                } else {
                    "waivers"
                },
                if self.expired.len() == 1 {
                    "applies"
                } else {
                    "apply"
                },
                named(
                    self.expired
                        .iter()
                        .map(|scope| format!("{}, expired {}", scope.waiver, scope.expires))
                )
            ));
        }
        if !self.relaxed.is_empty() {
            line.push_str(&format!(
                "; relaxes {}{}",
                self.relaxed.len(),
                named(self.relaxed.iter().cloned())
            ));
        }
        line
    }
}

/// ` (a, b, … and 3 more)`, or nothing for no items.
fn named(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        return String::new();
    }
    let shown = items.len().min(NAMED_IN_SUMMARY);
    let mut text = items[..shown].join(", ");
    if items.len() > shown {
        text.push_str(&format!(" and {} more", items.len() - shown));
    }
    format!(" ({text})")
}

/// Where a scan may take its policy from ([`Policy::for_scan`]).
#[derive(Debug, Clone, Copy)]
pub struct PolicySources<'a> {
    /// A file named on the command line (`--policy`, `--trusted-policy`).
    pub named: Option<&'a Path>,
    /// `--trusted-policy`: the policy is `named` (which must not lie inside a scanned
    /// folder), never one found in the scanned tree.
    pub trusted: bool,
    /// Whether a policy found in a scanned folder is used when none is named (a comparison
    /// judges every candidate by one policy: it does not).
    pub use_found: bool,
    /// The `drone-audit.toml` files at the top of the scanned folders.
    pub found: &'a [FoundPolicy],
    /// The paths scanned.
    pub scanned: &'a [PathBuf],
}

impl PolicySources<'_> {
    /// The files found, as a list, when several would apply and none is named: the user
    /// must choose.
    pub fn ambiguous(&self) -> Option<String> {
        let applies = self.named.is_none() && !self.trusted && self.use_found;
        (applies && self.found.len() > 1).then(|| {
            let names: Vec<String> = self
                .found
                .iter()
                .map(|found| display(&found.path))
                .collect();
            names.join(", ")
        })
    }

    /// Why the policies found are not used, when they are not.
    fn why_found_not_used(&self) -> Option<String> {
        match self.named {
            Some(named) if self.trusted => Some(format!(
                "the policy comes only from --trusted-policy {}",
                display(named)
            )),
            Some(named) => Some(format!("--policy {} is in force", display(named))),
            None if self.trusted => Some("--trusted-policy is in force".to_owned()),
            None if !self.use_found => {
                Some("policies in the scanned folders are not used here".to_owned())
            }
            None => None,
        }
    }
}

/// What the policy approves for one model and component.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovedFirmware {
    /// Vendor; when given it must match the profile's.
    pub vendor: Option<String>,
    pub model: String,
    #[serde(default = "aircraft")]
    pub component: String,
    /// Approved versions.
    #[serde(default)]
    pub versions: Vec<String>,
    /// Approved image hashes (SHA-256, hex).
    #[serde(default)]
    pub sha256: Vec<String>,
    /// The oldest acceptable version.
    pub minimum: Option<String>,
}

fn aircraft() -> String {
    "aircraft".to_owned()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    firmware: Vec<ApprovedFirmware>,
    #[serde(default)]
    passwords: RawPasswords,
    #[serde(default)]
    links: RawLinks,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    ssh: RawSsh,
    #[serde(default)]
    network: RawNetwork,
    #[serde(default)]
    waiver: Vec<RawWaiver>,
    #[serde(default)]
    waivers: RawWaiverSettings,
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    scoring: RawScoring,
    #[serde(default)]
    supply_chain: crate::supply_chain::RawSupplyChainPolicy,
    #[serde(default)]
    remote_id: remote_id::RawRemoteId,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    cards_removed_after_flight: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawScoring {
    provisional_below: Option<f64>,
}

/// The default of `[scoring] provisional_below`: a grade over fewer than half the rules in
/// force is provisional.
pub const DEFAULT_PROVISIONAL_BELOW: f64 = 50.0;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSsh {
    require_keys: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    #[serde(default)]
    allowed: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPasswords {
    min_length: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLinks {
    required_encryption: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
}

/// Every problem found in a policy file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyErrors {
    pub file: String,
    pub errors: Vec<String>,
}

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid policy {}:", self.file)?;
        for error in &self.errors {
            write!(f, "\n  {error}")?;
        }
        Ok(())
    }
}

/// Link encryption names, as profiles spell them; `required_encryption` lists the accepted ones.
const LINK_ENCRYPTIONS: [&str; 7] = ["none", "wep", "wpa", "wpa2", "wpa3", "aes-128", "aes-256"];

impl Default for Policy {
    fn default() -> Self {
        Policy {
            source: None,
            digest: hex(&Sha256::digest(b"")),
            firmware: Vec::new(),
            password_min_length: 8,
            required_link_encryption: vec!["aes-256".to_owned()],
            disabled_rules: Vec::new(),
            severity_overrides: BTreeMap::new(),
            ssh_require_keys: true,
            allowed_destinations: Vec::new(),
            waivers: Vec::new(),
            expired_waivers: Vec::new(),
            waiver_warn_days: crate::waiver::DEFAULT_WARN_DAYS,
            cards_removed_after_flight: true,
            provisional_below: DEFAULT_PROVISIONAL_BELOW,
            remote_id: RemoteIdPolicy::default(),
            changes: PolicyChanges::default(),
            not_used: Vec::new(),
            supply_chain: crate::supply_chain::SupplyChainPolicy::default(),
        }
    }
}

impl Policy {
    /// The policy a scan runs under: the file named on the command line, else (unless told
    /// not to) the one found at the top of a scanned folder, else the defaults. Policies
    /// found and not used are named in [`Policy::not_used`]. With `trusted`, the named file
    /// must not lie inside a scanned folder: the tree under review cannot supply its gate.
    /// (Several found policies with none named: check [`PolicySources::ambiguous`] first;
    /// the first is used here.)
    pub fn for_scan(sources: &PolicySources<'_>, rules: &RuleSet) -> Result<Policy, PolicyErrors> {
        let mut policy = match (sources.named, sources.found.first()) {
            (Some(named), _) => {
                if sources.trusted {
                    refuse_inside_scanned(named, sources.scanned)?;
                }
                Policy::load(named, rules)?
            }
            (None, Some(found)) if sources.use_found && !sources.trusted => {
                Policy::load_found(found, rules)?
            }
            (None, _) => Policy::default(),
        };
        // Waivers' path globs match paths relative to the scan roots, as reports show them.
        let mut scan_roots: Vec<String> =
            sources.scanned.iter().map(|path| display(path)).collect();
        scan_roots.sort();
        scan_roots.dedup();
        for waiver in policy.waivers.iter_mut().chain(&mut policy.expired_waivers) {
            waiver.resolve_under(&scan_roots);
        }
        if let Some(why) = sources.why_found_not_used() {
            policy.not_used = sources
                .found
                .iter()
                .map(|found| {
                    format!(
                        "policy {} found in the scanned tree is not used: {why}",
                        display(&found.path)
                    )
                })
                .collect();
        }
        Ok(policy)
    }

    /// What the report's warnings say about the policy: the policy files not used.
    pub fn warnings(&self) -> impl Iterator<Item = String> + '_ {
        let waivers = self
            .expired_waivers
            .iter()
            .chain(&self.waivers)
            .filter_map(|waiver| waiver.notice(self.waiver_warn_days));
        self.not_used.iter().cloned().chain(waivers)
    }

    /// Reads and validates a policy file named by the user (trusted: any kind of file, a
    /// pipe included), at most [`tree_file::POLICY_BOUND`] bytes of it.
    pub fn load(path: &Path, rules: &RuleSet) -> Result<Policy, PolicyErrors> {
        let file = display(path);
        let bytes = tree_file::read_named(path, tree_file::POLICY_BOUND)
            .map_err(|error| policy_error(&file, &error))?;
        Policy::from_bytes(file, &bytes, rules)
    }

    /// Reads and validates a policy found in a scanned folder, as untrusted input: a regular
    /// file inside the folder (no link out of it), at most [`tree_file::POLICY_BOUND`] bytes.
    pub fn load_found(found: &FoundPolicy, rules: &RuleSet) -> Result<Policy, PolicyErrors> {
        let file = display(&found.path);
        let bytes = match tree_file::read(&found.path, &found.folder, tree_file::POLICY_BOUND) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                let gone = std::io::Error::from(std::io::ErrorKind::NotFound);
                return Err(policy_error(&file, &TreeFileError::Io(gone)));
            }
            Err(error) => return Err(policy_error(&file, &error)),
        };
        Policy::from_bytes(file, &bytes, rules)
    }

    fn from_bytes(file: String, bytes: &[u8], rules: &RuleSet) -> Result<Policy, PolicyErrors> {
        let text = std::str::from_utf8(bytes).map_err(|_| PolicyErrors {
            file: file.clone(),
            errors: vec!["not UTF-8 text".to_owned()],
        })?;
        let mut policy = Policy::parse(text, rules).map_err(|errors| PolicyErrors {
            file: file.clone(),
            errors: errors
                .iter()
                .map(|error| tree_file::bounded_message(error))
                .collect(),
        })?;
        policy.source = Some(file);
        policy.digest = hex(&Sha256::digest(bytes));
        Ok(policy)
    }

    /// Parses and validates policy text, collecting every error; waivers expire against
    /// today's date.
    pub fn parse(text: &str, rules: &RuleSet) -> Result<Policy, Vec<String>> {
        Policy::parse_at(text, rules, Date::today())
    }

    /// Parses and validates policy text as of `today`.
    pub fn parse_at(text: &str, rules: &RuleSet, today: Date) -> Result<Policy, Vec<String>> {
        // The toml crate's message quotes the whole offending line: quote an excerpt only.
        let source = parse_toml(text).map_err(|error| {
            vec![tree_file::toml_error(text).unwrap_or_else(|| error.to_string())]
        })?;
        let raw: RawPolicy = serde_path_to_error::deserialize(&source.value).map_err(|error| {
            let path = error.path().to_string();
            let pointer = serde_path_to_pointer(&path);
            let at = source
                .lines
                .line_of(&pointer)
                .map(|line| format!("line {line}: "))
                .unwrap_or_default();
            vec![format!("{at}`{path}`: {}", error.inner())]
        })?;
        let mut errors = Vec::new();
        let mut policy = Policy::default();
        for (index, entry) in raw.firmware.iter().enumerate() {
            let at = source
                .lines
                .line_of(&format!("/firmware/{index}"))
                .map(|line| format!("line {line}: "))
                .unwrap_or_default();
            if entry.versions.is_empty() && entry.sha256.is_empty() && entry.minimum.is_none() {
                errors.push(format!(
                    "{at}firmware for {} approves nothing: give versions, sha256 or minimum",
                    entry.model
                ));
            }
            for hash in &entry.sha256 {
                if hash.len() != 64 || !hash.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                    errors.push(format!(
                        "{at}firmware for {}: `{hash}` is not a SHA-256 in hex",
                        entry.model
                    ));
                }
            }
        }
        policy.firmware = raw.firmware;
        if let Some(min_length) = raw.passwords.min_length {
            if min_length == 0 {
                errors.push("passwords.min_length must be at least 1".to_owned());
            }
            policy.password_min_length = min_length;
        }
        if let Some(required) = raw.links.required_encryption {
            for name in &required {
                if !LINK_ENCRYPTIONS.contains(&name.as_str()) {
                    errors.push(format!("links.required_encryption: unknown encryption `{name}` (expected one of {})", LINK_ENCRYPTIONS.join(", ")));
                }
            }
            if required.is_empty() {
                errors
                    .push("links.required_encryption must list at least one encryption".to_owned());
            }
            policy.required_link_encryption = required;
        }
        for id in &raw.rules.disable {
            if rules.get(id).is_none() {
                errors.push(format!("rules.disable: no rule `{id}`"));
            }
        }
        for (id, severity) in &raw.rules.severity {
            if rules.get(id).is_none() {
                errors.push(format!("rules.severity: no rule `{id}`"));
            }
            match severity.parse::<Severity>() {
                Ok(severity) => {
                    policy.severity_overrides.insert(id.clone(), severity);
                }
                Err(error) => errors.push(format!("rules.severity.{id}: {error}")),
            }
        }
        policy.disabled_rules = raw.rules.disable;
        policy.supply_chain =
            crate::supply_chain::SupplyChainPolicy::from_raw(raw.supply_chain, today, &mut errors);
        policy
            .disabled_rules
            .extend(policy.supply_chain.rules_not_applied());
        if let Some(require_keys) = raw.ssh.require_keys {
            policy.ssh_require_keys = require_keys;
        }
        if let Some(removed) = raw.storage.cards_removed_after_flight {
            policy.cards_removed_after_flight = removed;
        }
        if let Some(threshold) = raw.scoring.provisional_below {
            if !(0.0..=100.0).contains(&threshold) {
                errors.push(format!(
                    "scoring.provisional_below must be a coverage between 0 and 100, not {threshold}"
                ));
            }
            policy.provisional_below = threshold;
        }
        policy.remote_id = RemoteIdPolicy::from_raw(&raw.remote_id);
        policy.waiver_warn_days = raw.waivers.warn_days();
        for (index, raw_waiver) in raw.waiver.iter().enumerate() {
            let at = source
                .lines
                .line_of(&format!("/waiver/{index}"))
                .map(|line| format!("line {line}: "))
                .unwrap_or_default();
            match Waiver::validate(raw_waiver, rules.get(&raw_waiver.rule).is_some(), today) {
                Ok(waiver) if waiver.is_expired() => policy.expired_waivers.push(waiver),
                Ok(waiver) => policy.waivers.push(waiver),
                Err(faults) => errors.extend(
                    faults
                        .into_iter()
                        .map(|fault| format!("{at}waiver for {}: {fault}", raw_waiver.rule)),
                ),
            }
        }
        for entry in &raw.network.allowed {
            match AllowedDestination::parse(entry) {
                Ok(destination) => policy.allowed_destinations.push(destination),
                Err(error) => errors.push(format!("network.allowed: {error}")),
            }
        }
        if errors.is_empty() {
            policy.changes = policy.changes_to(rules);
            Ok(policy)
        } else {
            Err(errors)
        }
    }

    /// What this policy changes of `rules` (all of them, before the policy) and of the
    /// built-in defaults.
    fn changes_to(&self, rules: &RuleSet) -> PolicyChanges {
        let mut disabled = self.disabled_rules.clone();
        disabled.sort();
        disabled.dedup();
        let rerated = self
            .severity_overrides
            .iter()
            .filter_map(|(id, severity)| {
                let rule = rules.get(id)?;
                (rule.severity != *severity).then(|| Rerated {
                    rule: id.clone(),
                    from: rule.severity,
                    to: *severity,
                })
            })
            .collect();
        let scope = |waiver: &Waiver| WaiverScope {
            rule: waiver.rule.clone(),
            waiver: waiver.label.clone(),
            expires: waiver.expires.to_string(),
            due_in_days: waiver.due_in(self.waiver_warn_days),
        };
        PolicyChanges {
            disabled,
            rerated,
            waived: self.waivers.iter().map(scope).collect(),
            expired: self.expired_waivers.iter().map(scope).collect(),
            relaxed: self.relaxed_requirements(),
        }
    }

    /// The requirements set below the built-in defaults.
    fn relaxed_requirements(&self) -> Vec<String> {
        let defaults = Policy::default();
        let mut relaxed = Vec::new();
        if self.password_min_length < defaults.password_min_length {
            relaxed.push(format!(
                "passwords.min_length = {} (default {})",
                self.password_min_length, defaults.password_min_length
            ));
        }
        let weaker: Vec<&str> = self
            .required_link_encryption
            .iter()
            .filter(|name| !defaults.required_link_encryption.contains(name))
            .map(String::as_str)
            .collect();
        if !weaker.is_empty() {
            relaxed.push(format!(
                "links.required_encryption accepts {} (default aes-256 only)",
                weaker.join(", ")
            ));
        }
        if !self.ssh_require_keys {
            relaxed.push("ssh.require_keys = false (default true)".to_owned());
        }
        if !self.cards_removed_after_flight {
            relaxed.push("storage.cards_removed_after_flight = false (default true)".to_owned());
        }
        if self.provisional_below < defaults.provisional_below {
            relaxed.push(format!(
                "scoring.provisional_below = {} (default {})",
                self.provisional_below, defaults.provisional_below
            ));
        }
        if !self.allowed_destinations.is_empty() {
            relaxed.push(format!(
                "network.allowed lets devices reach {} destination(s) outside the local network",
                self.allowed_destinations.len()
            ));
        }
        relaxed
    }

    /// The rules in force under this policy: disabled rules removed, severities overridden.
    pub fn apply_to_rules(&self, rules: &RuleSet) -> RuleSet {
        let rules_in_force = rules
            .rules
            .iter()
            .filter(|rule| !self.disabled_rules.contains(&rule.id))
            .map(|rule| {
                let mut rule = rule.clone();
                if let Some(severity) = self.severity_overrides.get(&rule.id) {
                    rule.severity = *severity;
                }
                rule
            })
            .collect();
        RuleSet {
            rules: rules_in_force,
            digest: rules.digest.clone(),
        }
    }

    /// Writes what the policy says about the nodes of an evidence document onto them.
    pub fn enrich(&self, kind: ArtifactKind, document: &mut Value) {
        match kind {
            ArtifactKind::Profile => self.enrich_profile(document),
            ArtifactKind::Hostapd | ArtifactKind::WpaSupplicant => self.enrich_wifi(document),
            ArtifactKind::SshdConfig => {
                insert_policy(document, json!({"require_keys": self.ssh_require_keys}))
            }
            ArtifactKind::MavlinkRouter
            | ArtifactKind::ArdupilotParams
            | ArtifactKind::QgcParams
            | ArtifactKind::Ulog
            | ArtifactKind::DataflashLog
            | ArtifactKind::Tlog => {
                self.enrich_endpoints(document);
                self.enrich_flown_firmware(document);
            }
            ArtifactKind::Shadow
            | ArtifactKind::Passwd
            | ArtifactKind::DjiFlightRecord
            | ArtifactKind::KeyMaterial
            | ArtifactKind::MavlinkSigningKey => {}
            ArtifactKind::Capture => {
                self.enrich_flows(document);
                self.remote_id.enrich(document);
            }
            ArtifactKind::Firmware => self.enrich_firmware_images(document),
        }
        self.supply_chain.enrich(kind, document);
    }

    /// `images[*]` (autopilot packages) and `packages[*]` (DJI xV4) of a firmware artifact:
    /// judged by the `[[firmware]]` entry for their own vendor, model (the board, or DJI's
    /// model code) and component, by SHA-256 where the entry lists hashes.
    fn enrich_firmware_images(&self, document: &mut Value) {
        for section in ["images", "packages"] {
            for image in array_mut(document, section) {
                let text = |key: &str| {
                    image
                        .get(key)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                let (vendor, model) = (text("vendor"), text("model"));
                if model.is_empty() {
                    continue;
                }
                let facts = self.firmware_facts(&vendor, &model, image);
                insert_policy(image, facts);
            }
        }
    }

    /// `firmware` of a flight log: the firmware that flew, judged by the `[[firmware]]` entry
    /// with component `autopilot` and, for ArduPilot logs, vendor `ArduPilot` and the vehicle
    /// (`ArduPlane`…) as model; for PX4 logs, vendor `PX4` and the board (`ver_hw`) as model.
    fn enrich_flown_firmware(&self, document: &mut Value) {
        let vendor = match document.get("autopilot").and_then(Value::as_str) {
            Some("px4") => "PX4",
            _ => "ArduPilot",
        };
        let Some(firmware) = document.get_mut("firmware").filter(|node| node.is_object()) else {
            return;
        };
        let model_key = if vendor == "PX4" { "ver_hw" } else { "vehicle" };
        let (Some(model), Some(version)) = (
            firmware
                .get(model_key)
                .and_then(Value::as_str)
                .map(str::to_owned),
            firmware
                .get("version")
                .and_then(Value::as_str)
                .map(str::to_owned),
        ) else {
            return;
        };
        let component = json!({"component": "autopilot", "version": version});
        let model = if vendor == "ArduPilot" {
            current_ardupilot_vehicle(&model)
        } else {
            &model
        };
        let facts = self.firmware_facts(vendor, model, &component);
        insert_policy(firmware, facts);
    }

    /// `flows[*]` of a capture: whether the policy allows the internet endpoint, by address
    /// or by any name it went by.
    fn enrich_flows(&self, document: &mut Value) {
        for flow in array_mut(document, "flows") {
            let address = flow
                .get("public_address")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let allowed = match address {
                None => true,
                Some(address) => {
                    self.allows_destination(&address)
                        || flow
                            .get("names")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .any(|name| self.allows_destination(name))
                }
            };
            insert_policy(flow, json!({"allowed": allowed}));
        }
    }

    /// Whether the policy allows reaching `address` (an IP address or a host name): addresses
    /// that stay on the local network always are; others must be in `network.allowed`.
    pub fn allows_destination(&self, address: &str) -> bool {
        match address.parse::<std::net::IpAddr>() {
            Ok(ip) => {
                !net::scope(ip).is_public()
                    || self
                        .allowed_destinations
                        .iter()
                        .any(|allowed| allowed.allows_address(ip))
            }
            Err(_) => self
                .allowed_destinations
                .iter()
                .any(|allowed| allowed.allows_host(address)),
        }
    }

    /// `networks[*]` of a Wi-Fi config: passphrase length against the password policy.
    fn enrich_wifi(&self, document: &mut Value) {
        for network in array_mut(document, "networks") {
            if let Some(length) = network.get("passphrase_length").and_then(Value::as_u64) {
                let facts = json!({
                    "min_length": self.password_min_length,
                    "too_short": length < u64::from(self.password_min_length),
                });
                insert_policy(network, facts);
            }
        }
    }

    /// `endpoints[*]` of a MAVLink router or a parameter set: whether the address is allowed.
    fn enrich_endpoints(&self, document: &mut Value) {
        for endpoint in array_mut(document, "endpoints") {
            if let Some(address) = endpoint
                .get("address")
                .and_then(Value::as_str)
                .map(str::to_owned)
            {
                insert_policy(
                    endpoint,
                    json!({"allowed": self.allows_destination(&address)}),
                );
            }
        }
    }

    fn enrich_profile(&self, document: &mut Value) {
        let vendor = document
            .pointer("/identity/vendor")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let model = document
            .pointer("/identity/model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        for component in array_mut(document, "firmware") {
            let facts = self.firmware_facts(&vendor, &model, component);
            insert_policy(component, facts);
        }
        for link in array_mut(document, "links") {
            if let Some(encryption) = link.get("encryption").and_then(Value::as_str) {
                let meets = self
                    .required_link_encryption
                    .iter()
                    .any(|required| required == encryption);
                insert_policy(
                    link,
                    json!({"required_encryption": self.required_link_encryption, "meets_encryption": meets}),
                );
            }
        }
        if let Some(access) = document.get_mut("access").and_then(Value::as_object_mut) {
            for credential in access.values_mut() {
                let mut facts = Map::new();
                facts.insert("min_length".to_owned(), json!(self.password_min_length));
                if let Some(length) = credential.get("min_length").and_then(Value::as_u64) {
                    facts.insert(
                        "too_short".to_owned(),
                        json!(length < u64::from(self.password_min_length)),
                    );
                }
                insert_policy(credential, Value::Object(facts));
            }
        }
    }

    /// `approved`, `minimum`, `below_minimum` and `downgraded` facts for one firmware component.
    fn firmware_facts(&self, vendor: &str, model: &str, component: &Value) -> Value {
        let name = component
            .get("component")
            .and_then(Value::as_str)
            .unwrap_or("aircraft");
        let version = component
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut facts = Map::new();
        if let Some(previous) = component.get("previous_version").and_then(Value::as_str) {
            facts.insert(
                "downgraded".to_owned(),
                json!(compare_versions(version, previous) == Ordering::Less),
            );
        }
        if self.firmware.is_empty() {
            return Value::Object(facts);
        }
        // ArduPilot's old vehicle names (`APM:Copter`) name today's (`ArduCopter`), in the
        // policy as in the artifact.
        let entry = self.firmware.iter().find(|entry| {
            (entry.model.eq_ignore_ascii_case(model)
                || current_ardupilot_vehicle(&entry.model).eq_ignore_ascii_case(model))
                && entry.component.eq_ignore_ascii_case(name)
                && entry
                    .vendor
                    .as_deref()
                    .is_none_or(|expected| expected.eq_ignore_ascii_case(vendor))
        });
        let Some(entry) = entry else {
            facts.insert("approved".to_owned(), json!(false));
            facts.insert(
                "reason".to_owned(),
                json!(format!(
                    "the policy approves no {name} firmware for {model}"
                )),
            );
            return Value::Object(facts);
        };
        if let Some(minimum) = &entry.minimum {
            facts.insert("minimum".to_owned(), json!(minimum));
            // An unknown version is not below anything: the minimum rule is not assessed.
            if !version.is_empty() {
                facts.insert(
                    "below_minimum".to_owned(),
                    json!(compare_versions(version, minimum) == Ordering::Less),
                );
            }
        }
        if !entry.versions.is_empty() || !entry.sha256.is_empty() {
            let hash = component
                .get("sha256")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase);
            let (approved, reason) = if !entry.sha256.is_empty() {
                match hash {
                    Some(hash)
                        if entry
                            .sha256
                            .iter()
                            .any(|approved| approved.eq_ignore_ascii_case(&hash)) =>
                    {
                        (true, "SHA-256 on the approved list".to_owned())
                    }
                    Some(_) => (false, "SHA-256 not on the approved list".to_owned()),
                    None => (
                        false,
                        "no SHA-256 recorded to check against the approved list".to_owned(),
                    ),
                }
            } else if entry
                .versions
                .iter()
                .any(|approved| same_version(approved, version))
            {
                (true, "version on the approved list".to_owned())
            } else {
                (
                    false,
                    format!("approved versions: {}", entry.versions.join(", ")),
                )
            };
            facts.insert("approved".to_owned(), json!(approved));
            facts.insert("reason".to_owned(), json!(reason));
        }
        Value::Object(facts)
    }
}

/// A policy file that could not be read, as a policy error.
fn policy_error(file: &str, error: &TreeFileError) -> PolicyErrors {
    PolicyErrors {
        file: file.to_owned(),
        errors: vec![error.to_string()],
    }
}

/// Refuses a trusted policy that lies inside a scanned folder: the tree under review would
/// supply its own gate. (A pipe, `<(git show …)`, has no place: it is accepted.)
fn refuse_inside_scanned(named: &Path, scanned: &[PathBuf]) -> Result<(), PolicyErrors> {
    let Ok(real) = std::fs::canonicalize(named) else {
        return Ok(());
    };
    for folder in scanned.iter().filter(|path| path.is_dir()) {
        let Ok(real_folder) = std::fs::canonicalize(folder) else {
            continue;
        };
        if real.starts_with(&real_folder) {
            return Err(PolicyErrors {
                file: display(named),
                errors: vec![format!(
                    "a trusted policy cannot lie inside the scanned folder {}: the tree under review would set its own gate (take the policy from the protected branch: docs/ci.md)",
                    display(folder)
                )],
            });
        }
    }
    Ok(())
}

/// ArduPilot's vehicle names as policies write them: logs of the 3.x releases say `APM:Copter`,
/// `APM:Plane`, `APM:Rover` (and some `ArduRover`) for ArduCopter, ArduPlane and Rover.
fn current_ardupilot_vehicle(vehicle: &str) -> &str {
    match vehicle {
        "APM:Copter" => "ArduCopter",
        "APM:Plane" => "ArduPlane",
        "APM:Rover" | "ArduRover" => "Rover",
        other => other,
    }
}

/// Whether two version texts name the same version: a leading `v` (`v1.14.3`, as PX4 tags
/// releases) does not count.
fn same_version(a: &str, b: &str) -> bool {
    bare_version(a) == bare_version(b)
}

/// A version as written without surrounding space or a leading `v`: `v4.5.7 ` is `4.5.7`.
fn bare_version(version: &str) -> &str {
    version.trim().trim_start_matches(['v', 'V'])
}

fn array_mut<'a>(document: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    document
        .get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

fn insert_policy(node: &mut Value, facts: Value) {
    if let Some(object) = node.as_object_mut() {
        if facts.as_object().is_some_and(|facts| !facts.is_empty()) {
            object.insert("policy".to_owned(), facts);
        }
    }
}

/// Compares firmware versions with semver-like precedence:
///
/// 1. the numbers of the leading release part (`v1.14.3`, `01.01.0300` = 1.1.300), missing
///    trailing numbers counting as 0 (`1.2` = `1.2.0`);
/// 2. a pre-release before its release, pre-releases ranked `dev` < `alpha` < `beta` < `pre` <
///    `rc`, then by their number (`beta2` < `beta10` < `rc1` < release);
/// 3. commits after a tag, as `git describe` writes them (`-59-g0c3e64a7f5`): after the tag
///    they follow, so `v1.12.0-59-g…` is above 1.12.0 and `v1.12.0-beta2-59-g…` stays a
///    pre-release of 1.12.0, above beta2 and below beta3.
///
/// Any other suffix (`-heli`, `(2a3dc4b7)`) does not count. Versions without a leading number
/// compare by all their numbers. `Equal` means the same version by these rules (`v1.2` and
/// `1.2.0`, `01.01.0300` and `1.1.300`): every caller asks whether one is *below* the other
/// (a minimum, a downgrade), which a tie broken on the text would wrongly answer.
pub fn compare_versions(left: &str, right: &str) -> Ordering {
    Version::parse(left).cmp(&Version::parse(right))
}

/// A version as [`compare_versions`] orders it.
#[derive(Debug, PartialEq, Eq)]
struct Version {
    /// The release numbers, trailing zeros dropped so that `1.2` equals `1.2.0`.
    release: Vec<u64>,
    /// The pre-release's rank and number; `None` for a release.
    pre_release: Option<(u8, u64)>,
    /// Commits after the tag (`git describe`'s `-N-gHASH`).
    commits_after: u64,
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.release
            .cmp(&other.release)
            .then_with(|| match (self.pre_release, other.pre_release) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(left), Some(right)) => left.cmp(&right),
            })
            .then_with(|| self.commits_after.cmp(&other.commits_after))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Pre-release markers, lowest rank first.
const PRE_RELEASE_MARKERS: [(&str, u8); 7] = [
    ("dev", 0),
    ("alpha", 1),
    ("beta", 2),
    ("preview", 3),
    ("pre", 3),
    ("rc", 4),
    ("candidate", 4),
];

impl Version {
    fn parse(version: &str) -> Version {
        let numbers_of = |text: &str| -> Vec<u64> {
            text.split(|character: char| !character.is_ascii_digit())
                .filter(|run| !run.is_empty())
                .map(|run| run.parse::<u64>().unwrap_or(u64::MAX))
                .collect()
        };
        let trimmed = bare_version(version);
        let release_end = trimmed
            .find(|character: char| !(character.is_ascii_digit() || character == '.'))
            .unwrap_or(trimmed.len());
        let (release, suffix) = trimmed.split_at(release_end);
        if release.is_empty() {
            return Version {
                release: numbers_of(trimmed),
                pre_release: None,
                commits_after: 0,
            };
        }
        let mut release = numbers_of(release);
        while release.last() == Some(&0) {
            release.pop();
        }
        let suffix = suffix.to_ascii_lowercase();
        let (suffix, commits_after) = git_describe_suffix(&suffix);
        Version {
            release,
            pre_release: pre_release(suffix),
            commits_after,
        }
    }
}

/// `suffix` without a trailing `git describe` part (`-59-g0c3e64a7f5`, maybe `-dirty`), and the
/// commit count it gives.
fn git_describe_suffix(suffix: &str) -> (&str, u64) {
    let clean = suffix.strip_suffix("-dirty").unwrap_or(suffix);
    let Some((before_hash, hash)) = clean.rsplit_once("-g") else {
        return (suffix, 0);
    };
    let is_hash = (4..=40).contains(&hash.len()) && hash.chars().all(|c| c.is_ascii_hexdigit());
    let Some((before_count, count)) = before_hash.rsplit_once('-') else {
        return (suffix, 0);
    };
    match count.parse::<u64>() {
        Ok(commits) if is_hash && !count.is_empty() => (before_count, commits),
        _ => (suffix, 0),
    }
}

/// The rank and number of the pre-release a suffix names (`-beta2`, `rc.1`, `-dev`), if any.
fn pre_release(suffix: &str) -> Option<(u8, u64)> {
    // The earliest marker in the suffix names it; the number right after it orders it.
    let (at, marker, rank) = PRE_RELEASE_MARKERS
        .iter()
        .filter_map(|(marker, rank)| suffix.find(marker).map(|at| (at, *marker, *rank)))
        .min_by_key(|(at, marker, _)| (*at, std::cmp::Reverse(marker.len())))?;
    let rest = suffix[at + marker.len()..].trim_start_matches(['.', '-', '_']);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((rank, digits.parse().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RuleSet {
        crate::rules::load(None).unwrap()
    }

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(
            compare_versions("01.01.0300", "01.00.0600"),
            Ordering::Greater
        );
        assert_eq!(compare_versions("v1.14.0", "v1.14.3"), Ordering::Less);
        assert_eq!(compare_versions("4.10.0", "4.9.9"), Ordering::Greater);
        assert_eq!(compare_versions("1.2", "1.2"), Ordering::Equal);
        assert_eq!(compare_versions("4.5.7-rc1", "4.5.7"), Ordering::Less);
        assert_eq!(compare_versions("4.5.8-rc1", "4.5.7"), Ordering::Greater);
        assert_eq!(
            compare_versions("01.01.0300", "1.1.300"),
            Ordering::Equal,
            "the same numbers: not below a minimum written without zeros"
        );
        assert_eq!(
            compare_versions("raspios-bookworm-2024.03", "raspios-bookworm-2024.07"),
            Ordering::Less
        );
    }

    #[test]
    fn pre_release_tags_and_git_describe_suffixes_keep_their_place() {
        use Ordering::{Equal, Greater, Less};
        for (left, right, expected) in [
            // Issue 17.11: a beta's build is below the release, for every minimum rule.
            ("v1.12.0-beta2-59-g0c3e64a7f5", "1.12.0", Less),
            ("v1.12.0-beta2-59-g0c3e64a7f5", "v1.12.0", Less),
            ("v1.12.0-beta2-59-g0c3e64a7f5", "1.12.0-beta2", Greater),
            ("v1.12.0-beta2-59-g0c3e64a7f5", "1.12.0-beta3", Less),
            ("v1.12.0-beta2-59-g0c3e64a7f5", "1.11.3", Greater),
            // Commits after a release are above it, below the next.
            ("1.12.0-59-g0c3e64a7f5", "v1.12.0", Greater),
            ("v1.12.0-59-g0c3e64a7f5-dirty", "1.12.0", Greater),
            ("1.12.0-59-g0c3e64a7f5", "1.12.1", Less),
            ("1.12.0-3-gabcdef0", "1.12.0-59-gabcdef0", Less),
            // Pre-releases in order, numbers as numbers.
            ("1.12.0-beta2", "1.12.0-beta10", Less),
            ("1.12.0-dev", "1.12.0-alpha1", Less),
            ("1.12.0-alpha3", "1.12.0-beta1", Less),
            ("1.12.0-beta9", "1.12.0-rc1", Less),
            ("1.12.0-rc.2", "1.12.0-rc1", Greater),
            ("4.6.0-dev", "4.5.7", Greater),
            ("V4.5.0-rc3", "4.5.0", Less),
            // A leading v, trailing zeros and other suffixes do not count.
            ("v1.2", "1.2.0", Equal),
            ("01.01.0300", "1.1.300", Equal),
            ("4.5.7-heli", "4.5.7", Equal),
        ] {
            assert_eq!(compare_versions(left, right), expected, "{left} vs {right}");
            assert_eq!(
                compare_versions(right, left),
                expected.reverse(),
                "{right} vs {left}"
            );
        }
    }

    #[test]
    fn a_minimum_is_not_met_by_a_pre_release_of_it() {
        let policy = Policy::parse(
            "[[firmware]]\nmodel = \"PX4_FMU_V5\"\ncomponent = \"autopilot\"\nminimum = \"1.12.0\"\n",
            &rules(),
        )
        .unwrap();
        let facts = policy.firmware_facts(
            "PX4",
            "PX4_FMU_V5",
            &json!({"component": "autopilot", "version": "v1.12.0-beta2-59-g0c3e64a7f5"}),
        );
        assert_eq!(facts["below_minimum"], true);
        let facts = policy.firmware_facts(
            "PX4",
            "PX4_FMU_V5",
            &json!({"component": "autopilot", "version": "v1.12.0-4-g0c3e64a7f5"}),
        );
        assert_eq!(facts["below_minimum"], false);
    }

    #[test]
    fn firmware_facts_follow_the_approved_list() {
        let policy = Policy::parse(
            "[[firmware]]\nmodel = \"Mavic 2 Enterprise\"\nversions = [\"01.01.0300\"]\nminimum = \"01.01.0300\"\n",
            &rules(),
        )
        .unwrap();
        let mut document = json!({
            "identity": {"vendor": "DJI", "model": "Mavic 2 Enterprise"},
            "firmware": [
                {"component": "aircraft", "version": "01.00.0600", "previous_version": "01.01.0300"},
                {"component": "remote-controller", "version": "01.00.0100"}
            ]
        });
        policy.enrich(ArtifactKind::Profile, &mut document);
        let aircraft = &document["firmware"][0]["policy"];
        assert_eq!(aircraft["approved"], false);
        assert_eq!(aircraft["below_minimum"], true);
        assert_eq!(aircraft["downgraded"], true);
        assert_eq!(document["firmware"][1]["policy"]["approved"], false);
        assert!(document["firmware"][1]["policy"]["reason"]
            .as_str()
            .unwrap()
            .contains("no remote-controller firmware"));
    }

    #[test]
    fn old_ardupilot_vehicle_names_meet_todays_policy_entries() {
        let policy = Policy::parse(
            "[[firmware]]\nvendor = \"ArduPilot\"\nmodel = \"ArduCopter\"\ncomponent = \"autopilot\"\nminimum = \"4.0.0\"\n",
            &rules(),
        )
        .unwrap();
        let mut log = json!({"autopilot": "ardupilot", "firmware": {"vehicle": "APM:Copter", "version": "3.3.3"}});
        policy.enrich(ArtifactKind::DataflashLog, &mut log);
        assert_eq!(log["firmware"]["policy"]["below_minimum"], true, "{log}");
    }

    #[test]
    fn hashes_decide_when_the_policy_lists_them() {
        let hash = "a".repeat(64);
        let policy = Policy::parse(
            &format!("[[firmware]]\nmodel = \"M\"\nsha256 = [\"{hash}\"]\n"),
            &rules(),
        )
        .unwrap();
        let mut good = json!({"identity": {"model": "M"}, "firmware": [{"version": "1", "sha256": hash.to_uppercase()}]});
        let mut missing = json!({"identity": {"model": "M"}, "firmware": [{"version": "1"}]});
        policy.enrich(ArtifactKind::Profile, &mut good);
        policy.enrich(ArtifactKind::Profile, &mut missing);
        assert_eq!(good["firmware"][0]["policy"]["approved"], true);
        assert_eq!(missing["firmware"][0]["policy"]["approved"], false);
    }

    #[test]
    fn without_a_firmware_list_nothing_is_said_about_approval() {
        let mut document = json!({"identity": {"model": "M"}, "firmware": [{"version": "1"}]});
        Policy::default().enrich(ArtifactKind::Profile, &mut document);
        assert!(document["firmware"][0].get("policy").is_none());
    }

    #[test]
    fn links_and_passwords_get_policy_facts() {
        let mut document = json!({
            "identity": {"model": "M"},
            "links": [{"name": "a", "encryption": "wpa2"}, {"name": "b"}],
            "access": {"pairing": {"password": true, "min_length": 6}}
        });
        Policy::default().enrich(ArtifactKind::Profile, &mut document);
        assert_eq!(document["links"][0]["policy"]["meets_encryption"], false);
        assert!(document["links"][1].get("policy").is_none());
        assert_eq!(document["access"]["pairing"]["policy"]["too_short"], true);
    }

    #[test]
    fn every_error_is_collected_with_its_place() {
        let text = "[passwords]\nmin_length = 0\n[links]\nrequired_encryption = [\"rot13\"]\n[rules]\ndisable = [\"NOPE-001\"]\nseverity = { \"CONN-001\" = \"urgent\" }\n[[firmware]]\nmodel = \"M\"\nsha256 = [\"xyz\"]\n";
        let errors = Policy::parse(text, &rules()).unwrap_err();
        assert_eq!(errors.len(), 5, "{errors:#?}");
        assert!(
            errors
                .iter()
                .any(|error| error.starts_with("line 8: firmware for M: `xyz`")),
            "{errors:#?}"
        );
    }

    #[test]
    fn ssh_and_network_sections_parse_and_enrich() {
        let policy = Policy::parse("[ssh]\nrequire_keys = false\n[network]\nallowed = [\"203.0.113.0/24\", \"*.example.org\"]\n", &rules()).unwrap();
        assert!(!policy.ssh_require_keys);
        assert!(policy.allows_destination("203.0.113.9"));
        assert!(policy.allows_destination("gcs.example.org"));
        assert!(!policy.allows_destination("8.8.8.8"));
        assert!(
            policy.allows_destination("192.168.4.10"),
            "the local network is always allowed"
        );
        assert!(!policy.allows_destination("telemetry.example.com"));
        let mut router = json!({"endpoints": [{"name": "a", "address": "8.8.8.8"}, {"name": "b"}]});
        policy.enrich(ArtifactKind::MavlinkRouter, &mut router);
        assert_eq!(router["endpoints"][0]["policy"]["allowed"], false);
        assert!(router["endpoints"][1].get("policy").is_none());
        let mut wifi = json!({"networks": [{"ssid": "x", "passphrase_length": 6}]});
        Policy::default().enrich(ArtifactKind::Hostapd, &mut wifi);
        assert_eq!(wifi["networks"][0]["policy"]["too_short"], true);
        let mut sshd = json!({"settings": {}});
        Policy::default().enrich(ArtifactKind::SshdConfig, &mut sshd);
        assert_eq!(sshd["policy"]["require_keys"], true);
        assert!(Policy::parse("[network]\nallowed = [\"10.0.0.0/40\"]\n", &rules()).is_err());
    }

    #[test]
    fn waivers_are_validated_with_their_line() {
        let today = Date::parse("2026-11-25").unwrap();
        let text = "[[waiver]]\nrule = \"CONN-006\"\ndevice = \"px4-*\"\nreason = \"lab\"\nexpires = \"2027-01-31\"\n\n[[waiver]]\nrule = \"CONN-001\"\nreason = \"old\"\nexpires = \"2026-01-31\"\n";
        // Expired is no error: the waiver no longer applies, and every report says so.
        let policy = Policy::parse_at(text, &rules(), today).unwrap();
        assert_eq!(policy.waivers.len(), 1);
        assert_eq!(policy.expired_waivers.len(), 1);
        assert_eq!(policy.changes.expired[0].expires, "2026-01-31");
        assert!(policy
            .changes
            .summary()
            .contains("1 expired waiver no longer applies (CONN-001, expired 2026-01-31)"));
        assert!(policy
            .warnings()
            .any(|warning| warning.contains("waiver CONN-001 expired on 2026-01-31")));
        let due =
            Policy::parse_at(&text.replace("2026-01-31", "2026-12-01"), &rules(), today).unwrap();
        assert_eq!(due.changes.waived[1].due_in_days, Some(6));
        assert!(due
            .changes
            .summary()
            .contains("CONN-001 until 2026-12-01, due in 6 days"));
        let quiet = Policy::parse_at(
            &format!(
                "[waivers]\nwarn_days = 3\n\n{}",
                text.replace("2026-01-31", "2026-12-01")
            ),
            &rules(),
            today,
        )
        .unwrap();
        assert_eq!(quiet.changes.waived[1].due_in_days, None);
        assert_eq!(quiet.warnings().count(), 0);
        let policy =
            Policy::parse_at(&text.replace("2026-01-31", "2026-12-31"), &rules(), today).unwrap();
        assert_eq!(policy.waivers.len(), 2);
        assert!(Policy::parse_at(
            "[[waiver]]\nrule = \"CONN-006\"\nexpires = \"2027-01-31\"\n",
            &rules(),
            today
        )
        .unwrap_err()[0]
            .contains("missing field `reason`"));
    }

    #[test]
    fn unknown_keys_are_errors_with_the_line() {
        let errors = Policy::parse("[passwords]\nmin_lenght = 8\n", &rules()).unwrap_err();
        assert!(
            errors[0].contains("unknown field `min_lenght`"),
            "{errors:?}"
        );
    }

    #[test]
    fn changes_name_what_is_disabled_rerated_waived_and_relaxed() {
        let today = Date::parse("2026-11-25").unwrap();
        let text = "[rules]\ndisable = [\"CONN-007\", \"CONN-001\", \"CONN-007\"]\nseverity = { \"CONN-006\" = \"low\", \"CONN-002\" = \"high\" }\n[ssh]\nrequire_keys = false\n[passwords]\nmin_length = 12\n[[waiver]]\nrule = \"CONN-006\"\ndevice = \"px4-*\"\nreason = \"lab\"\nexpires = \"2027-01-31\"\n";
        let changes = Policy::parse_at(text, &rules(), today).unwrap().changes;
        assert_eq!(changes.disabled, ["CONN-001", "CONN-007"]);
        // CONN-002 is high already: not a change.
        assert_eq!(
            changes.rerated,
            [Rerated {
                rule: "CONN-006".to_owned(),
                from: Severity::Medium,
                to: Severity::Low
            }]
        );
        assert_eq!(changes.relaxed, ["ssh.require_keys = false (default true)"]);
        assert_eq!(
            changes.summary(),
            "disables 2 rules (CONN-001, CONN-007), re-rates 1 (CONN-006 medium → low), waives 1 rule (CONN-006 (device px4-*) until 2027-01-31); relaxes 1 (ssh.require_keys = false (default true))"
        );
        assert!(Policy::default().changes.is_empty());
        assert_eq!(
            Policy::default().changes.summary(),
            "disables 0 rules, re-rates 0, waives 0 rules"
        );
    }

    #[test]
    fn found_policies_not_used_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("fleet");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(
            folder.join(POLICY_FILE_NAME),
            "[rules]\ndisable = [\"CONN-001\"]\n",
        )
        .unwrap();
        let trusted = dir.path().join("trusted.toml");
        std::fs::write(&trusted, "").unwrap();
        let found = [FoundPolicy {
            path: folder.join(POLICY_FILE_NAME),
            folder: folder.canonicalize().unwrap(),
        }];
        let scanned = [folder.clone()];
        let sources = PolicySources {
            named: None,
            trusted: false,
            use_found: true,
            found: &found,
            scanned: &scanned,
        };
        let own = Policy::for_scan(&sources, &rules()).unwrap();
        assert_eq!(own.changes.disabled, ["CONN-001"]);
        assert!(own.not_used.is_empty());
        let gated = Policy::for_scan(
            &PolicySources {
                named: Some(&trusted),
                trusted: true,
                ..sources
            },
            &rules(),
        )
        .unwrap();
        assert!(gated.changes.is_empty());
        assert_eq!(gated.not_used.len(), 1);
        assert!(
            gated.not_used[0].contains("--trusted-policy"),
            "{:?}",
            gated.not_used
        );
        let inside = Policy::for_scan(
            &PolicySources {
                named: Some(&found[0].path),
                trusted: true,
                ..sources
            },
            &rules(),
        )
        .unwrap_err();
        assert!(
            inside.errors[0].contains("inside the scanned folder"),
            "{inside}"
        );
    }

    #[test]
    fn overrides_and_disabled_rules_shape_the_rule_set() {
        let policy = Policy::parse(
            "[rules]\ndisable = [\"CONN-007\"]\nseverity = { \"CONN-006\" = \"low\" }\n",
            &rules(),
        )
        .unwrap();
        let in_force = policy.apply_to_rules(&rules());
        assert!(in_force.get("CONN-007").is_none());
        assert_eq!(in_force.get("CONN-006").unwrap().severity, Severity::Low);
    }
}
