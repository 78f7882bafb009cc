//! The supply-chain catalogue (rules/catalogue/supply-chain.toml): the laws and lists that
//! restrict drones by who made them, what each covers (countries, named entities, production
//! abroad), and the manufacturers with their aliases, domicile and FCC grantee codes.
//!
//! Every entry carries its source URL, the date it took effect and the date it was checked, and
//! says whether it was verified against a primary source (with a note when it was not).
//! Loading is strict and collects every problem; the built-in file is embedded, and a user's
//! `--rules DIR` may replace it with `DIR/catalogue/supply-chain.toml` (read with a bound).

use crate::digest::hex;
use crate::waiver::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// The built-in catalogue.
pub const BUILTIN: &str = include_str!("../../rules/catalogue/supply-chain.toml");

/// Where an overlay sits under a `--rules` folder.
pub const OVERLAY_PATH: &str = "catalogue/supply-chain.toml";

/// The largest catalogue read from a user's folder (the built-in one is 12 KB).
pub const MAX_CATALOGUE_BYTES: u64 = 1024 * 1024;

/// A law or list that restricts drones by their supply chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Law {
    /// Stable id the policy's `[supply_chain] apply` names, e.g. `ndaa-848`.
    // `short_name` in the file: `id` keys in rules/ are rule ids, each with its fixtures.
    #[serde(rename(deserialize = "short_name"))]
    pub id: String,
    pub title: String,
    /// What the law covers, in our words.
    pub covers: String,
    pub source: String,
    pub effective: String,
    pub checked: String,
    pub verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The rule that reports a component covered by this law.
    pub rule: String,
}

impl Law {
    /// The key of this law's facts in evidence (`ndaa_848`): JSONPath member names without
    /// dashes read plainly in rules.
    pub fn key(&self) -> String {
        self.id.replace('-', "_")
    }
}

/// One thing a law covers: exactly one of a country, a named entity, or production outside a
/// set of countries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Covered {
    pub law: String,
    /// A covered country (ISO 3166-1 alpha-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// How a country is tested: `made-in-or-domicile` (default: produced there, or by a
    /// manufacturer domiciled there) or `domicile` (the manufacturer's domicile only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// A covered manufacturer, by its id in the catalogue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// Covered when produced in any country but these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub produced_outside: Option<Vec<String>>,
    /// How the law or list words the entry.
    pub listed_as: String,
    pub source: String,
    pub effective: String,
    pub checked: String,
    pub verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Covered {
    /// Whether a country entry is judged on the manufacturer's domicile alone.
    pub fn domicile_only(&self) -> bool {
        self.basis.as_deref() == Some("domicile")
    }
}

/// A manufacturer the catalogue can name, with the names and aliases profiles use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manufacturer {
    // `short_name` in the file: `id` keys in rules/ are rule ids, each with its fixtures.
    #[serde(rename(deserialize = "short_name"))]
    pub id: String,
    pub names: Vec<String>,
    /// Where it is domiciled (ISO 3166-1 alpha-2).
    pub country: String,
    /// FCC grantee codes registered to it.
    #[serde(default)]
    pub grantee_codes: Vec<String>,
    pub source: String,
    pub checked: String,
    pub verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Guidance that is not a law (CISA/FBI 2024): kept for the reports' references.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guidance {
    // `short_name` in the file: `id` keys in rules/ are rule ids, each with its fixtures.
    #[serde(rename(deserialize = "short_name"))]
    pub id: String,
    pub title: String,
    pub covers: String,
    pub source: String,
    pub effective: String,
    pub checked: String,
    pub verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    #[serde(default)]
    law: Vec<Law>,
    #[serde(default)]
    covered: Vec<Covered>,
    #[serde(default)]
    manufacturer: Vec<Manufacturer>,
    #[serde(default)]
    guidance: Vec<Guidance>,
}

/// The catalogue in force for a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    pub laws: Vec<Law>,
    pub covered: Vec<Covered>,
    pub manufacturers: Vec<Manufacturer>,
    pub guidance: Vec<Guidance>,
    /// `builtin` or the overlay's path.
    pub origin: String,
    /// SHA-256 of the catalogue's text.
    pub digest: String,
    /// Every folded name and alias, to the manufacturer's index: a profile's parts are looked
    /// up once each, in logarithmic time, however long the catalogue.
    aliases: BTreeMap<String, usize>,
    /// Every grantee code (upper case), to the manufacturer's index.
    grantees: BTreeMap<String, usize>,
}

impl Catalogue {
    /// The embedded catalogue; a defect in it is a defect of the build, which the unit tests
    /// catch before any scan meets it.
    pub fn builtin() -> &'static Catalogue {
        static BUILT_IN: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
        BUILT_IN.get_or_init(|| {
            Catalogue::parse("builtin", BUILTIN)
                .unwrap_or_else(|errors| panic!("{OVERLAY_PATH}: {}", errors.join("; ")))
        })
    }

    /// The catalogue for a scan with `--rules DIR`: `DIR/catalogue/supply-chain.toml` when it
    /// exists, else the built-in one. The overlay replaces the built-in catalogue whole.
    pub fn for_rules_dir(rules_dir: Option<&Path>) -> Result<Option<Catalogue>, Vec<String>> {
        let Some(path) = rules_dir.map(|dir| dir.join(OVERLAY_PATH)) else {
            return Ok(None);
        };
        if !path.is_file() {
            return Ok(None);
        }
        let origin = path.display().to_string();
        let size = std::fs::metadata(&path)
            .map_err(|error| vec![format!("{origin}: cannot read: {error}")])?
            .len();
        if size > MAX_CATALOGUE_BYTES {
            return Err(vec![format!(
                "{origin}: {size} bytes, more than the {MAX_CATALOGUE_BYTES} a catalogue may have"
            )]);
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|error| vec![format!("{origin}: cannot read: {error}")])?;
        Catalogue::parse(&origin, &text).map(Some)
    }

    /// Parses and validates a catalogue, collecting every problem.
    pub fn parse(origin: &str, text: &str) -> Result<Catalogue, Vec<String>> {
        let raw: RawCatalogue = toml::from_str(text).map_err(|error| vec![error.to_string()])?;
        let mut aliases = BTreeMap::new();
        let mut grantees = BTreeMap::new();
        for (index, manufacturer) in raw.manufacturer.iter().enumerate() {
            for name in &manufacturer.names {
                aliases.entry(fold(name)).or_insert(index);
            }
            for code in &manufacturer.grantee_codes {
                grantees.entry(code.to_ascii_uppercase()).or_insert(index);
            }
        }
        let catalogue = Catalogue {
            laws: raw.law,
            covered: raw.covered,
            manufacturers: raw.manufacturer,
            guidance: raw.guidance,
            origin: origin.to_owned(),
            digest: hex(&Sha256::digest(text.as_bytes())),
            aliases,
            grantees,
        };
        let problems = catalogue.problems();
        if problems.is_empty() {
            Ok(catalogue)
        } else {
            Err(problems)
        }
    }

    pub fn law(&self, id: &str) -> Option<&Law> {
        self.laws.iter().find(|law| law.id == id)
    }

    pub fn manufacturer(&self, id: &str) -> Option<&Manufacturer> {
        self.manufacturers
            .iter()
            .find(|manufacturer| manufacturer.id == id)
    }

    /// The manufacturer a profile's name stands for (any name or alias, ignoring case,
    /// punctuation and spacing), or the one an FCC ID's grantee code is registered to.
    pub fn find_manufacturer(&self, name: &str, grantee: Option<&str>) -> Option<&Manufacturer> {
        self.aliases
            .get(&fold(name))
            .or_else(|| self.grantees.get(&grantee?.trim().to_ascii_uppercase()))
            .and_then(|index| self.manufacturers.get(*index))
    }

    /// Every problem in the catalogue: missing sources or dates, unverified entries without a
    /// note, references to unknown laws or manufacturers, malformed entries.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut dated = |what: String,
                         source: &str,
                         dates: &[(&str, &str)],
                         verified: bool,
                         note: &Option<String>| {
            if !(source.starts_with("https://") || source.starts_with("http://")) {
                problems.push(format!("{what}: source `{source}` must be a URL"));
            }
            for (field, value) in dates {
                if Date::parse(value).is_none() {
                    problems.push(format!(
                        "{what}: {field} `{value}` is not a date (YYYY-MM-DD)"
                    ));
                }
            }
            if !verified && note.as_deref().is_none_or(|note| note.trim().is_empty()) {
                problems.push(format!(
                    "{what}: verified = false needs a note saying what could not be verified"
                ));
            }
        };
        for law in &self.laws {
            dated(
                format!("law {}", law.id),
                &law.source,
                &[("effective", &law.effective), ("checked", &law.checked)],
                law.verified,
                &law.note,
            );
        }
        for entry in &self.covered {
            dated(
                format!("covered entry `{}` of {}", entry.listed_as, entry.law),
                &entry.source,
                &[("effective", &entry.effective), ("checked", &entry.checked)],
                entry.verified,
                &entry.note,
            );
        }
        for manufacturer in &self.manufacturers {
            dated(
                format!("manufacturer {}", manufacturer.id),
                &manufacturer.source,
                &[("checked", &manufacturer.checked)],
                manufacturer.verified,
                &manufacturer.note,
            );
        }
        for guidance in &self.guidance {
            dated(
                format!("guidance {}", guidance.id),
                &guidance.source,
                &[
                    ("effective", &guidance.effective),
                    ("checked", &guidance.checked),
                ],
                guidance.verified,
                &guidance.note,
            );
        }
        for entry in &self.covered {
            let what = format!("covered entry `{}`", entry.listed_as);
            if self.law(&entry.law).is_none() {
                problems.push(format!("{what}: no law `{}`", entry.law));
            }
            let kinds = [
                entry.country.is_some(),
                entry.entity.is_some(),
                entry.produced_outside.is_some(),
            ];
            if kinds.iter().filter(|given| **given).count() != 1 {
                problems.push(format!(
                    "{what}: give exactly one of country, entity or produced_outside"
                ));
            }
            let countries = entry
                .country
                .iter()
                .chain(entry.produced_outside.iter().flatten());
            for country in countries {
                if !is_country_code(country) {
                    problems.push(format!(
                        "{what}: `{country}` is not an ISO 3166-1 alpha-2 code"
                    ));
                }
            }
            if let Some(basis) = &entry.basis {
                if entry.country.is_none()
                    || !["made-in-or-domicile", "domicile"].contains(&basis.as_str())
                {
                    problems.push(format!("{what}: basis `{basis}` must be `made-in-or-domicile` or `domicile`, on a country entry"));
                }
            }
            if let Some(entity) = &entry.entity {
                if self.manufacturer(entity).is_none() {
                    problems.push(format!("{what}: no manufacturer `{entity}`"));
                }
            }
        }
        for manufacturer in &self.manufacturers {
            if manufacturer.names.iter().any(|name| fold(name).is_empty()) {
                problems.push(format!(
                    "manufacturer {}: every name needs a letter or digit",
                    manufacturer.id
                ));
            }
            if !is_country_code(&manufacturer.country) {
                problems.push(format!(
                    "manufacturer {}: `{}` is not an ISO 3166-1 alpha-2 code",
                    manufacturer.id, manufacturer.country
                ));
            }
        }
        let mut owners: BTreeMap<String, &str> = BTreeMap::new();
        for manufacturer in &self.manufacturers {
            for name in &manufacturer.names {
                match owners.insert(fold(name), &manufacturer.id) {
                    Some(other) if other != manufacturer.id => problems.push(format!(
                        "manufacturer {}: the name `{name}` also names {other}",
                        manufacturer.id
                    )),
                    _ => {}
                }
            }
        }
        let mut ids: Vec<&str> = self.laws.iter().map(|law| law.id.as_str()).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|pair| pair[0] == pair[1]) {
            problems.push("two laws share an id".to_owned());
        }
        problems
    }
}

/// Two capitals: the form of an ISO 3166-1 alpha-2 code.
pub fn is_country_code(value: &str) -> bool {
    value.len() == 2 && value.bytes().all(|byte| byte.is_ascii_uppercase())
}

/// A name folded for matching: lowercase letters and digits only.
fn fold(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|character| character.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_entry_has_a_source_and_dates() {
        let catalogue = Catalogue::builtin();
        assert!(
            catalogue.problems().is_empty(),
            "{:?}",
            catalogue.problems()
        );
        assert!(catalogue.laws.len() >= 3);
        for law in &catalogue.laws {
            assert!(law.source.starts_with("https://"), "{}", law.id);
            assert!(Date::parse(&law.effective).is_some(), "{}", law.id);
            assert!(Date::parse(&law.checked).is_some(), "{}", law.id);
        }
        for entry in &catalogue.covered {
            assert!(entry.source.starts_with("https://"), "{}", entry.listed_as);
            assert!(
                Date::parse(&entry.effective).is_some(),
                "{}",
                entry.listed_as
            );
            assert!(Date::parse(&entry.checked).is_some(), "{}", entry.listed_as);
            assert!(
                entry.verified || entry.note.is_some(),
                "{}",
                entry.listed_as
            );
        }
        for manufacturer in &catalogue.manufacturers {
            assert!(
                manufacturer.source.starts_with("https://"),
                "{}",
                manufacturer.id
            );
            assert!(
                Date::parse(&manufacturer.checked).is_some(),
                "{}",
                manufacturer.id
            );
        }
    }

    #[test]
    fn an_entry_without_a_source_or_date_is_refused() {
        let broken = BUILTIN
            .replacen(
                "source = \"https://www.diu.mil/blue-uas-policy\"",
                "source = \"DIU\"",
                1,
            )
            .replacen(
                "effective = \"2019-12-20\"",
                "effective = \"December 2019\"",
                1,
            );
        let problems = Catalogue::parse("t", &broken).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("source `DIU` must be a URL")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("effective `December 2019`")),
            "{problems:?}"
        );
        let unnoted = "[[law]]\nshort_name = \"x\"\ntitle = \"X\"\ncovers = \"x\"\nsource = \"https://x\"\neffective = \"2020-01-01\"\nchecked = \"2020-01-01\"\nverified = false\nrule = \"SC-001\"\n";
        let problems = Catalogue::parse("t", unnoted).unwrap_err();
        assert!(problems[0].contains("needs a note"), "{problems:?}");
        let missing = unnoted.replace("checked = \"2020-01-01\"\n", "");
        assert!(Catalogue::parse("t", &missing).unwrap_err()[0].contains("missing field `checked`"));
        let shared = BUILTIN.replace("\"Parrot SA\"", "\"SZ DJI Technology\"");
        let problems = Catalogue::parse("t", &shared).unwrap_err();
        assert!(
            problems[0].contains("the name `SZ DJI Technology` also names DJI"),
            "{problems:?}"
        );
    }

    #[test]
    fn aliases_and_grantee_codes_name_the_manufacturer() {
        let catalogue = Catalogue::builtin();
        for name in [
            "DJI",
            "SZ DJI Technology Co., Ltd.",
            "Da-Jiang Innovations",
            "sz dji technology",
        ] {
            assert_eq!(
                catalogue
                    .find_manufacturer(name, None)
                    .map(|m| m.id.as_str()),
                Some("DJI"),
                "{name}"
            );
        }
        assert_eq!(
            catalogue
                .find_manufacturer("unknown", Some("SS3"))
                .map(|m| m.id.as_str()),
            Some("DJI")
        );
        assert_eq!(
            catalogue
                .find_manufacturer("Parrot Drones SAS", None)
                .map(|m| m.country.as_str()),
            Some("FR")
        );
        assert!(catalogue.find_manufacturer("Holybro", None).is_none());
        assert!(catalogue.find_manufacturer("unknown", None).is_none());
    }

    #[test]
    fn an_overlay_replaces_the_builtin_catalogue() {
        let dir = std::env::temp_dir().join(format!("da-sc-overlay-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("catalogue")).unwrap();
        assert_eq!(Catalogue::for_rules_dir(Some(&dir)).unwrap(), None);
        let text = BUILTIN.replace("short_name = \"Skydio\"", "short_name = \"Skydio-X\"");
        std::fs::write(dir.join(OVERLAY_PATH), &text).unwrap();
        let overlay = Catalogue::for_rules_dir(Some(&dir)).unwrap().unwrap();
        assert!(overlay.manufacturer("Skydio-X").is_some());
        assert!(overlay.origin.ends_with("supply-chain.toml"));
        std::fs::write(dir.join(OVERLAY_PATH), "[[law]]\nid = 1\n").unwrap();
        assert!(Catalogue::for_rules_dir(Some(&dir)).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
