//! The network resources of an intent, in the shapes the network engines
//! share: port entries (numbered ports and ranges, named ports, protocols
//! on every port), each once; CIDR blocks with the excepts inside them.

use kubescribe_core::intent::{Protocol, Resources};

use super::dedup_stable;

/// Which port(s) of a protocol a rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PortRef {
    /// A port, or the range `port..=end`.
    Number(u16, Option<u16>),
    /// A named (container) port.
    Name(String),
}

/// One protocol with a port, a range, a named port or (`None`) every port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PortEntry {
    pub protocol: Protocol,
    pub port: Option<PortRef>,
}

/// The port entries of `r`, in the intent's order (ports, named ports,
/// protocols), each once; a range that ends where it starts is one port.
pub(crate) fn port_entries(r: &Resources) -> Vec<PortEntry> {
    let mut out: Vec<PortEntry> = r
        .ports
        .iter()
        .map(|p| PortEntry {
            protocol: p.protocol,
            port: Some(PortRef::Number(p.port, p.end_port.filter(|e| *e != p.port))),
        })
        .chain(r.named_ports.iter().map(|n| PortEntry {
            protocol: n.protocol,
            port: Some(PortRef::Name(n.name.clone())),
        }))
        .chain(r.protocols.iter().map(|p| PortEntry {
            protocol: *p,
            port: None,
        }))
        .collect();
    dedup_stable(&mut out);
    out
}

/// The CIDR blocks of `r`, each once, with the excepts that lie inside it
/// (an except inside two blocks is carved out of both).
pub(crate) fn cidr_blocks(r: &Resources) -> Vec<(String, Vec<String>)> {
    use kubescribe_core::cidr::Cidr;
    let mut cidrs = r.cidrs.clone();
    dedup_stable(&mut cidrs);
    cidrs
        .into_iter()
        .map(|c| {
            let mut inside: Vec<String> = match Cidr::parse(&c) {
                Some(block) => r
                    .except_cidrs
                    .iter()
                    .filter(|e| {
                        Cidr::parse(e).is_some_and(|x| {
                            block.prefix <= x.prefix
                                && block.contains(x.addr)
                                && block.addr.is_ipv4() == x.addr.is_ipv4()
                        })
                    })
                    .cloned()
                    .collect(),
                None => Vec::new(),
            };
            dedup_stable(&mut inside);
            (c, inside)
        })
        .collect()
}
