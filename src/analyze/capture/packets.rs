//! The packets of a capture file, in order: classic pcap (both byte orders, microsecond and
//! nanosecond timestamps) and pcapng (several sections, each interface with its own link type
//! and timestamp resolution), streamed with pcap-parser through a buffer of bounded size, so
//! memory does not grow with the file.
//!
//! A damaged file gives the packets before the damage and the reason reading stopped; the
//! caller reports the capture as partly read rather than failing it. Bounds: at most
//! [`MAX_INTERFACES`] interfaces per section, records of at most [`MAX_RECORD`] bytes, and
//! no run of records that cannot be traffic: [`MAX_EMPTY_RUN`] empty records in a row (what
//! a zero-filled or sparse region of a file reads as) or [`MAX_STILL_RUN`] timed records in
//! a row with one timestamp stop the reading there. Packets are numbered as Wireshark
//! numbers them (from 1, every packet block counted).

use pcap_parser::pcapng::Block;
use pcap_parser::{create_reader, PcapBlockOwned, PcapError};
use std::io::Read;

/// More interface description blocks than this in one section is not a real capture.
pub const MAX_INTERFACES: usize = 1024;

/// The container format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pcap,
    PcapNg,
}

impl Format {
    /// The format from the first bytes, or None.
    pub fn sniff(content: &[u8]) -> Option<Format> {
        match content.get(..4)? {
            [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d] => Some(Format::Pcap),
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                // A section header block: its byte-order magic follows the block length.
                match content.get(8..12)? {
                    [0x4d, 0x3c, 0x2b, 0x1a] | [0x1a, 0x2b, 0x3c, 0x4d] => Some(Format::PcapNg),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Pcap => "pcap",
            Format::PcapNg => "pcapng",
        }
    }
}

/// One captured packet.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// 1-based, as Wireshark numbers packets.
    pub number: u64,
    /// Seconds since the Unix epoch.
    pub time: f64,
    /// The link type of the interface it was captured on (LINKTYPE_* value).
    pub link_type: i32,
    /// The captured bytes (at most the snapshot length).
    pub data: &'a [u8],
    /// The length of the packet on the wire.
    pub original_length: u32,
}

/// What reading the container found besides packets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadSummary {
    pub packets: u64,
    /// Link types seen, in order of first appearance.
    pub link_types: Vec<i32>,
    /// Packets captured shorter than they were on the wire.
    pub truncated_packets: u64,
    /// Why reading stopped before the end of the file, if it did.
    pub stopped: Option<String>,
}

struct Interface {
    link_type: i32,
    /// The interface's snap length (65,535 ... when it states none).
    snap_length: usize,
    /// Units per second of its timestamps.
    resolution: u64,
    offset: i64,
}

/// The read buffer's first size; it grows for larger records, up to [`MAX_RECORD`].
const BUFFER: usize = 1 << 20;

/// No real record is larger than this (pcapng's largest snap length is 256 KiB); a larger
/// one is a bogus length, and reading stops there.
pub const MAX_RECORD: usize = 16 << 20;

/// Empty records in a row (no byte captured) before reading stops. No link layer sends an
/// empty frame and no capture tool writes one; a zero-filled region reads as nothing else
/// (a 16-byte pcap record of zeros), so a sparse file of terabytes that takes no disk space
/// would otherwise cost hours of reading.
pub const MAX_EMPTY_RUN: u64 = 10_000;

/// Timed records in a row that share one timestamp before reading stops: a clock that does
/// not move for a million frames is not a capture of traffic (a busy gigabit link carries
/// about 1,500 frames a millisecond). Simple packet blocks, which have no timestamp, are not
/// counted.
pub const MAX_STILL_RUN: u64 = 1_000_000;

/// Runs of records that cannot be traffic, as reading goes.
#[derive(Default)]
struct Runs {
    /// Empty records in a row, and the byte the run started at.
    empty: u64,
    empty_from: u64,
    /// Timed records in a row with the timestamp `still_time`, from byte `still_from`.
    still: u64,
    still_from: u64,
    still_time: f64,
}

impl Runs {
    /// Counts the record at byte `position`; returns why reading must stop, if a run of
    /// records that cannot be traffic reached its bound.
    fn check(&mut self, position: u64, packet: &Packet, timed: bool) -> Option<String> {
        if packet.data.is_empty() {
            if self.empty == 0 {
                self.empty_from = position;
            }
            self.empty += 1;
        } else {
            self.empty = 0;
        }
        if self.empty >= MAX_EMPTY_RUN {
            return Some(format!(
                "{MAX_EMPTY_RUN} records in a row from byte {} hold no byte (a zero-filled or \
                 sparse region, not traffic)",
                self.empty_from
            ));
        }
        if !timed {
            self.still = 0;
        } else if self.still > 0 && packet.time == self.still_time {
            self.still += 1;
        } else {
            self.still = 1;
            self.still_from = position;
            self.still_time = packet.time;
        }
        (self.still >= MAX_STILL_RUN).then(|| {
            format!(
                "{MAX_STILL_RUN} records in a row from byte {} share one timestamp (a clock \
                 that does not move is not traffic)",
                self.still_from
            )
        })
    }
}

/// Reads the capture from `input` as a stream, in a buffer of bounded size, and calls `visit`
/// on every packet in order.
pub fn read(input: impl Read + Send, mut visit: impl FnMut(&Packet)) -> ReadSummary {
    let mut summary = ReadSummary::default();
    let mut reader = match create_reader(BUFFER, input) {
        Ok(reader) => reader,
        Err(error) => {
            summary.stopped = Some(format!("unreadable header: {}", plain(&error)));
            return summary;
        }
    };
    let mut capacity = BUFFER;
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut legacy: Option<(i32, f64)> = None;
    let mut runs = Runs::default();
    loop {
        let position = reader.consumed();
        match reader.next() {
            Ok((offset, block)) => {
                let stop = match block {
                    PcapBlockOwned::LegacyHeader(header) => {
                        let resolution = if header.is_nanosecond_precision() {
                            1e9
                        } else {
                            1e6
                        };
                        legacy = Some((header.network.0, resolution));
                        None
                    }
                    PcapBlockOwned::Legacy(record) => {
                        let (link_type, resolution) = legacy.unwrap_or((1, 1e6));
                        summary.packets += 1;
                        let captured = record.data.len().min(record.caplen as usize);
                        let packet = Packet {
                            number: summary.packets,
                            time: f64::from(record.ts_sec) + f64::from(record.ts_usec) / resolution,
                            link_type,
                            data: &record.data[..captured],
                            original_length: record.origlen,
                        };
                        let stop = runs.check(position as u64, &packet, true);
                        emit(&mut summary, &mut visit, packet);
                        stop
                    }
                    PcapBlockOwned::NG(block) => {
                        let mut at = Place {
                            position: position as u64,
                            runs: &mut runs,
                        };
                        ng_block(block, &mut interfaces, &mut summary, &mut at, &mut visit)
                    }
                };
                if let Some(reason) = stop {
                    summary.stopped = Some(reason);
                    break;
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                // A refill that adds nothing while the reader still has data means the parser
                // wants more than the buffer holds: grow it, or stop.
                let buffered = reader.data().len();
                if reader.refill().is_err() {
                    summary.stopped = Some(format!("read error at byte {position}"));
                    break;
                }
                if reader.data().len() == buffered && !reader.reader_exhausted() {
                    if capacity >= MAX_RECORD || !reader.grow(capacity * 2) {
                        summary.stopped = Some(format!("malformed record at byte {position}"));
                        break;
                    }
                    capacity *= 2;
                }
            }
            Err(PcapError::BufferTooSmall) => {
                if capacity >= MAX_RECORD || !reader.grow(capacity * 2) {
                    summary.stopped = Some(format!(
                        "the record at byte {position} claims more than {MAX_RECORD} bytes: a bogus length"
                    ));
                    break;
                }
                capacity *= 2;
                if reader.refill().is_err() {
                    summary.stopped = Some(format!("read error at byte {position}"));
                    break;
                }
            }
            Err(PcapError::UnexpectedEof) => {
                summary.stopped = Some(format!(
                    "the file ends in the middle of a record, at byte {position}"
                ));
                break;
            }
            Err(error) => {
                summary.stopped = Some(format!(
                    "unreadable record at byte {position}: {}",
                    plain(&error)
                ));
                break;
            }
        }
    }
    summary
}

/// Timestamp units per second from pcapng's `if_tsresol`: a power of ten, or of two when the
/// high bit is set; microseconds when it is absent (6) or impossibly fine.
fn resolution(tsresol: u8) -> u64 {
    let exponent = u32::from(tsresol & 0x7f);
    let units = if tsresol & 0x80 == 0 {
        10u64.checked_pow(exponent)
    } else {
        1u64.checked_shl(exponent)
    };
    units.filter(|units| *units > 0).unwrap_or(1_000_000)
}

fn emit(summary: &mut ReadSummary, visit: &mut impl FnMut(&Packet), packet: Packet) {
    if !summary.link_types.contains(&packet.link_type) {
        summary.link_types.push(packet.link_type);
    }
    if (packet.data.len() as u64) < u64::from(packet.original_length) {
        summary.truncated_packets += 1;
    }
    visit(&packet);
}

/// Where a pcapng block is read: its first byte, and the runs of records so far.
struct Place<'a> {
    position: u64,
    runs: &'a mut Runs,
}

/// Handles one pcapng block; returns why reading must stop, if it must.
fn ng_block(
    block: Block,
    interfaces: &mut Vec<Interface>,
    summary: &mut ReadSummary,
    at: &mut Place,
    visit: &mut impl FnMut(&Packet),
) -> Option<String> {
    match block {
        Block::SectionHeader(_) => interfaces.clear(),
        Block::InterfaceDescription(description) => {
            if interfaces.len() >= MAX_INTERFACES {
                return Some(format!(
                    "more than {MAX_INTERFACES} interfaces in one section"
                ));
            }
            interfaces.push(Interface {
                link_type: description.linktype.0,
                snap_length: match description.snaplen {
                    0 => usize::MAX,
                    length => length as usize,
                },
                resolution: resolution(description.if_tsresol),
                offset: description.ts_offset(),
            });
        }
        Block::EnhancedPacket(packet) => {
            let Some(interface) = interfaces.get(packet.if_id as usize) else {
                return Some(format!(
                    "packet {} names interface {}, which was not described",
                    summary.packets + 1,
                    packet.if_id
                ));
            };
            summary.packets += 1;
            let ticks = (u64::from(packet.ts_high) << 32) | u64::from(packet.ts_low);
            let captured = packet.data.len().min(packet.caplen as usize);
            let packet = Packet {
                number: summary.packets,
                time: ticks as f64 / interface.resolution as f64 + interface.offset as f64,
                link_type: interface.link_type,
                data: &packet.data[..captured],
                original_length: packet.origlen,
            };
            let stop = at.runs.check(at.position, &packet, true);
            emit(summary, visit, packet);
            return stop;
        }
        Block::SimplePacket(packet) => {
            let Some(interface) = interfaces.first() else {
                return Some(format!(
                    "packet {} comes before any interface was described",
                    summary.packets + 1
                ));
            };
            summary.packets += 1;
            let captured = packet
                .data
                .len()
                .min(packet.origlen as usize)
                .min(interface.snap_length);
            let packet = Packet {
                number: summary.packets,
                time: 0.0,
                link_type: interface.link_type,
                data: &packet.data[..captured],
                original_length: packet.origlen,
            };
            let stop = at.runs.check(at.position, &packet, false);
            emit(summary, visit, packet);
            return stop;
        }
        _ => {}
    }
    None
}

fn plain<I>(error: &PcapError<I>) -> String {
    match error {
        PcapError::Eof => "end of file".to_owned(),
        PcapError::ReadError => "read error".to_owned(),
        PcapError::Incomplete(_) => "incomplete record".to_owned(),
        PcapError::HeaderNotRecognized => "header not recognized".to_owned(),
        PcapError::NomError(_, kind) => format!("malformed ({kind:?})"),
        PcapError::OwnedNomError(_, kind) => format!("malformed ({kind:?})"),
        _ => "malformed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A classic pcap: little-endian, microseconds, Ethernet, with the given records.
    fn pcap(records: &[(u32, &[u8])]) -> Vec<u8> {
        let mut file = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        file.extend_from_slice(&[0; 8]);
        file.extend_from_slice(&65535u32.to_le_bytes());
        file.extend_from_slice(&1u32.to_le_bytes());
        for (seconds, data) in records {
            file.extend_from_slice(&seconds.to_le_bytes());
            file.extend_from_slice(&500_000u32.to_le_bytes());
            file.extend_from_slice(&(data.len() as u32).to_le_bytes());
            file.extend_from_slice(&(data.len() as u32).to_le_bytes());
            file.extend_from_slice(data);
        }
        file
    }

    #[test]
    fn classic_pcap_records_are_numbered_and_timed() {
        let file = pcap(&[(10, b"first"), (11, b"second")]);
        assert_eq!(Format::sniff(&file), Some(Format::Pcap));
        let mut seen = Vec::new();
        let summary = read(&file[..], |packet| {
            seen.push((packet.number, packet.time, packet.data.to_vec()))
        });
        assert_eq!(summary.packets, 2);
        assert_eq!(summary.link_types, vec![1]);
        assert_eq!(summary.stopped, None);
        assert_eq!(seen[0], (1, 10.5, b"first".to_vec()));
        assert_eq!(seen[1].0, 2);
    }

    #[test]
    fn a_truncated_file_keeps_the_packets_before_the_cut() {
        let file = pcap(&[(10, b"first"), (11, b"second")]);
        let cut = &file[..file.len() - 3];
        let summary = read(cut, |_| {});
        assert_eq!(summary.packets, 1);
        assert!(summary
            .stopped
            .as_deref()
            .is_some_and(|reason| reason.contains("ends in the middle")));
    }

    #[test]
    fn a_zero_filled_region_stops_the_reading_at_its_start() {
        let mut file = pcap(&[(10, b"first")]);
        let start = file.len();
        // What a sparse file's hole reads as: 16-byte records of zeros, without end.
        file.resize(start + 16 * (MAX_EMPTY_RUN as usize + 500), 0);
        let mut seen = 0;
        let summary = read(&file[..], |_| seen += 1);
        assert_eq!(
            summary.packets,
            1 + MAX_EMPTY_RUN,
            "stops where the run is told"
        );
        let reason = summary.stopped.expect("stopped");
        assert!(reason.contains(&format!("from byte {start}")), "{reason}");
        assert!(reason.contains("hold no byte"), "{reason}");
        // Fewer empty records than the bound, then traffic: all read.
        let mut file = pcap(&[(10, b"first")]);
        file.resize(file.len() + 16 * 100, 0);
        file.extend_from_slice(&pcap(&[(11, b"later")])[24..]);
        let summary = read(&file[..], |_| {});
        assert_eq!((summary.packets, summary.stopped), (102, None));
    }

    #[test]
    fn a_clock_that_does_not_move_stops_the_reading() {
        let one = pcap(&[(10, b"x")]);
        let record = &one[24..];
        let mut file = one.clone();
        for _ in 0..MAX_STILL_RUN {
            file.extend_from_slice(record);
        }
        let summary = read(&file[..], |_| {});
        assert_eq!(summary.packets, MAX_STILL_RUN);
        assert!(summary
            .stopped
            .is_some_and(|reason| reason.contains("share one timestamp")));
        // The same records with a moving clock are read to the end.
        let records: Vec<(u32, &[u8])> = (0..1000).map(|second| (second, &b"x"[..])).collect();
        assert_eq!(read(&pcap(&records)[..], |_| {}).stopped, None);
    }

    #[test]
    fn pcapng_timestamp_resolutions() {
        assert_eq!(resolution(6), 1_000_000);
        assert_eq!(resolution(9), 1_000_000_000);
        assert_eq!(resolution(0x80 | 10), 1024);
        assert_eq!(
            resolution(0x80 | 127),
            1_000_000,
            "2^127 units per second is no clock"
        );
        assert_eq!(resolution(30), 1_000_000, "10^30 overflows");
    }

    #[test]
    fn noise_is_not_a_capture() {
        assert_eq!(Format::sniff(b"\x0a\x0d\x0d\x0aXXXXnope"), None);
        assert_eq!(Format::sniff(b"GIF89a"), None);
        assert_eq!(Format::sniff(&[0xd4]), None);
    }
}
