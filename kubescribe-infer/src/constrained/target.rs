//! What a request's output is constrained to ([`ConstraintTarget`]), and the
//! per-model cache of compiled constraints ([`ConstraintCache`]) that the
//! local backends share.

use std::sync::{Mutex, OnceLock};

use kubescribe_core::intent::Intent;
use kubescribe_core::{Engine, PolicyKind};
use kubescribe_synth as synth;
use serde_json::Value;
use tokenizers::Tokenizer;

use super::{
    ConstraintTokenizer, GrammarCompiler, SchemaConstraint, SchemaLimits, Tightening,
    bounded_schema,
};
use crate::error::InferError;

/// What a constrained generation must produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetDocument {
    /// One policy of this kind under its generation schema, narrowed by the
    /// target's tightening and limits.
    Policy(PolicyKind),
    /// A document under this JSON Schema (e.g. the [`Intent`]'s, for the
    /// LLM intent parser), bounded by the target's limits
    /// ([`bounded_schema`]); tightening does not apply to it.
    Schema(serde_json::Value),
}

impl TargetDocument {
    /// A short name for traces: `apiVersion/kind`, or `schema`.
    pub fn label(&self) -> String {
        match self {
            TargetDocument::Policy(k) => format!("{}/{}", k.api_version(), k.kind()),
            TargetDocument::Schema(s) => s
                .get("title")
                .and_then(|t| t.as_str())
                .map_or_else(|| "schema".to_string(), |t| format!("schema {t}")),
        }
    }
}

/// The document a constrained generation must produce: one policy of a
/// kind under its generation schema, narrowed by `tightening`, or a
/// document under a given schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintTarget {
    /// The document.
    pub document: TargetDocument,
    /// Values the model may use (from the intent and the event store).
    pub tightening: Tightening,
    /// Size bounds of the generated document.
    pub limits: SchemaLimits,
}

impl ConstraintTarget {
    /// A target without tightening and with the default limits.
    pub fn new(kind: PolicyKind) -> Self {
        ConstraintTarget {
            document: TargetDocument::Policy(kind),
            tightening: Tightening::default(),
            limits: SchemaLimits::default(),
        }
    }

    /// The target for an intent on `engine`, shaped by the intent: the kind
    /// the deterministic synthesizer writes for it (else the engine's first
    /// kind), its namespace, and — from that faithful policy — a forced
    /// skeleton (the scope selector, the action, `policyTypes`/`types`,
    /// every list of several entries or of values — the intent's paths,
    /// directories, ports, peers, rules or system calls, each once —, every
    /// string, flag and peer label map stated one way at its path, the
    /// rule sections and fields the intent needs: [`Tightening::forced`],
    /// [`Tightening::required`]) and the values the rules may use: the
    /// intent's peers' labels (`peer_labels`), ports, file paths, binaries
    /// and directories. `observed` (what the event store saw) fills in only
    /// what the intent leaves open (ports, binaries, directories it does
    /// not name); observed labels are the scope's own, so they never
    /// widen a peer. An intent the synthesizer cannot write for `engine`
    /// gets the namespace and scope labels only.
    pub fn for_intent(intent: &Intent, engine: Engine, observed: Option<&Tightening>) -> Self {
        let kind = target_kind(intent, engine);
        let mut tightening = observed.cloned().unwrap_or_default();
        if kind.namespaced()
            && let Some(ns) = &intent.scope.namespace
        {
            // The intent names the namespace: that one, not another observed one.
            tightening.namespaces.clear();
            tightening.namespaces.insert(ns.clone());
        }
        let reference = synth::synthesize(intent, Some(engine))
            .ok()
            .filter(|p| p.kind() == kind)
            .and_then(|p| p.to_value().ok());
        match reference {
            Some(r) => shape_by_reference(&mut tightening, &r),
            None => {
                for (k, v) in &intent.scope.labels {
                    tightening
                        .labels
                        .entry(k.clone())
                        .or_default()
                        .insert(v.clone());
                }
            }
        }
        ConstraintTarget {
            document: TargetDocument::Policy(kind),
            tightening,
            limits: SchemaLimits::default(),
        }
    }

    /// A target for any JSON Schema llguidance compiles.
    pub fn for_schema(schema: serde_json::Value) -> Self {
        ConstraintTarget {
            document: TargetDocument::Schema(schema),
            tightening: Tightening::default(),
            limits: SchemaLimits::default(),
        }
    }
}

/// Where each kind keeps its scope selector.
const SCOPE_PATHS: &[&str] = &["spec.podSelector", "spec.endpointSelector", "spec.selector"];

/// Fields of the faithful policy forced as they are (beside the scope).
const FORCED_FIELDS: &[&str] = &[
    "spec.action",
    "spec.policyTypes",
    "spec.types",
    "spec.enableDefaultDeny",
];

/// `t` shaped by `reference`, the faithful policy: its skeleton forced and
/// required, its values the only ones its rules may use.
fn shape_by_reference(t: &mut Tightening, reference: &Value) {
    // Observed labels are the scope's own: they neither select nor name peers.
    t.labels.clear();
    let spec = reference.get("spec").cloned().unwrap_or(Value::Null);
    t.required
        .entry(String::new())
        .or_default()
        .insert("spec".into());
    // The document's own top-level fields only: Cilium's optional `specs`
    // list, for one, would let a model add rule-less specs beside `spec`
    // (a server whose grammar drops the schema's anyOf of rule sections
    // wrote `specs: [{endpointSelector: {}}]`).
    if let Some(top) = reference.as_object() {
        t.closed
            .entry(String::new())
            .or_default()
            .extend(top.keys().cloned());
    }
    for p in SCOPE_PATHS {
        let ptr = format!("/{}", p.replace('.', "/"));
        if let Some(v) = reference.pointer(&ptr) {
            t.forced.insert((*p).to_string(), v.clone());
        }
    }
    for p in FORCED_FIELDS {
        let ptr = format!("/{}", p.replace('.', "/"));
        if let Some(v) = reference.pointer(&ptr) {
            t.forced.insert((*p).to_string(), v.clone());
        }
    }
    let mut found = Found::default();
    skeleton(&spec, "spec", t, &mut found);
    // A string, flag, value list or peer label map the faithful policy
    // states the same way everywhere at a path is forced there.
    for (path, v) in found.uniform {
        if let Some(v) = v {
            t.forced.entry(path).or_insert(v);
        }
    }
    // One peer selector: all its labels are needed.
    t.peer_labels_exact = found.label_maps == 1;
    if !found.ports.is_empty() {
        t.ports = found.ports;
    }
    if !found.binaries.is_empty() {
        t.binaries = found.binaries;
    }
    if !found.dirs.is_empty() {
        t.path_prefixes = found.dirs;
    }
    t.paths = found.paths;
    t.peer_labels = found.peer_labels;
}

/// Values the faithful policy's rules use.
#[derive(Default)]
struct Found {
    ports: std::collections::BTreeSet<u16>,
    binaries: std::collections::BTreeSet<String>,
    dirs: std::collections::BTreeSet<String>,
    paths: std::collections::BTreeSet<String>,
    peer_labels: std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
    /// `matchLabels` maps seen (besides the scope's).
    label_maps: usize,
    /// Strings, flags, lists of [`UNIFORM_LISTS`] and peer label maps by
    /// path: `Some` while every occurrence agrees.
    uniform: std::collections::BTreeMap<String, Option<Value>>,
}

/// Fields forced when the faithful policy gives them one value at a path
/// whose values are not also collected for the tightening (every string
/// and flag is forced so; these are not walked further).
const UNIFORM_KEYS: &[&str] = &[
    "readOnly",
    "recursive",
    "ownerOnly",
    "action",
    "protocol",
    "operator",
    "call",
    "syscall",
    "args",
    "matchArgs",
    "message",
    "tags",
];

/// Keys of [`UNIFORM_KEYS`] whose value is a list, forced whole.
const UNIFORM_LISTS: &[&str] = &["args", "matchArgs", "tags"];

/// Walks the faithful policy below `path`: each object's keys become
/// required there (for an array's items, the keys every item has), and
/// the values of ports, paths, directories and peer labels are collected;
/// an array of several entries is forced as it is.
fn skeleton(v: &Value, path: &str, t: &mut Tightening, found: &mut Found) {
    if t.forced.contains_key(path) {
        return;
    }
    match v {
        Value::Object(m) => {
            let last = path.rsplit('.').next().unwrap_or("");
            if last == "matchLabels" {
                // A peer's labels, as the intent names them: forced where
                // the faithful policy has one map at this path.
                note_uniform(found, path, v);
                found.label_maps += 1;
                for (k, val) in m {
                    if let Some(val) = val.as_str() {
                        found
                            .peer_labels
                            .entry(k.clone())
                            .or_default()
                            .insert(val.to_string());
                    }
                }
                return;
            }
            let keys: std::collections::BTreeSet<String> = m
                .iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, _)| k.clone())
                .collect();
            if !keys.is_empty() {
                t.closed
                    .entry(path.to_string())
                    .or_default()
                    .extend(keys.iter().cloned());
                t.required.entry(path.to_string()).or_default().extend(keys);
            }
            for (k, x) in m {
                let child = format!("{path}.{k}");
                // Every string and flag the faithful policy states one way
                // at a path (a capability, a Calico selector, a CIDR, an
                // FQDN, a path) is the intent's: forced there.
                if x.is_string()
                    || x.is_boolean()
                    || (UNIFORM_LISTS.contains(&k.as_str()) && x.is_array())
                    || k == "endPort"
                {
                    note_uniform(found, &child, x);
                    if UNIFORM_KEYS.contains(&k.as_str()) {
                        continue;
                    }
                }
                match (k.as_str(), x) {
                    ("port", Value::Number(n)) => {
                        if let Some(p) = n.as_u64().and_then(|p| u16::try_from(p).ok()) {
                            found.ports.insert(p);
                        }
                    }
                    ("port", Value::String(p)) => {
                        if let Ok(p) = p.parse::<u16>()
                            && p > 0
                        {
                            found.ports.insert(p);
                        }
                    }
                    ("path", Value::String(p)) if path.ends_with("process.matchPaths.[]") => {
                        found.binaries.insert(p.clone());
                    }
                    ("path", Value::String(p)) if path.ends_with("file.matchPaths.[]") => {
                        found.paths.insert(p.clone());
                    }
                    ("path", Value::String(p)) if path.ends_with("fromSource.[]") => {
                        t.sources.insert(p.clone());
                    }
                    ("dir", Value::String(d)) => {
                        found.dirs.insert(d.clone());
                    }
                    ("values", Value::Array(vs)) if path.contains("matchArgs") => {
                        t.arg_values
                            .extend(vs.iter().filter_map(Value::as_str).map(str::to_string));
                    }
                    _ => skeleton(x, &child, t, found),
                }
            }
        }
        Value::Array(items)
            if items.len() > 1
                || items
                    .iter()
                    .any(|i| i.as_object().is_none_or(|m| m.is_empty())) =>
        {
            // A list of several entries is the intent's enumeration (its
            // paths, directories, ports, peers or rules), written once each,
            // and a list of values (system calls, entities, CIDRs, ports)
            // is the intent's too: forced whole. Left to a choice among the
            // allowed values per entry, a small model dropped one entry and
            // repeated another. An empty rule (Cilium's `ingress: [{}]`, a
            // default deny that way) is forced too: left open, SmolLM2
            // filled it with a peer and a port the intent never named.
            t.forced.insert(path.to_string(), v.clone());
        }
        Value::Array(items) => {
            let child = format!("{path}.[]");
            // One rule or selector: one, not the same one repeated.
            if !items.is_empty() {
                t.max_items.insert(path.to_string(), items.len());
            }
            // Each item's own requirements; where items differ (an ICMP
            // rule beside a ports rule), a path keeps the names every item
            // that has it agrees on.
            let mut merged: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
                std::collections::BTreeMap::new();
            let mut common: Option<std::collections::BTreeSet<String>> = None;
            for item in items {
                let keys: std::collections::BTreeSet<String> = item
                    .as_object()
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                common = Some(match common {
                    None => keys,
                    Some(c) => c.intersection(&keys).cloned().collect(),
                });
                let mut sub = Tightening::default();
                std::mem::swap(&mut sub.forced, &mut t.forced);
                skeleton(item, &child, &mut sub, found);
                std::mem::swap(&mut sub.forced, &mut t.forced);
                for (p, names) in sub.closed {
                    t.closed.entry(p).or_default().extend(names);
                }
                t.arg_values.extend(sub.arg_values);
                t.sources.extend(sub.sources);
                t.max_items.extend(sub.max_items);
                for (p, names) in sub.required {
                    match merged.get_mut(&p) {
                        Some(m) => *m = m.intersection(&names).cloned().collect(),
                        None => {
                            merged.insert(p, names);
                        }
                    }
                }
            }
            merged.insert(child, common.unwrap_or_default());
            for (p, names) in merged {
                if !names.is_empty() {
                    t.required.entry(p).or_default().extend(names);
                }
            }
        }
        _ => {}
    }
}

/// Records `v` at `path`: `Some` while every occurrence agrees.
fn note_uniform(found: &mut Found, path: &str, v: &Value) {
    let slot = found
        .uniform
        .entry(path.to_string())
        .or_insert_with(|| Some(v.clone()));
    if slot.as_ref() != Some(v) {
        *slot = None;
    }
}

/// The policy kind to generate for `intent` on `engine`: the synthesizer's
/// choice, else the engine's first modelled kind.
pub fn target_kind(intent: &Intent, engine: Engine) -> PolicyKind {
    synth::synthesize(intent, Some(engine))
        .ok()
        .map(|p| p.kind())
        .filter(|k| k.engine() == engine)
        .or_else(|| {
            PolicyKind::ALL
                .iter()
                .copied()
                .find(|k| k.engine() == engine)
        })
        .unwrap_or(PolicyKind::NetworkPolicy)
}

/// Compiled constraints of one model: the tokenizer's token trie and its
/// [`GrammarCompiler`] (built once), and the last few compiled schemas, so
/// the attempts of a regeneration loop compile their target once and every
/// other target (eval's samples, the intent parser) pays only for its own
/// schema.
pub struct ConstraintCache {
    tokenizer: OnceLock<Result<ConstraintTokenizer, String>>,
    compiler: OnceLock<Result<GrammarCompiler, String>>,
    compiled: Mutex<Vec<(ConstraintTarget, SchemaConstraint)>>,
}

/// Compiled schemas kept per model.
const CACHED: usize = 8;

impl Default for ConstraintCache {
    fn default() -> Self {
        ConstraintCache {
            tokenizer: OnceLock::new(),
            compiler: OnceLock::new(),
            compiled: Mutex::new(Vec::new()),
        }
    }
}

impl std::fmt::Debug for ConstraintCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConstraintCache").finish_non_exhaustive()
    }
}

impl ConstraintCache {
    /// A cache whose token trie and grammar compiler are built now (a model
    /// loader runs this on a thread beside the weights). A tokenizer that
    /// cannot be prepared is kept as the error
    /// [`ConstraintCache::tokenizer`] then gives.
    pub fn prepared(tokenizer: &Tokenizer, eos: &[u32], model_vocab: Option<usize>) -> Self {
        let cache = ConstraintCache::default();
        if let Ok(tok) = cache.tokenizer(tokenizer, eos, model_vocab) {
            let _ = cache
                .compiler
                .get_or_init(|| GrammarCompiler::new(tok).map_err(|e| e.to_string()));
        }
        cache
    }

    /// The tokenizer prepared for constrained decoding (built on first use).
    pub fn tokenizer(
        &self,
        tokenizer: &Tokenizer,
        eos: &[u32],
        model_vocab: Option<usize>,
    ) -> Result<&ConstraintTokenizer, InferError> {
        self.tokenizer
            .get_or_init(|| {
                ConstraintTokenizer::new(tokenizer, eos, model_vocab).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| InferError::Constraint(e.clone()))
    }

    /// A fresh constraint for `target` (compiled once, then cloned).
    pub fn constraint(
        &self,
        target: &ConstraintTarget,
        tok: &ConstraintTokenizer,
    ) -> Result<SchemaConstraint, InferError> {
        let poisoned = || InferError::Constraint("the constraint cache was poisoned".into());
        {
            let cache = self.compiled.lock().map_err(|_| poisoned())?;
            if let Some((_, c)) = cache.iter().find(|(t, _)| t == target) {
                let mut c = c.clone();
                c.reset();
                return Ok(c);
            }
        }
        let own;
        let compiler = match self.tokenizer.get() {
            // The cache's own tokenizer: its compiler, built once.
            Some(Ok(cached)) if std::ptr::eq(cached, tok) => self
                .compiler
                .get_or_init(|| GrammarCompiler::new(tok).map_err(|e| e.to_string()))
                .as_ref()
                .map_err(|e| InferError::Constraint(e.clone()))?,
            _ => {
                own = GrammarCompiler::new(tok)?;
                &own
            }
        };
        let c = match &target.document {
            TargetDocument::Policy(kind) => {
                compiler.compile_kind(*kind, &target.tightening, &target.limits)?
            }
            TargetDocument::Schema(schema) => {
                compiler.compile(bounded_schema(schema, &target.limits)?)?
            }
        };
        let mut cache = self.compiled.lock().map_err(|_| poisoned())?;
        if cache.len() >= CACHED {
            cache.remove(0);
        }
        cache.push((target.clone(), c.clone()));
        Ok(c)
    }
}
