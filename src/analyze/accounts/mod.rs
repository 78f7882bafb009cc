//! Local accounts of a companion computer: `/etc/shadow` ([`ShadowAnalyzer`]) and
//! `/etc/passwd` ([`PasswdAnalyzer`]), identified by content and read into one account per line.
//!
//! Both are colon-separated, one account a line: shadow has 9 fields (name, password hash,
//! ageing), passwd 7 (name, password placeholder, UID, GID, GECOS, home, shell). The field
//! count tells them apart; a valid user name and numeric fields confirm. A line that does not
//! fit is a warning naming it and is skipped; a file with no valid line is an error.
//! [`hash`] reads crypt(5) password fields and tests them against well-known default
//! passwords. The evidence is documented in docs/evidence/accounts.md.

pub mod hash;
pub mod passwd;
pub mod shadow;

pub use passwd::PasswdAnalyzer;
pub use shadow::ShadowAnalyzer;

use crate::analyze::text;

/// How many of the first lines identification reads.
const SNIFF_LINES: usize = 20;

/// Accounts one shadow or passwd file lists (and one firmware image, all its files together).
/// A real system has tens; past the bound they are counted, not read, and the file is partial:
/// a shadow file of 20,000 accounts took 94 MiB of evidence, and one of 256 MiB would take
/// gigabytes.
pub const MAX_ACCOUNTS: usize = 10_000;

/// Warnings about lines kept per file; the rest are counted in one more.
const MAX_LINE_WARNINGS: usize = 100;

/// A file's warnings about its lines, bounded: a file of millions of lines that are not
/// entries would otherwise make as many strings.
#[derive(Default)]
struct LineWarnings {
    kept: Vec<String>,
    left_out: usize,
}

impl LineWarnings {
    fn push(&mut self, warning: String) {
        if self.kept.len() < MAX_LINE_WARNINGS {
            self.kept.push(warning);
        } else {
            self.left_out += 1;
        }
    }

    fn finish(mut self) -> Vec<String> {
        if self.left_out > 0 {
            self.kept.push(format!(
                "and {} more warnings about lines like these",
                self.left_out
            ));
        }
        self.kept
    }
}

/// Why a file whose accounts past [`MAX_ACCOUNTS`] were counted, not read, is partial.
fn accounts_not_listed(count: usize) -> Option<String> {
    (count > 0).then(|| {
        format!(
            "{count} accounts after the first {MAX_ACCOUNTS} were not read: the account rules did not see them"
        )
    })
}

/// The longest user name Linux tools accept (`useradd`: 32).
const MAX_USER_NAME_LENGTH: usize = 32;

/// Whether `name` is a user name as shadow-utils accepts it: letters, digits, `_`, `.` and
/// `-`, not starting with `-`, optionally ending in `$` (Samba machine accounts).
pub fn is_user_name(name: &str) -> bool {
    let base = name.strip_suffix('$').unwrap_or(name);
    !base.is_empty()
        && name.len() <= MAX_USER_NAME_LENGTH
        && !base.starts_with('-')
        && base
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-'))
}

/// Whether `field` is a non-empty run of ASCII digits.
fn is_number(field: &str) -> bool {
    !field.is_empty() && field.bytes().all(|byte| byte.is_ascii_digit())
}

/// Whether nearly all (≥ 90 %) of the first non-blank lines of `content`, and at least one,
/// are account lines by `is_entry`.
fn identify_entries(content: &[u8], is_entry: impl Fn(&[&str]) -> bool) -> bool {
    let lines = text::sniff(content, &[], SNIFF_LINES);
    let matching = lines
        .iter()
        .filter(|line| is_entry(&line.split(':').collect::<Vec<_>>()))
        .count();
    matching >= 1 && matching * 10 >= lines.len() * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_input_makes_the_analyzers_panic() {
        // No SHA-crypt hash here: recomputing one is slow in a debug build.
        let shadow = "root:!$y$j9T$Rt5gHn2LkP0aQw8sX1zC/.$U5UNxGMVSIVLfy5IVAw9anS9h0sdIG.H5gIf/9qo1M6:19800:0:99999:7:::\nflight:$1$Xk3bQ9pL$0a.i.Klh61vmvlHMg5wxQ0:19812:0:99999:7:::\nold:_J9..rasm3I3.7IOQ/Rk:0::::::\nbcrypt:$2b$1:1:::::::\nx:$6$rounds=$:::::::\n";
        let passwd = "root:x:0:0:root:/root:/bin/bash\ntoor:MkY8mC.PRvHYc:0:0::/root:\nsvc:!:4294967295:0:\u{e9}:/:/usr/sbin/nologin\n";
        let analyzers: [&dyn crate::analyze::Analyzer; 2] = [&ShadowAnalyzer, &PasswdAnalyzer];
        for content in [shadow.as_bytes(), passwd.as_bytes()] {
            for end in 0..=content.len() {
                for analyzer in analyzers {
                    let _ = analyzer.identify(&content[..end]);
                    let _ = analyzer.analyze(&content[..end]);
                }
            }
            for byte in [b':', b'$', b'!', b'\n', 0xff] {
                for position in (0..content.len()).step_by(3) {
                    let mut mutated = content.to_vec();
                    mutated[position] = byte;
                    for analyzer in analyzers {
                        let _ = analyzer.identify(&mutated);
                        let _ = analyzer.analyze(&mutated);
                    }
                }
            }
        }
    }

    #[test]
    fn user_names() {
        for name in [
            "root",
            "pi",
            "_apt",
            "systemd-network",
            "jetson.nano",
            "WORKSTATION$",
        ] {
            assert!(is_user_name(name), "{name}");
        }
        for name in ["", "-rf", "two words", "a:b", "+", "$", &"x".repeat(33)] {
            assert!(!is_user_name(name), "{name}");
        }
    }
}
