//! A policy document reduced to what it means, engine by engine: the kind,
//! namespace and selected workloads ([`Shape`]), and one [`Fact`] per
//! behaviour a rule states (a file path, an executable, a peer × port of
//! one direction, a capability, a system call), with the action it gets.
//!
//! Two policies that say the same thing in different layouts (one rule per
//! port or one rule with every port, keys with or without Cilium's `k8s:`
//! prefix, a Calico selector's terms in another order) have the same facts;
//! the API server's defaults (`policyTypes`, Calico `types`, protocol TCP)
//! are applied first, so an omitted default and a written one agree.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use kubescribe_core::selector::Selector;

/// The workloads a policy selects, normalized: equality labels and any
/// other terms (expressions), as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ScopeSel {
    /// `key = value` terms.
    pub labels: BTreeMap<String, String>,
    /// Other terms (`matchExpressions`, Calico terms other than `==`).
    pub terms: BTreeSet<String>,
    /// Whether the selector field is there at all (an absent KubeArmor or
    /// Calico selector is not an empty one written on purpose).
    pub present: bool,
}

impl ScopeSel {
    pub fn is_everything(&self) -> bool {
        self.labels.is_empty() && self.terms.is_empty()
    }

    pub fn render(&self) -> String {
        if self.is_everything() {
            return "every pod".into();
        }
        let mut parts: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        parts.extend(self.terms.iter().cloned());
        parts.join(", ")
    }

    /// Whether every pod `other` selects is also selected by `self`, and
    /// `self` selects more (fewer conditions, none new).
    pub fn strictly_wider_than(&self, other: &ScopeSel) -> bool {
        self != other
            && self
                .labels
                .iter()
                .all(|(k, v)| other.labels.get(k) == Some(v))
            && self.terms.is_subset(&other.terms)
    }
}

/// One behaviour a rule states, and what the policy does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fact {
    /// The action (`allow`, `block`, `audit`, `log`, `pass`, `default-deny`, …).
    pub action: String,
    /// JSON pointer of the rule that states it.
    pub pointer: String,
}

/// A policy's meaning.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shape {
    /// `apiVersion/kind`.
    pub kind: String,
    pub namespace: Option<String>,
    pub scope: ScopeSel,
    /// JSON pointer of the scope selector.
    pub scope_pointer: String,
    /// What → how.
    pub facts: BTreeMap<String, Fact>,
}

impl Shape {
    fn add(&mut self, what: String, action: &str, pointer: String) {
        // The first statement of a behaviour decides (Calico evaluates rules in order).
        self.facts.entry(what).or_insert(Fact {
            action: action.to_string(),
            pointer,
        });
    }
}

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A `{matchLabels, matchExpressions}` label selector; `strip` removes a
/// key prefix (Cilium's `k8s:`, `any:`).
fn label_selector(v: &Value, strip: bool) -> ScopeSel {
    let key = |k: &str| -> String {
        if strip {
            k.trim_start_matches("k8s:")
                .trim_start_matches("any:")
                .to_string()
        } else {
            k.to_string()
        }
    };
    let mut out = ScopeSel {
        present: !v.is_null(),
        ..ScopeSel::default()
    };
    if let Some(m) = v.get("matchLabels").and_then(Value::as_object) {
        for (k, val) in m {
            out.labels.insert(key(k), scalar(val));
        }
    }
    for e in arr(v.get("matchExpressions").unwrap_or(&Value::Null)) {
        let k = key(e.get("key").and_then(s).unwrap_or(""));
        let op = e.get("operator").and_then(s).unwrap_or("");
        let mut vals: Vec<String> = arr(e.get("values").unwrap_or(&Value::Null))
            .iter()
            .map(scalar)
            .collect();
        vals.sort();
        if op == "In" && vals.len() == 1 && !k.is_empty() {
            out.labels.insert(k, vals.remove(0));
        } else {
            out.terms.insert(format!("{k} {op} [{}]", vals.join(",")));
        }
    }
    out
}

/// A Calico selector expression; `all()` or none is every endpoint.
fn calico_selector(text: Option<&str>) -> ScopeSel {
    let mut out = ScopeSel {
        present: text.is_some(),
        ..ScopeSel::default()
    };
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return out;
    };
    let parsed = match Selector::parse(text) {
        Ok(p) => p,
        Err(_) => {
            out.terms
                .insert(text.split_whitespace().collect::<Vec<_>>().join(" "));
            return out;
        }
    };
    let terms = match parsed {
        Selector::And(v) => v,
        other => vec![other],
    };
    for t in terms {
        match t {
            Selector::All => {}
            Selector::Eq(k, v) => {
                out.labels.insert(k, v);
            }
            other => {
                out.terms.insert(other.to_string());
            }
        }
    }
    out
}

fn render_sel(sel: &ScopeSel) -> String {
    if sel.is_everything() {
        "{}".into()
    } else {
        format!("{{{}}}", sel.render())
    }
}

/// The meaning of a policy document; `None` for a kind this check does
/// not read.
pub(crate) fn shape_of(doc: &Value) -> Option<Shape> {
    let api = doc.get("apiVersion").and_then(s).unwrap_or("");
    let kind = doc.get("kind").and_then(s).unwrap_or("");
    let mut shape = Shape {
        kind: format!("{api}/{kind}"),
        namespace: doc
            .pointer("/metadata/namespace")
            .and_then(s)
            .map(str::to_string),
        ..Shape::default()
    };
    let spec = doc.get("spec").cloned().unwrap_or(Value::Null);
    match (api, kind) {
        ("security.kubearmor.com/v1", "KubeArmorPolicy" | "KubeArmorClusterPolicy") => {
            kubearmor(&spec, &mut shape)
        }
        ("cilium.io/v1alpha1", "TracingPolicy" | "TracingPolicyNamespaced") => {
            tetragon(&spec, &mut shape)
        }
        ("networking.k8s.io/v1", "NetworkPolicy") => kubernetes(&spec, &mut shape),
        ("cilium.io/v2", "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy") => {
            shape.scope_pointer = "/spec/endpointSelector".into();
            shape.scope =
                label_selector(spec.get("endpointSelector").unwrap_or(&Value::Null), true);
            cilium(&spec, "/spec", &mut shape);
            for (i, sp) in arr(doc.get("specs").unwrap_or(&Value::Null))
                .iter()
                .enumerate()
            {
                cilium(sp, &format!("/specs/{i}"), &mut shape);
            }
        }
        ("projectcalico.org/v3", "NetworkPolicy" | "GlobalNetworkPolicy") => {
            calico(&spec, &mut shape)
        }
        _ => return None,
    }
    Some(shape)
}

// ---------------------------------------------------------------- KubeArmor

fn kubearmor(spec: &Value, shape: &mut Shape) {
    shape.scope_pointer = "/spec/selector".into();
    shape.scope = label_selector(spec.get("selector").unwrap_or(&Value::Null), false);
    // A cluster policy names labels as `label In [k=v]`.
    let terms = std::mem::take(&mut shape.scope.terms);
    for t in terms {
        match t
            .strip_prefix("label In [")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|kv| kv.split_once('='))
        {
            Some((k, v)) if !k.contains(',') => {
                shape.scope.labels.insert(k.into(), v.into());
            }
            _ => {
                shape.scope.terms.insert(t);
            }
        }
    }
    let policy_action = spec
        .get("action")
        .and_then(s)
        .unwrap_or("(none)")
        .to_lowercase();
    for section in ["file", "process", "network", "capabilities", "syscalls"] {
        let Some(sec) = spec.get(section) else {
            continue;
        };
        let sec_action = sec
            .get("action")
            .and_then(s)
            .map(str::to_lowercase)
            .unwrap_or_else(|| policy_action.clone());
        let sec_sources = sources(sec);
        let Some(obj) = sec.as_object() else { continue };
        for (list, rules) in obj {
            for (i, rule) in arr(rules).iter().enumerate() {
                let ptr = format!("/spec/{section}/{list}/{i}");
                let action = rule
                    .get("action")
                    .and_then(s)
                    .map(str::to_lowercase)
                    .unwrap_or_else(|| sec_action.clone());
                let mut quals = Vec::new();
                for flag in ["readOnly", "ownerOnly", "recursive"] {
                    if rule.get(flag).and_then(Value::as_bool) == Some(true) {
                        quals.push(flag.to_string());
                    }
                }
                let src = sources(rule);
                let src = if src.is_empty() {
                    sec_sources.clone()
                } else {
                    src
                };
                if !src.is_empty() {
                    quals.push(format!("from {}", src.join(",")));
                }
                let q = if quals.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", quals.join("; "))
                };
                let mut add = |what: String| shape.add(format!("{what}{q}"), &action, ptr.clone());
                match list.as_str() {
                    "matchPaths" if section == "syscalls" => {
                        for c in arr(rule.get("syscall").unwrap_or(&Value::Null)) {
                            add(format!(
                                "syscall {} on path {}",
                                scalar(c),
                                rule.get("path").map(scalar).unwrap_or_default()
                            ));
                        }
                    }
                    "matchPaths" => add(format!(
                        "{section} path {}",
                        rule.get("path").map(scalar).unwrap_or_default()
                    )),
                    "matchDirectories" => add(format!(
                        "{section} directory {}",
                        rule.get("dir").map(scalar).unwrap_or_default()
                    )),
                    "matchPatterns" => add(format!(
                        "{section} pattern {}",
                        rule.get("pattern").map(scalar).unwrap_or_default()
                    )),
                    "matchProtocols" => add(format!(
                        "network protocol {}",
                        rule.get("protocol")
                            .map(scalar)
                            .unwrap_or_default()
                            .to_lowercase()
                    )),
                    "matchCapabilities" => add(format!(
                        "capability {}",
                        rule.get("capability")
                            .map(scalar)
                            .unwrap_or_default()
                            .to_lowercase()
                            .trim_start_matches("cap_")
                    )),
                    "matchSyscalls" => {
                        for c in arr(rule.get("syscall").unwrap_or(&Value::Null)) {
                            add(format!("syscall {}", scalar(c).trim_start_matches("sys_")));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

fn sources(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = arr(v.get("fromSource").unwrap_or(&Value::Null))
        .iter()
        .filter_map(|x| x.get("path").or_else(|| x.get("dir")).map(scalar))
        .collect();
    out.sort();
    out.dedup();
    out
}

// ----------------------------------------------------------------- Tetragon

fn tetragon(spec: &Value, shape: &mut Shape) {
    shape.scope_pointer = "/spec/podSelector".into();
    shape.scope = label_selector(spec.get("podSelector").unwrap_or(&Value::Null), false);
    for (k, probe) in arr(spec.get("kprobes").unwrap_or(&Value::Null))
        .iter()
        .enumerate()
    {
        let call = probe.get("call").map(scalar).unwrap_or_default();
        let call = call
            .trim_start_matches("__x64_")
            .trim_start_matches("sys_")
            .to_string();
        for (i, sel) in arr(probe.get("selectors").unwrap_or(&Value::Null))
            .iter()
            .enumerate()
        {
            let ptr = format!("/spec/kprobes/{k}/selectors/{i}");
            let actions: Vec<String> = arr(sel.get("matchActions").unwrap_or(&Value::Null))
                .iter()
                .filter_map(|a| a.get("action").and_then(s))
                .map(str::to_lowercase)
                .collect();
            let action = if actions.iter().any(|a| a == "sigkill" || a == "override") {
                "block"
            } else {
                "audit"
            };
            let args = arr(sel.get("matchArgs").unwrap_or(&Value::Null));
            let mut quals: Vec<String> = args
                .iter()
                .skip(1)
                .map(|a| {
                    format!(
                        "arg{} {} {}",
                        a.get("index").map(scalar).unwrap_or_default(),
                        a.get("operator").map(scalar).unwrap_or_default(),
                        arr(a.get("values").unwrap_or(&Value::Null))
                            .iter()
                            .map(scalar)
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                })
                .collect();
            for b in arr(sel.get("matchBinaries").unwrap_or(&Value::Null)) {
                let mut vals: Vec<String> = arr(b.get("values").unwrap_or(&Value::Null))
                    .iter()
                    .map(scalar)
                    .collect();
                vals.sort();
                quals.push(format!(
                    "binary {} {}",
                    b.get("operator").map(scalar).unwrap_or_default(),
                    vals.join(",")
                ));
            }
            quals.sort();
            let q = if quals.is_empty() {
                String::new()
            } else {
                format!(" ({})", quals.join("; "))
            };
            match args.first() {
                Some(a) => {
                    let op = a.get("operator").map(scalar).unwrap_or_default();
                    for v in arr(a.get("values").unwrap_or(&Value::Null)) {
                        shape.add(
                            format!("call {call} {op} {}{q}", scalar(v)),
                            action,
                            ptr.clone(),
                        );
                    }
                }
                None => shape.add(format!("call {call}{q}"), action, ptr.clone()),
            }
        }
    }
}

// --------------------------------------------------------------- Kubernetes

fn k8s_port(p: &Value) -> String {
    let proto = p
        .get("protocol")
        .and_then(s)
        .unwrap_or("TCP")
        .to_uppercase();
    match p.get("port") {
        None | Some(Value::Null) => format!("{proto}/any"),
        Some(port) => match p.get("endPort").and_then(Value::as_u64) {
            Some(end) if end.to_string() != scalar(port) => {
                format!("{proto}/{}-{end}", scalar(port))
            }
            _ => format!("{proto}/{}", scalar(port)),
        },
    }
}

fn k8s_peer(p: &Value) -> String {
    if let Some(ip) = p.get("ipBlock") {
        let mut ex: Vec<String> = arr(ip.get("except").unwrap_or(&Value::Null))
            .iter()
            .map(scalar)
            .collect();
        ex.sort();
        let cidr = ip.get("cidr").map(scalar).unwrap_or_default();
        return if ex.is_empty() {
            format!("cidr {cidr}")
        } else {
            format!("cidr {cidr} except {}", ex.join(","))
        };
    }
    let pods = p
        .get("podSelector")
        .map(|v| render_sel(&label_selector(v, false)));
    let ns = p.get("namespaceSelector").map(|v| {
        let mut sel = label_selector(v, false);
        match sel.labels.remove("kubernetes.io/metadata.name") {
            Some(name) if sel.is_everything() => format!("namespace {name}"),
            Some(name) => format!("namespace {name} {}", render_sel(&sel)),
            None if sel.is_everything() => "any namespace".into(),
            None => format!("namespaces {}", render_sel(&sel)),
        }
    });
    match (pods, ns) {
        (Some(p), None) => format!("pods {p}"),
        (Some(p), Some(n)) => format!("pods {p} in {n}"),
        (None, Some(n)) => format!("pods {{}} in {n}"),
        (None, None) => "nothing".into(),
    }
}

fn kubernetes(spec: &Value, shape: &mut Shape) {
    shape.scope_pointer = "/spec/podSelector".into();
    shape.scope = label_selector(spec.get("podSelector").unwrap_or(&Value::Null), false);
    let mut types: BTreeSet<String> = arr(spec.get("policyTypes").unwrap_or(&Value::Null))
        .iter()
        .map(scalar)
        .collect();
    if types.is_empty() {
        // The API server's default.
        types.insert("Ingress".into());
        if spec.get("egress").is_some_and(|e| !arr(e).is_empty()) {
            types.insert("Egress".into());
        }
    }
    for (ty, key, peers_key) in [("Ingress", "ingress", "from"), ("Egress", "egress", "to")] {
        if !types.contains(ty) {
            continue;
        }
        shape.add(
            format!("{key}: everything not allowed below"),
            "default-deny",
            "/spec/policyTypes".into(),
        );
        for (i, rule) in arr(spec.get(key).unwrap_or(&Value::Null))
            .iter()
            .enumerate()
        {
            let ptr = format!("/spec/{key}/{i}");
            let peers: Vec<String> = match rule.get(peers_key).map(arr) {
                Some(p) if !p.is_empty() => p.iter().map(k8s_peer).collect(),
                _ => vec!["any peer".into()],
            };
            let ports: Vec<String> = match rule.get("ports").map(arr) {
                Some(p) if !p.is_empty() => p.iter().map(k8s_port).collect(),
                _ => vec!["any port".into()],
            };
            for peer in &peers {
                for port in &ports {
                    shape.add(
                        format!(
                            "{key} {peer_dir} {peer} on {port}",
                            peer_dir = if key == "ingress" { "from" } else { "to" }
                        ),
                        "allow",
                        ptr.clone(),
                    );
                }
            }
        }
    }
}

// ------------------------------------------------------------------- Cilium

fn cilium(spec: &Value, base: &str, shape: &mut Shape) {
    if spec.is_null() {
        return;
    }
    let dd = spec.get("enableDefaultDeny");
    for (dir, allow_key, deny_key, from) in [
        ("ingress", "ingress", "ingressDeny", "from"),
        ("egress", "egress", "egressDeny", "to"),
    ] {
        let has = [allow_key, deny_key]
            .iter()
            .any(|k| spec.get(*k).is_some_and(|v| !arr(v).is_empty()));
        if has && dd.and_then(|d| d.get(dir)).and_then(Value::as_bool) != Some(false) {
            shape.add(
                format!("{dir}: everything not allowed below"),
                "default-deny",
                format!("{base}/{allow_key}"),
            );
        }
        for (key, action) in [(allow_key, "allow"), (deny_key, "block")] {
            for (i, rule) in arr(spec.get(key).unwrap_or(&Value::Null))
                .iter()
                .enumerate()
            {
                let ptr = format!("{base}/{key}/{i}");
                let mut peers: Vec<String> = Vec::new();
                let f = |n: &str| format!("{from}{n}");
                for sel in arr(rule.get(f("Endpoints").as_str()).unwrap_or(&Value::Null)) {
                    let mut sel = label_selector(sel, true);
                    let ns = sel.labels.remove("io.kubernetes.pod.namespace");
                    let any_ns = sel.terms.remove("io.kubernetes.pod.namespace Exists []");
                    let ns_labels: BTreeMap<String, String> = sel
                        .labels
                        .iter()
                        .filter_map(|(k, v)| {
                            k.strip_prefix("io.cilium.k8s.namespace.labels.")
                                .map(|k| (k.to_string(), v.clone()))
                        })
                        .collect();
                    sel.labels
                        .retain(|k, _| !k.starts_with("io.cilium.k8s.namespace.labels."));
                    let mut text = format!("pods {}", render_sel(&sel));
                    if let Some(ns) = ns {
                        text.push_str(&format!(" in namespace {ns}"));
                    }
                    let by_labels = !ns_labels.is_empty();
                    if by_labels {
                        let nsel = ScopeSel {
                            labels: ns_labels,
                            ..ScopeSel::default()
                        };
                        text.push_str(&format!(" in namespaces {}", render_sel(&nsel)));
                    }
                    // Beside namespace labels the namespace key's `Exists`
                    // only lifts Cilium's confinement to the policy's own
                    // namespace: the labels say which namespaces.
                    if any_ns && !by_labels {
                        text.push_str(" in any namespace");
                    }
                    peers.push(text);
                }
                for c in arr(rule.get(f("CIDR").as_str()).unwrap_or(&Value::Null)) {
                    peers.push(format!("cidr {}", scalar(c)));
                }
                for c in arr(rule.get(f("CIDRSet").as_str()).unwrap_or(&Value::Null)) {
                    let mut ex: Vec<String> = arr(c.get("except").unwrap_or(&Value::Null))
                        .iter()
                        .map(scalar)
                        .collect();
                    ex.sort();
                    let cidr = c.get("cidr").map(scalar).unwrap_or_default();
                    peers.push(if ex.is_empty() {
                        format!("cidr {cidr}")
                    } else {
                        format!("cidr {cidr} except {}", ex.join(","))
                    });
                }
                for e in arr(rule.get(f("Entities").as_str()).unwrap_or(&Value::Null)) {
                    peers.push(format!("entity {}", scalar(e)));
                }
                for q in arr(rule.get("toFQDNs").unwrap_or(&Value::Null)) {
                    if let Some(n) = q.get("matchName") {
                        peers.push(format!("fqdn {}", scalar(n)));
                    }
                    if let Some(n) = q.get("matchPattern") {
                        peers.push(format!("fqdn pattern {}", scalar(n)));
                    }
                }
                for sv in arr(rule.get("toServices").unwrap_or(&Value::Null)) {
                    peers.push(format!("service {sv}"));
                }
                let mut ports: Vec<String> = Vec::new();
                for tp in arr(rule.get("toPorts").unwrap_or(&Value::Null)) {
                    let l7 = tp
                        .get("rules")
                        .map(|r| format!(" with rules {r}"))
                        .unwrap_or_default();
                    for p in arr(tp.get("ports").unwrap_or(&Value::Null)) {
                        let proto = p
                            .get("protocol")
                            .and_then(s)
                            .unwrap_or("ANY")
                            .to_uppercase();
                        let port = p.get("port").map(scalar).unwrap_or_else(|| "0".into());
                        let text = match p.get("endPort").and_then(Value::as_u64) {
                            _ if port == "0" => format!("{proto}/any"),
                            Some(end) if end.to_string() != port => {
                                format!("{proto}/{port}-{end}")
                            }
                            _ => format!("{proto}/{port}"),
                        };
                        ports.push(format!("{text}{l7}"));
                    }
                }
                for ic in arr(rule.get("icmps").unwrap_or(&Value::Null)) {
                    for field in arr(ic.get("fields").unwrap_or(&Value::Null)) {
                        ports.push(format!(
                            "ICMP {} type {}",
                            field.get("family").and_then(s).unwrap_or("IPv4"),
                            field.get("type").map(scalar).unwrap_or_default()
                        ));
                    }
                }
                if peers.is_empty() && ports.is_empty() {
                    // A rule that selects nothing: only the default deny it enters.
                    continue;
                }
                if peers.is_empty() {
                    peers.push("any peer".into());
                }
                if ports.is_empty() {
                    ports.push("any port".into());
                }
                let dir_word = if dir == "ingress" { "from" } else { "to" };
                for peer in &peers {
                    for port in &ports {
                        shape.add(
                            format!("{dir} {dir_word} {peer} on {port}"),
                            action,
                            ptr.clone(),
                        );
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------------- Calico

fn calico_entity(e: &Value) -> Vec<String> {
    let mut quals = Vec::new();
    let sel = e.get("selector").and_then(s);
    let ns = e.get("namespaceSelector").and_then(s);
    if sel.is_some() || ns.is_some() {
        let mut t = format!("pods {}", render_sel(&calico_selector(sel)));
        if let Some(ns) = ns {
            let mut n = calico_selector(Some(ns));
            match n.labels.remove("kubernetes.io/metadata.name") {
                Some(name) if n.is_everything() => t.push_str(&format!(" in namespace {name}")),
                Some(name) => t.push_str(&format!(" in namespace {name} {}", render_sel(&n))),
                None if n.is_everything() => t.push_str(" in any namespace"),
                None => t.push_str(&format!(" in namespaces {}", render_sel(&n))),
            }
        }
        quals.push(t);
    }
    for key in ["notSelector", "serviceAccounts", "services", "notPorts"] {
        if let Some(v) = e.get(key) {
            quals.push(format!("{key} {v}"));
        }
    }
    let mut not_nets: Vec<String> = arr(e.get("notNets").unwrap_or(&Value::Null))
        .iter()
        .map(scalar)
        .collect();
    not_nets.sort();
    let nets: Vec<String> = arr(e.get("nets").unwrap_or(&Value::Null))
        .iter()
        .map(scalar)
        .collect();
    let q = quals.join(" ");
    let except = if not_nets.is_empty() {
        String::new()
    } else {
        format!(" except {}", not_nets.join(","))
    };
    if nets.is_empty() {
        if q.is_empty() && except.is_empty() {
            vec!["any peer".into()]
        } else {
            vec![format!("{q}{except}").trim().to_string()]
        }
    } else {
        nets.iter()
            .map(|n| format!("{q} cidr {n}{except}").trim().to_string())
            .collect()
    }
}

fn calico(spec: &Value, shape: &mut Shape) {
    shape.scope_pointer = "/spec/selector".into();
    shape.scope = calico_selector(spec.get("selector").and_then(s));
    let mut types: BTreeSet<String> = arr(spec.get("types").unwrap_or(&Value::Null))
        .iter()
        .map(scalar)
        .collect();
    if types.is_empty() {
        types.insert("Ingress".into());
        if spec.get("egress").is_some_and(|e| !arr(e).is_empty()) {
            types.insert("Egress".into());
        }
    }
    for (ty, key) in [("Ingress", "ingress"), ("Egress", "egress")] {
        if !types.contains(ty) {
            continue;
        }
        shape.add(
            format!("{key}: everything not allowed below"),
            "default-deny",
            "/spec/types".into(),
        );
        for (i, rule) in arr(spec.get(key).unwrap_or(&Value::Null))
            .iter()
            .enumerate()
        {
            let ptr = format!("/spec/{key}/{i}");
            let action = rule
                .get("action")
                .and_then(s)
                .unwrap_or("Allow")
                .to_lowercase();
            let proto = rule
                .get("protocol")
                .map(|p| scalar(p).to_uppercase())
                .unwrap_or_else(|| "any protocol".into());
            let null = Value::Null;
            let src = rule.get("source").unwrap_or(&null);
            let dst = rule.get("destination").unwrap_or(&null);
            let (peer_side, own_side) = if key == "ingress" {
                (src, dst)
            } else {
                (dst, src)
            };
            let peers = calico_entity(peer_side);
            let own = calico_entity(own_side)
                .into_iter()
                .filter(|o| o != "any peer")
                .collect::<Vec<_>>()
                .join(" ");
            let mut ports: Vec<String> = arr(dst.get("ports").unwrap_or(&Value::Null))
                .iter()
                .map(|p| scalar(p).replace(':', "-"))
                .collect();
            if ports.is_empty() {
                ports.push("any".into());
            }
            let mut extra = Vec::new();
            for k in ["notProtocol", "icmp", "notICMP", "http", "ipVersion"] {
                if let Some(v) = rule.get(k) {
                    extra.push(format!("{k} {v}"));
                }
            }
            if !own.is_empty() {
                extra.push(format!("own side {own}"));
            }
            let extra = if extra.is_empty() {
                String::new()
            } else {
                format!(" ({})", extra.join("; "))
            };
            let dir_word = if key == "ingress" { "from" } else { "to" };
            for peer in &peers {
                for port in &ports {
                    shape.add(
                        format!("{key} {dir_word} {peer} on {proto}/{port}{extra}"),
                        &action,
                        ptr.clone(),
                    );
                }
            }
        }
    }
}
