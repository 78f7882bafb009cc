//! The note every report carries when it shows supply-chain findings: they rest on the bill
//! of materials the profiles state and on the catalogue's dated entries, and they are not legal
//! advice ([`crate::supply_chain::DISCLAIMER`]). Each renderer calls one function of this file.

use crate::control::Control;
use crate::report::Report;
use crate::supply_chain::DISCLAIMER;
use maud::{html, Markup};

/// The note, when the report shows a supply-chain finding.
pub fn text(report: &Report) -> Option<&'static str> {
    report
        .findings
        .iter()
        .any(|finding| finding.control == Control::SupplyChain)
        .then_some(DISCLAIMER)
}

/// The note as a Markdown paragraph.
pub fn markdown(report: &Report) -> Option<String> {
    text(report).map(|note| format!("\n> **Supply chain:** {}\n\n", crate::escape::text(note)))
}

/// The note as an HTML section (empty when there is nothing to say).
pub fn html(report: &Report) -> Markup {
    html! {
        @if let Some(note) = text(report) {
            section #supply-chain-note {
                h2 { "Supply chain" }
                p { (note) }
            }
        }
    }
}
