//! Reading a shard's part as a stream: its head (every field but the lists) whole, then its
//! devices, artifacts and findings one at a time, so that `merge` holds a few elements of each
//! part at once, never a part.
//!
//! Each part is parsed on a thread of its own, which sends what it reads through a bounded
//! channel ([`CHANNEL`] elements): the merge pulls from every part in turn (a k-way merge of
//! sorted lists) while serde_json parses each as fast as it is pulled. A part is a JSON
//! report as `scan --shard K/N --format json` writes it: an object whose last fields are
//! `devices`, `artifacts` and `findings`, in that order. A part whose keys a tool rewrote in
//! another order (`jq -S`) is read whole instead ([`read_whole`]), in each pass, and costs its
//! size in memory; a part that is not a report at all is refused with the reason, never
//! guessed.

use crate::report::{ArtifactRecord, DeviceReport, Finding, Report};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::fmt;
use std::io::{self, BufReader, Read};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// Elements a part's thread reads ahead of the merge.
const CHANNEL: usize = 16;

/// Where a part is read from; it is read once per pass of the merge.
#[derive(Clone)]
pub struct PartSource {
    /// The part as messages name it (its path as given).
    pub name: String,
    origin: Origin,
}

#[derive(Clone)]
enum Origin {
    File(PathBuf),
    Bytes(Arc<[u8]>),
}

impl PartSource {
    /// A part in a file, named `name`.
    pub fn file(name: String, path: PathBuf) -> Self {
        PartSource {
            name,
            origin: Origin::File(path),
        }
    }

    /// A part held in memory (tests, the fuzz target).
    pub fn bytes(name: String, bytes: impl Into<Arc<[u8]>>) -> Self {
        PartSource {
            name,
            origin: Origin::Bytes(bytes.into()),
        }
    }

    fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        Ok(match &self.origin {
            Origin::File(path) => Box::new(std::fs::File::open(path)?),
            Origin::Bytes(bytes) => Box::new(io::Cursor::new(Arc::clone(bytes))),
        })
    }

    /// What identifies the part's content between passes: a file's size and modification
    /// time (a part rewritten while it is merged is refused, not merged half old, half new).
    pub(crate) fn stamp(&self) -> Option<(u64, Option<std::time::SystemTime>)> {
        match &self.origin {
            Origin::File(path) => std::fs::metadata(path)
                .ok()
                .map(|metadata| (metadata.len(), metadata.modified().ok())),
            Origin::Bytes(bytes) => Some((bytes.len() as u64, None)),
        }
    }
}

/// What a part's thread sends, in the order of the part.
pub(crate) enum Element {
    /// The part's fields but its lists, with the lists empty.
    Head(Box<Report>),
    Device(Box<DeviceReport>),
    Artifact(Box<ArtifactRecord>),
    Finding(Box<Finding>),
    /// The part is read to its end.
    End,
    /// The part could not be read or is not a part: why.
    Failed(PartFailure),
}

/// Why a part could not be read.
#[derive(Debug, Clone)]
pub(crate) enum PartFailure {
    /// The file could not be opened or read.
    Unreadable(String),
    /// It is not a JSON report, or not one laid out as a scan writes it.
    NotAReport(String),
}

/// A part being read: its thread's channel, and the element read but not yet taken.
pub(crate) struct PartStream {
    pub name: String,
    receiver: Receiver<Element>,
    peeked: Option<Element>,
}

/// The three lists of a part, in the order they come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum List {
    Devices,
    Artifacts,
    Findings,
}

impl PartStream {
    /// Starts reading `source` on a thread of `scope`.
    pub fn start<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        source: &PartSource,
    ) -> PartStream {
        let (sender, receiver) = sync_channel(CHANNEL);
        let reading = source.clone();
        scope.spawn(move || read_part(&reading, &sender));
        PartStream {
            name: source.name.clone(),
            receiver,
            peeked: None,
        }
    }

    fn peek(&mut self) -> &Element {
        if self.peeked.is_none() {
            // A thread that ended without a word panicked: say so rather than hang.
            let element = self.receiver.recv().unwrap_or_else(|_| {
                Element::Failed(PartFailure::Unreadable(
                    "its reader stopped unexpectedly".to_owned(),
                ))
            });
            self.peeked = Some(element);
        }
        self.peeked.as_ref().expect("just filled")
    }

    fn take(&mut self) -> Element {
        self.peek();
        self.peeked.take().expect("just peeked")
    }

    /// The part's head; the first thing a part sends.
    pub fn head(&mut self) -> Result<Report, PartFailure> {
        match self.take() {
            Element::Head(head) => Ok(*head),
            Element::Failed(failure) => Err(failure),
            _ => Err(PartFailure::NotAReport(
                "it does not start with a report's fields".to_owned(),
            )),
        }
    }

    /// Whether the next element is one of `list` (false once the list is over).
    pub fn has_next(&mut self, list: List) -> Result<bool, PartFailure> {
        match self.peek() {
            Element::Device(_) => Ok(list == List::Devices),
            Element::Artifact(_) => Ok(list == List::Artifacts),
            Element::Finding(_) => Ok(list == List::Findings),
            Element::End | Element::Head(_) => Ok(false),
            Element::Failed(failure) => Err(failure.clone()),
        }
    }

    /// The next element, known to be there by [`PartStream::has_next`].
    pub fn next_device(&mut self) -> Option<DeviceReport> {
        match self.take() {
            Element::Device(device) => Some(*device),
            other => {
                self.peeked = Some(other);
                None
            }
        }
    }

    pub fn next_artifact(&mut self) -> Option<ArtifactRecord> {
        match self.take() {
            Element::Artifact(artifact) => Some(*artifact),
            other => {
                self.peeked = Some(other);
                None
            }
        }
    }

    pub fn next_finding(&mut self) -> Option<Finding> {
        match self.take() {
            Element::Finding(finding) => Some(*finding),
            other => {
                self.peeked = Some(other);
                None
            }
        }
    }
}

/// The message of a read stopped because the merge no longer wants the part.
const STOPPED: &str = "drone-audit: the merge stopped reading";

/// The message of a part whose lists are not its last fields.
const LAYOUT: &str = "its last fields are not `devices`, `artifacts` and `findings`, in that \
                      order, as `scan --format json` writes them";

/// A part's thread: parses `source` and sends its head, then each element, then the end.
fn read_part(source: &PartSource, sender: &SyncSender<Element>) {
    let reader = match source.open() {
        Ok(reader) => reader,
        Err(error) => {
            let _ = sender.send(Element::Failed(PartFailure::Unreadable(error.to_string())));
            return;
        }
    };
    let mut parser =
        serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, reader));
    let head_sent = Cell::new(false);
    let visitor = PartVisitor {
        sender,
        head_sent: &head_sent,
    };
    let read = de::Deserializer::deserialize_map(&mut parser, visitor).and_then(|()| parser.end());
    let last = match read {
        Ok(()) => Element::End,
        Err(error) if error.to_string().starts_with(STOPPED) => return,
        Err(error) if !head_sent.get() && error.to_string().starts_with(LAYOUT) => {
            return read_whole(source, sender);
        }
        Err(error) if error.is_io() => Element::Failed(PartFailure::Unreadable(error.to_string())),
        Err(error) => Element::Failed(PartFailure::NotAReport(error.to_string())),
    };
    let _ = sender.send(last);
}

/// A part laid out otherwise (its keys sorted by a tool that rewrote it): read whole, then
/// sent as a streamed one is. It takes the memory of the part, as every part did before
/// merges streamed.
fn read_whole(source: &PartSource, sender: &SyncSender<Element>) {
    let report = source
        .open()
        .map_err(|error| PartFailure::Unreadable(error.to_string()))
        .and_then(|reader| {
            serde_json::from_reader::<_, Report>(BufReader::with_capacity(1 << 16, reader)).map_err(
                |error| match error.is_io() {
                    true => PartFailure::Unreadable(error.to_string()),
                    false => PartFailure::NotAReport(error.to_string()),
                },
            )
        });
    let mut head = match report {
        Ok(report) => report,
        Err(failure) => {
            let _ = sender.send(Element::Failed(failure));
            return;
        }
    };
    let devices = std::mem::take(&mut head.devices);
    let artifacts = std::mem::take(&mut head.artifacts);
    let findings = std::mem::take(&mut head.findings);
    let elements = std::iter::once(Element::Head(Box::new(head)))
        .chain(
            devices
                .into_iter()
                .map(|device| Element::Device(Box::new(device))),
        )
        .chain(
            artifacts
                .into_iter()
                .map(|artifact| Element::Artifact(Box::new(artifact))),
        )
        .chain(
            findings
                .into_iter()
                .map(|finding| Element::Finding(Box::new(finding))),
        )
        .chain(std::iter::once(Element::End));
    for element in elements {
        if sender.send(element).is_err() {
            return;
        }
    }
}

/// Visits a part's top-level object: collects the head's fields, sends the head when the
/// lists begin, and streams the lists.
struct PartVisitor<'a> {
    sender: &'a SyncSender<Element>,
    /// Set once the head is sent: a part found laid out otherwise before that is read whole.
    head_sent: &'a Cell<bool>,
}

impl<'de> Visitor<'de> for PartVisitor<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a drone-audit JSON report")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut head = serde_json::Map::new();
        let mut next_list = List::Devices;
        let mut lists_done = false;
        while let Some(key) = map.next_key::<String>()? {
            let list = match key.as_str() {
                "devices" => Some(List::Devices),
                "artifacts" => Some(List::Artifacts),
                "findings" => Some(List::Findings),
                _ => None,
            };
            match list {
                None if next_list == List::Devices && !lists_done => {
                    if head.contains_key(&key) {
                        return Err(de::Error::custom(format_args!("`{key}` is given twice")));
                    }
                    let value: serde_json::Value = map.next_value()?;
                    head.insert(key, value);
                }
                Some(list) if list == next_list && !lists_done => {
                    let sender = self.sender;
                    match list {
                        List::Devices => {
                            send(sender, Element::Head(Box::new(read_head(head.clone())?)))?;
                            self.head_sent.set(true);
                            map.next_value_seed(ListSeed(sender, |device| {
                                Element::Device(Box::new(device))
                            }))?;
                            next_list = List::Artifacts;
                        }
                        List::Artifacts => {
                            map.next_value_seed(ListSeed(sender, |artifact| {
                                Element::Artifact(Box::new(artifact))
                            }))?;
                            next_list = List::Findings;
                        }
                        List::Findings => {
                            map.next_value_seed(ListSeed(sender, |finding| {
                                Element::Finding(Box::new(finding))
                            }))?;
                            lists_done = true;
                        }
                    }
                }
                _ => return Err(de::Error::custom(LAYOUT)),
            }
        }
        if !lists_done {
            return Err(de::Error::custom(
                "it lacks one of `devices`, `artifacts` and `findings`",
            ));
        }
        Ok(())
    }
}

/// The head as a report with empty lists.
fn read_head<E: de::Error>(
    mut head: serde_json::Map<String, serde_json::Value>,
) -> Result<Report, E> {
    for list in ["devices", "artifacts", "findings"] {
        head.insert(list.to_owned(), serde_json::Value::Array(Vec::new()));
    }
    serde_json::from_value(serde_json::Value::Object(head)).map_err(E::custom)
}

fn send<E: de::Error>(sender: &SyncSender<Element>, element: Element) -> Result<(), E> {
    sender.send(element).map_err(|_| E::custom(STOPPED))
}

/// A list whose elements are sent one by one as they are parsed.
struct ListSeed<'a, T>(&'a SyncSender<Element>, fn(T) -> Element);

impl<'de, T: serde::Deserialize<'de>> DeserializeSeed<'de> for ListSeed<'_, T> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: serde::Deserialize<'de>> Visitor<'de> for ListSeed<'_, T> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a list")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut list: S) -> Result<(), S::Error> {
        while let Some(element) = list.next_element::<T>()? {
            send(self.0, (self.1)(element))?;
        }
        Ok(())
    }
}
