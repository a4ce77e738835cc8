//! Calico NetworkPolicy and GlobalNetworkPolicy: ordered, tiered rules with
//! Allow / Deny / Pass / Log actions.

use std::cmp::Ordering;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use kubescribe_core::policy::calico::{
    Action, Destination, EgressItem, GlobalNetworkPolicy, NetworkPolicy, Type,
};

use super::flow::{Endpoint, Flow, Way, normalize_protocol};
use super::tri::Tri;
use super::{Decision, Note, PolicyRef, SimError, Verdict};
use kubescribe_core::selector::Selector;

struct Entity {
    selector: Option<Selector>,
    not_selector: Option<Selector>,
    namespace_selector: Option<Selector>,
    nets: Option<Vec<String>>,
    not_nets: Option<Vec<String>>,
    ports: Option<Vec<IntOrString>>,
    not_ports: Option<Vec<IntOrString>>,
    unsupported: Vec<&'static str>,
}

struct Rule {
    ptr: String,
    action: Action,
    protocol: Option<String>,
    not_protocol: Option<String>,
    ip_version: Option<i64>,
    source: Entity,
    destination: Entity,
    unsupported: Vec<&'static str>,
}

pub(crate) struct Compiled {
    r: PolicyRef,
    tier: String,
    order: Option<f64>,
    /// The namespace of a namespaced policy.
    namespace: Option<String>,
    selector: Selector,
    namespace_selector: Option<Selector>,
    ingress: bool,
    egress: bool,
    ingress_rules: Vec<Rule>,
    egress_rules: Vec<Rule>,
}

fn parse(r: &PolicyRef, ptr: String, text: Option<&str>) -> Result<Option<Selector>, SimError> {
    match text {
        None => Ok(None),
        Some(t) => Selector::parse(t)
            .map(Some)
            .map_err(|source| SimError::Selector {
                policy: Box::new(r.clone()),
                pointer: ptr,
                source: Box::new(source),
            }),
    }
}

fn proto_text(p: &IntOrString) -> String {
    match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

fn entity(r: &PolicyRef, ptr: &str, d: Option<&Destination>) -> Result<Entity, SimError> {
    let d = d.cloned().unwrap_or_default();
    let mut unsupported = Vec::new();
    if d.service_accounts.is_some() {
        unsupported.push("serviceAccounts");
    }
    if d.services.is_some() {
        unsupported.push("services");
    }
    Ok(Entity {
        selector: parse(r, format!("{ptr}/selector"), d.selector.as_deref())?,
        not_selector: parse(r, format!("{ptr}/notSelector"), d.not_selector.as_deref())?,
        namespace_selector: parse(
            r,
            format!("{ptr}/namespaceSelector"),
            d.namespace_selector.as_deref(),
        )?,
        nets: d.nets,
        not_nets: d.not_nets,
        ports: d.ports,
        not_ports: d.not_ports,
        unsupported,
    })
}

fn rules(
    r: &PolicyRef,
    list: &str,
    items: Option<&[EgressItem]>,
    notes: &mut Vec<Note>,
) -> Result<Vec<Rule>, SimError> {
    let mut out = Vec::new();
    for (i, it) in items.into_iter().flatten().enumerate() {
        let ptr = format!("/spec/{list}/{i}");
        let mut unsupported = Vec::new();
        if it.http.is_some() {
            unsupported.push("http");
        }
        if it.icmp.is_some() {
            unsupported.push("icmp");
        }
        if it.not_icmp.is_some() {
            unsupported.push("notICMP");
        }
        let rule = Rule {
            action: it.action,
            protocol: it.protocol.as_ref().map(proto_text),
            not_protocol: it.not_protocol.as_ref().map(proto_text),
            ip_version: it.ip_version,
            source: entity(r, &format!("{ptr}/source"), it.source.as_ref())?,
            destination: entity(r, &format!("{ptr}/destination"), it.destination.as_ref())?,
            unsupported,
            ptr,
        };
        for (what, u) in [
            ("", &rule.unsupported),
            ("/source", &rule.source.unsupported),
            ("/destination", &rule.destination.unsupported),
        ] {
            for f in u {
                notes.push(Note {
                    policy: r.clone(),
                    pointer: format!("{}{what}/{f}", rule.ptr),
                    message: format!("{f} is not simulated; flows it could match are unknown"),
                });
            }
        }
        out.push(rule);
    }
    Ok(out)
}

/// `types`, defaulted as Calico does (from the rules present): `[Ingress]`
/// without egress rules, `[Egress]` with egress rules only, both with both.
fn types(t: Option<&[Type]>, has_ingress: bool, has_egress: bool) -> (bool, bool) {
    match t {
        Some(t) if !t.is_empty() => (t.contains(&Type::Ingress), t.contains(&Type::Egress)),
        _ => (has_ingress || !has_egress, has_egress),
    }
}

impl Compiled {
    pub fn namespaced(
        r: PolicyRef,
        p: &NetworkPolicy,
        notes: &mut Vec<Note>,
    ) -> Result<Compiled, SimError> {
        let s = &p.spec;
        let namespace = r.namespace.clone().unwrap_or_else(|| {
            notes.push(Note {
                policy: r.clone(),
                pointer: "/metadata/namespace".into(),
                message: "no namespace given; simulated as namespace `default`".into(),
            });
            "default".into()
        });
        if s.service_account_selector.is_some() {
            notes.push(Note {
                policy: r.clone(),
                pointer: "/spec/serviceAccountSelector".into(),
                message: "serviceAccountSelector is not simulated (events carry no service account); the policy is taken to apply regardless".into(),
            });
        }
        let (ingress, egress) = types(
            s.types.as_deref(),
            s.ingress.as_ref().is_some_and(|r| !r.is_empty()),
            s.egress.as_ref().is_some_and(|r| !r.is_empty()),
        );
        Ok(Compiled {
            tier: s.tier.clone().unwrap_or_else(|| "default".into()),
            order: s.order,
            namespace: Some(namespace),
            selector: parse(&r, "/spec/selector".into(), s.selector.as_deref())?
                .unwrap_or(Selector::All),
            namespace_selector: None,
            ingress,
            egress,
            ingress_rules: rules(&r, "ingress", s.ingress.as_deref(), notes)?,
            egress_rules: rules(&r, "egress", s.egress.as_deref(), notes)?,
            r,
        })
    }

    pub fn global(
        r: PolicyRef,
        p: &GlobalNetworkPolicy,
        notes: &mut Vec<Note>,
    ) -> Result<Compiled, SimError> {
        let s = &p.spec;
        for (set, what) in [
            (
                s.service_account_selector.is_some(),
                "serviceAccountSelector",
            ),
            (s.pre_dnat == Some(true), "preDNAT"),
            (s.do_not_track == Some(true), "doNotTrack"),
            (s.apply_on_forward == Some(true), "applyOnForward"),
        ] {
            if set {
                notes.push(Note {
                    policy: r.clone(),
                    pointer: format!("/spec/{what}"),
                    message: format!(
                        "{what} is not simulated; the policy is evaluated as an ordinary pod policy"
                    ),
                });
            }
        }
        let (ingress, egress) = types(
            s.types.as_deref(),
            s.ingress.as_ref().is_some_and(|r| !r.is_empty()),
            s.egress.as_ref().is_some_and(|r| !r.is_empty()),
        );
        Ok(Compiled {
            tier: s.tier.clone().unwrap_or_else(|| "default".into()),
            order: s.order,
            namespace: None,
            selector: parse(&r, "/spec/selector".into(), s.selector.as_deref())?
                .unwrap_or(Selector::All),
            namespace_selector: parse(
                &r,
                "/spec/namespaceSelector".into(),
                s.namespace_selector.as_deref(),
            )?,
            ingress,
            egress,
            ingress_rules: rules(&r, "ingress", s.ingress.as_deref(), notes)?,
            egress_rules: rules(&r, "egress", s.egress.as_deref(), notes)?,
            r,
        })
    }

    fn selects(&self, ep: &Endpoint<'_>) -> Tri {
        let ns = match (&self.namespace, &self.namespace_selector) {
            (Some(ns), _) => ep.in_namespace(ns),
            (None, Some(sel)) => sel.eval(&ep.ns_view()),
            (None, None) => Tri::Yes,
        };
        ns.and(|| self.selector.eval(&ep.view()))
    }
}

/// Calico policies, sorted for evaluation.
#[derive(Default)]
pub(crate) struct Set {
    policies: Vec<Compiled>,
}

fn tier_rank(t: &str) -> (bool, &str) {
    (t == "default", t)
}

impl Set {
    pub fn push(&mut self, c: Compiled) {
        self.policies.push(c);
    }

    pub fn len(&self) -> usize {
        self.policies.len()
    }

    pub fn finish(&mut self, notes: &mut Vec<Note>) {
        self.policies.sort_by(|a, b| {
            tier_rank(&a.tier)
                .cmp(&tier_rank(&b.tier))
                .then_with(|| match (a.order, b.order) {
                    (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                })
                .then_with(|| a.r.name.cmp(&b.r.name))
        });
        let mut tiers: Vec<&str> = self.policies.iter().map(|p| p.tier.as_str()).collect();
        tiers.dedup();
        if tiers.len() > 1
            && let Some(first) = self.policies.first()
        {
            notes.push(Note {
                    policy: first.r.clone(),
                    pointer: "/spec/tier".into(),
                    message: format!(
                        "tiers evaluated in the order {} (no Tier objects given: alphabetical, `default` last)",
                        tiers.join(", ")
                    ),
                });
        }
    }

    pub fn decide(&self, flow: &Flow<'_>) -> Option<Decision> {
        let mut tiers: Vec<Vec<(&Compiled, Tri)>> = Vec::new();
        let mut last_tier: Option<&str> = None;
        for p in &self.policies {
            let has = match flow.way {
                Way::Ingress => p.ingress,
                Way::Egress => p.egress,
            };
            if !has {
                continue;
            }
            let sel = p.selects(&flow.local);
            if sel.is_no() {
                continue;
            }
            if last_tier != Some(p.tier.as_str()) {
                tiers.push(Vec::new());
                last_tier = Some(p.tier.as_str());
            }
            if let Some(t) = tiers.last_mut() {
                t.push((p, sel));
            }
        }
        if tiers.is_empty() {
            return None;
        }
        let mut budget = 4096u32;
        Some(
            Eval {
                tiers: &tiers,
                flow,
                budget: &mut budget,
            }
            .run(0, 0, 0, None, Tri::No),
        )
    }
}

struct Eval<'a, 'f> {
    tiers: &'a [Vec<(&'a Compiled, Tri)>],
    flow: &'a Flow<'f>,
    budget: &'a mut u32,
}

fn either(a: Decision, b: Decision, at: (&PolicyRef, &str), why: String) -> Decision {
    if a.verdict == b.verdict {
        a
    } else {
        Decision::new(Verdict::Unknown, at.0, at.1.to_string(), why)
    }
}

impl Eval<'_, '_> {
    fn run(
        &mut self,
        t: usize,
        p: usize,
        r: usize,
        logged: Option<(&PolicyRef, &str)>,
        tier_selected: Tri,
    ) -> Decision {
        let way = self.flow.way.as_str();
        let Some(tier) = self.tiers.get(t) else {
            return match logged {
                Some((pr, ptr)) => Decision::new(
                    Verdict::Audit,
                    pr,
                    ptr.to_string(),
                    "logged; no policy denied it (the profile allows)",
                ),
                None => Decision::ungoverned(format!(
                    "passed through every tier; the profile allows {way}"
                )),
            };
        };
        if *self.budget == 0 {
            let (pr, _) = tier[0];
            return Decision::new(
                Verdict::Unknown,
                &pr.r,
                format!("/spec/{way}"),
                "too many undecidable rules to follow every branch",
            );
        }
        *self.budget -= 1;
        let Some((pol, sel)) = tier.get(p) else {
            // End of the tier.
            let next = |s: &mut Self| s.run(t + 1, 0, 0, logged, Tri::No);
            let (last, _) = tier[tier.len() - 1];
            let deny = Decision::new(
                Verdict::Block,
                &last.r,
                format!("/spec/{way}"),
                format!(
                    "end of tier `{}`: a policy of the tier applies and no rule allowed or passed this flow (implicit deny)",
                    last.tier
                ),
            );
            return match tier_selected {
                Tri::Yes => deny,
                Tri::No => next(self),
                Tri::Maybe(why) => {
                    let b = next(self);
                    either(deny, b, (&last.r, &format!("/spec/{way}")), why)
                }
            };
        };
        let pol: &Compiled = pol;
        if r == 0 {
            match sel {
                Tri::Maybe(why) if !tier_selected.is_yes() => {
                    // Branch: the policy applies, or it does not.
                    let applies = self.run_rules(t, p, 0, logged, Tri::Yes);
                    let not = self.run(t, p + 1, 0, logged, tier_selected.clone());
                    return either(applies, not, (&pol.r, &format!("/spec/{way}")), why.clone());
                }
                Tri::Maybe(why) => {
                    let applies = self.run_rules(t, p, 0, logged, Tri::Yes);
                    let not = self.run(t, p + 1, 0, logged, Tri::Yes);
                    return either(applies, not, (&pol.r, &format!("/spec/{way}")), why.clone());
                }
                _ => return self.run_rules(t, p, 0, logged, Tri::Yes),
            }
        }
        self.run_rules(t, p, r, logged, tier_selected)
    }

    fn run_rules(
        &mut self,
        t: usize,
        p: usize,
        r: usize,
        logged: Option<(&PolicyRef, &str)>,
        tier_selected: Tri,
    ) -> Decision {
        let (pol, _) = &self.tiers[t][p];
        let pol: &Compiled = pol;
        let rules = match self.flow.way {
            Way::Ingress => &pol.ingress_rules,
            Way::Egress => &pol.egress_rules,
        };
        let Some(rule) = rules.get(r) else {
            return self.run(t, p + 1, 0, logged, tier_selected);
        };
        let m = matches(rule, pol, self.flow);
        if m.is_no() {
            return self.run_rules(t, p, r + 1, logged, tier_selected);
        }
        let at = (&pol.r, rule.ptr.as_str());
        let hit = match rule.action {
            Action::Allow => match logged {
                Some((_, lptr)) => Decision::new(
                    Verdict::Audit,
                    &pol.r,
                    rule.ptr.clone(),
                    format!("allowed, and logged by {lptr}"),
                ),
                None => Decision::new(
                    Verdict::Allow,
                    &pol.r,
                    rule.ptr.clone(),
                    format!("allowed by an {} rule", self.flow.way.as_str()),
                ),
            },
            Action::Deny => Decision::new(
                Verdict::Block,
                &pol.r,
                rule.ptr.clone(),
                format!("denied by an {} rule", self.flow.way.as_str()),
            ),
            Action::Pass => self.run(t + 1, 0, 0, logged, Tri::No),
            Action::Log => self.run_rules(t, p, r + 1, Some(at), tier_selected.clone()),
        };
        match m {
            Tri::Yes => hit,
            Tri::Maybe(why) => {
                let miss = self.run_rules(t, p, r + 1, logged, tier_selected);
                either(hit, miss, at, why)
            }
            Tri::No => unreachable_no(),
        }
    }
}

#[inline]
fn unreachable_no() -> Decision {
    // `m.is_no()` returned above; kept total without panicking.
    Decision::ungoverned("no match")
}

/// Whether `ep`'s port is one of `list` (numbers, `lo:hi` ranges, or named
/// ports of the endpoint's containers for the rule's `protocol`).
fn port_match(list: &[IntOrString], ep: &Endpoint<'_>, protocol: Option<&str>) -> Tri {
    let port = ep.port;
    Tri::any(list.iter().map(|p| {
        let (lo, hi) = match p {
            IntOrString::Int(n) => match u16::try_from(*n) {
                Ok(n) => (n, n),
                Err(_) => return Tri::No,
            },
            IntOrString::String(s) => {
                let parsed = match s.split_once(':') {
                    Some((a, b)) => a
                        .trim()
                        .parse::<u16>()
                        .ok()
                        .zip(b.trim().parse::<u16>().ok()),
                    None => s.trim().parse::<u16>().ok().map(|n| (n, n)),
                };
                match parsed {
                    Some(x) => x,
                    None => return ep.named_port(s, protocol.unwrap_or("ANY")),
                }
            }
        };
        match port {
            Some(x) => Tri::from_bool(x >= lo && x <= hi),
            None => Tri::maybe("the event does not carry the port"),
        }
    }))
}

fn entity_matches(e: &Entity, ep: &Endpoint<'_>, pol: &Compiled, protocol: Option<&str>) -> Tri {
    let scope = |ep: &Endpoint<'_>| -> Tri {
        match (&e.namespace_selector, &pol.namespace) {
            (Some(ns), _) => ep.is_pod().and(|| ns.eval(&ep.ns_view())),
            (None, Some(ns)) => ep.in_namespace(ns),
            (None, None) => ep.is_pod(),
        }
    };
    let mut acc = Tri::Yes;
    if let Some(sel) = &e.selector {
        acc = acc.and(|| scope(ep).and(|| sel.eval(&ep.view())));
    } else if e.namespace_selector.is_some() {
        acc = acc.and(|| scope(ep));
    }
    if let Some(sel) = &e.not_selector {
        acc = acc.and(|| scope(ep).and(|| sel.eval(&ep.view())).negate());
    }
    if let Some(nets) = &e.nets {
        acc = acc.and(|| Tri::any(nets.iter().map(|n| ep.ip_in(n, &[]))));
    }
    if let Some(nets) = &e.not_nets {
        acc = acc.and(|| Tri::any(nets.iter().map(|n| ep.ip_in(n, &[]))).negate());
    }
    if let Some(ports) = &e.ports {
        acc = acc.and(|| port_match(ports, ep, protocol));
    }
    if let Some(ports) = &e.not_ports {
        acc = acc.and(|| port_match(ports, ep, protocol).negate());
    }
    for u in &e.unsupported {
        acc = acc.and(|| Tri::maybe(format!("{u} is not simulated")));
    }
    acc
}

fn matches(rule: &Rule, pol: &Compiled, flow: &Flow<'_>) -> Tri {
    let mut acc = Tri::Yes;
    if let Some(p) = &rule.protocol {
        acc = acc.and(|| flow.protocol_is(p));
    }
    if let Some(p) = &rule.not_protocol {
        acc = acc.and(|| match normalize_protocol(p) {
            None => Tri::No,
            Some(_) => flow.protocol_is(p).negate(),
        });
    }
    if let Some(v) = rule.ip_version {
        acc = acc.and(|| {
            match flow
                .remote
                .ip
                .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
            {
                Some(ip) => Tri::from_bool((v == 4) == ip.is_ipv4()),
                None => Tri::maybe("the event does not carry the address family"),
            }
        });
    }
    let (src, dst) = flow.src_dst();
    acc = acc
        .and(|| entity_matches(&rule.source, src, pol, rule.protocol.as_deref()))
        .and(|| entity_matches(&rule.destination, dst, pol, rule.protocol.as_deref()));
    for u in &rule.unsupported {
        acc = acc.and(|| Tri::maybe(format!("{u} matching is not simulated")));
    }
    acc
}
