//! OpenSSH server configuration (`sshd_config`): identification by content and the evidence
//! of what the server allows, read as sshd(8) reads it.
//!
//! Each line is `Keyword arguments…`, the keyword case-insensitive and separated from its
//! arguments by whitespace or one `=`; arguments may be quoted, and a word starting with `#`
//! starts a comment. For most keywords sshd keeps the FIRST value it reads, so a later line
//! for the same option is ignored (and reported); a few keywords ([`keywords::Keyword::repeats`])
//! add up instead. `Match` starts a conditional block that lasts to the next `Match` or the end
//! of the file; `Match all` applies to every connection. `Include` is recorded, not followed.
//!
//! The evidence (docs/evidence/sshd-config.md) is [`SshdConfigEvidence`]: the global `settings`, the
//! `effective` security-relevant options with OpenSSH's defaults filled in, the `match_blocks`
//! and the `includes`. Rules select on it with filters such as
//! `$.effective[?@.name == 'permitrootlogin' && @.value == 'yes']`.

pub mod keywords;

use crate::analyze::text;
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use keywords::{Keyword, Status, DEFAULTS, REPORTED_WHEN_SET};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

pub struct SshdConfigAnalyzer;

/// How many of the first meaningful lines identification reads.
const SNIFF_LINES: usize = 30;

impl Analyzer for SshdConfigAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::SshdConfig
    }

    fn extensions(&self) -> &'static [&'static str] {
        &[]
    }

    /// At least two sshd keywords, one of them server-only (so a client's ssh_config, which
    /// shares `Port`, `Ciphers`, `PasswordAuthentication` … is not taken), and the first
    /// meaningful lines mostly sshd keywords.
    fn identify(&self, content: &[u8]) -> bool {
        let lines = text::sniff(content, &['#'], SNIFF_LINES);
        let mut known = 0;
        let mut server_only = 0;
        for line in &lines {
            if let Some(keyword) = keywords::lookup(split_keyword(line).0) {
                known += 1;
                if keyword.server_only {
                    server_only += 1;
                }
            }
        }
        known >= 2 && server_only >= 1 && known * 10 >= lines.len() * 8
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        _: crate::analyze::AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        let text = text::decode(content)?;
        let mut parser = Parser::default();
        for line in text::lines(text) {
            parser.read_line(line?);
        }
        let incomplete = parser.incomplete();
        let config = parser.finish()?;
        let document = serde_json::to_value(&config).map_err(|error| {
            AnalyzeError::new(format!("cannot serialise sshd_config evidence: {error}"))
        })?;
        Ok(Evidence {
            incomplete,
            kind: ArtifactKind::SshdConfig,
            document,
            lines: Default::default(),
            warnings: config.warnings,
        })
    }
}

/// The evidence document of one sshd_config: who can log in over SSH, how, from where, and
/// what an SSH session can reach, read as sshd(8) reads the file (the first value wins).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct SshdConfigEvidence {
    /// The directives of the global section (before the first `Match`), keyed by the keyword
    /// in lowercase as written (`challengeresponseauthentication` stays under its own name;
    /// `effective` files it under the option it sets).
    pub settings: BTreeMap<String, Setting>,
    /// Global directives sshd ignores because an earlier line set the same option.
    pub ignored: Vec<IgnoredSetting>,
    /// The security-relevant options as they apply to a connection that no conditional `Match`
    /// block selects, keyed by the option's lowercase name: from a `Match all` block if one
    /// sets it, else from the global section, else OpenSSH's default. Some options are always
    /// present, others only when the file sets them (docs/evidence/sshd-config.md).
    pub effective: BTreeMap<String, EffectiveSetting>,
    /// Each `Match` block, in file order.
    pub match_blocks: Vec<MatchBlock>,
    /// Each path of each `Include` directive: recorded, not followed (settings in an included
    /// file are not assessed).
    pub includes: Vec<Include>,
    /// Warnings about the file's lines (the artifact's, not part of the document).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// One directive as the file gives it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Setting {
    /// The keyword in lowercase (the key this setting is filed under), so that a filter over
    /// the object can test it (`$.settings[?@.name == 'usepam']`).
    pub name: String,
    /// The keyword as written (`permitRootLogin`).
    pub keyword: String,
    /// Every argument, joined by one space, quotes removed; yes/no-style values lowercased.
    /// For a keyword that adds up, all its lines' values joined by one space (`Port 22` and
    /// `Port 2222` give `22 2222`).
    pub value: String,
    /// The 1-based line of the directive (the first one, for a keyword that adds up).
    pub line: u32,
    /// Keywords that add up only (`Port`, `ListenAddress`, `AllowUsers` …): each line's
    /// value, in order; absent for the others.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// The lowercase option the keyword sets (differs from `name` for an alias).
    #[serde(skip)]
    option: String,
}

/// A directive sshd ignores because an earlier line set the same option.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct IgnoredSetting {
    /// The keyword in lowercase.
    pub name: String,
    /// The keyword as written.
    pub keyword: String,
    /// Its arguments, joined by one space.
    pub value: String,
    /// The 1-based line of the ignored directive.
    pub line: u32,
    /// The line of the directive that wins.
    pub first_line: u32,
}

/// An option as it applies, whether the file sets it or OpenSSH's default does.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct EffectiveSetting {
    /// The option in lowercase (the key again), for filters
    /// (`$.effective[?@.name == 'permitrootlogin' && @.value == 'yes']`).
    pub name: String,
    /// The keyword as written (an alias, if the file used one), or as sshd_config(5) spells it
    /// for a default.
    pub keyword: String,
    /// The value that applies, as in `settings`.
    pub value: String,
    /// The directive's line; for a default, the line where the file shows the directive
    /// commented out (`#PasswordAuthentication yes`, the place to change it), when the global
    /// section has one; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The file does not set the option: OpenSSH's built-in value applies.
    pub default: bool,
    /// The value comes from a `Match all` block, which overrides the global section.
    pub match_all: bool,
    /// Where the value comes from, in words, for messages: `set on line 4`, `set on line 30 in
    /// the Match all block of line 29`, `OpenSSH default; the directive on line 5 is commented
    /// out`, `OpenSSH default; the file does not set it`.
    pub origin: String,
}

/// A `Match` block: directives that apply only to connections meeting its criteria, over the
/// global section.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MatchBlock {
    /// The criteria as written (`User pilot`, `Address 192.168.4.0/24`, `all`).
    pub criteria: String,
    /// The line of the `Match` directive.
    pub line: u32,
    /// `Match all`: the block applies to every connection.
    pub all: bool,
    /// The block's directives, in the shape of the global `settings`.
    pub settings: BTreeMap<String, Setting>,
    /// The block's directives sshd ignores, in the shape of the global `ignored`.
    pub ignored: Vec<IgnoredSetting>,
}

/// An `Include` directive, recorded and not followed.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Include {
    /// The path or glob as written.
    pub path: String,
    /// The line of the `Include`.
    pub line: u32,
}

/// The keyword of a line and the rest of it: the keyword ends at whitespace or `=`, and one
/// `=` with whitespace around it may separate it from the arguments.
fn split_keyword(line: &str) -> (&str, &str) {
    let line = line.trim_start();
    let end = line
        .find(|character: char| character.is_ascii_whitespace() || character == '=')
        .unwrap_or(line.len());
    let (keyword, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest);
    (keyword, rest)
}

/// The arguments of a directive as OpenSSH's `argv_split` reads them: words separated by
/// whitespace, `"` or `'` quoting, `\` escaping a quote, a backslash or (outside quotes) a
/// space, and a word starting with `#` ending the line. `None` for an unterminated quote.
fn split_arguments(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut characters = text.chars().peekable();
    loop {
        while characters
            .peek()
            .is_some_and(|character| character.is_ascii_whitespace())
        {
            characters.next();
        }
        match characters.peek() {
            None | Some('#') => return Some(words),
            Some(_) => {}
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while let Some(character) = characters.next() {
            match character {
                '\\' => match characters.peek().copied() {
                    Some(next)
                        if matches!(next, '\'' | '"' | '\\')
                            || (quote.is_none() && next == ' ') =>
                    {
                        word.push(next);
                        characters.next();
                    }
                    _ => word.push('\\'),
                },
                '"' | '\'' if quote.is_none() => quote = Some(character),
                _ if Some(character) == quote => quote = None,
                _ if quote.is_none() && character.is_ascii_whitespace() => break,
                _ => word.push(character),
            }
        }
        if quote.is_some() {
            return None;
        }
        words.push(word);
    }
}

/// The value a flag keyword's arguments are recorded with: lowercased when it is a plain
/// word (`Yes`, `PROHIBIT-PASSWORD`), as written otherwise (patterns such as `LANG,LC_*`).
fn normalise_value(keyword: &Keyword, value: String) -> String {
    let plain_word = value
        .chars()
        .all(|character| character.is_ascii_alphabetic() || character == '-');
    if keyword.flag && plain_word {
        value.to_ascii_lowercase()
    } else {
        value
    }
}

/// The directives of one scope (the global section or one `Match` block), first value wins.
#[derive(Debug, Default)]
struct Scope {
    settings: BTreeMap<String, Setting>,
    ignored: Vec<IgnoredSetting>,
}

impl Scope {
    fn record(
        &mut self,
        keyword: &Keyword,
        written: &str,
        value: String,
        line: u32,
        warnings: &mut Vec<String>,
    ) {
        let option = keyword.option_name();
        if let Some(first) = self
            .settings
            .values_mut()
            .find(|setting| setting.option == option)
        {
            if keyword.repeats {
                // Appending, not re-joining, keeps a file of many such lines linear.
                first.value.push(' ');
                first.value.push_str(&value);
                first.values.push(value);
                return;
            }
            warnings.push(format!(
                "line {line}: `{written} {value}` ignored: {} was already set on line {}, and sshd keeps the first value",
                first.keyword, first.line
            ));
            self.ignored.push(IgnoredSetting {
                name: written.to_ascii_lowercase(),
                keyword: written.to_owned(),
                value,
                line,
                first_line: first.line,
            });
            return;
        }
        let values = if keyword.repeats {
            vec![value.clone()]
        } else {
            Vec::new()
        };
        let name = written.to_ascii_lowercase();
        self.settings.insert(
            name.clone(),
            Setting {
                name,
                keyword: written.to_owned(),
                value,
                line,
                values,
                option,
            },
        );
    }

    fn option(&self, option: &str) -> Option<&Setting> {
        self.settings
            .values()
            .find(|setting| setting.option == option)
    }
}

/// Reads an sshd_config line by line.
#[derive(Debug, Default)]
struct Parser {
    global: Scope,
    /// Match blocks so far, each with its scope; the last one is open.
    blocks: Vec<(MatchBlock, Scope)>,
    includes: Vec<Include>,
    /// Lines where the global section shows an option commented out, by lowercase option.
    commented: BTreeMap<String, u32>,
    /// A commented-out `#Match` was seen: later commented directives are examples for it.
    commented_match: bool,
    directives: usize,
    warnings: Vec<String>,
    /// The first line sshd refuses to start on: what it would run is not known, so the file
    /// is partial (its rules not assessed), not assessed on the lines around it.
    refused: Option<String>,
    /// Match blocks past [`MAX_MATCH_BLOCKS`], not read.
    blocks_not_read: usize,
}

/// Match blocks read; real configurations have a handful. Each costs a few KiB of evidence:
/// 300,000 of them (10 MB) took 1.2 GB and 17 s before this bound.
const MAX_MATCH_BLOCKS: usize = 1024;

impl Parser {
    /// A line sshd refuses to start on: a warning, and the first one makes the file partial.
    fn refuse(&mut self, warning: String) {
        if self.refused.is_none() {
            self.refused = Some(warning.clone());
        }
        self.warnings.push(warning);
    }

    fn read_line(&mut self, line: text::Line<'_>) {
        let number = line.number;
        let trimmed = line.text.trim();
        if trimmed.is_empty() {
            return;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            self.note_commented_directive(comment, number);
            return;
        }
        let (written, rest) = split_keyword(trimmed);
        let Some(keyword) = keywords::lookup(written) else {
            self.refuse(format!(
                "line {number}: unknown keyword `{written}` skipped (sshd refuses to start on it)"
            ));
            return;
        };
        let Some(arguments) = split_arguments(rest) else {
            self.refuse(format!(
                "line {number}: {written} has an unterminated quote; skipped (sshd refuses to start on it)"
            ));
            return;
        };
        if arguments.is_empty() {
            self.refuse(format!(
                "line {number}: {written} has no argument; skipped (sshd refuses to start on it)"
            ));
            return;
        }
        if self.blocks_not_read > 0 {
            // Inside a Match block past the bound: not read.
            if keyword.spelling == "Match" {
                self.blocks_not_read += 1;
            }
            return;
        }
        self.directives += 1;
        let value = arguments.join(" ");
        match keyword.spelling {
            "Match" => self.open_match_block(value, number),
            "Include" => {
                for path in arguments {
                    self.warnings.push(format!(
                        "line {number}: Include {path} not followed: settings in it are not assessed, and because sshd keeps the first value it reads, they would win over the lines after it"
                    ));
                    self.includes.push(Include { path, line: number });
                }
            }
            _ => self.record(keyword, written, value, number),
        }
    }

    fn record(&mut self, keyword: &Keyword, written: &str, value: String, number: u32) {
        if keyword.status == Status::Deprecated {
            self.warnings.push(format!(
                "line {number}: {written} is deprecated: current OpenSSH ignores it, older sshd acted on it"
            ));
        }
        let value = normalise_value(keyword, value);
        if let Some((block, _)) = self.blocks.last() {
            if !keyword.in_match {
                let block_line = block.line;
                self.refuse(format!(
                    "line {number}: {written} is not allowed inside a Match block (sshd refuses to start); recorded in the block of line {block_line}"
                ));
            }
        }
        match self.blocks.last_mut() {
            None => self
                .global
                .record(keyword, written, value, number, &mut self.warnings),
            Some((_, scope)) => {
                scope.record(keyword, written, value, number, &mut self.warnings);
            }
        }
    }

    fn open_match_block(&mut self, criteria: String, number: u32) {
        if self.blocks.len() == MAX_MATCH_BLOCKS {
            self.blocks_not_read = 1;
            return;
        }
        let all = criteria.eq_ignore_ascii_case("all");
        let block = MatchBlock {
            criteria,
            line: number,
            all,
            settings: BTreeMap::new(),
            ignored: Vec::new(),
        };
        self.blocks.push((block, Scope::default()));
    }

    /// Remembers where the global section shows a directive commented out, the place an
    /// administrator reads the default and would change it.
    fn note_commented_directive(&mut self, comment: &str, number: u32) {
        if !self.blocks.is_empty() || self.commented_match {
            return;
        }
        let comment = comment.trim_start_matches('#').trim();
        let (word, rest) = split_keyword(comment);
        let Some(keyword) = keywords::lookup(word) else {
            return;
        };
        if keyword.spelling == "Match" {
            self.commented_match = true;
            return;
        }
        // `#PasswordAuthentication yes` has one or two arguments; prose that happens to start
        // with a keyword ("# Port forwarding is disabled below") has more.
        let arguments = rest.split_whitespace().count();
        if (1..=2).contains(&arguments) {
            self.commented
                .entry(keyword.option_name())
                .or_insert(number);
        }
    }

    /// Why the file is partial: a line sshd refuses to start on (what sshd would run is not
    /// known), or Match blocks past the bound (what they set is not read).
    fn incomplete(&self) -> Option<String> {
        let refused = self
            .refused
            .as_ref()
            .map(|line| format!("{line}: the settings sshd would run with are not known"));
        let unread = (self.blocks_not_read > 0).then(|| {
            format!(
                "{} Match blocks after the first {MAX_MATCH_BLOCKS} were not read",
                self.blocks_not_read
            )
        });
        match (refused, unread) {
            (Some(refused), Some(unread)) => Some(format!("{refused}; {unread}")),
            (refused, unread) => refused.or(unread),
        }
    }

    fn finish(self) -> Result<SshdConfigEvidence, AnalyzeError> {
        if self.directives == 0 {
            return Err(AnalyzeError::new("no sshd_config directive found"));
        }
        let mut config = SshdConfigEvidence {
            includes: self.includes,
            warnings: self.warnings,
            ..SshdConfigEvidence::default()
        };
        config.effective = effective(&self.global, &self.blocks, &self.commented);
        config.settings = self.global.settings;
        config.ignored = self.global.ignored;
        config.match_blocks = self
            .blocks
            .into_iter()
            .map(|(mut block, scope)| {
                block.settings = scope.settings;
                block.ignored = scope.ignored;
                block
            })
            .collect();
        Ok(config)
    }
}

/// The security-relevant options for a connection no conditional `Match` block selects: a
/// `Match all` block's value first (sshd applies matched blocks over the global section), then
/// the global section's, then OpenSSH's default.
fn effective(
    global: &Scope,
    blocks: &[(MatchBlock, Scope)],
    commented: &BTreeMap<String, u32>,
) -> BTreeMap<String, EffectiveSetting> {
    let set_value = |option: &str| -> Option<EffectiveSetting> {
        let from_match_all = blocks
            .iter()
            .filter(|(block, _)| block.all)
            .find_map(|(block, scope)| scope.option(option).map(|setting| (block, setting)));
        if let Some((block, setting)) = from_match_all {
            return Some(EffectiveSetting {
                name: option.to_owned(),
                keyword: setting.keyword.clone(),
                value: setting.value.clone(),
                line: Some(setting.line),
                default: false,
                match_all: true,
                origin: format!(
                    "set on line {} in the Match all block of line {}",
                    setting.line, block.line
                ),
            });
        }
        global.option(option).map(|setting| EffectiveSetting {
            name: option.to_owned(),
            keyword: setting.keyword.clone(),
            value: setting.value.clone(),
            line: Some(setting.line),
            default: false,
            match_all: false,
            origin: format!("set on line {}", setting.line),
        })
    };
    let default_value = |spelling: &str, option: &str, value: &str| -> EffectiveSetting {
        let line = commented.get(option).copied();
        let origin = match line {
            Some(line) => format!("OpenSSH default; the directive on line {line} is commented out"),
            None => "OpenSSH default; the file does not set it".to_owned(),
        };
        EffectiveSetting {
            name: option.to_owned(),
            keyword: spelling.to_owned(),
            value: value.to_owned(),
            line,
            default: true,
            match_all: false,
            origin,
        }
    };

    let mut effective = BTreeMap::new();
    for (spelling, value) in DEFAULTS {
        let option = spelling.to_ascii_lowercase();
        let setting = set_value(&option).unwrap_or_else(|| default_value(spelling, &option, value));
        effective.insert(option, setting);
    }
    for spelling in REPORTED_WHEN_SET {
        let option = spelling.to_ascii_lowercase();
        if let Some(setting) = set_value(&option) {
            effective.insert(option, setting);
        }
    }
    let listen = set_value("listenaddress").unwrap_or_else(|| {
        let family = effective
            .get("addressfamily")
            .map(|setting| setting.value.as_str());
        let addresses = match family {
            Some("inet") => "0.0.0.0",
            Some("inet6") => "::",
            _ => "0.0.0.0 ::",
        };
        default_value("ListenAddress", "listenaddress", addresses)
    });
    effective.insert("listenaddress".to_owned(), listen);
    // The deprecated name still appears in many files and guides: file the same value under it.
    if let Some(keyboard_interactive) = effective.get("kbdinteractiveauthentication") {
        let alias = EffectiveSetting {
            name: "challengeresponseauthentication".to_owned(),
            ..keyboard_interactive.clone()
        };
        effective.insert(alias.name.clone(), alias);
    }
    effective
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::path::Path;

    /// A Raspberry Pi OS bookworm companion computer, much as shipped, with a lab's changes.
    const RASPBERRY_PI: &str = "\
# This is the sshd server system-wide configuration file.  See
# sshd_config(5) for more information.

Include /etc/ssh/sshd_config.d/*.conf

#Port 22
#ListenAddress 0.0.0.0
#ListenAddress ::

#PermitRootLogin prohibit-password
PermitRootLogin yes
#MaxAuthTries 6

#PasswordAuthentication yes
#PermitEmptyPasswords no

KbdInteractiveAuthentication no
UsePAM yes

#AllowTcpForwarding yes
#GatewayPorts no
X11Forwarding yes
PrintMotd no

AcceptEnv LANG LC_*
Subsystem\tsftp\t/usr/lib/openssh/sftp-server

#Match User anoncvs
#\tX11Forwarding no
#\tAllowTcpForwarding no
";

    fn analyze(text: &str) -> Evidence {
        SshdConfigAnalyzer.analyze(text.as_bytes()).unwrap()
    }

    fn effective<'a>(evidence: &'a Evidence, option: &str) -> &'a Value {
        &evidence.document["effective"][option]
    }

    #[test]
    fn a_raspberry_pi_sshd_config_is_identified_and_read() {
        assert!(SshdConfigAnalyzer.identify(RASPBERRY_PI.as_bytes()));
        let evidence = analyze(RASPBERRY_PI);
        let document = &evidence.document;
        assert_eq!(document["settings"]["permitrootlogin"]["value"], "yes");
        assert_eq!(document["settings"]["permitrootlogin"]["line"], 11);
        assert_eq!(
            document["settings"]["subsystem"]["value"],
            "sftp /usr/lib/openssh/sftp-server"
        );
        assert_eq!(document["settings"]["acceptenv"]["values"][0], "LANG LC_*");
        assert_eq!(
            document["includes"][0]["path"],
            "/etc/ssh/sshd_config.d/*.conf"
        );
        assert_eq!(document["includes"][0]["line"], 4);
        assert!(evidence.warnings[0]
            .starts_with("line 4: Include /etc/ssh/sshd_config.d/*.conf not followed"));
        assert_eq!(evidence.warnings.len(), 1, "{:?}", evidence.warnings);
        assert!(document.get("policy").is_none(), "policy.rs adds it");
    }

    #[test]
    fn defaults_fill_in_and_point_at_the_commented_directive() {
        let evidence = analyze(RASPBERRY_PI);
        let password = effective(&evidence, "passwordauthentication");
        assert_eq!(password["value"], "yes");
        assert_eq!(password["default"], true);
        assert_eq!(
            password["line"], 14,
            "the `#PasswordAuthentication yes` line"
        );
        let forwarding = effective(&evidence, "allowtcpforwarding");
        assert_eq!(
            forwarding["line"], 20,
            "the global one, not the #Match example"
        );
        let tunnel = effective(&evidence, "permittunnel");
        assert_eq!(tunnel["value"], "no");
        assert!(tunnel.get("line").is_none());
        assert_eq!(
            tunnel["origin"],
            "OpenSSH default; the file does not set it"
        );
        assert_eq!(effective(&evidence, "listenaddress")["value"], "0.0.0.0 ::");
        assert_eq!(effective(&evidence, "listenaddress")["line"], 7);
        assert_eq!(effective(&evidence, "maxauthtries")["value"], "6");
        assert_eq!(effective(&evidence, "usepam")["value"], "yes");
        assert_eq!(effective(&evidence, "usepam")["default"], false);
        assert_eq!(
            effective(&evidence, "kbdinteractiveauthentication")["value"],
            "no"
        );
        assert_eq!(
            effective(&evidence, "challengeresponseauthentication")["value"],
            "no"
        );
        assert!(effective(&evidence, "ciphers").is_null(), "only when set");
        assert!(effective(&evidence, "protocol").is_null(), "only when set");
    }

    #[test]
    fn first_value_wins_and_later_ones_are_ignored_with_a_warning() {
        let evidence = analyze(
            "PermitRootLogin no\nUsePAM yes\npermitrootlogin=yes\nChallengeResponseAuthentication no\nKbdInteractiveAuthentication yes\nPort 22\nPort 2222\n",
        );
        let document = &evidence.document;
        assert_eq!(document["settings"]["permitrootlogin"]["value"], "no");
        assert_eq!(document["ignored"][0]["keyword"], "permitrootlogin");
        assert_eq!(document["ignored"][0]["line"], 3);
        assert_eq!(document["ignored"][0]["first_line"], 1);
        assert!(
            evidence.warnings[0].contains(
                "line 3: `permitrootlogin yes` ignored: PermitRootLogin was already set on line 1"
            ),
            "{:?}",
            evidence.warnings
        );
        // An alias sets the same option: the second spelling is ignored too.
        assert_eq!(
            document["ignored"][1]["keyword"],
            "KbdInteractiveAuthentication"
        );
        assert_eq!(
            effective(&evidence, "kbdinteractiveauthentication")["value"],
            "no"
        );
        assert_eq!(
            effective(&evidence, "kbdinteractiveauthentication")["keyword"],
            "ChallengeResponseAuthentication"
        );
        // Port adds up rather than keeping the first.
        assert_eq!(document["settings"]["port"]["value"], "22 2222");
        assert_eq!(
            document["settings"]["port"]["values"],
            serde_json::json!(["22", "2222"])
        );
        assert_eq!(effective(&evidence, "permitrootlogin")["value"], "no");
    }

    #[test]
    fn match_blocks_are_conditional_and_match_all_overrides() {
        let text = "\
PermitRootLogin no
PasswordAuthentication no
UsePAM yes

Match User pilot Address 192.168.4.0/24
    PasswordAuthentication yes
    PermitRootLogin yes
    PasswordAuthentication no
Match all
    X11Forwarding yes
    PermitRootLogin Yes
";
        let evidence = analyze(text);
        let document = &evidence.document;
        let blocks = document["match_blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0]["criteria"], "User pilot Address 192.168.4.0/24");
        assert_eq!(blocks[0]["line"], 5);
        assert_eq!(blocks[0]["all"], false);
        assert_eq!(
            blocks[0]["settings"]["passwordauthentication"]["value"],
            "yes"
        );
        assert_eq!(blocks[0]["settings"]["passwordauthentication"]["line"], 6);
        assert_eq!(blocks[0]["ignored"][0]["line"], 8);
        assert_eq!(blocks[1]["all"], true);
        // The global section is unchanged by conditional blocks ...
        assert_eq!(
            effective(&evidence, "passwordauthentication")["value"],
            "no"
        );
        assert!(document["settings"].get("x11forwarding").is_none());
        // ... but Match all applies to every connection, over the global section.
        let root = effective(&evidence, "permitrootlogin");
        assert_eq!(root["value"], "yes", "flag values are lowercased");
        assert_eq!(root["match_all"], true);
        assert_eq!(root["line"], 11);
        assert_eq!(effective(&evidence, "x11forwarding")["value"], "yes");
    }

    #[test]
    fn quoting_comments_and_equals_signs() {
        let evidence = analyze(
            "UsePAM yes\nBanner \"/etc/issue net\"   # pre-login banner\nAuthorizedKeysFile = .ssh/authorized_keys .ssh/authorized_keys2\nForceCommand /opt/bin/run\\ mission#1\nX11Forwarding=no\n",
        );
        let settings = &evidence.document["settings"];
        assert_eq!(settings["banner"]["value"], "/etc/issue net");
        assert_eq!(
            settings["authorizedkeysfile"]["value"],
            ".ssh/authorized_keys .ssh/authorized_keys2"
        );
        assert_eq!(settings["forcecommand"]["value"], "/opt/bin/run mission#1");
        assert_eq!(settings["x11forwarding"]["value"], "no");
        assert!(evidence.warnings.is_empty(), "{:?}", evidence.warnings);
    }

    #[test]
    fn a_line_sshd_refuses_makes_the_file_partial() {
        // 78 KB of comments, then a setting and garbage: sshd would not start on it, and the
        // file was assessed on the setting around the garbage (exit 0).
        let mut config = "# a comment line, repeated past 64 KiB\n".repeat(2000);
        config
            .push_str("PermitRootLogin no\nPasswordAuthentication no\nthis is { not sshd syntax\n");
        let evidence = SshdConfigAnalyzer.analyze(config.as_bytes()).expect("read");
        let reason = evidence.incomplete.expect("partial");
        assert!(
            reason.starts_with("line 2003: unknown keyword `this`"),
            "{reason}"
        );
    }

    #[test]
    fn match_blocks_are_read_up_to_a_bound() {
        // 300,000 Match blocks took 1.2 GB and 17 s; past the bound they are counted, and the
        // file is partial: a `Match all` among them could change every setting.
        let mut config = String::from("PermitRootLogin no\nPasswordAuthentication no\n");
        for index in 0..MAX_MATCH_BLOCKS + 10 {
            config.push_str(&format!(
                "Match User u{index}\n  PasswordAuthentication yes\n"
            ));
        }
        let evidence = SshdConfigAnalyzer.analyze(config.as_bytes()).expect("read");
        assert_eq!(
            evidence.incomplete.as_deref(),
            Some("10 Match blocks after the first 1024 were not read")
        );
        let blocks = evidence.document["match_blocks"].as_array().map(Vec::len);
        assert!(
            blocks.is_none_or(|blocks| blocks <= MAX_MATCH_BLOCKS),
            "{blocks:?}"
        );
    }

    #[test]
    fn odd_lines_are_warnings_naming_the_line() {
        let evidence = analyze(
            "UsePAM yes\nPermitRootLogn no\nBanner \"/etc/issue\nPort\nProtocol 1\nMatch User ops\n  Ciphers aes128-cbc\n",
        );
        let warnings = &evidence.warnings;
        assert!(
            warnings[0].starts_with("line 2: unknown keyword `PermitRootLogn`"),
            "{warnings:?}"
        );
        assert!(
            warnings[1].starts_with("line 3: Banner has an unterminated quote"),
            "{warnings:?}"
        );
        assert!(
            warnings[2].starts_with("line 4: Port has no argument"),
            "{warnings:?}"
        );
        assert!(
            warnings[3].starts_with("line 5: Protocol is deprecated"),
            "{warnings:?}"
        );
        assert!(
            warnings[4].starts_with("line 7: Ciphers is not allowed inside a Match block"),
            "{warnings:?}"
        );
        assert_eq!(effective(&evidence, "protocol")["value"], "1");
        assert!(SshdConfigAnalyzer.analyze(b"# only comments\n\n").is_err());
        assert!(SshdConfigAnalyzer.analyze(b"Foo bar\nBaz qux\n").is_err());
    }

    #[test]
    fn binary_invalid_and_over_long_content_is_an_error_naming_the_place() {
        let error = SshdConfigAnalyzer
            .analyze(b"UsePAM yes\nPort 22\n\0\x01\x02")
            .unwrap_err();
        assert!(error.message.contains("NUL byte"), "{error}");
        let error = SshdConfigAnalyzer
            .analyze(b"UsePAM yes\nBanner \xff\xfe\n")
            .unwrap_err();
        assert_eq!(error.line, Some(2));
        let long = format!(
            "UsePAM yes\nBanner {}\n",
            "x".repeat(text::MAX_LINE_LENGTH + 1)
        );
        assert_eq!(
            SshdConfigAnalyzer
                .analyze(long.as_bytes())
                .unwrap_err()
                .line,
            Some(2)
        );
    }

    #[test]
    fn client_configs_and_other_text_are_not_taken() {
        let client = "\
# This is the ssh client system-wide configuration file.
Host *
    SendEnv LANG LC_*
    HashKnownHosts yes
    GSSAPIAuthentication yes
    PasswordAuthentication no
    Port 22

Host drone
    HostName 192.168.4.1
    User pi
    IdentityFile ~/.ssh/drone_ed25519
";
        assert!(!SshdConfigAnalyzer.identify(client.as_bytes()));
        // Shared keywords alone are not enough: one must be server-only.
        assert!(!SshdConfigAnalyzer
            .identify(b"Port 22\nCiphers aes256-gcm@openssh.com\nPasswordAuthentication no\n"));
        assert!(!SshdConfigAnalyzer.identify(b"ssid=Drone_Wifi\nchannel=6\nhw_mode=g\n"));
        assert!(!SshdConfigAnalyzer.identify(b"root:x:0:0:root:/root:/bin/bash\n"));
        assert!(
            !SshdConfigAnalyzer.identify(b"PermitRootLogin yes\n"),
            "one keyword is too little"
        );
        assert!(!SshdConfigAnalyzer.identify(b"\x00\x01PermitRootLogin yes\nUsePAM yes\n"));
        assert!(!SshdConfigAnalyzer.identify(b""));
        // Mostly prose with a couple of keywords is not a config.
        assert!(!SshdConfigAnalyzer
            .identify(b"Notes from the field\nUsePAM yes\nPort 22\nthe pilot said\nit was fine\n"));
        assert!(SshdConfigAnalyzer.identify(b"Port 2222\nPermitRootLogin no\n"));
    }

    #[test]
    fn the_evidence_follows_its_schema() {
        // The Raspberry Pi's file with what a lab adds: a second port, a duplicate, a Match
        // block for maintenance and a Match all block.
        let lab = format!(
            "{RASPBERRY_PI}Port 22\nPort 2222\npermitrootlogin no\n\
             Match User maint Address 192.168.4.0/24\n\tPasswordAuthentication yes\n\tPasswordAuthentication no\n\
             Match all\n\tX11Forwarding no\n"
        );
        let evidence = analyze(&lab);
        let document = &evidence.document;
        assert_eq!(document["settings"]["port"]["values"][1], "2222");
        assert_eq!(document["ignored"][0]["first_line"], 11);
        assert_eq!(document["match_blocks"][0]["ignored"][0]["value"], "no");
        assert_eq!(effective(&evidence, "x11forwarding")["match_all"], true);
        crate::analyze::schema::assert_follows_schema(
            crate::analyze::ArtifactKind::SshdConfig,
            document,
        );
        if let Some(content) = crate::test_prerequisites::corpus_bytes("dvd/sshd_config") {
            let evidence = SshdConfigAnalyzer.analyze(&content).unwrap();
            crate::analyze::schema::assert_follows_schema(
                crate::analyze::ArtifactKind::SshdConfig,
                &evidence.document,
            );
        }
    }

    #[test]
    fn identification_picks_sshd_config_over_other_kinds() {
        let analyzer = crate::analyze::identify(Path::new("sshd_config"), RASPBERRY_PI.as_bytes());
        assert_eq!(
            analyzer.map(|analyzer| analyzer.kind()),
            Some(ArtifactKind::SshdConfig)
        );
    }

    #[test]
    fn listen_address_default_follows_the_address_family() {
        let evidence = analyze("UsePAM yes\nAddressFamily inet\n");
        assert_eq!(effective(&evidence, "listenaddress")["value"], "0.0.0.0");
        let evidence =
            analyze("UsePAM yes\nListenAddress 10.20.0.2\nListenAddress 127.0.0.1:2222\n");
        assert_eq!(
            effective(&evidence, "listenaddress")["value"],
            "10.20.0.2 127.0.0.1:2222"
        );
        assert_eq!(effective(&evidence, "listenaddress")["default"], false);
    }

    #[test]
    fn no_input_makes_the_analyzer_panic() {
        let mut content = RASPBERRY_PI.as_bytes().to_vec();
        content.extend_from_slice(
            "Match all\nBanner 'x\\\nPort =\n=\nCiphers \"\u{e9}\"\n".as_bytes(),
        );
        for end in 0..=content.len() {
            let cut = &content[..end];
            let _ = SshdConfigAnalyzer.identify(cut);
            let _ = SshdConfigAnalyzer.analyze(cut);
        }
        for byte in [b'#', b'=', b'"', b'\\', b'\n', 0xff] {
            for position in (0..content.len()).step_by(7) {
                let mut mutated = content.clone();
                mutated[position] = byte;
                let _ = SshdConfigAnalyzer.identify(&mutated);
                let _ = SshdConfigAnalyzer.analyze(&mutated);
            }
        }
    }

    #[test]
    fn damn_vulnerable_drone_sshd_config() {
        let Some(content) = crate::test_prerequisites::corpus_bytes("dvd/sshd_config") else {
            return;
        };
        assert!(SshdConfigAnalyzer.identify(&content));
        let evidence = SshdConfigAnalyzer.analyze(&content).unwrap();
        let value = |option: &str| {
            effective(&evidence, option)["value"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(value("permitrootlogin"), "yes");
        assert_eq!(effective(&evidence, "permitrootlogin")["line"], 12);
        assert_eq!(value("passwordauthentication"), "yes");
        assert_eq!(
            effective(&evidence, "passwordauthentication")["default"],
            true
        );
        assert_eq!(
            effective(&evidence, "passwordauthentication")["line"],
            24,
            "#PasswordAuthentication yes"
        );
        assert_eq!(value("x11forwarding"), "yes");
        assert_eq!(value("permitemptypasswords"), "no");
        assert_eq!(value("kbdinteractiveauthentication"), "no");
        assert_eq!(
            effective(&evidence, "kbdinteractiveauthentication")["keyword"],
            "ChallengeResponseAuthentication"
        );
        assert_eq!(value("usepam"), "yes");
        assert_eq!(value("maxauthtries"), "6");
        assert_eq!(value("port"), "22");
        assert_eq!(value("protocol"), "2");
        assert_eq!(value("listenaddress"), "0.0.0.0 ::");
        assert_eq!(value("permittunnel"), "no");
        assert_eq!(value("allowtcpforwarding"), "yes");
        assert!(evidence.document["match_blocks"]
            .as_array()
            .unwrap()
            .is_empty());
        assert_eq!(
            evidence.warnings.len(),
            1,
            "only the deprecated Protocol: {:?}",
            evidence.warnings
        );
    }
}
