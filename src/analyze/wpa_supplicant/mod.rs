//! wpa_supplicant.conf: the Wi-Fi networks a ground station or companion computer joins.
//!
//! A file is identified by a `network={` block among its first meaningful lines, or by a
//! `ctrl_interface=` next to another global key only wpa_supplicant uses. Each `network`
//! block becomes a [`Network`] of the shared Wi-Fi evidence (docs/evidence/wifi.md), read as
//! wpa_supplicant reads it: `key_mgmt` defaults to `WPA-PSK WPA-EAP`, `proto` to `WPA RSN`,
//! `pairwise` to `CCMP TKIP`; `key_mgmt=NONE` is WEP when a `wep_key` is set and open
//! otherwise; `psk` is a quoted passphrase or 64 hex digits of raw PSK. A client is classified
//! by the strongest protection its configuration allows (the access point decides), except a
//! `mode=2` network, which the client serves as an access point.

use crate::analyze::text;
use crate::analyze::wifi::{
    self, Network, Pmf, Protocols, PskStorage, Role, SecretKind, Side, Suites,
};
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use schemars::JsonSchema;
use serde::Serialize;

pub struct WpaSupplicantAnalyzer;

/// How many of the first meaningful lines identification reads.
const SNIFF_LINES: usize = 100;

/// Global keys that, next to `ctrl_interface=`, say "wpa_supplicant".
const GLOBAL_KEYS: &[&str] = &[
    "update_config",
    "ap_scan",
    "eapol_version",
    "fast_reauth",
    "country",
    "p2p_disabled",
    "pmf",
    "sae_groups",
    "driver_param",
    "device_name",
    "device_type",
    "manufacturer",
    "config_methods",
    "wps_cred_processing",
    "bgscan",
    "autoscan",
    "mac_addr",
    "preassoc_mac_addr",
    "passive_scan",
    "okc",
    "dot11RSNAConfigPMKLifetime",
];

/// EAP methods that run inside TLS and so trust whichever server certificate they are shown
/// unless a CA is configured.
const TLS_METHODS: &[&str] = &["PEAP", "TTLS", "TLS", "FAST", "TEAP"];

/// The evidence document of a wpa_supplicant.conf: the client's global settings and each
/// network it joins, in the Wi-Fi evidence shape hostapd.conf shares (docs/evidence/wifi.md).
#[derive(Debug, Serialize, JsonSchema)]
pub struct WpaSupplicantEvidence {
    /// Always `client`.
    pub role: Role,
    /// `ctrl_interface=` as written (`DIR=/var/run/wpa_supplicant GROUP=netdev`): where, and to
    /// which group, wpa_supplicant offers its control interface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctrl_interface: Option<String>,
    /// `update_config=1`: changes made through the control interface are written back to the
    /// file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_config: Option<bool>,
    /// `country=`: the regulatory domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// One per `network={ … }` block, in file order.
    pub networks: Vec<Network>,
}

impl Analyzer for WpaSupplicantAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::WpaSupplicant
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["conf"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        let lines = text::sniff(content, &['#'], SNIFF_LINES);
        if lines.contains(&"network={") {
            return true;
        }
        let keys: Vec<&str> = lines
            .iter()
            .filter_map(|line| line.split_once('='))
            .map(|(key, _)| key.trim())
            .collect();
        keys.contains(&"ctrl_interface")
            && !keys.contains(&"ssid")
            && keys.iter().any(|key| GLOBAL_KEYS.contains(key))
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
            config.read_line(strip_comment(line.text), line.number);
        }
        config.close_at_end();
        let Config {
            globals,
            blocks,
            mut warnings,
            ..
        } = config;
        if blocks.is_empty() && globals.is_empty() {
            return Err(AnalyzeError::new("no wpa_supplicant setting found"));
        }
        let networks = blocks
            .iter()
            .map(|block| block.network(&globals, &mut warnings))
            .collect();
        let evidence = WpaSupplicantEvidence {
            role: Role::Client,
            ctrl_interface: globals.ctrl_interface,
            update_config: globals.update_config,
            country: globals.country,
            networks,
        };
        let document = serde_json::to_value(&evidence)
            .map_err(|error| AnalyzeError::new(format!("cannot serialise evidence: {error}")))?;
        Ok(Evidence {
            incomplete: None,
            kind: ArtifactKind::WpaSupplicant,
            document,
            lines: Default::default(),
            warnings,
        })
    }
}

/// A line without its comment, trimmed, as wpa_supplicant reads it: a `#` starts a comment
/// unless it sits before the last double quote of the line (inside a quoted value), which is
/// why text::strip_comment, which cuts at the first `#`, cannot be used here.
fn strip_comment(line: &str) -> &str {
    let search_from = match line.find('"') {
        Some(open) => line[open + 1..]
            .rfind('"')
            .map_or(0, |close| open + 1 + close + 1),
        None => 0,
    };
    let end = line[search_from..]
        .find('#')
        .map_or(line.len(), |hash| search_from + hash);
    line[..end].trim()
}

/// Global settings.
#[derive(Debug, Default)]
struct Globals {
    ctrl_interface: Option<String>,
    update_config: Option<bool>,
    country: Option<String>,
    pmf: Option<Pmf>,
    any: bool,
}

impl Globals {
    fn is_empty(&self) -> bool {
        !self.any
    }
}

/// Where the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Global,
    /// Inside the `network` block at this index of `blocks`.
    Network(usize),
    /// Inside another block (`cred={`, `blob-base64-NAME={`) opened on this line: skipped.
    Other(u32),
}

#[derive(Debug)]
struct Config {
    globals: Globals,
    blocks: Vec<NetworkBlock>,
    place: Place,
    warnings: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            globals: Globals::default(),
            blocks: Vec::new(),
            place: Place::Global,
            warnings: Vec::new(),
        }
    }
}

impl Config {
    fn read_line(&mut self, body: &str, line: u32) {
        if body.is_empty() {
            return;
        }
        if body == "}" {
            if self.place == Place::Global {
                self.warnings
                    .push(format!("line {line}: `}}` closes no block, ignored"));
            }
            self.place = Place::Global;
            return;
        }
        if let Some(opened) = body.strip_suffix('{') {
            self.open_block(opened.trim_end(), line);
            return;
        }
        let Some((key, value)) = body.split_once('=') else {
            self.warnings
                .push(format!("line {line}: not a `key=value` line, ignored"));
            return;
        };
        let (key, value) = (key.trim(), value.trim());
        match self.place {
            Place::Global => self.set_global(key, value, line),
            Place::Network(index) => {
                if let Some(block) = self.blocks.get_mut(index) {
                    if let Err(problem) = block.set(key, value, line) {
                        self.warnings.push(format!("line {line}: {key}: {problem}"));
                    }
                }
            }
            Place::Other(_) => {}
        }
    }

    fn open_block(&mut self, opened: &str, line: u32) {
        if let Place::Network(index) = self.place {
            let start = self.blocks.get(index).map_or(0, |block| block.line);
            self.warnings.push(format!("line {line}: a block opens inside the network block of line {start}, which is taken as closed"));
        }
        if opened == "network=" {
            self.blocks.push(NetworkBlock {
                line,
                ..NetworkBlock::default()
            });
            self.place = Place::Network(self.blocks.len() - 1);
        } else {
            self.place = Place::Other(line);
        }
    }

    fn set_global(&mut self, key: &str, value: &str, line: u32) {
        self.globals.any = true;
        let result = match key {
            "ctrl_interface" => {
                self.globals.ctrl_interface = Some(value.to_owned());
                Ok(())
            }
            "update_config" => {
                number(value).map(|setting| self.globals.update_config = Some(setting != 0))
            }
            "country" => {
                self.globals.country = Some(value.to_owned());
                Ok(())
            }
            "pmf" => pmf(value).map(|setting| self.globals.pmf = Some(setting)),
            "ssid" | "psk" | "key_mgmt" => {
                Err("belongs in a `network={` block; ignored here".to_owned())
            }
            _ => Ok(()),
        };
        if let Err(problem) = result {
            self.warnings.push(format!("line {line}: {key}: {problem}"));
        }
    }

    fn close_at_end(&mut self) {
        match self.place {
            Place::Network(index) => {
                let start = self.blocks.get(index).map_or(0, |block| block.line);
                self.warnings.push(format!(
                    "line {start}: the network block opened here is not closed"
                ));
            }
            Place::Other(start) => self
                .warnings
                .push(format!("line {start}: the block opened here is not closed")),
            Place::Global => {}
        }
        self.place = Place::Global;
    }
}

/// The settings of one `network` block that security depends on. Secrets are kept only
/// until their facts are computed.
#[derive(Debug, Default)]
struct NetworkBlock {
    /// The `network={` line.
    line: u32,
    ssid: Option<Vec<u8>>,
    key_management: Option<Vec<String>>,
    proto: Option<Vec<String>>,
    pairwise: Option<Vec<String>>,
    psk: Option<(String, u32)>,
    sae_password: Option<(String, u32)>,
    /// Each WEP key's bits (when valid) and line.
    wep_keys: [Option<(Option<u32>, u32)>; 4],
    wep_tx_keyidx: usize,
    pmf: Option<Pmf>,
    priority: Option<i64>,
    disabled: bool,
    scan_ssid: bool,
    access_point: bool,
    eap: Option<Vec<String>>,
    identity: bool,
    ca_configured: bool,
}

impl NetworkBlock {
    fn set(&mut self, key: &str, value: &str, line: u32) -> Result<(), String> {
        match key {
            "ssid" => self.ssid = Some(wifi::decode_ssid(value)?),
            "key_mgmt" => self.key_management = Some(wifi::names(value)),
            "proto" => self.proto = Some(wifi::names(value)),
            "pairwise" => self.pairwise = Some(wifi::names(value)),
            "psk" => {
                self.psk = Some((value.to_owned(), line));
                if let Some(passphrase) = wifi::quoted(value) {
                    let length = passphrase.chars().count();
                    if !(8..=63).contains(&length) {
                        return Err(format!("the passphrase is {length} characters long; wpa_supplicant accepts 8 to 63"));
                    }
                } else if !wifi::is_hex(value, 64) && !value.starts_with("ext:") {
                    return Err(
                        "neither a \"quoted\" passphrase, 64 hex digits of raw PSK, nor ext:NAME"
                            .to_owned(),
                    );
                }
            }
            "sae_password" => {
                let password = wifi::quoted(value).ok_or("must be a \"quoted\" string")?;
                self.sae_password = Some((password.to_owned(), line));
            }
            "wep_key0" | "wep_key1" | "wep_key2" | "wep_key3" => {
                let bits = wifi::wep_key_bits(value);
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
            "wep_tx_keyidx" => {
                self.wep_tx_keyidx = usize::try_from(number(value)?)
                    .ok()
                    .filter(|index| *index < 4)
                    .ok_or("must be 0 to 3")?
            }
            "ieee80211w" => self.pmf = Some(pmf(value)?),
            "priority" => self.priority = Some(number(value)?),
            "disabled" => self.disabled = number(value)? == 1,
            "scan_ssid" => self.scan_ssid = number(value)? != 0,
            "mode" => self.access_point = number(value)? == 2,
            "eap" => self.eap = Some(wifi::names(value)),
            "identity" => self.identity = true,
            "ca_cert" | "ca_path" => self.ca_configured |= !matches!(value, "" | "\"\""),
            _ => {}
        }
        Ok(())
    }

    /// The network this block is, as the shared Wi-Fi evidence describes it.
    fn network(&self, globals: &Globals, warnings: &mut Vec<String>) -> Network {
        let ssid = self.ssid.clone().unwrap_or_else(|| {
            warnings.push(format!(
                "line {}: the network block opened here has no ssid",
                self.line
            ));
            Vec::new()
        });
        let mut network = Network::new(&ssid, self.line);
        network.pmf = self.pmf.or(globals.pmf).unwrap_or(Pmf::Disabled);
        network.hidden = self.scan_ssid;
        network.priority = self.priority;
        network.disabled = Some(self.disabled);
        network.access_point = self.access_point.then_some(true);
        let stated = self.key_management.clone();
        let key_management = stated
            .clone()
            .unwrap_or_else(|| vec!["WPA-PSK".to_owned(), "WPA-EAP".to_owned()]);
        let wep_key = self
            .wep_keys
            .get(self.wep_tx_keyidx)
            .copied()
            .flatten()
            .or_else(|| self.wep_keys.iter().flatten().next().copied());
        if key_management == ["NONE"] {
            if let Some((bits, line)) = wep_key {
                network.set_wep("NONE", bits, line);
            }
            return network;
        }
        if key_management == ["IEEE8021X"] {
            // 802.1X without WPA: dynamic WEP.
            network.set_wep("IEEE8021X", wep_key.and_then(|(bits, _)| bits), self.line);
            return network;
        }
        // NONE beside WPA suites: the client also joins an open network of this name.
        let allows_open = key_management.iter().any(|suite| suite == "NONE");
        self.set_wpa(&mut network, key_management, stated.is_some(), warnings);
        network.allows_open = allows_open;
        network
    }

    fn set_wpa(
        &self,
        network: &mut Network,
        key_management: Vec<String>,
        stated: bool,
        warnings: &mut Vec<String>,
    ) {
        let proto = self
            .proto
            .clone()
            .unwrap_or_else(|| vec!["WPA".to_owned(), "RSN".to_owned()]);
        let protocols = Protocols {
            wpa: proto.iter().any(|name| name == "WPA"),
            rsn: proto.iter().any(|name| name == "RSN" || name == "WPA2"),
        };
        let ciphers = self
            .pairwise
            .clone()
            .unwrap_or_else(|| vec!["CCMP".to_owned(), "TKIP".to_owned()]);
        let mut suites = Suites::of(&key_management);
        if !stated {
            // The default `WPA-PSK WPA-EAP` serves whichever credentials the block holds.
            let has_key = self.psk.is_some() || self.sae_password.is_some();
            suites.eap &= !has_key;
            suites.psk &= has_key || !(self.identity || self.eap.is_some());
        }
        let side = if self.access_point {
            Side::Weakest
        } else {
            Side::Strongest
        };
        let security = wifi::wpa_security(suites, protocols, side);
        network.set_wpa(security, key_management, protocols, ciphers);
        if security == wifi::Security::Enterprise {
            let methods = self.eap.clone().unwrap_or_default();
            let tls_based = methods.is_empty()
                || methods
                    .iter()
                    .any(|method| TLS_METHODS.contains(&method.as_str()));
            network.server_certificate_checked = tls_based.then_some(self.ca_configured);
            network.eap_methods = Some(methods);
        }
        if !(suites.psk || suites.sae) {
            return;
        }
        match (&self.psk, &self.sae_password) {
            (Some((value, line)), _) => match wifi::quoted(value) {
                Some(passphrase) => {
                    network.set_passphrase(passphrase, *line, SecretKind::Passphrase)
                }
                None if value.starts_with("ext:") => {
                    network.psk_storage = Some(PskStorage::External)
                }
                None => network.set_raw_psk(*line),
            },
            (None, Some((password, line))) => {
                network.set_passphrase(password, *line, SecretKind::SaePassword)
            }
            (None, None) => warnings.push(format!(
                "line {}: the network block opened here uses a pre-shared key but sets no psk",
                self.line
            )),
        }
    }
}

fn number(value: &str) -> Result<i64, String> {
    value
        .parse()
        .map_err(|_| format!("`{value}` is not a number"))
}

fn pmf(value: &str) -> Result<Pmf, String> {
    Pmf::from_setting(number(value)?).ok_or_else(|| "must be 0, 1 or 2".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::hostapd::HostapdAnalyzer;

    fn analyze(text: &str) -> Evidence {
        WpaSupplicantAnalyzer.analyze(text.as_bytes()).unwrap()
    }

    const GROUND_STATION: &str = r#"ctrl_interface=DIR=/var/run/wpa_supplicant GROUP=netdev
update_config=1
country=US

# The drone's companion access point
network={
    ssid="SKY-X8-04"
    psk="Fj#8u2-wq!Lr0pz" # the # inside the quotes is part of the passphrase
    key_mgmt=WPA-PSK
    priority=10
}

network={
	ssid=4472306e65
	psk=0f7d2a51b9c4e8f3a6d05c1e9b7a24f80d3c6e1b5a9f2d7c4e8b0a6f3d1c5e92
	proto=WPA
	pairwise=TKIP
	ieee80211w=2
	disabled=1
}

network={
	ssid="hangar-eap"
	key_mgmt=WPA-EAP
	eap=PEAP
	identity="pilot"
	scan_ssid=1
}
"#;

    #[test]
    fn the_evidence_follows_its_schema() {
        // The ground station's networks and the hotspot it runs for the pilot's tablet.
        let with_hotspot = format!(
            "{GROUND_STATION}\nnetwork={{\n\tssid=\"GCS-hotspot\"\n\tmode=2\n\tkey_mgmt=WPA-PSK\n\tpsk=\"ardupilot\"\n}}\n"
        );
        let evidence = analyze(&with_hotspot);
        let hotspot = &evidence.document["networks"][3];
        assert_eq!(hotspot["access_point"], true);
        assert_eq!(hotspot["secret"]["well_known"], true);
        crate::analyze::schema::assert_follows_schema(
            crate::analyze::ArtifactKind::WpaSupplicant,
            &evidence.document,
        );
        if let Some(content) = crate::test_prerequisites::corpus_bytes("dvd/wpa_supplicant.conf") {
            let evidence = WpaSupplicantAnalyzer.analyze(&content).unwrap();
            crate::analyze::schema::assert_follows_schema(
                crate::analyze::ArtifactKind::WpaSupplicant,
                &evidence.document,
            );
        }
    }

    #[test]
    fn key_mgmt_with_none_also_joins_open_networks() {
        let evidence = analyze("network={\n\tssid=\"\"\n\tkey_mgmt=WPA-PSK NONE\n\tpsk=\"Fj#8u2-wq!Lr0pz\"\n\tproto=RSN\n\tpairwise=CCMP\n}\n");
        let network = &evidence.document["networks"][0];
        assert_eq!(network["allows_open"], true);
        assert_eq!(network["name"], "any network");
        assert_eq!(network["wpa1_allowed"], false);
        assert_eq!(network["tkip_allowed"], false);
        let strict =
            analyze("network={\n\tssid=\"x\"\n\tkey_mgmt=WPA-PSK\n\tpsk=\"Fj#8u2-wq!Lr0pz\"\n}\n");
        assert_eq!(strict.document["networks"][0]["allows_open"], false);
        // SAE is RSN with AES only: the default proto and pairwise allow nothing older.
        let sae = analyze(
            "network={\n\tssid=\"x\"\n\tkey_mgmt=SAE\n\tsae_password=\"Fj#8u2-wq!Lr0pz\"\n}\n",
        );
        assert_eq!(sae.document["networks"][0]["wpa1_allowed"], false);
        assert_eq!(sae.document["networks"][0]["tkip_allowed"], false);
    }

    #[test]
    fn each_network_block_is_a_network() {
        let evidence = analyze(GROUND_STATION);
        let document = &evidence.document;
        assert_eq!(document["role"], "client");
        assert_eq!(
            document["ctrl_interface"],
            "DIR=/var/run/wpa_supplicant GROUP=netdev"
        );
        assert_eq!(document["update_config"], true);
        let drone = &document["networks"][0];
        assert_eq!(drone["ssid"], "SKY-X8-04");
        assert_eq!(drone["line"], 6);
        assert_eq!(
            drone["security"], "wpa2",
            "a client gets what the access point offers"
        );
        assert_eq!(drone["protocols"], serde_json::json!(["wpa", "rsn"]));
        assert_eq!(drone["psk_storage"], "passphrase");
        assert_eq!(drone["passphrase_length"], 15);
        assert_eq!(drone["secret"]["line"], 8);
        assert_eq!(drone["secret"]["network"], "network \"SKY-X8-04\"");
        // No `proto` or `pairwise`: wpa_supplicant also accepts WPA1 and TKIP.
        assert_eq!(drone["wpa1_allowed"], true);
        assert_eq!(drone["tkip_allowed"], true);
        assert_eq!(drone["pmf"], "disabled");
        assert_eq!(drone["priority"], 10);
        let hex = &document["networks"][1];
        assert_eq!(hex["ssid"], "Dr0ne");
        assert_eq!(hex["security"], "wpa", "proto=WPA allows nothing better");
        assert_eq!(hex["tkip_only"], true);
        assert_eq!(hex["psk_storage"], "raw-psk");
        assert_eq!(hex["secret"]["line"], 15, "the psk line, not the block's");
        assert!(hex.get("passphrase_length").is_none());
        assert_eq!(hex["pmf"], "required");
        assert_eq!(hex["disabled"], true);
        let eap = &document["networks"][2];
        assert_eq!(eap["security"], "enterprise");
        assert_eq!(eap["server_certificate_checked"], false);
        assert_eq!(eap["hidden"], true);
        assert!(evidence.warnings.is_empty(), "{:?}", evidence.warnings);
    }

    #[test]
    fn defaults_follow_the_credentials_of_the_block() {
        let evidence = analyze("network={\n ssid=\"a\"\n psk=\"drone123\"\n}\nnetwork={\n ssid=\"b\"\n identity=\"x\"\n ca_cert=\"/etc/ca.pem\"\n}\nnetwork={\n ssid=\"c\"\n key_mgmt=NONE\n}\npmf=1\n");
        let networks = &evidence.document["networks"];
        assert_eq!(networks[0]["security"], "wpa2");
        assert_eq!(
            networks[0]["key_management"],
            serde_json::json!(["WPA-PSK", "WPA-EAP"])
        );
        assert_eq!(networks[0]["secret"]["well_known"], true);
        assert_eq!(
            networks[0]["pmf"], "optional",
            "the global pmf applies wherever it is set"
        );
        assert_eq!(networks[1]["security"], "enterprise");
        assert_eq!(networks[1]["server_certificate_checked"], true);
        assert_eq!(networks[2]["security"], "open");
        assert_eq!(networks[2]["ciphers"], serde_json::json!([]));
    }

    #[test]
    fn an_access_point_run_by_wpa_supplicant_is_as_weak_as_its_weakest_option() {
        let evidence = analyze("network={\n ssid=\"companion\"\n mode=2\n key_mgmt=WPA-PSK\n psk=\"a-long-passphrase\"\n}\n");
        let network = &evidence.document["networks"][0];
        assert_eq!(network["access_point"], true);
        assert_eq!(
            network["security"], "wpa",
            "default proto WPA RSN offers WPA1"
        );
    }

    #[test]
    fn broken_blocks_and_values_are_warnings() {
        let evidence = analyze("ssid=\"stray\"\nnetwork={\n ssid=Drone\n psk=\"short\"\n wep_tx_keyidx=9\n what is this\nnetwork={\n ssid=\"x\"\n}\n}\ncred={\n password=\"ignored\"\n");
        assert_eq!(
            evidence.warnings,
            [
                "line 1: ssid: belongs in a `network={` block; ignored here",
                "line 3: ssid: SSID `Drone` is neither a \"quoted\" string nor hex digits",
                "line 4: psk: the passphrase is 5 characters long; wpa_supplicant accepts 8 to 63",
                "line 5: wep_tx_keyidx: must be 0 to 3",
                "line 6: not a `key=value` line, ignored",
                "line 7: a block opens inside the network block of line 2, which is taken as closed",
                "line 10: `}` closes no block, ignored",
                "line 11: the block opened here is not closed",
                "line 2: the network block opened here has no ssid",
                "line 7: the network block opened here uses a pre-shared key but sets no psk",
            ]
        );
        assert_eq!(
            evidence.document["networks"].as_array().map(Vec::len),
            Some(2)
        );
    }

    #[test]
    fn wpa_supplicant_is_told_apart_from_other_files() {
        assert!(WpaSupplicantAnalyzer.identify(GROUND_STATION.as_bytes()));
        assert!(WpaSupplicantAnalyzer
            .identify(b"ctrl_interface=/run/wpa_supplicant\nupdate_config=1\n"));
        let access_point = b"interface=wlan0\nctrl_interface=/var/run/hostapd\nssid=x\nwpa=2\n";
        assert!(!WpaSupplicantAnalyzer.identify(access_point));
        assert!(HostapdAnalyzer.identify(access_point));
        assert!(!WpaSupplicantAnalyzer.identify(b"[General]\nTcpServerPort=5760\n"));
        assert!(
            !WpaSupplicantAnalyzer.identify(b"ctrl_interface=x\n"),
            "ctrl_interface alone"
        );
        assert!(!WpaSupplicantAnalyzer.identify(b"\0\x01network={\n"));
    }

    #[test]
    fn hostile_input_is_an_error_or_a_warning_never_a_panic() {
        assert!(WpaSupplicantAnalyzer
            .analyze(b"network={\n\xff\n}")
            .is_err());
        assert!(WpaSupplicantAnalyzer
            .analyze(b"# only a comment\n")
            .is_err());
        let evidence = analyze("network={\n\"\"\"=\"\n ssid=P\"\\x\"\n ssid=\"\n psk=\"\n{\n}}\n");
        assert!(!evidence.warnings.is_empty());
    }

    #[test]
    fn damn_vulnerable_drone_ground_station() {
        let Some(content) = crate::test_prerequisites::corpus_bytes("dvd/wpa_supplicant.conf")
        else {
            return;
        };
        assert!(WpaSupplicantAnalyzer.identify(&content));
        assert!(!HostapdAnalyzer.identify(&content));
        let evidence = WpaSupplicantAnalyzer.analyze(&content).unwrap();
        assert_eq!(evidence.document["update_config"], true);
        let network = &evidence.document["networks"][0];
        assert_eq!(network["ssid"], "Drone_Wifi");
        assert_eq!(network["line"], 4);
        assert_eq!(network["security"], "wep");
        assert_eq!(network["wep_key_bits"], 40);
        assert!(!serde_json::to_string(&evidence.document)
            .unwrap()
            .contains("1234567890"));
        assert!(evidence.warnings.is_empty(), "{:?}", evidence.warnings);
    }
}
