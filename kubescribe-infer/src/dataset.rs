//! Dataset builder: (prompt, policy) pairs for fine-tuning and evaluation.
//!
//! Seeds are policies (e.g. the corpus): each valid one is read back into an
//! [`Intent`] ([`intent_of`]). The derivation is strict — a policy using
//! anything an intent cannot say (KubeArmor `fromSource`, patterns, several
//! rule sections; a network policy with several rules, expressions, entities
//! or CIDR exceptions; any Tetragon hook) is *skipped with the reason*, so a
//! prompt never under-specifies its reference. Each seed gives
//!
//! * one **corpus pair**: the prompt built from the derived intent, the
//!   policy itself (canonical YAML) as the reference;
//! * `augment` **synthesized pairs**: the intent with namespace, labels,
//!   paths, binaries, ports, peers and CIDRs recombined from pools (the
//!   seeds' own values, the store's workloads and observed paths, and a
//!   built-in list), its reference written by the deterministic synthesizer.
//!
//! Every reference passes layer-1 validation before it is emitted (a
//! synthesized one that does not is a skip, counted). Prompts use the five
//! [`Template`]s in turn (seeded), with the store's context of the scope when
//! a store is given. The train/test split is seeded and by **group** (the
//! seed policy), so no augmentation of a test policy leaks into training.
//!
//! Output lines carry what the evaluation harness reads (`id`, `prompt` as
//! chat messages, `reference`) plus `intent`, `engine`, `kind`, `template`,
//! `origin` (`corpus` / `synth`), `group` and `source` (file and document).
//!
//! Size: the policy → intent derivation for every kind is one strict mapping, kept together so a skipped feature is skipped in one place.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_core::intent::{
    Action, Direction, Domain, Intent, PeerSelector, PortSpec, Protocol, Resources, Scope,
};
use kubescribe_core::{Engine, Policy, PolicyKind};
use kubescribe_events::store::EventStore;
use kubescribe_synth as synth;
use kubescribe_synth::convert::{self, NamespaceScope, Peer, PortRef, Selector};
use kubescribe_synth::prompt::{self, Template};
use kubescribe_validate::Validator;

use crate::error::InferError;
use crate::generator::{ChatMessage, Prompt};

/// Settings of a dataset build.
#[derive(Debug, Clone)]
pub struct DatasetConfig {
    /// Seed of every random choice (augmentation, templates, split, order).
    pub seed: u64,
    /// Share of groups (seed policies) in the test split, 0–1.
    pub test_share: f64,
    /// Synthesized variants per seed.
    pub augment: usize,
    /// Templates to use, in turn.
    pub templates: Vec<Template>,
    /// Token budget of the store context in prompts.
    pub context_budget: usize,
}

impl Default for DatasetConfig {
    fn default() -> Self {
        DatasetConfig {
            seed: 0,
            test_share: 0.2,
            augment: 4,
            templates: Template::ALL.to_vec(),
            context_budget: 300,
        }
    }
}

/// One (prompt, policy) pair.
#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    /// Unique id (`<group>-<n>`).
    pub id: String,
    /// The prompt (system and user messages).
    pub prompt: Prompt,
    /// The reference policy, canonical YAML.
    pub reference: String,
    /// The intent the prompt was built from.
    pub intent: Intent,
    /// The target engine.
    pub engine: Engine,
    /// The reference's kind.
    pub kind: String,
    /// The template.
    pub template: Template,
    /// `corpus` (the seed policy itself) or `synth` (an augmented intent, synthesized).
    pub origin: &'static str,
    /// The seed policy's group (shared by its augmentations; the split unit).
    pub group: String,
    /// Where the seed came from (`file#document`).
    pub source: String,
}

/// A seed policy not used, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// `file#document` (or the augmented pair's id).
    pub source: String,
    /// Why.
    pub reason: String,
}

/// A built dataset.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Dataset {
    /// Training pairs (shuffled, seeded).
    pub train: Vec<Pair>,
    /// Test pairs (shuffled, seeded).
    pub test: Vec<Pair>,
    /// Seeds and variants left out, with reasons.
    pub skipped: Vec<Skipped>,
    /// Policy documents read.
    pub documents: usize,
}

/// splitmix64: small, fast, and the same on every platform and version.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, salt: &str) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
        for b in salt.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            Some(&items[self.below(items.len())])
        }
    }
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Values augmentation recombines.
#[derive(Debug, Clone, Default)]
pub struct Pools {
    /// Namespaces.
    pub namespaces: BTreeSet<String>,
    /// Label sets of workloads.
    pub labels: BTreeSet<BTreeMap<String, String>>,
    /// File paths.
    pub files: BTreeSet<String>,
    /// Directories (ending in `/`).
    pub dirs: BTreeSet<String>,
    /// Executables.
    pub binaries: BTreeSet<String>,
    /// Ports (TCP unless stated).
    pub ports: BTreeSet<(u16, Protocol)>,
    /// CIDRs.
    pub cidrs: BTreeSet<String>,
}

impl Pools {
    /// A small built-in pool of common values.
    pub fn builtin() -> Self {
        let mut p = Pools::default();
        for ns in [
            "shop",
            "payments",
            "ci",
            "monitoring",
            "default",
            "web",
            "data",
        ] {
            p.namespaces.insert(ns.into());
        }
        for (k, v) in [
            ("app", "nginx"),
            ("app", "frontend"),
            ("app", "cartservice"),
            ("app", "redis"),
            ("app", "postgres"),
            ("app.kubernetes.io/name", "api"),
            ("tier", "backend"),
        ] {
            p.labels.insert([(k.to_string(), v.to_string())].into());
        }
        for f in [
            "/etc/passwd",
            "/etc/shadow",
            "/etc/nginx/nginx.conf",
            "/etc/hosts",
            "/var/run/secrets/kubernetes.io/serviceaccount/token",
            "/root/.ssh/authorized_keys",
        ] {
            p.files.insert(f.into());
        }
        for d in [
            "/var/www/",
            "/etc/",
            "/tmp/",
            "/usr/share/nginx/html/",
            "/var/lib/postgresql/data/",
            "/home/",
        ] {
            p.dirs.insert(d.into());
        }
        for b in [
            "/usr/sbin/nginx",
            "/bin/sh",
            "/bin/bash",
            "/usr/bin/curl",
            "/usr/bin/wget",
            "/usr/bin/python3",
            "/usr/local/bin/redis-server",
        ] {
            p.binaries.insert(b.into());
        }
        for (port, proto) in [
            (80, Protocol::Tcp),
            (443, Protocol::Tcp),
            (8080, Protocol::Tcp),
            (5432, Protocol::Tcp),
            (6379, Protocol::Tcp),
            (53, Protocol::Udp),
            (9090, Protocol::Tcp),
        ] {
            p.ports.insert((port, proto));
        }
        for c in [
            "10.0.0.0/8",
            "192.168.0.0/16",
            "172.16.0.0/12",
            "203.0.113.0/24",
        ] {
            p.cidrs.insert(c.into());
        }
        p
    }

    /// Adds an intent's values.
    pub fn add_intent(&mut self, i: &Intent) {
        if let Some(ns) = &i.scope.namespace {
            self.namespaces.insert(ns.clone());
        }
        if !i.scope.labels.is_empty() {
            self.labels.insert(i.scope.labels.clone());
        }
        let r = &i.resources;
        self.files.extend(r.paths.iter().cloned());
        self.dirs.extend(r.dirs.iter().cloned());
        self.binaries.extend(r.binaries.iter().cloned());
        self.ports
            .extend(r.ports.iter().map(|p| (p.port, p.protocol)));
        self.cidrs.extend(r.cidrs.iter().cloned());
        for p in &r.peers {
            if !p.labels.is_empty() {
                self.labels.insert(p.labels.clone());
            }
        }
    }

    /// Adds the store's workloads (namespaces, pod labels, ports) and observed files and binaries.
    pub fn add_store(&mut self, store: &mut dyn EventStore) -> Result<(), InferError> {
        let err = |e: kubescribe_events::store::StoreError| InferError::Generation {
            generator: "dataset".into(),
            message: format!("event store: {e}"),
        };
        for w in store.workloads(None, &BTreeMap::new()).map_err(err)? {
            self.namespaces.insert(w.namespace.clone());
            if !w.pod_labels.is_empty() {
                self.labels.insert(w.pod_labels.clone());
            }
            for p in &w.ports {
                let proto = match p.protocol.to_ascii_uppercase().as_str() {
                    "UDP" => Protocol::Udp,
                    "SCTP" => Protocol::Sctp,
                    _ => Protocol::Tcp,
                };
                if p.port > 0 {
                    self.ports.insert((p.port, proto));
                }
            }
        }
        let observed =
            kubescribe_events::context::Observed::from_store(store, None, &BTreeMap::new())
                .map_err(err)?;
        let ctx = observed.summarize(None, &BTreeMap::new(), 64);
        for e in &ctx.files {
            if e.path.ends_with('/') {
                self.dirs.insert(e.path.clone());
            } else {
                self.files.insert(e.path.clone());
            }
        }
        for e in ctx.binaries.iter().filter(|e| !e.path.ends_with('/')) {
            self.binaries.insert(e.path.clone());
        }
        Ok(())
    }

    fn vec<T: Clone>(s: &BTreeSet<T>) -> Vec<T> {
        s.iter().cloned().collect()
    }
}

/// The intent a policy states, when an [`Intent`] can say all of it.
pub fn intent_of(policy: &Policy) -> Result<Intent, String> {
    let v = policy.to_value().map_err(|e| e.to_string())?;
    match policy.kind() {
        PolicyKind::KubeArmorPolicy => kubearmor_intent(&v),
        k if convert::is_convertible(k) => network_intent(policy),
        k => Err(format!(
            "{} policies are not derived into intents (their rules do not map back to one)",
            k.kind()
        )),
    }
}

fn kubearmor_intent(v: &Value) -> Result<Intent, String> {
    let spec = &v["spec"];
    let ns = v["metadata"]["namespace"]
        .as_str()
        .ok_or("no metadata.namespace")?
        .to_string();
    let labels = string_map(&spec["selector"]["matchLabels"])?;
    if spec["selector"].get("matchExpressions").is_some() {
        return Err("selector expressions".into());
    }
    let sections: Vec<&str> = ["process", "file", "network", "capabilities", "syscalls"]
        .into_iter()
        .filter(|s| spec.get(*s).is_some())
        .collect();
    let action = kubearmor_action(spec, &sections)?;
    let mut r = Resources::default();
    let one_flag = |xs: &[bool], what: &str| -> Result<bool, String> {
        if xs.windows(2).all(|w| w[0] == w[1]) {
            Ok(xs.first().copied().unwrap_or(false))
        } else {
            Err(format!("mixed {what} flags (an intent states one)"))
        }
    };
    let domain = match sections.as_slice() {
        ["file"] | ["process", "file"] => {
            let file = ka_rules(&spec["file"])?;
            r.read_only = one_flag(&file.read_only, "readOnly")?;
            r.recursive = one_flag(&file.recursive, "recursive")?;
            r.paths = file.paths;
            r.dirs = file.dirs;
            if sections.len() == 2 {
                // Binaries beside an allow-listed file section (as the synthesizer writes).
                let process = ka_rules(&spec["process"])?;
                if !process.dirs.is_empty()
                    || process.read_only.iter().any(|x| *x)
                    || action != Action::Allow
                {
                    return Err("process and file sections together".into());
                }
                r.binaries = process.paths;
            }
            Domain::File
        }
        ["process"] => {
            let process = ka_rules(&spec["process"])?;
            if process.read_only.iter().any(|x| *x) {
                return Err("readOnly process rules".into());
            }
            r.recursive = one_flag(&process.recursive, "recursive")?;
            r.binaries = process.paths;
            r.dirs = process.dirs;
            Domain::Process
        }
        ["capabilities"] => {
            for c in spec["capabilities"]["matchCapabilities"]
                .as_array()
                .ok_or("capabilities")?
            {
                if rule_options(c) {
                    return Err("capability rule options".into());
                }
                r.capabilities
                    .push(c["capability"].as_str().ok_or("capability")?.into());
            }
            Domain::Capability
        }
        ["syscalls"] => {
            for c in spec["syscalls"]["matchSyscalls"]
                .as_array()
                .ok_or("syscalls")?
            {
                if rule_options(c) {
                    return Err("syscall rule options".into());
                }
                for s in c["syscall"].as_array().ok_or("syscall")? {
                    r.syscalls.push(s.as_str().ok_or("syscall name")?.into());
                }
            }
            Domain::Syscall
        }
        other => return Err(format!("sections {}", other.join(" and "))),
    };
    if r.paths.is_empty()
        && r.dirs.is_empty()
        && r.binaries.is_empty()
        && r.capabilities.is_empty()
        && r.syscalls.is_empty()
    {
        return Err("no rules".into());
    }
    Ok(Intent {
        version: None,
        deny: None,
        engine: Some(Engine::KubeArmor),
        scope: Scope {
            namespace: Some(ns),
            labels,
            ..Scope::default()
        },
        domain,
        action,
        direction: None,
        resources: r,
        rationale: spec["message"].as_str().map(str::to_string),
    })
}

/// The `matchPaths` / `matchDirectories` rules of one KubeArmor section.
#[derive(Default)]
struct KaRules {
    paths: Vec<String>,
    dirs: Vec<String>,
    /// `readOnly` of every rule.
    read_only: Vec<bool>,
    /// `recursive` of every directory rule.
    recursive: Vec<bool>,
}

/// Keys of a KubeArmor rule or section that do not change what it matches
/// (the action is read separately, [`kubearmor_action`]).
const KA_ANNOTATIONS: [&str; 4] = ["action", "severity", "message", "tags"];

/// Whether a capability or syscall rule has options beyond its one match
/// (`fromSource`, `ownerOnly`, ...).
fn rule_options(rule: &Value) -> bool {
    rule.as_object().is_some_and(|o| {
        o.keys()
            .filter(|k| !KA_ANNOTATIONS.contains(&k.as_str()))
            .count()
            != 1
    })
}

/// The one action a KubeArmor policy takes: `spec.action`, or the action
/// its sections and rules all name (rule and section actions override the
/// policy's; a policy mixing actions is not one intent).
fn kubearmor_action(spec: &Value, sections: &[&str]) -> Result<Action, String> {
    let mut actions: BTreeSet<&str> = BTreeSet::new();
    let mut rule_level = false;
    for sec in sections {
        let section = &spec[*sec];
        if let Some(a) = section["action"].as_str() {
            actions.insert(a);
            rule_level = true;
        }
        for list in section.as_object().into_iter().flatten().map(|(_, v)| v) {
            for rule in list.as_array().into_iter().flatten() {
                if let Some(a) = rule["action"].as_str() {
                    actions.insert(a);
                    rule_level = true;
                }
            }
        }
    }
    match spec["action"].as_str() {
        Some(a) if !rule_level => {
            actions.insert(a);
        }
        // Rules without their own action take the policy's.
        Some(a) => {
            let all_ruled = sections.iter().all(|sec| {
                let section = &spec[*sec];
                section["action"].is_string()
                    || section
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter_map(|(_, v)| v.as_array())
                        .flatten()
                        .all(|r| r["action"].is_string())
            });
            if !all_ruled {
                actions.insert(a);
            }
        }
        None => {}
    }
    let mut it = actions.into_iter();
    let one = match (it.next(), it.next()) {
        (Some(a), None) => a,
        (None, _) => return Err("no action".into()),
        (Some(_), Some(_)) => return Err("several actions (an intent states one)".into()),
    };
    match one {
        "Allow" => Ok(Action::Allow),
        "Audit" => Ok(Action::Audit),
        "Block" => Ok(Action::Block),
        other => Err(format!("action {other}")),
    }
}

fn ka_rules(section: &Value) -> Result<KaRules, String> {
    const KEYS: [&str; 4] = ["path", "dir", "recursive", "readOnly"];
    let mut out = KaRules::default();
    for (key, list) in section.as_object().into_iter().flatten() {
        if KA_ANNOTATIONS.contains(&key.as_str()) {
            continue;
        }
        let list = list
            .as_array()
            .ok_or_else(|| format!("{key} is not a list"))?;
        for rule in list {
            if let Some(k) = rule
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
                .find(|k| !KEYS.contains(&k.as_str()) && !KA_ANNOTATIONS.contains(&k.as_str()))
            {
                return Err(format!("rule field {k}"));
            }
            out.read_only
                .push(rule["readOnly"].as_bool().unwrap_or(false));
            match key.as_str() {
                "matchPaths" => out.paths.push(rule["path"].as_str().ok_or("path")?.into()),
                "matchDirectories" => {
                    out.recursive
                        .push(rule["recursive"].as_bool().unwrap_or(false));
                    out.dirs.push(rule["dir"].as_str().ok_or("dir")?.into());
                }
                other => return Err(other.to_string()),
            }
        }
    }
    Ok(out)
}

fn string_map(v: &Value) -> Result<BTreeMap<String, String>, String> {
    match v {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|s| (k.clone(), s.to_string()))
                    .ok_or_else(|| format!("label {k} is not a string"))
            })
            .collect(),
        _ => Err("labels are not a map".into()),
    }
}

/// Equality labels of a selector, or why not.
fn eq_labels(s: &Selector) -> Result<BTreeMap<String, String>, String> {
    let sels = s.to_label_selectors().map_err(|e| e.0)?;
    match sels.as_slice() {
        [one] if one.match_expressions.is_empty() => Ok(one.match_labels.clone()),
        [] => Err("a selector matching nothing".into()),
        _ => Err("a selector expression beyond equality labels".into()),
    }
}

fn network_intent(policy: &Policy) -> Result<Intent, String> {
    let (nets, losses) = convert::from_policy(policy).map_err(|e| e.to_string())?;
    if let Some(l) = losses.first() {
        return Err(format!("{} ({})", l.feature, l.reason));
    }
    let [net] = nets.as_slice() else {
        return Err("several policies in one".into());
    };
    if net.cluster_wide || net.namespace.is_none() {
        return Err("no namespace".into());
    }
    if !net.subject.namespaces.is_all() {
        return Err("a namespace selector in the subject".into());
    }
    let labels = eq_labels(&net.subject.pods)?;
    let (direction, rules) = match (&net.ingress, &net.egress) {
        (Some(i), None) => (Direction::Ingress, i),
        (None, Some(e)) => (Direction::Egress, e),
        _ => return Err("both directions".into()),
    };
    let [rule] = rules.rules.as_slice() else {
        return Err(format!(
            "{} rules (an intent states one)",
            rules.rules.len()
        ));
    };
    let action = match rule.action {
        convert::Action::Allow if rules.default_deny => Action::Allow,
        convert::Action::Deny => Action::Block,
        convert::Action::Log => Action::Audit,
        a => return Err(format!("action {a:?} without default deny")),
    };
    let mut r = Resources::default();
    for p in &rule.peers {
        match p {
            Peer::Endpoints {
                pods,
                namespaces,
                service_accounts,
                ..
            } => {
                if !service_accounts.is_empty() {
                    return Err("service accounts".into());
                }
                let namespace = match namespaces {
                    NamespaceScope::Policy => None,
                    NamespaceScope::Selector(s) => {
                        let l = eq_labels(s)?;
                        match l.get(convert::NAMESPACE_NAME_KEY) {
                            Some(n) if l.len() == 1 => Some(n.clone()),
                            _ => return Err("a namespace selector beyond one name".into()),
                        }
                    }
                };
                r.peers.push(PeerSelector {
                    namespace,
                    labels: eq_labels(pods)?,
                    ..PeerSelector::default()
                });
            }
            Peer::Cidr { cidr, except, .. } if except.is_empty() => r.cidrs.push(cidr.clone()),
            Peer::Cidr { .. } => return Err("CIDR exceptions".into()),
            Peer::Entity { entity, .. } => return Err(format!("entity {entity}")),
            Peer::Fqdn { name, .. } => r.fqdns.push(match name {
                convert::FqdnMatch::Name(n) | convert::FqdnMatch::Pattern(n) => n.clone(),
            }),
        }
    }
    for p in &rule.ports {
        let protocol = match p.protocol {
            convert::Protocol::Tcp => Protocol::Tcp,
            convert::Protocol::Udp => Protocol::Udp,
            convert::Protocol::Sctp => Protocol::Sctp,
            other => return Err(format!("protocol {other:?}")),
        };
        match &p.port {
            Some(PortRef::Number(n)) => r.ports.push(PortSpec {
                port: *n,
                end_port: p.end_port,
                protocol,
            }),
            Some(PortRef::Name(n)) => return Err(format!("named port {n}")),
            None => return Err("a protocol without a port".into()),
        }
    }
    Ok(Intent {
        version: None,
        deny: None,
        engine: Some(policy.engine()),
        scope: Scope {
            namespace: net.namespace.clone(),
            labels,
            ..Scope::default()
        },
        domain: Domain::Network,
        action,
        direction: Some(direction),
        resources: r,
        rationale: None,
    })
}

/// An augmented variant of `seed`: values recombined from `pools`.
fn augment(seed: &Intent, pools: &Pools, rng: &mut Rng) -> Intent {
    let mut i = seed.clone();
    if let Some(ns) = rng.pick(&Pools::vec(&pools.namespaces)) {
        i.scope.namespace = Some(ns.clone());
    }
    if let Some(l) = rng.pick(&Pools::vec(&pools.labels)) {
        i.scope.labels = l.clone();
    }
    let files = Pools::vec(&pools.files);
    let dirs = Pools::vec(&pools.dirs);
    let bins = Pools::vec(&pools.binaries);
    let ports = Pools::vec(&pools.ports);
    let cidrs = Pools::vec(&pools.cidrs);
    let labels = Pools::vec(&pools.labels);
    let r = &mut i.resources;
    let swap = |list: &mut Vec<String>, pool: &[String], rng: &mut Rng| {
        for item in list.iter_mut() {
            if let Some(new) = rng.pick(pool) {
                *item = new.clone();
            }
        }
        list.sort();
        list.dedup();
    };
    swap(&mut r.paths, &files, rng);
    swap(&mut r.dirs, &dirs, rng);
    swap(&mut r.binaries, &bins, rng);
    swap(&mut r.cidrs, &cidrs, rng);
    for p in r.ports.iter_mut() {
        if let Some((port, proto)) = rng.pick(&ports) {
            p.port = *port;
            p.protocol = *proto;
            p.end_port = p.end_port.map(|_| port.saturating_add(10));
        }
    }
    r.ports.sort_by_key(|p| (p.port, p.protocol as u8));
    r.ports.dedup();
    for p in r.peers.iter_mut() {
        if let Some(l) = rng.pick(&labels) {
            p.labels = l.clone();
        }
    }
    i.rationale = None;
    i
}

/// A policy document read from a file, with where it came from.
#[derive(Debug, Clone)]
pub struct Seed {
    /// `file#document`.
    pub source: String,
    /// `file#document` with the file relative to the directory given (what
    /// the seeded choices are salted with, so a moved corpus gives the same
    /// dataset).
    pub key: String,
    /// The policy (valid at layer 1).
    pub policy: Policy,
}

/// Reads every policy document under `dirs` (recursively; `.yaml`, `.yml`,
/// `.json`), keeping those valid at layer 1; the others are skipped with
/// their first error.
pub fn read_seeds(dirs: &[PathBuf]) -> Result<(Vec<Seed>, Vec<Skipped>, usize), InferError> {
    let mut files = Vec::new();
    for d in dirs {
        let mut found = Vec::new();
        collect_files(d, &mut found)?;
        files.extend(found.into_iter().map(|f| {
            let rel = f
                .strip_prefix(d)
                .ok()
                .filter(|r| !r.as_os_str().is_empty())
                .unwrap_or(&f)
                .display()
                .to_string();
            (f, rel)
        }));
    }
    files.sort();
    let validator = Validator::new();
    let (mut seeds, mut skipped, mut docs) = (Vec::new(), Vec::new(), 0);
    for (f, rel) in files {
        let set = match document::read_file(&f, &ReadLimits::default()) {
            Ok(s) => s,
            Err(e) => {
                skipped.push(Skipped {
                    source: f.display().to_string(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        for (n, d) in set.documents.iter().enumerate() {
            docs += 1;
            let source = format!("{}#{n}", f.display());
            let key = format!("{rel}#{n}");
            let mut v = d.value.clone();
            document::prune_nulls(&mut v);
            let outcome = validator.validate_value(&v);
            if !outcome.is_valid() {
                let first = outcome
                    .diagnostics
                    .iter()
                    .find(|d| d.is_error())
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                skipped.push(Skipped {
                    source,
                    reason: format!("invalid at layer 1: {first}"),
                });
                continue;
            }
            match Policy::from_value(v) {
                Ok(policy) => seeds.push(Seed {
                    source,
                    key,
                    policy,
                }),
                Err(e) => skipped.push(Skipped {
                    source,
                    reason: e.to_string(),
                }),
            }
        }
    }
    Ok((seeds, skipped, docs))
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), InferError> {
    if path.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(path).map_err(|e| InferError::io(path, e))?;
    for e in entries {
        let p = e.map_err(|e| InferError::io(path, e))?.path();
        if p.is_dir() {
            collect_files(&p, out)?;
        } else if p
            .extension()
            .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
        {
            out.push(p);
        }
    }
    Ok(())
}

fn chat(p: &prompt::BuiltPrompt) -> Prompt {
    Prompt::Chat(
        p.messages()
            .into_iter()
            .map(|m| ChatMessage {
                role: m.role,
                content: m.content,
            })
            .collect(),
    )
}

/// Builds the dataset from seed policies, pools and (optionally) a store for prompt context.
pub fn build(
    seeds: &[Seed],
    pools: Pools,
    store: Option<&mut dyn EventStore>,
    config: &DatasetConfig,
) -> Result<Dataset, InferError> {
    build_with_progress(seeds, pools, store, config, &mut |_, _| {})
}

/// [`build`], calling `progress(done, total)` after each seed policy.
pub fn build_with_progress(
    seeds: &[Seed],
    mut pools: Pools,
    mut store: Option<&mut dyn EventStore>,
    config: &DatasetConfig,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Dataset, InferError> {
    let validator = Validator::new();
    let mut out = Dataset::default();
    let mut derived = Vec::new();
    for s in seeds {
        match intent_of(&s.policy) {
            Ok(i) => {
                pools.add_intent(&i);
                derived.push((s, i));
            }
            Err(reason) => out.skipped.push(Skipped {
                source: s.source.clone(),
                reason: format!("no intent states this policy: {reason}"),
            }),
        }
    }
    let templates = if config.templates.is_empty() {
        Template::ALL.to_vec()
    } else {
        config.templates.clone()
    };
    let mut pairs: Vec<Pair> = Vec::new();
    let mut seen = BTreeSet::new();
    for (n, (seed, intent)) in derived.iter().enumerate() {
        progress(n, derived.len());
        let group = format!("g{n:05}");
        let mut rng = Rng::new(config.seed, &seed.key);
        let mut candidates: Vec<(Intent, Policy, &'static str)> =
            vec![(intent.clone(), seed.policy.clone(), "corpus")];
        for k in 0..config.augment {
            let variant = augment(intent, &pools, &mut rng);
            match synth::synthesize(&variant, variant.engine) {
                Ok(p) => candidates.push((variant, p, "synth")),
                Err(e) => out.skipped.push(Skipped {
                    source: format!("{}#aug{k}", seed.source),
                    reason: format!("synthesizer: {e}"),
                }),
            }
        }
        for (k, (intent, policy, origin)) in candidates.into_iter().enumerate() {
            let value = policy.to_value().map_err(|e| InferError::Generation {
                generator: "dataset".into(),
                message: e.to_string(),
            })?;
            let outcome = validator.validate_value(&value);
            if !outcome.is_valid() {
                out.skipped.push(Skipped {
                    source: format!("{}#{origin}{k}", seed.source),
                    reason: "reference invalid at layer 1".into(),
                });
                continue;
            }
            let reference = policy
                .to_canonical_yaml()
                .map_err(|e| InferError::Generation {
                    generator: "dataset".into(),
                    message: e.to_string(),
                })?;
            let key = serde_json::to_string(&intent).unwrap_or_default();
            if !seen.insert((key, origin)) {
                continue;
            }
            let template = templates[rng.below(templates.len())];
            let context = match store.as_deref_mut() {
                Some(s) => Some(
                    prompt::context_for(s, &intent, config.context_budget).map_err(|e| {
                        InferError::Generation {
                            generator: "dataset".into(),
                            message: e.to_string(),
                        }
                    })?,
                ),
                None => None,
            };
            let built =
                prompt::build_prompt(&intent, context.as_ref(), template, &[]).map_err(|e| {
                    InferError::Generation {
                        generator: "dataset".into(),
                        message: e.to_string(),
                    }
                })?;
            pairs.push(Pair {
                id: format!("{group}-{k}"),
                prompt: chat(&built),
                reference,
                engine: policy.engine(),
                kind: policy.kind().kind().to_string(),
                intent,
                template,
                origin,
                group: group.clone(),
                source: seed.source.clone(),
            });
        }
    }
    progress(derived.len(), derived.len());
    for p in pairs {
        let mut rng = Rng::new(config.seed, &format!("split:{}", p.group));
        if rng.unit() < config.test_share {
            out.test.push(p);
        } else {
            out.train.push(p);
        }
    }
    let mut rng = Rng::new(config.seed, "order");
    rng.shuffle(&mut out.train);
    rng.shuffle(&mut out.test);
    out.documents = seeds.len();
    Ok(out)
}

/// Writes `train.jsonl`, `test.jsonl`, `skipped.jsonl` and `manifest.json` into `dir`.
pub fn write(dataset: &Dataset, dir: &Path, config: &DatasetConfig) -> Result<(), InferError> {
    std::fs::create_dir_all(dir).map_err(|e| InferError::io(dir, e))?;
    let jsonl = |name: &str, lines: &mut dyn Iterator<Item = Value>| -> Result<(), InferError> {
        let path = dir.join(name);
        let file = std::fs::File::create(&path).map_err(|e| InferError::io(&path, e))?;
        let mut w = std::io::BufWriter::new(file);
        for l in lines {
            writeln!(w, "{l}").map_err(|e| InferError::io(&path, e))?;
        }
        w.flush().map_err(|e| InferError::io(&path, e))
    };
    let to_value = |p: &Pair| serde_json::to_value(p).unwrap_or(Value::Null);
    jsonl("train.jsonl", &mut dataset.train.iter().map(to_value))?;
    jsonl("test.jsonl", &mut dataset.test.iter().map(to_value))?;
    jsonl(
        "skipped.jsonl",
        &mut dataset
            .skipped
            .iter()
            .map(|s| serde_json::to_value(s).unwrap_or(Value::Null)),
    )?;
    let count = |pairs: &[Pair], f: &dyn Fn(&Pair) -> String| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for p in pairs {
            *m.entry(f(p)).or_default() += 1;
        }
        m
    };
    let all: Vec<Pair> = dataset.train.iter().chain(&dataset.test).cloned().collect();
    let manifest = serde_json::json!({
        "seed": config.seed,
        "test_share": config.test_share,
        "augment": config.augment,
        "templates": config.templates.iter().map(|t| t.name()).collect::<Vec<_>>(),
        "context_budget": config.context_budget,
        "seed_policies": dataset.documents,
        "train": dataset.train.len(),
        "test": dataset.test.len(),
        "skipped": dataset.skipped.len(),
        "by_engine": count(&all, &|p| p.engine.name().to_string()),
        "by_template": count(&all, &|p| p.template.name().to_string()),
        "by_origin": count(&all, &|p| p.origin.to_string()),
    });
    let path = dir.join("manifest.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&manifest).unwrap_or_default(),
    )
    .map_err(|e| InferError::io(&path, e))
}
