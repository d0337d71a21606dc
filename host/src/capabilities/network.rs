//! Which addresses a connector may reach once a host name is resolved: the
//! public internet only, unless the connection allows its private network
//! (an emulator on this machine, an API on the office LAN). Link-local
//! addresses, where cloud metadata services answer, and addresses that name
//! no single host are refused whatever the config says. See
//! docs/2026-12-01-network-policy.md.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What a connection may reach besides the public internet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NetworkScope {
    /// Public addresses only (the default).
    #[default]
    Public,
    /// Also loopback and private ranges (`allow_private_network = true`).
    WithPrivate,
}

/// Why an address is refused, in words a config author can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Never reachable: metadata services, link-local, unspecified, multicast.
    Always(&'static str),
    /// Reachable with `allow_private_network = true`.
    Private(&'static str),
}

impl NetworkScope {
    /// The scope a connection's table asks for (`allow_private_network`).
    pub fn prepare(allow_private_network: bool) -> Self {
        if allow_private_network { NetworkScope::WithPrivate } else { NetworkScope::Public }
    }

    /// `Ok` when a connection with this scope may connect to `ip`.
    pub fn admits(self, ip: IpAddr) -> Result<(), Refusal> {
        match classify(ip) {
            None => Ok(()),
            Some(Refusal::Private(_)) if self == NetworkScope::WithPrivate => Ok(()),
            Some(refusal) => Err(refusal),
        }
    }
}

impl Refusal {
    /// "169.254.169.254 is a link-local address (where cloud metadata
    /// services answer); no connection may reach it", or how to allow it.
    pub fn explain(&self, ip: IpAddr) -> String {
        match self {
            Refusal::Always(what) => format!("{ip} is {what}; no connection may reach it"),
            Refusal::Private(what) => format!(
                "{ip} is {what}; a connection reaches only public addresses unless its table in the tenant config \
                 says `allow_private_network = true` (e.g. for an emulator on this machine)"
            ),
        }
    }
}

fn classify(ip: IpAddr) -> Option<Refusal> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        // An IPv4 address written as IPv6 is that IPv4 address.
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

const METADATA: &str = "a link-local address (where cloud metadata services answer)";

fn classify_v4(ip: Ipv4Addr) -> Option<Refusal> {
    let [a, b, ..] = ip.octets();
    Some(if ip.is_link_local() {
        Refusal::Always(METADATA)
    } else if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || a == 0 || a >= 240 {
        Refusal::Always("not the address of one host (unspecified, broadcast, multicast or reserved)")
    } else if a == 100 && b == 100 && ip.octets()[2] == 100 && ip.octets()[3] == 200 {
        Refusal::Always("a cloud metadata address")
    } else if ip.is_loopback() {
        Refusal::Private("a loopback address (this machine)")
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) || (a == 198 && (b == 18 || b == 19)) {
        Refusal::Private("a private-network address")
    } else {
        return None;
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<Refusal> {
    let first = ip.segments()[0];
    Some(if (first & 0xffc0) == 0xfe80 {
        Refusal::Always("a link-local address (where cloud metadata services may answer)")
    } else if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        Refusal::Always("a cloud metadata address")
    } else if ip.is_unspecified() || ip.is_multicast() {
        Refusal::Always("not the address of one host (unspecified or multicast)")
    } else if ip.is_loopback() {
        Refusal::Private("a loopback address (this machine)")
    } else if (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfec0 {
        Refusal::Private("a private-network address")
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(scope: NetworkScope, ip: &str) -> Option<String> {
        let ip: IpAddr = ip.parse().unwrap();
        scope.admits(ip).err().map(|r| r.explain(ip))
    }

    #[test]
    fn metadata_and_link_local_are_refused_even_with_private_networks_allowed() {
        for ip in [
            "169.254.169.254",
            "169.254.170.2",
            "100.100.100.200",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
        ] {
            let why = refused(NetworkScope::WithPrivate, ip).unwrap_or_else(|| panic!("{ip} must be refused"));
            assert!(why.contains("no connection may reach it"), "{why}");
        }
        for ip in ["0.0.0.0", "255.255.255.255", "224.0.0.1", "::"] {
            assert!(refused(NetworkScope::WithPrivate, ip).is_some(), "{ip}");
        }
    }

    #[test]
    fn loopback_and_private_ranges_need_the_allowance() {
        for ip in
            ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "::1", "fd12::1", "::ffff:127.0.0.1"]
        {
            let why = refused(NetworkScope::Public, ip).unwrap_or_else(|| panic!("{ip} must be refused"));
            assert!(why.contains("allow_private_network = true"), "{why}");
            assert_eq!(refused(NetworkScope::WithPrivate, ip), None, "{ip} is allowed with the allowance");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2a00:1450:4001:80b::200e"] {
            assert_eq!(refused(NetworkScope::Public, ip), None, "{ip}");
        }
    }
}
