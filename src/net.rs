//! Network addresses as the controls see them: whether an address stays on the local network
//! or reaches the internet, and whether the policy allows it.

use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Where an address leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AddressScope {
    /// 0.0.0.0 or :: : every interface (as a listening address) or none.
    Unspecified,
    Loopback,
    /// RFC 1918, RFC 6598 shared (carrier-grade NAT) and IPv6 unique-local addresses.
    Private,
    LinkLocal,
    Multicast,
    Broadcast,
    /// Everything else: reachable over the internet.
    Public,
}

impl AddressScope {
    /// Whether traffic to this address can leave the local network.
    pub fn is_public(self) -> bool {
        self == AddressScope::Public
    }
}

pub fn scope(address: IpAddr) -> AddressScope {
    match address {
        IpAddr::V4(v4) => scope_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => scope_v4(v4),
            None => scope_v6(v6),
        },
    }
}

fn scope_v4(address: Ipv4Addr) -> AddressScope {
    let [first, second, ..] = address.octets();
    if address.is_unspecified() {
        AddressScope::Unspecified
    } else if address.is_loopback() {
        AddressScope::Loopback
    } else if address.is_private() || (first == 100 && (64..128).contains(&second)) {
        AddressScope::Private
    } else if address.is_link_local() {
        AddressScope::LinkLocal
    } else if address.is_multicast() {
        AddressScope::Multicast
    } else if address.is_broadcast() {
        AddressScope::Broadcast
    } else {
        AddressScope::Public
    }
}

fn scope_v6(address: Ipv6Addr) -> AddressScope {
    let first = address.segments()[0];
    if address.is_unspecified() {
        AddressScope::Unspecified
    } else if address.is_loopback() {
        AddressScope::Loopback
    } else if first & 0xfe00 == 0xfc00 {
        AddressScope::Private
    } else if first & 0xffc0 == 0xfe80 {
        AddressScope::LinkLocal
    } else if address.is_multicast() {
        AddressScope::Multicast
    } else {
        AddressScope::Public
    }
}

/// An entry of the policy's `network.allowed`: a CIDR block, an address, or a host name with
/// an optional leading `*.` wildcard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedDestination {
    Network { address: IpAddr, prefix: u8 },
    Host(String),
}

impl AllowedDestination {
    pub fn parse(text: &str) -> Result<AllowedDestination, String> {
        let text = text.trim();
        if let Some((address, prefix)) = text.split_once('/') {
            let address: IpAddr = address
                .parse()
                .map_err(|_| format!("`{text}`: not an address/prefix"))?;
            let prefix: u8 = prefix
                .parse()
                .map_err(|_| format!("`{text}`: prefix is not a number"))?;
            let bits = if address.is_ipv4() { 32 } else { 128 };
            if prefix > bits {
                return Err(format!("`{text}`: prefix longer than {bits} bits"));
            }
            return Ok(AllowedDestination::Network { address, prefix });
        }
        if let Ok(address) = text.parse::<IpAddr>() {
            let prefix = if address.is_ipv4() { 32 } else { 128 };
            return Ok(AllowedDestination::Network { address, prefix });
        }
        let host = text.strip_prefix("*.").unwrap_or(text);
        let valid = !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !valid {
            return Err(format!(
                "`{text}`: not a CIDR block, an address or a host name"
            ));
        }
        Ok(AllowedDestination::Host(text.to_ascii_lowercase()))
    }

    pub fn allows_address(&self, candidate: IpAddr) -> bool {
        let AllowedDestination::Network { address, prefix } = self else {
            return false;
        };
        match (address, candidate) {
            (IpAddr::V4(network), IpAddr::V4(candidate)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
                u32::from(*network) & mask == u32::from(candidate) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(candidate)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*prefix)).unwrap_or(0);
                u128::from(*network) & mask == u128::from(candidate) & mask
            }
            _ => false,
        }
    }

    pub fn allows_host(&self, candidate: &str) -> bool {
        let AllowedDestination::Host(pattern) = self else {
            return false;
        };
        let candidate = candidate.trim_end_matches('.').to_ascii_lowercase();
        match pattern.strip_prefix("*.") {
            Some(suffix) => {
                candidate.len() > suffix.len()
                    && candidate.ends_with(suffix)
                    && candidate[..candidate.len() - suffix.len()].ends_with('.')
            }
            None => candidate == *pattern,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_the_rfcs() {
        let scope_of = |text: &str| scope(text.parse().unwrap());
        assert_eq!(scope_of("0.0.0.0"), AddressScope::Unspecified);
        assert_eq!(scope_of("127.0.0.1"), AddressScope::Loopback);
        assert_eq!(scope_of("192.168.1.1"), AddressScope::Private);
        assert_eq!(scope_of("100.100.1.1"), AddressScope::Private);
        assert_eq!(scope_of("169.254.3.4"), AddressScope::LinkLocal);
        assert_eq!(scope_of("224.0.0.251"), AddressScope::Multicast);
        assert_eq!(scope_of("255.255.255.255"), AddressScope::Broadcast);
        assert_eq!(scope_of("8.8.8.8"), AddressScope::Public);
        assert_eq!(scope_of("fd00::1"), AddressScope::Private);
        assert_eq!(scope_of("fe80::1"), AddressScope::LinkLocal);
        assert_eq!(scope_of("::ffff:10.0.0.1"), AddressScope::Private);
        assert_eq!(scope_of("2001:db8::1"), AddressScope::Public);
    }

    #[test]
    fn allowed_destinations_match_blocks_addresses_and_hosts() {
        let block = AllowedDestination::parse("203.0.113.0/24").unwrap();
        assert!(block.allows_address("203.0.113.77".parse().unwrap()));
        assert!(!block.allows_address("203.0.114.1".parse().unwrap()));
        let everything = AllowedDestination::parse("0.0.0.0/0").unwrap();
        assert!(everything.allows_address("8.8.8.8".parse().unwrap()));
        let wildcard = AllowedDestination::parse("*.example.org").unwrap();
        assert!(wildcard.allows_host("gcs.Example.org."));
        assert!(!wildcard.allows_host("example.org"));
        assert!(!wildcard.allows_host("evilexample.org"));
        assert!(AllowedDestination::parse("10.0.0.0/33").is_err());
        assert!(AllowedDestination::parse("not a host!").is_err());
    }
}
