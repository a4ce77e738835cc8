//! CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (L3/L4, DNS and
//! HTTP rules, `toServices`).

use kubescribe_core::policy::cilium::{
    CidrGroupSelector, CiliumNetworkPolicySpec, HttpItem, Port, ToCIDRSetItem, ToEntity, ToFQDN,
    ToService,
};
use kubescribe_events::HttpRequest;
use regex::{Regex, RegexBuilder};

use kubescribe_core::glob::{Dialect, Glob};

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::flow::{Endpoint, Flow, Way};
use super::selector::LabelView;
use super::tri::Tri;
use super::{AllowList, Decision, Inventory, Note, PolicyRef, Verdict};

/// A Cilium label key without its source (`k8s:app` → `app`); `reserved:`
/// keys stay as they are.
pub(crate) fn plain_key(k: &str) -> &str {
    k.strip_prefix("k8s:")
        .or_else(|| k.strip_prefix("any:"))
        .or_else(|| k.strip_prefix("container:"))
        .unwrap_or(k)
}

const NS_KEY: &str = "io.kubernetes.pod.namespace";
const NS_LABELS: &str = "io.cilium.k8s.namespace.labels.";

fn key_test(ep: &Endpoint<'_>, key: &str, f: impl Fn(&LabelView<'_>, &str) -> Tri) -> Tri {
    let key = plain_key(key);
    if let Some(ns_key) = key.strip_prefix(NS_LABELS) {
        if ep.reserved().is_some() {
            // A reserved identity has no namespace, hence no namespace labels.
            return f(&LabelView::known_empty(), ns_key);
        }
        return f(&ep.ns_view(), ns_key);
    }
    f(&ep.view(), key)
}

/// A Cilium endpoint selector against an endpoint.
pub(crate) fn endpoint_selector(sel: &CidrGroupSelector, ep: &Endpoint<'_>) -> Tri {
    Tri::all(
        sel.match_labels
            .iter()
            .flatten()
            .map(|(k, v)| key_test(ep, k, |view, key| view.equals(key, v))),
    )
    .and(|| {
        Tri::all(sel.match_expressions.iter().flatten().map(|e| {
            let op = format!("{:?}", e.operator);
            let values = e.values.as_deref().unwrap_or(&[]);
            key_test(ep, &e.key, |view, key| view.requirement(key, &op, values))
        }))
    })
}

fn names_key(sel: &CidrGroupSelector, pred: impl Fn(&str) -> bool) -> bool {
    sel.match_labels
        .iter()
        .flatten()
        .map(|(k, _)| k)
        .chain(sel.match_expressions.iter().flatten().map(|e| &e.key))
        .any(|k| pred(plain_key(k)))
}

struct Rule {
    ptr: String,
    endpoints: Option<Vec<CidrGroupSelector>>,
    entities: Option<Vec<ToEntity>>,
    cidrs: Option<Vec<ToCIDRSetItem>>,
    fqdns: Option<Vec<ToFQDN>>,
    /// `toServices` of an egress allow rule.
    services: Option<Vec<ToService>>,
    unsupported: Vec<&'static str>,
    /// `toPorts`: per entry, its ports and whether it carries L7 rules.
    ports: Option<Vec<(Vec<Port>, L7)>>,
    /// `icmps`: each field's family (IPv6?) and type (`Err`: a type name
    /// the simulator does not know).
    icmps: Option<Vec<(bool, Result<u8, String>)>>,
}

struct Spec {
    ptr: String,
    selector: Option<CidrGroupSelector>,
    ingress: Vec<Rule>,
    ingress_deny: Vec<Rule>,
    egress: Vec<Rule>,
    egress_deny: Vec<Rule>,
    default_deny_ingress: bool,
    default_deny_egress: bool,
}

pub(crate) struct Compiled {
    r: PolicyRef,
    namespace: Option<String>,
    specs: Vec<Spec>,
}

fn cidr_items(
    cidr: &Option<Vec<String>>,
    set: &Option<Vec<ToCIDRSetItem>>,
) -> Option<Vec<ToCIDRSetItem>> {
    if cidr.is_none() && set.is_none() {
        return None;
    }
    let mut out: Vec<ToCIDRSetItem> = cidr
        .iter()
        .flatten()
        .map(|c| ToCIDRSetItem {
            cidr: Some(c.clone()),
            ..ToCIDRSetItem::default()
        })
        .collect();
    out.extend(set.iter().flatten().cloned());
    Some(out)
}

macro_rules! rule {
    ($ptr:expr, $item:expr, $pfx:ident, $ports:expr, $fqdns:expr, $services:expr) => {{
        let item = $item;
        let mut unsupported = Vec::new();
        paste_fields!(item, $pfx, unsupported);
        if $services {
            unsupported.push("toServices");
        }
        Rule {
            ptr: $ptr,
            endpoints: field!(item, $pfx, endpoints).clone(),
            entities: field!(item, $pfx, entities).clone(),
            cidrs: cidr_items(field!(item, $pfx, cidr), field!(item, $pfx, cidr_set)),
            fqdns: $fqdns,
            services: None,
            unsupported,
            ports: $ports,
            icmps: icmp_fields(item.icmps.as_deref()),
        }
    }};
}

macro_rules! field {
    ($item:ident, from, endpoints) => {
        &$item.from_endpoints
    };
    ($item:ident, from, entities) => {
        &$item.from_entities
    };
    ($item:ident, from, cidr) => {
        &$item.from_cidr
    };
    ($item:ident, from, cidr_set) => {
        &$item.from_cidr_set
    };
    ($item:ident, to, endpoints) => {
        &$item.to_endpoints
    };
    ($item:ident, to, entities) => {
        &$item.to_entities
    };
    ($item:ident, to, cidr) => {
        &$item.to_cidr
    };
    ($item:ident, to, cidr_set) => {
        &$item.to_cidr_set
    };
}

macro_rules! paste_fields {
    ($item:ident, from, $u:ident) => {
        if $item.from_nodes.is_some() {
            $u.push("fromNodes");
        }
        if $item.from_groups.is_some() {
            $u.push("fromGroups");
        }
        if $item.from_requires.is_some() {
            $u.push("fromRequires");
        }
    };
    ($item:ident, to, $u:ident) => {
        if $item.to_nodes.is_some() {
            $u.push("toNodes");
        }
        if $item.to_groups.is_some() {
            $u.push("toGroups");
        }
        if $item.to_requires.is_some() {
            $u.push("toRequires");
        }
    };
}

impl Compiled {
    pub fn new(
        r: PolicyRef,
        namespaced: bool,
        spec: Option<&CiliumNetworkPolicySpec>,
        specs: Option<&[CiliumNetworkPolicySpec]>,
        notes: &mut Vec<Note>,
    ) -> Compiled {
        let namespace = namespaced.then(|| r.namespace.clone().unwrap_or_else(|| "default".into()));
        if namespaced && r.namespace.is_none() {
            notes.push(Note {
                policy: r.clone(),
                pointer: "/metadata/namespace".into(),
                message: "no namespace given; simulated as namespace `default`".into(),
            });
        }
        let all: Vec<(String, &CiliumNetworkPolicySpec)> = spec
            .map(|s| ("/spec".to_string(), s))
            .into_iter()
            .chain(
                specs
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, s)| (format!("/specs/{i}"), s)),
            )
            .collect();
        let mut out = Vec::new();
        for (ptr, s) in all {
            if s.node_selector.is_some() {
                notes.push(Note {
                    policy: r.clone(),
                    pointer: format!("{ptr}/nodeSelector"),
                    message: "host policies (nodeSelector) are not simulated".into(),
                });
                continue;
            }
            let note = |notes: &mut Vec<Note>, rule: &Rule| {
                for u in &rule.unsupported {
                    notes.push(Note {
                        policy: r.clone(),
                        pointer: format!("{}/{u}", rule.ptr),
                        message: format!("{u} is not simulated; flows it could match are unknown"),
                    });
                }
            };
            let ports_of = |tp: &Option<Vec<kubescribe_core::policy::cilium::ToPort>>| {
                tp.as_ref().map(|v| {
                    v.iter()
                        .map(|t| (t.ports.clone().unwrap_or_default(), L7::of(t)))
                        .collect::<Vec<_>>()
                })
            };
            let deny_ports_of =
                |tp: &Option<Vec<kubescribe_core::policy::cilium::EgressDenyItemToPort>>| {
                    tp.as_ref().map(|v| {
                        v.iter()
                            .map(|t| (t.ports.clone().unwrap_or_default(), L7::None))
                            .collect::<Vec<_>>()
                    })
                };
            let ingress: Vec<Rule> = s
                .ingress
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, it)| {
                    rule!(
                        format!("{ptr}/ingress/{i}"),
                        it,
                        from,
                        ports_of(&it.to_ports),
                        None,
                        false
                    )
                })
                .collect();
            let ingress_deny: Vec<Rule> = s
                .ingress_deny
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, it)| {
                    rule!(
                        format!("{ptr}/ingressDeny/{i}"),
                        it,
                        from,
                        deny_ports_of(&it.to_ports),
                        None,
                        false
                    )
                })
                .collect();
            let egress: Vec<Rule> = s
                .egress
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, it)| {
                    let mut r = rule!(
                        format!("{ptr}/egress/{i}"),
                        it,
                        to,
                        ports_of(&it.to_ports),
                        it.to_fqd_ns.clone(),
                        false
                    );
                    r.services = it.to_services.clone();
                    r
                })
                .collect();
            let egress_deny: Vec<Rule> = s
                .egress_deny
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, it)| {
                    rule!(
                        format!("{ptr}/egressDeny/{i}"),
                        it,
                        to,
                        deny_ports_of(&it.to_ports),
                        None,
                        it.to_services.is_some()
                    )
                })
                .collect();
            for rl in ingress
                .iter()
                .chain(&ingress_deny)
                .chain(&egress)
                .chain(&egress_deny)
            {
                note(notes, rl);
            }
            let dd = s.enable_default_deny.as_ref();
            out.push(Spec {
                default_deny_ingress: (!ingress.is_empty() || !ingress_deny.is_empty())
                    && dd.and_then(|d| d.ingress) != Some(false),
                default_deny_egress: (!egress.is_empty() || !egress_deny.is_empty())
                    && dd.and_then(|d| d.egress) != Some(false),
                ptr,
                selector: s.endpoint_selector.clone(),
                ingress,
                ingress_deny,
                egress,
                egress_deny,
            });
        }
        Compiled {
            r,
            namespace,
            specs: out,
        }
    }
}

fn entity(e: &ToEntity, ep: &Endpoint<'_>) -> Tri {
    let reserved = ep.reserved();
    let is = |name: &str| match reserved {
        Some(r) => Tri::from_bool(r == name),
        None if ep.namespace.is_some() => Tri::No,
        None => Tri::maybe(format!(
            "the event does not say whether the peer is the `{name}` entity"
        )),
    };
    match e {
        ToEntity::All => Tri::Yes,
        ToEntity::None => Tri::No,
        ToEntity::World => is("world"),
        ToEntity::Cluster => match reserved {
            Some(r) => Tri::from_bool(r != "world"),
            None if ep.namespace.is_some() => Tri::Yes,
            None => Tri::maybe("the event does not say whether the peer is in the cluster"),
        },
        ToEntity::Host => is("host"),
        ToEntity::RemoteNode => is("remote-node"),
        ToEntity::KubeApiserver => is("kube-apiserver"),
        ToEntity::Health => is("health"),
        ToEntity::Init => is("init"),
        ToEntity::Ingress => is("ingress"),
        ToEntity::Unmanaged => is("unmanaged"),
    }
}

/// Cilium's `matchPattern`: `*` is any run of DNS characters but `.`; a
/// lone `*` matches every name. Linear time ([`kubescribe_core::glob`]); a
/// pattern over the length limit is not simulated (unknown, with the
/// limit's message).
fn fqdn_matches(f: &ToFQDN, name: &str) -> Tri {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if let Some(n) = &f.match_name {
        return Tri::from_bool(n.trim_end_matches('.').eq_ignore_ascii_case(&name));
    }
    let Some(p) = &f.match_pattern else {
        return Tri::No;
    };
    let p = p.trim_end_matches('.').to_ascii_lowercase();
    if p == "*" {
        return Tri::Yes;
    }
    match Glob::new(&p, Dialect::CiliumFqdn).and_then(|g| g.try_matches(&name)) {
        Ok(m) => Tri::from_bool(m),
        Err(e) => Tri::maybe(format!("toFQDNs matchPattern: {e}")),
    }
}

/// `toServices` (egress allow rules) against the flow's destination,
/// through the Services and their `Endpoints` / `EndpointSlice`s in the
/// [`Inventory`], as Cilium translates them (`pkg/policy/k8s/service.go`):
///
/// * `k8sService` selects the Service of that name in its `namespace`
///   (any namespace when none is given); `k8sServiceSelector` the Services
///   whose own labels its selector matches (in its `namespace`, or any).
/// * A selector-less Service becomes CIDR rules of its backends' addresses
///   (so, like any CIDR rule, it never selects a cluster pod).
/// * A Service with a selector becomes an endpoint selector: its selector
///   plus its namespace (Cilium 1.17 and later, cilium/cilium#34208; before
///   it, such a Service selected nothing and only selector-less Services
///   were translated). A peer whose labels the event lacks still matches
///   when its address is one of the Service's backends.
///
/// Unknown when no manifest gives the Service (or, for a selector-less
/// one, its backends); `egressDeny` `toServices`, which the translation
/// does not visit, stay "not simulated".
fn services(list: &[ToService], flow: &Flow<'_>, inv: &Inventory) -> Tri {
    let remote = &flow.remote;
    let mut acc = Tri::No;
    for (i, ts) in list.iter().enumerate() {
        let ns_ok = |want: Option<&String>, ns: &str| want.is_none_or(|w| w.is_empty() || w == ns);
        let (what, selected): (String, Vec<_>) = if let Some(r) = &ts.k8s_service {
            let Some(name) = r.service_name.as_deref().filter(|n| !n.is_empty()) else {
                acc = acc.or(|| Tri::maybe(format!("toServices[{i}].k8sService names no service")));
                continue;
            };
            (
                format!(
                    "the Service {}/{name}",
                    r.namespace.as_deref().unwrap_or("*")
                ),
                inv.services()
                    .filter(|s| s.name == name && ns_ok(r.namespace.as_ref(), &s.namespace))
                    .collect(),
            )
        } else if let Some(r) = &ts.k8s_service_selector {
            (
                "a Service its k8sServiceSelector matches".to_string(),
                inv.services()
                    .filter(|s| ns_ok(r.namespace.as_ref(), &s.namespace))
                    .filter(|s| {
                        let svc = Endpoint {
                            labels: &s.labels,
                            namespace: Some(&s.namespace),
                            ip: None,
                            port: None,
                            ns_labels: None,
                            container_ports: None,
                        };
                        endpoint_selector(&r.selector, &svc).is_yes()
                    })
                    .collect(),
            )
        } else {
            continue;
        };
        if selected.is_empty() {
            acc = acc.or(|| {
                Tri::maybe(format!(
                    "toServices selects {what}, which no Service manifest gives"
                ))
            });
            continue;
        }
        for svc in selected {
            let backends = inv.backends(&svc.namespace, &svc.name);
            let by_address = || match (remote.ip, backends) {
                (Some(ip), Some(b)) => Tri::from_bool(b.contains(ip)),
                (None, _) => Tri::maybe("the event does not carry the peer's address"),
                (Some(_), None) => Tri::maybe(format!(
                    "the Service {}/{} has no selector and no Endpoints or EndpointSlice manifest lists its backends",
                    svc.namespace, svc.name
                )),
            };
            let m = if svc.selector.is_empty() {
                remote.is_pod().negate().and(by_address)
            } else {
                let view = remote.view();
                let by_labels = remote
                    .in_namespace(&svc.namespace)
                    .and(|| Tri::all(svc.selector.iter().map(|(k, v)| view.equals(k, v))));
                match by_labels {
                    Tri::Maybe(why) => match by_address() {
                        Tri::Yes => Tri::Yes,
                        _ => Tri::Maybe(why),
                    },
                    other => other,
                }
            };
            acc = acc.or(|| m);
        }
    }
    acc
}

fn l3(rule: &Rule, flow: &Flow<'_>, namespace: Option<&str>, inv: &Inventory) -> Tri {
    let remote = &flow.remote;
    let mut any_l3 = false;
    let mut acc = Tri::No;
    if let Some(eps) = &rule.endpoints {
        any_l3 = true;
        for sel in eps {
            let scope = if names_key(sel, |k| k.starts_with("reserved:")) {
                Tri::Yes
            } else {
                match namespace {
                    Some(ns) if !names_key(sel, |k| k == NS_KEY) => remote.in_namespace(ns),
                    _ => remote.is_pod(),
                }
            };
            acc = acc.or(|| scope.and(|| endpoint_selector(sel, remote)));
        }
    }
    if let Some(ents) = &rule.entities {
        any_l3 = true;
        for e in ents {
            acc = acc.or(|| entity(e, remote));
        }
    }
    if let Some(cidrs) = &rule.cidrs {
        any_l3 = true;
        for c in cidrs {
            acc = acc.or(|| match &c.cidr {
                // CIDR rules never select cluster endpoints.
                Some(cidr) => remote
                    .is_pod()
                    .negate()
                    .and(|| remote.ip_in(cidr, c.except.as_deref().unwrap_or(&[]))),
                None => Tri::maybe("CIDR groups are not simulated"),
            });
        }
    }
    if let Some(fq) = &rule.fqdns {
        any_l3 = true;
        acc = acc.or(|| match (flow.dns_name, flow.resolved_names) {
            (Some(name), _) => fq
                .iter()
                .fold(Tri::No, |acc, f| acc.or(|| fqdn_matches(f, name))),
            // The address is one an earlier DNS answer gave for these names:
            // Cilium allows it when a selected name resolved to it.
            (None, Some(names)) if !names.is_empty() => names.iter().fold(Tri::No, |acc, name| {
                acc.or(|| fq.iter().fold(Tri::No, |a, f| a.or(|| fqdn_matches(f, name))))
            }),
            (None, _) => Tri::maybe(
                "toFQDNs needs the DNS name of the peer, which neither the event nor an earlier DNS answer in the store gives",
            ),
        });
    }
    if let Some(list) = &rule.services {
        any_l3 = true;
        acc = acc.or(|| services(list, flow, inv));
    }
    for u in &rule.unsupported {
        any_l3 = true;
        acc = acc.or(|| Tri::maybe(format!("{u} is not simulated")));
    }
    if any_l3 {
        acc
    } else if rule.ports.is_some() || rule.icmps.is_some() {
        Tri::Yes
    } else {
        // An empty rule (`ingress: [{}]`) selects no peer.
        Tri::No
    }
}

/// The L7 part of a `toPorts` entry.
enum L7 {
    /// None: L4 decides.
    None,
    /// `rules.dns` only: the DNS proxy answers queries for matching names.
    Dns(Vec<ToFQDN>),
    /// `rules.http`: the HTTP proxy lets a request through when any rule
    /// matches it.
    Http(Vec<HttpRule>),
    /// Listeners and the like: need data events lack.
    Other,
}

/// The most memory one compiled HTTP-rule regex may take (the `regex`
/// crate's `size_limit`; matching is linear in the input whatever the
/// pattern). A pattern that needs more is not simulated.
pub(crate) const HTTP_REGEX_SIZE_LIMIT: usize = 1 << 20;

/// One `rules.http` entry: each field a regex anchored to the whole value
/// (Envoy's `safe_regex` header match on `:method`, `:path`,
/// `:authority`), `Err` with the reason when it does not compile.
struct HttpRule {
    method: Option<Result<Regex, String>>,
    path: Option<Result<Regex, String>>,
    host: Option<Result<Regex, String>>,
    /// `headers` / `headerMatches`: events carry no headers.
    headers: bool,
}

fn http_regex(field: &str, pattern: &Option<String>) -> Option<Result<Regex, String>> {
    let p = pattern.as_deref().filter(|p| !p.is_empty())?;
    Some(
        RegexBuilder::new(&format!("^(?:{p})$"))
            .size_limit(HTTP_REGEX_SIZE_LIMIT)
            .dfa_size_limit(HTTP_REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(n) => format!(
                    "rules.http {field} `{p}` compiles past HTTP_REGEX_SIZE_LIMIT ({n} bytes) and is not simulated"
                ),
                other => format!("rules.http {field} `{p}` is not a regex the simulator reads: {other}"),
            }),
    )
}

impl HttpRule {
    fn new(h: &HttpItem) -> HttpRule {
        HttpRule {
            method: http_regex("method", &h.method),
            path: http_regex("path", &h.path),
            host: http_regex("host", &h.host),
            headers: h.headers.as_ref().is_some_and(|v| !v.is_empty())
                || h.header_matches.as_ref().is_some_and(|v| !v.is_empty()),
        }
    }

    /// Every field given matches (an entry with none matches every request).
    fn matches(&self, req: &HttpRequest) -> Tri {
        let field = |re: &Option<Result<Regex, String>>, value: &Option<String>, name: &str| match (
            re, value,
        ) {
            (None, _) => Tri::Yes,
            (Some(Err(why)), _) => Tri::maybe(why.clone()),
            (Some(Ok(re)), Some(v)) => Tri::from_bool(re.is_match(v)),
            (Some(Ok(_)), None) => Tri::maybe(format!(
                "the event's HTTP request does not carry its {name}"
            )),
        };
        field(&self.method, &req.method, "method")
            .and(|| field(&self.path, &req.path, "path"))
            .and(|| field(&self.host, &req.host, "host"))
            .and(|| {
                if self.headers {
                    Tri::maybe(
                        "HTTP header rules need the request's headers, which events do not keep",
                    )
                } else {
                    Tri::Yes
                }
            })
    }
}

impl L7 {
    fn of(t: &kubescribe_core::policy::cilium::ToPort) -> L7 {
        match (&t.rules, &t.listener) {
            (None, None) => L7::None,
            (Some(r), None) => match (&r.http, &r.dns) {
                (Some(h), _) if !h.is_empty() => L7::Http(h.iter().map(HttpRule::new).collect()),
                (_, Some(d)) => L7::Dns(d.clone()),
                _ => L7::None,
            },
            _ => L7::Other,
        }
    }

    fn matches(&self, flow: &Flow<'_>) -> Tri {
        match self {
            L7::None => Tri::Yes,
            L7::Other => Tri::maybe("L7 rules need request data the event lacks"),
            L7::Http(rules) => match flow.http {
                Some(req) => Tri::any(rules.iter().map(|r| r.matches(req))),
                // Cilium redirects the port to its HTTP proxy; an L4 record
                // of it says nothing of the requests.
                None => Tri::maybe(
                    "the port has HTTP rules (Cilium's L7 proxy); the event is an L4 flow and carries no HTTP request",
                ),
            },
            // `matchPattern: "*"` lets every query through.
            L7::Dns(d)
                if d.iter()
                    .any(|f| f.match_pattern.as_deref().map(str::trim) == Some("*")) =>
            {
                Tri::Yes
            }
            L7::Dns(d) => match flow.dns_name {
                Some(name) => Tri::any(d.iter().map(|f| fqdn_matches(f, name))),
                None => Tri::maybe("DNS rules need the queried name, which the event lacks"),
            },
        }
    }
}

fn l4(rule: &Rule, flow: &Flow<'_>) -> Tri {
    let mut acc = match &rule.ports {
        None if rule.icmps.is_none() => return Tri::Yes,
        None => Tri::No,
        Some(tps) => Tri::any(tps.iter().map(|(ports, l7)| {
            let m = if ports.is_empty() {
                Tri::Yes
            } else {
                Tri::any(ports.iter().map(|p| port(p, flow)))
            };
            m.and(|| l7.matches(flow))
        })),
    };
    if let Some(fields) = &rule.icmps {
        // Every type of a family listed (0-255): any ICMP packet of that
        // family matches, whether or not the event carries its type.
        for v6 in [false, true] {
            let mut seen = [false; 256];
            for (f6, ty) in fields {
                if let (true, Ok(t)) = (*f6 == v6, ty) {
                    seen[usize::from(*t)] = true;
                }
            }
            if seen.iter().all(|s| *s) {
                acc = acc.or(|| flow.protocol_is(if v6 { "ICMPV6" } else { "ICMP" }));
            }
        }
        for (v6, ty) in fields {
            acc = acc.or(|| icmp_field(*v6, ty, flow));
        }
    }
    acc
}

/// `icmps` of a rule: each field's family and type; `None` when the rule
/// has none (an empty list counts as none).
fn icmp_fields(
    icmps: Option<&[kubescribe_core::policy::cilium::Icmp]>,
) -> Option<Vec<(bool, Result<u8, String>)>> {
    use kubescribe_core::policy::cilium::Family;
    let fields: Vec<(bool, Result<u8, String>)> = icmps?
        .iter()
        .flat_map(|i| i.fields.iter().flatten())
        .map(|f| {
            let v6 = f.family == Some(Family::IPv6);
            let ty = match &f.r#type {
                IntOrString::Int(n) => u8::try_from(*n).map_err(|_| n.to_string()),
                IntOrString::String(s) => s
                    .parse::<u8>()
                    .ok()
                    .or_else(|| icmp_type_named(s, v6))
                    .ok_or_else(|| s.clone()),
            };
            (v6, ty)
        })
        .collect();
    (!fields.is_empty()).then_some(fields)
}

/// The ICMP types Cilium accepts by name (the common ones).
fn icmp_type_named(name: &str, v6: bool) -> Option<u8> {
    Some(match (name, v6) {
        ("EchoReply", false) => 0,
        ("DestinationUnreachable", false) => 3,
        ("Redirect", false) => 5,
        ("Echo" | "EchoRequest", false) => 8,
        ("RouterAdvertisement", false) => 9,
        ("RouterSelection", false) => 10,
        ("TimeExceeded", false) => 11,
        ("ParameterProblem", false) => 12,
        ("Timestamp", false) => 13,
        ("TimestampReply", false) => 14,
        ("DestinationUnreachable", true) => 1,
        ("PacketTooBig", true) => 2,
        ("TimeExceeded", true) => 3,
        ("ParameterProblem", true) => 4,
        ("EchoRequest", true) => 128,
        ("EchoReply", true) => 129,
        ("RouterSolicitation", true) => 133,
        ("RouterAdvertisement", true) => 134,
        ("NeighborSolicitation", true) => 135,
        ("NeighborAdvertisement", true) => 136,
        ("RedirectMessage", true) => 137,
        _ => return None,
    })
}

/// One `icmps` field against a flow: the family's ICMP protocol and the
/// type (which flows carry in the destination's port field).
fn icmp_field(v6: bool, ty: &Result<u8, String>, flow: &Flow<'_>) -> Tri {
    flow.protocol_is(if v6 { "ICMPV6" } else { "ICMP" })
        .and(|| match ty {
            Err(name) => Tri::maybe(format!(
                "the ICMP type `{name}` is not known to the simulator"
            )),
            Ok(t) => match flow.dst_port() {
                Some(p) => Tri::from_bool(p == u16::from(*t)),
                None => Tri::maybe("the event does not carry the ICMP type"),
            },
        })
}

fn port(p: &Port, flow: &Flow<'_>) -> Tri {
    let proto = p
        .protocol
        .map(|x| format!("{x:?}"))
        .unwrap_or_else(|| "ANY".into());
    if flow.protocol.is_some_and(|x| x == "ICMP" || x == "ICMPV6") {
        // Ports never match ICMP (`ANY` is TCP, UDP and SCTP).
        return Tri::No;
    }
    flow.protocol_is(&proto).and(|| match p.port.as_deref() {
        None | Some("") => Tri::Yes,
        Some(s) => match s.parse::<u16>() {
            Ok(n) => flow.dst_port_in(n, p.end_port.and_then(|e| u16::try_from(e).ok())),
            Err(_) => flow.dst_named_port(s, &proto),
        },
    })
}

pub(crate) fn decide(policies: &[Compiled], flow: &Flow<'_>, inv: &Inventory) -> Option<Decision> {
    let way = flow.way.as_str();
    let mut acc = AllowList::new();
    let mut denied = Tri::No;
    let mut deny_at: Option<(&PolicyRef, String)> = None;
    for c in policies {
        for s in &c.specs {
            let ns_ok = match &c.namespace {
                Some(ns) => flow.local.in_namespace(ns),
                None => Tri::Yes,
            };
            let selects = ns_ok.and(|| match &s.selector {
                Some(sel) => endpoint_selector(sel, &flow.local),
                None => Tri::No,
            });
            if selects.is_no() {
                continue;
            }
            let (allow, deny, dd, list) = match flow.way {
                Way::Ingress => (
                    &s.ingress,
                    &s.ingress_deny,
                    s.default_deny_ingress,
                    "ingress",
                ),
                Way::Egress => (&s.egress, &s.egress_deny, s.default_deny_egress, "egress"),
            };
            for d in deny {
                let hit = selects
                    .clone()
                    .and(|| l3(d, flow, c.namespace.as_deref(), inv).and(|| l4(d, flow)));
                if !hit.is_no() && (deny_at.is_none() || (hit.is_yes() && !denied.is_yes())) {
                    deny_at = Some((&c.r, d.ptr.clone()));
                }
                denied = std::mem::replace(&mut denied, Tri::No).or(|| hit);
            }
            if dd {
                acc.policy(&c.r, selects.clone(), &format!("{}/{list}", s.ptr));
            }
            for rl in allow {
                let m = l3(rl, flow, c.namespace.as_deref(), inv).and(|| l4(rl, flow));
                acc.rule(&c.r, &selects, m, rl.ptr.clone());
            }
        }
    }
    let allow = acc.decide(way);
    match (denied, deny_at) {
        (Tri::Yes, Some((p, ptr))) => Some(Decision::new(
            Verdict::Block,
            p,
            ptr,
            format!("denied by an {way} deny rule (deny rules win)"),
        )),
        (Tri::Maybe(why), Some((p, ptr))) => match allow {
            Some(d) if d.verdict == Verdict::Block => Some(d),
            _ => Some(Decision::new(Verdict::Unknown, p, ptr, why)),
        },
        _ => allow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_patterns() {
        let pat = |p: &str| ToFQDN {
            match_pattern: Some(p.into()),
            match_name: None,
        };
        let m = |f: &ToFQDN, n: &str| fqdn_matches(f, n) == Tri::Yes;
        assert!(m(&pat("*.github.com"), "api.github.com"));
        assert!(!m(&pat("*.github.com"), "a.b.github.com"));
        assert!(m(&pat("*"), "x.y"));
        assert!(m(&pat("api.*.com"), "API.example.com."));
        let name = ToFQDN {
            match_name: Some("pypi.org".into()),
            match_pattern: None,
        };
        assert!(m(&name, "pypi.org."));
        assert!(!m(&name, "files.pypi.org"));
    }

    #[test]
    fn pathological_fqdn_patterns_end() {
        // A backtracking matcher takes exponential time on this pair; the
        // automaton, (pattern + 1) × (name + 1) steps.
        let f = ToFQDN {
            match_pattern: Some("*a*a*a*a*a*a*a*a*a*a*b".into()),
            match_name: None,
        };
        assert_eq!(fqdn_matches(&f, &"a".repeat(4_000)), Tri::No);
        // A name longer than any path or DNS name: not matched at all.
        match fqdn_matches(&f, &"a".repeat(10_000)) {
            Tri::Maybe(why) => assert!(why.contains("GLOB_MAX_TEXT_BYTES"), "{why}"),
            other => panic!("{other:?}"),
        }
        // Over the length limit: not simulated, and the reason names the limit.
        let long = ToFQDN {
            match_pattern: Some("a".repeat(5_000)),
            match_name: None,
        };
        match fqdn_matches(&long, "a") {
            Tri::Maybe(why) => assert!(why.contains("GLOB_MAX_PATTERN_BYTES"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
