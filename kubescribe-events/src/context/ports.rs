//! Port summarization: ports per protocol → single ports or ranges.

use std::collections::BTreeMap;

use serde::Serialize;

use super::frontier::{Node, cut};

/// One summarized port range (a single port when `first == last`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortRange {
    /// Protocol (`TCP`, `UDP`, …).
    pub protocol: String,
    /// First port.
    pub first: u16,
    /// Last port (inclusive).
    pub last: u16,
    /// Observations covered.
    pub count: u64,
    /// Distinct ports covered.
    pub members: usize,
}

struct Run<'a>(&'a [(u16, u64)]);

impl Node for Run<'_> {
    fn weight(&self) -> u64 {
        self.0.iter().map(|(_, c)| c).sum()
    }
    fn key(&self) -> String {
        format!("{:05}", self.0[0].0)
    }
    fn children(&self) -> Vec<Self> {
        if self.0.len() < 2 {
            return Vec::new();
        }
        // Split at the widest gap between consecutive ports.
        let at = (1..self.0.len())
            .max_by_key(|&i| (self.0[i].0 - self.0[i - 1].0, std::cmp::Reverse(i)))
            .unwrap_or(1);
        vec![Run(&self.0[..at]), Run(&self.0[at..])]
    }
}

/// Summarizes (port, protocol, count) observations into at most
/// `max_entries` ranges (at least one per protocol) covering every port.
pub fn summarize_ports(ports: &[(u16, String, u64)], max_entries: usize) -> Vec<PortRange> {
    let mut by_proto: BTreeMap<String, BTreeMap<u16, u64>> = BTreeMap::new();
    for (p, proto, c) in ports {
        *by_proto
            .entry(proto.to_uppercase())
            .or_default()
            .entry(*p)
            .or_default() += (*c).max(1);
    }
    let share = (max_entries / by_proto.len().max(1)).max(1);
    let mut out = Vec::new();
    for (proto, m) in by_proto {
        let list: Vec<(u16, u64)> = m.into_iter().collect();
        for r in cut(Run(&list), share) {
            out.push(PortRange {
                protocol: proto.clone(),
                first: r.0[0].0,
                last: r.0[r.0.len() - 1].0,
                count: r.weight(),
                members: r.0.len(),
            });
        }
    }
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (&a.protocol, a.first).cmp(&(&b.protocol, b.first)))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ranges_follow_gaps() {
        let mut ports: Vec<(u16, String, u64)> =
            (30000..30010).map(|p| (p, "tcp".to_string(), 1)).collect();
        ports.push((80, "tcp".into(), 100));
        ports.push((53, "udp".into(), 7));
        let s = summarize_ports(&ports, 4);
        let got: Vec<(String, u16, u16)> = s
            .iter()
            .map(|r| (r.protocol.clone(), r.first, r.last))
            .collect();
        assert_eq!(
            got,
            [
                ("TCP".to_string(), 80, 80),
                ("TCP".to_string(), 30000, 30009),
                ("UDP".to_string(), 53, 53)
            ]
        );
    }

    proptest! {
        #[test]
        fn every_port_is_covered_within_budget(raw in prop::collection::vec((any::<u16>(), 0usize..2, 1u64..5), 1..60), budget in 2usize..20) {
            let ports: Vec<(u16, String, u64)> = raw.iter().map(|(p, i, c)| (*p, ["TCP", "UDP"][*i].to_string(), *c)).collect();
            let s = summarize_ports(&ports, budget);
            prop_assert!(s.len() <= budget);
            for (p, proto, _) in &ports {
                prop_assert!(s.iter().any(|r| &r.protocol == proto && r.first <= *p && *p <= r.last));
            }
        }
    }
}
