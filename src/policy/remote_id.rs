//! The policy's `[remote_id]` table: whether a broadcast Remote ID may carry the aircraft's
//! serial number and the operator's position in the clear, and the facts it adds to each
//! broadcaster of a capture's `remote_id` (`policy.serial_in_clear`,
//! `policy.operator_location_in_clear`).
//!
//! Both default to allowed: broadcast Remote ID is what the FAA (14 CFR Part 89) and the EU
//! (Delegated Regulation 2019/945, direct remote identification) require of most flights, so
//! an audit that flagged every lawful broadcast by default would only teach people to disable
//! the rules. An organisation whose flights must not disclose them (a declared exemption, a
//! FAA-recognised identification area, a test range, operations under a security waiver) sets
//! them to `false`, and RID-001 and RID-002 then fire on what the air showed.

use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRemoteId {
    serial_in_clear: Option<bool>,
    operator_location_in_clear: Option<bool>,
}

/// What the organisation lets a Remote ID broadcast disclose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteIdPolicy {
    /// The UA's serial number (a Basic ID of ID type 1) may be broadcast.
    pub serial_in_clear: bool,
    /// The operator's position (System message) may be broadcast.
    pub operator_location_in_clear: bool,
}

impl Default for RemoteIdPolicy {
    fn default() -> Self {
        RemoteIdPolicy {
            serial_in_clear: true,
            operator_location_in_clear: true,
        }
    }
}

impl RemoteIdPolicy {
    pub(super) fn from_raw(raw: &RawRemoteId) -> Self {
        let default = RemoteIdPolicy::default();
        RemoteIdPolicy {
            serial_in_clear: raw.serial_in_clear.unwrap_or(default.serial_in_clear),
            operator_location_in_clear: raw
                .operator_location_in_clear
                .unwrap_or(default.operator_location_in_clear),
        }
    }

    /// `remote_id.broadcasters[*]` of a capture: what the policy allows them to disclose.
    pub(super) fn enrich(&self, document: &mut Value) {
        let Some(broadcasters) = document
            .pointer_mut("/remote_id/broadcasters")
            .and_then(Value::as_array_mut)
        else {
            return;
        };
        for broadcaster in broadcasters {
            if let Some(object) = broadcaster.as_object_mut() {
                object.insert(
                    "policy".to_owned(),
                    json!({
                        "serial_in_clear": self.serial_in_clear,
                        "operator_location_in_clear": self.operator_location_in_clear,
                    }),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasters_learn_what_they_may_disclose() {
        let strict = RemoteIdPolicy::from_raw(&RawRemoteId {
            serial_in_clear: Some(false),
            operator_location_in_clear: None,
        });
        let mut document = json!({"remote_id": {"broadcasters": [{"serial": "X"}]}});
        strict.enrich(&mut document);
        let policy = &document["remote_id"]["broadcasters"][0]["policy"];
        assert_eq!(policy["serial_in_clear"], false);
        assert_eq!(policy["operator_location_in_clear"], true);
        let mut without = json!({"flows": []});
        strict.enrich(&mut without);
        assert_eq!(without, json!({"flows": []}));
    }
}
