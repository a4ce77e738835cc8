//! Turning what was read into the [`Intent`]: entities in order, defaults
//! and assumptions, and what is still missing.

use super::*;

impl<'a> Parser<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn ent_sorted(
        &mut self,
        k1: EntityKind,
        s1: usize,
        e1: usize,
        k2: EntityKind,
        s2: usize,
        e2: usize,
    ) {
        if s1 <= s2 {
            self.ent(k1, s1, e1);
            self.ent(k2, s2, e2);
        } else {
            self.ent(k2, s2, e2);
            self.ent(k1, s1, e1);
        }
    }

    pub(super) fn finish(
        mut self,
        mut a: Acc,
        resolver: Option<&mut dyn PodResolver>,
    ) -> Result<ParsedIntent, IntentParseError> {
        // Engine.
        let mut engine: Option<(Engine, String)> = None;
        for (e, w) in &a.engines {
            match &engine {
                Some((x, xw)) if x != e => {
                    return Err(IntentParseError::AmbiguousEngine(xw.clone(), w.clone()));
                }
                Some(_) => {}
                None => engine = Some((*e, w.clone())),
            }
        }
        if engine.is_none() {
            engine = a.weak_engine.take();
        }
        let engine = engine.map(|(e, _)| e);
        // Action.
        let action = match (&a.allow, &a.block, &a.audit) {
            (Some(_), Some(_), _) if a.negated_allow => Action::Block,
            (Some(_), Some(_), _) if a.except => Action::Allow,
            (Some(x), Some(y), _) => {
                return Err(IntentParseError::AmbiguousAction(x.clone(), y.clone()));
            }
            (Some(_), None, Some(_)) => Action::Audit,
            (Some(_), None, None) => Action::Allow,
            (None, Some(_), Some(_)) => {
                self.assume.push(
                    "block and audit both named: blocking (blocked events are logged)".into(),
                );
                Action::Block
            }
            (None, Some(_), None) => Action::Block,
            (None, None, Some(_)) => Action::Audit,
            (None, None, None) if a.except || a.only => {
                self.assume.push("\"only\" read as an allow-list".into());
                Action::Allow
            }
            (None, None, None) if a.read_only_word => {
                self.assume
                    .push("\"read-only\" read as: block writes, reads stay allowed".into());
                Action::Block
            }
            (None, None, None) => {
                return Err(IntentParseError::Missing(missing_fields(
                    &self, &a, true, false,
                )));
            }
        };
        // Domain.
        let net_engine = matches!(
            engine,
            Some(Engine::Cilium | Engine::Calico | Engine::Kubernetes)
        );
        let cued_groups = self.groups.iter().filter(|c| **c != Cue::None).count();
        let exec_paths = a.exec_verb && !a.file_verb;
        let domain = if !a.caps.is_empty() {
            Some(Domain::Capability)
        } else if !a.syscalls.is_empty() {
            Some(Domain::Syscall)
        } else if !a.ports.is_empty()
            || !a.cidrs.is_empty()
            || !a.fqdns.is_empty()
            || a.dir_explicit.is_some()
            || a.proto_seen
            || net_engine
        {
            Some(Domain::Network)
        } else if !a.paths.is_empty() || !a.dirs.is_empty() {
            Some(if exec_paths || !a.binaries.is_empty() && !a.file_verb {
                Domain::Process
            } else {
                Domain::File
            })
        } else if !a.binaries.is_empty() {
            Some(Domain::Process)
        } else if self.groups.len() >= 2 && cued_groups > 0 {
            Some(Domain::Network)
        } else {
            a.domain_word
        };
        let Some(domain) = domain else {
            return Err(IntentParseError::Missing(missing_fields(
                &self, &a, false, true,
            )));
        };
        if domain == Domain::Process && !a.paths.is_empty() {
            // "allow only /bin/a and /bin/b to run": the paths are the executables.
            for (p, ent) in std::mem::take(&mut a.paths) {
                if let Some(e) = self.ents.get_mut(ent) {
                    e.kind = EntityKind::Binary;
                }
                push_uniq(&mut a.binaries, p);
            }
        }
        if a.proto_global == Some(Protocol::Icmp) && a.ports.is_empty() {
            return Err(IntentParseError::Unsupported(
                "a protocol without ports (ICMP): an intent's ports carry the protocol; name the traffic by ports, peers or CIDRs".into(),
            ));
        }
        if let Some(p) = a.proto_global {
            for port in &mut a.ports {
                if port.protocol == Protocol::Tcp && p != Protocol::Icmp {
                    port.protocol = p;
                }
            }
        }
        // Domain words that describe something else ("processes in app=x must not call ptrace").
        self.ents.retain(|e| {
            e.kind != EntityKind::Domain || domain_of_word(&e.text.to_lowercase()) == Some(domain)
        });
        // Who is the subject and who the peers.
        let groups: Vec<Cue> = self.groups.clone();
        let network = domain == Domain::Network;
        let subject = if network && groups.len() >= 2 {
            let pick = |f: &dyn Fn(Cue) -> bool| groups.iter().position(|c| f(*c));
            match a.dir_explicit {
                Some(Direction::Ingress) => pick(&|c| c != Cue::From),
                Some(Direction::Egress) => pick(&|c| c != Cue::To),
                _ => pick(&|c| c == Cue::None).or_else(|| pick(&|c| c == Cue::To)),
            }
            .unwrap_or(0)
        } else {
            0
        };
        let is_subject = |g: usize| !network || groups.len() < 2 || g == subject;
        let mut ns: Option<String> = None;
        let mut labels: BTreeMap<String, String> = BTreeMap::new();
        let mut pods: Vec<String> = Vec::new();
        let mut peers: Vec<(usize, PeerSelector, Vec<String>)> = Vec::new();
        for m in self.mentions.clone() {
            let subj = is_subject(m.group);
            let kind = match (&m.who, subj) {
                (Who::Label(..), true) => EntityKind::Label,
                (Who::Label(..), false) => EntityKind::PeerLabel,
                (Who::Ns(_), true) => EntityKind::Namespace,
                (Who::Ns(_), false) => EntityKind::PeerNamespace,
                (Who::Pod(_), _) => EntityKind::PodName,
            };
            self.ents.push(Entity {
                kind,
                text: self.text[m.start..m.end].to_string(),
                start: m.start,
                end: m.end,
            });
            if subj {
                match m.who {
                    Who::Label(k, v) => {
                        if let Some(old) = labels.get(&k).filter(|o| **o != v) {
                            return Err(IntentParseError::Ambiguous(format!(
                                "label {k} is given twice ({k}={old}, {k}={v}); a selector carries one value per key"
                            )));
                        }
                        labels.insert(k, v);
                    }
                    Who::Ns(x) => match &ns {
                        Some(old) if *old != x => {
                            return Err(IntentParseError::Ambiguous(format!(
                                "two namespaces for the selected workloads ({old}, {x}); name one, or use one intent per namespace"
                            )));
                        }
                        _ => ns = Some(x),
                    },
                    Who::Pod(p) => push_uniq(&mut pods, p),
                }
            } else {
                let slot = match peers.iter().position(|(g, _, _)| *g == m.group) {
                    Some(ix) => ix,
                    None => {
                        peers.push((m.group, PeerSelector::default(), Vec::new()));
                        peers.len() - 1
                    }
                };
                let (_, p, ppods) = &mut peers[slot];
                match m.who {
                    Who::Label(k, v) => {
                        p.labels.insert(k, v);
                    }
                    Who::Ns(x) => p.namespace = Some(x),
                    Who::Pod(x) => ppods.push(x),
                }
            }
        }
        // Direction.
        let direction = if network {
            let from_groups = if groups.len() >= 2 {
                groups
                    .iter()
                    .enumerate()
                    .find(|(g, _)| *g != subject)
                    .and_then(|(_, c)| match c {
                        Cue::From => Some(Direction::Ingress),
                        Cue::To => Some(Direction::Egress),
                        Cue::None => None,
                    })
            } else {
                match groups.first() {
                    Some(Cue::From) => Some(Direction::Egress),
                    Some(Cue::To) => Some(Direction::Ingress),
                    _ => None,
                }
            };
            Some(
                a.dir_explicit
                    .or(from_groups)
                    .or(a.dir_implied)
                    .unwrap_or_else(|| {
                        self.assume.push("no direction given: ingress".into());
                        Direction::Ingress
                    }),
            )
        } else {
            None
        };
        // Pods → labels.
        if let Some(r) = resolver {
            for p in std::mem::take(&mut pods) {
                let l = resolve_pod(r, ns.as_deref(), &p)?;
                if ns.is_none() {
                    ns = Some(l.namespace.clone());
                    self.assume.push(format!(
                        "namespace {} taken from pod {p}'s {} {}",
                        l.namespace, l.kind, l.name
                    ));
                }
                self.assume.push(format!(
                    "pod {p} resolved to the labels of {} {}/{}",
                    l.kind, l.namespace, l.name
                ));
                labels.extend(l.labels);
            }
            for (_, peer, ppods) in &mut peers {
                for p in std::mem::take(ppods) {
                    let l = resolve_pod(r, peer.namespace.as_deref().or(ns.as_deref()), &p)?;
                    peer.labels.extend(l.labels);
                }
            }
        }
        if let Some((_, _, ppods)) = peers.iter().find(|(_, _, p)| !p.is_empty()) {
            return Err(IntentParseError::Missing(vec![format!(
                "labels of peer pod {}: name its labels (e.g. `app=web`) or resolve pod names through an event store",
                ppods[0]
            )]));
        }
        if ns.is_none() && labels.is_empty() && pods.is_empty() && a.selector.is_empty() {
            return Err(IntentParseError::Missing(vec![
                "scope: name the workloads' namespace and labels, e.g. `app=nginx in namespace shop`, or a pod".to_string(),
            ]));
        }
        if ns.is_none() {
            self.assume
                .push("no namespace: cluster-wide where the engine allows it".into());
        }
        let read_only = domain == Domain::File
            && (a.read_only_word
                || a.reads && !a.writes && action != Action::Block
                || a.writes && !a.reads && action == Action::Block);
        let recursive = !a.dirs.is_empty() && !a.non_recursive;
        let intent = Intent {
            version: None,
            deny: None,
            engine,
            scope: Scope {
                namespace: ns,
                labels,
                selector: (!a.selector.is_empty()).then(|| a.selector.join(", ")),
                pod_names: pods,
                ..Scope::default()
            },
            domain,
            action,
            direction,
            resources: Resources {
                paths: a.paths.into_iter().map(|(p, _)| p).collect(),
                dirs: a.dirs,
                recursive,
                read_only,
                binaries: a.binaries,
                ports: a.ports,
                cidrs: a.cidrs,
                peers: peers.into_iter().map(|(_, p, _)| p).collect(),
                fqdns: a.fqdns,
                syscalls: a.syscalls,
                capabilities: a.caps,
                ..Resources::default()
            },
            rationale: None,
        };
        self.ents.sort_by_key(|e| (e.start, e.end));
        Ok(ParsedIntent {
            intent,
            entities: self.ents,
            assumptions: self.assume,
        })
    }
}

/// What a text without an action or a domain still needs.
pub(super) fn missing_fields(
    p: &Parser<'_>,
    a: &Acc,
    no_action: bool,
    no_domain: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    if p.mentions.is_empty() && a.selector.is_empty() {
        out.push(
            "scope: name the workloads' namespace and labels, e.g. `app=nginx in namespace shop`, or a pod"
                .to_string(),
        );
    }
    let no_action = no_action
        || a.allow.is_none() && a.block.is_none() && a.audit.is_none() && !a.only && !a.except;
    if no_action {
        out.push("action: say allow (or only …), audit or block".to_string());
    }
    let no_domain = no_domain
        || a.paths.is_empty()
            && a.dirs.is_empty()
            && a.binaries.is_empty()
            && a.ports.is_empty()
            && a.cidrs.is_empty()
            && a.fqdns.is_empty()
            && a.syscalls.is_empty()
            && a.caps.is_empty()
            && a.dir_explicit.is_none()
            && a.domain_word.is_none();
    if no_domain {
        out.push("what to govern: name paths, binaries, ports, peers, CIDRs, FQDNs, syscalls or capabilities".to_string());
    }
    out
}
