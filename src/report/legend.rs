//! What a grade and a device × control cell say, written once for every format (table,
//! Markdown, HTML, JUnit), so that one cell has one meaning everywhere: a control's status in
//! words, then its failed/assessed rules (`FAIL 3/7`, `pass 0/6`, `n/a`); a grade with its
//! coverage beside it, marked provisional when that coverage is below the policy's threshold
//! (`[scoring] provisional_below`, docs/scoring.md).

use crate::report::PolicyUsed;
use crate::score::{ControlResult, ControlStatus, Grade};

/// The legend of the control cells, the same words in every format.
pub const CONTROL_CELLS: &str =
    "per control: pass, FAIL or n/a (not assessed), then failed/assessed rules";

/// The mark a provisional grade carries where a cell has no room for the word.
pub const PROVISIONAL_MARK: &str = "*";

/// A control's status in words, as every cell writes it.
pub fn status_word(status: ControlStatus) -> &'static str {
    match status {
        ControlStatus::Pass => "pass",
        ControlStatus::Fail => "FAIL",
        ControlStatus::NotAssessed => "n/a",
    }
}

/// A device × control cell: `FAIL 3/7`, `pass 0/6`; `n/a` when nothing was assessed. A
/// control can be not assessed with rules assessed (an artifact of its kind was damaged):
/// the counts are then given too (`n/a 0/4`), as they are the same facts.
pub fn control_cell(result: Option<&ControlResult>) -> String {
    let Some(result) = result else {
        return status_word(ControlStatus::NotAssessed).to_owned();
    };
    let (assessed, failed) = result.assessed_and_failed();
    if assessed == 0 {
        return status_word(result.status).to_owned();
    }
    format!("{} {failed}/{assessed}", status_word(result.status))
}

/// A grade as a cell writes it: `C`, or `A*` when provisional (the legend says what the mark
/// means: [`provisional_legend`]).
pub fn grade_cell(policy: &PolicyUsed, grade: Grade, coverage: f64) -> String {
    if policy.is_provisional(grade, coverage) {
        format!("{}{PROVISIONAL_MARK}", grade.label())
    } else {
        grade.label().to_owned()
    }
}

/// A grade in a sentence, with its coverage: `C (coverage 66.4%)`, `A (coverage 28%,
/// provisional)`.
pub fn grade_sentence(policy: &PolicyUsed, grade: Grade, coverage: f64) -> String {
    if policy.is_provisional(grade, coverage) {
        format!("{} (coverage {coverage}%, provisional)", grade.label())
    } else {
        format!("{} (coverage {coverage}%)", grade.label())
    }
}

/// What the provisional mark means, under this policy.
pub fn provisional_legend(policy: &PolicyUsed) -> String {
    format!(
        "{PROVISIONAL_MARK} provisional: coverage below {}% of the rules in force, too little evidence to rank by",
        policy.provisional_below
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::{Control, Severity};
    use crate::score::{RuleResult, RuleStatus};

    fn control(statuses: &[RuleStatus]) -> ControlResult {
        let rules: Vec<RuleResult> = statuses
            .iter()
            .enumerate()
            .map(|(index, status)| RuleResult {
                rule: format!("R-{index}").into(),
                severity: Severity::Medium,
                status: *status,
                findings: 0,
                reason: None,
            })
            .collect();
        ControlResult {
            control: Control::Updates,
            status: crate::score::control_status(&rules),
            score: None,
            coverage: 0.0,
            rules,
        }
    }

    #[test]
    fn a_cell_counts_failed_over_assessed_whatever_the_status() {
        let passing = control(&[RuleStatus::Passed, RuleStatus::Passed]);
        assert_eq!(control_cell(Some(&passing)), "pass 0/2");
        let failing = control(&[
            RuleStatus::Failed,
            RuleStatus::Passed,
            RuleStatus::NotAssessed,
        ]);
        assert_eq!(control_cell(Some(&failing)), "FAIL 1/2");
        let unassessed = control(&[RuleStatus::NotAssessed]);
        assert_eq!(control_cell(Some(&unassessed)), "n/a");
        assert_eq!(control_cell(None), "n/a");
    }

    #[test]
    fn a_grade_below_the_threshold_is_marked() {
        let policy = PolicyUsed::default();
        assert_eq!(grade_cell(&policy, Grade::A, 28.0), "A*");
        assert_eq!(grade_cell(&policy, Grade::C, 66.4), "C");
        assert_eq!(
            grade_sentence(&policy, Grade::A, 28.0),
            "A (coverage 28%, provisional)"
        );
    }
}
