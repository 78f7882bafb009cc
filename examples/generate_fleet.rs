//! Generates a synthetic fleet for benchmarks and scale tests.
//!
//! `cargo run --release --example generate_fleet -- OUT_DIR DEVICES [KINDS]`
//!
//! KINDS is a comma-separated list of what each device folder gets (default `profiles`):
//! - `profiles`: `profile.{toml,json}` (JSON and TOML alternate);
//! - `params`: an autopilot parameter dump of about 900 parameters, ArduPilot's Mission
//!   Planner form and QGroundControl's PX4 table alternating;
//! - `artifacts`: the other artifacts of one of the sample devices (`samples/*/`, in turn):
//!   packet captures, flight and telemetry logs, firmware images, companion configurations —
//!   for a mixed fleet.
//!
//! Also writes a policy `OUT_DIR/drone-audit.toml`. Content is deterministic (a fixed-seed
//! xorshift generator) and varied, so that about half the rules fire somewhere in the fleet,
//! as in a real one.

use serde_json::{json, Value};
use std::fs;
use std::path::Path;

/// xorshift64*: small, fast, and the same sequence on every machine.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len() as u64) as usize]
    }
}

const MODELS: [(&str, &str, &str, &str); 5] = [
    ("DJI", "Mavic 2 Enterprise Dual", "DJI Pilot", "ocusync"),
    ("DJI", "Matrice 30T", "DJI Pilot 2", "ocusync"),
    ("Parrot", "ANAFI USA", "FreeFlight 7", "wifi"),
    ("Holybro", "X500 V2", "QGroundControl", "mavlink"),
    ("ArduPilot", "Survey Plane X8", "Mission Planner", "mavlink"),
];

fn profile(index: usize, generator: &mut Generator) -> Value {
    let (vendor, model, app, link) = MODELS[index % MODELS.len()];
    let radio = |generator: &mut Generator| if generator.chance(20) { "on" } else { "off" };
    let encryption = match link {
        "ocusync" => generator.pick(&["aes-256", "aes-256", "aes-128"]),
        "wifi" => generator.pick(&["wpa2", "wpa3", "aes-256"]),
        _ => generator.pick(&["none", "aes-128", "aes-256"]),
    };
    let mut link_node = json!({
        "name": format!("{link} link"),
        "protocol": link,
        "carries": ["control", "telemetry", "video"],
        "encryption": encryption,
        "internet": generator.chance(5),
    });
    if link == "mavlink" {
        link_node["mavlink_signing"] = json!(generator.chance(60));
    }
    let flight_logs = if generator.chance(30) {
        generator.below(40)
    } else {
        0
    };
    json!({
        "identity": {
            "vendor": vendor,
            "model": model,
            "serial": format!("SN{index:08}"),
            "name": format!("UAS-{index:05}"),
        },
        "firmware": [{
            "component": "aircraft",
            "version": generator.pick(&["1.0.0", "1.1.0", "1.2.0", "1.2.0", "1.2.0"]),
            "auto_update": generator.chance(15),
            "update_source": generator.pick(&["offline-package", "mirror", "vendor-cloud"]),
        }],
        "controllers": [{
            "name": "Controller",
            "kind": generator.pick(&["smart-controller", "remote-controller", "tablet", "phone", "laptop"]),
            "airplane_mode": generator.chance(70),
            "cellular": radio(generator),
            "wifi": radio(generator),
            "hotspot": radio(generator),
            "internet_access": generator.chance(20),
            "apps": [{
                "name": app,
                "version": "2.5.1",
                "local_data_mode": generator.chance(75),
                "cloud_sync": generator.chance(10),
                "flight_record_upload": generator.chance(15),
                "online_maps": generator.chance(30),
                "auto_update": generator.chance(20),
                "install_source": generator.pick(&["mdm", "app-store", "vendor-site", "sideloaded"]),
            }],
        }],
        "storage": [{
            "medium": "sd-card",
            "location": "aircraft",
            "present": generator.chance(50),
            "encrypted": generator.chance(40),
            "password": generator.chance(50),
            "wipe_after_flight": flight_logs == 0,
            "removal_policy": generator.pick(&["after-flight", "after-mission", "none"]),
            "flight_logs": flight_logs,
            "gps_tracks": flight_logs > 0,
        }],
        "links": [link_node],
        "access": {
            "activation": {"password": generator.chance(90), "default_password": generator.chance(5), "min_length": generator.pick(&["4", "6", "8", "12"]).parse::<u32>().unwrap_or(8)},
            "pairing": {"password": generator.chance(80), "default_password": generator.chance(10), "min_length": 8},
        },
    })
}

const POLICY: &str = r#"[passwords]
min_length = 8

[links]
required_encryption = ["aes-256"]

[[firmware]]
model = "Mavic 2 Enterprise Dual"
versions = ["1.2.0"]
minimum = "1.1.0"

[[firmware]]
model = "Matrice 30T"
versions = ["1.2.0"]
minimum = "1.1.0"

[[firmware]]
model = "ANAFI USA"
versions = ["1.2.0"]

[[firmware]]
model = "X500 V2"
versions = ["1.2.0"]

[[firmware]]
model = "Survey Plane X8"
versions = ["1.1.0", "1.2.0"]
"#;

/// Parameter name stems and prefixes real dumps are made of, to build ~900 plausible names.
const GROUPS: [&str; 30] = [
    "ATC_RAT_RLL",
    "ATC_RAT_PIT",
    "ATC_RAT_YAW",
    "PSC_POSXY",
    "PSC_VELZ",
    "INS_ACC",
    "INS_GYR",
    "COMPASS",
    "EK3_SRC1",
    "BATT",
    "SERVO1",
    "SERVO2",
    "SERVO3",
    "SERVO4",
    "RC1",
    "RC2",
    "RC3",
    "RC4",
    "FLTMODE",
    "WPNAV",
    "RTL",
    "LAND",
    "GPS",
    "FENCE",
    "AHRS",
    "MOT",
    "PILOT",
    "FS",
    "LOG",
    "SR1",
];
const SUFFIXES: [&str; 30] = [
    "_P", "_I", "_D", "_FF", "_FLTT", "_FLTE", "_FLTD", "_SMAX", "_IMAX", "_MIN", "_MAX", "_TRIM",
    "_REV", "_DZ", "_OPT", "_TYPE", "_RATE", "_ACCEL", "_SPEED", "_ALT", "_TIMEOUT", "_ENABLE",
    "_OFS_X", "_OFS_Y", "_OFS_Z", "_SCAL_X", "_SCAL_Y", "_SCAL_Z", "_ID", "_MODE",
];

/// An autopilot parameter dump: ~900 tuning parameters plus the security-relevant ones, in
/// ArduPilot's Mission Planner form (even devices) or QGroundControl's PX4 table (odd).
fn parameter_file(index: usize, generator: &mut Generator) -> (String, String) {
    let mut parameters: Vec<(String, String)> = Vec::with_capacity(920);
    for group in GROUPS {
        for suffix in SUFFIXES {
            let value = if generator.chance(50) {
                generator.below(2000).to_string()
            } else {
                format!("{:.6}", generator.below(100_000) as f64 / 1000.0)
            };
            parameters.push((format!("{group}{suffix}"), value));
        }
    }
    let ardupilot = index % 2 == 0;
    let security: Vec<(&str, u64)> = if ardupilot {
        vec![
            ("SYSID_ENFORCE", u64::from(generator.chance(40))),
            ("SYSID_MYGCS", 255),
            ("SERIAL1_PROTOCOL", if generator.chance(20) { 1 } else { 2 }),
            ("SCR_ENABLE", u64::from(generator.chance(30))),
            ("BRD_OPTIONS", generator.below(4)),
            ("LOG_DISARMED", u64::from(generator.chance(20))),
        ]
    } else {
        vec![
            ("MAV_SIGN_CFG", generator.below(3)),
            ("SDLOG_MODE", 0),
            ("MAV_1_CONFIG", 1000),
            ("MAV_1_BROADCAST", u64::from(generator.chance(50))),
            ("MAV_SYS_ID", 1),
        ]
    };
    parameters.extend(
        security
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_string())),
    );
    parameters.sort();
    if ardupilot {
        let mut text = String::from("#NOTE: 11/02/2026 Frame : Copter\n");
        for (name, value) in &parameters {
            text.push_str(&format!("{name},{value}\n"));
        }
        ("autopilot.param".to_owned(), text)
    } else {
        let mut text = String::from("# Onboard parameters for Vehicle 1\n#\n# Stack: PX4 Pro\n# Vehicle: Multi-Rotor\n# Version: 1.17.0 \n# Git Revision: 15f5fefa0c000000\n#\n# Vehicle-Id Component-Id Name Value Type\n");
        for (name, value) in &parameters {
            let kind = if value.contains('.') { 9 } else { 6 };
            text.push_str(&format!("1\t1\t{name}\t{value}\t{kind}\n"));
        }
        ("autopilot.params".to_owned(), text)
    }
}

/// The sample fleet's device folders, in name order.
fn sample_devices() -> std::io::Result<Vec<std::path::PathBuf>> {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut devices: Vec<_> = fs::read_dir(samples)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    devices.sort();
    Ok(devices)
}

/// Copies a sample device's files but its profile and parameter dumps (generated instead).
fn copy_artifacts(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(from)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let target = to.join(&*name);
        if path.is_dir() {
            fs::create_dir_all(&target)?;
            copy_artifacts(&path, &target)?;
        } else if !(name.starts_with("profile.")
            || name.ends_with(".param")
            || name.ends_with(".params"))
        {
            fs::copy(&path, &target)?;
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let (out, devices, kinds) = match arguments.as_slice() {
        [out, devices] => (out, devices, "profiles"),
        [out, devices, kinds] => (out, devices, kinds.as_str()),
        _ => return Err("usage: generate_fleet OUT_DIR DEVICES [KINDS]".into()),
    };
    let kinds: Vec<&str> = kinds.split(',').collect();
    if let Some(unknown) = kinds
        .iter()
        .find(|kind| !matches!(**kind, "profiles" | "params" | "artifacts"))
    {
        return Err(
            format!("unknown kind `{unknown}` (expected profiles, params or artifacts)").into(),
        );
    }
    let samples = sample_devices()?;
    let devices: usize = devices.parse()?;
    let out = Path::new(out);
    fs::create_dir_all(out)?;
    fs::write(out.join("drone-audit.toml"), POLICY)?;
    let mut generator = Generator(0x9E37_79B9_7F4A_7C15);
    for index in 0..devices {
        let folder = out.join(format!("device-{index:05}"));
        fs::create_dir_all(&folder)?;
        if kinds.contains(&"profiles") {
            let document = profile(index, &mut generator);
            if index % 2 == 0 {
                fs::write(
                    folder.join("profile.json"),
                    serde_json::to_string_pretty(&document)?,
                )?;
            } else {
                fs::write(folder.join("profile.toml"), toml::to_string(&document)?)?;
            }
        }
        if kinds.contains(&"params") {
            let (name, text) = parameter_file(index, &mut generator);
            fs::write(folder.join(name), text)?;
        }
        if kinds.contains(&"artifacts") {
            copy_artifacts(&samples[index % samples.len()], &folder)?;
        }
    }
    println!(
        "wrote {devices} devices ({}) and a policy to {}",
        kinds.join(", "),
        out.display()
    );
    Ok(())
}
