//! JUnit suites for `scan --framework ID`: one `<testsuite>` per framework and a `<testcase>`
//! per requirement, judged for the fleet: a failed requirement is a `<failure>` naming the
//! rules and the devices, a requirement not assessed or manual is `<skipped>` with why (a
//! manual one never passes, so it is never a passed test). A failure's body names the first
//! [`DETAILED_DEVICES`] failing devices and counts the rest: 10,000 devices listed under each
//! failed requirement would be megabytes.

use super::{Case, Suite, Verdict};
use crate::frameworks::RequirementStatus;
use crate::report::html_board::DETAILED_DEVICES;
use crate::report::Report;

/// The suites of the frameworks in the report (none without `--framework`).
pub(super) fn suites(report: &Report) -> Vec<Suite> {
    report
        .frameworks
        .iter()
        .map(|framework| Suite {
            name: format!("framework: {}", framework.id),
            properties: vec![
                ("framework", framework.title.clone()),
                ("version", framework.version.clone()),
                ("source", framework.url.clone()),
            ],
            cases: framework
                .requirements
                .iter()
                .map(|requirement| {
                    let reason = requirement.reason.clone().unwrap_or_default();
                    let verdict = match requirement.status {
                        RequirementStatus::Pass => Verdict::Passed,
                        RequirementStatus::Fail => {
                            let failing_devices: Vec<_> = requirement
                                .devices
                                .iter()
                                .filter(|device| device.status == RequirementStatus::Fail)
                                .collect();
                            let mut failing: Vec<String> = failing_devices
                                .iter()
                                .take(DETAILED_DEVICES)
                                .map(|device| {
                                    format!(
                                        "{}: {}",
                                        device.device,
                                        device.reason.as_deref().unwrap_or("failed")
                                    )
                                })
                                .collect();
                            let more = failing_devices.len().saturating_sub(DETAILED_DEVICES);
                            if more > 0 {
                                failing.push(format!(
                                    "… and {more} more devices, not listed here: the JSON report lists each"
                                ));
                            }
                            Verdict::Failed {
                                message: reason,
                                severity: "framework-requirement",
                                details: failing.join("\n"),
                            }
                        }
                        RequirementStatus::NotAssessed => Verdict::Skipped {
                            message: format!("not assessed: {reason}"),
                        },
                        RequirementStatus::Manual => Verdict::Skipped {
                            message: format!("manual: {reason}"),
                        },
                    };
                    Case {
                        classname: format!("framework.{}", framework.id),
                        name: format!("{} {}", requirement.id, requirement.title),
                        verdict,
                    }
                })
                .collect(),
        })
        .collect()
}
