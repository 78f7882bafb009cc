//! Wi-Fi configurations as evidence: what hostapd.conf (an access point) and
//! wpa_supplicant.conf (a client) have in common.
//!
//! Both analyzers turn their file into [`Network`]s of one shape (docs/evidence/wifi.md), so a
//! rule reads both kinds: the network's [`Security`] class, key management, ciphers,
//! management-frame protection ([`Pmf`]) and facts about its passphrase — its length, whether
//! it is on the catalogue of well-known passphrases (rules/catalogue/wifi-passphrases.txt),
//! whether it contains the SSID — never the passphrase or key itself. This module also holds
//! the encodings both files use for SSIDs and keys (quoted strings, hex, `P"…"`).

use crate::analyze::defaults;
use schemars::JsonSchema;
use serde::Serialize;

/// Which side of the link the configuration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// An access point (hostapd): stations join it.
    AccessPoint,
    /// A client (wpa_supplicant): it joins the networks listed.
    Client,
}

/// The protection of a network, in one word. An access point is as weak as the weakest option
/// it offers (an attacker joining as a station picks that one); a client is classified by the
/// strongest its configuration allows (the access point decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Security {
    /// No encryption at all.
    Open,
    /// WEP, static or dynamic (802.1X).
    Wep,
    /// WPA (version 1) with a pre-shared key.
    Wpa,
    /// WPA2 (RSN) with a pre-shared key.
    Wpa2,
    /// WPA3-Personal (SAE).
    Wpa3,
    /// WPA2 and WPA3 transition mode: PSK and SAE both accepted.
    #[serde(rename = "wpa2-wpa3")]
    Wpa2Wpa3,
    /// Opportunistic Wireless Encryption: encrypted, but anyone can join.
    Owe,
    /// 802.1X / EAP: a credential per user.
    Enterprise,
}

/// IEEE 802.11w management frame protection (`ieee80211w`, or wpa_supplicant's global
/// `pmf`): without it, anyone in range can forge the frames that disconnect a station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Pmf {
    /// 0 (the default): management frames are not protected.
    Disabled,
    /// 1: protected with the stations that support it.
    Optional,
    /// 2: every station must protect them.
    Required,
}

impl Pmf {
    /// The `ieee80211w` / `pmf` setting: 0, 1 or 2.
    pub fn from_setting(value: i64) -> Option<Pmf> {
        match value {
            0 => Some(Pmf::Disabled),
            1 => Some(Pmf::Optional),
            2 => Some(Pmf::Required),
            _ => None,
        }
    }
}

/// How the pre-shared key of a PSK or SAE network is stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PskStorage {
    /// The passphrase itself, in plain text.
    Passphrase,
    /// The 256-bit PSK derived from the passphrase, as 64 hex digits.
    RawPsk,
    /// In a separate file (hostapd `wpa_psk_file`).
    File,
    /// In an external password backend (wpa_supplicant `psk=ext:NAME`).
    External,
}

/// Which side of a network's choices its [`Security`] class names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// An access point: the weakest protection a station may negotiate with it, because an
    /// attacker joining as a station picks that one.
    Weakest,
    /// A client: the strongest protection its configuration allows; the access point then
    /// decides, and a downgrade needs the secret anyway.
    Strongest,
}

/// One network: a BSS of an access point (hostapd), or a `network` block of a client
/// (wpa_supplicant). Never the passphrase, PSK or WEP key: only their length, where they are
/// and whether the passphrase is a well-known one.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Network {
    /// The network name, decoded (hex, `P"…"`) and escaped for reports: control characters,
    /// `\`, `"`, direction overrides and bytes that are not UTF-8 as `\xNN` or `\u{…}`; empty
    /// (with a warning) when the BSS or block has none.
    pub ssid: String,
    /// How findings name the network: `network "SSID"` (escaped), or `any network` when the
    /// SSID is empty or missing (a client block without one joins any network).
    pub name: String,
    /// Where the network starts: the first line of the BSS (its first setting, or its `bss=`
    /// line), or the `network={` line. Findings on the network point here; findings on its
    /// secret point at `secret.line`.
    pub line: u32,
    /// The network's protection, in one word.
    pub security: Security,
    /// AKM suites, upper case as the files write them (`WPA-PSK`, `SAE`, `WPA-EAP`, `OWE`,
    /// `FT-PSK`, …), defaults applied; `NONE` alone for open and static WEP, `IEEE8021X` alone
    /// for dynamic WEP.
    pub key_management: Vec<String>,
    /// WPA protocol versions accepted: `wpa` (WPA1) and `rsn` (WPA2/WPA3); empty without WPA.
    pub protocols: Vec<String>,
    /// Pairwise ciphers accepted, defaults applied (`CCMP`, `TKIP`, `GCMP-256`, …); for WEP
    /// `WEP40`, `WEP104` or `WEP` (length unknown); empty when open.
    pub ciphers: Vec<String>,
    /// TKIP is the only pairwise cipher.
    pub tkip_only: bool,
    /// WPA version 1 is accepted, stated or by default (wpa_supplicant's `proto` defaults to
    /// `WPA RSN`).
    pub wpa1_allowed: bool,
    /// TKIP is among the pairwise ciphers, stated or by default (wpa_supplicant's `pairwise`
    /// defaults to `CCMP TKIP`, hostapd's `wpa_pairwise` to `TKIP`).
    pub tkip_allowed: bool,
    /// wpa_supplicant: `key_mgmt` lists `NONE` beside WPA suites, so the client also joins an
    /// open network of that name, and an impostor needs no secret.
    pub allows_open: bool,
    /// The network uses WEP (static or dynamic).
    pub wep: bool,
    /// WEP only: bits of the key in use (40 for 5 characters or 10 hex digits, 104 for 13 or
    /// 26).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wep_key_bits: Option<u32>,
    /// PSK and SAE networks only: how the pre-shared key is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psk_storage: Option<PskStorage>,
    /// Characters of the plain-text passphrase (never the passphrase itself); only when
    /// `psk_storage` is `passphrase`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passphrase_length: Option<u32>,
    /// The network's key or passphrase: where it is set and what is known of it, never the
    /// secret itself. Findings about the secret select this node and point at its line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
    /// Management frame protection (`ieee80211w`, default 0; for wpa_supplicant the global
    /// `pmf` when the block does not set it).
    pub pmf: Pmf,
    /// Wi-Fi Protected Setup is on (`wps_state` 1 or 2); always false for a client.
    pub wps: bool,
    /// hostapd: the SSID is not broadcast (`ignore_broadcast_ssid`); wpa_supplicant: the
    /// client probes for it by name (`scan_ssid=1`).
    pub hidden: bool,
    /// hostapd: the BSS's interface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// hostapd: MAC address filtering of the BSS (`macaddr_acl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub macaddr_acl: Option<MacAddressAcl>,
    /// wpa_supplicant: `priority=`, the network's preference among those in range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// wpa_supplicant: `disabled=1`, the network is not joined unless enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// wpa_supplicant: true for a `mode=2` network, an access point the client runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_point: Option<bool>,
    /// wpa_supplicant, enterprise networks: the `eap=` methods allowed; empty when unset
    /// (every method built in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eap_methods: Option<Vec<String>>,
    /// wpa_supplicant, enterprise networks whose methods include one that runs in TLS (PEAP,
    /// TTLS, TLS, FAST, TEAP, or `eap` unset): whether the server's certificate is checked
    /// against a CA (`ca_cert` or `ca_path` is set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_certificate_checked: Option<bool>,
}

/// hostapd's MAC address filtering (`macaddr_acl`). A MAC address is sent in clear and is
/// easily copied, so a filter keeps out no attacker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MacAddressAcl {
    /// 0 (the default): every station is accepted unless a deny list names it.
    AcceptUnlessDenied,
    /// 1: only the stations an accept list names are accepted.
    DenyUnlessAccepted,
    /// 2: a RADIUS server decides.
    Radius,
}

/// What a network's secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SecretKind {
    /// A WPA passphrase (hostapd `wpa_passphrase`, wpa_supplicant `psk="…"`).
    Passphrase,
    /// A WPA3 SAE password (`sae_password`).
    SaePassword,
    /// 64 hex digits of raw PSK.
    RawPsk,
    /// A static WEP key (`wep_keyN`).
    WepKey,
    /// Dynamic WEP: 802.1X hands out the keys; `line` is the network's.
    DynamicWep,
}

/// Facts about a network's key or passphrase, on the line that sets it; never the secret.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Secret {
    /// What the secret is.
    pub kind: SecretKind,
    /// The line that sets it (`wpa_passphrase`, `psk`, `wep_keyN`…).
    pub line: u32,
    /// The network's `name`, for messages.
    pub network: String,
    /// Characters of a passphrase or SAE password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// The passphrase (compared in any case) is on the catalogue of vendor and project
    /// defaults and first-guess passphrases (rules/catalogue/wifi-passphrases.txt, each entry
    /// with its source).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub well_known: Option<bool>,
    /// The passphrase contains the SSID, comparing letters and digits in any case
    /// (`Skyhawk07!2024` contains `SKYHAWK-07`); false for SSIDs of fewer than 4 letters and
    /// digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contains_ssid: Option<bool>,
    /// WEP: bits of the key (40 or 104), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// A passphrase's digest for the fleet's uniqueness check (`kind` `wifi-passphrase`,
    /// `label` the SSID): PBKDF2-HMAC-SHA256 with a fixed salt and 4096 rounds, WPA's own cost,
    /// so a guess costs what it costs against a captured handshake. Never the passphrase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet_secret: Option<crate::analyze::fleet_secret::FleetSecret>,
}

impl Network {
    /// A network with no protection; the analyzers fill in the rest. `ssid` is the SSID's
    /// bytes as the configuration gives them (after decoding hex or escapes).
    pub fn new(ssid: &[u8], line: u32) -> Network {
        let shown = escape_ssid(ssid);
        let name = if shown.is_empty() {
            "any network".to_owned()
        } else {
            format!("network \"{shown}\"")
        };
        Network {
            ssid: shown,
            name,
            line,
            security: Security::Open,
            key_management: vec!["NONE".to_owned()],
            protocols: Vec::new(),
            ciphers: Vec::new(),
            tkip_only: false,
            wpa1_allowed: false,
            tkip_allowed: false,
            allows_open: false,
            wep: false,
            wep_key_bits: None,
            psk_storage: None,
            passphrase_length: None,
            secret: None,
            pmf: Pmf::Disabled,
            wps: false,
            hidden: false,
            interface: None,
            macaddr_acl: None,
            priority: None,
            disabled: None,
            access_point: None,
            eap_methods: None,
            server_certificate_checked: None,
        }
    }

    /// A secret of `kind` set on `line`, for this network.
    fn secret(&self, kind: SecretKind, line: u32) -> Secret {
        Secret {
            kind,
            line,
            network: self.name.clone(),
            length: None,
            well_known: None,
            contains_ssid: None,
            bits: None,
            fleet_secret: None,
        }
    }

    /// Records a raw PSK set on `line`.
    pub fn set_raw_psk(&mut self, line: u32) {
        self.psk_storage = Some(PskStorage::RawPsk);
        self.secret = Some(self.secret(SecretKind::RawPsk, line));
    }

    /// Makes it a WEP network with a key of `key_bits` (when known), set on `line` (for
    /// dynamic WEP, the network's line).
    pub fn set_wep(&mut self, key_management: &str, key_bits: Option<u32>, line: u32) {
        let kind = if key_management == "IEEE8021X" {
            SecretKind::DynamicWep
        } else {
            SecretKind::WepKey
        };
        self.secret = Some(Secret {
            bits: key_bits,
            ..self.secret(kind, line)
        });
        self.security = Security::Wep;
        self.wep = true;
        self.key_management = vec![key_management.to_owned()];
        self.wep_key_bits = key_bits;
        self.ciphers = match key_bits {
            Some(bits) if bits > 40 => vec!["WEP104".to_owned()],
            Some(_) => vec!["WEP40".to_owned()],
            None => vec!["WEP".to_owned()],
        };
    }

    /// Makes it a WPA network of class `security`: `protocols` accepted, `ciphers` for
    /// pairwise keys.
    pub fn set_wpa(
        &mut self,
        security: Security,
        key_management: Vec<String>,
        protocols: Protocols,
        ciphers: Vec<String>,
    ) {
        self.security = security;
        // Only PSK and EAP negotiate WPA1 or TKIP: SAE, OWE and DPP are RSN with AES only, so a
        // default `proto`/`pairwise` beside them allows nothing older.
        let suites = Suites::of(&key_management);
        let legacy = suites.psk || suites.eap;
        self.protocols = protocols.names();
        self.wpa1_allowed = legacy && protocols.wpa;
        self.tkip_only = !ciphers.is_empty() && ciphers.iter().all(|cipher| cipher == "TKIP");
        self.tkip_allowed = legacy && ciphers.iter().any(|cipher| cipher == "TKIP");
        self.key_management = key_management;
        self.ciphers = ciphers;
    }

    /// Records facts about a plain-text passphrase (or SAE password) set on `line`, never
    /// the passphrase.
    pub fn set_passphrase(&mut self, passphrase: &str, line: u32, kind: SecretKind) {
        let length = u32::try_from(passphrase.chars().count()).unwrap_or(u32::MAX);
        self.psk_storage = Some(PskStorage::Passphrase);
        self.passphrase_length = Some(length);
        self.secret = Some(Secret {
            length: Some(length),
            well_known: Some(is_well_known(passphrase)),
            contains_ssid: Some(contains_ssid(passphrase, &self.ssid)),
            fleet_secret: Some(crate::analyze::fleet_secret::FleetSecret::new(
                crate::analyze::fleet_secret::SecretKind::WifiPassphrase,
                &self.ssid,
                passphrase.as_bytes(),
            )),
            ..self.secret(kind, line)
        });
    }
}

/// The WPA protocol versions a network accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Protocols {
    /// WPA version 1.
    pub wpa: bool,
    /// RSN: WPA2 and WPA3.
    pub rsn: bool,
}

impl Protocols {
    fn names(self) -> Vec<String> {
        let mut names = Vec::new();
        if self.wpa {
            names.push("wpa".to_owned());
        }
        if self.rsn {
            names.push("rsn".to_owned());
        }
        names
    }
}

/// The families of authentication and key management suites a network accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Suites {
    /// A pre-shared key (`WPA-PSK`, `WPA-PSK-SHA256`, `FT-PSK`, `WPA-NONE`).
    pub psk: bool,
    /// SAE, WPA3-Personal (`SAE`, `FT-SAE`, `SAE-EXT-KEY`, `FT-SAE-EXT-KEY`).
    pub sae: bool,
    /// 802.1X / EAP (`WPA-EAP`, `WPA-EAP-SHA256`, `FT-EAP`, `WPA-EAP-SUITE-B-192`, `FILS-…`).
    pub eap: bool,
    /// OWE.
    pub owe: bool,
    /// DPP, a public-key method of the WPA3 era.
    pub dpp: bool,
}

impl Suites {
    pub fn of(key_management: &[String]) -> Suites {
        let mut suites = Suites::default();
        for suite in key_management {
            match suite.as_str() {
                "WPA-PSK" | "WPA-PSK-SHA256" | "FT-PSK" | "WPA-NONE" => suites.psk = true,
                "SAE" | "FT-SAE" | "SAE-EXT-KEY" | "FT-SAE-EXT-KEY" => suites.sae = true,
                "OWE" => suites.owe = true,
                "DPP" => suites.dpp = true,
                other
                    if other.starts_with("WPA-EAP")
                        || other.starts_with("FT-EAP")
                        || other.starts_with("FILS-")
                        || other == "IEEE8021X"
                        || other == "OSEN" =>
                {
                    suites.eap = true
                }
                _ => {}
            }
        }
        suites
    }
}

/// The security class of a WPA network.
pub fn wpa_security(suites: Suites, protocols: Protocols, side: Side) -> Security {
    let personal = |sae_too: bool| match (side, protocols.wpa, protocols.rsn) {
        (Side::Weakest, true, _) | (Side::Strongest, true, false) => Security::Wpa,
        _ if sae_too => Security::Wpa2Wpa3,
        _ => Security::Wpa2,
    };
    if suites.psk {
        personal(suites.sae)
    } else if suites.sae || suites.dpp {
        Security::Wpa3
    } else if suites.eap {
        Security::Enterprise
    } else if suites.owe {
        Security::Owe
    } else {
        personal(false)
    }
}

/// Space-separated names, upper-cased (`wpa_key_mgmt`, `pairwise`, `proto`, `eap`).
pub fn names(value: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in value.split_whitespace().map(str::to_ascii_uppercase) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The text between the double quotes of a `"…"` value.
pub fn quoted(value: &str) -> Option<&str> {
    value.strip_prefix('"')?.strip_suffix('"')
}

/// Whether `value` is `length` hex digits.
pub fn is_hex(value: &str, length: usize) -> bool {
    value.len() == length && value.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// Decodes an SSID written as wpa_supplicant writes it (and hostapd's `ssid2`): `"text"`,
/// hex digits, or `P"text"` with C escapes, into its bytes (an SSID is 0 to 32 bytes of
/// anything).
pub fn decode_ssid(value: &str) -> Result<Vec<u8>, String> {
    if let Some(text) = quoted(value) {
        return Ok(text.as_bytes().to_vec());
    }
    if let Some(escaped) = value.strip_prefix('P').and_then(quoted) {
        return unescape(escaped);
    }
    decode_hex(value).ok_or_else(|| {
        format!(
            "SSID `{}` is neither a \"quoted\" string nor hex digits",
            escape_ssid(value.as_bytes())
        )
    })
}

/// An SSID for reports and terminals: UTF-8 text with control characters (and the
/// direction overrides that make text read differently from its bytes), `\\` and `"` escaped
/// as `\\xNN` or `\\u{…}`; bytes that are not UTF-8 as `\\xNN`.
pub fn escape_ssid(ssid: &[u8]) -> String {
    let mut shown = String::new();
    for chunk in ssid.utf8_chunks() {
        for character in chunk.valid().chars() {
            let bidi = matches!(character, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if character.is_control() || bidi || character == '\\' || character == '"' {
                match u8::try_from(u32::from(character)) {
                    Ok(byte) => shown.push_str(&format!("\\x{byte:02x}")),
                    Err(_) => shown.push_str(&format!("\\u{{{:x}}}", u32::from(character))),
                }
            } else {
                shown.push(character);
            }
        }
        for byte in chunk.invalid() {
            shown.push_str(&format!("\\x{byte:02x}"));
        }
    }
    shown
}

fn decode_hex(value: &str) -> Option<Vec<u8>> {
    if value.is_empty()
        || value.len() % 2 != 0
        || !value.bytes().all(|byte| byte.is_ascii_hexdigit())
    {
        return None;
    }
    (0..value.len())
        .step_by(2)
        .map(|index| {
            value
                .get(index..index + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

/// The C escapes of a `P"…"` string: `\\`, `\"`, `\n`, `\r`, `\t`, `\e` and `\xHH`.
fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(character) = chars.next() {
        if character != '\\' {
            let mut buffer = [0u8; 4];
            bytes.extend_from_slice(character.encode_utf8(&mut buffer).as_bytes());
            continue;
        }
        match chars.next() {
            Some('\\') => bytes.push(b'\\'),
            Some('"') => bytes.push(b'"'),
            Some('n') => bytes.push(b'\n'),
            Some('r') => bytes.push(b'\r'),
            Some('t') => bytes.push(b'\t'),
            Some('e') => bytes.push(0x1b),
            Some('x') => {
                let digits: String = chars.by_ref().take(2).collect();
                let byte = u8::from_str_radix(&digits, 16)
                    .map_err(|_| format!("`\\x{digits}` is not a hex escape"))?;
                bytes.push(byte);
            }
            other => {
                return Err(format!(
                    "unknown escape `\\{}`",
                    other.map(String::from).unwrap_or_default()
                ))
            }
        }
    }
    Ok(bytes)
}

/// The length in bits of a WEP key written as `"text"` (5 or 13 characters) or hex (10 or
/// 26 digits); `None` for anything else.
pub fn wep_key_bits(value: &str) -> Option<u32> {
    let bits = match quoted(value) {
        Some(text) => text.len() * 8,
        None if value.bytes().all(|byte| byte.is_ascii_hexdigit()) => value.len() * 4,
        None => return None,
    };
    match bits {
        40 | 104 | 128 => u32::try_from(bits).ok(),
        _ => None,
    }
}

/// Whether `passphrase` is on the catalogue of well-known passphrases (any case).
pub fn is_well_known(passphrase: &str) -> bool {
    defaults::passphrases()
        .secrets()
        .any(|entry| entry.eq_ignore_ascii_case(passphrase))
}

/// Whether the passphrase contains the SSID, comparing letters and digits in any case; an
/// SSID of fewer than 4 of them is too short to say.
fn contains_ssid(passphrase: &str, ssid: &str) -> bool {
    let fold = |text: &str| -> String {
        text.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let ssid = fold(ssid);
    ssid.chars().count() >= 4 && fold(passphrase).contains(&ssid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn access_points_are_as_weak_as_their_weakest_option() {
        let both = Protocols {
            wpa: true,
            rsn: true,
        };
        let rsn = Protocols {
            wpa: false,
            rsn: true,
        };
        let psk = Suites::of(&list(&["WPA-PSK"]));
        assert_eq!(wpa_security(psk, both, Side::Weakest), Security::Wpa);
        assert_eq!(wpa_security(psk, both, Side::Strongest), Security::Wpa2);
        assert_eq!(wpa_security(psk, rsn, Side::Weakest), Security::Wpa2);
        assert_eq!(
            wpa_security(Suites::of(&list(&["WPA-PSK", "SAE"])), rsn, Side::Weakest),
            Security::Wpa2Wpa3
        );
        assert_eq!(
            wpa_security(Suites::of(&list(&["SAE"])), rsn, Side::Weakest),
            Security::Wpa3
        );
        assert_eq!(
            wpa_security(Suites::of(&list(&["WPA-EAP-SHA256"])), rsn, Side::Weakest),
            Security::Enterprise
        );
        assert_eq!(
            wpa_security(Suites::of(&list(&["OWE"])), rsn, Side::Weakest),
            Security::Owe
        );
        assert_eq!(
            wpa_security(
                Suites::of(&list(&["WPA-PSK", "WPA-EAP"])),
                rsn,
                Side::Weakest
            ),
            Security::Wpa2
        );
    }

    #[test]
    fn ssids_decode_from_every_encoding() {
        let decoded = |value: &str| decode_ssid(value).unwrap();
        assert_eq!(decoded("\"Drone_Wifi\""), b"Drone_Wifi");
        assert_eq!(decoded("4472306e65"), b"Dr0ne");
        assert_eq!(decoded("P\"a\\\"b\\x41\""), b"a\"bA");
        assert_eq!(decoded("ff00"), [0xff, 0x00]);
        assert!(decode_ssid("Drone_Wifi").is_err());
        assert!(decode_ssid("abc").is_err());
        assert!(decode_ssid("P\"\\q\"").is_err());
    }

    #[test]
    fn ssids_are_escaped_for_messages() {
        // A hex SSID holding a terminal escape, a bidi override and bytes that are not UTF-8.
        let hostile = decode_ssid("1b5b33316d41e280ae42ff2f").unwrap();
        assert_eq!(escape_ssid(&hostile), "\\x1b[31mA\\u{202e}B\\xff/");
        assert_eq!(escape_ssid(b"a\"b\\c\n"), "a\\x22b\\x5cc\\x0a");
        let network = Network::new(&hostile, 4);
        assert_eq!(network.name, "network \"\\x1b[31mA\\u{202e}B\\xff/\"");
        assert!(!network.name.contains('\u{1b}'));
        assert_eq!(Network::new(b"", 4).name, "any network");
        assert_eq!(Network::new(b"Open.HD", 9).name, "network \"Open.HD\"");
    }

    #[test]
    fn wep_keys_have_40_or_104_bits() {
        assert_eq!(wep_key_bits("1234567890"), Some(40));
        assert_eq!(wep_key_bits("\"abcde\""), Some(40));
        assert_eq!(wep_key_bits("0102030405060708090a0b0c0d"), Some(104));
        assert_eq!(wep_key_bits("12345"), None);
        assert_eq!(wep_key_bits("\"abcd\""), None);
    }

    #[test]
    fn passphrase_facts_never_keep_the_passphrase() {
        let mut network = Network::new(b"Drone_Wifi", 3);
        network.set_passphrase("drone_wifi2024", 7, SecretKind::Passphrase);
        assert_eq!(network.passphrase_length, Some(14));
        let secret = network.secret.clone().expect("secret");
        assert_eq!((secret.line, secret.length), (7, Some(14)));
        assert_eq!(secret.contains_ssid, Some(true));
        assert_eq!(secret.well_known, Some(false));
        let json = serde_json::to_string(&network).unwrap();
        assert!(!json.contains("drone_wifi2024"), "{json}");
        network.set_passphrase("ArduPilot", 7, SecretKind::Passphrase);
        assert_eq!(
            network.secret.as_ref().and_then(|secret| secret.well_known),
            Some(true),
            "case does not matter"
        );
        assert!(is_well_known("12345678"));
        assert!(!is_well_known("# not an entry"));
        assert!(
            !contains_ssid("x-ap-1", "ap"),
            "SSIDs under 4 characters say nothing"
        );
    }

    /// Text made of the characters and words both formats are built from, in random order.
    fn noise(seed: u64, length: usize) -> String {
        const PIECES: &[&str] = &[
            "network={",
            "}",
            "\n",
            "=",
            "\"",
            "#",
            " ",
            "\t",
            "ssid",
            "psk",
            "wpa",
            "wep_key0",
            "key_mgmt",
            "bss",
            "NONE",
            "SAE",
            "P\"",
            "\\x",
            "4f",
            "0",
            "2",
            "-1",
            "é",
            "\r\n",
            "interface",
            "wpa_passphrase",
            "mode",
        ];
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..length)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                PIECES[usize::try_from(state >> 33).unwrap_or(0) % PIECES.len()]
            })
            .collect()
    }

    #[test]
    fn noise_in_either_format_never_panics() {
        use crate::analyze::{
            hostapd::HostapdAnalyzer, wpa_supplicant::WpaSupplicantAnalyzer, Analyzer,
        };
        for seed in 0..300 {
            let text = noise(seed, 200);
            for analyzer in [&HostapdAnalyzer as &dyn Analyzer, &WpaSupplicantAnalyzer] {
                let _ = analyzer.identify(text.as_bytes());
                let _ = analyzer.analyze(text.as_bytes());
            }
        }
    }
}
