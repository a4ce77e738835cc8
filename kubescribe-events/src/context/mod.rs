//! Context summarization: observed resources → a short, ranked, covering
//! summary for prompts.
//!
//! Every summarizer computes a *frontier cut* of a tree over the observed
//! resources ([`frontier`]): paths form a directory trie, IP addresses a
//! binary prefix trie, ports sorted runs split at their largest gap. The cut
//! starts at the root and repeatedly expands the most frequently observed
//! node while the entry budget allows. Because any frontier is a cut of the
//! tree, **every observed resource is covered by some entry** whatever the
//! budget (coverage-preserving); the budget decides only how specific the
//! entries are. Frequency decides where detail goes; ties break by name,
//! so the output is deterministic.

pub mod frontier;
pub mod ips;
pub mod paths;
pub mod ports;
pub mod workload;

pub use ips::{CidrEntry, summarize_ips};
pub use paths::{PathEntry, summarize_paths};
pub use ports::{PortRange, summarize_ports};
pub use workload::{Observed, PeerEntry, WorkloadContext, estimate_tokens};
