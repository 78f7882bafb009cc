//! The supply-chain control's policy step: who made each part of a drone, where it was made,
//! where its data goes, and what the laws the organisation applies say about it.
//!
//! The profile states a bill of materials (`components`); the catalogue
//! ([`catalogue::Catalogue`], rules/catalogue/supply-chain.toml) says which countries and
//! entities each law covers, with sources and dates. This module writes, onto each component,
//! the status under each law the policy applies (`clear`, `covered`, `unknown`, with why and
//! the catalogue entry's source and dates), whether its origin is known, and whether its data
//! may be stored where it is; onto captures' vendor flows and firmware endpoints, whether the
//! country of the service's operator is allowed. Rules (rules/supply-chain/) select on these
//! facts. Nothing is looked up on the network, and nothing unstated is guessed: a fact the
//! profile leaves `unknown` makes the law `unknown`, never `clear`.
//!
//! The policy's `[supply_chain]` table ([`SupplyChainPolicy`]) names the laws that bind the
//! organisation; a law left out has its rule disabled, so a non-US user can switch US law off.

pub mod catalogue;

use crate::waiver::Date;
use catalogue::{Catalogue, Covered, Law};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

/// What every report that shows supply-chain findings says about them.
pub const DISCLAIMER: &str = "Supply-chain findings rest on the bill of materials the profiles state and on the catalogue's dated, sourced entries (rules/catalogue/supply-chain.toml); an entry marked unverified could not be checked against its primary source. They are not legal advice.";

/// The `[supply_chain]` table of a policy file, as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSupplyChainPolicy {
    /// Law ids from the catalogue that bind the organisation (default: every law).
    apply: Option<Vec<String>>,
    /// `finding` (default: a part of unknown origin is a low finding) or `not-assessed`.
    unknown_origin: Option<String>,
    /// Countries data may be stored in or sent to (default: any but those the applied laws
    /// cover).
    data_allowed_in: Option<Vec<String>>,
    /// How old a Blue UAS claim may be before it must be checked again (default 365 days).
    blue_uas_max_age_days: Option<u32>,
}

/// What the policy says about the supply chain, validated, with the catalogue in force.
#[derive(Debug, Clone)]
pub struct SupplyChainPolicy {
    /// The laws applied, by id.
    pub apply: Vec<String>,
    /// Whether the policy named them (else every law of the catalogue in force applies).
    pub apply_stated: bool,
    /// Whether a part of unknown origin is a finding (else its rule is not assessed).
    pub unknown_origin_is_finding: bool,
    pub data_allowed_in: Option<Vec<String>>,
    pub blue_uas_max_age_days: u32,
    pub catalogue: Arc<Catalogue>,
    /// The day dates are judged on (support periods, Blue UAS claims).
    pub today: Date,
}

/// The age after which a Blue UAS claim is stale, by default.
const BLUE_UAS_MAX_AGE_DAYS: u32 = 365;

impl Default for SupplyChainPolicy {
    fn default() -> Self {
        let catalogue = Catalogue::builtin().clone();
        SupplyChainPolicy {
            apply: catalogue.laws.iter().map(|law| law.id.clone()).collect(),
            apply_stated: false,
            unknown_origin_is_finding: true,
            data_allowed_in: None,
            blue_uas_max_age_days: BLUE_UAS_MAX_AGE_DAYS,
            catalogue: Arc::new(catalogue),
            today: Date::today(),
        }
    }
}

impl SupplyChainPolicy {
    /// Validates the policy's table against the built-in catalogue, pushing each problem.
    pub fn from_raw(raw: RawSupplyChainPolicy, today: Date, errors: &mut Vec<String>) -> Self {
        let mut policy = SupplyChainPolicy {
            today,
            ..SupplyChainPolicy::default()
        };
        if let Some(apply) = raw.apply {
            policy.apply = apply;
            policy.apply_stated = true;
        }
        policy.check_laws(errors);
        match raw.unknown_origin.as_deref() {
            None | Some("finding") => {}
            Some("not-assessed") => policy.unknown_origin_is_finding = false,
            Some(other) => errors.push(format!(
                "supply_chain.unknown_origin: `{other}` must be `finding` or `not-assessed`"
            )),
        }
        if let Some(countries) = &raw.data_allowed_in {
            for country in countries {
                if !catalogue::is_country_code(country) {
                    errors.push(format!("supply_chain.data_allowed_in: `{country}` is not an ISO 3166-1 alpha-2 code (e.g. `US`)"));
                }
            }
        }
        policy.data_allowed_in = raw.data_allowed_in;
        if let Some(days) = raw.blue_uas_max_age_days {
            policy.blue_uas_max_age_days = days;
        }
        policy
    }

    fn check_laws(&self, errors: &mut Vec<String>) {
        for id in &self.apply {
            if self.catalogue.law(id).is_none() {
                let known: Vec<&str> = self
                    .catalogue
                    .laws
                    .iter()
                    .map(|law| law.id.as_str())
                    .collect();
                errors.push(format!(
                    "supply_chain.apply: no law `{id}` in the catalogue ({}; expected one of {})",
                    self.catalogue.origin,
                    known.join(", ")
                ));
            }
        }
    }

    /// The rules of the catalogue's laws that the policy does not apply: disabled, so they
    /// are neither passed nor failed, and reports say so.
    pub fn rules_not_applied(&self) -> Vec<String> {
        self.catalogue
            .laws
            .iter()
            .filter(|law| !self.apply.contains(&law.id))
            .map(|law| law.rule.clone())
            .collect()
    }

    /// Puts an overlay catalogue (`--rules DIR`) in force, checking the applied laws against it.
    pub fn with_catalogue(&mut self, catalogue: Catalogue) -> Result<(), Vec<String>> {
        if !self.apply_stated {
            self.apply = catalogue.laws.iter().map(|law| law.id.clone()).collect();
        }
        self.catalogue = Arc::new(catalogue);
        let mut errors = Vec::new();
        self.check_laws(&mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Writes what the supply-chain policy says about an evidence document onto it: the bill
    /// of materials of a profile, the vendor endpoints of a capture or a firmware image.
    pub fn enrich(&self, kind: crate::analyze::ArtifactKind, document: &mut Value) {
        use crate::analyze::ArtifactKind;
        match kind {
            ArtifactKind::Profile => self.enrich_profile(document),
            ArtifactKind::Capture | ArtifactKind::Firmware => self.enrich_endpoints(document),
            _ => {}
        }
    }

    fn applied_laws(&self) -> impl Iterator<Item = &Law> {
        self.catalogue
            .laws
            .iter()
            .filter(|law| self.apply.contains(&law.id))
    }

    /// Writes the supply-chain facts onto a profile's evidence.
    pub fn enrich_profile(&self, document: &mut Value) {
        let blue_uas = blue_uas_claim(document);
        let mut summary: Vec<(String, Status)> = self
            .applied_laws()
            .map(|law| (law.key(), Status::Unknown))
            .collect();
        let mut any_component = false;
        if let Some(components) = document.get_mut("components").and_then(Value::as_array_mut) {
            for (index, component) in components.iter_mut().enumerate() {
                any_component = true;
                let facts = self.component_facts(component, blue_uas.as_deref());
                for (key, status) in &mut summary {
                    let this = facts
                        .get(key.as_str())
                        .and_then(|law| law.get("status"))
                        .and_then(Value::as_str)
                        .map_or(Status::Unknown, Status::parse);
                    *status = if index == 0 { this } else { status.and(this) };
                }
                merge_policy(component, facts);
            }
        }
        if let Some(support) = document.get_mut("vendor_support") {
            self.enrich_vendor_support(support);
        }
        if let Some(claim) = document.get_mut("blue_uas") {
            self.enrich_blue_uas(claim);
        }
        let mut laws = Map::new();
        for (key, status) in summary {
            let status = if any_component {
                status
            } else {
                Status::Unknown
            };
            laws.insert(key, json!(status));
        }
        laws.insert(
            "catalogue".to_owned(),
            json!({"origin": self.catalogue.origin, "sha256": self.catalogue.digest}),
        );
        merge_policy(document, json!({"supply_chain": laws}));
    }

    /// The facts about one component: its manufacturer as the catalogue knows it, its status
    /// under each applied law, whether its origin is known and its data allowed where it is.
    fn component_facts(&self, component: &Value, blue_uas: Option<&str>) -> Value {
        let part = Part::read(component, &self.catalogue);
        let mut facts = Map::new();
        if let Some(manufacturer) = part.catalogued {
            facts.insert(
                "manufacturer".to_owned(),
                json!({
                    "id": manufacturer.id,
                    "country": manufacturer.country,
                    "source": manufacturer.source,
                    "checked": manufacturer.checked,
                    "verified": manufacturer.verified,
                }),
            );
        }
        for law in self.applied_laws() {
            facts.insert(law.key(), self.judge(law, &part, blue_uas));
        }
        if self.unknown_origin_is_finding {
            let known = part.made_in.is_some() || !part.domiciles.is_empty();
            facts.insert(
                "origin".to_owned(),
                json!(if known { "known" } else { "unknown" }),
            );
        }
        if let Some(country) = part.data_in.as_deref() {
            facts.insert("data_allowed".to_owned(), json!(self.data_allowed(country)));
            facts.insert("data_rule".to_owned(), json!(self.data_rule()));
        }
        Value::Object(facts)
    }

    /// A component's status under one law: covered by the first entry that covers it, else
    /// unknown when some entry cannot be decided from the facts stated, else clear.
    fn judge(&self, law: &Law, part: &Part<'_>, blue_uas: Option<&str>) -> Value {
        let entries = self
            .catalogue
            .covered
            .iter()
            .filter(|entry| entry.law == law.id);
        let mut unknown: Vec<String> = Vec::new();
        let mut clear: Vec<String> = Vec::new();
        for entry in entries {
            match part.against(entry, blue_uas) {
                (Status::Covered, because) => {
                    return json!({
                        "status": Status::Covered,
                        "because": because,
                        "listed_as": entry.listed_as,
                        "source": entry.source,
                        "effective": entry.effective,
                        "checked": entry.checked,
                        "verified": entry.verified,
                    })
                }
                (Status::Unknown, because) => unknown.push(because),
                (Status::Clear, because) => clear.push(because),
            }
        }
        let (status, because) = if unknown.is_empty() {
            (Status::Clear, clear.join("; "))
        } else {
            (Status::Unknown, unknown.join("; "))
        };
        json!({
            "status": status,
            "because": because,
            "source": law.source,
            "effective": law.effective,
            "checked": law.checked,
            "verified": law.verified,
        })
    }

    /// Whether data may be stored in or sent to `country`.
    fn data_allowed(&self, country: &str) -> bool {
        match &self.data_allowed_in {
            Some(allowed) => allowed.iter().any(|allowed| allowed == country),
            None => !self.covered_countries().contains(country),
        }
    }

    fn data_rule(&self) -> String {
        match &self.data_allowed_in {
            Some(allowed) => format!("the policy allows data only in {}", allowed.join(", ")),
            None => {
                let covered: Vec<&str> = self.covered_countries().into_iter().collect();
                format!(
                    "the applied laws cover {}",
                    if covered.is_empty() {
                        "no country".to_owned()
                    } else {
                        covered.join(", ")
                    }
                )
            }
        }
    }

    /// The countries the applied laws cover.
    fn covered_countries(&self) -> BTreeSet<&str> {
        self.catalogue
            .covered
            .iter()
            .filter(|entry| self.apply.contains(&entry.law))
            .filter_map(|entry| entry.country.as_deref())
            .collect()
    }

    /// Vendor flows of a capture (`flows[].vendor.operator_country`) and built-in endpoints of
    /// a firmware image (`endpoints[].operator_country`): whether the operator's country is
    /// allowed to receive the data.
    pub fn enrich_endpoints(&self, document: &mut Value) {
        if let Some(flows) = document.get_mut("flows").and_then(Value::as_array_mut) {
            for flow in flows {
                let country = flow
                    .pointer("/vendor/operator_country")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if let Some(country) = country {
                    self.mark_destination(flow, &country);
                }
            }
        }
        if let Some(endpoints) = document.get_mut("endpoints").and_then(Value::as_array_mut) {
            for endpoint in endpoints {
                let country = endpoint
                    .get("operator_country")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if let Some(country) = country {
                    self.mark_destination(endpoint, &country);
                }
            }
        }
    }

    fn mark_destination(&self, node: &mut Value, country: &str) {
        merge_policy(
            node,
            json!({
                "data_country_allowed": self.data_allowed(country),
                "data_rule": self.data_rule(),
            }),
        );
    }

    /// `vendor_support.policy.updates_ended`: the published end of security updates is past.
    fn enrich_vendor_support(&self, support: &mut Value) {
        let until = support
            .get("security_updates_until")
            .and_then(Value::as_str)
            .and_then(Date::parse);
        if let Some(until) = until {
            merge_policy(
                support,
                json!({"updates_ended": until < self.today, "today": self.today.to_string()}),
            );
        }
    }

    /// `blue_uas.policy`: the claim's age in days and whether it is older than the policy
    /// allows.
    fn enrich_blue_uas(&self, claim: &mut Value) {
        let claimed = claim
            .get("claimed_on")
            .and_then(Value::as_str)
            .and_then(Date::parse);
        if let Some(claimed) = claimed {
            let age = days_between(claimed, self.today);
            merge_policy(
                claim,
                json!({
                    "age_days": age,
                    "max_age_days": self.blue_uas_max_age_days,
                    "stale": age > i64::from(self.blue_uas_max_age_days),
                }),
            );
        }
    }
}

/// Puts the catalogue of a `--rules DIR` (`DIR/catalogue/supply-chain.toml`) in force for a
/// scan, in place of the built-in one, and disables the rules of the laws the policy does not
/// apply from it. Without an overlay nothing changes.
pub fn use_rules_dir_catalogue(
    policy: &mut crate::policy::Policy,
    rules_dir: Option<&std::path::Path>,
) -> Result<(), crate::policy::PolicyErrors> {
    let failed = |file: String, errors: Vec<String>| crate::policy::PolicyErrors { file, errors };
    let origin = rules_dir
        .map(|dir| dir.join(catalogue::OVERLAY_PATH).display().to_string())
        .unwrap_or_default();
    let Some(overlay) =
        Catalogue::for_rules_dir(rules_dir).map_err(|errors| failed(origin.clone(), errors))?
    else {
        return Ok(());
    };
    policy
        .supply_chain
        .with_catalogue(overlay)
        .map_err(|errors| failed(origin, errors))?;
    let not_applied = policy.supply_chain.rules_not_applied();
    policy.disabled_rules.extend(not_applied);
    policy.disabled_rules.sort();
    policy.disabled_rules.dedup();
    Ok(())
}

/// A law's verdict on a component, or on a drone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Clear,
    Covered,
    Unknown,
}

impl Status {
    fn parse(text: &str) -> Status {
        match text {
            "clear" => Status::Clear,
            "covered" => Status::Covered,
            _ => Status::Unknown,
        }
    }

    /// Two parts together: covered if either is, else unknown if either is, else clear.
    fn and(self, other: Status) -> Status {
        match (self, other) {
            (Status::Covered, _) | (_, Status::Covered) => Status::Covered,
            (Status::Unknown, _) | (_, Status::Unknown) => Status::Unknown,
            _ => Status::Clear,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Status::Clear => "clear",
            Status::Covered => "covered",
            Status::Unknown => "unknown",
        }
    }
}

/// What the profile and the catalogue say about one component.
struct Part<'a> {
    /// The manufacturer as the catalogue knows it (by name, alias or grantee code).
    catalogued: Option<&'a catalogue::Manufacturer>,
    /// The manufacturer's name, unless `unknown`.
    manufacturer: Option<String>,
    /// Where the manufacturer is domiciled: as stated and as catalogued (both count).
    domiciles: BTreeSet<String>,
    made_in: Option<String>,
    data_in: Option<String>,
}

impl<'a> Part<'a> {
    fn read(component: &Value, catalogue: &'a Catalogue) -> Part<'a> {
        let known = |key: &str| {
            component
                .get(key)
                .and_then(Value::as_str)
                .filter(|value| *value != crate::analyze::profile::evidence::UNKNOWN)
                .map(str::to_owned)
        };
        let manufacturer = known("manufacturer");
        let grantee = known("grantee_code").or_else(|| {
            known("fcc_id").map(|id| id.split('-').next().unwrap_or_default().to_owned())
        });
        let catalogued = catalogue.find_manufacturer(
            manufacturer.as_deref().unwrap_or_default(),
            grantee.as_deref(),
        );
        let mut domiciles: BTreeSet<String> = known("manufacturer_country").into_iter().collect();
        domiciles.extend(catalogued.map(|found| found.country.clone()));
        Part {
            catalogued,
            manufacturer: manufacturer.or_else(|| catalogued.map(|found| found.id.clone())),
            domiciles,
            made_in: known("made_in"),
            data_in: known("data_stored_in"),
        }
    }

    /// The part against one catalogue entry, with why.
    fn against(&self, entry: &Covered, blue_uas: Option<&str>) -> (Status, String) {
        if let Some(country) = &entry.country {
            return self.against_country(country, entry.domicile_only());
        }
        if let Some(entity) = &entry.entity {
            return match (self.catalogued, &self.manufacturer) {
                (Some(found), _) if &found.id == entity => {
                    (Status::Covered, format!("made by {}", found.id))
                }
                (_, Some(name)) => (Status::Clear, format!("made by {name}, not {entity}")),
                (_, None) => (Status::Unknown, "the manufacturer is unknown".to_owned()),
            };
        }
        let home = entry.produced_outside.clone().unwrap_or_default();
        if let Some(claimed) = blue_uas {
            return (
                Status::Clear,
                format!("exempt as Blue UAS, as the profile states (claimed on {claimed})"),
            );
        }
        match &self.made_in {
            Some(country) if home.contains(country) => {
                (Status::Clear, format!("produced in {country}"))
            }
            Some(country) => (
                Status::Covered,
                format!("produced in {country}, outside {}", home.join(", ")),
            ),
            None => (
                Status::Unknown,
                "where it was produced is unknown".to_owned(),
            ),
        }
    }

    fn against_country(&self, country: &str, domicile_only: bool) -> (Status, String) {
        if self.domiciles.contains(country) {
            let who = self.manufacturer.as_deref().unwrap_or("its manufacturer");
            return (Status::Covered, format!("{who} is domiciled in {country}"));
        }
        if !domicile_only {
            if self.made_in.as_deref() == Some(country) {
                return (Status::Covered, format!("made in {country}"));
            }
            if self.data_in.as_deref() == Some(country) {
                return (Status::Covered, format!("its data is stored in {country}"));
            }
        }
        let mut missing = Vec::new();
        if self.domiciles.is_empty() {
            missing.push("where its manufacturer is domiciled");
        }
        if !domicile_only && self.made_in.is_none() {
            missing.push("where it was made");
        }
        if missing.is_empty() {
            let domiciles: Vec<&str> = self.domiciles.iter().map(String::as_str).collect();
            let mut said = format!("manufacturer domiciled in {}", domiciles.join(" and "));
            if let Some(made_in) = self.made_in.as_deref().filter(|_| !domicile_only) {
                said.push_str(&format!(", made in {made_in}"));
            }
            (Status::Clear, said)
        } else {
            (
                Status::Unknown,
                format!("{} is unknown", missing.join(" and ")),
            )
        }
    }
}

/// The date of a stated Blue UAS clearance (`blue_uas.cleared = true`).
fn blue_uas_claim(document: &Value) -> Option<String> {
    let claim = document.get("blue_uas")?;
    (claim.get("cleared") == Some(&Value::Bool(true)))
        .then(|| {
            claim
                .get("claimed_on")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .flatten()
}

/// Adds `facts` to a node's `policy` object, keeping what the policy wrote there before.
fn merge_policy(node: &mut Value, facts: Value) {
    let (Some(object), Value::Object(facts)) = (node.as_object_mut(), facts) else {
        return;
    };
    if facts.is_empty() {
        return;
    }
    let policy = object
        .entry("policy")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(policy) = policy.as_object_mut() {
        policy.extend(facts);
    }
}

/// Days from `from` to `to` (negative when `to` is earlier).
fn days_between(from: Date, to: Date) -> i64 {
    days_from_civil(to) - days_from_civil(from)
}

/// Howard Hinnant's `days_from_civil`: days since 1970-01-01.
fn days_from_civil(date: Date) -> i64 {
    let year = i64::from(date.year) - i64::from(date.month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(date.month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(date.day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    fn policy() -> SupplyChainPolicy {
        SupplyChainPolicy {
            today: date("2026-12-03"),
            ..SupplyChainPolicy::default()
        }
    }

    fn component(manufacturer: &str, country: &str, made_in: &str) -> Value {
        json!({"role": "aircraft", "name": "A", "manufacturer": manufacturer,
               "manufacturer_country": country, "made_in": made_in})
    }

    fn status(document: &Value, index: usize, law: &str) -> String {
        document["components"][index]["policy"][law]["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn days_between_counts_calendar_days() {
        assert_eq!(days_from_civil(date("1970-01-01")), 0);
        assert_eq!(days_between(date("2024-02-28"), date("2024-03-01")), 2);
        assert_eq!(days_between(date("2025-12-03"), date("2026-12-03")), 365);
    }

    #[test]
    fn a_dji_part_is_covered_by_each_law_that_names_it() {
        let mut document =
            json!({"components": [component("SZ DJI Technology Co., Ltd.", "unknown", "unknown")]});
        policy().enrich_profile(&mut document);
        for law in ["ndaa_848", "asda", "fcc_covered"] {
            assert_eq!(status(&document, 0, law), "covered", "{law}: {document:#}");
        }
        assert_eq!(document["policy"]["supply_chain"]["ndaa_848"], "covered");
        assert_eq!(
            document["components"][0]["policy"]["manufacturer"]["id"],
            "DJI"
        );
        let because = &document["components"][0]["policy"]["ndaa_848"]["because"];
        assert_eq!(because, "SZ DJI Technology Co., Ltd. is domiciled in CN");
    }

    #[test]
    fn unknown_facts_make_a_law_unknown_never_clear() {
        let mut document = json!({"components": [
            component("Parrot Drones SAS", "FR", "unknown"),
            component("unknown", "unknown", "unknown"),
        ]});
        policy().enrich_profile(&mut document);
        assert_eq!(status(&document, 0, "ndaa_848"), "unknown", "{document:#}");
        assert_eq!(status(&document, 0, "asda"), "clear");
        assert_eq!(status(&document, 0, "fcc_covered"), "unknown");
        assert_eq!(status(&document, 1, "asda"), "unknown");
        assert_eq!(document["components"][0]["policy"]["origin"], "known");
        assert_eq!(document["components"][1]["policy"]["origin"], "unknown");
        assert_eq!(document["policy"]["supply_chain"]["asda"], "unknown");
    }

    #[test]
    fn a_part_made_and_owned_outside_covered_countries_is_clear() {
        let mut document = json!({"components": [component("Skydio", "US", "US")]});
        policy().enrich_profile(&mut document);
        for law in ["ndaa_848", "asda", "fcc_covered"] {
            assert_eq!(status(&document, 0, law), "clear", "{law}: {document:#}");
        }
        assert_eq!(document["policy"]["supply_chain"]["fcc_covered"], "clear");
        // A stated domicile that contradicts the catalogue does not clear a covered maker.
        let mut document = json!({"components": [component("DJI", "US", "US")]});
        policy().enrich_profile(&mut document);
        assert_eq!(status(&document, 0, "ndaa_848"), "covered");
    }

    #[test]
    fn no_components_leaves_every_law_unknown() {
        let mut document = json!({"identity": {}, "components": []});
        policy().enrich_profile(&mut document);
        assert_eq!(document["policy"]["supply_chain"]["ndaa_848"], "unknown");
    }

    #[test]
    fn laws_not_applied_are_not_judged_and_their_rules_are_disabled() {
        let raw: RawSupplyChainPolicy = toml::from_str("apply = [\"ndaa-848\"]").unwrap();
        let mut errors = Vec::new();
        let policy = SupplyChainPolicy::from_raw(raw, date("2026-12-03"), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(policy.rules_not_applied(), ["SC-002", "SC-003"]);
        let mut document = json!({"components": [component("DJI", "CN", "CN")]});
        policy.enrich_profile(&mut document);
        assert!(document["components"][0]["policy"].get("asda").is_none());
        let raw: RawSupplyChainPolicy = toml::from_str(
            "apply = [\"gdpr\"]\nunknown_origin = \"maybe\"\ndata_allowed_in = [\"France\"]",
        )
        .unwrap();
        SupplyChainPolicy::from_raw(raw, date("2026-12-03"), &mut errors);
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("no law `gdpr`"));
    }

    #[test]
    fn data_location_is_judged_by_the_policy() {
        let mut document = json!({"components": [
            {"role": "cloud-service", "name": "c", "manufacturer": "X", "manufacturer_country": "US",
             "made_in": "unknown", "data_stored_in": "CN"},
            {"role": "cloud-service", "name": "d", "manufacturer": "Y", "manufacturer_country": "US",
             "made_in": "unknown", "data_stored_in": "DE"},
        ]});
        policy().enrich_profile(&mut document);
        assert_eq!(document["components"][0]["policy"]["data_allowed"], false);
        assert_eq!(document["components"][1]["policy"]["data_allowed"], true);
        let strict = SupplyChainPolicy {
            data_allowed_in: Some(vec!["US".to_owned()]),
            ..policy()
        };
        let mut flows = json!({"flows": [{"vendor": {"operator_country": "FR"}, "policy": {"allowed": false}}],
                               "endpoints": [{"operator_country": "US"}]});
        strict.enrich_endpoints(&mut flows);
        assert_eq!(flows["flows"][0]["policy"]["data_country_allowed"], false);
        assert_eq!(
            flows["flows"][0]["policy"]["allowed"], false,
            "earlier facts are kept"
        );
        assert_eq!(
            flows["endpoints"][0]["policy"]["data_country_allowed"],
            true
        );
    }

    #[test]
    fn dates_are_judged_against_today() {
        let mut document = json!({
            "components": [],
            "vendor_support": {"security_updates_until": "2025-06-30"},
            "blue_uas": {"cleared": true, "claimed_on": "2024-01-15"},
        });
        policy().enrich_profile(&mut document);
        assert_eq!(document["vendor_support"]["policy"]["updates_ended"], true);
        assert_eq!(document["blue_uas"]["policy"]["stale"], true);
        let fresh = SupplyChainPolicy {
            today: date("2024-06-01"),
            ..policy()
        };
        let mut document = json!({"blue_uas": {"cleared": true, "claimed_on": "2024-01-15"},
                                  "vendor_support": {"security_updates_until": "2025-06-30"}});
        fresh.enrich_profile(&mut document);
        assert_eq!(document["blue_uas"]["policy"]["stale"], false);
        assert_eq!(document["vendor_support"]["policy"]["updates_ended"], false);
    }

    #[test]
    fn a_stated_blue_uas_claim_exempts_from_the_foreign_production_entry_only() {
        let mut document = json!({
            "components": [component("Parrot", "FR", "FR")],
            "blue_uas": {"cleared": true, "claimed_on": "2026-06-01"},
        });
        policy().enrich_profile(&mut document);
        assert_eq!(status(&document, 0, "fcc_covered"), "clear", "{document:#}");
        let mut document = json!({
            "components": [component("DJI", "CN", "CN")],
            "blue_uas": {"cleared": true, "claimed_on": "2026-06-01"},
        });
        policy().enrich_profile(&mut document);
        assert_eq!(status(&document, 0, "fcc_covered"), "covered");
    }
}
