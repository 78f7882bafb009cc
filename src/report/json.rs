//! JSON report: the [`Report`] serialised compactly (a 10,000-device report is a third
//! smaller and written a fifth faster than pretty-printed; `jq .` indents it), with a final
//! newline. The wire format is documented on [`crate::report`].
//!
//! A 10,000-device report is about 100 MB of text, and one thread writing it was a third of
//! the scan's time: the long lists (`devices`, `artifacts`, `findings`) are turned into text on
//! all the threads of the pool at once. The text is the same as serde_json's serialisation of
//! the whole [`Report`] (tests/report_formats.rs checks it).

use crate::report::{ArtifactRecord, DeviceReport, Finding, Renderer, Report};
use rayon::prelude::*;
use serde::Serialize;
use std::io;

pub struct JsonRenderer;

impl Renderer for JsonRenderer {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        out.write_all(&head(report)?)?;
        out.write_all(b"\"devices\":")?;
        write_list(&report.devices, out)?;
        out.write_all(b",\"artifacts\":")?;
        write_list(&report.artifacts, out)?;
        out.write_all(b",\"findings\":")?;
        write_list(&report.findings, out)?;
        out.write_all(b"}\n")
    }
}

/// How the report's serialisation ends when its lists are empty: the lists are its last fields.
const EMPTY_LISTS: &[u8] = br#""devices":[],"artifacts":[],"findings":[]}"#;

/// The report's text up to its lists: serde_json's serialisation of the report without them,
/// cut where they begin.
fn head(report: &Report) -> io::Result<Vec<u8>> {
    // Every field but the lists, named so that a new field cannot be forgotten here.
    let without_lists = Report {
        schema_version: report.schema_version,
        tool: report.tool.clone(),
        rules: report.rules.clone(),
        policy: report.policy.clone(),
        summary: report.summary.clone(),
        baseline: report.baseline.clone(),
        warnings: report.warnings.clone(),
        shard: report.shard.clone(),
        partial: report.partial.clone(),
        frameworks: report.frameworks.clone(),
        scan_roots: report.scan_roots.clone(),
        devices: Vec::new(),
        artifacts: Vec::new(),
        findings: Vec::new(),
    };
    let mut text = serde_json::to_vec(&without_lists)?;
    if !text.ends_with(EMPTY_LISTS) {
        return Err(io::Error::other(
            "the report's lists are not its last fields (a bug in drone-audit)",
        ));
    }
    text.truncate(text.len() - EMPTY_LISTS.len());
    Ok(text)
}

/// The JSON report written an element at a time (`merge`, which never holds the report): the
/// head of a report whose lists are empty and whose summary is final, then its devices, its
/// artifacts and its findings, in order; the same text as [`JsonRenderer`]'s.
pub struct JsonStream<'a> {
    out: &'a mut dyn io::Write,
    /// The list being written (0: devices, 1: artifacts, 2: findings) and whether it has an
    /// element yet.
    list: usize,
    started: bool,
}

/// How each list begins, in order.
const LIST_OPENINGS: [&[u8]; 3] = [b"\"devices\":[", b"],\"artifacts\":[", b"],\"findings\":["];

impl<'a> JsonStream<'a> {
    pub fn begin(report: &Report, out: &'a mut dyn io::Write) -> io::Result<Self> {
        out.write_all(&head(report)?)?;
        out.write_all(LIST_OPENINGS[0])?;
        Ok(JsonStream {
            out,
            list: 0,
            started: false,
        })
    }

    pub fn device(&mut self, device: &DeviceReport) -> io::Result<()> {
        self.element(0, device)
    }

    pub fn artifact(&mut self, artifact: &ArtifactRecord) -> io::Result<()> {
        self.element(1, artifact)
    }

    pub fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        self.element(2, finding)
    }

    pub fn end(mut self) -> io::Result<()> {
        self.open(2)?;
        self.out.write_all(b"]}\n")
    }

    /// Moves on to `list` (a list comes after the ones before it, even when they are empty).
    fn open(&mut self, list: usize) -> io::Result<()> {
        while self.list < list {
            self.list += 1;
            self.started = false;
            self.out.write_all(LIST_OPENINGS[self.list])?;
        }
        Ok(())
    }

    fn element(&mut self, list: usize, element: &impl Serialize) -> io::Result<()> {
        if list < self.list {
            return Err(io::Error::other(
                "an element after the list it belongs to (a bug in drone-audit)",
            ));
        }
        self.open(list)?;
        if self.started {
            self.out.write_all(b",")?;
        }
        self.started = true;
        serde_json::to_writer(&mut *self.out, element)?;
        Ok(())
    }
}

/// Writes `elements` as a JSON array. The threads of the pool turn a chunk of `CHUNK` elements
/// into text ([`runs_of`]), on a thread of their own ([`std::thread::scope`]) while this one
/// writes the chunk before: writing a 100 MB report had the pool idle for every chunk's write.
/// At most three chunks are held as text at once (one written, one waiting, one being made),
/// not the whole report a second time.
fn write_list<T: Serialize + Sync>(elements: &[T], out: &mut dyn io::Write) -> io::Result<()> {
    const CHUNK: usize = 1024;
    out.write_all(b"[")?;
    let mut first = true;
    let mut write_runs = |runs: serde_json::Result<Vec<Vec<u8>>>| -> io::Result<()> {
        for text in runs? {
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            out.write_all(&text)?;
        }
        Ok(())
    };
    if rayon::current_thread_index().is_some() {
        // Called on a thread of the pool, which a thread of its own would wait for: in turn.
        for chunk in elements.chunks(CHUNK) {
            write_runs(runs_of(chunk))?;
        }
    } else {
        std::thread::scope(|scope| {
            let (chunks, made) = std::sync::mpsc::sync_channel(1);
            scope.spawn(move || {
                for chunk in elements.chunks(CHUNK) {
                    // The writer has stopped (a write failed): nothing more to make.
                    if chunks.send(runs_of(chunk)).is_err() {
                        return;
                    }
                }
            });
            made.into_iter().try_for_each(&mut write_runs)
        })?;
    }
    out.write_all(b"]")
}

/// The text of `elements`, in runs of `RUN` elements made on the threads of the pool.
fn runs_of<T: Serialize + Sync>(elements: &[T]) -> serde_json::Result<Vec<Vec<u8>>> {
    const RUN: usize = 64;
    elements
        .par_chunks(RUN)
        .map(|run| {
            let mut text = Vec::new();
            for (index, element) in run.iter().enumerate() {
                if index > 0 {
                    text.push(b',');
                }
                serde_json::to_writer(&mut text, element)?;
            }
            Ok(text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_written_in_parallel_are_the_lists_serialised_in_order() {
        for count in [0, 1, 63, 64, 65, 2048, 2049, 10_000] {
            let elements: Vec<serde_json::Value> = (0..count)
                .map(|index| json!({"id": format!("device-{index:05}"), "score": index as f64 / 7.0, "tags": ["a\"b", index]}))
                .collect();
            let mut written = Vec::new();
            write_list(&elements, &mut written).unwrap();
            // The same on a thread of the pool, where the lists are made in turn.
            let mut in_pool = Vec::new();
            rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .unwrap()
                .install(|| write_list(&elements, &mut in_pool))
                .unwrap();
            assert_eq!(in_pool, written);
            assert_eq!(
                String::from_utf8(written).unwrap(),
                serde_json::to_string(&elements).unwrap(),
                "{count} elements"
            );
        }
    }
}
