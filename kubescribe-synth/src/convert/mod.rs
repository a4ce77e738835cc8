//! Cross-engine conversion of network policies: Kubernetes NetworkPolicy ↔
//! Cilium (`CiliumNetworkPolicy`, `CiliumClusterwideNetworkPolicy`) ↔ Calico
//! (`NetworkPolicy`, `GlobalNetworkPolicy`, and the `Staged*` kinds as input),
//! what a cluster needs when it switches CNI.
//!
//! A policy is read into an engine-neutral IR ([`NetPolicy`]: subject,
//! directions with ordered rules, peers, ports, actions) by
//! [`from_policy`], then written for the target by [`to_engine`];
//! [`convert`] does both. Everything the target cannot express is reported
//! as a structured [`Loss`] (JSON pointer into the source, the feature, why,
//! and what was done) — never dropped silently. Losses arise in two places:
//! reading, for features no other engine has (Cilium L7 rules, Calico
//! `notPorts`), and writing, for features the chosen target lacks
//! (deny rules in Kubernetes, FQDNs outside Cilium).
//!
//! ## Mapping
//!
//! | IR | Kubernetes | Cilium | Calico |
//! |---|---|---|---|
//! | subject pods (selector expression) | `podSelector` (one policy per DNF term) | `endpointSelector` (likewise) | `selector` |
//! | cluster-wide subject | per namespace when the namespaces are named, else a loss | `CiliumClusterwideNetworkPolicy` | `GlobalNetworkPolicy` + `namespaceSelector` |
//! | direction, default deny | `policyTypes` | `ingress`/`egress` present (`[{}]` when empty), `enableDefaultDeny` | `types` |
//! | Allow / Deny / Pass / Log | allow only | `ingress`/`ingressDeny` (deny wins, order-free) | `action`, ordered |
//! | peer: pods + namespaces | `podSelector` + `namespaceSelector` | `fromEndpoints` with `k8s:io.kubernetes.pod.namespace` / `k8s:io.cilium.k8s.namespace.labels.*` | `selector` + `namespaceSelector` |
//! | peer: CIDR + except | `ipBlock` | `fromCIDRSet` | `nets` + `notNets` |
//! | peer: entity | `all` only (`world`/`cluster` approximated, a loss) | `fromEntities` | `all` only (likewise) |
//! | peer: FQDN | loss | `toFQDNs` | loss |
//! | service accounts | loss | `io.cilium.k8s.policy.serviceaccount` label | `serviceAccounts.names` |
//! | ports: number/name, range, protocol | `ports` (`ANY` expanded to TCP/UDP/SCTP) | `toPorts` | `protocol` + `destination.ports` (`a:b`), one rule per protocol |
//! | ICMP type/code | loss | `icmps` (code: loss) | `protocol: ICMP` + `icmp` |
//! | order | loss | loss | `order` |
//!
//! Selector expressions with `||` or `!` become several label selectors
//! ([`selector`]): several peers for a peer, several policies for the
//! subject (policies selecting a pod are unioned in Kubernetes and Cilium, so
//! this is exact). CIDR peers are matched against addresses outside the
//! cluster's pods, as Cilium does and Kubernetes recommends; whether an
//! `ipBlock` also matches pod addresses is left to the CNI by Kubernetes.
//!
//! Converting to the source's own engine returns the policy unchanged.

/// The selector IR, shared with simulation and validation (in `kubescribe-core`).
pub use kubescribe_core::selector;

mod calico;
mod cilium;
mod kubernetes;

use std::collections::BTreeMap;

use serde::Serialize;
use thiserror::Error;

use kubescribe_core::engine::{Engine, PolicyKind};
use kubescribe_core::policy::Policy;
pub use selector::{LabelSelector, Requirement, Selector};

/// The canonical label key of a namespace's name in IR namespace selectors.
pub const NAMESPACE_NAME_KEY: &str = "kubernetes.io/metadata.name";

/// Why a policy could not be converted at all.
#[derive(Debug, Error)]
pub enum ConvertError {
    /// The policy is not a network policy of Kubernetes, Cilium or Calico.
    #[error(
        "{kind} is not a network policy kubescribe converts (Kubernetes, Cilium and Calico network policies are)"
    )]
    NotNetworkPolicy {
        /// The kind.
        kind: String,
    },
    /// The target engine cannot express the policy in any form.
    #[error("{pointer}: cannot convert to {target}: {reason}")]
    Inexpressible {
        /// The target engine.
        target: Engine,
        /// JSON pointer into the source.
        pointer: String,
        /// Why.
        reason: String,
    },
    /// The source policy is malformed in a way the schema does not catch
    /// (e.g. an unparsable Calico selector).
    #[error("{pointer}: {message}")]
    Invalid {
        /// JSON pointer into the source.
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// `--strict`: the conversion would lose something.
    #[error("refused (strict): {count} loss(es) converting to {target}")]
    Strict {
        /// The target.
        target: Engine,
        /// How many losses.
        count: usize,
        /// The losses.
        losses: Vec<Loss>,
    },
    /// Internal: an assembled policy does not fit the target model (a bug).
    #[error("converted policy does not fit the {kind} model: {message}")]
    Model {
        /// The kind.
        kind: String,
        /// serde's message.
        message: String,
    },
}

/// Something of the source the target cannot express.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Loss {
    /// JSON pointer into the source document.
    pub pointer: String,
    /// The feature, e.g. `Cilium L7 HTTP rules`.
    pub feature: String,
    /// Why the target cannot express it.
    pub reason: String,
    /// What the converter did instead, e.g. `rule dropped`.
    pub action: String,
}

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(
            f,
            "{at}: {}: {}; {}",
            self.feature, self.reason, self.action
        )
    }
}

pub(crate) fn loss(pointer: &str, feature: &str, reason: &str, action: &str) -> Loss {
    Loss {
        pointer: pointer.to_string(),
        feature: feature.to_string(),
        reason: reason.to_string(),
        action: action.to_string(),
    }
}

/// An engine-neutral network policy.
#[derive(Debug, Clone, PartialEq)]
pub struct NetPolicy {
    /// `metadata.name` of the source.
    pub name: String,
    /// The policy's namespace (`None` for a cluster-wide policy, or for a
    /// namespaced one that leaves it to `kubectl apply -n`).
    pub namespace: Option<String>,
    /// Whether the policy is cluster-wide (Cilium clusterwide, Calico global).
    pub cluster_wide: bool,
    /// `metadata.labels` of the source.
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations` of the source (plus a Cilium `description`).
    pub annotations: BTreeMap<String, String>,
    /// The pods the policy applies to.
    pub subject: Subject,
    /// Ingress, when the policy governs it.
    pub ingress: Option<Rules>,
    /// Egress, when the policy governs it.
    pub egress: Option<Rules>,
    /// Calico's `order` (lower first).
    pub order: Option<f64>,
    /// The source's kind.
    pub source_kind: PolicyKind,
}

/// The pods a policy applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    /// Selector over pod labels.
    pub pods: Selector,
    /// Selector over namespace labels (name as [`NAMESPACE_NAME_KEY`]);
    /// `all()` for a namespaced policy unless it narrows further.
    pub namespaces: Selector,
    /// JSON pointer of the subject selector in the source.
    pub pointer: String,
}

/// One direction of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Whether traffic matching no rule is denied (every engine's default
    /// once a policy governs a direction; Cilium's `enableDefaultDeny` can
    /// turn it off).
    pub default_deny: bool,
    /// The rules, in evaluation order.
    pub rules: Vec<Rule>,
}

/// A rule's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Action {
    /// Allow matching traffic.
    Allow,
    /// Deny matching traffic.
    Deny,
    /// Calico: skip the rest of the tier.
    Pass,
    /// Calico: log and go on.
    Log,
}

/// One rule: traffic to/from any of `peers` on any of `ports`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// What to do with matching traffic.
    pub action: Action,
    /// The peers (ORed); empty matches every peer.
    pub peers: Vec<Peer>,
    /// The ports (ORed); empty matches all traffic.
    pub ports: Vec<PortMatch>,
    /// JSON pointer of the rule in the source.
    pub pointer: String,
}

/// The other end of the traffic.
#[derive(Debug, Clone, PartialEq)]
pub enum Peer {
    /// Pods selected by labels, in some namespaces.
    Endpoints {
        /// Selector over pod labels.
        pods: Selector,
        /// Which namespaces.
        namespaces: NamespaceScope,
        /// Service account names (ORed); empty means any.
        service_accounts: Vec<String>,
        /// JSON pointer in the source.
        pointer: String,
    },
    /// Addresses in a CIDR, minus exceptions.
    Cidr {
        /// The block.
        cidr: String,
        /// Sub-blocks excluded.
        except: Vec<String>,
        /// JSON pointer in the source.
        pointer: String,
    },
    /// A Cilium entity.
    Entity {
        /// Which one (`world`, `cluster`, `host`, …, as Cilium spells it).
        entity: String,
        /// JSON pointer in the source.
        pointer: String,
    },
    /// A DNS name.
    Fqdn {
        /// Literal name or pattern.
        name: FqdnMatch,
        /// JSON pointer in the source.
        pointer: String,
    },
}

impl Peer {
    /// The peer's JSON pointer in the source.
    pub fn pointer(&self) -> &str {
        match self {
            Peer::Endpoints { pointer, .. }
            | Peer::Cidr { pointer, .. }
            | Peer::Entity { pointer, .. }
            | Peer::Fqdn { pointer, .. } => pointer,
        }
    }
}

/// A DNS name match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FqdnMatch {
    /// `matchName`.
    Name(String),
    /// `matchPattern`.
    Pattern(String),
}

/// Which namespaces an endpoint peer may be in.
#[derive(Debug, Clone, PartialEq)]
pub enum NamespaceScope {
    /// The policy's own namespace.
    Policy,
    /// Namespaces whose labels match (`all()`: every namespace).
    Selector(Selector),
}

/// A protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
    /// Any of TCP, UDP, SCTP (Cilium's `ANY` with a port).
    AnyL4,
    /// ICMP (v4) or ICMPv6, optionally one type and code.
    Icmp {
        /// ICMPv6.
        v6: bool,
        /// The type.
        icmp_type: Option<u8>,
        /// The code.
        code: Option<u8>,
    },
    /// Another IP protocol by number.
    Other(u8),
}

/// A port (number or container port name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortRef {
    /// A number.
    Number(u16),
    /// A named container port.
    Name(String),
}

/// Traffic of one protocol, optionally to a port or port range.
#[derive(Debug, Clone, PartialEq)]
pub struct PortMatch {
    /// The protocol.
    pub protocol: Protocol,
    /// The destination port; `None`: every port.
    pub port: Option<PortRef>,
    /// Inclusive end of a range starting at `port`.
    pub end_port: Option<u16>,
    /// JSON pointer in the source.
    pub pointer: String,
}

/// The result of a conversion.
#[derive(Debug, Clone)]
pub struct Conversion {
    /// The converted policies (one source may become several).
    pub policies: Vec<Policy>,
    /// What could not be expressed.
    pub losses: Vec<Loss>,
}

/// Whether a kind is a network policy this module converts.
pub fn is_convertible(kind: PolicyKind) -> bool {
    matches!(
        kind.engine(),
        Engine::Kubernetes | Engine::Cilium | Engine::Calico
    )
}

/// Reads a network policy into the IR. A Cilium policy with `specs` becomes
/// one IR policy per spec. The losses are features no other engine has.
pub fn from_policy(policy: &Policy) -> Result<(Vec<NetPolicy>, Vec<Loss>), ConvertError> {
    check_metadata(policy)?;
    let mut losses = Vec::new();
    let out = match policy {
        Policy::NetworkPolicy(p) => vec![kubernetes::read(p, &mut losses)?],
        Policy::CiliumNetworkPolicy(p) => cilium::read(
            PolicyKind::CiliumNetworkPolicy,
            &p.metadata,
            p.spec.as_ref(),
            p.specs.as_deref(),
            &mut losses,
        )?,
        Policy::CiliumClusterwideNetworkPolicy(p) => cilium::read(
            PolicyKind::CiliumClusterwideNetworkPolicy,
            &p.metadata,
            p.spec.as_ref(),
            p.specs.as_deref(),
            &mut losses,
        )?,
        Policy::CalicoNetworkPolicy(_)
        | Policy::CalicoGlobalNetworkPolicy(_)
        | Policy::CalicoStagedNetworkPolicy(_)
        | Policy::CalicoStagedGlobalNetworkPolicy(_)
        | Policy::CalicoStagedKubernetesNetworkPolicy(_) => {
            vec![calico::read(policy, &mut losses)?]
        }
        other => {
            return Err(ConvertError::NotNetworkPolicy {
                kind: other.kind().kind().to_string(),
            });
        }
    };
    Ok((out, losses))
}

/// Writes IR policies for `target`.
pub fn to_engine(policies: &[NetPolicy], target: Engine) -> Result<Conversion, ConvertError> {
    let mut losses = Vec::new();
    let mut out = Vec::new();
    for p in policies {
        let values = match target {
            Engine::Kubernetes => kubernetes::write(p, &mut losses)?,
            Engine::Cilium => cilium::write(p, &mut losses)?,
            Engine::Calico => calico::write(p, &mut losses)?,
            other => {
                return Err(ConvertError::Inexpressible {
                    target: other,
                    pointer: String::new(),
                    reason: "conversion targets Kubernetes, Cilium or Calico".into(),
                });
            }
        };
        for v in values {
            let kind = Policy::kind_of(&v).map_err(|e| ConvertError::Model {
                kind: target.name().into(),
                message: e.to_string(),
            })?;
            out.push(
                Policy::from_value_as(kind, v).map_err(|e| ConvertError::Model {
                    kind: kind.kind().into(),
                    message: e.to_string(),
                })?,
            );
        }
    }
    Ok(Conversion {
        policies: out,
        losses,
    })
}

/// Converts a network policy to `target`. With `strict`, any loss is an
/// error ([`ConvertError::Strict`]).
pub fn convert(policy: &Policy, target: Engine, strict: bool) -> Result<Conversion, ConvertError> {
    if !is_convertible(policy.kind()) {
        return Err(ConvertError::NotNetworkPolicy {
            kind: policy.kind().kind().to_string(),
        });
    }
    if policy.engine() == target {
        return Ok(Conversion {
            policies: vec![policy.clone()],
            losses: Vec::new(),
        });
    }
    let (ir, mut losses) = from_policy(policy)?;
    let mut conv = to_engine(&ir, target)?;
    losses.append(&mut conv.losses);
    if strict && !losses.is_empty() {
        return Err(ConvertError::Strict {
            target,
            count: losses.len(),
            losses,
        });
    }
    conv.losses = losses;
    Ok(conv)
}

// ---------------------------------------------------------------- helpers

fn dns_label(s: &str) -> bool {
    dns_part(s, 63)
}

/// Lowercase letters, digits and inner '-', 1 to `max` characters.
fn dns_part(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Names every target accepts: Calico's own checks are laxer than the API
/// server's, so a Calico name may not be a valid name elsewhere.
fn check_metadata(policy: &Policy) -> Result<(), ConvertError> {
    let m = policy.metadata();
    if let Some(n) = &m.name
        && !(n.len() <= 253 && n.split('.').all(|l| dns_part(l, 253)))
    {
        return Err(ConvertError::Invalid {
            pointer: "/metadata/name".into(),
            message: format!(
                "{n:?} is not a DNS-1123 subdomain, which the target kinds require (a template placeholder?)"
            ),
        });
    }
    if let Some(n) = &m.namespace
        && !dns_label(n)
    {
        return Err(ConvertError::Invalid {
            pointer: "/metadata/namespace".into(),
            message: format!("{n:?} is not a valid namespace name (a template placeholder?)"),
        });
    }
    Ok(())
}

/// `base-i` for the i-th of several outputs, kept a valid object name.
pub(crate) fn nth_name(base: &str, i: usize, n: usize) -> String {
    if n <= 1 {
        return base.to_string();
    }
    let suffix = format!("-{}", i + 1);
    let mut b = base.to_string();
    b.truncate(253 - suffix.len());
    format!("{}{suffix}", b.trim_end_matches(['-', '.']))
}

/// The protocol number of a protocol name, as Calico accepts them.
pub(crate) fn protocol_from_name(name: &str) -> Option<Protocol> {
    Some(match name.to_ascii_uppercase().as_str() {
        "TCP" => Protocol::Tcp,
        "UDP" => Protocol::Udp,
        "SCTP" => Protocol::Sctp,
        "ANY" => Protocol::AnyL4,
        "ICMP" => Protocol::Icmp {
            v6: false,
            icmp_type: None,
            code: None,
        },
        "ICMPV6" => Protocol::Icmp {
            v6: true,
            icmp_type: None,
            code: None,
        },
        "UDPLITE" => Protocol::Other(136),
        _ => return None,
    })
}

pub(crate) fn protocol_from_number(n: i32) -> Option<Protocol> {
    Some(match n {
        6 => Protocol::Tcp,
        17 => Protocol::Udp,
        132 => Protocol::Sctp,
        1 => Protocol::Icmp {
            v6: false,
            icmp_type: None,
            code: None,
        },
        58 => Protocol::Icmp {
            v6: true,
            icmp_type: None,
            code: None,
        },
        2..=255 => Protocol::Other(n as u8),
        _ => return None,
    })
}

/// Parses a port: a number (`0` = every port), `a-b`/`a:b` handled by callers, or a name.
pub(crate) fn port_ref(s: &str) -> Option<PortRef> {
    match s.parse::<u32>() {
        Ok(0) => None,
        Ok(n) => u16::try_from(n).ok().map(PortRef::Number),
        Err(_) => Some(PortRef::Name(s.to_string())),
    }
}

/// ICMP type names Cilium accepts, with their numbers (`v6`, name, number).
pub(crate) const ICMP_TYPES: &[(bool, &str, u8)] = &[
    (false, "EchoReply", 0),
    (false, "DestinationUnreachable", 3),
    (false, "Redirect", 5),
    (false, "Echo", 8),
    (false, "EchoRequest", 8),
    (false, "RouterAdvertisement", 9),
    (false, "RouterSelection", 10),
    (false, "TimeExceeded", 11),
    (false, "ParameterProblem", 12),
    (false, "Timestamp", 13),
    (false, "TimestampReply", 14),
    (false, "Photuris", 40),
    (false, "ExtendedEchoRequest", 42),
    (false, "ExtendedEcho Reply", 43),
    (true, "DestinationUnreachable", 1),
    (true, "PacketTooBig", 2),
    (true, "TimeExceeded", 3),
    (true, "ParameterProblem", 4),
    (true, "EchoRequest", 128),
    (true, "EchoReply", 129),
    (true, "MulticastListenerQuery", 130),
    (true, "MulticastListenerReport", 131),
    (true, "MulticastListenerDone", 132),
    (true, "RouterSolicitation", 133),
    (true, "RouterAdvertisement", 134),
    (true, "NeighborSolicitation", 135),
    (true, "NeighborAdvertisement", 136),
    (true, "RedirectMessage", 137),
    (true, "RouterRenumbering", 138),
    (true, "ICMPNodeInformationQuery", 139),
    (true, "ICMPNodeInformationResponse", 140),
    (true, "InverseNeighborDiscoverySolicitation", 141),
    (true, "InverseNeighborDiscoveryAdvertisement", 142),
    (true, "HomeAgentAddressDiscoveryRequest", 144),
    (true, "HomeAgentAddressDiscoveryReply", 145),
    (true, "MobilePrefixSolicitation", 146),
    (true, "MobilePrefixAdvertisement", 147),
    (true, "DuplicateAddressRequestCodeSuffix", 157),
    (true, "DuplicateAddressConfirmationCodeSuffix", 158),
];

/// Splits a conjunction of label requirements into the pod part and the
/// namespace part, given how namespace requirements are recognised.
pub(crate) fn split_namespace_terms(
    ls: &LabelSelector,
    ns_key: impl Fn(&str) -> Option<String>,
) -> (LabelSelector, LabelSelector) {
    let mut pods = LabelSelector::default();
    let mut nss = LabelSelector::default();
    for (k, v) in &ls.match_labels {
        match ns_key(k) {
            Some(nk) => {
                nss.match_labels.insert(nk, v.clone());
            }
            None => {
                pods.match_labels.insert(k.clone(), v.clone());
            }
        }
    }
    for r in &ls.match_expressions {
        let rename = |k: String| match r {
            Requirement::In(_, v) => Requirement::In(k, v.clone()),
            Requirement::NotIn(_, v) => Requirement::NotIn(k, v.clone()),
            Requirement::Exists(_) => Requirement::Exists(k),
            Requirement::DoesNotExist(_) => Requirement::DoesNotExist(k),
        };
        match ns_key(r.key()) {
            Some(nk) => nss.match_expressions.push(rename(nk)),
            None => pods.match_expressions.push(r.clone()),
        }
    }
    (pods, nss)
}

/// The namespace names a namespace selector pins, when it is `name == a || name == b …`.
pub(crate) fn named_namespaces(sel: &Selector) -> Option<Vec<String>> {
    match sel {
        Selector::Eq(k, v) if k == NAMESPACE_NAME_KEY => Some(vec![v.clone()]),
        Selector::In(k, vs) if k == NAMESPACE_NAME_KEY => Some(vs.iter().cloned().collect()),
        Selector::Or(v) => {
            let mut out = Vec::new();
            for e in v {
                out.extend(named_namespaces(e)?);
            }
            out.sort();
            out.dedup();
            Some(out)
        }
        _ => None,
    }
}

/// A parsed CIDR: address bits (IPv4 in the low 32), prefix length, family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    pub bits: u128,
    pub prefix: u8,
    pub v6: bool,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let ip: std::net::IpAddr = addr.parse().ok()?;
        let (bits, max, v6) = match ip {
            std::net::IpAddr::V4(a) => (u128::from(u32::from(a)), 32, false),
            std::net::IpAddr::V6(a) => (u128::from(a), 128, true),
        };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { bits, prefix, v6 })
    }

    fn width(&self) -> u8 {
        if self.v6 { 128 } else { 32 }
    }

    fn mask(&self, prefix: u8) -> u128 {
        let w = self.width();
        if prefix == 0 {
            0
        } else {
            let all: u128 = if w == 128 {
                u128::MAX
            } else {
                (1u128 << w) - 1
            };
            all & !((1u128 << (w - prefix)) - 1) & all
        }
    }

    /// Whether `other` lies inside `self`.
    pub fn contains(&self, other: &Cidr) -> bool {
        self.v6 == other.v6
            && other.prefix >= self.prefix
            && (self.bits & self.mask(self.prefix)) == (other.bits & self.mask(self.prefix))
    }
}

#[cfg(test)]
mod tests;
