//! Evidence that only a device's artifacts together can give: flight logs kept on the device
//! and on its memory card, and firmware images older than what the device runs.

use crate::analyze::{parameters, ArtifactKind, Evidence};
use crate::policy::Policy;
use std::collections::BTreeMap;

/// One artifact of a device, as [`annotate_device`] sees it.
pub struct DeviceArtifact<'a> {
    pub path: &'a str,
    pub kind: Option<ArtifactKind>,
    pub evidence: Option<&'a mut Evidence>,
}

/// The group a flight log counts in: the vehicle's own logs, a ground station's telemetry
/// logs, an app's flight records. Logs of one flight in different groups (the vehicle's
/// ULog and the ground station's tlog) are not "several flights".
fn log_group(kind: Option<ArtifactKind>) -> Option<&'static str> {
    match kind? {
        ArtifactKind::Ulog | ArtifactKind::DataflashLog => Some("vehicle logs"),
        ArtifactKind::Tlog => Some("telemetry logs"),
        ArtifactKind::DjiFlightRecord => Some("app flight records"),
        _ => None,
    }
}

/// The part of a log's path that is a vehicle's memory-card layout: ArduPilot's `APM/LOGS/`,
/// PX4's `log/YYYY-MM-DD/` (or `fs/microsd/log/`).
fn card_path(path: &str) -> Option<String> {
    let components: Vec<&str> = path.split(['/', '\\']).collect();
    let folders = &components[..components.len().saturating_sub(1)];
    for pair in folders.windows(2) {
        if pair[0].eq_ignore_ascii_case("APM") && pair[1].eq_ignore_ascii_case("LOGS") {
            return Some("APM/LOGS".to_owned());
        }
        let dated = pair[1].len() == 10
            && pair[1].bytes().enumerate().all(|(index, byte)| {
                if index == 4 || index == 7 {
                    byte == b'-'
                } else {
                    byte.is_ascii_digit()
                }
            });
        if pair[0] == "log" && dated {
            return Some(format!("log/{}", pair[1]));
        }
    }
    None
}

/// The facts that come from a device's artifacts together: flight logs kept
/// ([`annotate_flight_logs`]), firmware images older than what the device runs
/// ([`annotate_firmware_images`]), and which parameter values later files of the device set
/// again ([`parameters::apply_in_order`]).
pub fn annotate_device(artifacts: &mut [DeviceArtifact<'_>], policy: &Policy) {
    annotate_flight_logs(artifacts, policy);
    annotate_firmware_images(artifacts);
    // A device's parameter files are one configuration, applied in order.
    parameters::apply_in_order(artifacts.iter_mut().map(|artifact| {
        (
            artifact.path,
            artifact.kind,
            artifact.evidence.as_deref_mut(),
        )
    }));
}

/// Each autopilot image (`images[*]`) and DJI package (`packages[*]`) of a firmware artifact is
/// compared with the version the device's profile says that component runs
/// (`firmware[*].version` of the same `component`; an `autopilot` image is compared with the
/// `aircraft` when the profile names no autopilot): `installed_version`, and `downgrade` when
/// the image is older — installing it would roll the device back.
fn annotate_firmware_images(artifacts: &mut [DeviceArtifact<'_>]) {
    let installed: Vec<(String, String)> = artifacts
        .iter()
        .filter(|artifact| artifact.kind == Some(ArtifactKind::Profile))
        .filter_map(|artifact| artifact.evidence.as_deref())
        .filter_map(|evidence| evidence.document.get("firmware")?.as_array())
        .flatten()
        .filter_map(|component| {
            let text = |key: &str| component.get(key)?.as_str().map(str::to_ascii_lowercase);
            Some((
                text("component")?,
                component.get("version")?.as_str()?.to_owned(),
            ))
        })
        .collect();
    if installed.is_empty() {
        return;
    }
    for artifact in artifacts.iter_mut() {
        if artifact.kind != Some(ArtifactKind::Firmware) {
            continue;
        }
        let Some(evidence) = artifact.evidence.as_deref_mut() else {
            continue;
        };
        for section in ["images", "packages"] {
            let Some(images) = evidence
                .document
                .get_mut(section)
                .and_then(|node| node.as_array_mut())
            else {
                continue;
            };
            for image in images {
                let component = image
                    .get("component")
                    .and_then(|value| value.as_str())
                    .map(str::to_ascii_lowercase);
                let version = image
                    .get("version")
                    .and_then(|value| value.as_str())
                    .map(str::to_owned);
                let (Some(component), Some(version)) = (component, version) else {
                    continue;
                };
                // An autopilot is the aircraft's own firmware where the profile does not tell
                // them apart.
                let running = installed
                    .iter()
                    .find(|(name, _)| *name == component)
                    .or_else(|| {
                        (component == "autopilot")
                            .then(|| installed.iter().find(|(name, _)| name == "aircraft"))
                            .flatten()
                    });
                if let Some((_, running)) = running {
                    image["installed_version"] = serde_json::json!(running);
                    image["downgrade"] = serde_json::json!(
                        crate::policy::compare_versions(&version, running)
                            == std::cmp::Ordering::Less
                    );
                }
            }
        }
    }
}

/// Which vehicle a log is of, from the log's own identity: a PX4 ULog's `sys_uuid` (else its
/// board, `ver_hw`), an ArduPilot DataFlash log's board UID, a DJI flight record's aircraft
/// serial. Logs that do not say (a telemetry log is the ground station's, whatever flew; a log
/// that could not be read) are of one unidentified vehicle: they may all be of the same.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Vehicle {
    /// What tells it from others (`None`: unidentified).
    key: Option<String>,
    /// The vehicle in words, for the findings.
    text: String,
    /// The field of the log it comes from.
    identified_by: Option<&'static str>,
}

impl Vehicle {
    fn of(kind: Option<ArtifactKind>, document: Option<&serde_json::Value>) -> Vehicle {
        let text_at = |pointer: &str| {
            document
                .and_then(|document| document.pointer(pointer))
                .and_then(serde_json::Value::as_str)
                .map(str::trim)
                .filter(|text| !text.is_empty())
        };
        let identified = |key: String, text: String, field: &'static str| Vehicle {
            key: Some(key),
            text,
            identified_by: Some(field),
        };
        let found = match kind {
            Some(ArtifactKind::Ulog) => {
                match (text_at("/firmware/sys_uuid"), text_at("/firmware/ver_hw")) {
                    (Some(uuid), board) => Some(identified(
                        format!("px4 {uuid}"),
                        format!("the {} board {uuid}", board.unwrap_or("PX4")),
                        "sys_uuid",
                    )),
                    (None, Some(board)) => Some(identified(
                        format!("px4 board {board}"),
                        format!("a {board} board without a sys_uuid"),
                        "ver_hw",
                    )),
                    (None, None) => None,
                }
            }
            Some(ArtifactKind::DataflashLog) => text_at("/board/uid").map(|uid| {
                let board = text_at("/board/name").unwrap_or("ArduPilot");
                identified(
                    format!("ardupilot {uid}"),
                    format!("the {board} board {uid}"),
                    "board.uid",
                )
            }),
            Some(ArtifactKind::DjiFlightRecord) => {
                text_at("/details/aircraft_serial").map(|serial| {
                    let name = text_at("/details/aircraft_name").unwrap_or("DJI aircraft");
                    identified(
                        format!("dji {serial}"),
                        format!("the aircraft {name} {serial}"),
                        "details.aircraft_serial",
                    )
                })
            }
            _ => None,
        };
        found.unwrap_or_else(|| Vehicle {
            key: None,
            text: match kind {
                Some(ArtifactKind::Tlog) => "the vehicles this ground station flew".to_owned(),
                _ => "an unidentified vehicle".to_owned(),
            },
            identified_by: None,
        })
    }
}

/// Flight logs are judged together as well as one by one: how many logs of one vehicle a
/// device keeps (logs of earlier flights not erased: logs of three vehicles gathered in one
/// folder are not) and whether a vehicle's log sits in its memory-card layout while the policy
/// says cards come out after every flight. Each log's evidence gets a `storage` node.
fn annotate_flight_logs(artifacts: &mut [DeviceArtifact<'_>], policy: &Policy) {
    let vehicles: Vec<Option<Vehicle>> = artifacts
        .iter()
        .map(|artifact| {
            log_group(artifact.kind).map(|_| {
                let document = artifact
                    .evidence
                    .as_deref()
                    .map(|evidence| &evidence.document);
                Vehicle::of(artifact.kind, document)
            })
        })
        .collect();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut per_vehicle: BTreeMap<(&'static str, &Vehicle), usize> = BTreeMap::new();
    let mut firsts: BTreeMap<&'static str, &str> = BTreeMap::new();
    let mut vehicle_firsts: BTreeMap<(&'static str, &Vehicle), &str> = BTreeMap::new();
    for (artifact, vehicle) in artifacts.iter().zip(&vehicles) {
        let (Some(group), Some(vehicle)) = (log_group(artifact.kind), vehicle.as_ref()) else {
            continue;
        };
        *counts.entry(group).or_default() += 1;
        *per_vehicle.entry((group, vehicle)).or_default() += 1;
        if artifact.evidence.is_some() {
            for first in [
                firsts.entry(group).or_insert(artifact.path),
                vehicle_firsts
                    .entry((group, vehicle))
                    .or_insert(artifact.path),
            ] {
                if artifact.path < *first {
                    *first = artifact.path;
                }
            }
        }
    }
    let firsts: BTreeMap<&'static str, String> = firsts
        .into_iter()
        .map(|(group, path)| (group, path.to_owned()))
        .collect();
    let vehicle_facts: BTreeMap<(&'static str, Vehicle), (usize, Option<String>)> = per_vehicle
        .into_iter()
        .map(|((group, vehicle), count)| {
            let first = vehicle_firsts
                .get(&(group, vehicle))
                .map(|path| (*path).to_owned());
            ((group, vehicle.clone()), (count, first))
        })
        .collect();
    for (artifact, vehicle) in artifacts.iter_mut().zip(vehicles) {
        let (Some(group), Some(vehicle)) = (log_group(artifact.kind), vehicle) else {
            continue;
        };
        let on_card = card_path(artifact.path).filter(|_| group == "vehicle logs");
        let first_log_on_device = firsts.get(group).map(String::as_str) == Some(artifact.path);
        let (of_vehicle, first_of_vehicle) = vehicle_facts
            .get(&(group, vehicle.clone()))
            .map(|(count, first)| (*count, first.as_deref() == Some(artifact.path)))
            .unwrap_or((0, false));
        let Some(document) = artifact
            .evidence
            .as_deref_mut()
            .and_then(|evidence| evidence.document.as_object_mut())
        else {
            continue;
        };
        let mut storage = serde_json::json!({
            "kind_of_log": group,
            "logs_of_its_kind_on_device": counts.get(group).copied().unwrap_or(0),
            "first_log_on_device": first_log_on_device,
            "vehicle": vehicle.text,
            "vehicle_identified_by": vehicle.identified_by,
            "logs_of_this_vehicle_on_device": of_vehicle,
            "first_log_of_this_vehicle": first_of_vehicle,
            "on_vehicle_card": on_card.is_some(),
            "policy": {"cards_removed_after_flight": policy.cards_removed_after_flight},
            // The facts are about the whole file: findings point at its start.
            "offset": 0,
        });
        if let Some(card) = on_card {
            storage["card_path"] = serde_json::json!(card);
        }
        document.insert("storage".to_owned(), storage);
    }
}
