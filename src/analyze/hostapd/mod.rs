//! hostapd.conf: the Wi-Fi access point a drone or its companion computer runs.
//!
//! A file is identified when its first meaningful lines are `key=value` lines with an `ssid`
//! and at least one key only hostapd uses, and no wpa_supplicant `network={` block. Each BSS
//! (the first one, then one per `bss=` line) becomes a [`Network`] of the shared Wi-Fi
//! evidence (docs/evidence/wifi.md), classified as hostapd does it: `wpa` is a bitfield (1
//! WPA, 2 RSN), `wpa_key_mgmt` defaults to `WPA-PSK`, `wpa_pairwise` to `TKIP`, and
//! `rsn_pairwise` to `wpa_pairwise`; without `wpa` the BSS uses WEP when a `wep_key` is set
//! and is open otherwise. An access point is as weak as the weakest option it offers.

use crate::analyze::text;
use crate::analyze::wifi::{
    self, MacAddressAcl, Network, Pmf, Protocols, PskStorage, Role, SecretKind, Side, Suites,
};
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use schemars::JsonSchema;
use serde::Serialize;

pub struct HostapdAnalyzer;

/// How many of the first meaningful lines identification reads.
const SNIFF_LINES: usize = 100;

/// Keys that say "hostapd" next to an `ssid`.
const HOSTAPD_KEYS: &[&str] = &[
    "interface",
    "driver",
    "hw_mode",
    "channel",
    "auth_algs",
    "wpa",
    "wpa_key_mgmt",
    "wpa_passphrase",
    "wpa_psk",
    "wpa_psk_file",
    "wpa_pairwise",
    "rsn_pairwise",
    "wep_key0",
    "wep_key1",
    "wep_key2",
    "wep_key3",
    "wep_default_key",
    "ignore_broadcast_ssid",
    "macaddr_acl",
    "bss",
    "ieee80211n",
    "ieee80211ac",
    "ieee80211ax",
    "ieee80211w",
    "ieee8021x",
    "country_code",
    "wmm_enabled",
    "ht_capab",
    "vht_capab",
    "beacon_int",
    "dtim_period",
    "wps_state",
    "bridge",
    "logger_syslog",
    "logger_stdout",
    "ctrl_interface_group",
    "sae_password",
    "own_ip_addr",
];

/// The evidence document of a hostapd.conf: the access point's radio and each network (BSS)
/// it serves, in the Wi-Fi evidence shape wpa_supplicant.conf shares (docs/evidence/wifi.md).
#[derive(Debug, Serialize, JsonSchema)]
pub struct HostapdEvidence {
    /// Always `access-point`.
    pub role: Role,
    /// The radio's interface (`interface=` of the first BSS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// `driver=` (`nl80211`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// `hw_mode=` (`a`, `b`, `g`, `ad`, `any`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hw_mode: Option<String>,
    /// `channel=` as written (`6`, `acs_survey`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// `country_code=`: the regulatory domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// One per BSS (the settings before the first `bss=`, then one per `bss=` line), in file
    /// order.
    pub networks: Vec<Network>,
}

/// A `key=value` line as identification reads it: a lowercase key of letters, digits, `_`.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once('=')?;
    let key = key.trim();
    let valid = !key.is_empty()
        && key
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_');
    valid.then_some((key, value))
}

impl Analyzer for HostapdAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::Hostapd
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["conf"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        let lines = text::sniff(content, &['#'], SNIFF_LINES);
        if lines.is_empty() || lines.iter().any(|line| line.starts_with("network=")) {
            return false;
        }
        let keys: Vec<&str> = lines
            .iter()
            .filter_map(|line| assignment(line))
            .map(|(key, _)| key)
            .collect();
        // hostapd refuses any other kind of line: tolerate one stray line in ten, no more.
        let nearly_all = keys.len() * 10 >= lines.len() * 9;
        let has_ssid = keys.iter().any(|key| *key == "ssid" || *key == "ssid2");
        nearly_all && has_ssid && keys.iter().any(|key| HOSTAPD_KEYS.contains(key))
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        _: crate::analyze::AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        let text = text::decode(content)?;
        let mut config = Config::default();
        for line in text::lines(text) {
            let line = line?;
            // hostapd only knows whole-line comments: a `#` inside a value (a passphrase, an
            // SSID) is part of it, so text::strip_comment would cut real values.
            let body = line.text.trim_start();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let Some((key, value)) = body.split_once('=') else {
                config.warnings.push(format!(
                    "line {}: not a `key=value` line, ignored",
                    line.number
                ));
                continue;
            };
            config.set(key.trim(), value, line.number);
        }
        let Config {
            radio,
            mut bsses,
            mut warnings,
        } = config;
        if bsses.iter().all(|bss| bss.is_empty()) {
            return Err(AnalyzeError::new("no hostapd setting found"));
        }
        bsses.retain(|bss| !bss.is_empty());
        let networks = bsses.iter().map(|bss| bss.network(&mut warnings)).collect();
        let evidence = HostapdEvidence {
            role: Role::AccessPoint,
            interface: bsses.first().and_then(|bss| bss.interface.clone()),
            driver: radio.driver,
            hw_mode: radio.hw_mode,
            channel: radio.channel,
            country_code: radio.country_code,
            networks,
        };
        let document = serde_json::to_value(&evidence)
            .map_err(|error| AnalyzeError::new(format!("cannot serialise evidence: {error}")))?;
        Ok(Evidence {
            incomplete: None,
            kind: ArtifactKind::Hostapd,
            document,
            lines: Default::default(),
            warnings,
        })
    }
}

/// Settings of the radio, shared by every BSS wherever they appear.
#[derive(Debug, Default)]
struct Radio {
    driver: Option<String>,
    hw_mode: Option<String>,
    channel: Option<String>,
    country_code: Option<String>,
}

/// What a file says, as it is read.
#[derive(Debug)]
struct Config {
    radio: Radio,
    /// The first BSS, then one per `bss=` line.
    bsses: Vec<Bss>,
    warnings: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            radio: Radio::default(),
            bsses: vec![Bss::default()],
            warnings: Vec::new(),
        }
    }
}

/// The settings of one BSS that security depends on. Secrets are kept only until their
/// facts are computed.
#[derive(Debug, Default)]
struct Bss {
    /// The first line of the BSS.
    line: u32,
    interface: Option<String>,
    ssid: Option<Vec<u8>>,
    wpa: u8,
    key_management: Option<Vec<String>>,
    wpa_pairwise: Option<Vec<String>>,
    rsn_pairwise: Option<Vec<String>>,
    passphrase: Option<(String, u32)>,
    sae_password: Option<(String, u32)>,
    /// The line of a raw `wpa_psk`.
    wpa_psk: Option<u32>,
    wpa_psk_file: bool,
    /// Each WEP key's bits (when valid) and line.
    wep_keys: [Option<(Option<u32>, u32)>; 4],
    wep_default_key: usize,
    ieee8021x: bool,
    wep_key_len_broadcast: u32,
    pmf: Option<Pmf>,
    wps_state: i64,
    hidden: bool,
    macaddr_acl: i64,
}

impl Config {
    fn set(&mut self, key: &str, value: &str, line: u32) {
        let trimmed = value.trim();
        match key {
            "driver" => self.radio.driver = Some(trimmed.to_owned()),
            "hw_mode" => self.radio.hw_mode = Some(trimmed.to_owned()),
            "channel" => self.radio.channel = Some(trimmed.to_owned()),
            "country_code" => self.radio.country_code = Some(trimmed.to_owned()),
            "bss" => self.bsses.push(Bss {
                line,
                interface: Some(trimmed.to_owned()),
                ..Bss::default()
            }),
            _ => {
                let Some(bss) = self.bsses.last_mut() else {
                    return;
                };
                if bss.line == 0 {
                    bss.line = line;
                }
                if let Err(problem) = bss.set(key, value, line) {
                    self.warnings.push(format!("line {line}: {key}: {problem}"));
                }
            }
        }
    }
}

impl Bss {
    fn is_empty(&self) -> bool {
        self.line == 0
    }

    fn set(&mut self, key: &str, value: &str, line: u32) -> Result<(), String> {
        let trimmed = value.trim();
        match key {
            "interface" => self.interface = Some(trimmed.to_owned()),
            // hostapd takes the rest of the line as the SSID, spaces included.
            "ssid" => self.ssid = Some(value.as_bytes().to_vec()),
            "ssid2" => self.ssid = Some(wifi::decode_ssid(trimmed)?),
            "wpa" => {
                self.wpa = u8::try_from(number(trimmed)?)
                    .ok()
                    .filter(|bits| *bits <= 3)
                    .ok_or("must be 0, 1, 2 or 3")?
            }
            "wpa_key_mgmt" => self.key_management = Some(wifi::names(trimmed)),
            "wpa_pairwise" => self.wpa_pairwise = Some(wifi::names(trimmed)),
            "rsn_pairwise" => self.rsn_pairwise = Some(wifi::names(trimmed)),
            "wpa_passphrase" => {
                let length = value.chars().count();
                self.passphrase = Some((value.to_owned(), line));
                if !(8..=63).contains(&length) {
                    return Err(format!(
                        "the passphrase is {length} characters long; hostapd accepts 8 to 63"
                    ));
                }
            }
            "sae_password" if self.sae_password.is_none() => {
                self.sae_password = Some((sae_password(value).to_owned(), line))
            }
            "wpa_psk" => {
                self.wpa_psk = Some(line);
                if !wifi::is_hex(trimmed, 64) {
                    return Err("a raw PSK is 64 hex digits".to_owned());
                }
            }
            "wpa_psk_file" => self.wpa_psk_file = true,
            "wep_key0" | "wep_key1" | "wep_key2" | "wep_key3" => {
                let bits = wifi::wep_key_bits(trimmed);
                let index = key
                    .strip_prefix("wep_key")
                    .and_then(|digit| digit.parse::<usize>().ok());
                if let Some(slot) = index.and_then(|index| self.wep_keys.get_mut(index)) {
                    *slot = Some((bits, line));
                }
                if bits.is_none() {
                    return Err(
                        "a WEP key is 5 or 13 quoted characters, or 10 or 26 hex digits".to_owned(),
                    );
                }
            }
            "wep_default_key" => {
                self.wep_default_key = usize::try_from(number(trimmed)?)
                    .ok()
                    .filter(|index| *index < 4)
                    .ok_or("must be 0 to 3")?
            }
            "ieee8021x" => self.ieee8021x = number(trimmed)? != 0,
            "wep_key_len_broadcast" => {
                self.wep_key_len_broadcast =
                    u32::try_from(number(trimmed)?).map_err(|_| "must not be negative")?
            }
            "ieee80211w" => {
                self.pmf = Some(Pmf::from_setting(number(trimmed)?).ok_or("must be 0, 1 or 2")?)
            }
            "wps_state" => self.wps_state = number(trimmed)?,
            "ignore_broadcast_ssid" => self.hidden = number(trimmed)? != 0,
            "macaddr_acl" => self.macaddr_acl = number(trimmed)?,
            _ => {}
        }
        Ok(())
    }

    /// The network this BSS is, as the shared Wi-Fi evidence describes it.
    fn network(&self, warnings: &mut Vec<String>) -> Network {
        let ssid = self.ssid.clone().unwrap_or_else(|| {
            warnings.push(format!(
                "line {}: the BSS starting here has no ssid",
                self.line
            ));
            Vec::new()
        });
        let mut network = Network::new(&ssid, self.line);
        network.interface = self.interface.clone();
        network.macaddr_acl = Some(match self.macaddr_acl {
            1 => MacAddressAcl::DenyUnlessAccepted,
            2 => MacAddressAcl::Radius,
            _ => MacAddressAcl::AcceptUnlessDenied,
        });
        network.pmf = self.pmf.unwrap_or(Pmf::Disabled);
        network.wps = matches!(self.wps_state, 1 | 2);
        network.hidden = self.hidden;
        if self.wpa == 0 {
            self.set_without_wpa(&mut network, warnings);
        } else {
            self.set_with_wpa(&mut network, warnings);
        }
        network
    }

    fn set_without_wpa(&self, network: &mut Network, warnings: &mut Vec<String>) {
        let default_key = self.wep_keys.get(self.wep_default_key).copied().flatten();
        let any_key = self.wep_keys.iter().flatten().next().copied();
        if let Some((bits, line)) = default_key.or(any_key) {
            network.set_wep("NONE", bits, line);
        } else if self.ieee8021x && self.wep_key_len_broadcast > 0 {
            // Dynamic WEP: 802.1X hands out WEP keys of this many bytes.
            let bits = self.wep_key_len_broadcast.checked_mul(8);
            network.set_wep("IEEE8021X", bits, self.line);
        }
        if let Some((_, line)) = &self.passphrase {
            let state = if network.wep { "uses WEP" } else { "is open" };
            warnings.push(format!(
                "line {line}: wpa_passphrase has no effect without `wpa=`: the network {state}"
            ));
        }
    }

    fn set_with_wpa(&self, network: &mut Network, warnings: &mut Vec<String>) {
        let protocols = Protocols {
            wpa: self.wpa & 1 != 0,
            rsn: self.wpa & 2 != 0,
        };
        let key_management = self
            .key_management
            .clone()
            .unwrap_or_else(|| vec!["WPA-PSK".to_owned()]);
        let wpa_pairwise = self
            .wpa_pairwise
            .clone()
            .unwrap_or_else(|| vec!["TKIP".to_owned()]);
        let rsn_pairwise = self
            .rsn_pairwise
            .clone()
            .unwrap_or_else(|| wpa_pairwise.clone());
        let mut ciphers: Vec<String> = Vec::new();
        let offered = [
            (protocols.wpa, &wpa_pairwise),
            (protocols.rsn, &rsn_pairwise),
        ];
        for cipher in offered
            .into_iter()
            .filter(|(used, _)| *used)
            .flat_map(|(_, list)| list.iter())
        {
            if !ciphers.contains(cipher) {
                ciphers.push(cipher.clone());
            }
        }
        let suites = Suites::of(&key_management);
        let security = wifi::wpa_security(suites, protocols, Side::Weakest);
        network.set_wpa(security, key_management, protocols, ciphers);
        if !(suites.psk || suites.sae) {
            return;
        }
        if let Some((passphrase, line)) = &self.passphrase {
            network.set_passphrase(passphrase, *line, SecretKind::Passphrase);
        } else if let Some((password, line)) = &self.sae_password {
            network.set_passphrase(password, *line, SecretKind::SaePassword);
        } else if let Some(line) = self.wpa_psk {
            network.set_raw_psk(line);
        } else if self.wpa_psk_file {
            network.psk_storage = Some(PskStorage::File);
        } else {
            warnings.push(format!("line {}: the BSS starting here uses a pre-shared key but sets none (hostapd refuses it)", self.line));
        }
    }
}

/// The password of an `sae_password` value, without its `|mac=`, `|id=`… attributes.
fn sae_password(value: &str) -> &str {
    let end = ["|mac=", "|vlanid=", "|pk=", "|id="]
        .iter()
        .filter_map(|marker| value.find(marker))
        .min()
        .unwrap_or(value.len());
    &value[..end]
}

fn number(value: &str) -> Result<i64, String> {
    value
        .parse()
        .map_err(|_| format!("`{value}` is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{identify, wpa_supplicant::WpaSupplicantAnalyzer};
    use std::path::Path;

    fn analyze(text: &str) -> Evidence {
        HostapdAnalyzer.analyze(text.as_bytes()).unwrap()
    }

    const COMPANION_AP: &str = "\
# Raspberry Pi 4 companion: access point for the ground station
interface=wlan0
driver=nl80211
ssid=SKY-X8-04
hw_mode=a
channel=36
country_code=DE
wpa=2
wpa_key_mgmt=WPA-PSK SAE
rsn_pairwise=CCMP
wpa_passphrase=Fj#8u2-wq!Lr0pz
ieee80211w=1

bss=wlan0_1
ssid=SKY-X8-04-guest
wpa=3
wpa_passphrase=12345678
wps_state=2
ignore_broadcast_ssid=1
";

    #[test]
    fn the_evidence_follows_its_schema() {
        // The companion's two BSSes and a legacy WEP one behind a MAC filter.
        let three = format!(
            "{COMPANION_AP}\nbss=wlan0_2\nssid=SKY-X8-04-legacy\nwep_key0=1234567890\nmacaddr_acl=1\n"
        );
        let evidence = analyze(&three);
        let legacy = &evidence.document["networks"][2];
        assert_eq!(legacy["security"], "wep");
        assert_eq!(legacy["macaddr_acl"], "deny-unless-accepted");
        crate::analyze::schema::assert_follows_schema(
            crate::analyze::ArtifactKind::Hostapd,
            &evidence.document,
        );
        for corpus in ["dvd/hostapd.conf", "openhd/apconfig.txt"] {
            if let Some(content) = crate::test_prerequisites::corpus_bytes(corpus) {
                let evidence = HostapdAnalyzer.analyze(&content).unwrap();
                crate::analyze::schema::assert_follows_schema(
                    crate::analyze::ArtifactKind::Hostapd,
                    &evidence.document,
                );
            }
        }
    }

    #[test]
    fn each_bss_is_a_network_with_its_own_settings() {
        let evidence = analyze(COMPANION_AP);
        let document = &evidence.document;
        assert_eq!(document["role"], "access-point");
        assert_eq!(document["interface"], "wlan0");
        assert_eq!(document["channel"], "36");
        let main = &document["networks"][0];
        assert_eq!(main["ssid"], "SKY-X8-04");
        assert_eq!(main["line"], 2);
        assert_eq!(main["security"], "wpa2-wpa3");
        assert_eq!(main["ciphers"], serde_json::json!(["CCMP"]));
        assert_eq!(
            main["passphrase_length"], 15,
            "a # inside a value is not a comment"
        );
        assert_eq!(main["secret"]["line"], 11);
        assert_eq!(main["pmf"], "optional");
        let guest = &document["networks"][1];
        assert_eq!(guest["line"], 14);
        assert_eq!(guest["interface"], "wlan0_1");
        assert_eq!(guest["security"], "wpa", "wpa=3 lets stations pick WPA1");
        assert_eq!(
            guest["ciphers"],
            serde_json::json!(["TKIP"]),
            "rsn_pairwise defaults to wpa_pairwise, TKIP"
        );
        assert_eq!(guest["tkip_only"], true);
        assert_eq!(guest["secret"]["well_known"], true);
        assert_eq!(guest["wps"], true);
        assert_eq!(guest["hidden"], true);
        assert_eq!(
            guest["pmf"], "disabled",
            "a new BSS starts from the defaults"
        );
        assert!(evidence.warnings.is_empty(), "{:?}", evidence.warnings);
    }

    #[test]
    fn without_wpa_a_network_is_wep_or_open() {
        let wep = analyze("interface=wlan0\nssid=cam\nauth_algs=2\nwep_default_key=1\nwep_key0=\"abcde\"\nwep_key1=0102030405060708090a0b0c0d\n");
        let network = &wep.document["networks"][0];
        assert_eq!(network["security"], "wep");
        assert_eq!(network["wep_key_bits"], 104, "the default key decides");
        assert_eq!(network["ciphers"], serde_json::json!(["WEP104"]));
        let open = analyze("interface=wlan0\nssid=cam\nwpa_passphrase=longenough123\n");
        let network = &open.document["networks"][0];
        assert_eq!(network["security"], "open");
        assert!(
            network.get("passphrase_length").is_none(),
            "an unused passphrase is no fact"
        );
        assert_eq!(
            open.warnings,
            ["line 3: wpa_passphrase has no effect without `wpa=`: the network is open"]
        );
    }

    #[test]
    fn keys_other_than_passphrases_are_classified() {
        let raw = analyze(&format!(
            "interface=wlan0\nssid=gcs\nwpa=2\nrsn_pairwise=CCMP\nwpa_psk={}\n",
            "ab".repeat(32)
        ));
        let network = &raw.document["networks"][0];
        assert_eq!(network["psk_storage"], "raw-psk");
        assert!(network.get("passphrase_length").is_none());
        let eap = analyze("interface=wlan0\nssid=corp\nwpa=2\nieee8021x=1\nwpa_key_mgmt=WPA-EAP\nrsn_pairwise=CCMP\nieee80211w=2\n");
        assert_eq!(eap.document["networks"][0]["security"], "enterprise");
        assert!(eap.document["networks"][0].get("psk_storage").is_none());
        let owe =
            analyze("interface=wlan0\nssid=open-enc\nwpa=2\nwpa_key_mgmt=OWE\nrsn_pairwise=CCMP\n");
        assert_eq!(owe.document["networks"][0]["security"], "owe");
        let sae = analyze("interface=wlan0\nssid=ap\nwpa=2\nwpa_key_mgmt=SAE\nrsn_pairwise=CCMP\nsae_password=drone123|id=pilot\n");
        assert_eq!(sae.document["networks"][0]["passphrase_length"], 8);
        assert_eq!(sae.document["networks"][0]["secret"]["well_known"], true);
    }

    #[test]
    fn hex_ssids_and_bad_values_are_handled() {
        let evidence = analyze("interface=wlan0\nssid2=4472306e65\nwpa=7\nieee80211w=yes\nwpa_passphrase=short\nwpa=2\nrsn_pairwise=CCMP\njust text\n");
        let network = &evidence.document["networks"][0];
        assert_eq!(network["ssid"], "Dr0ne");
        assert_eq!(network["security"], "wpa2");
        assert_eq!(network["passphrase_length"], 5);
        assert_eq!(
            evidence.warnings,
            [
                "line 3: wpa: must be 0, 1, 2 or 3",
                "line 4: ieee80211w: `yes` is not a number",
                "line 5: wpa_passphrase: the passphrase is 5 characters long; hostapd accepts 8 to 63",
                "line 8: not a `key=value` line, ignored",
            ]
        );
    }

    #[test]
    fn hostapd_is_told_apart_from_other_files() {
        assert!(HostapdAnalyzer.identify(COMPANION_AP.as_bytes()));
        let supplicant =
            b"ctrl_interface=/run/wpa_supplicant\nnetwork={\n ssid=\"x\"\n psk=\"12345678\"\n}\n";
        assert!(!HostapdAnalyzer.identify(supplicant));
        assert!(WpaSupplicantAnalyzer.identify(supplicant));
        assert!(
            !HostapdAnalyzer.identify(b"[connection]\nid=drone\n[wifi]\nssid=drone\nmode=ap\n"),
            "NetworkManager keyfile"
        );
        assert!(
            !HostapdAnalyzer.identify(b"name=telemetry\nchannel=6\nbaud=57600\n"),
            "no ssid"
        );
        assert!(
            !HostapdAnalyzer.identify(b"ssid=x\npassword=y\n"),
            "no hostapd key"
        );
        assert!(!HostapdAnalyzer.identify(b"\x7fELF\x02\x01\x01\0\0\0ssid=x\ninterface=y\n"));
        assert!(!HostapdAnalyzer.identify(b""));
        let path = Path::new("hostapd.conf");
        assert_eq!(
            identify(path, COMPANION_AP.as_bytes()).map(|analyzer| analyzer.kind()),
            Some(ArtifactKind::Hostapd)
        );
    }

    #[test]
    fn hostile_input_is_an_error_or_a_warning_never_a_panic() {
        assert!(HostapdAnalyzer.analyze(b"ssid=x\n\0\0").is_err());
        assert!(HostapdAnalyzer.analyze(b"# nothing\n").is_err());
        let evidence = HostapdAnalyzer
            .analyze("bss=\nwep_key9=1\nwep_key3=zz\n=\u{fffd}=\nwpa=\n".as_bytes())
            .unwrap();
        assert!(!evidence.warnings.is_empty());
    }

    #[test]
    fn damn_vulnerable_drone_access_point() {
        let Some(content) = crate::test_prerequisites::corpus_bytes("dvd/hostapd.conf") else {
            return;
        };
        assert!(HostapdAnalyzer.identify(&content));
        let evidence = HostapdAnalyzer.analyze(&content).unwrap();
        let network = &evidence.document["networks"][0];
        assert_eq!(network["ssid"], "Drone_Wifi");
        assert_eq!(network["line"], 1);
        assert_eq!(network["security"], "wep");
        assert_eq!(network["wep_key_bits"], 40);
        assert_eq!(network["hidden"], false);
        assert_eq!(network["macaddr_acl"], "accept-unless-denied");
        assert_eq!(evidence.document["driver"], "nl80211");
        let text = serde_json::to_string(&evidence.document).unwrap();
        assert!(
            !text.contains("1234567890"),
            "the WEP key never reaches the evidence"
        );
        assert_eq!(
            evidence.document["networks"].as_array().map(Vec::len),
            Some(1)
        );
        assert!(network.get("passphrase_length").is_none());
    }
}
