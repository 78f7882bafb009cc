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

/// Flight logs are judged together as well as one by one: how many of a kind a device keeps
/// (logs of earlier flights not erased) and whether a vehicle's log sits in its memory-card
/// layout while the policy says cards come out after every flight. Each log's evidence gets
/// a `storage` node.
fn annotate_flight_logs(artifacts: &mut [DeviceArtifact<'_>], policy: &Policy) {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut firsts: BTreeMap<&'static str, String> = BTreeMap::new();
    for artifact in artifacts.iter() {
        let Some(group) = log_group(artifact.kind) else {
            continue;
        };
        *counts.entry(group).or_default() += 1;
        if artifact.evidence.is_some() {
            let first = firsts
                .entry(group)
                .or_insert_with(|| artifact.path.to_owned());
            if artifact.path < first.as_str() {
                *first = artifact.path.to_owned();
            }
        }
    }
    for artifact in artifacts.iter_mut() {
        let Some(group) = log_group(artifact.kind) else {
            continue;
        };
        let on_card = card_path(artifact.path).filter(|_| group == "vehicle logs");
        let first_log_on_device = firsts.get(group).map(String::as_str) == Some(artifact.path);
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
