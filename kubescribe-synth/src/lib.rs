//! # kubescribe-synth
//!
//! From an [`Intent`] to policies, without a model: the deterministic
//! synthesizer (this module's [`synthesize`]: intent → policy), cross-engine
//! conversion of network policies ([`convert`]: policy → policy) and the
//! prompt builder that model backends use ([`prompt`]: intent + observed
//! context → messages). The intent itself comes from the operator's words
//! through `kubescribe-intent`, or as JSON.
//!
//! It holds no model runtime (that is `kubescribe-infer`) and no checks
//! (`kubescribe-validate`); it reads the event store only through
//! `kubescribe-events`'s traits (context summaries).
//!
//! ```
//! use kubescribe_core::Engine;
//! use kubescribe_core::intent::Intent;
//!
//! let intent: Intent = serde_json::from_str(r#"{
//!     "domain": "file", "action": "block",
//!     "scope": {"namespace": "shop", "labels": {"app": "nginx"}},
//!     "resources": {"dirs": ["/etc/nginx/"], "recursive": true, "readOnly": true}
//! }"#).unwrap();
//! let policy = kubescribe_synth::synthesize(&intent, Some(Engine::KubeArmor)).unwrap();
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
//! weaker policy. Each engine's module documents its mapping;
//! [`features`] says which engine expresses which part of the intent
//! schema, and the `Unsupported` error names the engines that can.
//!
//! An intent with [gaps](Intent::gaps) (no workload named, a contradiction)
//! is refused with [`SynthError::Incomplete`] listing them, never guessed
//! at, and so is one naming resources its domain does not use (ports in a
//! file intent). Synthesis never widens: `0.0.0.0/0`, `dir: /` and
//! match-all selectors appear only when the intent says so (`cidrs`,
//! `resources.all`, `scope.allPods`, `scope.clusterWide`).
//!
//! Policies are assembled as JSON and decoded into the typed model, so a
//! synthesized policy is well-typed by construction; the tests check that
//! every output also passes layer-1 validation.

mod calico;
mod cilium;
pub mod convert;
pub mod features;
mod kubearmor;
mod kubernetes;
mod net;
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
        .find(|e| installed.contains(e) && domain.engines().contains(e))
}

/// Synthesizes a policy for the intent's engine (or `engine`, or the domain's default).
pub fn synthesize(intent: &Intent, engine: Option<Engine>) -> Result<Policy, SynthError> {
    let engine = engine
        .or(intent.engine)
        .unwrap_or_else(|| default_engine(intent.domain));
    let gaps = intent.gaps();
    if !gaps.is_empty() {
        return Err(SynthError::Incomplete(
            gaps.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    for (part, r) in std::iter::once(("resources", &intent.resources))
        .chain(intent.deny.as_ref().map(|d| ("deny", d)))
    {
        let foreign = foreign_resources(r, intent.domain);
        if !foreign.is_empty() {
            return Err(SynthError::Incomplete(format!(
                "contradiction: a {} intent names {} in `{part}`, which it does not use; write a separate intent for them",
                format!("{:?}", intent.domain).to_lowercase(),
                foreign.join(", ")
            )));
        }
    }
    let both = |r: &kubescribe_core::intent::Resources| {
        r.peers
            .iter()
            .any(|p| p.any_namespace && (p.namespace.is_some() || !p.namespace_labels.is_empty()))
    };
    if both(&intent.resources) || intent.deny.as_ref().is_some_and(both) {
        return Err(SynthError::Incomplete(
            "contradiction: a peer is in any namespace and in a named (or labelled) namespace; name one".into(),
        ));
    }
    if !intent.domain.engines().contains(&engine) {
        return Err(SynthError::Unsupported {
            engine,
            what: format!("{:?} intents", intent.domain).to_lowercase(),
            hint: Some(format!(
                "use one of: {}",
                intent
                    .domain
                    .engines()
                    .iter()
                    .map(|e| e.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        });
    }
    features::check(intent, engine)?;
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
/// names CIDRs, FQDNs or entities, else ingress.
pub(crate) fn directions(intent: &Intent) -> (bool, bool) {
    use kubescribe_core::intent::Direction;
    match intent.direction {
        Some(Direction::Ingress) => (true, false),
        Some(Direction::Egress) => (false, true),
        Some(Direction::Both) => (true, true),
        None if !intent.resources.cidrs.is_empty()
            || !intent.resources.fqdns.is_empty()
            || !intent.resources.entities.is_empty() =>
        {
            (false, true)
        }
        None => (true, false),
    }
}

/// The resource fields `r` sets that a `domain` intent does not use.
fn foreign_resources(r: &kubescribe_core::intent::Resources, domain: Domain) -> Vec<&'static str> {
    let file_like = matches!(domain, Domain::File | Domain::Process);
    let net = domain == Domain::Network;
    let mut out = Vec::new();
    for (name, set, ok) in [
        ("paths", !r.paths.is_empty(), file_like),
        ("dirs", !r.dirs.is_empty(), file_like),
        ("readOnly", r.read_only, domain == Domain::File),
        ("ownerOnly", r.owner_only, file_like),
        ("binaries", !r.binaries.is_empty(), file_like),
        ("ports", !r.ports.is_empty(), net),
        ("namedPorts", !r.named_ports.is_empty(), net),
        ("protocols", !r.protocols.is_empty(), net),
        ("cidrs", !r.cidrs.is_empty(), net),
        ("exceptCidrs", !r.except_cidrs.is_empty(), net),
        ("entities", !r.entities.is_empty(), net),
        ("peers", !r.peers.is_empty(), net),
        ("fqdns", !r.fqdns.is_empty(), net),
        (
            "syscalls",
            !r.syscalls.is_empty(),
            domain == Domain::Syscall,
        ),
        (
            "capabilities",
            !r.capabilities.is_empty(),
            domain == Domain::Capability,
        ),
    ] {
        if set && !ok {
            out.push(name);
        }
    }
    out
}

/// Removes repeated items, keeping the first of each (order is meaning in
/// rule lists).
pub(crate) fn dedup_stable<T: PartialEq>(items: &mut Vec<T>) {
    let mut kept: Vec<T> = Vec::with_capacity(items.len());
    for x in items.drain(..) {
        if !kept.contains(&x) {
            kept.push(x);
        }
    }
    *items = kept;
}

#[cfg(test)]
mod coverage_tests;
#[cfg(test)]
mod tests;
