//! Accounts end to end: the default-password check covers every crypt(3) scheme cheap to
//! recompute (an MD5-crypt root hash of OpenIPC's published `12345` is found), and its CPU
//! budget belongs to the artifact: a standalone shadow file has one, a firmware image one for
//! all its shadow members, so many small members cannot multiply it (issue 16.4). Accounts
//! the budget leaves unchecked are named and make the artifact partial, never passed.

mod common;

use common::{artifact, assert_status, rules_fired, scan_json, scan_json_with};
use drone_audit::analyze::firmware;
use drone_audit::analyze::UnpackLimits;
use serde_json::Value;
use std::fs;

/// `perl -e 'print crypt("12345", q($1$OpnIPC01$))'` (glibc/libxcrypt): OpenIPC's published
/// default, as MD5-crypt.
const OPENIPC_ROOT_MD5: &str = "$1$OpnIPC01$kuq7WMVn/0ubqe5tP3JfH1";

/// `perl -e 'print crypt("Xq9!notdefault", q($1$Zz0a$))'`: on no list.
const PRIVATE_MD5: &str = "$1$Zz0a$RwhgQATTLNoysqnk3amR/0";

/// `perl -e 'print crypt("Xq9!notdefault", q($6$Zq1xW$))'`: SHA-512-crypt, 5,000 rounds.
const PRIVATE_SHA512: &str = "$6$Zq1xW$iRNbJVPLMAASnl8z/Osn45FCvRju8I/oo10OUKvn2Pxy/C5TViAp1Kqvgsm4qUFvCs5jvL.tuurN34q4oLwAl.";

/// A shadow file of `accounts` users (named `PREFIX0`, `PREFIX1`…) who share one `hash` on no
/// list: each is recomputed in full, because names differ.
fn shadow_of(prefix: &str, accounts: usize, hash: &str) -> String {
    (0..accounts)
        .map(|index| format!("{prefix}{index}:{hash}:19800:0:99999:7:::\n"))
        .collect()
}

fn accounts_unchecked_by_budget(accounts: &[Value]) -> usize {
    accounts
        .iter()
        .filter(|account| account["default_password_unchecked"] == "budget")
        .count()
}

#[test]
fn an_md5_crypt_root_hash_of_a_published_default_is_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = dir.path().join("openipc-air");
    fs::create_dir_all(&device).expect("mkdir");
    fs::write(
        device.join("shadow"),
        format!("root:{OPENIPC_ROOT_MD5}:19800:0:99999:7:::\ndaemon:*:19800:0:99999:7:::\n"),
    )
    .expect("write");
    let (report, _) = scan_json(dir.path());
    let path = artifact(&report, "openipc-air/shadow")["path"]
        .as_str()
        .expect("path")
        .to_owned();
    let fired = rules_fired(&report, &path);
    assert!(fired.contains(&"ACCT-003".to_owned()), "{fired:?}");
    let finding = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| finding["rule"] == "ACCT-003")
        .expect("ACCT-003");
    assert!(
        finding["message"]
            .as_str()
            .is_some_and(|message| message.contains("`12345`")),
        "{finding}"
    );
    assert_eq!(finding["location"]["line"], 1, "{finding}");
}

#[test]
fn a_shadow_file_past_its_budget_is_partial_and_names_the_accounts_left() {
    // 800 accounts of 22 MD5-crypt candidates each is past the budget (about 545 of them).
    let dir = tempfile::tempdir().expect("tempdir");
    let device = dir.path().join("companion");
    fs::create_dir_all(&device).expect("mkdir");
    fs::write(device.join("shadow"), shadow_of("user", 800, PRIVATE_MD5)).expect("write");
    let (report, code) = scan_json_with(dir.path(), &["--fail-on", "none"]);
    let record = artifact(&report, "companion/shadow");
    assert_status(record, "partial", "not checked against well-known defaults");
    assert!(
        record["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("line 546: user545") || reason.contains("more")),
        "{record}"
    );
    assert_eq!(code, 3, "a partial scan is incomplete");
    // ACCT-003 (well-known password) cannot pass on hashes it did not check.
    let not_assessed = report["devices"][0]["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .flat_map(|control| control["not_assessed"].as_array().into_iter().flatten())
        .find(|group| group["rules"].get("ACCT-003").is_some())
        .expect("ACCT-003 is not assessed");
    assert!(
        not_assessed["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("companion/shadow")),
        "{not_assessed}"
    );
}

#[test]
fn shadow_members_of_one_image_share_one_budget() {
    // 50 shadow members of 4 SHA-512-crypt accounts each (4 x 22 x 5,000 = 440,000 units a
    // member). With a budget per member, every account was checked: 22 M units, and with
    // costlier hashes (rounds=100000) 43 s for 50 members in a release build. With one budget
    // per image, about 109 of the 200 are, and the image says the rest were not.
    let mut builder = tar::Builder::new(Vec::new());
    for member in 0..50 {
        let shadow = shadow_of(&format!("m{member}u"), 4, PRIVATE_SHA512);
        let mut header = tar::Header::new_gnu();
        header.set_size(shadow.len() as u64);
        header.set_cksum();
        builder
            .append_data(
                &mut header,
                format!("rootfs{member}/etc/shadow"),
                shadow.as_bytes(),
            )
            .expect("tar entry");
    }
    let image = builder.into_inner().expect("tar");
    let started = std::time::Instant::now();
    let evidence = firmware::analyze_with(&image, UnpackLimits::default()).expect("analyzed");
    let elapsed = started.elapsed();
    let accounts = evidence.document["accounts"].as_array().expect("accounts");
    assert_eq!(accounts.len(), 200);
    let unchecked = accounts_unchecked_by_budget(accounts);
    assert!(
        (85..=95).contains(&unchecked),
        "{unchecked} accounts left unchecked by the image's one budget"
    );
    let reason = evidence.incomplete.expect("partial");
    assert!(
        reason.contains("not checked against well-known defaults") && reason.contains("budget"),
        "{reason}"
    );
    assert!(
        elapsed < std::time::Duration::from_secs(30),
        "{elapsed:?} for one image's budget"
    );
}
