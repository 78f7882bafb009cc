//! `/etc/shadow`: one account a line, `name:hash:last_change:min:max:warn:inactive:expire:`
//! (shadow(5)), read into [`ShadowAccount`]s with the scheme of each hash and, for SHA-crypt
//! hashes, whether the password is a well-known default.
//!
//! A file is identified when nearly all of its first lines have 9 colon-separated fields, a
//! valid user name first and an empty or numeric third field (days since 1970).

use super::hash::{CheckOutcome, DefaultPasswordCheck, HashInfo, PasswordField, WORK_BUDGET};
use super::{
    accounts_not_listed, identify_entries, is_number, is_user_name, LineWarnings, MAX_ACCOUNTS,
};
use crate::analyze::fleet_secret::{FleetSecret, SecretKind};
use crate::analyze::text;
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

pub struct ShadowAnalyzer;

/// The fields of a shadow line.
const FIELDS: usize = 9;

fn is_shadow_entry(fields: &[&str]) -> bool {
    fields.len() == FIELDS
        && is_user_name(fields[0])
        && (fields[2].is_empty() || is_number(fields[2]))
}

impl Analyzer for ShadowAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::Shadow
    }

    fn extensions(&self) -> &'static [&'static str] {
        &[]
    }

    fn identify(&self, content: &[u8]) -> bool {
        identify_entries(content, is_shadow_entry)
    }

    /// A shadow file on its own is the artifact: it gets a budget of its own, [`WORK_BUDGET`].
    fn analyze_with_options(
        &self,
        content: &[u8],
        _: crate::analyze::AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        analyze_within(content, WORK_BUDGET)
    }
}

/// A shadow file that is the artifact itself, whose default-password check may spend `budget`
/// work units in all ([`DefaultPasswordCheck::with_budget`]): a scan gives it [`WORK_BUDGET`];
/// the fuzz target gives it less, so that inputs with costly hashes run at fuzzing speed and
/// still reach both a complete check and a spent budget. A spent budget makes it partial.
pub fn analyze_within(content: &[u8], budget: u64) -> Result<Evidence, AnalyzeError> {
    let mut default_check = DefaultPasswordCheck::with_budget(budget);
    let mut evidence = analyze_with(content, &mut default_check)?;
    let problems = evidence.incomplete.take().into_iter();
    evidence.incomplete = crate::analyze::incomplete_reason(
        problems.chain(default_check.incomplete_reason()).collect(),
    );
    Ok(evidence)
}

/// Reads a shadow file, checking its hashes with `default_check`: the budget of the artifact
/// the file belongs to (the file itself, or a firmware image that holds it), shared by every
/// shadow file of that artifact. The evidence's `incomplete` says only whether accounts past
/// [`MAX_ACCOUNTS`] were left unread: the budget's is the caller's, which alone knows when the
/// artifact's budget is final ([`DefaultPasswordCheck::incomplete_reason`]).
pub fn analyze_with(
    content: &[u8],
    default_check: &mut DefaultPasswordCheck,
) -> Result<Evidence, AnalyzeError> {
    let text = text::decode(content)?;
    let mut warnings = LineWarnings::default();
    let mut accounts: Vec<ShadowAccount> = Vec::new();
    let mut not_listed = 0usize;
    let mut first_line_of: BTreeMap<String, u32> = BTreeMap::new();
    for line in text::lines(text) {
        let line = line?;
        if line.text.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.text.split(':').collect();
        if !is_shadow_entry(&fields) {
            warnings.push(format!(
                    "line {}: not a shadow entry (9 colon-separated fields, a user name first, days since 1970 third); skipped",
                    line.number
                ));
            continue;
        }
        if accounts.len() == MAX_ACCOUNTS {
            not_listed += 1;
            continue;
        }
        let account = read_account(&fields, line.number, default_check, &mut warnings);
        if let Some(first) = first_line_of.get(&account.name) {
            warnings.push(format!(
                    "line {}: user {} appears again (first on line {first}); both are recorded, and login uses the first",
                    line.number, account.name
                ));
        } else {
            first_line_of.insert(account.name.clone(), line.number);
        }
        accounts.push(account);
    }
    if accounts.is_empty() {
        return Err(AnalyzeError::new("no shadow entry found"));
    }
    let document = serde_json::to_value(ShadowEvidence { accounts })
        .map_err(|error| AnalyzeError::new(format!("cannot serialise shadow evidence: {error}")))?;
    Ok(Evidence {
        incomplete: accounts_not_listed(not_listed),
        kind: ArtifactKind::Shadow,
        document,
        lines: Default::default(),
        warnings: warnings.finish(),
    })
}

/// The evidence document of one /etc/shadow: every account, with the scheme of its password
/// hash and whether the password is a well-known default. Never a hash itself.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ShadowEvidence {
    /// One per entry, in file order (the first 10,000; past them the file is partial).
    pub accounts: Vec<ShadowAccount>,
}

/// One line of /etc/shadow. Day counts are days since 1970-01-01; absent when the field is
/// empty (or not a number, with a warning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ShadowAccount {
    /// The user name.
    pub name: String,
    /// The 1-based line of the entry.
    pub line: u32,
    /// The password field's scheme (and rounds or cost).
    pub hash: HashInfo,
    /// A password hash is present, even when a `!` locks it.
    pub password_set: bool,
    /// The field starts with `!` or `*`: no password can log in.
    pub locked: bool,
    /// Day of the last password change (days since 1970-01-01); 0 forces a change at the next
    /// login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_change: Option<u64>,
    /// Days before the password may be changed again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_days: Option<u64>,
    /// Days after which the password must be changed (99999: never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_days: Option<u64>,
    /// Days before the password expires that the user is warned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warn_days: Option<u64>,
    /// Days after the password expires that the account is still accepted (with a forced
    /// change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inactive_days: Option<u64>,
    /// The day the account expires (days since 1970-01-01).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire: Option<u64>,
    /// The hash was recomputed for every well-known default password and the account's own
    /// name.
    pub default_password_checked: bool,
    /// The well-known default password (or the account's own name) the hash matches. These
    /// passwords are public knowledge (rules/catalogue/default-passwords.txt).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_password: Option<String>,
    /// Why a hash was not (completely) checked against the well-known defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_password_unchecked: Option<NotChecked>,
    /// The hash's digest for the fleet's uniqueness check: SHA-256 over a domain string and
    /// the whole hash string, salt included (guessing the password from it needs the salt,
    /// which no report holds). The hash itself is never shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet_secret: Option<FleetSecret>,
}

fn read_account(
    fields: &[&str],
    number: u32,
    default_check: &mut DefaultPasswordCheck,
    warnings: &mut LineWarnings,
) -> ShadowAccount {
    let name = fields[0].to_owned();
    let password = PasswordField::parse(fields[1]);
    let mut day_field = |index: usize, label: &str| -> Option<u64> {
        let field = fields.get(index).copied().unwrap_or_default();
        if field.is_empty() {
            return None;
        }
        let value = is_number(field)
            .then(|| field.parse::<u64>().ok())
            .flatten();
        if value.is_none() {
            warnings.push(format!(
                "line {number}: {label} of {name} is `{field}`, not a number of days; ignored"
            ));
        }
        value
    };
    let last_change = day_field(2, "last change");
    let min_days = day_field(3, "minimum age");
    let max_days = day_field(4, "maximum age");
    let warn_days = day_field(5, "warning period");
    let inactive_days = day_field(6, "inactivity period");
    let expire = day_field(7, "expiry");
    let (default_password, unchecked) = match password.crypt {
        Some(crypt) => match default_check.check(crypt, &name) {
            CheckOutcome::Found(found) => (Some(found), None),
            CheckOutcome::NotFound => (None, None),
            CheckOutcome::Unsupported => (None, Some(NotChecked::Scheme)),
            CheckOutcome::TooCostly(asked) => {
                warnings.push(format!(
                    "line {number}: password of {name} not checked against well-known defaults: the hash asks for {asked}, more than this tool spends on one hash"
                ));
                (None, Some(NotChecked::Cost))
            }
            CheckOutcome::BudgetSpent => {
                if !default_check.budget_spent() {
                    warnings.push(format!(
                        "line {number}: passwords of {name} and the accounts after it not checked against well-known defaults: the artifact's budget of hash work is spent"
                    ));
                }
                default_check.note_unchecked(format!("line {number}: {name}"));
                (None, Some(NotChecked::Budget))
            }
        },
        None => (None, None),
    };
    let default_password_checked = password.crypt.is_some() && unchecked.is_none();
    // The same hash string on two devices is one password copied with its salt (an image
    // cloned), not two users who chose the same password.
    let fleet_secret = password
        .crypt
        .map(|crypt| FleetSecret::new(SecretKind::PasswordHash, &name, crypt.as_bytes()));
    ShadowAccount {
        name,
        line: number,
        hash: password.hash,
        password_set: password.password_set,
        locked: password.locked,
        last_change,
        min_days,
        max_days,
        warn_days,
        inactive_days,
        expire,
        default_password_checked,
        default_password,
        default_password_unchecked: unchecked,
        fleet_secret,
    }
}

/// Why a password hash was not tested against the well-known defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NotChecked {
    /// A scheme this tool does not recompute (scrypt, GOST yescrypt) or a malformed hash.
    Scheme,
    /// The hash asks for more rounds (or a higher bcrypt cost) than one hash may cost.
    Cost,
    /// The artifact's budget of hash work was spent before this hash was fully checked: the
    /// artifact is partial.
    Budget,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::accounts::PasswdAnalyzer;
    use std::path::Path;

    /// A Jetson Nano companion computer (NVIDIA L4T, Ubuntu 18.04 base) after first setup,
    /// with an old maintenance account.
    const JETSON: &str = "\
root:!:19435:0:99999:7:::
daemon:*:19435:0:99999:7:::
bin:*:19435:0:99999:7:::
sys:*:19435:0:99999:7:::
sshd:*:19435:0:99999:7:::
nvidia:$6$saltsalt$677q0O/U8ycKsbBfN68CgcyXcWEbi0J/eUf256PkkeGXfNX3CNnPlwFdNvdBgnSiHDx5X1Xozxf5lg9iVIVVu/:19435:0:99999:7:::
flight:$1$abcdefgh$Ypp3mcpy11lgzIqzzpMOs/:19500:0:90:7:30::
guest::19500:0:99999:7:::
old:!abeI39UDXGcO6:0::::::
";

    #[test]
    fn a_jetson_shadow_is_identified_and_read() {
        assert!(ShadowAnalyzer.identify(JETSON.as_bytes()));
        let evidence = ShadowAnalyzer.analyze(JETSON.as_bytes()).unwrap();
        assert!(evidence.warnings.is_empty(), "{:?}", evidence.warnings);
        let accounts = &evidence.document["accounts"];
        assert_eq!(accounts.as_array().unwrap().len(), 9);
        let root = &accounts[0];
        assert_eq!(root["hash"]["kind"], "locked");
        assert_eq!(root["locked"], true);
        assert_eq!(root["password_set"], false);
        assert_eq!(root["default_password_checked"], false);
        assert_eq!(accounts[1]["hash"]["kind"], "no-login");
        let nvidia = &accounts[5];
        assert_eq!(nvidia["name"], "nvidia");
        assert_eq!(nvidia["line"], 6);
        assert_eq!(nvidia["hash"]["kind"], "sha512");
        assert_eq!(nvidia["hash"]["rounds"], 5000);
        assert_eq!(nvidia["default_password"], "raspberry");
        assert_eq!(nvidia["max_days"], 99999);
        let flight = &accounts[6];
        assert_eq!(flight["hash"]["kind"], "md5");
        assert_eq!(
            flight["default_password_checked"], true,
            "MD5-crypt is recomputed"
        );
        assert_eq!(flight["default_password"], "raspberry");
        assert_eq!(flight["inactive_days"], 30);
        assert!(flight.get("expire").is_none());
        let guest = &accounts[7];
        assert_eq!(guest["hash"]["kind"], "empty");
        assert_eq!(guest["password_set"], false);
        assert_eq!(guest["locked"], false);
        let old = &accounts[8];
        assert_eq!(old["hash"]["kind"], "des");
        assert_eq!(old["locked"], true);
        assert_eq!(old["password_set"], true);
        assert_eq!(old["last_change"], 0);
    }

    #[test]
    fn the_evidence_follows_its_schema() {
        // Every hash kind of the Jetson's file, and a hash too costly to check.
        let content = format!(
            "{JETSON}slow:$6$rounds=200000$salt$677q0O/U8ycKsbBfN68CgcyXcWEbi0J/eUf256PkkeGXfNX3CNnPlwFdNvdBgnSiHDx5X1Xozxf5lg9iVIVVu/:19800:0:99999:7:30:20000:\n"
        );
        let evidence = ShadowAnalyzer.analyze(content.as_bytes()).unwrap();
        assert_eq!(
            evidence.document["accounts"][9]["default_password_unchecked"],
            "cost"
        );
        crate::analyze::schema::assert_follows_schema(
            crate::analyze::ArtifactKind::Shadow,
            &evidence.document,
        );
    }

    #[test]
    fn passwd_and_other_text_are_not_taken_for_shadow() {
        assert!(!ShadowAnalyzer
            .identify(b"root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000:,,,:/home/pi:/bin/bash\n"));
        assert!(
            !ShadowAnalyzer.identify(b"root:x:0:\nadm:x:4:syslog,pi\n"),
            "/etc/group"
        );
        assert!(!ShadowAnalyzer.identify(b"Port 22\nPermitRootLogin yes\n"));
        assert!(!ShadowAnalyzer.identify(b"\x00\x01\x02root:*:1:0:99999:7:::"));
        assert!(!ShadowAnalyzer.identify(b""));
        assert!(
            !ShadowAnalyzer.identify(b"a:b:c:d:e:f:g:h:i\n"),
            "third field is not days"
        );
        let shadow = JETSON.as_bytes();
        assert!(!PasswdAnalyzer.identify(shadow), "shadow is not passwd");
        let found =
            crate::analyze::identify(Path::new("shadow"), shadow).map(|analyzer| analyzer.kind());
        assert_eq!(found, Some(ArtifactKind::Shadow));
    }

    #[test]
    fn accounts_and_warnings_are_read_up_to_a_bound() {
        // 20,000 accounts: the first 10,000 are read, the rest counted, and the file partial.
        let mut content = String::new();
        for index in 0..2 * MAX_ACCOUNTS {
            content.push_str(&format!("u{index}:*:19800:0:99999:7:::\n"));
        }
        let evidence = ShadowAnalyzer.analyze(content.as_bytes()).expect("read");
        assert_eq!(
            evidence.document["accounts"].as_array().map(Vec::len),
            Some(MAX_ACCOUNTS)
        );
        let reason = evidence.incomplete.expect("partial");
        assert!(
            reason.starts_with("10000 accounts after the first 10000"),
            "{reason}"
        );
        // A million lines that are not entries make 100 warnings and a count, not a million.
        let mut content = "root:*:19800:0:99999:7:::\n".to_owned();
        content.push_str(&"not an entry\n".repeat(1_000_000));
        let evidence = ShadowAnalyzer.analyze(content.as_bytes()).expect("read");
        assert_eq!(evidence.warnings.len(), 101);
        assert_eq!(
            evidence.warnings[100],
            "and 999900 more warnings about lines like these"
        );
    }

    #[test]
    fn malformed_lines_are_warnings_and_nothing_valid_is_an_error() {
        let text = "root:*:19435:0:99999:7:::\n+::::::::\npi:$6$x:19435:0:99999:7::::extra\n\nops:!:19435:0:abc:7:::\n";
        assert!(
            !ShadowAnalyzer.identify(text.as_bytes()),
            "2 of 4 lines are entries"
        );
        let evidence = ShadowAnalyzer.analyze(text.as_bytes()).unwrap();
        assert_eq!(evidence.document["accounts"].as_array().unwrap().len(), 2);
        assert!(
            evidence.warnings[0].starts_with("line 2: not a shadow entry"),
            "{:?}",
            evidence.warnings
        );
        assert!(
            evidence.warnings[1].starts_with("line 3: not a shadow entry"),
            "{:?}",
            evidence.warnings
        );
        assert!(
            evidence.warnings[2].starts_with("line 5: maximum age of ops is `abc`"),
            "{:?}",
            evidence.warnings
        );
        assert!(ShadowAnalyzer
            .analyze(b"this is not a shadow file\n")
            .is_err());
        assert!(ShadowAnalyzer
            .analyze(b"root:*:1:0:99999:7:::\n\0")
            .is_err());
        assert_eq!(
            ShadowAnalyzer
                .analyze(b"root:*:1:0:99999:7:::\nx:\xff:::::::\n")
                .unwrap_err()
                .line,
            Some(2)
        );
    }

    #[test]
    fn a_spent_budget_is_reported_once() {
        // Rounds over the per-hash limit cost nothing; only the budget message is checked here.
        let mut text = String::new();
        for index in 0..3 {
            text.push_str(&format!("u{index}:$6$rounds=200000$salt$677q0O/U8ycKsbBfN68CgcyXcWEbi0J/eUf256PkkeGXfNX3CNnPlwFdNvdBgnSiHDx5X1Xozxf5lg9iVIVVu/:19800:0:99999:7:::\n"));
        }
        let evidence = ShadowAnalyzer.analyze(text.as_bytes()).unwrap();
        assert_eq!(evidence.warnings.len(), 3);
        assert!(
            evidence.warnings[0].contains("asks for 200000 rounds"),
            "{:?}",
            evidence.warnings
        );
        let mut check = DefaultPasswordCheck::with_budget(4_000);
        let mut warnings = LineWarnings::default();
        let fields = ["pi", "$6$saltsalt$677q0O/U8ycKsbBfN68CgcyXcWEbi0J/eUf256PkkeGXfNX3CNnPlwFdNvdBgnSiHDx5X1Xozxf5lg9iVIVVu/", "1", "", "", "", "", "", ""];
        for number in 1..=3 {
            let account = read_account(&fields, number, &mut check, &mut warnings);
            assert!(!account.default_password_checked);
        }
        let warnings = warnings.finish();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0]
                .starts_with("line 1: passwords of pi and the accounts after it not checked"),
            "{warnings:?}"
        );
    }

    #[test]
    fn duplicate_users_are_recorded_with_a_warning() {
        let evidence = ShadowAnalyzer
            .analyze(b"root:*:1:0:99999:7:::\nroot::1:0:99999:7:::\n")
            .unwrap();
        assert_eq!(evidence.document["accounts"][1]["hash"]["kind"], "empty");
        assert!(
            evidence.warnings[0].starts_with("line 2: user root appears again (first on line 1)")
        );
    }
}
