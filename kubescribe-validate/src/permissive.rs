//! Layer 4: over-permissive policies. A policy can be valid and still open
//! far more than anyone means: an allow of `/` and everything below it, a
//! selector that matches every pod, every address, every domain, every
//! port. These are warnings (the policy is valid), each with the JSON
//! pointer of the rule, why it is broad, and what to write instead; `kubescribe
//! validate|generate --deny-warnings` turns them into errors.
//!
//! The check reads the document alone (no event store, no cluster). What it
//! flags, by code ([`Diagnostic::rule`]):
//!
//! | code | what |
//! |---|---|
//! | `root-allow` | KubeArmor file/process `Allow` of `dir: /` recursive, or a `matchPatterns` glob whose fixed part is `/` or empty (`/*`, `/**`, `*`) |
//! | `match-all-selector` | a selector that matches every workload, in a policy that allows something: KubeArmor `selector` with no labels (`Allow` rules), NetworkPolicy `podSelector: {}` (target or peer) and `namespaceSelector: {}` peers, Cilium `endpointSelector: {}` / `nodeSelector: {}` and `fromEndpoints`/`toEndpoints` `{}`, Calico `all()` (or no selector) as the policy's selector or a rule's |
//! | `world-entity` | Cilium `fromEntities`/`toEntities` `all`, `world`, `world-ipv4`, `world-ipv6` |
//! | `any-address` | `0.0.0.0/0` or `::/0` in an allow: NetworkPolicy `ipBlock.cidr`, Cilium `fromCIDR`/`toCIDR`/`…CIDRSet`, Calico `nets` |
//! | `wildcard-fqdn` | Cilium `toFQDNs` `matchPattern` `*`, or one whose fixed part is a single label (`*.com`, `api.*`) |
//! | `any-port` | Cilium port `"0"` (every port), a NetworkPolicy or Calico port range covering 1-65535, an allow rule to or from the whole world (entity or address) with no port restriction |
//! | `any-peer` | an allow rule that restricts ports but names no peer (NetworkPolicy rule with `ports` and no `from`/`to`, Cilium rule with `toPorts` and no L3 selector, Calico `Allow` with no source/destination selector or nets on the peer side): every address, the internet included |
//! | `allow-all-rule` | a rule that allows everything in its direction: NetworkPolicy `ingress: [{}]` / `egress: [{}]`, a Calico `Allow` with no source, destination or protocol restriction (also when a conversion wrote it) |
//!
//! Deny, Block and Audit rules are not flagged (a wide deny is not
//! permissive), nor are Tetragon policies (they observe or kill; they grant
//! nothing).

use serde_json::Value;

use kubescribe_core::cidr::Cidr;
use kubescribe_core::{Policy, PolicyKind};

use crate::diagnostic::{Diagnostic, Fix, Layer, Severity};

/// The origin every finding of this layer carries.
pub const ORIGIN: &str = "permissive";

/// The codes this layer uses, one per kind of finding.
pub const CODES: &[&str] = &[
    "root-allow",
    "match-all-selector",
    "world-entity",
    "any-address",
    "wildcard-fqdn",
    "any-port",
    "any-peer",
    "allow-all-rule",
];

/// A warning of this layer at `pointer` with `code`, why and what to do.
fn finding(pointer: &str, code: &str, message: String, suggestion: &str) -> Diagnostic {
    Diagnostic {
        layer: Layer::Permissive,
        severity: Severity::Warning,
        pointer: pointer.to_string(),
        rule: code.to_string(),
        message,
        expected: None,
        actual: None,
        fix: Some(Fix {
            message: suggestion.to_string(),
            pointer: pointer.to_string(),
            replacement: None,
        }),
        origin: ORIGIN.into(),
        line: None,
    }
}

/// The over-permissive findings of a document (any value: documents of
/// kinds that grant nothing, or of no known kind, give none).
pub fn check(value: &Value) -> Vec<Diagnostic> {
    let Ok(kind) = Policy::kind_of(value) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match kind {
        PolicyKind::KubeArmorPolicy
        | PolicyKind::KubeArmorClusterPolicy
        | PolicyKind::KubeArmorHostPolicy => kubearmor(kind, value, &mut out),
        PolicyKind::NetworkPolicy | PolicyKind::CalicoStagedKubernetesNetworkPolicy => {
            if let Some(spec) = value.get("spec") {
                kubernetes(spec, "/spec", &mut out);
            }
        }
        PolicyKind::CiliumNetworkPolicy | PolicyKind::CiliumClusterwideNetworkPolicy => {
            if let Some(spec) = value.get("spec") {
                cilium(spec, "/spec", &mut out);
            }
            for (i, spec) in arr(value.get("specs")).iter().enumerate() {
                cilium(spec, &format!("/specs/{i}"), &mut out);
            }
        }
        PolicyKind::CalicoNetworkPolicy
        | PolicyKind::CalicoGlobalNetworkPolicy
        | PolicyKind::CalicoStagedNetworkPolicy
        | PolicyKind::CalicoStagedGlobalNetworkPolicy => {
            if let Some(spec) = value.get("spec") {
                calico(kind, spec, &mut out);
            }
        }
        PolicyKind::KubeArmorNetworkPolicy
        | PolicyKind::TracingPolicy
        | PolicyKind::TracingPolicyNamespaced => {}
    }
    out
}

/// Keeps one finding per place: layer 3 (with a store or cluster) warns
/// about a `0.0.0.0/0` allow too; its warning goes when this layer has a
/// finding at the same pointer.
pub fn drop_repeated(diagnostics: &mut Vec<Diagnostic>) {
    let flagged: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.layer == Layer::Permissive)
        .map(|d| d.pointer.clone())
        .collect();
    diagnostics.retain(|d| {
        !(d.layer == Layer::Property
            && d.rule == "cidr"
            && !d.is_error()
            && flagged.contains(&d.pointer))
    });
}

fn arr(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn nonempty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(_) => true,
    }
}

/// A Kubernetes-style label selector (`matchLabels`, `matchExpressions`)
/// that selects everything: absent, `{}`, or both parts empty.
fn selects_all(sel: Option<&Value>) -> bool {
    match sel {
        None | Some(Value::Null) => true,
        Some(s) => !nonempty(s.get("matchLabels")) && !nonempty(s.get("matchExpressions")),
    }
}

/// A prefix-0 block (`0.0.0.0/0`, `::/0`): every address of its family.
fn every_address(text: &str) -> Option<&'static str> {
    let c = Cidr::parse(text)?;
    (c.prefix == 0).then_some(if c.addr.is_ipv4() { "IPv4" } else { "IPv6" })
}

fn any_address(pointer: &str, text: &str, family: &str, except: bool) -> Diagnostic {
    finding(
        pointer,
        "any-address",
        format!(
            "{text} allows every {family} address, the whole internet included{}",
            if except {
                " (less the `except` blocks)"
            } else {
                ""
            }
        ),
        "name the networks meant (a CIDR per service or provider), or FQDNs where the engine supports them",
    )
}

// ---------------------------------------------------------------- KubeArmor

fn is_allow(v: Option<&Value>) -> bool {
    v.and_then(Value::as_str)
        .is_some_and(|a| a.eq_ignore_ascii_case("allow"))
}

/// The action in force for a rule: its own, else its section's, else the spec's.
fn ka_action<'a>(rule: &'a Value, section: &'a Value, spec: &'a Value) -> Option<&'a Value> {
    rule.get("action")
        .or_else(|| section.get("action"))
        .or_else(|| spec.get("action"))
}

/// An allow rule at `pointer` with ports but no peer.
fn any_peer(pointer: &str, dir: &str, side: &str, suggestion: &str) -> Diagnostic {
    finding(
        pointer,
        "any-peer",
        format!(
            "this {dir} rule names no peer: it allows traffic {side} every address (every pod, node and the internet) on its ports"
        ),
        suggestion,
    )
}

/// The fixed part of a glob, before its first wildcard.
fn glob_prefix(pattern: &str) -> &str {
    let end = pattern.find(['*', '?', '[']).unwrap_or(pattern.len());
    &pattern[..end]
}

fn kubearmor(kind: PolicyKind, value: &Value, out: &mut Vec<Diagnostic>) {
    let Some(spec) = value.get("spec") else {
        return;
    };
    let mut allows = false;
    for section in ["file", "process"] {
        let Some(sec) = spec.get(section) else {
            continue;
        };
        let base = format!("/spec/{section}");
        for list in ["matchPaths", "matchDirectories", "matchPatterns"] {
            for (i, rule) in arr(sec.get(list)).iter().enumerate() {
                if !is_allow(ka_action(rule, sec, spec)) {
                    continue;
                }
                allows = true;
                let ptr = format!("{base}/{list}/{i}");
                let what = if section == "file" {
                    "every file"
                } else {
                    "every binary"
                };
                match list {
                    "matchDirectories" => {
                        let dir = rule.get("dir").and_then(Value::as_str).unwrap_or("");
                        let recursive =
                            rule.get("recursive").and_then(Value::as_bool) == Some(true);
                        if dir.trim_end_matches('/').is_empty() && recursive {
                            out.push(finding(
                                &ptr,
                                "root-allow",
                                format!(
                                    "allows {what} of the filesystem: `dir: /` with `recursive: true`{}",
                                    if section == "process" {
                                        " (any program may run)"
                                    } else {
                                        ""
                                    }
                                ),
                                "allow the directories the workload needs (e.g. /usr/share/nginx/), not /",
                            ));
                        }
                    }
                    "matchPatterns" => {
                        let pat = rule.get("pattern").and_then(Value::as_str).unwrap_or("");
                        let fixed = glob_prefix(pat);
                        if fixed.len() < pat.len() && fixed.trim_end_matches('/').is_empty() {
                            out.push(finding(
                                &ptr,
                                "root-allow",
                                format!(
                                    "allows {what} of the filesystem: the pattern {pat:?} starts with a wildcard at /"
                                ),
                                "start the pattern with the directory meant (e.g. /var/log/*.log)",
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    for section in ["network", "capabilities"] {
        let Some(sec) = spec.get(section) else {
            continue;
        };
        for list in ["matchProtocols", "matchCapabilities"] {
            if arr(sec.get(list))
                .iter()
                .any(|r| is_allow(ka_action(r, sec, spec)))
            {
                allows = true;
            }
        }
    }
    if !allows {
        return;
    }
    let (ptr, sel, whom) = match kind {
        PolicyKind::KubeArmorHostPolicy => {
            ("/spec/nodeSelector", spec.get("nodeSelector"), "every node")
        }
        PolicyKind::KubeArmorClusterPolicy => (
            "/spec/selector",
            spec.get("selector"),
            "every pod of every namespace",
        ),
        _ => (
            "/spec/selector",
            spec.get("selector"),
            "every pod of the namespace",
        ),
    };
    if selects_all(sel) {
        out.push(finding(
            ptr,
            "match-all-selector",
            format!("the selector names no labels, so its Allow rules apply to {whom}"),
            "select the workload meant with matchLabels (e.g. app: nginx)",
        ));
    }
}

// -------------------------------------------------------- NetworkPolicy

/// A NetworkPolicy port that covers every port (1-65535, or 0-65535).
fn np_port_all(p: &Value) -> bool {
    let start = p.get("port").and_then(Value::as_u64);
    let end = p.get("endPort").and_then(Value::as_u64);
    matches!((start, end), (Some(s), Some(e)) if s <= 1 && e >= 65535)
}

fn kubernetes(spec: &Value, base: &str, out: &mut Vec<Diagnostic>) {
    let mut allows = false;
    for (dir, peers_key) in [("ingress", "from"), ("egress", "to")] {
        let side = if dir == "ingress" { "from" } else { "to" };
        for (i, rule) in arr(spec.get(dir)).iter().enumerate() {
            allows = true;
            let rptr = format!("{base}/{dir}/{i}");
            let peers = arr(rule.get(peers_key));
            let ports = arr(rule.get("ports"));
            if peers.is_empty() && ports.is_empty() {
                out.push(finding(
                    &rptr,
                    "allow-all-rule",
                    format!(
                        "this {dir} rule names no peer and no port: it allows all traffic {side} anywhere, on every port"
                    ),
                    if dir == "ingress" {
                        "list the peers allowed in (`from`) and the ports they use (`ports`)"
                    } else {
                        "list the destinations allowed (`to`) and their ports (`ports`)"
                    },
                ));
                continue;
            }
            if peers.is_empty() {
                out.push(any_peer(
                    &rptr,
                    dir,
                    side,
                    &format!(
                        "name the peers (`{peers_key}`: podSelector, namespaceSelector or ipBlock)"
                    ),
                ));
            }
            let mut world = false;
            for (j, peer) in peers.iter().enumerate() {
                let pptr = format!("{rptr}/{peers_key}/{j}");
                if let Some(block) = peer.get("ipBlock") {
                    let cidr = block.get("cidr").and_then(Value::as_str).unwrap_or("");
                    if let Some(family) = every_address(cidr) {
                        world = true;
                        out.push(any_address(
                            &format!("{pptr}/ipBlock/cidr"),
                            cidr,
                            family,
                            nonempty(block.get("except")),
                        ));
                    }
                    continue;
                }
                let pods = peer.get("podSelector");
                let nss = peer.get("namespaceSelector");
                let all_pods = pods.is_none() || selects_all(pods);
                let all_ns = nss.is_some() && selects_all(nss);
                let what = match (pods.is_some(), nss.is_some()) {
                    _ if all_ns && all_pods => Some("every pod of every namespace"),
                    (true, false) if all_pods => Some("every pod of the policy's namespace"),
                    _ => None,
                };
                if let Some(what) = what {
                    out.push(finding(
                        &pptr,
                        "match-all-selector",
                        format!("this peer's selectors are empty: it matches {what}"),
                        "select the peer pods with podSelector.matchLabels (and their namespace with namespaceSelector.matchLabels)",
                    ));
                }
            }
            for (k, p) in ports.iter().enumerate() {
                if np_port_all(p) {
                    out.push(finding(
                        &format!("{rptr}/ports/{k}"),
                        "any-port",
                        "the port range covers every port (1-65535)".into(),
                        "name the ports the service listens on",
                    ));
                }
            }
            if world && ports.is_empty() {
                out.push(finding(
                    &rptr,
                    "any-port",
                    format!(
                        "this {dir} rule allows traffic {side} every address (the internet included) on every port"
                    ),
                    "restrict the rule to the ports needed (`ports`), e.g. 443/TCP",
                ));
            }
        }
    }
    if allows && selects_all(spec.get("podSelector")) {
        out.push(finding(
            &format!("{base}/podSelector"),
            "match-all-selector",
            "`podSelector: {}` selects every pod of the namespace: the allow rules open these paths for all of them".into(),
            "select the pods the rules are for with podSelector.matchLabels",
        ));
    }
}

// ----------------------------------------------------------------- Cilium

const WORLD_ENTITIES: &[&str] = &["all", "world", "world-ipv4", "world-ipv6"];

/// The fixed part of a DNS pattern (what follows its last `*`), when it
/// is one label or less: `*`, `*.com`, `api.*`.
fn broad_fqdn(pattern: &str) -> bool {
    if !pattern.contains('*') {
        return false;
    }
    let fixed = pattern.rsplit('*').next().unwrap_or("");
    let fixed = fixed.trim_matches('.');
    !fixed.contains('.')
}

fn cilium(spec: &Value, base: &str, out: &mut Vec<Diagnostic>) {
    let mut allows = false;
    for (dir, ends, entities, cidr, cidr_set) in [
        (
            "ingress",
            "fromEndpoints",
            "fromEntities",
            "fromCIDR",
            "fromCIDRSet",
        ),
        ("egress", "toEndpoints", "toEntities", "toCIDR", "toCIDRSet"),
    ] {
        let side = if dir == "ingress" { "from" } else { "to" };
        for (i, rule) in arr(spec.get(dir)).iter().enumerate() {
            let rptr = format!("{base}/{dir}/{i}");
            if rule.as_object().is_some_and(|o| !o.is_empty()) {
                allows = true;
            }
            let mut world = false;
            for (j, sel) in arr(rule.get(ends)).iter().enumerate() {
                if selects_all(Some(sel)) {
                    out.push(finding(
                        &format!("{rptr}/{ends}/{j}"),
                        "match-all-selector",
                        format!(
                            "the empty endpoint selector matches every endpoint (of the namespace, for a namespaced policy): all of them are allowed {side}"
                        ),
                        "select the peers with matchLabels",
                    ));
                }
            }
            for (j, e) in arr(rule.get(entities)).iter().enumerate() {
                let name = e.as_str().unwrap_or("");
                if WORLD_ENTITIES.contains(&name) {
                    world = true;
                    out.push(finding(
                        &format!("{rptr}/{entities}/{j}"),
                        "world-entity",
                        if name == "all" {
                            format!(
                                "entity `all` allows every endpoint {side} the cluster and every address outside it"
                            )
                        } else {
                            format!("entity `{name}` allows every address outside the cluster (the internet)")
                        },
                        "name the peers: toFQDNs / toCIDRSet for external services, endpoint selectors for pods",
                    ));
                }
            }
            for (j, c) in arr(rule.get(cidr)).iter().enumerate() {
                let text = c.as_str().unwrap_or("");
                if let Some(family) = every_address(text) {
                    world = true;
                    out.push(any_address(
                        &format!("{rptr}/{cidr}/{j}"),
                        text,
                        family,
                        false,
                    ));
                }
            }
            for (j, b) in arr(rule.get(cidr_set)).iter().enumerate() {
                let text = b.get("cidr").and_then(Value::as_str).unwrap_or("");
                if let Some(family) = every_address(text) {
                    world = true;
                    out.push(any_address(
                        &format!("{rptr}/{cidr_set}/{j}/cidr"),
                        text,
                        family,
                        nonempty(b.get("except")),
                    ));
                }
            }
            for (j, f) in arr(rule.get("toFQDNs")).iter().enumerate() {
                let Some(p) = f.get("matchPattern").and_then(Value::as_str) else {
                    continue;
                };
                if broad_fqdn(p) {
                    world = true;
                    out.push(finding(
                        &format!("{rptr}/toFQDNs/{j}/matchPattern"),
                        "wildcard-fqdn",
                        format!(
                            "the pattern {p:?} matches {}",
                            if p.trim_matches(['*', '.']).is_empty() {
                                "every domain name".to_string()
                            } else {
                                "the names of a whole top-level domain or of any domain".to_string()
                            }
                        ),
                        "name the domains meant with matchName, or a pattern under a domain you control (*.example.com)",
                    ));
                }
            }
            let to_ports = arr(rule.get("toPorts"));
            let l3 = [
                ends,
                entities,
                cidr,
                cidr_set,
                "toFQDNs",
                "toServices",
                "toGroups",
                "fromNodes",
                "toNodes",
            ]
            .iter()
            .any(|k| nonempty(rule.get(*k)));
            if !l3 && (!to_ports.is_empty() || nonempty(rule.get("icmps"))) {
                out.push(any_peer(
                    &rptr,
                    dir,
                    side,
                    "name the peers: endpoint selectors, entities, CIDRs or FQDNs",
                ));
            }
            for (k, tp) in to_ports.iter().enumerate() {
                for (m, p) in arr(tp.get("ports")).iter().enumerate() {
                    let port = match p.get("port") {
                        Some(Value::String(s)) => s.trim().to_string(),
                        Some(Value::Number(n)) => n.to_string(),
                        _ => continue,
                    };
                    if port == "0" {
                        out.push(finding(
                            &format!("{rptr}/toPorts/{k}/ports/{m}/port"),
                            "any-port",
                            "port \"0\" means every port".into(),
                            "name the ports the service listens on",
                        ));
                    }
                }
            }
            if world && to_ports.is_empty() {
                out.push(finding(
                    &rptr,
                    "any-port",
                    format!("this {dir} rule allows traffic {side} the world on every port"),
                    "restrict the rule to the ports needed (`toPorts`), e.g. 443/TCP",
                ));
            }
        }
    }
    if !allows {
        return;
    }
    for key in ["endpointSelector", "nodeSelector"] {
        if let Some(sel) = spec.get(key)
            && selects_all(Some(sel))
        {
            out.push(finding(
                &format!("{base}/{key}"),
                "match-all-selector",
                format!(
                    "`{key}: {{}}` selects every {}: the allow rules apply to all of them",
                    if key == "nodeSelector" {
                        "node"
                    } else {
                        "endpoint (of the namespace, for a namespaced policy)"
                    }
                ),
                "select the endpoints the rules are for with matchLabels",
            ));
        }
    }
}

// ----------------------------------------------------------------- Calico

/// A Calico selector that matches everything: `all()` (alone), or empty.
fn calico_all(sel: Option<&Value>) -> bool {
    match sel.and_then(Value::as_str) {
        None => sel.is_none(),
        Some(s) => {
            let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            s.is_empty() || s == "all()"
        }
    }
}

/// Fields of a Calico entity rule that restrict it.
const CALICO_RESTRICTING: &[&str] = &[
    "selector",
    "namespaceSelector",
    "nets",
    "notNets",
    "notSelector",
    "ports",
    "notPorts",
    "serviceAccounts",
    "services",
];

fn calico_port_all(p: &Value) -> bool {
    let Some(s) = p.as_str() else {
        return false;
    };
    match s.split_once(':') {
        Some((a, b)) => {
            let (Ok(a), Ok(b)) = (a.trim().parse::<u32>(), b.trim().parse::<u32>()) else {
                return false;
            };
            a <= 1 && b >= 65535
        }
        None => false,
    }
}

fn calico(kind: PolicyKind, spec: &Value, out: &mut Vec<Diagnostic>) {
    let mut allows = false;
    for dir in ["ingress", "egress"] {
        let (peer_side, peer_word) = if dir == "ingress" {
            ("source", "from")
        } else {
            ("destination", "to")
        };
        for (i, rule) in arr(spec.get(dir)).iter().enumerate() {
            if rule.get("action").and_then(Value::as_str) != Some("Allow") {
                continue;
            }
            allows = true;
            let rptr = format!("{base}/{dir}/{i}", base = "/spec");
            let restricted = |side: &str| {
                rule.get(side)
                    .is_some_and(|e| CALICO_RESTRICTING.iter().any(|k| nonempty(e.get(k))))
            };
            if !restricted("source")
                && !restricted("destination")
                && !nonempty(rule.get("protocol"))
                && !nonempty(rule.get("notProtocol"))
                && !nonempty(rule.get("icmp"))
                && !nonempty(rule.get("http"))
            {
                out.push(finding(
                    &rptr,
                    "allow-all-rule",
                    format!(
                        "this Allow rule names no source, destination or protocol: it allows all {dir} traffic"
                    ),
                    "restrict the rule's peers (selector, nets) and ports",
                ));
                continue;
            }
            let peer_named = rule.get(peer_side).is_some_and(|e| {
                CALICO_RESTRICTING
                    .iter()
                    .filter(|k| !k.ends_with("orts"))
                    .any(|k| nonempty(e.get(k)))
            });
            if !peer_named {
                out.push(any_peer(
                    &rptr,
                    dir,
                    peer_word,
                    &format!("name the peers ({peer_side}.selector, namespaceSelector or nets)"),
                ));
            }
            let mut world = false;
            for side in ["source", "destination"] {
                let Some(ent) = rule.get(side) else { continue };
                let sptr = format!("{rptr}/{side}");
                for (j, n) in arr(ent.get("nets")).iter().enumerate() {
                    let text = n.as_str().unwrap_or("");
                    if let Some(family) = every_address(text) {
                        if side == peer_side {
                            world = true;
                        }
                        out.push(any_address(
                            &format!("{sptr}/nets/{j}"),
                            text,
                            family,
                            nonempty(ent.get("notNets")),
                        ));
                    }
                }
                for key in ["selector", "namespaceSelector"] {
                    if let Some(s) = ent.get(key)
                        && calico_all(Some(s))
                    {
                        out.push(finding(
                            &format!("{sptr}/{key}"),
                            "match-all-selector",
                            format!(
                                "`{key}: {}` matches every {}",
                                s.as_str().unwrap_or(""),
                                if key == "selector" {
                                    "endpoint"
                                } else {
                                    "namespace"
                                }
                            ),
                            "select the peers with a label expression (e.g. app == 'web')",
                        ));
                    }
                }
                for (j, p) in arr(ent.get("ports")).iter().enumerate() {
                    if calico_port_all(p) {
                        out.push(finding(
                            &format!("{sptr}/ports/{j}"),
                            "any-port",
                            "the port range covers every port (1-65535)".into(),
                            "name the ports the service listens on",
                        ));
                    }
                }
            }
            let dst_ports = rule
                .get("destination")
                .is_some_and(|d| nonempty(d.get("ports")));
            if world && !dst_ports {
                out.push(finding(
                    &rptr,
                    "any-port",
                    format!(
                        "this Allow rule allows traffic {peer_word} every address (the internet included) on every port"
                    ),
                    "restrict the rule to the ports needed (destination.ports), e.g. [443]",
                ));
            }
        }
    }
    if allows && calico_all(spec.get("selector")) {
        let whom = match kind {
            PolicyKind::CalicoGlobalNetworkPolicy | PolicyKind::CalicoStagedGlobalNetworkPolicy => {
                "every endpoint of the cluster (host endpoints included)"
            }
            _ => "every endpoint of the namespace",
        };
        out.push(finding(
            "/spec/selector",
            "match-all-selector",
            format!(
                "the policy's selector ({}) applies its Allow rules to {whom}",
                spec.get("selector")
                    .and_then(Value::as_str)
                    .map(|s| format!("`{s}`"))
                    .unwrap_or_else(|| "none: all()".into())
            ),
            "select the workloads meant with a label expression (e.g. app == 'web')",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_breadth() {
        for p in ["*", "*.com", "api.*", "**.", "*.*"] {
            assert!(broad_fqdn(p), "{p}");
        }
        for p in ["*.example.com", "api.example.com", "*.s3.amazonaws.com"] {
            assert!(!broad_fqdn(p), "{p}");
        }
    }

    #[test]
    fn calico_selectors() {
        assert!(calico_all(Some(&Value::from("all()"))));
        assert!(calico_all(Some(&Value::from(" all( ) "))));
        assert!(calico_all(None));
        assert!(!calico_all(Some(&Value::from("app == 'web'"))));
        assert!(!calico_all(Some(&Value::from("all() && app == 'x'"))));
    }
}
