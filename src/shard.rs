//! Sharded scans: a stable partition of a fleet's devices into N shards, and what a part says
//! of the scan it belongs to ([`Part`]). Merging the parts is [`crate::merge`]'s job.
//!
//! A device belongs to shard `1 + (u64 of the first 8 bytes of SHA-256(device id)) mod N`:
//! the same on every machine, whatever the file order, the thread count or the other devices.
//! Records that belong to no device (files a `fleet.toml` assigns to no device, entries the
//! walk could not read) go to shard 1, so every record is in exactly one part.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// The environment variable Kubernetes sets on each pod of an Indexed Job (0-based).
pub const KUBERNETES_INDEX: &str = "JOB_COMPLETION_INDEX";

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "ShardFields")]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// A shard as a part states it, validated into a [`Shard`].
#[derive(Deserialize, schemars::JsonSchema)]
struct ShardFields {
    index: u32,
    count: u32,
}

impl TryFrom<ShardFields> for Shard {
    type Error = String;
    fn try_from(fields: ShardFields) -> Result<Shard, String> {
        Shard::new(fields.index, fields.count)
    }
}

/// What a part says of the scan it is a part of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Part {
    #[serde(flatten)]
    pub shard: Shard,
    /// SHA-256 of what every worker must have been given alike: the paths as given, the rules
    /// folder and the file-size limit. Parts with different inputs are not one scan.
    pub inputs: String,
}

/// What a merge of an incomplete set of parts lacked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Partial {
    pub missing_shards: Vec<u32>,
}

impl Shard {
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 {
            return Err("the shard count must be at least 1".to_owned());
        }
        if index == 0 || index > count {
            return Err(format!(
                "shard {index} of {count}: K runs from 1 to {count}"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Parses `K/N`, or `auto/N` with K taken from `JOB_COMPLETION_INDEX` + 1 (Kubernetes
    /// numbers from 0). `index_from_env` returns that variable's value.
    pub fn parse(
        text: &str,
        index_from_env: impl FnOnce() -> Option<String>,
    ) -> Result<Shard, String> {
        let (index, count) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}`: expected K/N (e.g. 2/8) or auto/N"))?;
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| format!("`{text}`: N must be a whole number"))?;
        let index: u32 = if index.trim() == "auto" {
            let value = index_from_env()
                .ok_or_else(|| format!("`{text}`: {KUBERNETES_INDEX} is not set"))?;
            let zero_based: u32 = value.trim().parse().map_err(|_| {
                format!("`{text}`: {KUBERNETES_INDEX}={value} is not a whole number")
            })?;
            zero_based.checked_add(1).ok_or("shard index overflows")?
        } else {
            index
                .trim()
                .parse()
                .map_err(|_| format!("`{text}`: K must be a whole number or auto"))?
        };
        Shard::new(index, count)
    }

    /// The shard (1-based) a device belongs to, of `count`.
    pub fn of_device(device: &str, count: u32) -> u32 {
        let digest = Sha256::digest(device.as_bytes());
        let mut head = [0u8; 8];
        head.copy_from_slice(&digest[..8]);
        // The remainder is below `count`, a u32, so it fits.
        (u64::from_be_bytes(head) % u64::from(count)) as u32 + 1
    }

    pub fn owns_device(&self, device: &str) -> bool {
        Shard::of_device(device, self.count) == self.index
    }

    /// Records that belong to no device are in shard 1's part.
    pub fn owns_unattached(&self) -> bool {
        self.index == 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(text: &str) -> Result<Shard, String> {
        Shard::parse(text, || std::env::var(KUBERNETES_INDEX).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k_of_n_and_the_kubernetes_index() {
        assert_eq!(
            Shard::parse("2/8", || None),
            Ok(Shard { index: 2, count: 8 })
        );
        assert_eq!(
            Shard::parse("auto/8", || Some("0".to_owned())),
            Ok(Shard { index: 1, count: 8 })
        );
        assert!(Shard::parse("auto/8", || None)
            .unwrap_err()
            .contains("JOB_COMPLETION_INDEX is not set"));
        assert!(Shard::parse("auto/8", || Some("8".to_owned())).is_err());
        assert!(Shard::parse("0/4", || None).is_err());
        assert!(Shard::parse("5/4", || None).is_err());
        assert!(Shard::parse("1/0", || None).is_err());
        assert!(Shard::parse("1-4", || None).is_err());
        assert!(Shard::parse("one/4", || None).is_err());
    }

    #[test]
    fn every_device_is_in_exactly_one_shard_and_the_split_is_even() {
        let count = 4;
        let shards: Vec<Shard> = (1..=count)
            .map(|index| Shard::new(index, count).expect("valid"))
            .collect();
        let mut sizes = [0u32; 4];
        for number in 0..4000 {
            let device = format!("drone-{number:05}");
            let owners: Vec<&Shard> = shards
                .iter()
                .filter(|shard| shard.owns_device(&device))
                .collect();
            assert_eq!(owners.len(), 1, "{device}");
            sizes[owners[0].index as usize - 1] += 1;
        }
        for size in sizes {
            assert!((850..=1150).contains(&size), "{sizes:?}");
        }
    }

    #[test]
    fn the_partition_is_stable() {
        // Pinned: a change here would scatter every fleet's devices across different shards.
        assert_eq!(Shard::of_device("m2e-hq", 4), Shard::of_device("m2e-hq", 4));
        assert_eq!(Shard::of_device("anything", 1), 1);
        let pinned: Vec<u32> = ["m2e-hq", "m2e-field", "anafi-thermal", "px4-quad"]
            .iter()
            .map(|device| Shard::of_device(device, 3))
            .collect();
        assert_eq!(pinned, PINNED);
    }

    const PINNED: [u32; 4] = [2, 3, 1, 2];
}
