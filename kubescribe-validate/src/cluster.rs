//! Layers 2 and 3 against a cluster: a live one, or the event store
//! presented as one ([`ClusterSnapshot::from_store`](kubescribe_events::cluster::ClusterSnapshot::from_store), see [`Source`]). The
//! resources a policy names exist, the ports it allows are served, its CIDRs
//! are sane.
//!
//! * **Namespace** (layer 2): a namespaced policy's namespace must exist;
//!   the nearest existing one is suggested. (Against the store: one warning
//!   that nothing was observed there, and nothing else checked.)
//! * **Selector** (layer 2): the policy's pod selector (`matchLabels` of
//!   KubeArmor, Tetragon, Cilium and NetworkPolicy; Calico's selector
//!   expression) must match some pod in its namespace (cluster-wide kinds:
//!   in any); for the first label no pod carries, the nearest value (or key)
//!   seen on the pods is suggested (`productpagee` → `productpage`).
//! * **Peers** (layer 2): NetworkPolicy `from`/`to` pod selectors, Cilium
//!   `fromEndpoints`/`toEndpoints` and Calico `source`/`destination`
//!   selectors must match some pod (in the policy's namespace, or in any
//!   namespace when a namespace selector is given; for Cilium's
//!   `io.kubernetes.pod.namespace` label, in that one).
//! * **Ports and protocols** (layer 3): each port of an allow rule
//!   (NetworkPolicy `ports` with `endPort`, Cilium `toPorts`, Calico
//!   `destination.ports` with `a:b` ranges) must be served over the rule's
//!   protocol: ingress ports by a selected pod, egress ports by a pod the
//!   rule's peer selectors match (rules with addresses or entities among
//!   their peers are not compared). Served means a declared container port
//!   (number or name), the target port of a Service selecting the pod, or,
//!   against the store, a port the pod was observed accepting on (or other
//!   pods connecting to). The fix names the port really served, or the
//!   protocol it is served over. When the pods declare no ports at all, one
//!   warning says the ports could not be checked. Deny/Log rules are not
//!   compared: blocking what does not happen yet is legitimate.
//! * **CIDRs** (layer 3, [`check_cidrs`]): NetworkPolicy `ipBlock`, Cilium
//!   `fromCIDR`/`toCIDR`/`*CIDRSet` and Calico `nets`/`notNets` must parse;
//!   an allow of every address (`0.0.0.0/0`, `::/0` without `except`) is a
//!   warning, and so is a block with host bits set (`10.1.2.3/8`: a single
//!   host seems meant; the fix is `/32`).
//!
//! Only `matchLabels` is compared for label selectors; `matchExpressions` are
//! not evaluated (a selector with expressions is checked on its labels alone).
//!
//! Size: each layer-2/3 check walks every policy kind; the per-kind walkers share the peer and port helpers (tests in `cluster/tests.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::Value;

use kubescribe_core::Policy;
use kubescribe_core::PolicyKind;
use kubescribe_core::cidr::Cidr;
use kubescribe_core::document::escape_pointer_token;
use kubescribe_core::selector::LabelView;
use kubescribe_core::selector::Selector;
use kubescribe_events::cluster::{ClusterContext, ClusterError, PodInfo, ServiceInfo, selects};

use crate::diagnostic::{Diagnostic, Fix, Layer, Severity};
use crate::suggest;

const CILIUM_NS_LABEL: &str = "io.kubernetes.pod.namespace";

fn diag(layer: Layer, severity: Severity, pointer: &str, rule: &str, msg: String) -> Diagnostic {
    let mut d = Diagnostic::schema_error(pointer, rule, msg).origin("cluster");
    d.layer = layer;
    d.severity = severity;
    d
}

/// A Cilium label key without its source prefix (`k8s:app` → `app`).
fn plain_key(k: &str) -> &str {
    k.strip_prefix("k8s:")
        .or_else(|| k.strip_prefix("any:"))
        .unwrap_or(k)
}

/// A `matchLabels` object as plain labels; Cilium's namespace label is
/// returned apart.
fn labels_of(v: Option<&Value>) -> (BTreeMap<String, String>, Option<String>) {
    let mut ns = None;
    let mut out = BTreeMap::new();
    for (k, v) in v.and_then(Value::as_object).into_iter().flatten() {
        let Some(v) = v.as_str() else { continue };
        let k = plain_key(k);
        if k == CILIUM_NS_LABEL {
            ns = Some(v.to_string());
        } else {
            out.insert(k.to_string(), v.to_string());
        }
    }
    (out, ns)
}

/// Pods in one namespace (or all), fetched once per namespace.
struct Pods<'a> {
    cluster: &'a mut dyn ClusterContext,
    cache: BTreeMap<Option<String>, Vec<PodInfo>>,
    services: BTreeMap<Option<String>, Vec<ServiceInfo>>,
}

impl Pods<'_> {
    fn pods(&mut self, ns: Option<&str>) -> Result<&[PodInfo], ClusterError> {
        let key = ns.map(str::to_string);
        if !self.cache.contains_key(&key) {
            let pods = self.cluster.pods(ns)?;
            self.cache.insert(key.clone(), pods);
        }
        Ok(self.cache.get(&key).map(Vec::as_slice).unwrap_or(&[]))
    }

    fn services(&mut self, ns: Option<&str>) -> Result<&[ServiceInfo], ClusterError> {
        let key = ns.map(str::to_string);
        if !self.services.contains_key(&key) {
            let s = self.cluster.services(ns)?;
            self.services.insert(key.clone(), s);
        }
        Ok(self.services.get(&key).map(Vec::as_slice).unwrap_or(&[]))
    }
}

/// A diagnostic for a selector at `ptr` that matches none of `pods`, with the
/// nearest label value (or key) as the fix.
fn no_match(
    ptr: &str,
    what: &str,
    selector: &BTreeMap<String, String>,
    pods: &[PodInfo],
    ns: Option<&str>,
) -> Diagnostic {
    let where_ = ns.map_or("any namespace".to_string(), |n| format!("namespace {n}"));
    let mut d = diag(
        Layer::Resource,
        Severity::Error,
        ptr,
        "selector",
        format!(
            "{what} matches no pod in {where_} ({} pods there)",
            pods.len()
        ),
    );
    for (k, v) in selector {
        if pods.iter().any(|p| p.labels.get(k) == Some(v)) {
            continue;
        }
        let values: BTreeSet<&str> = pods
            .iter()
            .filter_map(|p| p.labels.get(k).map(String::as_str))
            .collect();
        let keys: BTreeSet<&str> = pods
            .iter()
            .flat_map(|p| p.labels.keys().map(String::as_str))
            .collect();
        let lp = format!("{ptr}/{}", escape_pointer_token(k));
        d.pointer = lp.clone();
        d.actual = Some(format!("{k}={v}"));
        d.expected = Some(if values.is_empty() {
            format!("a label key the pods carry: {}", join(&keys))
        } else {
            format!("one of the pods' values of `{k}`: {}", join(&values))
        });
        d.fix = if let Some(near) = suggest::nearest(v, values.iter().copied()) {
            Some(Fix {
                message: format!("use {k}={near}"),
                pointer: lp,
                replacement: Some(Value::from(near)),
            })
        } else if !values.is_empty() {
            // The key is right, no value is near: say what the pods carry.
            let carried: Vec<String> = values.iter().map(|x| format!("{k}={x}")).collect();
            Some(Fix {
                message: format!("no pod has {k}={v}; pods carry {}", carried.join(", ")),
                pointer: lp,
                replacement: None,
            })
        } else {
            suggest::nearest(k, keys.iter().copied().filter(|x| x != k)).map(|near| Fix {
                message: format!("no pod has a `{k}` label; did you mean `{near}`?"),
                pointer: lp,
                replacement: None,
            })
        };
        break;
    }
    d
}

fn join(s: &BTreeSet<&str>) -> String {
    if s.is_empty() {
        return "(none)".into();
    }
    s.iter().copied().collect::<Vec<_>>().join(", ")
}

/// What the checks run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A live cluster: a namespace it lacks is an error.
    Cluster,
    /// The event store presented as a cluster
    /// ([`ClusterSnapshot::from_store`](kubescribe_events::cluster::ClusterSnapshot::from_store)):
    /// a namespace it lacks only means nothing was observed there (one
    /// warning; nothing else but the CIDRs is checked).
    Store,
}

impl Source {
    fn origin(self) -> &'static str {
        match self {
            Source::Cluster => "cluster",
            Source::Store => "store",
        }
    }
}

/// Where the policy's own pod selector is.
#[derive(Clone, Copy)]
enum OwnSelector {
    /// A `matchLabels` object.
    Labels(&'static str),
    /// A Calico selector expression.
    Calico(&'static str),
}

fn own_selector(kind: PolicyKind) -> Option<OwnSelector> {
    use OwnSelector::*;
    use PolicyKind::*;
    Some(match kind {
        KubeArmorPolicy | KubeArmorNetworkPolicy => Labels("/spec/selector/matchLabels"),
        TracingPolicy | TracingPolicyNamespaced => Labels("/spec/podSelector/matchLabels"),
        CiliumNetworkPolicy | CiliumClusterwideNetworkPolicy => {
            Labels("/spec/endpointSelector/matchLabels")
        }
        NetworkPolicy => Labels("/spec/podSelector/matchLabels"),
        CalicoNetworkPolicy | CalicoGlobalNetworkPolicy => Calico("/spec/selector"),
        _ => return None,
    })
}

/// A port as a policy names it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PortSpec {
    Num(i32),
    Range(i32, i32),
    Name(String),
}

impl PortSpec {
    fn parse(v: &Value, end: Option<&Value>) -> Option<PortSpec> {
        let s = match v {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        if let Some((a, b)) = s.split_once(':')
            && let (Ok(a), Ok(b)) = (a.trim().parse(), b.trim().parse())
        {
            return Some(PortSpec::Range(a, b));
        }
        match s.parse::<i32>() {
            Ok(n) => match end
                .and_then(Value::as_i64)
                .and_then(|e| i32::try_from(e).ok())
            {
                Some(e) => Some(PortSpec::Range(n, e)),
                None => Some(PortSpec::Num(n)),
            },
            Err(_) => Some(PortSpec::Name(s)),
        }
    }

    fn text(&self) -> String {
        match self {
            PortSpec::Num(n) => n.to_string(),
            PortSpec::Range(a, b) => format!("{a}-{b}"),
            PortSpec::Name(s) => s.clone(),
        }
    }
}

/// Whether `port` is served by one of `pods` (a declared or observed
/// container port) or by the target port of a Service selecting one of them,
/// over `protocol` (any when empty).
fn served(port: &PortSpec, protocol: &str, pods: &[&PodInfo], services: &[ServiceInfo]) -> bool {
    let proto_ok = |p: &str| protocol.is_empty() || protocol.eq_ignore_ascii_case(p);
    let num_ok = |n: i32| match port {
        PortSpec::Num(p) => n == *p,
        PortSpec::Range(a, b) => (*a..=*b).contains(&n),
        PortSpec::Name(_) => false,
    };
    let by_pod = pods.iter().any(|p| {
        p.ports.iter().any(|pp| {
            proto_ok(&pp.protocol)
                && match port {
                    PortSpec::Name(name) => pp.name.as_deref() == Some(name.as_str()),
                    _ => num_ok(pp.port),
                }
        })
    });
    by_pod
        || services.iter().any(|s| {
            !s.selector.is_empty()
                && pods.iter().any(|p| selects(&s.selector, &p.labels))
                && s.ports.iter().any(|sp| {
                    proto_ok(&sp.protocol)
                        && match (port, sp.target_port.as_deref()) {
                            (PortSpec::Name(n), Some(t)) => n == t,
                            (_, Some(t)) => t.parse().is_ok_and(num_ok),
                            _ => false,
                        }
                })
        })
}

/// A Calico protocol (name or number) as a name; empty when absent.
fn calico_protocol(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.to_ascii_uppercase(),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(6) => "TCP".into(),
            Some(17) => "UDP".into(),
            Some(132) => "SCTP".into(),
            _ => n.to_string(),
        },
        _ => String::new(),
    }
}

/// Pods of `pods` a Calico selector (and namespace selector) may select.
fn calico_selected<'p>(
    sel: &Selector,
    ns_sel: Option<&Selector>,
    pods: &'p [PodInfo],
) -> Vec<&'p PodInfo> {
    pods.iter()
        .filter(|p| {
            !sel.eval(&LabelView::pod(&p.labels, Some(&p.namespace)))
                .is_no()
                && ns_sel.is_none_or(|n| !n.eval(&LabelView::namespace(Some(&p.namespace))).is_no())
        })
        .collect()
}

/// A diagnostic for a Calico selector at `ptr` that selects none of `pods`;
/// the fix replaces the first compared value no pod carries with the nearest
/// one they do.
fn calico_no_match(
    ptr: &str,
    what: &str,
    text: &str,
    sel: &Selector,
    pods: &[PodInfo],
    ns: Option<&str>,
) -> Diagnostic {
    let where_ = ns.map_or("any namespace".to_string(), |n| format!("namespace {n}"));
    let mut d = diag(
        Layer::Resource,
        Severity::Error,
        ptr,
        "selector",
        format!(
            "{what} `{text}` selects no pod in {where_} ({} pods there)",
            pods.len()
        ),
    )
    .actual(text.to_string());
    for (k, v) in sel.equalities() {
        if pods
            .iter()
            .any(|p| p.labels.get(k).map(String::as_str) == Some(v))
        {
            continue;
        }
        let values: BTreeSet<&str> = pods
            .iter()
            .filter_map(|p| p.labels.get(k).map(String::as_str))
            .collect();
        d.expected = Some(if values.is_empty() {
            let keys: BTreeSet<&str> = pods
                .iter()
                .flat_map(|p| p.labels.keys().map(String::as_str))
                .collect();
            format!("a label key the pods carry: {}", join(&keys))
        } else {
            format!("one of the pods' values of `{k}`: {}", join(&values))
        });
        if let Some(near) = suggest::nearest(v, values.iter().copied()) {
            let fixed = text
                .replacen(&format!("'{v}'"), &format!("'{near}'"), 1)
                .replacen(&format!("\"{v}\""), &format!("\"{near}\""), 1);
            d.fix = Some(Fix {
                message: format!("use {k} == '{near}'"),
                pointer: ptr.to_string(),
                replacement: Some(Value::from(fixed)),
            });
        }
        break;
    }
    d
}

/// One port to check: where it is, what, over which protocol, served by whom.
struct PortCheck {
    ptr: String,
    port: PortSpec,
    protocol: String,
    /// Where a protocol fix goes.
    protocol_ptr: String,
    /// `None`: the selected pods; `Some`: pods of the rule's peers.
    peers: Option<Vec<PodInfo>>,
}

/// Layer 3 on the CIDRs of a policy, which needs no cluster: each must parse;
/// an allow of every address (`0.0.0.0/0`, `::/0`, no `except`) and a short
/// block with host bits set (`10.1.2.3/8`: a single host seems meant) are
/// warnings.
pub fn check_cidrs(policy: &Policy) -> Vec<Diagnostic> {
    let Ok(value) = policy.to_value() else {
        return Vec::new();
    };
    // (pointer, text, in an allow, with an except list)
    type Cidrs = Vec<(String, String, bool, bool)>;
    let mut cidrs: Cidrs = Vec::new();
    fn push(cidrs: &mut Cidrs, ptr: String, v: Option<&Value>, allow: bool, except: bool) {
        if let Some(s) = v.and_then(Value::as_str) {
            cidrs.push((ptr, s.to_string(), allow, except));
        }
    }
    fn arr(v: Option<&Value>) -> Vec<Value> {
        v.and_then(Value::as_array).cloned().unwrap_or_default()
    }
    fn has(v: Option<&Value>) -> bool {
        v.and_then(Value::as_array).is_some_and(|a| !a.is_empty())
    }
    /// A `{cidr, except}` block (NetworkPolicy ipBlock, Cilium CIDRSet) at `base`.
    fn push_block(cidrs: &mut Cidrs, base: &str, b: &Value, allow: bool) {
        push(
            cidrs,
            format!("{base}/cidr"),
            b.get("cidr"),
            allow,
            has(b.get("except")),
        );
        for (k, e) in arr(b.get("except")).iter().enumerate() {
            push(cidrs, format!("{base}/except/{k}"), Some(e), false, false);
        }
    }
    match policy.kind() {
        PolicyKind::NetworkPolicy => {
            for (dir, list) in [("ingress", "from"), ("egress", "to")] {
                for (i, rule) in arr(value.pointer(&format!("/spec/{dir}")))
                    .iter()
                    .enumerate()
                {
                    for (j, peer) in arr(rule.get(list)).iter().enumerate() {
                        let Some(b) = peer.get("ipBlock") else {
                            continue;
                        };
                        push_block(
                            &mut cidrs,
                            &format!("/spec/{dir}/{i}/{list}/{j}/ipBlock"),
                            b,
                            true,
                        );
                    }
                }
            }
        }
        PolicyKind::CiliumNetworkPolicy | PolicyKind::CiliumClusterwideNetworkPolicy => {
            for (dir, allow, plain, set) in [
                ("ingress", true, "fromCIDR", "fromCIDRSet"),
                ("egress", true, "toCIDR", "toCIDRSet"),
                ("ingressDeny", false, "fromCIDR", "fromCIDRSet"),
                ("egressDeny", false, "toCIDR", "toCIDRSet"),
            ] {
                for (i, rule) in arr(value.pointer(&format!("/spec/{dir}")))
                    .iter()
                    .enumerate()
                {
                    for (j, c) in arr(rule.get(plain)).iter().enumerate() {
                        push(
                            &mut cidrs,
                            format!("/spec/{dir}/{i}/{plain}/{j}"),
                            Some(c),
                            allow,
                            false,
                        );
                    }
                    for (j, c) in arr(rule.get(set)).iter().enumerate() {
                        push_block(&mut cidrs, &format!("/spec/{dir}/{i}/{set}/{j}"), c, allow);
                    }
                }
            }
        }
        PolicyKind::CalicoNetworkPolicy | PolicyKind::CalicoGlobalNetworkPolicy => {
            for dir in ["ingress", "egress"] {
                for (i, rule) in arr(value.pointer(&format!("/spec/{dir}")))
                    .iter()
                    .enumerate()
                {
                    let allow = rule.get("action").and_then(Value::as_str) == Some("Allow");
                    for side in ["source", "destination"] {
                        let Some(ent) = rule.get(side) else { continue };
                        let not = has(ent.get("notNets"));
                        for (j, c) in arr(ent.get("nets")).iter().enumerate() {
                            push(
                                &mut cidrs,
                                format!("/spec/{dir}/{i}/{side}/nets/{j}"),
                                Some(c),
                                allow,
                                not,
                            );
                        }
                        for (j, c) in arr(ent.get("notNets")).iter().enumerate() {
                            push(
                                &mut cidrs,
                                format!("/spec/{dir}/{i}/{side}/notNets/{j}"),
                                Some(c),
                                false,
                                false,
                            );
                        }
                    }
                }
            }
        }
        _ => {}
    }
    let mut out = Vec::new();
    for (ptr, text, allow, except) in cidrs {
        let Some(c) = Cidr::parse(&text) else {
            out.push(
                diag(
                    Layer::Property,
                    Severity::Error,
                    &ptr,
                    "cidr",
                    format!("{text:?} is not a CIDR"),
                )
                .actual(text.clone())
                .expected("an IPv4 or IPv6 block: a.b.c.d/n (n <= 32) or x:y::/n (n <= 128)"),
            );
            continue;
        };
        let max = if c.addr.is_ipv4() { 32 } else { 128 };
        if c.prefix == 0 && allow && !except {
            out.push(
                diag(
                    Layer::Property,
                    Severity::Warning,
                    &ptr,
                    "cidr",
                    format!(
                        "{text} allows every {} address, the whole internet included; name the networks meant (or add `except`)",
                        if max == 32 { "IPv4" } else { "IPv6" }
                    ),
                )
                .actual(text.clone()),
            );
        } else if c.has_host_bits() {
            let network = network_of(&c);
            let short = c.prefix <= if max == 32 { 8 } else { 32 };
            let mut d = diag(
                Layer::Property,
                Severity::Warning,
                &ptr,
                "cidr",
                if short {
                    format!(
                        "{text} has host bits set and covers all of {network}/{}: a single host seems meant",
                        c.prefix
                    )
                } else {
                    format!(
                        "{text} has host bits set; it covers {network}/{}",
                        c.prefix
                    )
                },
            )
            .actual(text.clone());
            d.fix = Some(if short {
                Fix {
                    message: format!("the host alone is {}/{max}", c.addr),
                    pointer: ptr.clone(),
                    replacement: Some(Value::from(format!("{}/{max}", c.addr))),
                }
            } else {
                Fix {
                    message: format!("write the block as {network}/{}", c.prefix),
                    pointer: ptr.clone(),
                    replacement: Some(Value::from(format!("{network}/{}", c.prefix))),
                }
            });
            out.push(d);
        }
    }
    out
}

/// The network address of a block.
fn network_of(c: &Cidr) -> IpAddr {
    match c.addr {
        IpAddr::V4(a) => {
            let mask = if c.prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(c.prefix))
            };
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
        }
        IpAddr::V6(a) => {
            let mask = if c.prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(c.prefix))
            };
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
        }
    }
}

/// Layer-2/3 diagnostics for one policy against a live cluster.
pub fn check(
    policy: &Policy,
    cluster: &mut dyn ClusterContext,
) -> Result<Vec<Diagnostic>, ClusterError> {
    check_against(policy, cluster, Source::Cluster)
}

/// Layer-2/3 diagnostics for one policy against `cluster`, a live one or
/// the event store presented as one (see [`Source`]).
pub fn check_against(
    policy: &Policy,
    cluster: &mut dyn ClusterContext,
    source: Source,
) -> Result<Vec<Diagnostic>, ClusterError> {
    let mut out = check_cidrs(policy);
    check_resources(policy, cluster, source, &mut out)?;
    for d in &mut out {
        d.origin = source.origin().to_string();
    }
    Ok(out)
}

fn check_resources(
    policy: &Policy,
    cluster: &mut dyn ClusterContext,
    source: Source,
    out: &mut Vec<Diagnostic>,
) -> Result<(), ClusterError> {
    let Ok(value) = policy.to_value() else {
        return Ok(());
    };
    let kind = policy.kind();
    let namespace = policy.namespace().map(str::to_string);
    if kind.namespaced() {
        let ns = namespace.as_deref().unwrap_or("default");
        let namespaces = cluster.namespaces()?;
        if !namespaces.iter().any(|n| n == ns) {
            if source == Source::Store {
                out.push(diag(
                    Layer::Resource,
                    Severity::Warning,
                    "/metadata/namespace",
                    "store",
                    format!(
                        "the event store has no workloads or labelled events in namespace {ns}; resources were not checked"
                    ),
                ));
                return Ok(());
            }
            let mut d = diag(
                Layer::Resource,
                Severity::Error,
                "/metadata/namespace",
                "namespace",
                format!("namespace {ns} does not exist in the cluster"),
            )
            .expected(format!(
                "one of {}",
                namespaces
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            d.fix = suggest::nearest(ns, namespaces.iter().map(String::as_str)).map(|n| Fix {
                message: format!("use namespace {n}"),
                pointer: "/metadata/namespace".into(),
                replacement: Some(Value::from(n)),
            });
            out.push(d);
            return Ok(());
        }
    }
    let Some(own) = own_selector(kind) else {
        return Ok(());
    };
    // Cluster-wide kinds select in every namespace (Cilium's namespace label
    // narrows it); namespaced ones in their own.
    let ns: Option<&str> = if kind.namespaced() {
        Some(namespace.as_deref().unwrap_or("default"))
    } else {
        None
    };
    let mut pods = Pods {
        cluster,
        cache: BTreeMap::new(),
        services: BTreeMap::new(),
    };
    let in_scope: Vec<PodInfo>;
    let selected: Vec<&PodInfo> = match own {
        OwnSelector::Labels(sel_ptr) => {
            let Some(sel_value) = value.pointer(sel_ptr) else {
                if !kind.namespaced() {
                    return Ok(()); // a cluster-wide policy for every pod (and host)
                }
                in_scope = pods.pods(ns)?.to_vec();
                return check_ports_and_peers(
                    source,
                    &value,
                    kind,
                    ns,
                    &in_scope.iter().collect::<Vec<_>>(),
                    &mut pods,
                    out,
                );
            };
            let (selector, sel_ns) = labels_of(Some(sel_value));
            let scope = sel_ns.as_deref().or(ns);
            in_scope = pods.pods(scope)?.to_vec();
            let selected: Vec<&PodInfo> = in_scope
                .iter()
                .filter(|p| selects(&selector, &p.labels))
                .collect();
            if selected.is_empty() {
                out.push(no_match(
                    sel_ptr,
                    "the policy's selector",
                    &selector,
                    &in_scope,
                    scope,
                ));
                return Ok(());
            }
            selected
        }
        OwnSelector::Calico(sel_ptr) => {
            let text = value
                .pointer(sel_ptr)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let sel = match Selector::parse(&text) {
                Ok(s) => s,
                Err(e) => {
                    out.push(diag(
                        Layer::Resource,
                        Severity::Error,
                        sel_ptr,
                        "selector",
                        e.to_string(),
                    ));
                    return Ok(());
                }
            };
            in_scope = pods.pods(ns)?.to_vec();
            let selected = calico_selected(&sel, None, &in_scope);
            if selected.is_empty() {
                out.push(calico_no_match(
                    sel_ptr,
                    "the policy's selector",
                    &text,
                    &sel,
                    &in_scope,
                    ns,
                ));
                return Ok(());
            }
            selected
        }
    };
    check_ports_and_peers(source, &value, kind, ns, &selected, &mut pods, out)
}

/// Against the store, a peer in a namespace where nothing was observed is
/// unknown rather than missing: a warning that it was not checked.
fn unobserved_peer(
    source: Source,
    ptr: &str,
    candidates: &[PodInfo],
    ns: Option<&str>,
) -> Option<Diagnostic> {
    (source == Source::Store && candidates.is_empty()).then(|| {
        diag(
            Layer::Resource,
            Severity::Warning,
            ptr,
            "selector",
            format!(
                "the event store has seen no pods in {}; this peer was not checked",
                ns.map_or("any namespace".to_string(), |n| format!("namespace {n}"))
            ),
        )
    })
}

/// Peers exist (layer 2) and the ports of allow rules are served (layer 3):
/// ingress ports by the selected pods, egress ports by the rule's peers.
fn check_ports_and_peers(
    source: Source,
    value: &Value,
    kind: PolicyKind,
    ns: Option<&str>,
    selected: &[&PodInfo],
    pods: &mut Pods<'_>,
    out: &mut Vec<Diagnostic>,
) -> Result<(), ClusterError> {
    let arr = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    let mut checks: Vec<PortCheck> = Vec::new();
    match kind {
        PolicyKind::NetworkPolicy
        | PolicyKind::CiliumNetworkPolicy
        | PolicyKind::CiliumClusterwideNetworkPolicy => {
            let cilium = kind != PolicyKind::NetworkPolicy;
            let lists: [(&str, &str, bool); 2] = if cilium {
                [
                    ("ingress", "fromEndpoints", true),
                    ("egress", "toEndpoints", false),
                ]
            } else {
                [("ingress", "from", true), ("egress", "to", false)]
            };
            for (dir, list, ingress) in lists {
                for (i, rule) in arr(value.pointer(&format!("/spec/{dir}")))
                    .iter()
                    .enumerate()
                {
                    // Pods of this rule's peers; `None` once a peer is not a
                    // pod selector (ipBlock, CIDR, entity...).
                    let mut peer_pods: Option<Vec<PodInfo>> = Some(Vec::new());
                    let peers = arr(rule.get(list));
                    for (j, peer) in peers.iter().enumerate() {
                        let (sel_value, ptr) = if cilium {
                            (
                                peer.get("matchLabels"),
                                format!("/spec/{dir}/{i}/{list}/{j}/matchLabels"),
                            )
                        } else {
                            match peer.get("podSelector") {
                                Some(s) => (
                                    s.get("matchLabels"),
                                    format!("/spec/{dir}/{i}/{list}/{j}/podSelector/matchLabels"),
                                ),
                                None => {
                                    // A namespace selector alone selects every
                                    // pod of some namespaces; an ipBlock, addresses.
                                    peer_pods = None;
                                    continue;
                                }
                            }
                        };
                        if cilium && sel_value.is_none() {
                            peer_pods = None;
                            continue;
                        }
                        let (peer_sel, cilium_ns) = labels_of(sel_value);
                        let peer_ns = if let Some(n) = &cilium_ns {
                            Some(n.as_str())
                        } else if peer.get("namespaceSelector").is_some() {
                            None
                        } else {
                            ns
                        };
                        let candidates = pods.pods(peer_ns)?.to_vec();
                        let matched: Vec<PodInfo> = candidates
                            .iter()
                            .filter(|p| selects(&peer_sel, &p.labels))
                            .cloned()
                            .collect();
                        if let Some(d) = unobserved_peer(source, &ptr, &candidates, peer_ns) {
                            out.push(d);
                        } else if matched.is_empty() {
                            out.push(no_match(
                                &ptr,
                                "this peer selector",
                                &peer_sel,
                                &candidates,
                                peer_ns,
                            ));
                        }
                        if let Some(pp) = &mut peer_pods {
                            pp.extend(matched);
                        }
                    }
                    if cilium
                        && [
                            "toCIDR",
                            "toCIDRSet",
                            "toEntities",
                            "toFQDNs",
                            "toServices",
                            "toGroups",
                            "toNodes",
                        ]
                        .iter()
                        .any(|k| rule.get(*k).is_some())
                    {
                        peer_pods = None;
                    }
                    let targets = if ingress {
                        None
                    } else if peers.is_empty() {
                        continue; // to anywhere: nothing to compare with
                    } else {
                        match peer_pods {
                            Some(p) if !p.is_empty() => Some(p),
                            _ => continue,
                        }
                    };
                    if cilium {
                        for (j, tp) in arr(rule.get("toPorts")).iter().enumerate() {
                            for (k, p) in arr(tp.get("ports")).iter().enumerate() {
                                let Some(port) = p
                                    .get("port")
                                    .and_then(|v| PortSpec::parse(v, p.get("endPort")))
                                else {
                                    continue;
                                };
                                if port == PortSpec::Num(0) {
                                    continue; // all ports
                                }
                                let base = format!("/spec/{dir}/{i}/toPorts/{j}/ports/{k}");
                                checks.push(PortCheck {
                                    ptr: format!("{base}/port"),
                                    port,
                                    protocol: p
                                        .get("protocol")
                                        .and_then(Value::as_str)
                                        .filter(|p| !p.eq_ignore_ascii_case("ANY"))
                                        .unwrap_or("")
                                        .to_ascii_uppercase(),
                                    protocol_ptr: format!("{base}/protocol"),
                                    peers: targets.clone(),
                                });
                            }
                        }
                    } else {
                        for (j, p) in arr(rule.get("ports")).iter().enumerate() {
                            let Some(port) = p
                                .get("port")
                                .and_then(|v| PortSpec::parse(v, p.get("endPort")))
                            else {
                                continue;
                            };
                            let base = format!("/spec/{dir}/{i}/ports/{j}");
                            checks.push(PortCheck {
                                ptr: format!("{base}/port"),
                                port,
                                protocol: p
                                    .get("protocol")
                                    .and_then(Value::as_str)
                                    .unwrap_or("TCP")
                                    .to_ascii_uppercase(),
                                protocol_ptr: format!("{base}/protocol"),
                                peers: targets.clone(),
                            });
                        }
                    }
                }
            }
        }
        PolicyKind::CalicoNetworkPolicy | PolicyKind::CalicoGlobalNetworkPolicy => {
            for (dir, side, ingress) in [
                ("ingress", "source", true),
                ("egress", "destination", false),
            ] {
                for (i, rule) in arr(value.pointer(&format!("/spec/{dir}")))
                    .iter()
                    .enumerate()
                {
                    let mut peer_pods: Option<Vec<PodInfo>> = None;
                    if let Some(ent) = rule.get(side)
                        && let Some(text) = ent.get("selector").and_then(Value::as_str)
                    {
                        let ptr = format!("/spec/{dir}/{i}/{side}/selector");
                        let ns_text = ent.get("namespaceSelector").and_then(Value::as_str);
                        let parsed = Selector::parse(text)
                            .and_then(|s| ns_text.map(Selector::parse).transpose().map(|n| (s, n)));
                        match parsed {
                            Err(e) => out.push(diag(
                                Layer::Resource,
                                Severity::Error,
                                &ptr,
                                "selector",
                                e.to_string(),
                            )),
                            Ok((sel, ns_sel)) => {
                                let scope = if ns_sel.is_some() { None } else { ns };
                                let candidates = pods.pods(scope)?.to_vec();
                                let matched: Vec<PodInfo> =
                                    calico_selected(&sel, ns_sel.as_ref(), &candidates)
                                        .into_iter()
                                        .cloned()
                                        .collect();
                                if let Some(d) = unobserved_peer(source, &ptr, &candidates, scope) {
                                    out.push(d);
                                } else if matched.is_empty() {
                                    out.push(calico_no_match(
                                        &ptr,
                                        "this peer selector",
                                        text,
                                        &sel,
                                        &candidates,
                                        scope,
                                    ));
                                } else if ent.get("nets").is_none() {
                                    peer_pods = Some(matched);
                                }
                            }
                        }
                    }
                    if rule.get("action").and_then(Value::as_str) != Some("Allow") {
                        continue; // ports of Deny/Log/Pass rules need not be served
                    }
                    let targets = if ingress {
                        None
                    } else {
                        match peer_pods {
                            Some(p) => Some(p),
                            None => continue,
                        }
                    };
                    let protocol = calico_protocol(rule.get("protocol"));
                    for (j, p) in arr(rule.pointer("/destination/ports")).iter().enumerate() {
                        let Some(port) = PortSpec::parse(p, None) else {
                            continue;
                        };
                        checks.push(PortCheck {
                            ptr: format!("/spec/{dir}/{i}/destination/ports/{j}"),
                            port,
                            protocol: protocol.clone(),
                            protocol_ptr: format!("/spec/{dir}/{i}/protocol"),
                            peers: targets.clone(),
                        });
                    }
                }
            }
        }
        _ => {}
    }
    if checks.is_empty() {
        return Ok(());
    }
    let services = pods.services(None)?.to_vec();
    let mut warned_undeclared = BTreeSet::new();
    for c in checks {
        let targets: Vec<&PodInfo> = match &c.peers {
            None => selected.to_vec(),
            Some(p) => p.iter().collect(),
        };
        let whom = if c.peers.is_some() {
            "peer"
        } else {
            "selected"
        };
        let declared: BTreeSet<String> = targets
            .iter()
            .flat_map(|p| p.ports.iter())
            .flat_map(|p| [Some(p.port.to_string()), p.name.clone()])
            .flatten()
            .chain(
                services
                    .iter()
                    .filter(|s| {
                        !s.selector.is_empty()
                            && targets.iter().any(|p| selects(&s.selector, &p.labels))
                    })
                    .flat_map(|s| s.ports.iter().filter_map(|p| p.target_port.clone())),
            )
            .collect();
        if declared.is_empty() {
            if warned_undeclared.insert(whom) {
                out.push(diag(
                    Layer::Property,
                    Severity::Warning,
                    &c.ptr,
                    "port",
                    format!(
                        "the {} {whom} pods declare no container ports; the policy's ports were not checked",
                        targets.len()
                    ),
                ));
            }
            continue;
        }
        if served(&c.port, &c.protocol, &targets, &services) {
            continue;
        }
        let port = c.port.text();
        let proto = if c.protocol.is_empty() {
            String::new()
        } else {
            format!("/{}", c.protocol)
        };
        let other_protocols: BTreeSet<String> = targets
            .iter()
            .flat_map(|p| p.ports.iter())
            .filter(|pp| served(&c.port, &pp.protocol, &targets, &services))
            .map(|pp| pp.protocol.clone())
            .collect();
        let mut d = diag(
            Layer::Property,
            Severity::Error,
            &c.ptr,
            "port",
            format!("no {whom} pod serves port {port}{proto}"),
        )
        .actual(format!("{port}{proto}"))
        .expected(format!(
            "a port the {} {whom} pods serve: {}",
            targets.len(),
            declared.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
        if let Some(p) = other_protocols.iter().next() {
            d.message = format!("{} (it is served over {p})", d.message);
            d.fix = Some(Fix {
                message: format!("port {port} is served over {p}"),
                pointer: c.protocol_ptr.clone(),
                replacement: Some(Value::from(p.clone())),
            });
        } else {
            d.fix = suggest::nearest(&port, declared.iter().map(String::as_str)).map(|n| Fix {
                message: format!("the {whom} pods serve {n}"),
                pointer: c.ptr.clone(),
                replacement: Some(match n.parse::<i64>() {
                    Ok(num)
                        if kind != PolicyKind::CiliumNetworkPolicy
                            && kind != PolicyKind::CiliumClusterwideNetworkPolicy =>
                    {
                        Value::from(num)
                    }
                    _ => Value::from(n),
                }),
            });
        }
        out.push(d);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
