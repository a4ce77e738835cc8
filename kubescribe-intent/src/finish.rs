//! Turning what was read into the [`Intent`]: entities in order, defaults
//! and assumptions, and what is still missing.

use super::*;
use kubescribe_core::intent::IntentGap;

use super::missing::{empty_exception, missing_fields, unnamed_values, vague_peer};
use super::numbers::ports_and_protocols;
use super::sides::merged_peers;

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

    /// Whether namespace `x` was only guessed from a bare "in X".
    fn guessed_ns(&self, x: &str) -> bool {
        let tail = format!("read as namespace {x}");
        self.assume.iter().any(|s| s.ends_with(&tail))
    }

    pub(super) fn finish(
        mut self,
        mut a: Acc,
        deny: Option<Acc>,
        resolver: Option<&mut dyn PodResolver>,
    ) -> Result<ParsedIntent, IntentParseError> {
        let deny = super::exceptions::catch_all_addresses(&mut a, deny);
        // Cluster-wide where no namespace is named, once the pods are said
        // (labels, a selector or "all pods"): the kind alone says where the
        // policy lives, not which pods it selects.
        if a.wide_unless_ns
            && !self.mentions.iter().any(|m| matches!(m.who, Who::Ns(_)))
            && (a.all_pods_word
                || !a.selector.is_empty()
                || self
                    .mentions
                    .iter()
                    .any(|m| matches!(m.who, Who::Label(..) | Who::Pod(_))))
        {
            a.cluster_wide_word = true;
        }
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
        let mut weak = false;
        if engine.is_none() {
            engine = a.weak_engine.take();
            weak = engine.is_some();
        }
        let mut engine = engine.map(|(e, _)| e);
        if a.dangling_it {
            return Err(IntentParseError::Missing(vec![format!(
                "{} (\"it\" refers to no workload named before it)",
                kubescribe_core::intent::WHICH_PODS
            )]));
        }
        // Action. An alert tag is the action only when nothing else is.
        if a.allow.is_none()
            && a.block.is_none()
            && a.audit.is_none()
            && !(a.modal_allow || a.only || a.except)
        {
            a.audit = a.audit_tag.take();
        }
        // A participle that describes a noun is the action only when nothing
        // else is ("the allowed ports are 80 and 443 for app=x").
        if a.allow.is_none()
            && a.block.is_none()
            && a.audit.is_none()
            && let Some((act, w)) = a.adjective_action.take()
        {
            if w.to_lowercase().starts_with("isolat") {
                a.isolate = true;
                a.all_word = true;
            }
            match act {
                Action::Allow => a.allow = Some(w),
                Action::Block => a.block = Some(w),
                Action::Audit => a.audit = Some(w),
            }
        }
        // "lock down redis … allow: app=cart on 6379", "isolate app=db but
        // allow app=api": a word for shutting a workload in, beside an
        // allow, is the allow-list's posture (in the allow's direction).
        // "protect the database pod by allowing only the API pod": how it is
        // protected is the allow-list.
        let shuts_in = a.isolate
            || a.block.as_deref().is_some_and(|b| {
                let b = b.to_lowercase();
                b.starts_with("lock")
                    || b.starts_with("isolat")
                    || b.starts_with("protect")
                    || b.starts_with("shield")
            });
        let commanded = self.commanded_action();
        let action = match (&a.allow, &a.block, &a.audit) {
            (Some(_), Some(_), _) if a.negated_allow && !a.deny_others => Action::Block,
            (Some(_), Some(_), _) if a.except => Action::Allow,
            // "drop ALL capabilities and allow only NET_BIND_SERVICE": the
            // allow-list of what is added back.
            (Some(_), Some(_), None)
                if a.all_word
                    && !a.caps.is_empty()
                    && a.paths.is_empty()
                    && a.binaries.is_empty()
                    && a.ports.is_empty()
                    && a.syscalls.is_empty() =>
            {
                a.only = true;
                a.all_word = false;
                Action::Allow
            }
            // "default deny ingress for app=db, allow app=api on 5432": the
            // default deny is the allow-list's posture, not a second action
            // (nothing is allowed wholesale: the deny's "all" goes).
            (Some(_), Some(_), _)
                if (a.default_deny || a.deny_all_first || a.deny_others || shuts_in)
                    && a.audit.is_none() =>
            {
                self.assume.push(
                    "a deny of everything (a default deny, \"deny all\", \"deny the rest\", a lock-down) beside an allow read as an allow-list: what is allowed, and nothing else".into(),
                );
                a.only = true;
                a.all_word = false;
                Action::Allow
            }
            // "Most runtimes grant NET_RAW by default to allow ping …: drop it
            // for app=x": the one action said as a command decides.
            (Some(_), Some(_), None) if let Some(act) = commanded => act,
            (Some(x), Some(y), _) => {
                // "block dangerous syscalls that could allow …" with none
                // named: what is missing comes first (the contradiction may
                // be prose around an ask that names nothing).
                let gaps = missing_fields(&self, &a, false, false);
                if !gaps.is_empty() {
                    let mut gaps = gaps;
                    gaps.push(format!("and one action: the text says both {x} and {y}"));
                    return Err(IntentParseError::Missing(gaps));
                }
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
            // "isolate namespace pg, but pods in it can talk to each other":
            // a permission said with "can"/"may" beside a shut-in is the
            // allow-list's exception too.
            (None, Some(_), None)
                if a.modal_allow
                    // "…, non-NRM systems cannot connect": the negation is
                    // about everyone else.
                    && (!a.negated_allow || a.deny_others)
                    && (a.default_deny || a.deny_all_first || a.deny_others || shuts_in) =>
            {
                self.assume.push(
                    "a deny of everything beside what \"can\"/\"may\" happen read as an allow-list: what is allowed, and nothing else".into(),
                );
                a.only = true;
                a.all_word = false;
                Action::Allow
            }
            // "… cannot reach the network: its only egress is to the proxy":
            // the deny of everything is the posture of the "only" list.
            (None, Some(_), None) if a.only && a.deny_all_first => {
                self.assume.push(
                    "a deny of everything beside an \"only\" list read as an allow-list: what is listed, and nothing else".into(),
                );
                a.all_word = false;
                Action::Allow
            }
            (None, Some(_), None) if self.granted_caps(&a) => {
                a.only = true;
                Action::Allow
            }
            // "deny access to /vault/ unless it is /bin/vault doing it".
            (None, Some(_), None) if a.excepted_sources => {
                self.assume.push(
                    "\"deny … except by X\" read as: only X may access the files (an allow-list)"
                        .into(),
                );
                a.only = true;
                Action::Allow
            }
            (None, Some(_), None) => Action::Block,
            (None, None, Some(_)) => Action::Audit,
            (None, None, None) if a.read_only_state => {
                self.assume
                    .push("\"read-only\" read as: block writes, reads stay allowed".into());
                Action::Block
            }
            (None, None, None) if a.modal_allow && !a.negated_allow => {
                self.assume
                    .push("\"may\"/\"can\" read as permission: an allow-list".into());
                Action::Allow
            }
            (None, None, None) if a.except || a.only => {
                self.assume.push("\"only\" read as an allow-list".into());
                Action::Allow
            }
            (None, None, None) if a.adds_rule => {
                self.assume.push(
                    "\"add … rules\" read as allowing what the rules name (a network policy's rules allow)"
                        .into(),
                );
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
        // "Kubernetes"/"k8s" alone ("in the k8s environment") picks the
        // network domain only when no files or executables are named.
        let names_host_things = !(a.paths.is_empty() && a.dirs.is_empty() && a.binaries.is_empty());
        let net_engine = matches!(engine, Some(Engine::Cilium | Engine::Calico))
            || engine == Some(Engine::Kubernetes) && !(weak && names_host_things);
        let cued_groups = self.groups.iter().filter(|c| **c != Cue::None).count();
        if a.binaries.is_empty()
            && a.paths.is_empty()
            && a.dirs.is_empty()
            && !a.listed.is_empty()
            && (a.domain_word.is_none() || a.domain_word == Some(Domain::Process))
            && a.ports.is_empty()
            && a.protos.is_empty()
        {
            for b in std::mem::take(&mut a.listed) {
                self.assume
                    .push(format!("{b} taken from the list of programs"));
                push_uniq(&mut a.binaries, b);
            }
        } else {
            // A gloss ("ICMP (ping)"): its entities are not resources.
            let listed = std::mem::take(&mut a.listed);
            self.ents.retain(|e| {
                !(e.kind == EntityKind::Binary
                    && listed.iter().any(|b| b.ends_with(&format!("/{}", e.text))))
            });
        }
        // Executables named without a file verb ("block /bin/sleep", "audit
        // /usr/sbin/useradd"), or called executables: process execution.
        let bare_execs =
            !a.file_verb && !a.paths.is_empty() && a.paths.iter().all(|(p, _)| exec_looking(p));
        let exec_paths = a.exec_verb && !a.file_verb
            || bare_execs
            || a.domain_word == Some(Domain::Process) && !a.file_verb;
        let domain = if !a.caps.is_empty() {
            Some(Domain::Capability)
        } else if !a.syscalls.is_empty() {
            Some(Domain::Syscall)
        } else if !a.ports.is_empty()
            || !a.cidrs.is_empty()
            || !a.fqdns.is_empty()
            // "reads /etc/shadow … or the token … to authenticate to the API
            // server": beside files that are read or written, an entity alone
            // is prose.
            || !a.entities.is_empty() && !(a.file_verb && !(a.paths.is_empty() && a.dirs.is_empty()))
            || !a.named_ports.is_empty()
            // A service named beside files or executables is not traffic
            // ("access to elasticsearch indices: audit /usr/share/…").
            || !a.services.is_empty()
                && a.paths.is_empty()
                && a.dirs.is_empty()
                && a.binaries.is_empty()
            || a.dir_explicit.is_some()
            || a.proto_seen
            // "lock down the root filesystem … /etc/ssl/private/": a
            // lock-down of named files is no network isolation.
            || (a.isolate || a.default_deny) && !names_host_things
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
        } else if a.file_verb && !a.exec_verb && a.domain_word == Some(Domain::Process) {
            // "kill processes that read sensitive files": files are what is governed.
            Some(Domain::File)
        } else {
            // ("may only reach the approved providers": traffic, its peer
            // unnamed — asked for below.)
            a.domain_word
                .or(a.vague_peer.as_ref().map(|_| Domain::Network))
        };
        let Some(domain) = domain else {
            return Err(IntentParseError::Missing(missing_fields(
                &self, &a, false, true,
            )));
        };
        if weak && domain != Domain::Network {
            // The word named the platform, not a policy kind.
            engine = None;
        }
        self.set_context_aside(&mut a, domain);
        // An executable that acts is not also one that is run.
        a.binaries.retain(|b| !a.sources.contains(b));
        if domain == Domain::File {
            self.file_sources(&mut a, action);
        }
        if domain == Domain::Capability {
            // "block setuid and setgid capabilities": capability names, not syscalls.
            for sc in std::mem::take(&mut a.syscalls) {
                if CAPABILITIES.contains(&sc.as_str()) {
                    push_uniq(&mut a.caps, sc);
                } else {
                    a.syscalls.push(sc);
                }
            }
        }
        if domain == Domain::Process && !a.paths.is_empty() {
            // "allow only /bin/a and /bin/b to run": the paths are the executables.
            for (p, ent) in std::mem::take(&mut a.paths) {
                if let Some(e) = self.ents.get_mut(ent) {
                    e.kind = EntityKind::Binary;
                }
                push_uniq(&mut a.binaries, p);
            }
        }
        let (ports, protocols) = ports_and_protocols(&a);
        // Values referred to but not given ("the approved destinations").
        // (With the pods, when they are missing too.)
        if let Some(gap) = unnamed_values(&self, &a, domain, &ports) {
            let mut gaps = missing_fields(&self, &a, false, false);
            gaps.retain(|g| {
                g == kubescribe_core::intent::WHICH_PODS && !gap.starts_with("which pods")
            });
            gaps.push(gap);
            return Err(IntentParseError::Missing(gaps));
        }
        // Domain words that describe something else ("processes in app=x must not call ptrace").
        self.ents.retain(|e| {
            e.kind != EntityKind::Domain || domain_of_word(&e.text.to_lowercase()) == Some(domain)
        });
        // Who is the subject and who the peers.
        let groups: Vec<Cue> = self.groups.clone();
        let network = domain == Domain::Network;
        let (subject, flipped) = self.subject_group(&a, network);
        // A later, uncued group that only names a namespace ("… on 5432 in
        // namespace shop") is the subject's namespace, not a peer.
        // The same goes for a group that repeats the subject's labels
        // ("… into the web pods on 8080 (namespace shop, labels app: web)").
        let subject_labels = self.group_labels(subject);
        let ns_only: Vec<usize> = (1..groups.len())
            .filter(|&g| {
                g != subject
                    && groups[g] == Cue::None
                    && self
                        .mentions
                        .iter()
                        .filter(|m| m.group == g)
                        .all(|m| match &m.who {
                            Who::Ns(_) => true,
                            Who::Label(k, v) => subject_labels.contains(&(k.clone(), v.clone())),
                            _ => false,
                        })
            })
            .collect();
        // A group after "to"/"from" that only repeats the subject's labels is
        // the subject ("from app=frontend into the web pods … (labels app: web)").
        let opposite = |c: Cue| match c {
            Cue::From => Cue::To,
            Cue::To => Cue::From,
            Cue::None => Cue::None,
        };
        let repeats_subject = |g: usize| {
            !subject_labels.is_empty()
                // …and another group holds the peers ("from app=frontend").
                && groups[g] != Cue::None
                && (0..groups.len()).any(|h| {
                    h != g
                        && h != subject
                        && groups[h] == opposite(groups[g])
                        // Not a group that only frames a namespace ("from
                        // Prometheus (name=prometheus) to Prometheus in
                        // monitoring": the pods talk to themselves).
                        && self.mentions.iter().any(|m| {
                            m.group == h && !matches!(m.who, Who::Ns(_))
                        })
                })
                && self
                    .mentions
                    .iter()
                    .filter(|m| m.group == g)
                    .all(|m| match &m.who {
                        Who::Label(k, v) => subject_labels.contains(&(k.clone(), v.clone())),
                        _ => false,
                    })
        };
        // "every pod may send DNS to k8s-app=kube-dns": the one group named,
        // after "to"/"from", is a peer when the subject is all pods or the
        // whole cluster.
        let lone_peer = network
            && groups.len() == 1
            && groups[0] != Cue::None
            && (a.all_pods_word && !a.all_pods_cued
                // Cluster-wide, a lone "to"/"from" group is the peer unless the
                // direction says it receives ("all ingress to app=web across
                // the cluster") or sends.
                || a.cluster_wide_word
                    && !(groups[0] == Cue::To && a.dir_explicit == Some(Direction::Ingress))
                    && !(groups[0] == Cue::From && a.dir_explicit == Some(Direction::Egress))
                || groups[0] == Cue::From && a.dir_explicit == Some(Direction::Ingress)
                || groups[0] == Cue::To && a.dir_explicit == Some(Direction::Egress)
                || self
                    .mentions
                    .iter()
                    .all(|m| matches!(m.who, Who::NsLabel(..) | Who::AnyNs)));
        let is_subject = |g: usize| {
            !network
                || (groups.len() < 2 && !lone_peer)
                || g == subject && !lone_peer
                || ns_only.contains(&g)
                || g != subject && groups.len() >= 2 && repeats_subject(g)
        };
        // "color=blue accepts traffic from color=red (namespace default)": a
        // namespace that joined a peer's group without its own from/to is the
        // subject's when the subject names none.
        let subject_has_ns = self
            .mentions
            .iter()
            .any(|m| is_subject(m.group) && matches!(m.who, Who::Ns(_)));
        let mut moved_ns = false;
        // ("to kube-dns (k8s-app=kube-dns, namespace kube-system)": a
        // namespace in the parenthesis that glosses the peer's labels is the
        // peer's own.)
        let glosses_peer = |m: &Mention| {
            let open = self.text[..m.start].rfind('(');
            open.filter(|&o| !self.text[o..m.start].contains(')'))
                .is_some_and(|o| {
                    self.mentions.iter().any(|l| {
                        l.group == m.group
                            && matches!(l.who, Who::Label(..))
                            && l.start > o
                            && l.start < m.start
                    })
                })
        };
        let mentions: Vec<Mention> = self
            .mentions
            .iter()
            .cloned()
            .map(|mut m| {
                if !subject_has_ns
                    && !moved_ns
                    && !a.cluster_wide_word
                    && !is_subject(m.group)
                    && !m.cued
                    && matches!(m.who, Who::Ns(_))
                    && !glosses_peer(&m)
                {
                    moved_ns = true;
                    m.group = subject;
                }
                m
            })
            .collect();
        // Every namespace named for the policy's own pods (for a refusal).
        let mut own_nss: Vec<String> = Vec::new();
        for m in mentions.iter().filter(|m| is_subject(m.group)) {
            if let Who::Ns(x) = &m.who {
                push_uniq(&mut own_nss, x.clone());
            }
        }
        let mut ns: Option<String> = None;
        let mut labels: BTreeMap<String, String> = BTreeMap::new();
        let mut pods: Vec<String> = Vec::new();
        let mut peers: Vec<(usize, PeerSelector, Vec<String>)> = Vec::new();
        // Where the last peer mention ended.
        let mut prev_end: Option<usize> = None;
        for m in mentions {
            let subj = is_subject(m.group);
            let kind = match (&m.who, subj) {
                (Who::Label(..), true) => EntityKind::Label,
                (Who::Label(..), false) => EntityKind::PeerLabel,
                (Who::Ns(_), true) => EntityKind::Namespace,
                (Who::Ns(_), false) => EntityKind::PeerNamespace,
                (Who::Pod(_), _) => EntityKind::PodName,
                (Who::NsLabel(..) | Who::AnyNs | Who::SameNs, _) => EntityKind::PeerNamespace,
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
                        // "prohibited in production for app=api in namespace
                        // prod": a namespace guessed from a bare "in X" gives
                        // way to one named with its keyword.
                        Some(old) if *old != x && self.guessed_ns(old) && !self.guessed_ns(&x) => {
                            ns = Some(x)
                        }
                        Some(old) if *old != x && self.guessed_ns(&x) && !self.guessed_ns(old) => {}
                        Some(old) if *old != x => {
                            return Err(IntentParseError::Ambiguous(format!(
                                "{} namespaces for the selected workloads ({}): which namespace? One intent holds one namespace (or is cluster-wide): name one, or use one intent per namespace",
                                if own_nss.len() > 2 { "several" } else { "two" },
                                own_nss.join(", ")
                            )));
                        }
                        _ => ns = Some(x),
                    },
                    Who::Pod(p) => push_uniq(&mut pods, p),
                    // "pods in the same namespace … each other": every pod of it.
                    Who::SameNs if a.each_other => a.all_pods_word = true,
                    Who::NsLabel(..) | Who::AnyNs | Who::SameNs => {
                        return Err(IntentParseError::Missing(vec![format!(
                            "which pods: namespaces by label (`{}`) select peers, not the policy's own pods; {}",
                            &self.text[m.start..m.end],
                            kubescribe_core::intent::WHICH_PODS
                        )]));
                    }
                }
            } else {
                // A label key seen again in the same group starts another peer
                // ("from app=frontend and app=checkout").
                // "… from the ingress controller in namespace openshift-ingress
                // and pods in the same namespace": the pods of the policy's
                // own namespace are a peer of their own.
                // "from the monitoring and argus-system namespaces": a
                // second namespace is a peer of its own (with the same
                // labels).
                // "batch jobs (job-type=batch, namespace batch) and
                // prometheus (app=prometheus, …)": after a peer named with
                // its namespace, a label joined by "and"/"or" names another.
                let listed = |p: &PeerSelector, at: usize| {
                    p.namespace.is_some()
                        && !p.labels.is_empty()
                        && prev_end.is_some_and(|e| {
                            let between = self.text.get(e..at).unwrap_or("");
                            between.contains(" and ") || between.contains(" or ")
                        })
                };
                let clash = |p: &PeerSelector| match &m.who {
                    Who::Label(k, _) => p.labels.contains_key(k) || listed(p, m.start),
                    Who::SameNs => p.namespace.is_some() || !p.namespace_labels.is_empty(),
                    Who::Ns(x) => p.namespace.as_ref().is_some_and(|n| n != x),
                    // "namespaces labelled a=1 or b=2": either namespace.
                    Who::NsLabel(k, _) => {
                        p.namespace_labels.contains_key(k)
                            || !p.namespace_labels.is_empty()
                                && self.text[..m.start].trim_end().ends_with(" or")
                    }
                    _ => false,
                };
                let slot = match peers.iter().rposition(|(g, _, _)| *g == m.group) {
                    Some(ix) if !clash(&peers[ix].1) => ix,
                    Some(ix) => {
                        let (ns, labels) = match m.who {
                            Who::SameNs => (None, Default::default()),
                            Who::Ns(_) => (None, peers[ix].1.labels.clone()),
                            Who::Label(..) if listed(&peers[ix].1, m.start) => {
                                (None, Default::default())
                            }
                            _ => (peers[ix].1.namespace.clone(), Default::default()),
                        };
                        peers.push((
                            m.group,
                            PeerSelector {
                                namespace: ns,
                                labels,
                                ..PeerSelector::default()
                            },
                            Vec::new(),
                        ));
                        peers.len() - 1
                    }
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
                    Who::NsLabel(k, v) => {
                        p.namespace_labels.insert(k, v);
                    }
                    Who::AnyNs => p.any_namespace = true,
                    Who::SameNs => {}
                    Who::Pod(x) => ppods.push(x),
                }
                prev_end = Some(m.end);
            }
        }
        // "… talk to each other": the selected pods are the peers.
        let named_self = a.self_peer.as_ref().is_some_and(|w| {
            !labels.is_empty() && (w.is_empty() || labels.values().any(|v| v.contains(w.as_str())))
        });
        // "only from the other web pods" of app=db: pods said by a name
        // that is not the selected pods' own are no peer the text gives.
        if let Some(w) = a.self_peer.as_ref().filter(|_| !named_self && network) {
            let said = if w.is_empty() {
                "themselves".to_string()
            } else {
                format!("the other {w} pods")
            };
            return Err(IntentParseError::Missing(vec![format!(
                "which peers: \"{said}\" names pods by no labels of the selected ones; give their labels (e.g. `app=web`)"
            )]));
        }
        if (a.each_other || named_self) && network {
            let p = PeerSelector {
                labels: labels.clone(),
                ..PeerSelector::default()
            };
            peers.push((usize::MAX, p, pods.clone()));
        }
        // Direction.
        // "lock down app=x: it must not reach anything outside the cluster":
        // what is shut out, with its side, says the direction.
        let shut_out_named =
            a.dir_implied.is_some() && (!a.entities.is_empty() || !a.cidrs.is_empty());
        let isolate_dir =
            (a.isolate && !a.default_deny && action != Action::Allow && !shut_out_named)
                .then_some(Direction::Both);
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
            } else if lone_peer {
                match groups.first() {
                    Some(Cue::From) => Some(Direction::Ingress),
                    Some(Cue::To) => Some(Direction::Egress),
                    _ => None,
                }
            } else {
                match groups.first() {
                    Some(Cue::From) => Some(Direction::Egress),
                    Some(Cue::To) => Some(Direction::Ingress),
                    _ => None,
                }
            };
            // KubeArmor's network rules have no direction: none is assumed.
            let kubearmor = engine == Some(Engine::KubeArmor);
            // A name (FQDN) is only ever a destination: no engine matches
            // traffic by the name it comes from.
            let to_names = (!a.fqdns.is_empty()).then_some(Direction::Egress);
            let said = a
                .dir_explicit
                .or(to_names)
                .or((flipped || self.only_addresses_come_in()).then_some(Direction::Ingress))
                .or(isolate_dir)
                .or(from_groups)
                .or(a.dir_implied);
            match said {
                Some(d) => Some(d),
                None if kubearmor => None,
                None => {
                    self.assume.push("no direction given: ingress".into());
                    Some(Direction::Ingress)
                }
            }
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
        // "the pods behind that service", "-n db": a pasted session's.
        self.session_scope(&mut ns, &mut labels, &pods, a.cluster_wide_word);
        if let Some((_, _, ppods)) = peers.iter().find(|(_, _, p)| !p.is_empty()) {
            return Err(IntentParseError::Missing(vec![format!(
                "labels of peer pod {}: name its labels (e.g. `app=web`) or resolve pod names through an event store",
                ppods[0]
            )]));
        }
        let peers = merged_peers(peers);
        let named = !labels.is_empty() || !pods.is_empty() || !a.selector.is_empty();
        // "from all pods in all namespaces": after "from"/"to", with no
        // namespace of the policy's own, every pod is the peers', not a scope.
        if a.all_pods_cued && ns.is_none() && !a.cluster_wide_word {
            a.all_pods_word = false;
        }
        let all_pods = !named
            && (ns.is_some() || a.all_pods_word)
            && !a.cluster_wide_word
            && (a.all_pods_word
                || a.each_other
                || a.default_deny
                || a.all_word && action == Action::Block && network && !self.some_pods_described());
        if all_pods && !a.all_pods_word {
            self.assume.push(format!(
                "a default deny in namespace {} selects all its pods",
                ns.as_deref().unwrap_or_default()
            ));
        }
        if ns.is_none() && named && !a.cluster_wide_word {
            self.assume
                .push("no namespace given: Kubernetes and KubeArmor policies need one, and Cilium, Calico and Tetragon select these labels in every namespace; name a namespace to narrow it".into());
        }
        // Allow + read: read-only access; block/audit + write: writes only.
        let read_only = |x: &Acc, action: Action| {
            domain == Domain::File
                && (x.read_only_word
                    || x.reads && !x.writes && action == Action::Allow
                    || x.writes && !x.reads && !x.any_access && action != Action::Allow)
        };
        // "An SSH server … may be used by attackers: block incoming
        // connections to the SSH port (22/2222)", "e.g. someone running ping":
        // in a network intent a program's name describes the traffic; an
        // executable given as a path is still refused there.
        // So in a capability or system-call intent: "NET_RAW lets tools like
        // ping work" names an example, not a rule's executable.
        // A file allow-list may name what runs beside what is read ("only let
        // app=nginx read /var/www and run nginx"); a file block or audit
        // cannot, so there a program's name is an example.
        let example_domain = match domain {
            Domain::Network | Domain::Capability | Domain::Syscall => true,
            Domain::File => action != Action::Allow,
            Domain::Process => false,
        };
        // A word kept as a program's name that is no path ("pods running
        // critical or confidential applications") is prose there too.
        if example_domain
            && !a.binaries.is_empty()
            && a.binaries
                .iter()
                .all(|b| a.named_binaries.contains(b) || !b.starts_with('/'))
        {
            let names = std::mem::take(&mut a.binaries);
            let what = match domain {
                Domain::Network => "the traffic (a network intent governs traffic)",
                Domain::Capability => "the capability (the rule governs the capability)",
                Domain::File => "how the files are reached (the rule governs the files)",
                _ => "the system calls (the rule governs the calls)",
            };
            self.assume.push(format!(
                "{} read as describing {what}, not as executables",
                names.join(", ")
            ));
        }
        // A name beside the path given for it; a directory naming where
        // given paths lie.
        self.given_paths_over_names(&mut a);
        let mut resources = Resources {
            paths: a.paths.iter().map(|(p, _)| p.clone()).collect(),
            dirs: a.dirs.clone(),
            recursive: !a.dirs.is_empty() && !a.non_recursive,
            read_only: read_only(&a, action),
            owner_only: a.owner_only,
            sources: a.sources.clone(),
            binaries: a.binaries.clone(),
            ports,
            named_ports: a
                .named_ports
                .iter()
                .map(|n| NamedPort {
                    name: n.clone(),
                    // (ICMP has no ports: "the port named http over ICMP".)
                    protocol: (a.protos.iter().copied().find(|p| *p != Protocol::Icmp))
                        .unwrap_or(Protocol::Tcp),
                })
                .collect(),
            protocols,
            cidrs: a.cidrs.clone(),
            except_cidrs: a.except_cidrs.clone(),
            entities: a.entities.clone(),
            peers: peers.into_iter().map(|(_, p, _)| p).collect(),
            fqdns: a.fqdns.clone(),
            syscalls: a.syscalls.clone(),
            capabilities: a.caps.clone(),
            all: false,
        };
        // "block all outbound traffic except to 10.0.0.0/8", "drop all
        // capabilities except NET_BIND_SERVICE": an allow-list of what
        // follows "except" (where "all" is the whole kind, not a file tree).
        let mut action = action;
        // ("block all executables except the entrypoint": every program
        // is the kind too.)
        let whole_kind = resources.names_network()
            || domain == Domain::Process
            || !(resources.capabilities.is_empty() && resources.syscalls.is_empty())
                && resources.paths.is_empty()
                && resources.dirs.is_empty()
                && resources.binaries.is_empty();
        let excepted = action == Action::Block && a.all_word && a.except && whole_kind;
        if excepted {
            self.assume.push(
                "\"block all … except X\" read as an allow-list of X (everything else denied)"
                    .into(),
            );
            action = Action::Allow;
        } else if action == Action::Allow && a.all_word && a.except && !a.only && whole_kind {
            // The mirror: "allow all egress except to 169.254.169.254/32" asks
            // to block what follows "except" (it was an allow-list of it:
            // exactly what the operator meant to shut out).
            self.assume.push(
                "\"allow all … except X\" read as a block of X (everything else stays allowed)"
                    .into(),
            );
            action = Action::Block;
        }
        resources.all = a.all_word && {
            let mut named = resources.clone();
            named.recursive = false;
            named.read_only = false;
            named.owner_only = false;
            named.is_empty()
        };
        // An exception that names nothing would allow the whole kind.
        if (excepted || action == Action::Block && a.all_word && a.except) && resources.all {
            return Err(IntentParseError::Missing(vec![empty_exception(domain)]));
        }
        let deny = deny.map(|b| {
            let (ports, protocols) = ports_and_protocols(&b);
            Resources {
                paths: b.paths.iter().map(|(p, _)| p.clone()).collect(),
                dirs: b.dirs.clone(),
                recursive: !b.dirs.is_empty() && !b.non_recursive,
                read_only: read_only(&b, Action::Block),
                owner_only: b.owner_only,
                sources: b.sources.clone(),
                binaries: b.binaries.clone(),
                ports,
                protocols,
                cidrs: b.cidrs.clone(),
                except_cidrs: b.except_cidrs.clone(),
                entities: b.entities.clone(),
                fqdns: b.fqdns.clone(),
                syscalls: b.syscalls.clone(),
                capabilities: b.caps.clone(),
                ..Resources::default()
            }
        });
        let intent = Intent {
            version: None,
            deny,
            engine,
            scope: Scope {
                namespace: ns,
                labels,
                selector: (!a.selector.is_empty()).then(|| a.selector.join(", ")),
                pod_names: pods,
                all_pods,
                cluster_wide: a.cluster_wide_word,
            },
            domain,
            action,
            direction,
            resources,
            rationale: None,
        };
        // What is still missing or contradictory is refused, never guessed.
        let gaps = intent.gaps();
        let mut missing: Vec<String> = gaps
            .iter()
            .filter_map(|g| match g {
                IntentGap::Missing(m) => Some(m.clone()),
                IntentGap::Contradiction(_) => None,
            })
            .collect();
        if let Some(gap) = vague_peer(
            &a,
            intent.direction,
            &intent.resources,
            intent.deny.is_some(),
        ) {
            // (It says which traffic more precisely than the kinds listed.)
            missing.retain(|m| !m.starts_with("which traffic:"));
            missing.push(gap);
        }
        if !missing.is_empty() {
            return Err(IntentParseError::Missing(missing));
        }
        if let Some(IntentGap::Contradiction(c)) = gaps.first() {
            return Err(IntentParseError::Ambiguous(format!("contradiction: {c}")));
        }
        self.ents.sort_by_key(|e| (e.start, e.end));
        Ok(ParsedIntent {
            intent,
            entities: self.ents,
            assumptions: self.assume,
        })
    }
}
