//! Password fields as crypt(5) writes them: which scheme a hash uses, whether the account is
//! locked, and whether the hash is one of a short list of well-known default passwords.
//!
//! [`PasswordField::parse`] reads a field of /etc/shadow (or of /etc/passwd, where a hash should
//! not be). [`DefaultPasswordCheck`] recomputes SHA-256-crypt and SHA-512-crypt hashes (RustCrypto
//! `sha-crypt`) of the passwords drone and single-board-computer images ship with, bounded so
//! that a hostile file cannot make a scan slow: a hash asking for more than
//! [`MAX_CHECKED_ROUNDS`] rounds is not checked, and one file spends at most
//! [`ROUNDS_BUDGET`] rounds in all. MD5-crypt, bcrypt and yescrypt hashes are classified but not
//! checked.
//!
//! Fleets are flashed from a few images, so the same hash (same salt) turns up on many
//! devices: outcomes are remembered for the whole process ([`REMEMBERED_HASHES`] at most). A
//! remembered hash costs no time but is charged to the file's budget all the same, so results
//! never depend on the order devices are read in.

use serde::Serialize;
use sha_crypt::{sha256_crypt_b64, sha512_crypt_b64, Sha256Params, Sha512Params};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// How many (hash, account) outcomes the process remembers; past that, hashes are recomputed.
pub const REMEMBERED_HASHES: usize = 65_536;

/// Outcomes of checked hashes, by (hash, account name): Found or NotFound only.
fn remembered() -> &'static Mutex<HashMap<(String, String), CheckOutcome>> {
    static OUTCOMES: OnceLock<Mutex<HashMap<(String, String), CheckOutcome>>> = OnceLock::new();
    OUTCOMES.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Passwords that drone, companion-computer and single-board-computer images ship with or
/// that their guides use (Raspberry Pi OS before 2022, Ubuntu and Jetson images, BeagleBone,
/// ODROID, ArduPilot/PX4 companion images, Kali-style `toor`), most frequent first.
pub const WELL_KNOWN_PASSWORDS: &[&str] = &[
    "raspberry",
    "ubuntu",
    "nvidia",
    "jetson",
    "temppwd",
    "odroid",
    "ardupilot",
    "px4",
    "dronekit",
    "pi",
    "root",
    "toor",
    "admin",
    "password",
    "changeme",
    "123456",
    "12345678",
];

/// A hash asking for more rounds than this is not checked: 100,000 rounds of SHA-512-crypt for
/// each of the 18 candidates is already about a second.
pub const MAX_CHECKED_ROUNDS: u64 = 100_000;

/// Rounds one file may spend on checks in all: about 30 accounts at the default 5,000 rounds.
pub const ROUNDS_BUDGET: u64 = 3_000_000;

/// The bounds glibc clamps a SHA-crypt `rounds=` to, and its default.
const SHA_CRYPT_MIN_ROUNDS: u64 = 1_000;
const SHA_CRYPT_MAX_ROUNDS: u64 = 999_999_999;
const SHA_CRYPT_DEFAULT_ROUNDS: u64 = 5_000;

/// The scheme of a password field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// What the evidence says about a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HashInfo {
    pub kind: HashKind,
    /// SHA-crypt only: the rounds the hash was computed with (5,000 when it does not say).
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
    /// Not checked: the hash asks for more than [`MAX_CHECKED_ROUNDS`] rounds.
    TooManyRounds(u64),
    /// Not checked: the file's [`ROUNDS_BUDGET`] is spent.
    BudgetSpent,
}

/// Tests the hashes of one file against [`WELL_KNOWN_PASSWORDS`] and the account's own name,
/// within a budget of rounds.
#[derive(Debug)]
pub struct DefaultPasswordCheck {
    rounds_left: u64,
    /// The caller has told the user that the budget is spent (it says so once a file).
    pub budget_reported: bool,
}

impl Default for DefaultPasswordCheck {
    fn default() -> Self {
        DefaultPasswordCheck::with_budget(ROUNDS_BUDGET)
    }
}

impl DefaultPasswordCheck {
    /// A check that may spend `rounds` hash rounds in all.
    pub fn with_budget(rounds: u64) -> Self {
        DefaultPasswordCheck {
            rounds_left: rounds,
            budget_reported: false,
        }
    }

    /// Checks `crypt`, the hash of account `user`. The budget is charged the same whether
    /// the outcome is computed or remembered, so what a file's check finds never depends on
    /// which device the scan happened to read first.
    pub fn check(&mut self, crypt: &str, user: &str) -> CheckOutcome {
        let Some(sha) = ShaCrypt::parse(crypt) else {
            return CheckOutcome::Unsupported;
        };
        if sha.rounds > MAX_CHECKED_ROUNDS {
            return CheckOutcome::TooManyRounds(sha.rounds);
        }
        let own_name = (!WELL_KNOWN_PASSWORDS.contains(&user)).then_some(user);
        let candidates: Vec<&str> = WELL_KNOWN_PASSWORDS
            .iter()
            .copied()
            .chain(own_name)
            .collect();
        let cost = sha.rounds.saturating_mul(candidates.len() as u64);
        if cost > self.rounds_left {
            return CheckOutcome::BudgetSpent;
        }
        self.rounds_left -= cost;
        let key = (crypt.to_owned(), user.to_owned());
        if let Some(outcome) = remembered()
            .lock()
            .ok()
            .and_then(|outcomes| outcomes.get(&key).cloned())
        {
            return outcome;
        }
        let outcome = match candidates
            .into_iter()
            .find(|candidate| sha.verifies(candidate))
        {
            Some(password) => CheckOutcome::Found(password.to_owned()),
            None => CheckOutcome::NotFound,
        };
        if let Ok(mut outcomes) = remembered().lock() {
            if outcomes.len() < REMEMBERED_HASHES {
                outcomes.insert(key, outcome.clone());
            }
        }
        outcome
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
        assert_eq!(
            check.check("$1$abcdefgh$Ypp3mcpy11lgzIqzzpMOs/", "pi"),
            CheckOutcome::Unsupported
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
            CheckOutcome::TooManyRounds(999_999_999)
        );
        let mut check = DefaultPasswordCheck::with_budget(10_000);
        assert_eq!(
            check.check(RASPBERRY_SHA512, "pi"),
            CheckOutcome::BudgetSpent
        );
    }

    #[test]
    fn a_hash_seen_before_is_charged_the_same() {
        let mut check = DefaultPasswordCheck::default();
        assert_eq!(
            check.check(RASPBERRY_SHA512, "remembered-test"),
            CheckOutcome::Found("raspberry".to_owned())
        );
        // Remembered now, but a file without the budget for it still gets BudgetSpent: what
        // a file's check finds does not depend on which device was read first.
        let mut broke = DefaultPasswordCheck::with_budget(10_000);
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
}
