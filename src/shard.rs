//! Sharded scans: a stable partition of a fleet's devices into N shards, and what a part says
//! of the scan it belongs to ([`Part`]). Merging the parts is [`crate::merge`]'s job.
//!
//! A device belongs to shard `1 + (u64 of the first 8 bytes of SHA-256(device id)) mod N`:
//! the same on every machine, whatever the file order, the thread count or the other devices.
//! Records that belong to no device (files a `fleet.toml` assigns to no device, entries the
//! walk could not read outside any device folder) go to shard 1, so every record is in exactly
//! one part. `auto/N` takes the worker's index from Kubernetes (`JOB_COMPLETION_INDEX`) or
//! Slurm (`SLURM_ARRAY_TASK_ID`).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// The environment variable Kubernetes sets on each pod of an Indexed Job (0-based).
pub const KUBERNETES_INDEX: &str = "JOB_COMPLETION_INDEX";

/// The environment variable Slurm sets on each task of a job array: 0-based when the array is
/// submitted as `--array=0-(N-1)`, as deploy/slurm/ does.
pub const SLURM_INDEX: &str = "SLURM_ARRAY_TASK_ID";

/// Where `--shard auto/N` looks for the 0-based index of the worker, in this order.
pub const INDEX_VARIABLES: [&str; 2] = [KUBERNETES_INDEX, SLURM_INDEX];

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

/// The most shards a scan is split into: Kubernetes' limit on an Indexed Job's completions,
/// and far more workers than a fleet needs. A part read by `merge` claims its count, and a
/// count of 4,294,967,295 made the merge list that many missing shards (17 GB).
pub const MAX_SHARDS: u32 = 100_000;

impl Shard {
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 {
            return Err("the shard count must be at least 1".to_owned());
        }
        if count > MAX_SHARDS {
            return Err(format!(
                "{count} shards: at most {MAX_SHARDS} are supported"
            ));
        }
        if index == 0 || index > count {
            return Err(format!(
                "shard {index} of {count}: K runs from 1 to {count}"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Parses `K/N`, or `auto/N` with K taken from the worker's 0-based index + 1: the first
    /// of [`INDEX_VARIABLES`] that is set (`JOB_COMPLETION_INDEX` on a Kubernetes Indexed Job's
    /// pod, `SLURM_ARRAY_TASK_ID` on a Slurm array task). `variable` returns a variable's
    /// value.
    pub fn parse(text: &str, variable: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let (index, count) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}`: expected K/N (e.g. 2/8) or auto/N"))?;
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| format!("`{text}`: N must be a whole number"))?;
        let index: u32 = if index.trim() == "auto" {
            Shard::index_from_environment(text, variable)?
        } else {
            index
                .trim()
                .parse()
                .map_err(|_| format!("`{text}`: K must be a whole number or auto"))?
        };
        Shard::new(index, count)
    }

    /// K (1-based) from the first index variable set. Two engines' variables set at once
    /// with different values (a Slurm job started from a pod, say) is refused rather than
    /// guessed between: the wrong guess would scan another shard's devices.
    fn index_from_environment(
        text: &str,
        variable: impl Fn(&str) -> Option<String>,
    ) -> Result<u32, String> {
        let set: Vec<(&str, String)> = INDEX_VARIABLES
            .iter()
            .filter_map(|name| variable(name).map(|value| (*name, value)))
            .collect();
        let Some((name, value)) = set.first() else {
            return Err(format!(
                "`{text}`: no worker index in the environment: tried {} (Kubernetes Indexed \
                 Job) and {} (Slurm job array), neither is set",
                INDEX_VARIABLES[0], INDEX_VARIABLES[1]
            ));
        };
        if let Some((other, other_value)) =
            set.iter().find(|(_, other)| other.trim() != value.trim())
        {
            return Err(format!(
                "`{text}`: {name}={value} and {other}={other_value} disagree: give K/N explicitly"
            ));
        }
        let zero_based: u32 = value
            .trim()
            .parse()
            .map_err(|_| format!("`{text}`: {name}={value} is not a whole number"))?;
        zero_based
            .checked_add(1)
            .ok_or_else(|| format!("`{text}`: {name}={value}: shard index overflows"))
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
        Shard::parse(text, |name| std::env::var(name).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An environment holding only `vars`.
    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn parses_k_of_n_and_the_kubernetes_index() {
        assert_eq!(
            Shard::parse("2/8", env(&[])),
            Ok(Shard { index: 2, count: 8 })
        );
        assert_eq!(
            Shard::parse("auto/8", env(&[("JOB_COMPLETION_INDEX", "0")])),
            Ok(Shard { index: 1, count: 8 })
        );
        assert!(Shard::parse("auto/8", env(&[("JOB_COMPLETION_INDEX", "8")])).is_err());
        assert!(Shard::parse("0/4", env(&[])).is_err());
        assert!(Shard::parse("5/4", env(&[])).is_err());
        assert!(Shard::parse("1/0", env(&[])).is_err());
        assert!(Shard::parse("1/100000", env(&[])).is_ok());
        assert!(Shard::parse("1/100001", env(&[])).is_err());
        // A part's head is read through the same check.
        let claimed: Result<Part, _> =
            serde_json::from_str(r#"{"index": 1, "count": 4294967295, "inputs": "x"}"#);
        assert!(claimed.is_err());
        assert!(Shard::parse("1-4", env(&[])).is_err());
        assert!(Shard::parse("one/4", env(&[])).is_err());
    }

    #[test]
    fn a_slurm_array_task_gives_the_shard_index() {
        assert_eq!(
            Shard::parse("auto/8", env(&[("SLURM_ARRAY_TASK_ID", "7")])),
            Ok(Shard { index: 8, count: 8 })
        );
        assert_eq!(
            Shard::parse("auto/8", env(&[("SLURM_ARRAY_TASK_ID", "0")])),
            Ok(Shard { index: 1, count: 8 })
        );
        // `--array=1-8` would number from 1: its last task is past the split, refused.
        assert!(Shard::parse("auto/8", env(&[("SLURM_ARRAY_TASK_ID", "8")])).is_err());
        let garbled = Shard::parse("auto/8", env(&[("SLURM_ARRAY_TASK_ID", "x")])).unwrap_err();
        assert!(
            garbled.contains("SLURM_ARRAY_TASK_ID=x is not a whole number"),
            "{garbled}"
        );
        // Both engines agreeing is one index; disagreeing is refused, naming both.
        assert_eq!(
            Shard::parse(
                "auto/8",
                env(&[("SLURM_ARRAY_TASK_ID", "2"), ("JOB_COMPLETION_INDEX", "2")])
            ),
            Ok(Shard { index: 3, count: 8 })
        );
        let both = Shard::parse(
            "auto/8",
            env(&[("SLURM_ARRAY_TASK_ID", "2"), ("JOB_COMPLETION_INDEX", "5")]),
        )
        .unwrap_err();
        assert!(
            both.contains("JOB_COMPLETION_INDEX=5 and SLURM_ARRAY_TASK_ID=2 disagree"),
            "{both}"
        );
    }

    #[test]
    fn without_an_index_the_error_names_every_variable_tried() {
        let error = Shard::parse("auto/8", env(&[("SLURM_JOB_ID", "12")])).unwrap_err();
        assert!(
            error.contains("tried JOB_COMPLETION_INDEX") && error.contains("SLURM_ARRAY_TASK_ID"),
            "{error}"
        );
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
