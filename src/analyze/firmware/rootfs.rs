//! Root-filesystem checks, chosen by a file's path inside the image: the accounts of
//! `/etc/shadow` and `/etc/passwd` (read by the companion-computer analyzers into one `accounts`
//! array, whose entries the ACCT rules tell apart by their fields), services that
//! the boot scripts start (telnetd, adbd, dropbear allowing blank passwords, a shell bound to a
//! console or a port), and `authorized_keys` files that let someone in.

use super::{Chain, Placed, Walk};
use crate::analyze::accounts::hash::WORK_BUDGET;
use crate::analyze::accounts::{shadow, PasswdAnalyzer, ShadowAnalyzer};
use crate::analyze::Analyzer;
use regex::Regex;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::LazyLock;

pub fn is_shadow(path: &str) -> bool {
    path.ends_with("/etc/shadow") || path.ends_with("/etc/shadow-")
}

fn is_passwd(path: &str) -> bool {
    path.ends_with("/etc/passwd") || path.ends_with("/etc/passwd-")
}

/// Files that start services at boot: SysV init scripts and rc files, BusyBox and SysV
/// inittab, inetd, systemd units, upstart jobs, Android init.
fn is_boot_script(path: &str) -> bool {
    path.contains("/etc/init.d/")
        || path.contains("/etc/rc")
        || path.ends_with("/etc/inittab")
        || path.ends_with("/etc/inetd.conf")
        || path.contains("/etc/xinetd.d/")
        || path.contains("/etc/init/")
        || (path.contains("/systemd/system/") && path.ends_with(".service"))
        || (path.ends_with(".rc") && (path.starts_with("/init") || path.contains("/etc/init/")))
}

fn is_authorized_keys(path: &str) -> bool {
    path.ends_with("/authorized_keys") || path.ends_with("/authorized_keys2")
}

/// A service a boot script starts, and when it lets anyone in without a password.
struct ServiceRule {
    service: &'static str,
    pattern: Regex,
    unauthenticated: Unauthenticated,
}

/// When a started service asks for no password.
enum Unauthenticated {
    Never,
    Always,
    /// When the line also matches this (`telnetd -l /bin/sh`, `dropbear -B`).
    With(Regex),
}

impl Unauthenticated {
    fn holds(&self, line: &str) -> bool {
        match self {
            Unauthenticated::Never => false,
            Unauthenticated::Always => true,
            Unauthenticated::With(pattern) => pattern.is_match(line),
        }
    }
}

static SERVICES: LazyLock<Vec<ServiceRule>> = LazyLock::new(|| {
    let rule = |service, pattern: &str, unauthenticated| ServiceRule {
        service,
        pattern: Regex::new(pattern).expect("valid regex"),
        unauthenticated,
    };
    let with = |pattern: &str| Unauthenticated::With(Regex::new(pattern).expect("valid regex"));
    vec![
        // `telnetd -l /bin/sh` logs in with a shell, no password asked.
        rule(
            "telnetd",
            r"\b(?:u?telnetd|in\.telnetd)\b",
            with(r"-l\s*/bin/(?:ba|a)?sh\b"),
        ),
        rule(
            "adbd",
            r"\badbd\b|persist\.sys\.usb\.config[= ]\S*adb|service\.adb\.tcp\.port",
            Unauthenticated::Never,
        ),
        // dropbear -B allows logins with a blank password.
        rule("dropbear", r"\bdropbear\b", with(r"\s-[A-Za-z]*B")),
        // A shell on a console or a port without a login: inittab `::respawn:/bin/sh`,
        // `getty -n -l /bin/sh`, `nc -e /bin/sh`.
        rule(
            "shell",
            r"(?:^|:)(?:-)?/bin/(?:ba|a)?sh\s*$|\bgetty\b.*-n\b.*-l\s*/bin/(?:ba|a)?sh|\bnc\b.*-e\s*/bin/(?:ba|a)?sh",
            Unauthenticated::Always,
        ),
    ]
});

/// Whether a file at `path` (as [`rooted`] gives it) shows that an archive is firmware: a file
/// only a root filesystem has at its root, or the manifest of an update format (SWUpdate,
/// RAUC, Android OTA, Mender, OpenWrt sysupgrade, DJI). The kind of marker, or `None`.
pub fn firmware_marker(path: &str) -> Option<&'static str> {
    const ROOT_FILES: [&str; 10] = [
        "/etc/os-release",
        "/etc/hostname",
        "/etc/passwd",
        "/etc/shadow",
        "/etc/inittab",
        "/etc/fstab",
        "/sbin/init",
        "/bin/busybox",
        "/init.rc",
        "/system/build.prop",
    ];
    const ROOT_FOLDERS: [&str; 3] = ["/etc/init.d/", "/etc/systemd/", "/lib/systemd/system/"];
    let name = path.rsplit('/').next().unwrap_or_default();
    if ROOT_FILES.contains(&path) || ROOT_FOLDERS.iter().any(|folder| path.starts_with(folder)) {
        Some("root filesystem file")
    } else if matches!(
        name,
        "sw-description" | "manifest.raucm" | "payload_properties.txt" | "update-binary"
    ) || path.contains("/META-INF/com/android/")
        || (path.starts_with("/sysupgrade-") && name == "CONTROL")
        || (path == "/header.tar" || path == "/header.tar.gz")
        || name.ends_with(".cfg.sig")
    {
        Some("update manifest")
    } else {
        None
    }
}

/// A member's path as the root filesystem sees it: `./etc/shadow` and `etc/shadow` (in a tar),
/// `/etc/shadow` (in a SquashFS) are all `/etc/shadow`.
pub fn rooted(path: &str) -> String {
    format!("/{}", path.trim_start_matches("./").trim_start_matches('/'))
}

/// The checks `path` (the member's path as [`rooted`] gives it) calls for.
pub fn check(walk: &mut Walk, chain: &Chain, path: &str, bytes: &[u8]) {
    if is_shadow(path) {
        shadow_accounts(walk, chain, bytes);
    } else if is_passwd(path) {
        accounts(
            walk,
            chain,
            bytes,
            &PasswdAnalyzer,
            PasswdAnalyzer.analyze(bytes),
        );
    } else if is_boot_script(path) {
        services(walk, chain, bytes);
    } else if is_authorized_keys(path) {
        authorized_keys(walk, chain, bytes);
    }
}

/// A shadow file's accounts, its hashes checked within the image's one budget (not a budget per
/// member, which many small shadow members would multiply); the image is partial, said once,
/// when the budget leaves accounts unchecked.
fn shadow_accounts(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    if !ShadowAnalyzer.identify(bytes) {
        walk.unreadable(chain, ShadowAnalyzer.kind().id(), "not a shadow file");
        return;
    }
    let already_spent = walk.passwords.budget_spent();
    let result = shadow::analyze_with(bytes, &mut walk.passwords);
    accounts(walk, chain, bytes, &ShadowAnalyzer, result);
    if !already_spent && walk.passwords.budget_spent() {
        walk.problems.push(format!(
            "passwords of accounts in {chain} and in later shadow files not checked against well-known defaults: the image's budget of {WORK_BUDGET} hash work units is spent"
        ));
    }
}

/// Accounts listed for one image, all its shadow and passwd files together: the bound of one
/// file's ([`crate::analyze::accounts::MAX_ACCOUNTS`]). A root filesystem has tens; 199,000
/// shadow members of one account each made 925 MB of evidence.
pub use crate::analyze::accounts::MAX_ACCOUNTS;
const ACCOUNTS_CUT: &str = "the image holds more accounts than are listed";

/// The accounts of a shadow or passwd file, each with its line, as the companion analyzers
/// read them (so the ACCT rules' selectors apply unchanged to `accounts`).
fn accounts(
    walk: &mut Walk,
    chain: &Chain,
    bytes: &[u8],
    analyzer: &dyn Analyzer,
    result: Result<crate::analyze::Evidence, crate::analyze::AnalyzeError>,
) {
    // A file at /etc/shadow or /etc/passwd that is not one is unreadable evidence, not none.
    if !analyzer.identify(bytes) {
        let error = format!("not a {} file", analyzer.kind());
        walk.unreadable(chain, analyzer.kind().id(), error);
        return;
    }
    match result {
        Ok(evidence) => {
            // One file of more accounts than are read is partial on its own.
            if let Some(reason) = &evidence.incomplete {
                walk.problems.push(format!("{chain}: {reason}"));
            }
            let Value::Array(entries) = evidence.document["accounts"].clone() else {
                return;
            };
            // Where each account's line starts, for the finding's byte offset.
            let starts: Vec<usize> = std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', bytes).map(|end| end + 1))
                .collect();
            let listed = walk.sections.accounts.len();
            if listed + entries.len() > MAX_ACCOUNTS {
                // Past the bound, accounts are not listed: the ACCT rules cannot see them, so
                // the image is partial from the first file that does not fit.
                if !walk.accounts_cut {
                    walk.accounts_cut = true;
                    walk.problems.push(format!(
                        "accounts of {chain} and later files not listed: {ACCOUNTS_CUT} ({MAX_ACCOUNTS})"
                    ));
                }
                return;
            }
            for mut entry in entries {
                let line = entry["line"].as_u64().unwrap_or(1) as usize;
                entry["offset"] = json!(starts.get(line.saturating_sub(1)).copied().unwrap_or(0));
                if let Some(object) = entry.as_object_mut() {
                    if chain.depth() > 0 {
                        object.insert("container".to_owned(), json!(chain.to_string()));
                    }
                }
                walk.sections.accounts.push(entry);
            }
        }
        Err(error) => walk.unreadable(chain, analyzer.kind().id(), error.message),
    }
}

/// Lines of text with their 1-based number and byte offset, comments and blanks left out.
fn script_lines(bytes: &[u8]) -> impl Iterator<Item = (usize, usize, String)> + '_ {
    let mut offset = 0;
    bytes
        .split(|byte| *byte == b'\n')
        .enumerate()
        .filter_map(move |(index, line)| {
            let start = offset;
            offset += line.len() + 1;
            let text = String::from_utf8_lossy(line).trim().to_owned();
            (!text.is_empty() && !text.starts_with('#')).then_some((index + 1, start, text))
        })
}

/// A service a boot script starts.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Service {
    /// Which: `telnetd`, `adbd`, `dropbear`, `shell`…
    service: &'static str,
    /// It lets anyone in without a password (telnetd running a shell, dropbear `-B`, a shell
    /// on a console or a port).
    unauthenticated: bool,
    /// The script's line (its first 200 characters).
    text: String,
    /// The line's number, from 1.
    line: usize,
    /// Where the line starts in the script.
    offset: usize,
}

/// A key of an `authorized_keys` file.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AuthorizedKey {
    /// The key's type (`ssh-ed25519`, `ssh-rsa`…).
    #[serde(rename = "type")]
    kind: String,
    /// Its comment, or `no comment`.
    comment: String,
    /// Options come before the key (`command=`, `from=`…).
    options: bool,
    /// The line's number, from 1.
    line: usize,
    /// Where the line starts in the file.
    offset: usize,
}

fn services(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    for (line, offset, text) in script_lines(bytes) {
        for rule in SERVICES.iter() {
            if !rule.pattern.is_match(&text) {
                continue;
            }
            let unauthenticated = rule.unauthenticated.holds(&text);
            let service = Service {
                service: rule.service,
                unauthenticated,
                text: text.chars().take(200).collect::<String>(),
                line,
                offset,
            };
            walk.sections.services.push(Placed::new(chain, service));
        }
    }
}

fn authorized_keys(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    for (line, offset, text) in script_lines(bytes) {
        // Options may come first: the key type is the first field that names one.
        let fields: Vec<&str> = text.split_whitespace().collect();
        let Some(position) = fields.iter().position(|field| {
            field.starts_with("ssh-") || field.starts_with("ecdsa-") || field.starts_with("sk-")
        }) else {
            continue;
        };
        let key = AuthorizedKey {
            kind: fields[position].to_owned(),
            comment: fields
                .get(position + 2..)
                .map(|rest| rest.join(" "))
                .filter(|comment| !comment.is_empty())
                .unwrap_or_else(|| "no comment".to_owned()),
            options: position > 0,
            line,
            offset,
        };
        walk.sections.authorized_keys.push(Placed::new(chain, key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services_of(script: &str) -> Vec<(String, bool)> {
        SERVICES
            .iter()
            .flat_map(|rule| {
                script_lines(script.as_bytes())
                    .filter(|(_, _, text)| rule.pattern.is_match(text))
                    .map(|(_, _, text)| {
                        (rule.service.to_owned(), rule.unauthenticated.holds(&text))
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn boot_scripts_are_read_for_services() {
        assert_eq!(
            services_of("telnetd -l /bin/sh &\n"),
            [("telnetd".to_owned(), true)]
        );
        assert_eq!(
            services_of("/usr/sbin/telnetd -p 23\n"),
            [("telnetd".to_owned(), false)]
        );
        assert_eq!(services_of("# telnetd -l /bin/sh\n"), []);
        assert_eq!(
            services_of("dropbear -R -B -p 22\n"),
            [("dropbear".to_owned(), true)]
        );
        assert_eq!(
            services_of("dropbear -R -p 22\n"),
            [("dropbear".to_owned(), false)]
        );
        assert_eq!(
            services_of("ttyS0::respawn:/bin/sh\n"),
            [("shell".to_owned(), true)]
        );
        assert_eq!(
            services_of("ttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100\n"),
            []
        );
        assert_eq!(
            services_of("setprop persist.sys.usb.config mtp,adb\n"),
            [("adbd".to_owned(), false)]
        );
    }

    #[test]
    fn accounts_are_listed_up_to_a_bound_and_the_rest_make_the_image_partial() {
        // Every shadow member's accounts became evidence nodes: 199,000 members, 925 MB.
        let mut builder = tar::Builder::new(Vec::new());
        for index in 0..MAX_ACCOUNTS + 5 {
            let line = format!("u{index}:*:19800:0:99999:7:::\n");
            let mut header = tar::Header::new_gnu();
            header.set_size(line.len() as u64);
            header.set_mode(0o600);
            header.set_cksum();
            builder
                .append_data(&mut header, format!("r{index}/etc/shadow"), line.as_bytes())
                .expect("tar entry");
        }
        let image = builder.into_inner().expect("tar");
        let evidence = super::super::analyze_with(&image, Default::default()).expect("analyzed");
        let listed = evidence.document["accounts"].as_array().map(Vec::len);
        assert_eq!(listed, Some(MAX_ACCOUNTS));
        let reason = evidence.incomplete.expect("partial");
        assert!(
            reason.contains("r10000/etc/shadow and later files not listed"),
            "{reason}"
        );
        assert_eq!(reason.matches(ACCOUNTS_CUT).count(), 1, "{reason}");
    }

    #[test]
    fn paths_choose_the_check() {
        assert!(is_shadow("/etc/shadow"));
        assert!(!is_shadow("/etc/shadow.bak"));
        assert!(is_boot_script("/etc/init.d/S50telnet"));
        assert!(is_boot_script("/etc/inittab"));
        assert!(is_boot_script("/lib/systemd/system/telnet.service"));
        assert!(!is_boot_script("/usr/share/doc/rcs/README"));
        assert!(is_authorized_keys("/root/.ssh/authorized_keys"));
    }
}
