//! Writes the project's own ArduPilot DataFlash logs: the log rules' fixtures
//! (`tests/fixtures/rules/LOG-*/{fires,passes}.bin`) and the sample plane's log. Records are
//! laid out as ArduPilot's AP_Logger writes them: `A3 95 TYPE`, FMT records first (FMT of FMT,
//! then PARM, MSG, GPS), then the records they describe.
//!
//! Usage: `cargo run --example generate_logs` (from the crate root; rewrites the files).

use std::fs;
use std::path::Path;

const FMT: u8 = 128;
const PARM: u8 = 64;
const MSG: u8 = 65;
const GPS: u8 = 66;

fn padded(text: &str, size: usize) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    bytes.resize(size, 0);
    bytes
}

fn fmt(kind: u8, length: u8, name: &str, format: &str, columns: &str) -> Vec<u8> {
    let mut record = vec![0xa3, 0x95, FMT, kind, length];
    record.extend(padded(name, 4));
    record.extend(padded(format, 16));
    record.extend(padded(columns, 64));
    record
}

/// A log of `parameters`, announcing `firmware`, with `fixes` GPS records (with a position
/// when `positioned`).
fn log(firmware: &str, parameters: &[(&str, f32)], fixes: u32, positioned: bool) -> Vec<u8> {
    let mut log = fmt(FMT, 89, "FMT", "BBnNZ", "Type,Length,Name,Format,Columns");
    log.extend(fmt(PARM, 31, "PARM", "QNf", "TimeUS,Name,Value"));
    log.extend(fmt(MSG, 75, "MSG", "QZ", "TimeUS,Message"));
    log.extend(fmt(
        GPS,
        31,
        "GPS",
        "QBIHBLLf",
        "TimeUS,Status,GMS,GWk,NSats,Lat,Lng,Alt",
    ));
    let mut time: u64 = 1_000_000;
    let message = |text: &str, log: &mut Vec<u8>, time: &mut u64| {
        log.extend_from_slice(&[0xa3, 0x95, MSG]);
        log.extend_from_slice(&time.to_le_bytes());
        log.extend(padded(text, 64));
        *time += 1000;
    };
    message(firmware, &mut log, &mut time);
    message("ChibiOS: 0e3b3d5c", &mut log, &mut time);
    for (name, value) in parameters {
        log.extend_from_slice(&[0xa3, 0x95, PARM]);
        log.extend_from_slice(&time.to_le_bytes());
        log.extend(padded(name, 16));
        log.extend_from_slice(&value.to_le_bytes());
        time += 100;
    }
    for fix in 0..fixes {
        log.extend_from_slice(&[0xa3, 0x95, GPS]);
        log.extend_from_slice(&time.to_le_bytes());
        log.push(if positioned { 3 } else { 1 });
        log.extend_from_slice(&(345_600_000 + fix * 200).to_le_bytes());
        log.extend_from_slice(&2390u16.to_le_bytes());
        log.push(if positioned { 14 } else { 0 });
        let (latitude, longitude): (i32, i32) = if positioned {
            (
                -353_632_610 + fix as i32 * 15,
                1_491_652_300 + fix as i32 * 20,
            )
        } else {
            (0, 0)
        };
        log.extend_from_slice(&latitude.to_le_bytes());
        log.extend_from_slice(&longitude.to_le_bytes());
        log.extend_from_slice(&584.2f32.to_le_bytes());
        time += 200_000;
    }
    message("Disarming motors", &mut log, &mut time);
    log
}

const HARDENED: [(&str, f32); 6] = [
    ("SYSID_ENFORCE", 1.0),
    ("SYSID_MYGCS", 255.0),
    ("SERIAL1_PROTOCOL", 2.0),
    ("MAV1_OPTIONS", 0.0),
    ("LOG_DISARMED", 0.0),
    ("BRD_SAFETY_DEFLT", 1.0),
];

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create the folder");
    }
    fs::write(path, bytes).expect("write the log");
    println!("{}: {} bytes", path.display(), bytes.len());
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("tests/fixtures/rules");
    let copter = |version: &str| format!("ArduCopter V{version} (2a3dc4b7)");
    write(
        &fixtures.join("LOG-001/fires.bin"),
        &log(&copter("4.5.7"), &HARDENED, 5, true),
    );
    write(
        &fixtures.join("LOG-001/passes.bin"),
        &log(&copter("4.5.7"), &HARDENED, 5, false),
    );
    write(
        &fixtures.join("LOG-002/fires.bin"),
        &log(&copter("4.3.7"), &HARDENED, 0, false),
    );
    write(
        &fixtures.join("LOG-002/passes.bin"),
        &log(&copter("4.5.7"), &HARDENED, 0, false),
    );
    write(
        &fixtures.join("LOG-003/fires.bin"),
        &log(&copter("4.0.0"), &HARDENED, 0, false),
    );
    write(
        &fixtures.join("LOG-003/passes.bin"),
        &log(&copter("4.5.7"), &HARDENED, 0, false),
    );
    // The survey plane's last flight, left on the card: its track is in the clear.
    write(
        &root.join("samples/ardupilot-plane/logs/00000042.BIN"),
        &log("ArduPlane V4.5.7 (2a3dc4b7)", &HARDENED, 40, true),
    );
}
