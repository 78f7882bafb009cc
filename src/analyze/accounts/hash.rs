//! Password fields as crypt(5) writes them: which scheme a hash uses, whether the account is
//! locked, and whether the hash is one of the well-known default passwords of drone, FPV and
//! companion images (rules/catalogue/default-passwords.txt, [`crate::analyze::defaults`]).
//!
//! [`PasswordField::parse`] reads a field of /etc/shadow (or of /etc/passwd, where a hash should
//! not be). [`DefaultPasswordCheck`] recomputes the hash of each candidate: SHA-256-crypt and
//! SHA-512-crypt (RustCrypto `sha-crypt`), MD5-crypt, traditional DES, BSDi DES and bcrypt
//! (`pwhash`), yescrypt (RustCrypto `yescrypt`). GOST yescrypt and scrypt hashes are classified
//! but not checked, and say so. The check is bounded so that a hostile file cannot make a scan slow: each scheme's
//! cost per candidate is counted in work units (about one SHA-512-crypt round each), a hash
//! that asks for more than [`MAX_CHECKED_ROUNDS`] rounds (or a bcrypt cost over
//! [`MAX_BCRYPT_COST`]) is not checked, and one **artifact** spends at most [`WORK_BUDGET`]
//! units in all: the budget is a value its analysis owns and passes to every shadow file it
//! reads (a firmware image shares one among all its members), never one per file.
//! Candidates are tried in catalogue order while the budget lasts; a hash whose candidates were
//! not all tried is [`CheckOutcome::BudgetSpent`], never "not found".
//!
//! Fleets are flashed from a few images, so the same hash (same salt) turns up on many
//! devices: complete outcomes are remembered for the whole process ([`REMEMBERED_HASHES`] at
//! most). A remembered hash costs no time but is charged to the budget all the same, so
//! results never depend on the order devices are read in.

use crate::analyze::defaults;
use schemars::JsonSchema;
use serde::Serialize;
use sha_crypt::{sha256_crypt_b64, sha512_crypt_b64, Sha256Params, Sha512Params};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// How many (hash, account) outcomes the process remembers; past that, hashes are recomputed.
pub const REMEMBERED_HASHES: usize = 65_536;

/// A complete outcome: the index of the candidate that matched, or none of them.
type Remembered = Option<usize>;

/// Outcomes of completely checked hashes, by (hash, account name).
fn remembered() -> &'static Mutex<HashMap<(String, String), Remembered>> {
    static OUTCOMES: OnceLock<Mutex<HashMap<(String, String), Remembered>>> = OnceLock::new();
    OUTCOMES.get_or_init(|| Mutex::new(HashMap::new()))
}

/// A SHA-crypt or BSDi hash asking for more rounds than this is not checked: 100,000 rounds of
/// SHA-512-crypt for each of the 22 candidates is already about a second.
pub const MAX_CHECKED_ROUNDS: u64 = 100_000;

/// A bcrypt hash of a higher cost (log2 of its rounds) is not checked: cost 12 is about 0.25 s
/// a candidate.
pub const MAX_BCRYPT_COST: u32 = 12;

/// Work units one artifact may spend on default-password checks in all: about 4 s of one core
/// (1 s is about 3,000,000 units, docs/limits.md), e.g. 108 SHA-512-crypt accounts at the
/// default 5,000 rounds, 540 MD5-crypt accounts, or four yescrypt accounts of the default
/// `j9T` (Debian's and Raspberry Pi OS's scheme since 2021: a root and a user account must
/// both be checked, not leave the image partial).
pub const WORK_BUDGET: u64 = 12_000_000;

/// Work units of one MD5-crypt candidate (1,000 MD5 iterations): measured at 180 to 660 by
/// `cost_calibration` on a loaded machine, charged with a margin.
const MD5_CRYPT_UNITS: u64 = 1_000;

/// Work units of one traditional DES crypt candidate (25 DES encryptions): measured at 3.
const DES_CRYPT_UNITS: u64 = 10;

/// Work units of one bcrypt iteration (two Blowfish key expansions): measured at 211; a
/// candidate costs 2^cost of them.
const BCRYPT_UNITS_PER_ITERATION: u64 = 250;

/// Memory one yescrypt hash may take to be checked: twice the default of `j9T` (16 MiB).
pub const MAX_YESCRYPT_BYTES: u64 = 32 << 20;

/// Work units of one yescrypt candidate per 128-byte block (N·r·p of them): `j9T` (131,072
/// blocks) measured at about 100,000 units by `cost_calibration`, so one account of the
/// default parameters is checked in full within one artifact's budget.
const YESCRYPT_UNITS_PER_BLOCK: u64 = 1;

/// The bounds glibc clamps a SHA-crypt `rounds=` to, and its default.
const SHA_CRYPT_MIN_ROUNDS: u64 = 1_000;
const SHA_CRYPT_MAX_ROUNDS: u64 = 999_999_999;
const SHA_CRYPT_DEFAULT_ROUNDS: u64 = 5_000;

/// The scheme of a password field (crypt(5)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HashKind {
    /// No password at all: login needs none.
    Empty,
    /// `!` or `!!` alone: locked, and no password was ever set.
    Locked,
    /// `*` (or `!*`): the account cannot log in with a password.
    NoLogin,
    /// Traditional DES crypt: 13 characters, at most 8 of the password count.
    Des,
    /// BSDi extended DES: `_` and 19 characters.
    Bsdi,
    /// `$1$` MD5-crypt.
    Md5,
    /// `$2a$`, `$2b$`, `$2x$`, `$2y$` bcrypt.
    Bcrypt,
    /// `$5$` SHA-256-crypt.
    Sha256,
    /// `$6$` SHA-512-crypt.
    Sha512,
    /// `$y$` yescrypt.
    Yescrypt,
    /// `$gy$` GOST R 34.11-2012 yescrypt.
    GostYescrypt,
    /// `$7$` scrypt.
    Scrypt,
    /// Anything else (a scheme this tool does not know, or text no password hashes to).
    Unknown,
}

/// What the evidence says about a password hash: its scheme and its cost, never the hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct HashInfo {
    /// The scheme, read from the field's prefix and length (`empty`, `locked` and `no-login`
    /// when the field holds no hash).
    pub kind: HashKind,
    /// SHA-crypt only: the rounds the hash was computed with, the `rounds=N` it
    /// states clamped to 1,000–999,999,999 as glibc does, or 5,000 when it states none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounds: Option<u64>,
    /// bcrypt only: the cost (log2 of the rounds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<u32>,
}

/// A password field, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordField<'a> {
    pub hash: HashInfo,
    /// A hash is present (even when a `!` locks it).
    pub password_set: bool,
    /// A `!` or `*` prefix means no password can log in.
    pub locked: bool,
    /// The hash without its lock marks, when there is one.
    pub crypt: Option<&'a str>,
}

impl<'a> PasswordField<'a> {
    pub fn parse(field: &'a str) -> PasswordField<'a> {
        let no_hash = |kind: HashKind, locked: bool| PasswordField {
            hash: HashInfo {
                kind,
                rounds: None,
                cost: None,
            },
            password_set: false,
            locked,
            crypt: None,
        };
        if field.is_empty() {
            return no_hash(HashKind::Empty, false);
        }
        if field.starts_with('*') {
            return no_hash(HashKind::NoLogin, true);
        }
        let unlocked = field.trim_start_matches('!');
        let locked = unlocked.len() != field.len();
        if unlocked.is_empty() {
            return no_hash(HashKind::Locked, true);
        }
        if unlocked.starts_with('*') {
            return no_hash(HashKind::NoLogin, true);
        }
        PasswordField {
            hash: hash_info(unlocked),
            password_set: true,
            locked,
            crypt: Some(unlocked),
        }
    }
}

/// The characters of crypt's base-64 alphabet.
fn is_crypt64(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'/'
}

fn hash_info(crypt: &str) -> HashInfo {
    let info = |kind: HashKind| HashInfo {
        kind,
        rounds: None,
        cost: None,
    };
    if let Some(sha) = ShaCrypt::parse(crypt) {
        return HashInfo {
            rounds: Some(sha.rounds),
            ..info(sha.variant)
        };
    }
    let prefixed = [
        ("$1$", HashKind::Md5),
        ("$2a$", HashKind::Bcrypt),
        ("$2b$", HashKind::Bcrypt),
        ("$2x$", HashKind::Bcrypt),
        ("$2y$", HashKind::Bcrypt),
        ("$5$", HashKind::Sha256),
        ("$6$", HashKind::Sha512),
        ("$y$", HashKind::Yescrypt),
        ("$gy$", HashKind::GostYescrypt),
        ("$7$", HashKind::Scrypt),
    ];
    for (prefix, kind) in prefixed {
        if let Some(rest) = crypt.strip_prefix(prefix) {
            let cost = (kind == HashKind::Bcrypt)
                .then(|| rest.get(..2).and_then(|digits| digits.parse().ok()))
                .flatten();
            return HashInfo { cost, ..info(kind) };
        }
    }
    let bytes = crypt.as_bytes();
    if bytes.len() == 20 && bytes[0] == b'_' && bytes[1..].iter().all(|byte| is_crypt64(*byte)) {
        return info(HashKind::Bsdi);
    }
    if bytes.len() == 13 && bytes.iter().all(|byte| is_crypt64(*byte)) {
        return info(HashKind::Des);
    }
    info(HashKind::Unknown)
}

/// A well-formed SHA-crypt hash: `$5$` or `$6$`, an optional `rounds=N$`, the salt, `$` and
/// the checksum (43 or 86 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ShaCrypt<'a> {
    variant: HashKind,
    /// As glibc uses them: clamped to 1,000..=999,999,999, 5,000 when not given.
    rounds: u64,
    salt: &'a str,
    checksum: &'a str,
}

impl<'a> ShaCrypt<'a> {
    fn parse(crypt: &'a str) -> Option<ShaCrypt<'a>> {
        let (variant, rest, checksum_length) = if let Some(rest) = crypt.strip_prefix("$5$") {
            (HashKind::Sha256, rest, 43)
        } else if let Some(rest) = crypt.strip_prefix("$6$") {
            (HashKind::Sha512, rest, 86)
        } else {
            return None;
        };
        let (rounds, rest) = match rest.strip_prefix("rounds=") {
            Some(after) => {
                let (digits, rest) = after.split_once('$')?;
                if !super::is_number(digits) {
                    return None;
                }
                // glibc's strtoul saturates; so does this.
                let rounds = digits.parse::<u64>().unwrap_or(u64::MAX);
                (
                    rounds.clamp(SHA_CRYPT_MIN_ROUNDS, SHA_CRYPT_MAX_ROUNDS),
                    rest,
                )
            }
            None => (SHA_CRYPT_DEFAULT_ROUNDS, rest),
        };
        let (salt, checksum) = rest.split_once('$')?;
        let well_formed = checksum.len() == checksum_length
            && checksum.bytes().all(is_crypt64)
            && salt.len() <= 16;
        well_formed.then_some(ShaCrypt {
            variant,
            rounds,
            salt,
            checksum,
        })
    }

    /// Whether `password` hashes to this checksum.
    fn verifies(&self, password: &str) -> bool {
        let Ok(rounds) = usize::try_from(self.rounds) else {
            return false;
        };
        let computed = match self.variant {
            HashKind::Sha256 => Sha256Params::new(rounds).ok().and_then(|params| {
                sha256_crypt_b64(password.as_bytes(), self.salt.as_bytes(), &params).ok()
            }),
            _ => Sha512Params::new(rounds).ok().and_then(|params| {
                sha512_crypt_b64(password.as_bytes(), self.salt.as_bytes(), &params).ok()
            }),
        };
        computed.is_some_and(|computed| computed == self.checksum)
    }
}

/// What checking one hash for a default password found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The password is this well-known one (or the account's own name).
    Found(String),
    /// None of the candidates.
    NotFound,
    /// Not checked: the scheme is not one this tool recomputes, or the hash is malformed.
    Unsupported,
    /// Not checked: the hash asks for more work than one hash may cost (what it asks for).
    TooCostly(String),
    /// Not (completely) checked: the artifact's [`WORK_BUDGET`] is spent.
    BudgetSpent,
}

/// A hash this tool can recompute, and what one candidate costs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Recomputable<'a> {
    Sha(ShaCrypt<'a>),
    Md5,
    Des,
    Bsdi,
    Bcrypt,
    Yescrypt,
}

impl Recomputable<'_> {
    /// Whether `password` hashes to `crypt`; None when the hash cannot be recomputed after all
    /// (yescrypt's salt or checksum is not canonical base-64, which the format check before
    /// does not see): such a hash is "not checked", never "checked and not found".
    fn verifies(&self, crypt: &str, password: &str) -> Option<bool> {
        Some(match self {
            Recomputable::Sha(sha) => sha.verifies(password),
            Recomputable::Md5 => pwhash::md5_crypt::verify(password, crypt),
            Recomputable::Des => pwhash::unix_crypt::verify(password, crypt),
            Recomputable::Bsdi => pwhash::bsdi_crypt::verify(password, crypt),
            Recomputable::Bcrypt => pwhash::bcrypt::verify(password, crypt),
            Recomputable::Yescrypt => {
                use yescrypt::password_hash::Error;
                use yescrypt::PasswordVerifier;
                match yescrypt::Yescrypt::default().verify_password(password.as_bytes(), crypt) {
                    Ok(()) => true,
                    Err(Error::PasswordInvalid) => false,
                    Err(_) => return None,
                }
            }
        })
    }
}

/// Whether every byte of `text` is in crypt's base-64 alphabet.
fn all_crypt64(text: &str) -> bool {
    text.bytes().all(is_crypt64)
}

/// The scheme of `crypt` and the work units one candidate costs, if it can be recomputed
/// within the per-hash bounds. Formats are checked strictly first, so that a malformed hash
/// is "not checked", never "checked and not found".
fn recomputable(crypt: &str) -> Result<(Recomputable<'_>, u64), CheckOutcome> {
    if let Some(sha) = ShaCrypt::parse(crypt) {
        if sha.rounds > MAX_CHECKED_ROUNDS {
            return Err(CheckOutcome::TooCostly(format!("{} rounds", sha.rounds)));
        }
        let rounds = sha.rounds;
        return Ok((Recomputable::Sha(sha), rounds));
    }
    if let Some(rest) = crypt.strip_prefix("$1$") {
        // glibc reads at most 8 salt characters; longer salts are hashes it never wrote.
        let well_formed = rest.split_once('$').is_some_and(|(salt, checksum)| {
            (1..=8).contains(&salt.len())
                && all_crypt64(salt)
                && checksum.len() == 22
                && all_crypt64(checksum)
        });
        return if well_formed {
            Ok((Recomputable::Md5, MD5_CRYPT_UNITS))
        } else {
            Err(CheckOutcome::Unsupported)
        };
    }
    if let Some(cost) = bcrypt_cost(crypt) {
        if cost > MAX_BCRYPT_COST {
            return Err(CheckOutcome::TooCostly(format!("bcrypt cost {cost}")));
        }
        let units = (1u64 << cost).saturating_mul(BCRYPT_UNITS_PER_ITERATION);
        return Ok((Recomputable::Bcrypt, units));
    }
    if crypt.starts_with("$y$") {
        return yescrypt_units(crypt).map(|units| (Recomputable::Yescrypt, units));
    }
    match hash_info(crypt).kind {
        HashKind::Des => Ok((Recomputable::Des, DES_CRYPT_UNITS)),
        HashKind::Bsdi => {
            let rounds = bsdi_rounds(crypt).ok_or(CheckOutcome::Unsupported)?;
            if rounds > MAX_CHECKED_ROUNDS {
                return Err(CheckOutcome::TooCostly(format!("{rounds} rounds")));
            }
            Ok((Recomputable::Bsdi, rounds.max(1)))
        }
        _ => Err(CheckOutcome::Unsupported),
    }
}

/// The work units of one yescrypt candidate, from the hash's parameters (`j9T`: flavour, N, r):
/// its time grows with N·r·p and its memory is 128·N·r·p bytes. Only the three-character
/// parameter strings that `crypt_gensalt` writes are recomputed; the optional time factor and
/// ROM fields, or more memory than [`MAX_YESCRYPT_BYTES`], are "too costly".
fn yescrypt_units(crypt: &str) -> Result<u64, CheckOutcome> {
    let mut fields = crypt.split('$');
    let (Some(""), Some("y"), Some(params), Some(salt), Some(checksum), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(CheckOutcome::Unsupported);
    };
    if salt.is_empty() || checksum.len() != 43 || !all_crypt64(checksum) {
        return Err(CheckOutcome::Unsupported);
    }
    let parsed: yescrypt::Params = params.parse().map_err(|_| CheckOutcome::Unsupported)?;
    let blocks = parsed
        .n()
        .saturating_mul(u64::from(parsed.r()))
        .saturating_mul(u64::from(parsed.p()));
    let bytes = blocks.saturating_mul(128);
    if params.len() != 3 || bytes > MAX_YESCRYPT_BYTES {
        return Err(CheckOutcome::TooCostly(format!(
            "yescrypt parameters `{params}` ({bytes} bytes)"
        )));
    }
    Ok(blocks.saturating_mul(YESCRYPT_UNITS_PER_BLOCK))
}

/// The cost of a well-formed `$2a$`, `$2b$` or `$2y$` bcrypt hash: two digits, then 53
/// characters of salt and checksum. (`$2x$`, the variant of a buggy implementation, is not
/// recomputed.)
fn bcrypt_cost(crypt: &str) -> Option<u32> {
    let rest = ["$2a$", "$2b$", "$2y$"]
        .iter()
        .find_map(|prefix| crypt.strip_prefix(prefix))?;
    let (digits, tail) = rest.split_once('$')?;
    let well_formed = digits.len() == 2
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && tail.len() == 53
        && all_crypt64(tail);
    let cost: u32 = digits.parse().ok()?;
    (well_formed && (4..=31).contains(&cost)).then_some(cost)
}

/// The rounds of a BSDi hash (`_`, 4 characters of rounds, 4 of salt, 11 of checksum), read
/// as crypt's base-64 little-endian number.
fn bsdi_rounds(crypt: &str) -> Option<u64> {
    let digits = crypt.as_bytes().get(1..5)?;
    digits.iter().rev().try_fold(0u64, |rounds, byte| {
        let value = match byte {
            b'.' => 0,
            b'/' => 1,
            b'0'..=b'9' => u64::from(byte - b'0') + 2,
            b'A'..=b'Z' => u64::from(byte - b'A') + 12,
            b'a'..=b'z' => u64::from(byte - b'a') + 38,
            _ => return None,
        };
        Some(rounds * 64 + value)
    })
}

/// Tests hashes against the catalogue of default passwords and the account's own name, within
/// a budget of work units that belongs to the artifact being analysed: create one per
/// artifact and pass it to every file of that artifact.
#[derive(Debug)]
pub struct DefaultPasswordCheck {
    /// The units the artifact was given, for the reason a spent budget gives.
    budget: u64,
    units_left: u64,
    /// Accounts not (completely) checked because the budget was spent, `file line: name`
    /// (at most [`UNCHECKED_NAMED`] named; the rest counted).
    unchecked: Vec<String>,
    unchecked_count: u64,
}

/// Accounts the budget left unchecked that the reason names; the rest are counted.
pub const UNCHECKED_NAMED: usize = 5;

impl Default for DefaultPasswordCheck {
    fn default() -> Self {
        DefaultPasswordCheck::with_budget(WORK_BUDGET)
    }
}

impl DefaultPasswordCheck {
    /// A check that may spend `units` work units in all.
    pub fn with_budget(units: u64) -> Self {
        DefaultPasswordCheck {
            budget: units,
            units_left: units,
            unchecked: Vec::new(),
            unchecked_count: 0,
        }
    }

    /// Whether the budget has left some account unchecked.
    pub fn budget_spent(&self) -> bool {
        self.unchecked_count > 0
    }

    /// Records an account that the budget left unchecked (`where_` says which file and line).
    pub fn note_unchecked(&mut self, account: String) {
        self.unchecked_count += 1;
        if self.unchecked.len() < UNCHECKED_NAMED {
            self.unchecked.push(account);
        }
    }

    /// Why the artifact is partial, once the budget has left accounts unchecked.
    pub fn incomplete_reason(&self) -> Option<String> {
        if !self.budget_spent() {
            return None;
        }
        let mut named = self.unchecked.join(", ");
        let rest = self.unchecked_count - self.unchecked.len() as u64;
        if rest > 0 {
            named.push_str(&format!(" and {rest} more"));
        }
        Some(format!(
            "the passwords of {} account(s) were not checked against well-known defaults ({named}): the artifact's budget of {} hash work units is spent",
            self.unchecked_count, self.budget
        ))
    }

    /// Checks `crypt`, the hash of account `user`. The budget is charged the same whether
    /// the outcome is computed or remembered, so what an artifact's check finds never depends
    /// on which device the scan happened to read first.
    pub fn check(&mut self, crypt: &str, user: &str) -> CheckOutcome {
        let (scheme, unit_cost) = match recomputable(crypt) {
            Ok(found) => found,
            Err(outcome) => return outcome,
        };
        let catalogue = defaults::passwords();
        let own_name = (!catalogue.secrets().any(|secret| secret == user)).then_some(user);
        let candidates: Vec<&str> = catalogue.secrets().chain(own_name).collect();
        // How many candidates the budget pays for.
        let affordable = usize::try_from(self.units_left / unit_cost.max(1)).unwrap_or(usize::MAX);
        let key = (crypt.to_owned(), user.to_owned());
        let known = remembered()
            .lock()
            .ok()
            .and_then(|outcomes| outcomes.get(&key).copied());
        let (tried, matched) = match known {
            Some(outcome) => {
                let needed = outcome.map_or(candidates.len(), |index| index + 1);
                if needed <= affordable {
                    (needed, outcome)
                } else {
                    (affordable, None)
                }
            }
            None => {
                let limit = affordable.min(candidates.len());
                let mut matched = None;
                for (index, candidate) in candidates[..limit].iter().enumerate() {
                    match scheme.verifies(crypt, candidate) {
                        Some(true) => {
                            matched = Some(index);
                            break;
                        }
                        Some(false) => {}
                        // Refused before any hashing: nothing to charge.
                        None => return CheckOutcome::Unsupported,
                    }
                }
                let tried = matched.map_or(limit, |index| index + 1);
                if matched.is_some() || limit == candidates.len() {
                    if let Ok(mut outcomes) = remembered().lock() {
                        if outcomes.len() < REMEMBERED_HASHES {
                            outcomes.insert(key, matched);
                        }
                    }
                }
                (tried, matched)
            }
        };
        self.units_left -= (tried as u64)
            .saturating_mul(unit_cost)
            .min(self.units_left);
        match matched {
            Some(index) => CheckOutcome::Found(candidates[index].to_owned()),
            None if tried == candidates.len() => CheckOutcome::NotFound,
            None => CheckOutcome::BudgetSpent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made with `perl -e 'print crypt("raspberry", q($6$saltsalt$))'` (glibc/libxcrypt).
    const RASPBERRY_SHA512: &str = "$6$saltsalt$677q0O/U8ycKsbBfN68CgcyXcWEbi0J/eUf256PkkeGXfNX3CNnPlwFdNvdBgnSiHDx5X1Xozxf5lg9iVIVVu/";

    fn kind(field: &str) -> HashKind {
        PasswordField::parse(field).hash.kind
    }

    #[test]
    fn schemes_are_told_apart_by_prefix_and_shape() {
        assert_eq!(kind(""), HashKind::Empty);
        assert_eq!(kind("!"), HashKind::Locked);
        assert_eq!(kind("!!"), HashKind::Locked);
        assert_eq!(kind("*"), HashKind::NoLogin);
        assert_eq!(kind("!*"), HashKind::NoLogin);
        assert_eq!(kind("*LK*"), HashKind::NoLogin);
        assert_eq!(kind("abeI39UDXGcO6"), HashKind::Des);
        assert_eq!(kind("_J9..rasm3I3.7IOQ/Rk"), HashKind::Bsdi);
        assert_eq!(kind("$1$abcdefgh$Ypp3mcpy11lgzIqzzpMOs/"), HashKind::Md5);
        assert_eq!(
            kind("$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m"),
            HashKind::Bcrypt
        );
        assert_eq!(PasswordField::parse("$2y$10$abc").hash.cost, Some(10));
        assert_eq!(kind(RASPBERRY_SHA512), HashKind::Sha512);
        assert_eq!(
            kind("$5$rounds=80000$wnsT7Yr92oJoP28r$cKhJImk5mfuSKV9b3mumNzlbstFUplKtQXXMo4G6Ep5"),
            HashKind::Sha256
        );
        assert_eq!(
            kind("$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7"),
            HashKind::Yescrypt
        );
        assert_eq!(kind("$gy$j9T$abc$def"), HashKind::GostYescrypt);
        assert_eq!(kind("$7$CU..../....abc$def"), HashKind::Scrypt);
        assert_eq!(kind("x"), HashKind::Unknown);
        assert_eq!(kind("$md5$rounds=904$abc$def"), HashKind::Unknown);
    }

    #[test]
    fn lock_marks_keep_the_hash_visible() {
        let field = PasswordField::parse("!$1$abcdefgh$Ypp3mcpy11lgzIqzzpMOs/");
        assert!(field.locked && field.password_set);
        assert_eq!(field.hash.kind, HashKind::Md5);
        assert_eq!(field.crypt, Some("$1$abcdefgh$Ypp3mcpy11lgzIqzzpMOs/"));
        let empty = PasswordField::parse("");
        assert!(!empty.locked && !empty.password_set);
        let never_set = PasswordField::parse("!");
        assert!(never_set.locked && !never_set.password_set);
    }

    #[test]
    fn sha_crypt_rounds_are_read_and_clamped_as_glibc_does() {
        assert_eq!(
            PasswordField::parse(RASPBERRY_SHA512).hash.rounds,
            Some(5_000)
        );
        let sha = ShaCrypt::parse("$5$rounds=10$salt$cKhJImk5mfuSKV9b3mumNzlbstFUplKtQXXMo4G6Ep5")
            .unwrap();
        assert_eq!(sha.rounds, 1_000);
        let sha = ShaCrypt::parse(
            "$5$rounds=99999999999999999999999$salt$cKhJImk5mfuSKV9b3mumNzlbstFUplKtQXXMo4G6Ep5",
        )
        .unwrap();
        assert_eq!(sha.rounds, 999_999_999);
        assert!(ShaCrypt::parse("$6$salt$tooshort").is_none());
        assert!(ShaCrypt::parse("$6$rounds=x$salt$abc").is_none());
    }

    // Made with perl's crypt() (glibc/libxcrypt), e.g. `perl -e 'print crypt("12345", q($1$OpnIPC01$))'`.
    const OPENIPC_MD5: &str = "$1$OpnIPC01$kuq7WMVn/0ubqe5tP3JfH1";
    const OPENIPC_DES: &str = "ab80DAu2C3JN6";
    const OPENHD_BCRYPT: &str = "$2b$05$abcdefghijklmnopqrstuurjEqZrmo/pTq/mKvNwTICQKCFa2i1/G";
    const RASPBERRY_BSDI: &str = "_J9..saltNekEUxecZ66";
    const RASPBERRY_YESCRYPT: &str =
        "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$eL4ia2HImHZ8seSlqsaUJTioIRKoDlNtfIVLRX5XK74";

    #[test]
    fn well_known_passwords_are_found() {
        let mut check = DefaultPasswordCheck::default();
        assert_eq!(
            check.check(RASPBERRY_SHA512, "pi"),
            CheckOutcome::Found("raspberry".to_owned())
        );
        // `perl -e 'print crypt("jetson", q($5$k8Pn3q$))'`
        let jetson = "$5$k8Pn3q$D2RjT1k3ymAwfeOL86e3El3YnzYodCqUncfEwkjJIDA";
        assert_eq!(
            check.check(jetson, "nano"),
            CheckOutcome::Found("jetson".to_owned())
        );
    }

    #[test]
    fn every_cheap_crypt_scheme_is_checked() {
        let mut check = DefaultPasswordCheck::default();
        let found = |password: &str| CheckOutcome::Found(password.to_owned());
        // OpenIPC's published root password, as MD5-crypt: unchecked before 17.9.
        assert_eq!(check.check(OPENIPC_MD5, "root"), found("12345"));
        assert_eq!(check.check(OPENIPC_DES, "root"), found("12345"));
        assert_eq!(check.check(OPENHD_BCRYPT, "openhd"), found("openhd"));
        assert_eq!(check.check(RASPBERRY_BSDI, "pi"), found("raspberry"));
        // `perl -e 'print crypt("Xq9!notdefault", q($1$Zz0a$))'`
        assert_eq!(
            check.check("$1$Zz0a$RwhgQATTLNoysqnk3amR/0", "ops"),
            CheckOutcome::NotFound
        );
        assert_eq!(check.check(RASPBERRY_YESCRYPT, "pi"), found("raspberry"));
        assert_eq!(
            check.check(
                "$y$jFT$F5Jx5fExrKuPp53xLKQ..1$eL4ia2HImHZ8seSlqsaUJTioIRKoDlNtfIVLRX5XK74",
                "pi"
            ),
            CheckOutcome::TooCostly("yescrypt parameters `jFT` (1073741824 bytes)".to_owned())
        );
        assert_eq!(
            check.check("$gy$j9T$abc$def", "pi"),
            CheckOutcome::Unsupported
        );
        // The raspberry hash with a salt and a checksum of the right alphabet and length that
        // are not canonical base-64 (their last characters carry bits past the bytes they
        // encode): yescrypt refuses them before hashing, so nothing was checked.
        assert_eq!(
            check.check(
                "$y$j9T$F5Jx5fExrKuPp53xLKQ..z$eL4ia2HImHZ8seSlqsaUJTioIRKoDlNtfIVLRX5XK7z",
                "pi"
            ),
            CheckOutcome::Unsupported
        );
        // Malformed hashes are never "checked and not found".
        for malformed in [
            "$1$abcdefghij$Ypp3mcpy11lgzIqzzpMOs/",
            "$1$abc$short",
            "$2b$05$tooshort",
            "$2x$05$abcdefghijklmnopqrstuurjEqZrmo/pTq/mKvNwTICQKCFa2i1/G",
        ] {
            assert_eq!(check.check(malformed, "pi"), CheckOutcome::Unsupported);
        }
    }

    #[test]
    fn costly_schemes_spend_the_shared_budget() {
        // cost 5: 32 iterations of 250 units; 4 candidates' worth of budget.
        let per_candidate = 32 * BCRYPT_UNITS_PER_ITERATION;
        let mut check = DefaultPasswordCheck::with_budget(4 * per_candidate);
        // `openhd` is the third candidate: found within the budget, which it then lacks.
        assert_eq!(
            check.check(OPENHD_BCRYPT, "openhd"),
            CheckOutcome::Found("openhd".to_owned())
        );
        assert_eq!(
            check.check(OPENHD_BCRYPT, "someone"),
            CheckOutcome::BudgetSpent,
            "one candidate left to try: not a complete check"
        );
        let too_costly = "$2b$14$abcdefghijklmnopqrstuurjEqZrmo/pTq/mKvNwTICQKCFa2i1/G";
        assert_eq!(
            DefaultPasswordCheck::default().check(too_costly, "pi"),
            CheckOutcome::TooCostly("bcrypt cost 14".to_owned())
        );
    }

    #[test]
    fn the_account_name_is_a_candidate_too() {
        // `perl -e 'print crypt("survey", q($6$Zq1x$))'`
        let survey = "$6$Zq1x$f9rfT.gtfQLOFip/ZSMIzu6dS3rp38jYSbwLnafN.v3jx/YcKDLqRrzdrQ6maRu/caLZl0aSmbqHS7f9/LAG6/";
        let mut check = DefaultPasswordCheck::default();
        assert_eq!(
            check.check(survey, "survey"),
            CheckOutcome::Found("survey".to_owned())
        );
        assert_eq!(check.check(survey, "ops"), CheckOutcome::NotFound);
    }

    #[test]
    fn hostile_rounds_and_many_hashes_are_bounded() {
        let mut check = DefaultPasswordCheck::default();
        let costly = "$6$rounds=999999999$salt$677q0O/U8ycKsbBfN68CgcyXcWEbi0J/eUf256PkkeGXfNX3CNnPlwFdNvdBgnSiHDx5X1Xozxf5lg9iVIVVu/";
        assert_eq!(
            check.check(costly, "pi"),
            CheckOutcome::TooCostly("999999999 rounds".to_owned())
        );
        let mut check = DefaultPasswordCheck::with_budget(5_000);
        assert_eq!(
            check.check(RASPBERRY_SHA512, "pi"),
            CheckOutcome::BudgetSpent
        );
        check.note_unchecked("line 1: pi".to_owned());
        let reason = check.incomplete_reason().expect("spent");
        assert!(
            reason.contains("(line 1: pi)") && reason.contains("budget of 5000 hash work units"),
            "the budget given, not the default: {reason}"
        );
    }

    #[test]
    fn a_hash_seen_before_is_charged_the_same() {
        let mut check = DefaultPasswordCheck::default();
        assert_eq!(
            check.check(RASPBERRY_SHA512, "remembered-test"),
            CheckOutcome::Found("raspberry".to_owned())
        );
        // Remembered now, but an artifact without the budget for it (one candidate's worth,
        // and `raspberry` is the second) still gets BudgetSpent: what an artifact's check
        // finds does not depend on which device was read first.
        let mut broke = DefaultPasswordCheck::with_budget(5_000);
        assert_eq!(
            broke.check(RASPBERRY_SHA512, "remembered-test"),
            CheckOutcome::BudgetSpent
        );
        let mut again = DefaultPasswordCheck::default();
        assert_eq!(
            again.check(RASPBERRY_SHA512, "remembered-test"),
            CheckOutcome::Found("raspberry".to_owned())
        );
    }

    /// The work units per scheme, measured: `cargo test --release --lib cost_calibration --
    /// --ignored --nocapture` prints the time of one candidate of each scheme in SHA-512-crypt
    /// rounds (the unit). Not run by default: timings are not assertions.
    #[test]
    #[ignore]
    fn cost_calibration() {
        let time = |crypt: &str| {
            let (scheme, _) = recomputable(crypt).expect("recomputable");
            let started = std::time::Instant::now();
            for _ in 0..100 {
                let _ = scheme.verifies(crypt, "not-the-password");
            }
            started.elapsed().as_secs_f64() / 100.0
        };
        let unit = time(RASPBERRY_SHA512) / 5_000.0;
        for (name, crypt, units) in [
            ("md5-crypt", OPENIPC_MD5, MD5_CRYPT_UNITS),
            ("des", OPENIPC_DES, DES_CRYPT_UNITS),
            ("bsdi (725 rounds)", RASPBERRY_BSDI, 725),
            (
                "bcrypt cost 5",
                OPENHD_BCRYPT,
                32 * BCRYPT_UNITS_PER_ITERATION,
            ),
            (
                "yescrypt j9T",
                RASPBERRY_YESCRYPT,
                yescrypt_units(RASPBERRY_YESCRYPT).unwrap_or(0),
            ),
        ] {
            let measured = time(crypt) / unit;
            println!("{name}: {measured:.0} units measured, {units} charged");
        }
        println!("unit: {:.3} us", unit * 1e6);
    }
}
