//! The summarized behaviour of the workloads a scope selects, from the
//! event store, rendered for a prompt within a token budget.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use serde::Serialize;

use super::{CidrEntry, PathEntry, PortRange, summarize_ips, summarize_paths, summarize_ports};
use crate::EventKind;
use crate::store::{EventQuery, EventStore, EventTable, StoreError};

/// What the selected workloads were observed doing, summarized.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WorkloadContext {
    /// Namespace of the scope.
    pub namespace: Option<String>,
    /// Label selector of the scope.
    pub selector: BTreeMap<String, String>,
    /// Executed binaries.
    pub binaries: Vec<PathEntry>,
    /// Accessed files.
    pub files: Vec<PathEntry>,
    /// Remote addresses of flows.
    pub remotes: Vec<CidrEntry>,
    /// Ports of flows (the workload's own port inbound, the remote port outbound).
    pub ports: Vec<PortRange>,
    /// DNS names looked up or connected to, most frequent first.
    pub dns_names: Vec<(String, u64)>,
    /// Events the summary covers.
    pub observations: u64,
}

/// Raw observations collected from the store, before summarization.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    binaries: Vec<(String, u64)>,
    files: Vec<(String, u64)>,
    ips: Vec<(IpAddr, u64)>,
    ports: Vec<(u16, String, u64)>,
    dns: BTreeMap<String, u64>,
    total: u64,
}

impl Observed {
    /// Reads the scope's events from a store.
    pub fn from_store(
        store: &mut dyn EventStore,
        namespace: Option<&str>,
        selector: &BTreeMap<String, String>,
    ) -> Result<Observed, StoreError> {
        let query = EventQuery {
            namespace: namespace.map(str::to_string),
            selector: selector.clone(),
            ..EventQuery::default()
        };
        let mut o = Observed::default();
        for table in [EventTable::Processes, EventTable::Files, EventTable::Flows] {
            for row in store.events(table, &query)? {
                o.total += row.count;
                match &row.event.kind {
                    EventKind::Process(p) => o.binaries.push((p.binary.clone(), row.count)),
                    EventKind::File(f) => o.files.push((f.path.clone(), row.count)),
                    EventKind::Network(n) => {
                        if let Some(ip) = n.remote_ip.as_deref().and_then(|s| s.parse().ok()) {
                            o.ips.push((ip, row.count));
                        }
                        let port = match n.direction {
                            crate::Direction::Ingress => n.local_port,
                            _ => n.remote_port,
                        };
                        if let Some(p) = port {
                            o.ports.push((p, n.protocol.to_uppercase(), row.count));
                        }
                        if let Some(d) = &n.dns_name {
                            *o.dns.entry(d.clone()).or_default() += row.count;
                        }
                    }
                    EventKind::Syscall(_) => {}
                }
            }
        }
        Ok(o)
    }

    /// Summarizes with at most `per_kind` entries of each kind.
    pub fn summarize(
        &self,
        namespace: Option<&str>,
        selector: &BTreeMap<String, String>,
        per_kind: usize,
    ) -> WorkloadContext {
        let mut dns: Vec<(String, u64)> = self.dns.iter().map(|(k, v)| (k.clone(), *v)).collect();
        dns.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        dns.truncate(per_kind);
        WorkloadContext {
            namespace: namespace.map(str::to_string),
            selector: selector.clone(),
            binaries: summarize_paths(&self.binaries, per_kind),
            files: summarize_paths(&self.files, per_kind),
            remotes: summarize_ips(&self.ips, per_kind),
            ports: summarize_ports(&self.ports, per_kind),
            dns_names: dns,
            observations: self.total,
        }
    }

    /// The most detailed summary whose rendering fits `max_tokens`
    /// (estimated as characters / 4), down to one entry per kind.
    pub fn summarize_within(
        &self,
        namespace: Option<&str>,
        selector: &BTreeMap<String, String>,
        max_tokens: usize,
    ) -> WorkloadContext {
        let (mut lo, mut hi) = (1usize, 256usize);
        let mut best = self.summarize(namespace, selector, 1);
        while lo <= hi {
            let mid = (lo + hi) / 2;
            let c = self.summarize(namespace, selector, mid);
            if estimate_tokens(&c.render()) <= max_tokens {
                best = c;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        best
    }
}

/// A rough token estimate (characters / 4) until a model's tokenizer is at hand.
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

impl WorkloadContext {
    /// Plain-text rendering for prompts. Values from logs (and the scope's
    /// namespace and labels) are quoted as JSON strings with line breaks,
    /// backticks, angle brackets and braces escaped
    /// ([`kubescribe_core::quote::quote`]), so they cannot pose as instructions.
    pub fn render(&self) -> String {
        let q = kubescribe_core::quote::quote;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Observed behaviour of workloads {} in namespace {} ({} events):",
            if self.selector.is_empty() {
                "(all)".to_string()
            } else {
                kubescribe_core::quote::to_safe_json(&self.selector, false)
            },
            self.namespace
                .as_deref()
                .map(q)
                .unwrap_or_else(|| "(any)".into()),
            self.observations
        );
        let path_line = |e: &PathEntry| {
            let kind = if e.path.ends_with('/') {
                if e.recursive {
                    " (dir, recursive)"
                } else {
                    " (dir)"
                }
            } else {
                ""
            };
            format!("- {}{kind} x{}", q(&e.path), e.count)
        };
        for (title, list) in [
            ("Executed binaries", &self.binaries),
            ("Accessed files", &self.files),
        ] {
            if !list.is_empty() {
                let _ = writeln!(out, "{title}:");
                list.iter().for_each(|e| {
                    let _ = writeln!(out, "{}", path_line(e));
                });
            }
        }
        if !self.ports.is_empty() {
            let _ = writeln!(out, "Ports:");
            for p in &self.ports {
                let r = if p.first == p.last {
                    p.first.to_string()
                } else {
                    format!("{}-{}", p.first, p.last)
                };
                // Protocol names come from logs: plain when a bare word, quoted otherwise.
                let proto = if !p.protocol.is_empty()
                    && p.protocol.chars().all(|c| c.is_ascii_alphanumeric())
                {
                    p.protocol.clone()
                } else {
                    q(&p.protocol)
                };
                let _ = writeln!(out, "- {}/{} x{}", r, proto, p.count);
            }
        }
        if !self.remotes.is_empty() {
            let _ = writeln!(out, "Remote addresses:");
            self.remotes.iter().for_each(|c| {
                let _ = writeln!(out, "- {} x{}", c.cidr, c.count);
            });
        }
        if !self.dns_names.is_empty() {
            let _ = writeln!(out, "DNS names:");
            self.dns_names.iter().for_each(|(d, n)| {
                let _ = writeln!(out, "- {} x{n}", q(d));
            });
        }
        out
    }
}
