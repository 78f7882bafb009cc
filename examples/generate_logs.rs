//! Writes the project's own flight logs: the log rules' fixtures
//! (`tests/fixtures/rules/LOG-*/{fires,passes}.bin`), the sample plane's DataFlash log and the
//! sample quadcopter's telemetry log. DataFlash records are laid out as ArduPilot's AP_Logger
//! writes them: `A3 95 TYPE`, FMT records first (FMT of FMT, then PARM, MSG, GPS), then the
//! records they describe. Telemetry logs are MAVLink frames after 8-byte big-endian
//! microsecond timestamps, as QGroundControl and MAVProxy write them. ULogs follow PX4's
//! ULog File Format: header, flag bits, formats, info, parameters, subscriptions, data.
//!
//! `cargo run --release --example generate_logs -- --large-ulog FILE MEGABYTES` writes a large
//! ULog for benchmarks.
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

/// A MAVLink 2 frame (unsigned) of `message` with a zeroed payload of `length` bytes, its
/// checksum seeded with the message's CRC_EXTRA.
fn mavlink_v2(sequence: u8, system: u8, component: u8, message: u32, length: u8) -> Vec<u8> {
    let mut frame = vec![0xfd, length, 0, 0, sequence, system, component];
    frame.extend_from_slice(&message.to_le_bytes()[..3]);
    frame.extend(std::iter::repeat_n(0, usize::from(length)));
    frame.extend_from_slice(&[0, 0]);
    drone_audit::analyze::mavlink::seal(&mut frame);
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

/// A ULog message: size, type, body.
fn ulog_message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut message = (body.len() as u16).to_le_bytes().to_vec();
    message.push(kind);
    message.extend_from_slice(body);
    message
}

/// An info (`I`) or parameter (`P`) message: key `type name`, then the value.
fn ulog_keyed(kind: u8, key: &str, value: &[u8]) -> Vec<u8> {
    let mut body = vec![key.len() as u8];
    body.extend_from_slice(key.as_bytes());
    body.extend_from_slice(value);
    ulog_message(kind, &body)
}

/// A PX4 ULog as the logger writes it: header, flag bits, formats, info, parameters, then
/// subscriptions and `seconds` of data at 5 Hz: sensor_gps always, cellular_status when
/// `cellular`; `repeat` multiplies the data section (for benchmarks).
fn ulog(board: &str, release: u32, cellular: bool, seconds: u32, repeat: u32) -> Vec<u8> {
    let mut log = b"ULog\x01\x12\x35\x01".to_vec();
    log.extend_from_slice(&1_793_527_200_000_000u64.to_le_bytes());
    log.extend(ulog_message(b'B', &[0; 40]));
    log.extend(ulog_message(b'F', b"sensor_gps:uint64_t timestamp;int32_t latitude_deg;int32_t longitude_deg;float altitude_msl_m;uint8_t fix_type;uint8_t[3] _padding0;"));
    log.extend(ulog_message(b'F', b"cellular_status:uint64_t timestamp;uint16_t status;uint8_t failure_reason;uint8_t type;uint8_t quality;uint8_t mcc;uint8_t mnc;uint8_t[1] _padding0;"));
    log.extend(ulog_keyed(b'I', "char[3] sys_name", b"PX4"));
    log.extend(ulog_keyed(
        b'I',
        &format!("char[{}] ver_hw", board.len()),
        board.as_bytes(),
    ));
    log.extend(ulog_keyed(
        b'I',
        "char[40] ver_sw",
        b"3fa1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4",
    ));
    log.extend(ulog_keyed(
        b'I',
        "uint32_t ver_sw_release",
        &release.to_le_bytes(),
    ));
    for (name, value) in [
        ("MAV_0_CONFIG", 101i32),
        ("MAV_SYS_ID", 1),
        ("COM_ARM_AUTH_REQ", 1),
        ("SDLOG_PROFILE", 1),
    ] {
        log.extend(ulog_keyed(
            b'P',
            &format!("int32_t {name}"),
            &value.to_le_bytes(),
        ));
    }
    let mut subscribe = vec![0, 1, 0];
    subscribe.extend_from_slice(b"sensor_gps");
    log.extend(ulog_message(b'A', &subscribe));
    if cellular {
        let mut subscribe = vec![0, 2, 0];
        subscribe.extend_from_slice(b"cellular_status");
        log.extend(ulog_message(b'A', &subscribe));
    }
    for _ in 0..repeat {
        for tick in 0..seconds * 5 {
            let mut gps = vec![1, 0];
            gps.extend_from_slice(&(u64::from(tick) * 200_000).to_le_bytes());
            gps.extend_from_slice(&(-353_632_610i32 + tick as i32 * 15).to_le_bytes());
            gps.extend_from_slice(&(1_491_652_300i32 + tick as i32 * 20).to_le_bytes());
            gps.extend_from_slice(&584.2f32.to_le_bytes());
            gps.extend_from_slice(&[3, 0, 0, 0]);
            log.extend(ulog_message(b'D', &gps));
            if cellular && tick % 5 == 0 {
                let mut status = vec![2, 0];
                status.extend_from_slice(&(u64::from(tick) * 200_000).to_le_bytes());
                status.extend_from_slice(&[1, 0, 0, 3, 80, 0x36, 0x01, 0]);
                log.extend(ulog_message(b'D', &status));
            }
        }
    }
    let mut logged = vec![b'6'];
    logged.extend_from_slice(&5_000_000u64.to_le_bytes());
    logged.extend_from_slice(b"Takeoff detected");
    log.extend(ulog_message(b'L', &logged));
    log
}

/// A DJI flight record of format `version`: the prefix, the frame records (opaque here: from
/// version 13 on DJI encrypts them) and the details block (masked from version 13) (location text, start time, home
/// point, flight time, serial numbers, aircraft name, app), laid out as that version lays it
/// out (dji-log-parser's `layout/prefix.rs` and `layout/info.rs`).
fn dji_record(version: u8, identified: bool) -> Vec<u8> {
    let records = vec![0x5a; 2000];
    let new_layout = version >= 6;
    let mut details = vec![0u8; if new_layout { 436 } else { 400 }];
    details[40..51].copy_from_slice(b"Canberra\0\0\0");
    details[91..99].copy_from_slice(&1_793_527_200_000i64.to_le_bytes());
    details[99..107].copy_from_slice(&149.1652f64.to_le_bytes());
    details[107..115].copy_from_slice(&(-35.3632f64).to_le_bytes());
    details[115..119].copy_from_slice(&1840.5f32.to_le_bytes());
    details[119..123].copy_from_slice(&1_260_000i32.to_le_bytes());
    details[123..127].copy_from_slice(&118.0f32.to_le_bytes());
    let (product, name, aircraft, camera, remote, battery, platform) = if new_layout {
        (271, 280, 312, 328, 344, 360, 376)
    } else {
        (277, 278, 267, 318, 328, 338, 348)
    };
    details[product] = 118; // Mavic 3 Enterprise
    details[name..name + 8].copy_from_slice(b"FIELD-02");
    if identified {
        details[aircraft..aircraft + 10].copy_from_slice(b"1ZNBH9P00C");
    }
    details[camera..camera + 10].copy_from_slice(b"3JJDH8U00A");
    details[remote..remote + 10].copy_from_slice(b"3JKDH6F00B");
    details[battery..battery + 10].copy_from_slice(b"3JMDH7H00C");
    details[platform] = 2;
    details[platform + 1..platform + 4].copy_from_slice(&[1, 14, 4]);
    if version >= 13 {
        return auxiliary_record(version, &details, &records);
    }
    if version >= 12 {
        // Prefix (100 bytes), details, then the records from the details offset on.
        let offset = (100 + details.len()) as u64;
        let mut file = offset.to_le_bytes().to_vec();
        file.extend_from_slice(&(details.len() as u16).to_le_bytes());
        file.push(version);
        file.resize(100, 0);
        file.extend(details);
        file.extend(records);
        return file;
    }
    // Before 12: prefix, records, then the details block ending the file.
    let prefix = if new_layout { 100 } else { 12 };
    let offset = (prefix + records.len()) as u64;
    let mut file = offset.to_le_bytes().to_vec();
    file.extend_from_slice(&(details.len() as u16).to_le_bytes());
    file.push(version);
    file.resize(prefix, 0);
    file.extend(records);
    file.extend(details);
    file
}

/// A record of format 13 or later, as DJI's apps write it (dji-log-parser's
/// `layout/auxiliary.rs`): the prefix, the auxiliary info block (`0`, length, a seed byte, then
/// masked: `0`, the details' length, the details, a signature's length and a signature), the
/// auxiliary version block (`1`, length, log version 4, department 7: DJI Pilot), then the
/// frame records at the details offset.
fn auxiliary_record(version: u8, details: &[u8], records: &[u8]) -> Vec<u8> {
    const SEED: u8 = 0x92;
    let mut plain = vec![0u8];
    plain.extend_from_slice(&(details.len() as u16).to_le_bytes());
    plain.extend_from_slice(details);
    plain.extend_from_slice(&256u16.to_le_bytes());
    plain.extend_from_slice(&[0xa5; 256]);
    let mut info = vec![SEED];
    info.extend(drone_audit::analyze::dji_record::unmask(&plain, SEED, 0));
    let records_offset = 100 + 3 + info.len() + 3 + 4;
    let mut file = (records_offset as u64).to_le_bytes().to_vec();
    file.extend_from_slice(&(details.len() as u16).to_le_bytes());
    file.push(version);
    file.resize(100, 0);
    file.push(0);
    file.extend_from_slice(&(info.len() as u16).to_le_bytes());
    file.extend(info);
    file.extend_from_slice(&[1, 4, 0, 4, 0, 7, 0]);
    file.extend_from_slice(records);
    file
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create the folder");
    }
    fs::write(path, bytes).expect("write the log");
    println!("{}: {} bytes", path.display(), bytes.len());
}

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, path, megabytes] = arguments.as_slice() {
        if flag == "--large-ulog" {
            // One repeat of 60 s at 5 Hz is about 11 kB of data section.
            let megabytes: u32 = megabytes.parse().expect("MEGABYTES is a number");
            let repeat = (megabytes * 1_000_000 / 10_500).max(1);
            write(
                Path::new(path),
                &ulog("PX4_FMU_V6C", 0x010e_03ff, true, 60, repeat),
            );
            return;
        }
    }
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
    write(
        &fixtures.join("LOG-004/fires.ulg"),
        &ulog("PX4_FMU_V6C", 0x010e_03ff, true, 10, 1),
    );
    write(
        &fixtures.join("LOG-004/passes.ulg"),
        &ulog("PX4_FMU_V6C", 0x010e_03ff, false, 10, 1),
    );
    // Two flights' logs kept on one vehicle, against one.
    write(
        &fixtures.join("LOG-006/fires/log_0006.ulg"),
        &ulog("PX4_FMU_V6C", 0x010e_03ff, false, 10, 1),
    );
    write(
        &fixtures.join("LOG-006/fires/log_0007.ulg"),
        &ulog("PX4_FMU_V6C", 0x010e_03ff, false, 10, 1),
    );
    // One flight's vehicle log and its ground station's telemetry log: one flight, not two.
    write(
        &fixtures.join("LOG-006/passes/log_0007.ulg"),
        &ulog("PX4_FMU_V6C", 0x010e_03ff, false, 10, 1),
    );
    write(
        &fixtures.join("LOG-006/passes/flight-0007.tlog"),
        &telemetry_log(),
    );
    // A vehicle log in its card's layout (fires); a copy downloaded elsewhere (passes).
    write(
        &fixtures.join("LOG-007/fires/APM/LOGS/00000042.BIN"),
        &log(&copter("4.5.7"), &HARDENED, 0, false),
    );
    write(
        &fixtures.join("LOG-007/passes/downloads/00000042.BIN"),
        &log(&copter("4.5.7"), &HARDENED, 0, false),
    );
    // A record that names its aircraft, and one whose serial fields are blank.
    write(&fixtures.join("LOG-005/fires.txt"), &dji_record(5, true));
    write(&fixtures.join("LOG-005/passes.txt"), &dji_record(5, false));
    // The field Mavic's tablet still holds the DJI Pilot 2 record of its last flight
    // (format 14: frame records encrypted, details masked with a key the file holds).
    write(
        &root.join("samples/m2e-field/tablet/DJIFlightRecord_2026-11-01_[10-00-00].txt"),
        &dji_record(14, true),
    );
    // The quadcopter's card still holds its last two flights' logs: tracks, and the release
    // flown.
    write(
        &root.join("samples/px4-quad/log/2026-10-31/14_20_05.ulg"),
        &ulog("PX4_FMU_V6C", 0x010e_03ff, false, 90, 1),
    );
    write(
        &root.join("samples/px4-quad/log/2026-11-01/10_00_00.ulg"),
        &ulog("PX4_FMU_V6C", 0x010e_03ff, false, 120, 1),
    );
    // The quadcopter's ground station keeps its telemetry: unsigned MAVLink 2.
    write(
        &root.join("samples/px4-quad/telemetry/flight-0007.tlog"),
        &telemetry_log(),
    );
    // The survey plane's last flight, left on the card: its track is in the clear.
    write(
        &root.join("samples/ardupilot-plane/APM/LOGS/00000042.BIN"),
        &log("ArduPlane V4.5.7 (2a3dc4b7)", &HARDENED, 40, true),
    );
}
