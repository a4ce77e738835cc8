//! # kubescribe-synth
//!
//! From what the operator said to policies, without a model: the offline
//! natural-language intent parser ([`parse`]: text → [`Intent`]), the
//! deterministic synthesizer (this module's [`synthesize`]: intent → policy),
//! cross-engine conversion of network policies ([`convert`]: policy →
//! policy) and the prompt builder that model backends use ([`prompt`]:
//! intent + observed context → messages).
//!
//! It holds no model runtime (that is `kubescribe-infer`) and no checks
//! (`kubescribe-validate`); it reads the event store only through
//! `kubescribe-events`'s traits (pod names, context summaries).
//!
//! ```
//! use kubescribe_core::Engine;
//!
//! let parsed = kubescribe_synth::parse::parse_intent(
//!     "block writes to /etc/nginx/ for app=nginx in namespace shop").unwrap();
//! let policy = kubescribe_synth::synthesize(&parsed.intent, Some(Engine::KubeArmor)).unwrap();
//! assert_eq!(policy.kind().kind(), "KubeArmorPolicy");
//! ```
//!
//! ## Synthesis
//!
//! Deterministic synthesis: an [`Intent`] → a policy for a chosen engine.
//!
//! The synthesizer is the offline default backend, the baseline models are
//! compared against, and the ground truth for datasets. It never drops what
//! the intent says: a resource or action the target engine cannot express is
//! a [`SynthError::Unsupported`] naming it (e.g. FQDNs in a Kubernetes
//! NetworkPolicy, a block-list in an allow-only engine), never a silently
//! weaker policy. Each engine's module documents its mapping.
//!
//! Policies are assembled as JSON and decoded into the typed model, so a
//! synthesized policy is well-typed by construction; the tests check that
//! every output also passes layer-1 validation.

mod calico;
mod cilium;
pub mod convert;
mod kubearmor;
mod kubernetes;
pub mod parse;
pub mod prompt;
mod tetragon;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use thiserror::Error;

use kubescribe_core::engine::Engine;
use kubescribe_core::intent::{Domain, Intent};
use kubescribe_core::policy::Policy;

/// Why an intent could not be synthesized.
#[derive(Debug, Error, PartialEq)]
pub enum SynthError {
    /// The target engine cannot express part of the intent.
    #[error("{engine} cannot express {what}{}", hint.as_deref().map(|h| format!("; {h}")).unwrap_or_default())]
    Unsupported {
        /// The engine.
        engine: Engine,
        /// What it cannot express.
        what: String,
        /// What to do instead.
        hint: Option<String>,
    },
    /// The intent lacks something every policy needs.
    #[error("intent incomplete: {0}")]
    Incomplete(String),
    /// Internal: the assembled policy does not fit the model (a bug).
    #[error("synthesized policy does not fit the {kind} model: {message}")]
    Model {
        /// The kind.
        kind: String,
        /// serde's message.
        message: String,
    },
}

/// The engine used when an intent names none.
pub fn default_engine(domain: Domain) -> Engine {
    match domain {
        Domain::Network => Engine::Kubernetes,
        _ => Engine::KubeArmor,
    }
}

/// The engine to target on a cluster that runs `installed` (as
/// [`ClusterContext::engines`](kubescribe_events::cluster::ClusterContext::engines) lists
/// them): for network intents the CNI's own policies (Cilium, then Calico),
/// else Kubernetes NetworkPolicy, which every cluster serves; for the other
/// domains KubeArmor, then Tetragon. `None` when the cluster runs no engine
/// that can express the domain.
pub fn engine_for_cluster(domain: Domain, installed: &[Engine]) -> Option<Engine> {
    let preference: &[Engine] = match domain {
        Domain::Network => &[Engine::Cilium, Engine::Calico, Engine::Kubernetes],
        _ => &[Engine::KubeArmor, Engine::Tetragon],
    };
    preference
        .iter()
        .copied()
        .find(|e| installed.contains(e) && engines_for(domain).contains(e))
}

/// Engines that can express some intent of `domain`.
pub fn engines_for(domain: Domain) -> &'static [Engine] {
    match domain {
        Domain::Network => &[
            Engine::Kubernetes,
            Engine::Cilium,
            Engine::Calico,
            Engine::KubeArmor,
        ],
        Domain::File | Domain::Process | Domain::Syscall => &[Engine::KubeArmor, Engine::Tetragon],
        Domain::Capability => &[Engine::KubeArmor],
    }
}

/// Synthesizes a policy for the intent's engine (or `engine`, or the domain's default).
pub fn synthesize(intent: &Intent, engine: Option<Engine>) -> Result<Policy, SynthError> {
    let engine = engine
        .or(intent.engine)
        .unwrap_or_else(|| default_engine(intent.domain));
    if !engines_for(intent.domain).contains(&engine) {
        return Err(SynthError::Unsupported {
            engine,
            what: format!("{:?} intents", intent.domain).to_lowercase(),
            hint: Some(format!(
                "use one of: {}",
                engines_for(intent.domain)
                    .iter()
                    .map(|e| e.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        });
    }
    let value = match engine {
        Engine::KubeArmor => kubearmor::build(intent)?,
        Engine::Tetragon => tetragon::build(intent)?,
        Engine::Cilium => cilium::build(intent)?,
        Engine::Kubernetes => kubernetes::build(intent)?,
        Engine::Calico => calico::build(intent)?,
    };
    let kind = Policy::kind_of(&value).map_err(|e| SynthError::Model {
        kind: engine.name().into(),
        message: e.to_string(),
    })?;
    Policy::from_value_as(kind, value).map_err(|e| SynthError::Model {
        kind: kind.kind().into(),
        message: e.to_string(),
    })
}

/// A DNS-1123 name for the policy, derived from the intent (stable for equal intents).
pub(crate) fn policy_name(intent: &Intent, engine: Engine) -> String {
    let mut parts: Vec<String> = vec!["ks".into()];
    parts.push(format!("{:?}", intent.action).to_lowercase());
    parts.push(format!("{:?}", intent.domain).to_lowercase());
    if let Some(v) = intent.scope.labels.values().next() {
        parts.push(v.clone());
    }
    let _ = engine;
    let raw = parts.join("-").to_lowercase();
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name.truncate(63);
    name.trim_matches('-').to_string()
}

/// Metadata for a (namespaced, when the intent names a namespace) policy.
pub(crate) fn metadata(intent: &Intent, engine: Engine, namespaced: bool) -> Value {
    let mut m = json!({
        "name": policy_name(intent, engine),
        "labels": {"app.kubernetes.io/managed-by": "kubescribe"},
    });
    if namespaced && let Some(ns) = &intent.scope.namespace {
        m["namespace"] = json!(ns);
    }
    if let Some(r) = &intent.rationale {
        m["annotations"] = json!({"kubescribe.io/rationale": r});
    }
    m
}

/// The intent's labels, requiring at least one unless a selector expression is given.
pub(crate) fn scope_labels(
    intent: &Intent,
    engine: Engine,
) -> Result<BTreeMap<String, String>, SynthError> {
    if intent.scope.selector.is_some() && !matches!(engine, Engine::Calico) {
        return Err(SynthError::Unsupported {
            engine,
            what: "a label-selector expression in the scope".into(),
            hint: Some("give equality labels (`app: nginx`), or target Calico".into()),
        });
    }
    if !intent.scope.pod_names.is_empty() {
        return Err(SynthError::Incomplete(
            "the scope names pods; resolve them to labels first (the event store or cluster does this)".into(),
        ));
    }
    Ok(intent.scope.labels.clone())
}

/// The directions a network intent covers: as stated, else egress when it
/// names CIDRs or FQDNs, else ingress.
pub(crate) fn directions(intent: &Intent) -> (bool, bool) {
    use kubescribe_core::intent::Direction;
    match intent.direction {
        Some(Direction::Ingress) => (true, false),
        Some(Direction::Egress) => (false, true),
        Some(Direction::Both) => (true, true),
        None if !intent.resources.cidrs.is_empty() || !intent.resources.fqdns.is_empty() => {
            (false, true)
        }
        None => (true, false),
    }
}

/// A network intent must name something to match.
pub(crate) fn require_network_resources(intent: &Intent) -> Result<(), SynthError> {
    let r = &intent.resources;
    if r.ports.is_empty() && r.peers.is_empty() && r.cidrs.is_empty() && r.fqdns.is_empty() {
        return Err(SynthError::Incomplete(
            "a network intent needs ports, peers, CIDRs or FQDNs (an empty allow-list would deny everything)".into(),
        ));
    }
    Ok(())
}

pub(crate) fn proto_upper(p: kubescribe_core::intent::Protocol) -> &'static str {
    use kubescribe_core::intent::Protocol;
    match p {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
        Protocol::Sctp => "SCTP",
        Protocol::Icmp => "ICMP",
    }
}

#[cfg(test)]
mod tests;
