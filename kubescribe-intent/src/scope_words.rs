//! Scope words inside a clause: every pod ("all pods of namespace shop",
//! "the whole namespace", Calico's `all()`), the cluster ("all pods in my
//! cluster", "cluster-wide", "in all namespaces", "each namespace"), and
//! the namespaces of peers ("from any namespace", "egress to kube-system").

use super::*;

impl<'a> Parser<'a> {
    /// Reads a scope phrase at token `i` of the clause that starts at `from`
    /// (`prev`/`next`: the neighbouring words, lower-cased). Returns the index
    /// after the phrase, or `None` when none is at `i` (some words only set
    /// a flag and let the clause's reading go on).
    pub(super) fn scan_scope(
        &mut self,
        a: &mut Acc,
        mut i: usize,
        from: usize,
        prev: &str,
        next: &str,
    ) -> Option<usize> {
        let t = self.toks[i].clone();
        let l = t.lower.as_str();
        // "all pods of namespace shop", "every pod", "any pod of shop",
        // "the whole namespace".
        if matches!(l, "all" | "every" | "each" | "any")
            && matches!(
                next,
                "pods" | "pod" | "workloads" | "workload" | "containers" | "container"
            )
            || matches!(l, "whole" | "entire") && next == "namespace"
            || l == "namespace-wide"
        {
            // "that port is reachable by every pod": who reaches it, said of
            // no namespace, is no scope.
            if prev == "by"
                && (self.text[self.toks[i + 1].start
                    ..self.toks.get(i + 2).map_or(self.text.len(), |t| t.start)]
                    .contains(['.', ',', ';', ':', '!', '?'])
                    || !matches!(self.low(i + 2), "in" | "of" | "across"))
            {
                return Some(i + 2);
            }
            // After "from"/"to" the phrase is inside a group: the group's
            // namespace then means every pod of it (subject or peer).
            a.all_pods_cued |= matches!(self.cue, Some(Cue::From | Cue::To));
            a.all_pods_word = true;
            // "the whole namespace payments": the keyword then names it.
            i += if l == "namespace-wide" || matches!(l, "whole" | "entire") {
                1
            } else {
                2
            };
            // "should allow all pods from any namespace to reach …": the
            // subject is every pod of every namespace.
            if !a.all_pods_cued
                && matches!(self.low(i), "from" | "in")
                && matches!(self.low(i + 1), "any" | "all" | "every" | "each")
                && matches!(self.low(i + 2), "namespace" | "namespaces")
            {
                a.cluster_wide_word = true;
                i += 3;
                return Some(i);
            }
            // "all containers present in the cluster": a participle first.
            if matches!(
                self.low(i),
                "present" | "running" | "deployed" | "scheduled"
            ) && matches!(self.low(i + 1), "of" | "in" | "across")
            {
                i += 1;
            }
            // "all pods in my cluster", "every pod in the cluster".
            if matches!(self.low(i), "of" | "in" | "across") {
                let k = if matches!(
                    self.low(i + 1),
                    "my" | "our" | "the" | "this" | "your" | "whole" | "entire"
                ) {
                    i + 2
                } else {
                    i + 1
                };
                if self.low(k).trim_end_matches([',', '.', ')']) == "cluster" {
                    // Background beside a named namespace ("every pod in
                    // your cluster can reach … For app=x in namespace
                    // shop, …") gives way to it.
                    a.wide_unless_ns = true;
                    i = k + 1;
                    return Some(i);
                }
            }
            // "every pod of shop"
            if matches!(self.low(i), "of" | "in")
                && let Some(nt) = self.toks.get(i + 1).cloned()
                && let name = nt.text.trim_end_matches(':')
                && is_ns_name(name)
                && !reserved(name)
                && !not_a_name(name)
                && !matches!(name, "namespace" | "namespaces")
                // "all pods in tenant namespace tenant-orange": a word
                // describing the namespace the keyword then names.
                && !matches!(self.low(i + 2), "namespace" | "ns")
            {
                self.mention_ns_at(i + 1);
                i += 2;
            }
            return Some(i);
        }
        // Calico's selector for every endpoint: "selector: all()".
        if matches!(l.trim_end_matches([',', '.']), "all()" | "all(") {
            a.all_pods_word = true;
            i += 1;
            return Some(i);
        }
        // "pods in namespace shop …" (no labels): every pod of it.
        if matches!(l, "pods" | "workloads" | "containers")
            && matches!(next, "in" | "of")
            // At a clause's start, also after a heading ("Namespace
            // isolation: pods in namespace team-a only receive …").
            && (i == from
                || self.ends_clause(i - 1)
                || matches!(prev, "for" | "the" | "on" | "to" | "by"))
            && self.cue.is_none_or(|c| c == Cue::None)
            // "pods in namespaces labelled …" name peers by namespace.
            && self.low(i + 2) != "namespaces"
        {
            a.all_pods_word = true;
        }
        // A system namespace after "to"/"from": "egress to kube-system".
        // (The last of a list before "namespaces" is read with the list.)
        let listed = matches!(next, "namespaces" | "namespaces," | "namespaces;")
            && (matches!(prev, "and" | "or") || i > 0 && self.toks[i - 1].comma);
        if matches!(self.cue, Some(Cue::To | Cue::From))
            && (l.ends_with("-system") || l == "kube-public")
            && is_ns_name(t.text)
            && !listed
        {
            self.mention(Who::Ns(t.text.to_string()), i, t.start, t.end);
            i += 1;
            return Some(i);
        }
        // "cluster-wide", "across the cluster", "in all namespaces".
        // ("… in every namespace: block …": its colon too.)
        let ns_word = next.trim_end_matches([':', ',', '.', ';']);
        // ("all namespaces that have the team=x label": namespaces by label.)
        let all_ns = matches!(l, "all" | "every" | "any" | "each")
            && matches!(ns_word, "namespaces" | "namespace")
            && self.ns_label_at(i + 1).is_none();
        // "… from app=api in all namespaces": the peers' namespaces; not
        // "ingress to app=web in all namespaces", where the group after
        // "to" receives: the policy's own pods.
        let cued_group = match self.groups.last() {
            Some(Cue::From) => a.dir_explicit != Some(Direction::Egress),
            Some(Cue::To) => a.dir_explicit != Some(Direction::Ingress),
            _ => false,
        } && prev == "in"
            && self.after_mention(i - 1);
        if all_ns
            && (matches!(prev, "from" | "to")
                || matches!(self.cue, Some(Cue::From | Cue::To))
                || cued_group)
        {
            self.mention(Who::AnyNs, i, t.start, self.toks[i + 1].end);
            i += 2;
            return Some(i);
        }
        if matches!(l.trim_end_matches(':'), "cluster-wide" | "clusterwide")
            // "Across the cluster: pods may …" too.
            || l == "across" && next == "the" && self.low(i + 2).trim_end_matches([':', ',']) == "cluster"
            || l == "cluster" && next.trim_end_matches(':') == "wide"
            || all_ns
        {
            if all_ns && matches!(l, "each" | "every") && ns_word == "namespace" {
                a.wide_unless_ns = true;
            } else {
                a.cluster_wide_word = true;
            }
            i += match l {
                "across" => 3,
                "cluster" => 2,
                _ if all_ns => 2,
                _ => 1,
            };
            return Some(i);
        }
        None
    }

    /// "the nginx app", "the redis pods": the pods labelled app=X, unless
    /// the text gives their labels right after ("the muster pods,
    /// app.kubernetes.io/name=muster …") or elsewhere, or names an address.
    /// Records the mention; whether it did (the two words are read).
    pub(super) fn the_x_pods(&mut self, i: usize) -> bool {
        let t = self.toks[i].clone();
        let l = t.lower.as_str();
        let next = self.low(i + 1).to_string();
        // "the muster pods, app.kubernetes.io/name=muster …" too.
        // "the build pods labelled role=builder", "the synced workload pods
        // (vcluster.loft.sh/managed-by=dev-team, …)": given after the noun.
        // YAML's form too: "(component: singleuser-server, …)".
        let yaml_label = |k: usize| {
            self.toks.get(k).is_some_and(|n| {
                n.text
                    .strip_suffix(':')
                    .is_some_and(|key| !key.is_empty() && label_key_ok(key))
                    && self
                        .toks
                        .get(k + 1)
                        .is_some_and(|v| label_val_ok(v.text.trim_end_matches([',', ')'])))
            })
        };
        let labels_at = |k: usize| {
            self.toks.get(k).is_some_and(|n| {
                // ("except from the agent pods app=localagi": the label
                // right after the noun.)
                (n.paren || self.toks[k - 1].comma || k == i + 2 && next == "pods")
                    && (split_label(n.text).is_some() || yaml_label(k))
            }) || matches!(self.low(k), "labelled" | "labeled" | "with")
                // ("the broker pods with app.kubernetes.io/name=mosquitto",
                // "… with label tier=mq": their labels.)
                && (k + 1..k + 3).any(|j| {
                    self.toks
                        .get(j)
                        .is_some_and(|x| split_label(x.text).is_some())
                })
        };
        // "the build pods are labelled role=build-job" too.
        let labelled_after = labels_at(i + 2)
            || matches!(self.low(i + 2), "pods" | "containers" | "are" | "is") && labels_at(i + 3);
        // "the metadata service at 169.254.169.254", "the DNS service
        // (10.96.0.10)": the address is what is named.
        let addressed_after = self.low(i + 2) == "at"
            && parse_cidr(self.low(i + 3).trim_end_matches([',', '.'])).is_some()
            || self.addresses_follow(i + 2);
        // "the redis-ha pods … `app.kubernetes.io/name: redis-ha`": the
        // text gives the label that has the name as its value.
        let labelled_elsewhere = (0..self.toks.len()).any(|k| {
            let w = self.toks[k].text;
            // ("the archive service … the doc-archive pods (app=doc-archive)":
            // a part of the value.)
            split_label(w).is_some_and(|(_, v)| {
                v == t.text || l.len() >= 4 && v.to_ascii_lowercase().split('-').any(|p| p == l)
            })
                // Calico's "(run == 'webserver')".
                || w == "==" && self.toks.get(k + 1).is_some_and(|x| x.text == t.text)
                // "(app: istio-ingressgateway)", "(k8s-app: kube-dns …)".
                || w.len() > 1
                    && w.ends_with(':')
                    && (w[..w.len() - 1].contains(['.', '/', '-'])
                        || COMMON_LABEL_KEYS.contains(&&w[..w.len() - 1]))
                    && label_key_ok(&w[..w.len() - 1])
                    && self.toks.get(k + 1).is_some_and(|x| x.text == t.text)
                // "the egress gateway (istio: egressgateway, …). The
                // gateway pods may …": a label value that holds the name.
                || l.len() >= 4
                    && w.len() > 1
                    && w.ends_with(':')
                    && self.toks.get(k + 1).is_some_and(|x| x.lower.contains(l))
                // "zk pods strimzi.io/name=zk … (the zk pods talking …)":
                // the same pods named with their labels before.
                || k != i
                    && self.toks[k].lower == l
                    && self.low(k + 1) == "pods"
                    && self
                        .toks
                        .get(k + 2)
                        .is_some_and(|x| split_label(x.text.trim_end_matches([',', '.', ':'])).is_some())
        });
        // "the workers (Deployment worker, …)": the noun after is inside
        // the gloss, no "the X deployment".
        let guess = !labelled_after
            && !labelled_elsewhere
            && !self.toks.get(i + 1).is_some_and(|n| n.paren)
            && !addressed_after
            && matches!(
                next.as_str(),
                "app" | "application" | "service" | "pods" | "deployment" | "workload"
            )
            && is_ns_name(t.text)
            && !reserved(l)
            // ("readable only by the token service binary /usr/local/bin/x":
            // a program, said by what it serves.)
            && !matches!(
                self.low(i + 2),
                "binary" | "process" | "executable" | "program" | "daemon"
            )
            // "the application pods matching …", "the selected pods": a
            // word that names no workload.
            && !matches!(
                l,
                "application"
                    | "applications"
                    | "app"
                    | "service"
                    | "target"
                    | "other"
                    | "same"
                    | "selected"
                    | "matching"
                    | "relevant"
                    | "affected"
                    | "following"
                    | "existing"
                    | "remaining"
                    | "current"
                    // "the default service account", "the main app".
                    | "default"
                    | "main"
                    | "new"
                    | "whole"
                    | "entire"
                    | "first"
                    | "last"
                    // "the intended service", "the approved app": which one
                    // is not said.
                    | "intended"
                    | "approved"
                    | "allowed"
                    | "trusted"
                    | "expected"
                    | "required"
                    | "specific"
                    | "authorized"
                    | "authorised"
                    | "permitted"
                    | "designated"
                    | "legitimate"
                    | "correct"
                    | "right"
                    | "proper"
                    | "known"
                    | "necessary"
                    | "needed"
                    // "from accessing the metadata service": the cloud's,
                    // said by its kind (which address?).
                    | "metadata"
            )
            // "the internet-exposed app", "the public-facing service": a
            // compound adjective describes the workload, it is no name.
            && ![
                "-exposed", "-facing", "-based", "-driven", "-enabled", "-owned", "-managed",
                "-hosted",
            ]
            .iter()
            .any(|s| l.ends_with(s));
        if guess {
            self.mention(
                Who::Label("app".into(), t.text.to_string()),
                i,
                t.start,
                t.end,
            );
            push_uniq(
                &mut self.assume,
                format!("\"the {l} {next}\" read as the pods labelled app={l}"),
            );
        }
        guess
    }

    /// Whether group `g` gives one label key two values ("app=backend,
    /// app=worker"): a list of workloads, not one selector.
    /// Pods said by a descriptive phrase and nothing else: "the conversion
    /// workers in namespace convert", "our build runners". Some pods of
    /// the namespace, not all of them: an "all" that follows ("block all
    /// of their egress") is the traffic's.
    pub(super) fn some_pods_described(&self) -> bool {
        (2..self.toks.len()).any(|k| {
            matches!(
                self.low(k).trim_end_matches([',', '.', ';', ':']),
                "workers" | "runners" | "servers" | "containers" | "jobs" | "deployments" | "pods"
            ) && matches!(self.low(k + 1), "in" | "of")
                && matches!(self.low(k + 2), "namespace" | "ns")
                && matches!(self.low(k - 2), "the" | "our" | "their" | "its")
                && self
                    .low(k - 1)
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-')
                && !matches!(
                    self.low(k - 1),
                    "other" | "same" | "namespace's" | "selected" | "affected" | "existing"
                )
        })
    }

    pub(super) fn one_key_twice(&self, g: usize) -> bool {
        let labels = self.group_labels(g);
        labels
            .iter()
            .any(|(k, v)| labels.iter().any(|(k2, v2)| k == k2 && v != v2))
    }

    /// The labels the mentions of group `g` give, in order.
    pub(super) fn group_labels(&self, g: usize) -> Vec<(String, String)> {
        self.mentions
            .iter()
            .filter(|m| m.group == g)
            .filter_map(|m| match &m.who {
                Who::Label(k, v) => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect()
    }

    /// Whether token `i` can be a pod's name (`web-0`, `productpage`,
    /// `` `debug` ``): not a word of prose about pods ("the pod has
    /// unrestricted egress", "the pod cidr", "pod status on port 8000").
    pub(super) fn pod_name_like(&self, i: usize) -> bool {
        let Some(t) = self.toks.get(i) else {
            return false;
        };
        let quoted =
            t.start > 0 && matches!(self.text.as_bytes()[t.start - 1], b'`' | b'"' | b'\'');
        // A plain "-ing"/"-ed" word ("a pod getting pwned") is a verb.
        let plain = t.lower.chars().all(|c| c.is_ascii_lowercase());
        // So is a word in "-s" before what it governs ("each pod consists
        // of …", "the pod talks to …").
        let third_person = t.lower.ends_with('s')
            && !t.lower.ends_with("ss")
            && matches!(
                self.low(i + 1),
                "of" | "to"
                    | "the"
                    | "a"
                    | "an"
                    | "with"
                    | "from"
                    | "into"
                    | "its"
                    | "their"
                    | "no"
                    | "only"
                    // "this pod holds our Cloudflare token".
                    | "our"
                    | "your"
                    | "my"
                    | "some"
                    | "all"
                    | "any"
            );
        // ("the workload running in the pod explicitly needs …": an
        // adverb.)
        let verb_form =
            plain && (["ing", "ed", "ly"].iter().any(|e| t.lower.ends_with(e)) || third_person);
        is_ns_name(t.text)
            && !reserved(&t.lower)
            && (quoted || !NOT_A_POD_NAME.contains(&t.lower.as_str()) && !verb_form)
    }
}

/// Words that follow "pod" in prose about pods, not a pod's name.
pub(super) const NOT_A_POD_NAME: &[&str] = &[
    // "the pod namespace", "pod security context", "pod-to-pod".
    "namespace",
    "namespaces",
    "context",
    "policy",
    "policies",
    "disruption",
    "affinity",
    "annotations",
    // "the vault sidecar in the same pod still needs it": an adverb.
    "still",
    "also",
    "itself",
    "again",
    "too",
    // "the Keycloak pod returns a timeout": a verb.
    "returns",
    "sends",
    "uses",
    "runs",
    "tries",
    "fails",
    "works",
    "starts",
    "keeps",
    "shows",
    "cannot",
    "does",
    "is",
    "are",
    "has",
    "have",
    "had",
    "was",
    "were",
    "will",
    "would",
    "could",
    "gets",
    "got",
    "needs",
    "cidr",
    "cidrs",
    "subnet",
    "address",
    "addresses",
    "ip",
    "ips",
    "range",
    "ranges",
    "network",
    "networking",
    "status",
    "level",
    "spec",
    "template",
    "templates",
    // "the static pod manifest directory".
    "manifest",
    "manifests",
    "definition",
    "definitions",
    "security",
    "selector",
    "selectors",
    "label",
    "labels",
    "name",
    "names",
    "logs",
    "log",
    "count",
    "restarts",
    "lifecycle",
    "identity",
    "sandbox",
    "startup",
    "itself",
    "there",
    "here",
    "that",
    "which",
    "running",
    "itself",
    "directly",
    "inside",
    "traffic",
];
