//! Namespace phrases inside a clause: "namespaces labelled team=ops",
//! "in namespace shop", "the shop namespace", "namespace=shop", OpenShift's
//! "project billing", and a bare name right after a workload ("app=web in
//! shop", "app=web (shop)").

use super::*;

impl<'a> Parser<'a> {
    /// Mentions token `k` as a namespace (a colon after it trimmed).
    pub(super) fn mention_ns_at(&mut self, k: usize) {
        let nt = self.toks[k].clone();
        let name = nt.text.trim_end_matches(':');
        self.mention(
            Who::Ns(name.to_string()),
            k,
            nt.start,
            nt.start + name.len(),
        );
    }

    /// The token of the label that names namespaces at token `i`
    /// ("namespaces labelled team=ops", "namespaces with the label
    /// user=alice", "namespaces that have the nginx-ingress=true label",
    /// YAML's "namespaces labelled team: ops"), if `i` starts such a phrase.
    pub(super) fn ns_label_at(&self, i: usize) -> Option<usize> {
        if !matches!(self.low(i), "namespace" | "namespaces") {
            return None;
        }
        let mut k = i + 1;
        match self.low(k) {
            "labelled" | "labeled" | "with" | "having" | "carrying" | "bearing" => k += 1,
            "that" | "which"
                if matches!(
                    self.low(k + 1),
                    "have" | "has" | "carry" | "carries" | "bear"
                ) =>
            {
                k += 2
            }
            _ => return None,
        }
        if matches!(self.low(k), "the" | "a") {
            k += 1;
        }
        if matches!(self.low(k), "label" | "labels") {
            k += 1;
        }
        let t = self.toks.get(k)?;
        let yaml = t.text.strip_suffix(':').is_some_and(label_key_ok);
        (split_said_label(t.text).is_some() || yaml).then_some(k)
    }

    /// Whether the text names `name` after a namespace keyword somewhere
    /// ("namespace dev1", "ns dev1").
    fn named_by_keyword(&self, name: &str) -> bool {
        (1..self.toks.len()).any(|k| {
            matches!(self.low(k - 1), "namespace" | "ns")
                && self.low(k).trim_end_matches([':', ',', '.', ')']) == name
        })
    }

    /// Whether token `i` opens an item after the first of a parenthesised
    /// aside ("(app=x, namespace files)").
    fn aside_item(&self, i: usize) -> bool {
        i > 0 && self.toks[i - 1].comma && {
            let before = &self.text[..self.toks[i].start];
            before
                .rfind('(')
                .is_some_and(|o| !before[o..].contains(')'))
        }
    }

    /// Reads a namespace phrase at token `i` (of a clause ending before `n`;
    /// `prev`/`next` are the neighbouring words, lower-cased). Returns the
    /// index after the phrase, or `None` when no namespace is named at `i`.
    pub(super) fn scan_namespace(
        &mut self,
        mut i: usize,
        n: usize,
        prev: &str,
        next: &str,
    ) -> Option<usize> {
        let t = self.toks[i].clone();
        let l = t.lower.as_str();
        // Namespaces by label: "namespaces labelled team=ops".
        if let Some(k) = self.ns_label_at(i) {
            let lt = self.toks[k].clone();
            if let Some((key, v)) = split_said_label(lt.text) {
                self.mention(Who::NsLabel(key, v), k, lt.start, lt.end);
                // "… that have the nginx-ingress=true label".
                i = k + 1 + usize::from(matches!(self.low(k + 1), "label" | "labels"));
                // "namespaces labelled team=a or team=b": the list goes on
                // naming namespaces.
                while i < n {
                    let j = i + usize::from(matches!(self.low(i), "or" | "and"));
                    let joined = j > i || self.toks[i - 1].comma;
                    let Some((key, v)) = self
                        .toks
                        .get(j)
                        // ("… team=a and app=x pods": pods follow.)
                        .filter(|_| {
                            joined
                                && j < n
                                && !matches!(
                                    self.low(j + 1),
                                    "pods" | "pod" | "workloads" | "containers"
                                )
                        })
                        .and_then(|t| split_said_label(t.text))
                    else {
                        break;
                    };
                    let t = self.toks[j].clone();
                    self.mention(Who::NsLabel(key, v), j, t.start, t.end);
                    i = j + 1;
                }
                return Some(i);
            }
            // "namespaces labelled team: ops" (YAML's form).
            if let Some(kt) = self.toks.get(k).cloned()
                && let Some(key) = kt.text.strip_suffix(':')
                && label_key_ok(key)
                && let Some(vt) = self.toks.get(k + 1).cloned()
                && label_val_ok(vt.text)
                // ("namespaces labelled name: ingress": any value but an order;
                // "network-access: allowed" is a state.)
                && (!ALLOW_WORDS.contains(&vt.lower.as_str())
                    && !BLOCK_WORDS.contains(&vt.lower.as_str())
                    || vt.lower.ends_with("ed"))
            {
                self.mention(
                    Who::NsLabel(key.to_string(), vt.text.to_string()),
                    k + 1,
                    kt.start,
                    vt.end,
                );
                i = k + 2;
                return Some(i);
            }
        }
        // Namespaces.
        // "pods in the same namespace (inter-service communication)": an
        // aside after the keyword names no namespace; "(tenant-a-prod)", a
        // name alone in parentheses, does.
        if matches!(l.trim_end_matches(':'), "namespace" | "ns" | "namespaces")
            && i + 1 < n
            && (!self.toks[i + 1].paren || self.text[self.toks[i + 1].end..].starts_with(')'))
        {
            let nt = self.toks[i + 1].clone();
            let name = nt.text.trim_end_matches(':');
            // "… switch namespaces: block …": an action word after the
            // keyword's colon names no namespace. "Namespace isolation:
            // … in namespace shop": a topic that opens the text, when the
            // text names its namespace again, is a heading.
            // (The tokenizer takes the colon off a verb: "Namespace access:".)
            let topic = i == 0
                && (nt.text.ends_with(':') || self.text[nt.end..].starts_with(':'))
                && (i + 2..self.toks.len()).any(|k| {
                    matches!(self.low(k), "namespace" | "ns")
                        && self.low(k + 1) != name
                        // Not a peer's ("… from namespace dev").
                        && !(k.saturating_sub(3)..k).any(|j| {
                            matches!(self.low(j), "from" | "to" | "into" | "reach" | "reaches")
                        })
                });
            let action_word = l.ends_with(':')
                && (ALLOW_WORDS.contains(&name)
                    || BLOCK_WORDS.contains(&name)
                    || AUDIT_WORDS.contains(&name));
            // "within each namespace, selecting …": the keyword ends its
            // clause; the next word names no namespace. Nor does the first
            // word of the next line ("… to all namespaces\n\nconnects to
            // #342").
            // ("Your backend pods (in myapp namespace) need to …": the aside
            // closes after the keyword.)
            let ended =
                t.comma && !l.ends_with(':') || self.text[t.end..nt.start].contains(['\n', ')']);
            // "in namespace files": after "in/of/from/to namespace" a
            // noun that elsewhere names a resource kind is the name (it
            // was dropped, leaving the intent without its namespace).
            // ("(app=filebrowser, namespace files)": an aside's item too.)
            let named_kind = (matches!(prev, "in" | "of" | "from" | "to" | "into")
                || self.aside_item(i))
                && matches!(
                    name,
                    "files"
                        | "file"
                        | "binaries"
                        | "binary"
                        | "processes"
                        | "process"
                        | "programs"
                        | "program"
                        | "commands"
                        | "command"
                        | "executables"
                );
            // "since the namespace default deny landed": the namespace's
            // default posture, no namespace named "default".
            let default_posture = name == "default"
                && i + 2 < n
                && self.text[nt.end..self.toks[i + 2].start].trim().is_empty()
                && matches!(
                    self.low(i + 2).trim_end_matches([',', '.', ';', ':']),
                    "deny" | "deny-all" | "denies" | "policy" | "policies" | "posture"
                );
            if is_ns_name(name)
                && (!not_a_ns_after_keyword(name) || named_kind)
                && !default_posture
                && !topic
                && !action_word
                && !ended
            {
                self.mention_ns_at(i + 1);
                i += 2;
                // "in namespaces ns1, ns2 and ns3": each name of the list
                // after the plural keyword (several namespaces, which one
                // intent cannot hold, are then refused, not cut to one).
                while l == "namespaces" && i < n {
                    let linked = self.toks[i - 1].comma;
                    let k = if matches!(self.low(i), "and" | "or") {
                        i + 1
                    } else {
                        i
                    };
                    let Some(w) = self
                        .toks
                        .get(k)
                        .map(|x| x.text.trim_end_matches([',', '.', ';', ':']))
                    else {
                        break;
                    };
                    let lw = w.to_lowercase();
                    if !(linked || k > i)
                        || !is_ns_name(w)
                        || reserved(&lw)
                        || not_a_ns_after_keyword(&lw)
                        || ALLOW_WORDS.contains(&lw.as_str())
                        || BLOCK_WORDS.contains(&lw.as_str())
                        || AUDIT_WORDS.contains(&lw.as_str())
                    {
                        break;
                    }
                    self.mention_ns_at(k);
                    i = k + 1;
                }
                return Some(i);
            }
        }
        // "in project billing", "the pods of project db": OpenShift's
        // word for a namespace.
        // "(app=uid-demo, project rhel-examples)": an aside's item too.
        if matches!(l, "project" | "openshift-project")
            && (matches!(prev, "in" | "of" | "for" | "from" | "to") || self.aside_item(i))
            && let Some(nt) = self.toks.get(i + 1).cloned()
            && let name = nt.text.trim_end_matches(':')
            && is_ns_name(name)
            && !not_a_ns_after_keyword(name)
            && !reserved(name)
            && !ALLOW_WORDS.contains(&name)
            && !BLOCK_WORDS.contains(&name)
        {
            self.mention_ns_at(i + 1);
            i += 2;
            return Some(i);
        }
        if let Some(v) = l
            .strip_prefix("namespace=")
            .or_else(|| l.strip_prefix("ns="))
            && is_ns_name(v)
        {
            let off = t.text.len() - v.len();
            self.mention(Who::Ns(v.to_string()), i, t.start + off, t.end);
            i += 1;
            return Some(i);
        }
        // "from the monitoring and argus-system namespaces": each name of
        // a list before the plural keyword.
        if next.trim_end_matches([',', '.', ';', ':']) == "namespaces"
            && is_ns_name(t.text)
            && !reserved(l)
            && i >= 2
            && (matches!(prev, "and" | "or") || self.toks[i - 1].comma)
        {
            let mut names = vec![i];
            let mut k = i;
            loop {
                let before = if matches!(self.low(k - 1), "and" | "or") {
                    k - 2
                } else {
                    k - 1
                };
                let linked = matches!(self.low(k - 1), "and" | "or") || self.toks[k - 1].comma;
                let w = self.toks[before].text.trim_end_matches(',');
                let lw = w.to_lowercase();
                // ("monitoring" is a name here, though a word elsewhere.)
                let word = matches!(
                    lw.as_str(),
                    "the" | "a" | "an" | "all" | "other" | "both" | "from" | "to"
                ) || ALLOW_WORDS.contains(&lw.as_str())
                    || BLOCK_WORDS.contains(&lw.as_str());
                if !linked || !is_ns_name(w) || word {
                    break;
                }
                names.push(before);
                k = before;
                if k < 2 {
                    break;
                }
            }
            if names.len() > 1 {
                // "from the bb, cc and dd namespaces": the list's commas
                // ended the "from" before it; the list is still its peers.
                let first = names[names.len() - 1];
                let at = first - usize::from(first > 0 && self.low(first - 1) == "the");
                if self.cue.is_none_or(|c| c == Cue::None) && at > 0 {
                    match self.low(at - 1) {
                        "from" => (self.cue, self.cue_at) = (Some(Cue::From), at - 1),
                        "to" => (self.cue, self.cue_at) = (Some(Cue::To), at - 1),
                        _ => {}
                    }
                }
                for &k in names.iter().rev() {
                    let tk = self.toks[k].clone();
                    let name = tk.text.trim_end_matches(',');
                    self.mention(
                        Who::Ns(name.to_string()),
                        k,
                        tk.start,
                        tk.start + name.len(),
                    );
                }
                return Some(i + 2);
            }
        }
        // "the shop namespace"; not "the protected namespace shop", where
        // the name follows the keyword.
        let named_after = matches!(next, "namespace") && {
            let w = self.low(i + 2).trim_end_matches([':', ',', '.', ';']);
            self.toks.get(i + 1).is_some_and(|t| !t.comma)
                && is_ns_name(w)
                && !not_a_ns_after_keyword(w)
                && !reserved(w)
                && !FILLER.contains(&w)
                // "the openshift-ingress namespace (SMO traffic …)": an aside
                // after the keyword names nothing.
                && self
                    .toks
                    .get(i + 2)
                    .is_some_and(|t| !t.paren || self.text[t.end..].starts_with(')'))
        };
        // Between a determiner and the keyword the word is a name even
        // when it is a filler word elsewhere ("the apps namespace").
        let determined = matches!(prev, "the" | "this" | "that");
        // "do it for our tenant namespace: … in namespace tenant-a": a
        // possessive's noun, where the text names the namespace by its
        // keyword, describes it.
        // So does "the tenant namespace" beside "tenant namespace lease-4f2a".
        let described = (matches!(prev, "our" | "my" | "your" | "their")
            || prev == "the" && matches!(l, "tenant" | "team" | "project" | "customer" | "tenant's"))
            // (the keyword after this phrase's own; anywhere for "the tenant").
            && (if prev == "the" { 0 } else { i + 2 }..self.toks.len()).any(|k| {
                k != i + 1
                    && matches!(self.low(k), "namespace" | "ns")
                    && self
                        .toks
                        .get(k + 1)
                        .is_some_and(|x| is_ns_name(x.text.trim_end_matches([':', ',', '.', ')'])))
            });
        if matches!(next.trim_end_matches(':'), "namespace" | "ns")
            && !self.toks[i + 1].paren
            && is_ns_name(t.text)
            && !(if determined {
                not_a_ns_after_keyword(l)
            } else {
                not_a_name(l)
            })
            && parse_port(l).is_none()
            && !named_after
            // "running in a seperate namespace": an indefinite article's
            // word describes the namespace, it does not name it.
            && !matches!(prev, "a" | "an")
            // "a network policy which combined namespace and pod label
            // selector": a relative clause's verb.
            && prev != "which"
            // "We only need one namespace: …": how many, no name.
            && !matches!(
                l,
                "one" | "two" | "three" | "single" | "another" | "multiple" | "several" | "many"
                    | "separate" | "dedicated"
            )
            // "in every user's profile namespace", "each team namespace":
            // a kind of namespace, one per owner, no name.
            && !matches!(prev, "every" | "each")
            && !((prev.ends_with("'s") || prev.ends_with("’s"))
                && i >= 2
                && matches!(self.low(i - 2), "every" | "each" | "any" | "a" | "some"))
            && !described
            // "the internal ingress namespace (namespaces labelled
            // name=ingress-internal)": the labels in the gloss say which.
            && !self.toks.get(i + 2).is_some_and(|g| {
                g.paren
                    && matches!(
                        g.lower.trim_start_matches('('),
                        "namespaces" | "namespace" | "ns"
                    )
                    && (i + 3..(i + 6).min(self.toks.len())).any(|k| {
                        split_label(self.toks[k].text.trim_matches(['(', ')', ',']))
                            .is_some()
                    })
            })
            // "from container to host namespace", "the PID namespace": a
            // kernel namespace, not a Kubernetes one (unless "the … ns" is
            // written with the determiner).
            && (determined
                || !matches!(l, "host" | "pid" | "mount" | "user" | "ipc" | "uts" | "cgroup" | "kernel"))
        {
            self.mention(Who::Ns(t.text.to_string()), i, t.start, t.end);
            i += 2;
            return Some(i);
        }
        // A bare namespace right after a workload: "app=web in shop", "app=web (shop)".
        if i + 1 < n
            && matches!(l, "in" | "of")
            && (self.after_mention(i)
                // "core-dns in kube-system (k8s-app=kube-dns)": a system
                // namespace needs no workload before it.
                || l == "in"
                    && (next.trim_end_matches([',', '.']).ends_with("-system")
                        || next == "kube-public")
                // "… in shop for app=web", "block … in shop": only where
                // a workload is named too ("are in place" names none; "the
                // proof of vulnerability." names none either).
                || (l == "in"
                    || matches!(
                        self.prev_low(i),
                        "pods" | "pod" | "containers" | "container" | "workloads" | "deployment"
                            | "deployments" | "services" | "apps"
                    ))
                    && (matches!(self.low(i + 2), "for" | "by" | "")
                        || self.toks[i + 1].comma
                        // "for the app=x containers of payments: stop …".
                        || self.toks[i + 1].text.ends_with(':'))
                    && (!self.mentions.is_empty()
                        || (i + 2..n).any(|k| split_label(self.low(k)).is_some()))
                // "anything other than pods of dev1" in a text that says
                // "namespace dev1" elsewhere.
                || matches!(self.prev_low(i), "pods" | "pod" | "workloads")
                    && self.named_by_keyword(next.trim_end_matches([':', ',', '.'])))
            && is_ns_name(self.toks[i + 1].text.trim_end_matches(':'))
            && !reserved(next.trim_end_matches(':'))
            && !matches!(next, "namespaces" | "namespace" | "project")
            && !matches!(
                self.low(i + 2).trim_end_matches([':', ',']),
                "namespace" | "app" | "application"
            )
            // "in every namespace:", "in all of them": no name. "until that
            // component is in front,", "keep that list in sync": an idiom.
            && !matches!(
                next.trim_end_matches([':', ',', '.']),
                "every" | "each" | "all" | "any" | "the" | "my" | "our" | "this" | "that"
                    | "front" | "sync" | "place" | "use" | "time" | "order" | "mind" | "effect"
                    | "charge" | "turn" | "transit" | "flight" | "progress" | "question"
                    | "doubt" | "practice" | "theory" | "detail" | "parallel" | "memory"
            )
            && parse_port(next).is_none()
            // "x-wing in cluster1 … io.cilium.k8s.policy.cluster=cluster1": a
            // label's value the text gives, no namespace.
            // (Not right after a label: "(app.kubernetes.io/name=ingress-nginx,
            // app.kubernetes.io/component=controller in ingress-nginx)".)
            && (self.text[self.toks[i + 1].start..]
                .split_whitespace()
                .next()
                .is_some_and(|w| w.contains(')'))
                && split_label(self.prev_low(i).trim_start_matches('(')).is_some()
                // ("app=gitlab-runner in gitlab-runner": the label just
                // named, whose namespace is named after it.)
                || !self.toks.iter().enumerate().any(|(k, x)| {
                    k + 1 != i
                        && split_label(x.text.trim_end_matches([',', '.', ')', ';']))
                            .is_some_and(|(_, v)| v == next.trim_end_matches([':', ',', '.', ')']))
                }))
        {
            self.mention_ns_at(i + 1);
            let name = self.toks[i + 1].text.trim_end_matches(':');
            push_uniq(
                &mut self.assume,
                format!("\"{l} {name}\" read as namespace {name}"),
            );
            i += 2;
            return Some(i);
        }
        // "app=web (shop)", "(app=web, shop)", "app=web pods, shop".
        let closes = self.text[t.end..].starts_with(')');
        let last = i + 1 == self.toks.len();
        let after_comma = i > 0 && self.toks[i - 1].comma;
        let label_next = self
            .toks
            .get(i + 1)
            .is_some_and(|n| split_label(n.text).is_some());
        // "(web, app=web in namespace shop)": a name before labels whose
        // aside names the namespace by its keyword is the workload's name.
        let keyword_in_aside = label_next
            && self.text[t.end..].split(')').next().is_some_and(|inner| {
                inner
                    .split_whitespace()
                    .any(|w| matches!(w, "namespace" | "ns" | "namespace:"))
            });
        if ((t.paren && (closes || t.comma)) && (self.after_mention(i) || label_next && !keyword_in_aside)
            || after_comma && (closes || last) && self.after_mention(i))
            && is_ns_name(t.text)
            && !reserved(l)
            // "(shop) deny …" may name an action's object; "app=web
            // (prod): block …" closes the scope before the action.
            && (closes && self.ends_clause(i)
                || !matches!(next, "deny" | "allow" | "block"))
        {
            self.mention(Who::Ns(t.text.to_string()), i, t.start, t.end);
            i += 1;
            return Some(i);
        }
        None
    }
}
