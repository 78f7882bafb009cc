//! The catalogues of well-known default credentials: the passwords drone, FPV and companion
//! images ship with (rules/catalogue/default-passwords.txt), tested against /etc/shadow
//! hashes, and the Wi-Fi passphrases their access points ship with
//! (rules/catalogue/wifi-passphrases.txt), compared with hostapd and wpa_supplicant secrets.
//!
//! Both files have one entry a line, `SECRET | SOURCE`: the secret, then where it is
//! published (a manual, an image build script, a configuration file of the project). Blank
//! lines and lines starting with `#` are comments. [`Catalogue::parse`] is strict: a line
//! without a source, an empty secret or a repeated one is an error naming the line, and a unit
//! test parses both embedded files, so a bad entry fails the build's tests, not a scan.

use std::sync::LazyLock;

const DEFAULT_PASSWORDS: &str = include_str!("../../rules/catalogue/default-passwords.txt");
const WIFI_PASSPHRASES: &str = include_str!("../../rules/catalogue/wifi-passphrases.txt");

/// The separator between a secret and its source.
const SEPARATOR: &str = " | ";

/// One well-known secret and where it is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub secret: String,
    pub source: String,
    /// The 1-based line of the catalogue file.
    pub line: u32,
}

/// A catalogue of well-known secrets, in file order (most likely first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    pub entries: Vec<Entry>,
}

impl Catalogue {
    /// Reads a catalogue; every problem found is reported, each with its line.
    pub fn parse(text: &str) -> Result<Catalogue, Vec<String>> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut problems = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let Some((secret, source)) = raw.split_once(SEPARATOR) else {
                problems.push(format!("line {line}: `SECRET | SOURCE` expected"));
                continue;
            };
            let (secret, source) = (secret.trim(), source.trim());
            if secret.is_empty() || source.is_empty() {
                problems.push(format!(
                    "line {line}: the secret and its source must not be empty"
                ));
                continue;
            }
            if let Some(first) = entries.iter().find(|entry| entry.secret == secret) {
                problems.push(format!(
                    "line {line}: `{secret}` is already on line {}",
                    first.line
                ));
                continue;
            }
            entries.push(Entry {
                secret: secret.to_owned(),
                source: source.to_owned(),
                line,
            });
        }
        if problems.is_empty() {
            Ok(Catalogue { entries })
        } else {
            Err(problems)
        }
    }

    /// The secrets, in file order.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|entry| entry.secret.as_str())
    }
}

/// Parses an embedded catalogue; an error is a defect of the build, which
/// `the_embedded_catalogues_parse` catches before any scan can meet it.
fn embedded(name: &str, text: &str) -> Catalogue {
    Catalogue::parse(text)
        .unwrap_or_else(|problems| panic!("rules/catalogue/{name}: {}", problems.join("; ")))
}

static PASSWORDS: LazyLock<Catalogue> =
    LazyLock::new(|| embedded("default-passwords.txt", DEFAULT_PASSWORDS));
static PASSPHRASES: LazyLock<Catalogue> =
    LazyLock::new(|| embedded("wifi-passphrases.txt", WIFI_PASSPHRASES));

/// Default passwords of drone, FPV, companion and single-board-computer images.
pub fn passwords() -> &'static Catalogue {
    &PASSWORDS
}

/// Default and first-guess Wi-Fi passphrases.
pub fn passphrases() -> &'static Catalogue {
    &PASSPHRASES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalogues_parse() {
        let passwords = Catalogue::parse(DEFAULT_PASSWORDS).expect("default-passwords.txt");
        assert!(passwords.secrets().any(|secret| secret == "12345"));
        assert!(passwords.secrets().any(|secret| secret == "openhd"));
        let passphrases = Catalogue::parse(WIFI_PASSPHRASES).expect("wifi-passphrases.txt");
        assert!(passphrases.secrets().any(|secret| secret == "openhd"));
        for entry in passwords.entries.iter().chain(&passphrases.entries) {
            assert!(entry.source.len() >= 10, "line {}: {entry:?}", entry.line);
        }
    }

    #[test]
    fn entries_without_a_source_or_repeated_are_errors() {
        let problems = Catalogue::parse("# header\nraspberry\n\nodroid |  \npi | x\npi | y\n")
            .expect_err("strict");
        assert_eq!(
            problems,
            [
                "line 2: `SECRET | SOURCE` expected",
                "line 4: the secret and its source must not be empty",
                "line 6: `pi` is already on line 5",
            ]
        );
        let catalogue = Catalogue::parse("a b | the source | with a bar\n").expect("parsed");
        assert_eq!(catalogue.entries[0].secret, "a b");
        assert_eq!(catalogue.entries[0].source, "the source | with a bar");
    }
}
