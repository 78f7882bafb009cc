//! Writes the project's own flight logs: the log rules' fixtures
//! (`tests/fixtures/rules/LOG-*/{fires,passes}.bin`), the sample plane's DataFlash log and the
//! sample quadcopter's telemetry log. DataFlash records are laid out as ArduPilot's AP_Logger
//! writes them: `A3 95 TYPE`, FMT records first (FMT of FMT, then PARM, MSG, GPS), then the
//! records they describe. Telemetry logs are MAVLink frames after 8-byte big-endian
//! microsecond timestamps, as QGroundControl and MAVProxy write them.
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

/// A MAVLink 2 frame (unsigned) of `message` with a zeroed payload of `length` bytes.
fn mavlink_v2(sequence: u8, system: u8, component: u8, message: u32, length: u8) -> Vec<u8> {
    let mut frame = vec![0xfd, length, 0, 0, sequence, system, component];
    frame.extend_from_slice(&message.to_le_bytes()[..3]);
    frame.extend(std::iter::repeat_n(0, usize::from(length)));
    frame.extend_from_slice(&[0x5a, 0xa5]);
    frame
}

/// Ten minutes of telemetry at 2 Hz: HEARTBEAT, GLOBAL_POSITION_INT and SYS_STATUS from the
/// autopilot, HEARTBEAT from the ground station; unsigned.
fn telemetry_log() -> Vec<u8> {
    let mut log = Vec::new();
    let start: u64 = 1_793_527_200_000_000;
    for tick in 0..1200u64 {
        let sequence = tick as u8;
        let frames = [
            mavlink_v2(sequence, 1, 1, 0, 9),
            mavlink_v2(sequence, 1, 1, 33, 28),
            mavlink_v2(sequence, 1, 1, 1, 31),
            mavlink_v2(sequence, 255, 190, 0, 9),
        ];
        for (index, frame) in frames.iter().enumerate() {
            log.extend_from_slice(&(start + tick * 500_000 + index as u64 * 1000).to_be_bytes());
            log.extend_from_slice(frame);
        }
    }
    log
}

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
    // The quadcopter's ground station keeps its telemetry: unsigned MAVLink 2.
    write(
        &root.join("samples/px4-quad/telemetry/flight-0007.tlog"),
        &telemetry_log(),
    );
    // The survey plane's last flight, left on the card: its track is in the clear.
    write(
        &root.join("samples/ardupilot-plane/logs/00000042.BIN"),
        &log("ArduPlane V4.5.7 (2a3dc4b7)", &HARDENED, 40, true),
    );
}
