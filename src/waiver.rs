//! Waivers: findings the organisation accepts, for a reason and until a date.
//!
//! A waiver names a rule and, optionally, glob patterns for the device id and the artifact
//! path it covers; it must give a reason and an expiry date. Waivers come from the policy
//! file (`[[waiver]]`). A malformed waiver is an error, never silently ignored; waived
//! findings stay in every report, marked as waived, and no longer fail the run.
//!
//! The `path` glob matches the artifact's path relative to the scan root it was found under
//! ([`crate::scan_path`]), as fingerprints and baselines do: `scan fleet`, `cd fleet && scan .`
//! and `scan /srv/ci/fleet` waive the same findings. Matched as typed, a waiver written for
//! one spelling silently stopped applying under another, and the gate turned red (or green).
//!
//! Expiry does not stop a pipeline: an expired waiver no longer applies (its findings count
//! again, and fail the run if they are severe enough) and every report lists it as expired;
//! one that expires within `[waivers] warn_days` (default [`DEFAULT_WARN_DAYS`]) is listed
//! with the days it has left, so that it is renewed or its findings fixed before that.

use crate::scan_path::scan_relative;
use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A calendar date (proleptic Gregorian, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking that the day exists.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.trim().splitn(3, '-');
        let year: i32 = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (text.trim().len() == 10 && (1..=days_in_month).contains(&day)).then_some(Date {
            year,
            month,
            day,
        })
    }

    /// Today's date in UTC, from the system clock.
    pub fn today() -> Date {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        Date::from_days_since_epoch(i64::try_from(seconds / 86_400).unwrap_or(0))
    }

    /// The date `days` days later (earlier when negative).
    pub fn add_days(self, days: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// Days from `self` to `later` (negative when `later` is before).
    pub fn days_until(self, later: Date) -> i64 {
        later.days_since_epoch() - self.days_since_epoch()
    }

    /// Howard Hinnant's `days_from_civil`.
    fn days_since_epoch(self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year.rem_euclid(400);
        let month = i64::from(self.month);
        let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5
            + i64::from(self.day)
            - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// Howard Hinnant's `civil_from_days`.
    fn from_days_since_epoch(days: i64) -> Date {
        let shifted = days + 719_468;
        let era = shifted.div_euclid(146_097);
        let day_of_era = shifted.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_index = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
        let month = if month_index < 10 {
            month_index + 3
        } else {
            month_index - 9
        } as u32;
        let year = (year_of_era + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Days before its expiry from which a waiver is listed as due, unless the policy says.
pub const DEFAULT_WARN_DAYS: u32 = 14;

/// The policy's `[waivers]` table: settings for all waivers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWaiverSettings {
    /// Days before expiry from which a waiver is listed as due.
    pub warn_days: Option<u32>,
}

impl RawWaiverSettings {
    pub fn warn_days(&self) -> u32 {
        self.warn_days.unwrap_or(DEFAULT_WARN_DAYS)
    }
}

/// A waiver as the policy file writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWaiver {
    pub rule: String,
    pub device: Option<String>,
    pub path: Option<String>,
    pub reason: String,
    pub expires: String,
}

/// A validated waiver.
#[derive(Debug, Clone)]
pub struct Waiver {
    pub rule: String,
    pub device: Option<GlobMatcher>,
    pub path: Option<GlobMatcher>,
    pub reason: String,
    pub expires: Date,
    /// Days from the scan's date to the expiry: 0 on the last day it holds, negative once it
    /// has expired.
    pub days_left: i64,
    /// How the policy file wrote it, for messages: `CONN-006 (device px4-*)`.
    pub label: String,
    /// The paths scanned, as reports show them: `path` matches an artifact's path relative
    /// to the one it lies under. Empty until [`Waiver::resolve_under`]: paths as they are.
    scan_roots: Vec<String>,
}

impl Waiver {
    /// Checks a raw waiver: known rule, non-empty reason, valid globs, a real date. Every
    /// fault is returned. An expired waiver is valid: see [`Waiver::is_expired`].
    pub fn validate(
        raw: &RawWaiver,
        rule_exists: bool,
        today: Date,
    ) -> Result<Waiver, Vec<String>> {
        let mut faults = Vec::new();
        if !rule_exists {
            faults.push(format!("no rule `{}`", raw.rule));
        }
        if raw.reason.trim().is_empty() {
            faults.push("a waiver needs a reason".to_owned());
        }
        let glob = |field: &str,
                    pattern: &Option<String>,
                    faults: &mut Vec<String>|
         -> Option<GlobMatcher> {
            let pattern = pattern.as_ref()?;
            match Glob::new(pattern) {
                Ok(glob) => Some(glob.compile_matcher()),
                Err(error) => {
                    faults.push(format!("{field} `{pattern}` is not a valid glob: {error}"));
                    None
                }
            }
        };
        let device = glob("device", &raw.device, &mut faults);
        let path = glob("path", &raw.path, &mut faults);
        let expires = match Date::parse(&raw.expires) {
            Some(date) => Some(date),
            None => {
                faults.push(format!(
                    "expires `{}` is not a date (YYYY-MM-DD)",
                    raw.expires
                ));
                None
            }
        };
        let mut label = raw.rule.clone();
        let scope: Vec<String> = [("device", &raw.device), ("path", &raw.path)]
            .iter()
            .filter_map(|(field, pattern)| {
                pattern.as_ref().map(|pattern| format!("{field} {pattern}"))
            })
            .collect();
        if !scope.is_empty() {
            label.push_str(&format!(" ({})", scope.join(", ")));
        }
        match expires {
            Some(expires) if faults.is_empty() => Ok(Waiver {
                rule: raw.rule.clone(),
                device,
                path,
                reason: raw.reason.trim().to_owned(),
                expires,
                days_left: today.days_until(expires),
                label,
                scan_roots: Vec::new(),
            }),
            _ => Err(faults),
        }
    }

    /// Whether its last day has passed: it then no longer applies.
    pub fn is_expired(&self) -> bool {
        self.days_left < 0
    }

    /// The days it has left when that is within `warn_days`; `None` when it has more, or
    /// has expired.
    pub fn due_in(&self, warn_days: u32) -> Option<i64> {
        (0..=i64::from(warn_days))
            .contains(&self.days_left)
            .then_some(self.days_left)
    }

    /// What every report says of the waiver when it has expired or is due within
    /// `warn_days`.
    pub fn notice(&self, warn_days: u32) -> Option<String> {
        if self.is_expired() {
            return Some(format!(
                "waiver {} expired on {}: it no longer applies and its findings count again; renew it with a new review, or fix them",
                self.label, self.expires
            ));
        }
        self.due_in(warn_days).map(|days| {
            let when = match days {
                0 => "today (its last day)".to_owned(),
                1 => "in 1 day".to_owned(),
                days => format!("in {days} days"),
            };
            format!(
                "waiver {} expires on {}, {when}: renew it with a new review, or fix its findings",
                self.label, self.expires
            )
        })
    }

    /// Sets the paths scanned (as reports show them), which `path` globs are relative to.
    pub fn resolve_under(&mut self, scan_roots: &[String]) {
        self.scan_roots = scan_roots.to_vec();
    }

    /// Whether the waiver covers a finding of `rule` on `device` in `artifact` (its path as
    /// the report shows it; the glob sees it relative to its scan root).
    pub fn covers(&self, rule: &str, device: &str, artifact: &str) -> bool {
        self.covers_rule_and_device(rule, device)
            && self
                .path
                .as_ref()
                .is_none_or(|glob| glob.is_match(scan_relative(artifact, &self.scan_roots)))
    }

    fn covers_rule_and_device(&self, rule: &str, device: &str) -> bool {
        self.rule == rule
            && self
                .device
                .as_ref()
                .is_none_or(|glob| glob.is_match(device))
    }

    /// The warning for a waiver that covered no finding. A `path` glob is matched against
    /// paths relative to the folder scanned, so the warning says so (and names the scanned
    /// folder the glob starts with, if it does): a policy written for paths as typed
    /// (`fleet/px4-quad/*`) matches nothing now. It depends on the waiver and the roots
    /// alone, so every shard of a scan writes the same text and `merge` keeps it.
    pub fn unmatched_warning(&self) -> String {
        let mut warning = format!(
            "waiver {} matched no finding: remove it or correct its rule, device or path",
            self.label
        );
        let Some(glob) = &self.path else {
            return warning;
        };
        let pattern = glob.glob().glob();
        warning.push_str(" (a path glob matches the path relative to the folder scanned");
        let root = self
            .scan_roots
            .iter()
            .filter(|root| root.as_str() != "." && !root.is_empty())
            .find(|root| std::path::Path::new(pattern).starts_with(root.as_str()));
        if let Some(root) = root {
            warning.push_str(&format!(
                ": `{}`, without the folder `{root}`",
                scan_relative(pattern, &self.scan_roots)
            ));
        }
        warning.push(')');
        warning
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(expires: &str) -> RawWaiver {
        RawWaiver {
            rule: "CONN-006".into(),
            device: Some("px4-*".into()),
            path: None,
            reason: "lab flights only".into(),
            expires: expires.into(),
        }
    }

    #[test]
    fn dates_parse_and_order() {
        assert_eq!(
            Date::parse("2027-02-28").map(|d| d.to_string()).as_deref(),
            Some("2027-02-28")
        );
        assert!(Date::parse("2027-02-29").is_none());
        assert!(Date::parse("2028-02-29").is_some());
        assert!(Date::parse("2027-13-01").is_none());
        assert!(Date::parse("27-1-1").is_none());
        assert!(Date::parse("2027-01-02") > Date::parse("2026-12-31"));
    }

    #[test]
    fn days_since_epoch_become_civil_dates() {
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(20_782).to_string(),
            "2026-11-25"
        );
        assert_eq!(
            Date::from_days_since_epoch(11_016).to_string(),
            "2000-02-29"
        );
        assert!(Date::today().year >= 2025);
    }

    #[test]
    fn waivers_cover_matching_findings_until_they_expire() {
        let today = Date::parse("2026-11-25").unwrap();
        let waiver = Waiver::validate(&raw("2027-03-31"), true, today).unwrap();
        assert!(waiver.covers("CONN-006", "px4-quad", "samples/px4-quad/profile.toml"));
        assert!(!waiver.covers("CONN-006", "m2e-hq", "samples/m2e-hq/profile.toml"));
        assert!(!waiver.covers("CONN-001", "px4-quad", "samples/px4-quad/profile.toml"));
        assert_eq!(waiver.label, "CONN-006 (device px4-*)");
        let expired = Waiver::validate(&raw("2026-11-24"), true, today).unwrap();
        assert!(expired.is_expired());
        assert!(expired
            .notice(14)
            .is_some_and(|notice| notice.contains("expired on 2026-11-24")));
        let last_day = Waiver::validate(&raw("2026-11-25"), true, today).unwrap();
        assert!(!last_day.is_expired(), "a waiver holds on its last day");
        assert_eq!(last_day.due_in(14), Some(0));
    }

    #[test]
    fn waivers_are_due_within_the_warning_days() {
        let today = Date::parse("2026-11-25").unwrap();
        let due = Waiver::validate(&raw("2026-12-09"), true, today).unwrap();
        assert_eq!(due.days_left, 14);
        assert_eq!(due.due_in(14), Some(14));
        assert_eq!(due.due_in(13), None);
        assert!(due
            .notice(14)
            .is_some_and(|notice| notice.contains("expires on 2026-12-09, in 14 days")));
        let later = Waiver::validate(&raw("2027-03-01"), true, today).unwrap();
        assert_eq!(later.notice(14), None);
        assert_eq!(
            Date::parse("2024-02-28")
                .unwrap()
                .days_until(Date::parse("2024-03-01").unwrap()),
            2
        );
        assert_eq!(
            Date::parse("2026-12-31")
                .unwrap()
                .days_until(Date::parse("2026-01-01").unwrap()),
            -364
        );
    }

    #[test]
    fn path_globs_match_the_path_relative_to_the_scan_root() {
        let today = Date::parse("2026-11-25").unwrap();
        let raw = RawWaiver {
            rule: "SSH-001".into(),
            device: None,
            path: Some("px4-quad/companion/sshd_config".into()),
            reason: "bench unit".into(),
            expires: "2027-03-31".into(),
        };
        let waiver = |roots: &[&str]| {
            let mut waiver = Waiver::validate(&raw, true, today).unwrap();
            let roots: Vec<String> = roots.iter().map(|root| (*root).to_owned()).collect();
            waiver.resolve_under(&roots);
            waiver
        };
        for (roots, artifact) in [
            (&["fleet"][..], "fleet/px4-quad/companion/sshd_config"),
            (&["fleet/"][..], "fleet/px4-quad/companion/sshd_config"),
            (&["."][..], "px4-quad/companion/sshd_config"),
            (
                &["/srv/ci/fleet"][..],
                "/srv/ci/fleet/px4-quad/companion/sshd_config",
            ),
        ] {
            assert!(
                waiver(roots).covers("SSH-001", "px4-quad", artifact),
                "{roots:?} {artifact}"
            );
        }
        // Under another root it is another artifact: relative paths do not match everywhere.
        assert!(!waiver(&["fleet"]).covers(
            "SSH-001",
            "px4-quad",
            "fleet/other/px4-quad/companion/sshd_config"
        ));
        // A glob written for the path as typed no longer matches, and the warning says why.
        let typed = RawWaiver {
            path: Some("fleet/px4-quad/*".into()),
            ..raw.clone()
        };
        let mut typed = Waiver::validate(&typed, true, today).unwrap();
        typed.resolve_under(&["fleet".to_owned()]);
        assert!(!typed.covers(
            "SSH-001",
            "px4-quad",
            "fleet/px4-quad/companion/sshd_config"
        ));
        let warning = typed.unmatched_warning();
        assert!(
            warning.contains(
                "relative to the folder scanned: `px4-quad/*`, without the folder `fleet`"
            ),
            "{warning}"
        );
        let mut other = waiver(&["."]);
        other.resolve_under(&[".".to_owned()]);
        assert!(other.unmatched_warning().ends_with(
            "remove it or correct its rule, device or path (a path glob matches the path relative to the folder scanned)"
        ));
    }

    #[test]
    fn malformed_waivers_list_every_fault() {
        let today = Date::parse("2026-11-25").unwrap();
        let bad = RawWaiver {
            rule: "NOPE-001".into(),
            device: Some("[".into()),
            path: None,
            reason: " ".into(),
            expires: "soon".into(),
        };
        let faults = Waiver::validate(&bad, false, today).unwrap_err();
        assert_eq!(faults.len(), 4, "{faults:?}");
    }
}
