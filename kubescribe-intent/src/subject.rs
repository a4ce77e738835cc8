//! Which group of workloads a network intent is for, and whether the text
//! names it second: "only app=web may connect to app=db" protects the db
//! pods, "pods in namespaces labelled team=ops may reach app=api" the api.

use super::*;

impl<'a> Parser<'a> {
    /// Whether "only" at token `i` restricts the first workload named ("only
    /// app=web may …", "only the cartservice pods may …").
    pub(super) fn only_before_subject(&self, i: usize) -> bool {
        // A namespace said first frames the text ("in namespace billing,
        // only app=api may reach …"); any other workload before "only" is
        // its subject.
        if self.mentions.iter().any(|m| !matches!(m.who, Who::Ns(_))) {
            return false;
        }
        let mut k = i + 1;
        while matches!(
            self.low(k),
            "the"
                | "pods"
                | "pod"
                | "workloads"
                | "labelled"
                | "labeled"
                | "with"
                | "label"
                | "labels"
                | "this"
                | "these"
                | "that"
                | "those"
                | "a"
                | "an"
                | "matching"
                | "having"
                | "allow"
                | "let"
                | "permit"
                // "nothing but our own NFs (the pods labelled …) …".
                | "our"
                | "own"
        ) {
            k += 1;
        }
        // "only access pods inside …": a verb, not the subject's name.
        let verb = matches!(
            self.low(k),
            "access"
                | "reach"
                | "connect"
                | "talk"
                | "send"
                | "receive"
                | "accept"
                | "contact"
                | "call"
                | "query"
        );
        // "only gitlab (app=gitlab) …", "only the Empire's TIE fighters
        // (org=empire) can …": a name glossed with its labels.
        let glossed = !verb
            && (k..(k + 5).min(self.toks.len()))
                .take_while(|&j| {
                    !(matches!(
                        self.low(j),
                        "can" | "may" | "to" | "should" | "must" | "could"
                    ) || j > k && self.ends_clause(j - 1))
                })
                .any(|j| {
                    let w = self
                        .low(j)
                        .trim_start_matches('(')
                        .trim_end_matches([',', ')']);
                    // YAML's "(app.kubernetes.io/component: api)" too.
                    self.toks[j].paren
                        && (split_label(w).is_some()
                            || w.strip_suffix(':')
                                .is_some_and(|key| !key.is_empty() && label_key_ok(key)))
                });
        // "only pods labelled jenkins/slave: true may …": a label written
        // as a key and its value.
        let key_value = self.low(k).strip_suffix(':').is_some_and(|key| {
            !key.is_empty()
                && label_key_ok(key)
                && matches!(self.low(k - 1), "labelled" | "labeled")
        });
        k < self.toks.len()
            && (split_label(self.low(k)).is_some()
                || key_value
                || (self.low(k + 1) == "pods" || self.low(k + 2) == "pods") && !verb
                || self.low(k) == "from" && k > i + 1
                // "allow only the frontend namespace to reach …".
                || self.low(k + 1) == "namespace" && is_ns_name(self.low(k)) && !verb
                // "only namespace ingress-nginx may reach 5678 on …".
                || matches!(self.low(k), "namespace" | "ns") && is_ns_name(self.low(k + 1))
                // "Only namespaces labelled growthbook-sdk=enabled … should
                // reach 3300 on …".
                || matches!(self.low(k), "namespaces" | "namespace")
                    && matches!(self.low(k + 1), "labelled" | "labeled" | "with")
                || glossed)
    }

    /// "traefik (…) can reach 55000 on the wazuh pods (…)": the "to" group
    /// that the first group, uncued, reaches with a modal verb of reaching
    /// between them.
    fn reaches_cued_group(&self) -> Option<usize> {
        let first_end = self
            .mentions
            .iter()
            .filter(|m| m.group == 0)
            .map(|m| m.end)
            .max()?;
        let to = self.mentions.iter().find(|m| {
            m.group > 0 && self.groups.get(m.group) == Some(&Cue::To) && m.start > first_end
        })?;
        if self.groups.first() != Some(&Cue::None)
            || !matches!(to.who, Who::Label(..) | Who::Pod(_))
        {
            return None;
        }
        let w: Vec<String> = self.text[first_end..to.start]
            .split_whitespace()
            .map(|w| {
                w.trim_matches(|c: char| !c.is_ascii_alphabetic())
                    .to_ascii_lowercase()
            })
            .collect();
        w.windows(2)
            .any(|x| {
                matches!(x[0].as_str(), "can" | "may" | "could" | "to")
                    && matches!(
                        x[1].as_str(),
                        "reach" | "connect" | "access" | "talk" | "call"
                    )
            })
            .then_some(to.group)
    }

    /// The group of workloads that is the policy's own, and whether it is
    /// the one reached (the traffic comes in).
    pub(super) fn subject_group(&self, a: &Acc, network: bool) -> (usize, bool) {
        let groups = &self.groups;
        let mut subject = if network && groups.len() >= 2 {
            let pick = |f: &dyn Fn(Cue) -> bool| groups.iter().position(|c| f(*c));
            let names = |g: usize| {
                self.mentions
                    .iter()
                    .any(|m| m.group == g && matches!(m.who, Who::Label(..) | Who::Pod(_)))
            };
            // On the direction's side, a group that names workloads before one
            // that only frames a namespace ("in namespace shop, block egress
            // from app=web to …").
            let pick_named = |f: &dyn Fn(Cue) -> bool| {
                (0..groups.len())
                    .find(|&g| f(groups[g]) && names(g))
                    .or_else(|| pick(f))
            };
            match a.dir_explicit {
                // "Add an ingress rule so traefik (…) can reach 55000 on the
                // wazuh pods (…)": the pods reached take the ingress.
                Some(Direction::Ingress) if self.reaches_cued_group().is_some() => {
                    self.reaches_cued_group()
                }
                Some(Direction::Ingress) => pick_named(&|c| c != Cue::From),
                Some(Direction::Egress) => pick_named(&|c| c != Cue::To),
                _ => {
                    // The first uncued group that names workloads (not one
                    // that only gives a namespace), else the "to" group.
                    // "every pod in namespace apps may reach app=dns": an
                    // uncued all-pods subject names its namespace only.
                    let all_pods_subject = a.all_pods_word && !a.all_pods_cued;
                    (0..groups.len())
                        .find(|&g| groups[g] == Cue::None && (names(g) || all_pods_subject))
                        .or_else(|| pick(&|c| c == Cue::To))
                        .or_else(|| pick(&|c| c == Cue::None))
                }
            }
            .unwrap_or(0)
        } else {
            0
        };
        // "restrict ingress to backend + workers (app=backend, app=worker),
        // for the redis pods (app=redis)": a group that gives one key two
        // values cannot be the policy's selector; it lists peers, and the
        // group that can be one is the subject.
        let mut flipped = false;
        if network && self.one_key_twice(subject) {
            let other = (0..groups.len()).find(|&g| {
                g != subject
                    && !self.one_key_twice(g)
                    && self
                        .mentions
                        .iter()
                        .any(|m| m.group == g && matches!(m.who, Who::Label(..)))
            });
            if let Some(g) = other {
                subject = g;
                flipped = true;
            }
        }
        // "only app=web may connect to app=db": the object is protected.
        if network
            && a.only_subject
            && a.dir_explicit.is_none()
            && groups.first() == Some(&Cue::None)
            && let Some(to) = groups.iter().position(|c| *c == Cue::To)
        {
            subject = to;
            flipped = true;
        }
        // "pods in namespaces labelled team=ops may reach app=api": a subject
        // that names namespaces only cannot be the policy's pods; the workload
        // it reaches is protected.
        if network
            && !flipped
            && a.dir_explicit.is_none()
            && groups.first() == Some(&Cue::None)
            && groups.get(subject) == Some(&Cue::To)
            && self
                .mentions
                .iter()
                .filter(|m| m.group == 0)
                .all(|m| matches!(m.who, Who::NsLabel(..) | Who::AnyNs))
        {
            flipped = true;
        }
        // "Our rtpengine pods (…) listen on UDP 22222, and only the SIP
        // proxy pods labelled role=sip-proxy should be able to send to that
        // port": the pods "only" names later are who comes in.
        if network
            && !flipped
            && a.only_subject
            && a.dir_explicit.is_none()
            && subject == 0
            && groups.len() == 2
            && groups[1] == Cue::None
            && a.applies_to_group.is_none()
        {
            flipped = true;
        }
        // "only the apisix pods (…) may connect to 2379. Applies to: the etcd
        // pods (…)": the pods it applies to, reached by the ones named first.
        if network
            && !flipped
            && a.dir_explicit.is_none()
            && groups.first() == Some(&Cue::None)
            && let Some(g) = a.applies_to_group.filter(|&g| g > 0 && g < groups.len())
        {
            subject = g;
            flipped = true;
        }
        (subject, flipped)
    }
}
