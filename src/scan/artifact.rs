//! One artifact through the pipeline: read it (within the limits, hashing it on the way),
//! identify it by content, analyze it with a panic contained to that artifact, and apply the
//! policy to its evidence. The scan, `inspect`, the rule fixtures and the fuzz targets all go
//! through these functions.

use crate::analyze::parameters::ParameterScope;
use crate::analyze::{
    self, capture, AnalyzeError, AnalyzeOptions, Analyzer, ArtifactKind, Evidence,
};
use crate::digest::hex;
use crate::discover::display;
use crate::file_bytes;
use crate::policy::Policy;
use crate::report::{ArtifactRecord, ArtifactStatus};
use crate::scan::Limits;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// One artifact after the pipeline: its record in the report, and its evidence when the
/// analysis gave any.
pub struct ScannedArtifact {
    pub record: ArtifactRecord,
    pub evidence: Option<Evidence>,
}

impl ScannedArtifact {
    /// The artifact at `path` (of no device) after an analysis that ran elsewhere.
    pub fn from_analysis(path: &Path, result: Result<Evidence, AnalyzeError>) -> Self {
        let mut record = new_record(path, None);
        record.kind = result.as_ref().ok().map(|evidence| evidence.kind);
        finish_analysis(record, result)
    }

    /// An artifact that gave no evidence, and why.
    fn failed(mut record: ArtifactRecord, status: ArtifactStatus, reason: String) -> Self {
        record.status = status;
        record.reason = Some(reason);
        ScannedArtifact {
            record,
            evidence: None,
        }
    }
}

/// Reads, hashes, identifies and analyzes one file, then applies the policy to its evidence.
/// `device` is the device it belongs to (none for a file inspected on its own). Only a
/// regular file is read (a FIFO would block, a device never ends), and no more of it than
/// the limits allow; a panic in its analyzer costs this artifact, not the scan. Its evidence
/// holds the parameters of `parameters` (what the rules in force can read, in a scan).
pub fn analyze_file(
    path: &Path,
    device: Option<&str>,
    policy: &Policy,
    limits: Limits,
    parameters: &ParameterScope,
) -> ScannedArtifact {
    let record = new_record(path, device);
    let cannot_read = |record, error: std::io::Error| {
        ScannedArtifact::failed(
            record,
            ArtifactStatus::Error,
            format!("cannot read: {error}"),
        )
    };
    let mut file = match file_bytes::open_regular(path) {
        Ok(file) => file,
        Err(error) => return cannot_read(record, error),
    };
    // Captures are streamed through a bounded buffer, so they are held to a size limit of
    // their own; everything else is read whole, from the file already open.
    match capture::format_of(&mut file) {
        Ok(Some(format)) => {
            return analyze_capture(file, format, record, policy, limits.max_capture_size)
        }
        Ok(None) => {}
        Err(error) => return cannot_read(record, error),
    }
    let content = match file_bytes::load(&mut file, limits.max_file_size) {
        Ok(content) => content,
        Err(error) if error.kind() == std::io::ErrorKind::FileTooLarge => {
            let mut record = record;
            record.size = file.metadata().ok().map(|metadata| metadata.len());
            return ScannedArtifact::failed(record, ArtifactStatus::Error, error.to_string());
        }
        Err(error) => return cannot_read(record, error),
    };
    drop(file);
    analyze_loaded(path, &content, record, policy, limits, parameters)
}

/// Identifies, analyzes and hashes content already in memory (a file read whole, or a fuzz
/// input), then applies the policy: [`analyze_file`] after the reading.
pub fn analyze_content(
    path: &Path,
    content: &[u8],
    policy: &Policy,
    limits: Limits,
    parameters: &ParameterScope,
) -> ScannedArtifact {
    analyze_loaded(
        path,
        content,
        new_record(path, None),
        policy,
        limits,
        parameters,
    )
}

/// The record of an artifact not read yet: an error until the pipeline says otherwise.
fn new_record(path: &Path, device: Option<&str>) -> ArtifactRecord {
    ArtifactRecord {
        path: display(path),
        device: device.map(str::to_owned),
        kind: None,
        size: None,
        sha256: None,
        status: ArtifactStatus::Error,
        reason: None,
        warnings: Vec::new(),
    }
}

fn analyze_loaded(
    path: &Path,
    content: &[u8],
    mut record: ArtifactRecord,
    policy: &Policy,
    limits: Limits,
    parameters: &ParameterScope,
) -> ScannedArtifact {
    record.size = Some(content.len() as u64);
    let named = analyze::kind_named(path);
    // A file whose name says what it is goes to that analyzer when no analyzer recognises its
    // content: a damaged one is then an error with the reason, never skipped as unknown.
    // A kind nothing in its bytes can show (a signing key is random) goes by its name alone.
    let by_name_only = named == Some(ArtifactKind::MavlinkSigningKey);
    let analyzer = if content.is_empty() || by_name_only {
        named.map(analyze::analyzer_for)
    } else {
        analyze::identify(path, content).or_else(|| named.map(analyze::analyzer_for))
    };
    let Some(analyzer) = analyzer else {
        record.sha256 = Some(hex(&Sha256::digest(content)));
        let reason = if content.is_empty() {
            "empty file"
        } else {
            "not a known artifact kind (no analyzer recognised its content)"
        };
        return ScannedArtifact::failed(record, ArtifactStatus::Skipped, reason.to_owned());
    };
    record.kind = Some(analyzer.kind());
    // The digest and the analysis read the same bytes: on two cores where one is free.
    let (digest, result) = rayon::join(
        || hex(&Sha256::digest(content)),
        || contain_panic(|| analyze_as(analyzer, content, policy, limits, parameters)),
    );
    record.sha256 = Some(digest);
    finish_analysis(record, result)
}

/// Analyzes content of the analyzer's kind within the limits and applies the policy to the
/// evidence: the stage after identification, as the scan runs it, but without containing a
/// panic (the fuzz targets want to see it).
pub fn analyze_as(
    analyzer: &dyn Analyzer,
    content: &[u8],
    policy: &Policy,
    limits: Limits,
    parameters: &ParameterScope,
) -> Result<Evidence, AnalyzeError> {
    let options = AnalyzeOptions {
        unpack: limits.unpack,
        parameters,
    };
    let mut evidence = analyzer.analyze_with_options(content, options)?;
    policy.enrich(evidence.kind, &mut evidence.document);
    Ok(evidence)
}

/// Runs an analyzer so that a bug in it (a panic on some input, despite the fuzzing) costs
/// that artifact, reported as an error, and not the scan of the fleet.
pub fn contain_panic(
    analyze: impl FnOnce() -> Result<Evidence, AnalyzeError>,
) -> Result<Evidence, AnalyzeError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(analyze)).unwrap_or_else(|_| {
        Err(AnalyzeError::new(
            "the analyzer failed on this input (a bug in drone-audit: please report it with the file)",
        ))
    })
}

/// A reader that hashes what passes through it and counts the bytes.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..count]);
        self.bytes += count as u64;
        Ok(count)
    }
}

/// Streams a capture through the analyzer, hashing it on the way.
fn analyze_capture(
    file: File,
    format: capture::Format,
    mut record: ArtifactRecord,
    policy: &Policy,
    max_size: u64,
) -> ScannedArtifact {
    record.kind = Some(ArtifactKind::Capture);
    // Refused before any byte is read or hashed: the bound is on time as much as memory.
    match file.metadata() {
        Ok(metadata) if metadata.len() > max_size => {
            record.size = Some(metadata.len());
            let reason = format!(
                "capture is {} bytes, over the {max_size}-byte limit (--max-capture-size)",
                metadata.len()
            );
            return ScannedArtifact::failed(record, ArtifactStatus::Error, reason);
        }
        Ok(_) => {}
        Err(error) => {
            return ScannedArtifact::failed(
                record,
                ArtifactStatus::Error,
                format!("cannot read: {error}"),
            )
        }
    }
    let mut reader = HashingReader {
        inner: std::io::BufReader::with_capacity(1 << 16, file),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let result = contain_panic(|| {
        let limits = capture::CaptureLimits { max_size };
        let mut evidence = capture::analyze_stream_within(format, &mut reader, limits)?;
        policy.enrich(evidence.kind, &mut evidence.document);
        Ok(evidence)
    });
    // The analysis may stop early (a damaged record): the digest still covers the whole file.
    let rest = std::io::copy(&mut reader, &mut std::io::sink());
    record.size = Some(reader.bytes);
    record.sha256 = Some(hex(&reader.hasher.finalize()));
    if let Err(error) = rest {
        return ScannedArtifact::failed(
            record,
            ArtifactStatus::Error,
            format!("cannot read: {error}"),
        );
    }
    finish_analysis(record, result)
}

/// Turns an analyzer's result into the artifact's record and evidence.
fn finish_analysis(
    mut record: ArtifactRecord,
    result: Result<Evidence, AnalyzeError>,
) -> ScannedArtifact {
    match result {
        Ok(mut evidence) => {
            record.status = match evidence.incomplete.take() {
                Some(reason) => {
                    record.reason = Some(reason);
                    ArtifactStatus::Partial
                }
                None => ArtifactStatus::Assessed,
            };
            record.warnings = std::mem::take(&mut evidence.warnings);
            ScannedArtifact {
                record,
                evidence: Some(evidence),
            }
        }
        Err(error) if error.not_this_kind => {
            record.kind = None;
            ScannedArtifact::failed(record, ArtifactStatus::Skipped, error.message)
        }
        Err(error) => ScannedArtifact::failed(record, ArtifactStatus::Error, error.message),
    }
}
