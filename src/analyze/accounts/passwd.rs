//! `/etc/passwd`: one account a line, `name:password:uid:gid:gecos:home:shell` (passwd(5)),
//! read into [`PasswdAccount`]s: who has UID 0, who has a login shell, and whether a password
//! (or its absence) sits in this world-readable file instead of /etc/shadow.
//!
//! A file is identified when nearly all of its first lines have 7 colon-separated fields, a
//! valid user name first and numeric UID and GID.

use super::hash::{HashInfo, PasswordField};
use super::{
    accounts_not_listed, identify_entries, is_number, is_user_name, LineWarnings, MAX_ACCOUNTS,
};
use crate::analyze::text;
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

pub struct PasswdAnalyzer;

/// The fields of a passwd line.
const FIELDS: usize = 7;

/// Shells that refuse an interactive login (by file name).
const NON_LOGIN_SHELLS: &[&str] = &["nologin", "false", "true", "sync", "shutdown", "halt"];

/// What login runs when the shell field is empty.
const DEFAULT_SHELL: &str = "/bin/sh";

/// The first UID `useradd` gives people on Debian, Ubuntu, Raspberry Pi OS and L4T.
const FIRST_PERSON_UID: u32 = 1000;

/// `nobody`, and what lies above it.
const NOBODY_UID: u32 = 65534;

fn is_passwd_entry(fields: &[&str]) -> bool {
    fields.len() == FIELDS
        && is_user_name(fields[0])
        && is_number(fields[2])
        && is_number(fields[3])
}

impl Analyzer for PasswdAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::Passwd
    }

    fn extensions(&self) -> &'static [&'static str] {
        &[]
    }

    fn identify(&self, content: &[u8]) -> bool {
        identify_entries(content, is_passwd_entry)
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        _: crate::analyze::AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        let text = text::decode(content)?;
        let mut warnings = LineWarnings::default();
        let mut accounts: Vec<PasswdAccount> = Vec::new();
        let mut not_listed = 0usize;
        let mut first_line_of: BTreeMap<String, u32> = BTreeMap::new();
        for line in text::lines(text) {
            let line = line?;
            if line.text.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.text.split(':').collect();
            let Some(account) = read_account(&fields, line.number) else {
                warnings.push(format!(
                    "line {}: not a passwd entry (7 colon-separated fields, a user name first, numeric UID and GID); skipped",
                    line.number
                ));
                continue;
            };
            if accounts.len() == MAX_ACCOUNTS {
                not_listed += 1;
                continue;
            }
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
            return Err(AnalyzeError::new("no passwd entry found"));
        }
        let document = serde_json::to_value(PasswdEvidence { accounts }).map_err(|error| {
            AnalyzeError::new(format!("cannot serialise passwd evidence: {error}"))
        })?;
        Ok(Evidence {
            incomplete: accounts_not_listed(not_listed),
            kind: ArtifactKind::Passwd,
            document,
            lines: Default::default(),
            warnings: warnings.finish(),
        })
    }
}

/// The evidence document of one /etc/passwd: every account, who has UID 0, who has a login
/// shell, and whether a password (or its absence) sits in this world-readable file instead of
/// /etc/shadow.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PasswdEvidence {
    /// One per entry, in file order (the first 10,000; past them the file is partial).
    pub accounts: Vec<PasswdAccount>,
}

/// What the password field of a passwd line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PasswordPlace {
    /// `x`: the password is in /etc/shadow, as it should be.
    X,
    /// Nothing: the account logs in without a password.
    Empty,
    /// A hash, readable by every local user.
    Hash,
    /// `*` or `!…`: no password can log in.
    Locked,
}

/// One line of /etc/passwd.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PasswdAccount {
    /// The user name.
    pub name: String,
    /// The 1-based line of the entry.
    pub line: u32,
    /// The user id (32-bit; a larger one makes the line malformed). 0 is root's, whatever the
    /// name.
    pub uid: u32,
    /// The primary group id (32-bit).
    pub gid: u32,
    /// The comment (GECOS) field, as written.
    pub gecos: String,
    /// The home directory, as written.
    pub home: String,
    /// The shell, as written; empty means /bin/sh.
    pub shell: String,
    /// The program a login runs: `shell`, or /bin/sh when the field is empty.
    pub effective_shell: String,
    /// What the password field holds.
    pub password_field: PasswordPlace,
    /// The hash's scheme (and rounds or cost), when the password field holds a hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<HashInfo>,
    /// The shell lets the account log in interactively: false for `nologin`, `false`, `true`,
    /// `sync`, `shutdown` and `halt` (by file name), true otherwise, an empty shell included.
    pub login_shell: bool,
    /// A service account: UID 1–999, or 65534 (`nobody`) and above, as Debian, Ubuntu,
    /// Raspberry Pi OS and L4T allocate them (not root, not a person).
    pub system_account: bool,
}

fn read_account(fields: &[&str], number: u32) -> Option<PasswdAccount> {
    if !is_passwd_entry(fields) {
        return None;
    }
    let uid: u32 = fields[2].parse().ok()?;
    let gid: u32 = fields[3].parse().ok()?;
    let (password_field, hash) = match fields[1] {
        "x" => (PasswordPlace::X, None),
        "" => (PasswordPlace::Empty, None),
        field if field.starts_with(['*', '!']) => (PasswordPlace::Locked, None),
        field => (PasswordPlace::Hash, Some(PasswordField::parse(field).hash)),
    };
    let shell = fields[6];
    let shell_name = shell.rsplit('/').next().unwrap_or_default();
    Some(PasswdAccount {
        name: fields[0].to_owned(),
        line: number,
        uid,
        gid,
        gecos: fields[4].to_owned(),
        home: fields[5].to_owned(),
        shell: shell.to_owned(),
        effective_shell: if shell.is_empty() {
            DEFAULT_SHELL
        } else {
            shell
        }
        .to_owned(),
        password_field,
        hash,
        login_shell: !NON_LOGIN_SHELLS.contains(&shell_name),
        system_account: uid != 0 && !(FIRST_PERSON_UID..NOBODY_UID).contains(&uid),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::accounts::ShadowAnalyzer;
    use std::path::Path;

    /// A Raspberry Pi 4 companion computer (Raspberry Pi OS bookworm) with a MAVLink
    /// telemetry service and an old backdoor-looking account.
    const RASPBERRY_PI: &str = "\
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
www-data:x:33:33:www-data:/var/www:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
sshd:x:104:65534::/run/sshd:/usr/sbin/nologin
pi:x:1000:1000:,,,:/home/pi:/bin/bash
mavlink:!:998:998:MAVLink router:/var/lib/mavlink:
toor:abeI39UDXGcO6:0:0::/root:/bin/sh
guest::1001:1001:Guest:/home/guest:/bin/bash
";

    #[test]
    fn the_evidence_follows_its_schema() {
        let evidence = PasswdAnalyzer.analyze(RASPBERRY_PI.as_bytes()).unwrap();
        let toor = &evidence.document["accounts"][9];
        assert_eq!(
            toor["hash"]["kind"], "des",
            "a hash in passwd is described too"
        );
        crate::analyze::schema::assert_follows_schema(
            crate::analyze::ArtifactKind::Passwd,
            &evidence.document,
        );
    }

    #[test]
    fn a_raspberry_pi_passwd_is_identified_and_read() {
        assert!(PasswdAnalyzer.identify(RASPBERRY_PI.as_bytes()));
        let evidence = PasswdAnalyzer.analyze(RASPBERRY_PI.as_bytes()).unwrap();
        assert!(evidence.warnings.is_empty(), "{:?}", evidence.warnings);
        let accounts = &evidence.document["accounts"];
        let root = &accounts[0];
        assert_eq!(root["uid"], 0);
        assert_eq!(root["password_field"], "x");
        assert_eq!(root["login_shell"], true);
        assert_eq!(root["system_account"], false);
        assert!(root.get("hash").is_none());
        assert_eq!(accounts[1]["login_shell"], false);
        assert_eq!(accounts[1]["system_account"], true);
        assert_eq!(accounts[3]["login_shell"], false, "/bin/sync");
        assert_eq!(accounts[4]["login_shell"], true, "www-data with bash");
        assert_eq!(accounts[5]["system_account"], true, "nobody");
        assert_eq!(accounts[7]["system_account"], false, "pi is a person");
        let mavlink = &accounts[8];
        assert_eq!(mavlink["password_field"], "locked");
        assert_eq!(mavlink["shell"], "");
        assert_eq!(mavlink["effective_shell"], "/bin/sh");
        assert_eq!(mavlink["login_shell"], true, "an empty shell is /bin/sh");
        let toor = &accounts[9];
        assert_eq!(toor["line"], 10);
        assert_eq!(toor["uid"], 0);
        assert_eq!(toor["password_field"], "hash");
        assert_eq!(toor["hash"]["kind"], "des");
        assert_eq!(accounts[10]["password_field"], "empty");
        assert_eq!(accounts[10]["gecos"], "Guest");
        assert_eq!(accounts[10]["home"], "/home/guest");
    }

    #[test]
    fn shadow_and_other_text_are_not_taken_for_passwd() {
        let shadow = b"root:*:19800:0:99999:7:::\npi:!:19800:0:99999:7:::\n";
        assert!(!PasswdAnalyzer.identify(shadow));
        assert!(
            !PasswdAnalyzer.identify(b"a:b:c:d:e:f:g\n"),
            "UID and GID must be numbers"
        );
        assert!(!PasswdAnalyzer.identify(b"PermitRootLogin yes\nUsePAM yes\n"));
        assert!(!PasswdAnalyzer.identify(b"\xff\xfe\x00r\x00o"));
        assert!(!PasswdAnalyzer.identify(b""));
        assert!(
            !ShadowAnalyzer.identify(RASPBERRY_PI.as_bytes()),
            "passwd is not shadow"
        );
        let found = crate::analyze::identify(Path::new("passwd"), RASPBERRY_PI.as_bytes())
            .map(|analyzer| analyzer.kind());
        assert_eq!(found, Some(ArtifactKind::Passwd));
    }

    #[test]
    fn a_stray_line_is_tolerated_and_warned_about() {
        let mut text = RASPBERRY_PI.to_owned();
        text.push_str("+::::::\n");
        assert!(PasswdAnalyzer.identify(text.as_bytes()), "11 of 12 lines");
        let evidence = PasswdAnalyzer.analyze(text.as_bytes()).unwrap();
        assert_eq!(evidence.warnings, vec!["line 12: not a passwd entry (7 colon-separated fields, a user name first, numeric UID and GID); skipped"]);
        assert!(
            PasswdAnalyzer
                .analyze(b"root:x:99999999999:0::/root:/bin/sh\n")
                .is_err(),
            "UID beyond 32 bits"
        );
        assert!(PasswdAnalyzer.analyze(b"# not passwd\n").is_err());
    }
}
