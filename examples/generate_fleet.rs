//! Generates a synthetic fleet of device profiles for benchmarks and scale tests.
//!
//! `cargo run --release --example generate_fleet -- OUT_DIR DEVICES`
//!
//! Writes `OUT_DIR/device-NNNNN/profile.{toml,json}` (JSON and TOML alternate) and a policy
//! `OUT_DIR/drone-audit.toml`. Content is deterministic (a fixed-seed xorshift generator) and
//! varied: models, apps, radios, storage and links differ so that about half the rules fire
//! somewhere in the fleet, as in a real one.

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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [out, devices] = arguments.as_slice() else {
        return Err("usage: generate_fleet OUT_DIR DEVICES".into());
    };
    let devices: usize = devices.parse()?;
    let out = Path::new(out);
    fs::create_dir_all(out)?;
    fs::write(out.join("drone-audit.toml"), POLICY)?;
    let mut generator = Generator(0x9E37_79B9_7F4A_7C15);
    for index in 0..devices {
        let document = profile(index, &mut generator);
        let folder = out.join(format!("device-{index:05}"));
        fs::create_dir_all(&folder)?;
        if index % 2 == 0 {
            fs::write(
                folder.join("profile.json"),
                serde_json::to_string_pretty(&document)?,
            )?;
        } else {
            fs::write(folder.join("profile.toml"), toml::to_string(&document)?)?;
        }
    }
    println!(
        "wrote {devices} device profiles and a policy to {}",
        out.display()
    );
    Ok(())
}
