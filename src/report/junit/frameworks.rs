//! JUnit suites for `scan --framework ID`: one `<testsuite>` per framework and a `<testcase>`
//! per requirement, judged for the fleet: a failed requirement is a `<failure>` naming the
//! rules and the devices, a requirement not assessed or manual is `<skipped>` with why (a
//! manual one never passes, so it is never a passed test).

use super::{Case, Suite, Verdict};
use crate::frameworks::RequirementStatus;
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
                            let failing: Vec<String> = requirement
                                .devices
                                .iter()
                                .filter(|device| device.status == RequirementStatus::Fail)
                                .map(|device| {
                                    format!(
                                        "{}: {}",
                                        device.device,
                                        device.reason.as_deref().unwrap_or("failed")
                                    )
                                })
                                .collect();
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
