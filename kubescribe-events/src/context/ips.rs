//! IP summarization: addresses → CIDR blocks.

use std::net::IpAddr;

use serde::Serialize;

use super::frontier::{Node, cut};

/// One summarized block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CidrEntry {
    /// `a.b.c.d/len` (or IPv6).
    pub cidr: String,
    /// Observations covered.
    pub count: u64,
    /// Distinct addresses covered.
    pub members: usize,
}

impl CidrEntry {
    /// Whether the block contains `ip`.
    pub fn covers(&self, ip: IpAddr) -> bool {
        let Some((net, len)) = self.cidr.split_once('/') else {
            return false;
        };
        let (Ok(net), Ok(len)) = (net.parse::<IpAddr>(), len.parse::<u32>()) else {
            return false;
        };
        match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => {
                prefix_eq(u32::from(n) as u128, u32::from(i) as u128, len, 32)
            }
            (IpAddr::V6(n), IpAddr::V6(i)) => prefix_eq(u128::from(n), u128::from(i), len, 128),
            _ => false,
        }
    }
}

fn prefix_eq(a: u128, b: u128, len: u32, bits: u32) -> bool {
    let shift = bits - len.min(bits);
    shift >= 128 || (a >> shift) == (b >> shift)
}

/// A run of sorted addresses of one family, as a node of the prefix trie.
struct Block<'a> {
    ips: &'a [(u128, u64)],
    bits: u32,
}

impl Block<'_> {
    fn prefix_len(&self) -> u32 {
        let (lo, hi) = (self.ips[0].0, self.ips[self.ips.len() - 1].0);
        let diff = lo ^ hi;
        let lead = if self.bits == 32 {
            diff.leading_zeros() - 96
        } else {
            diff.leading_zeros()
        };
        lead.min(self.bits)
    }

    fn network(&self) -> String {
        let len = self.prefix_len();
        let shift = self.bits - len;
        let base = if shift >= 128 {
            0
        } else {
            (self.ips[0].0 >> shift) << shift
        };
        if self.bits == 32 {
            format!("{}/{len}", std::net::Ipv4Addr::from(base as u32))
        } else {
            format!("{}/{len}", std::net::Ipv6Addr::from(base))
        }
    }
}

impl Node for Block<'_> {
    fn weight(&self) -> u64 {
        self.ips.iter().map(|(_, c)| c).sum()
    }
    fn key(&self) -> String {
        format!("{:040x}", self.ips[0].0)
    }
    fn children(&self) -> Vec<Self> {
        if self.ips.len() < 2 {
            return Vec::new();
        }
        // Split where the first bit after the common prefix turns to 1.
        let len = self.prefix_len();
        let bit = self.bits - len - 1;
        let at = self.ips.partition_point(|(ip, _)| (ip >> bit) & 1 == 0);
        vec![
            Block {
                ips: &self.ips[..at],
                bits: self.bits,
            },
            Block {
                ips: &self.ips[at..],
                bits: self.bits,
            },
        ]
    }
}

/// Summarizes addresses (with counts) into at most `max_entries` CIDR
/// blocks (at least one per address family present) covering every address.
pub fn summarize_ips(ips: &[(IpAddr, u64)], max_entries: usize) -> Vec<CidrEntry> {
    let mut v4: Vec<(u128, u64)> = Vec::new();
    let mut v6: Vec<(u128, u64)> = Vec::new();
    for (ip, c) in ips {
        match ip {
            IpAddr::V4(a) => v4.push((u32::from(*a) as u128, (*c).max(1))),
            IpAddr::V6(a) => v6.push((u128::from(*a), (*c).max(1))),
        }
    }
    let mut out = Vec::new();
    let families = [(v4, 32u32), (v6, 128u32)];
    let present = families
        .iter()
        .filter(|(v, _)| !v.is_empty())
        .count()
        .max(1);
    for (mut list, bits) in families {
        if list.is_empty() {
            continue;
        }
        list.sort();
        let mut merged: Vec<(u128, u64)> = Vec::new();
        for (ip, c) in list {
            match merged.last_mut() {
                Some((last, n)) if *last == ip => *n += c,
                _ => merged.push((ip, c)),
            }
        }
        let share = (max_entries / present).max(1);
        for b in cut(Block { ips: &merged, bits }, share) {
            out.push(CidrEntry {
                cidr: b.network(),
                count: b.weight(),
                members: b.ips.len(),
            });
        }
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.cidr.cmp(&b.cidr)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clusters_into_blocks() {
        let ips: Vec<(IpAddr, u64)> = (1..=20)
            .map(|i| (format!("10.0.1.{i}").parse().unwrap(), 1))
            .chain([
                ("8.8.8.8".parse().unwrap(), 30),
                ("fd00::1".parse().unwrap(), 2),
            ])
            .collect();
        let s = summarize_ips(&ips, 4);
        let cidrs: Vec<&str> = s.iter().map(|e| e.cidr.as_str()).collect();
        assert_eq!(
            cidrs,
            ["8.8.8.8/32", "10.0.1.0/27", "fd00::1/128"],
            "{s:#?}"
        );
        assert_eq!(s[1].members, 20);
    }

    proptest! {
        #[test]
        fn every_address_is_covered_within_budget(raw in prop::collection::vec((any::<u32>(), 1u64..9), 1..80), budget in 1usize..20) {
            let ips: Vec<(IpAddr, u64)> = raw.iter().map(|(a, c)| (IpAddr::V4((*a).into()), *c)).collect();
            let s = summarize_ips(&ips, budget);
            prop_assert!(s.len() <= budget);
            for (ip, _) in &ips {
                prop_assert!(s.iter().any(|e| e.covers(*ip)), "{ip} not covered by {s:?}");
            }
        }
    }
}
