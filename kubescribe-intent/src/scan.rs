//! Reading one clause token by token: action phrases, scope words
//! (namespaces, all pods, cluster-wide), entities, directions, named ports,
//! CIDR excepts and the resource-mode verbs; values go to
//! [`value`](super::values).

use super::*;

impl<'a> Parser<'a> {
    /// Reads tokens `from..to` (one clause) into `a`.
    pub(super) fn scan(&mut self, a: &mut Acc, from: usize, to: usize) {
        let lower_all = self.text.to_lowercase();
        let syscall_ctx = lower_all.contains("syscall") || lower_all.contains("system call");
        let cap_ctx = lower_all.contains("capabilit")
            || lower_all.contains("cap_")
            // Docker's "--cap-drop=ALL".
            || lower_all.contains("--cap-")
            || self
                .toks
                .iter()
                .any(|t| matches!(t.lower.as_str(), "cap" | "caps"));
        let exec_ctx = self
            .toks
            .iter()
            .any(|t| EXEC_VERBS.contains(&t.lower.as_str()));
        let mut mode = Mode::None;
        let n = to;
        let mut i = from;
        // A parenthesis opened in a port list stays one ("(80 and 443 for
        // http/s, 9418 for git)"): its glosses do not end the list.
        let mut port_paren_until: Option<usize> = None;
        while i < n {
            let t = self.toks[i].clone();
            let l = t.lower.as_str();
            // "8443 (kube-rbac-proxy) + 8943 (core-bff)": words glossing the
            // port before them say what listens there; the list goes on.
            if mode == Mode::Port
                && t.paren
                && i > from
                && parse_port(self.low(i - 1)).is_some()
                && let Some(k) = self.text[t.start..].find(')')
                && self.port_gloss(&self.text[t.start..t.start + k])
            {
                let close = t.start + k;
                while i < n && self.toks[i].start < close {
                    i += 1;
                }
                continue;
            }
            if let Some(close) = port_paren_until {
                if t.start < close {
                    mode = Mode::Port;
                } else {
                    port_paren_until = None;
                }
            } else if mode == Mode::Port
                && t.paren
                && let Some(k) = self.text[t.start..].find(')')
            {
                port_paren_until = Some(t.start + k);
            }
            if i > from && self.cue_lapses(i) {
                self.cue = None;
            }
            self.note_vague_peer(a, i);
            // "Add egress rules for API server ports …", "add an ingress rule
            // for …": rules are what a network policy allows.
            // "add postgresql netpol egress for …": a policy added allows too.
            if matches!(l, "add" | "adds" | "adding")
                && (i + 1..(i + 4).min(n))
                    .any(|j| matches!(self.low(j), "rule" | "rules" | "netpol" | "networkpolicy"))
            {
                a.adds_rule = true;
            }
            // Docker's flags: "--cap-drop=ALL, --cap-add=NET_BIND_SERVICE".
            if self.docker_cap_flag(a, i) {
                i += 1;
                continue;
            }
            // A colon, semicolon or full stop ends a group of workloads: "app=web
            // in namespace shop: let app=prometheus scrape it".
            if i > from && self.toks.get(i).is_some() && {
                let gap = &self.text[self.toks[i - 1].start..self.toks[i].start];
                gap.trim_end().ends_with([':', ';']) || gap.contains(". ")
            } {
                self.brk = true;
            }
            if self.scope_aside(i) {
                self.brk = true;
                self.cue = None;
            }
            let prev = self.prev_low(i).to_string();
            let next = self.low(i + 1).to_string();
            // "by removing the NET_RAW and SYS_CHROOT capability": taking a
            // capability away is dropping it.
            if cap_ctx
                && matches!(l, "remove" | "removes" | "removing" | "removed")
                && a.paths.is_empty()
                && a.dirs.is_empty()
            {
                i = self.take_action(a, i, i, (Action::Block, false), n);
                continue;
            }
            // "… limited to the CIDRs A and B - it must not contact IPs
            // outside of the specified CIDRs": the allow-list's edge.
            let negated = matches!(l, "mustn't" | "shouldn't" | "cannot" | "can't")
                || matches!(l, "must" | "should" | "may" | "can" | "shall") && next == "not";
            if negated
                && (i + 1..(i + 7).min(n)).any(|k| self.low(k) == "outside")
                && (i + 2..(i + 11).min(n)).any(|k| {
                    matches!(
                        self.low(k),
                        "specified" | "listed" | "named" | "given" | "above" | "these" | "those"
                    )
                })
                // "…; copying data to a storage account outside the
                // workspace must not work": the same edge, said before.
                || negated && a.only && a.allow.is_some() && {
                    let mut k = i;
                    while k > 0 && !self.ends_clause(k - 1) {
                        k -= 1;
                    }
                    (k..i).any(|j| matches!(self.low(j), "outside" | "elsewhere"))
                }
                || negated && a.only && a.allow.is_some() && self.others_kept_off(i, n)
            {
                a.only = true;
                i += 1;
                while i < n && !self.ends_clause(i - 1) {
                    i += 1;
                }
                continue;
            }
            // "… processes that are not on the allowed list: A and B".
            if let Some(k) = self.unlisted(a, i) {
                i = k;
                continue;
            }
            if let Some(k) = self.drop_the_others(a, i) {
                i = k;
                continue;
            }
            // Actions (one- to four-word phrases).
            // "kill" in a list of calls or capabilities ("CHOWN, NET_RAW
            // and KILL") names one.
            // ("drop CHOWN, KILL and SETGID": in capitals, after one.)
            let capital = self.toks[i].text.trim_end_matches(['.', ',', ';', ')']) == "KILL";
            let kill_named = l == "kill"
                && ((syscall_ctx || cap_ctx) && mode == Mode::Syscall
                    || cap_ctx && (mode == Mode::Cap || capital)
                    || capital && mode == Mode::Cap);
            // "drop all incoming ICMP to them, not only echo-request": more
            // than, no allow-list.
            if l == "not" && next.trim_end_matches(',') == "only" {
                i += 2;
                continue;
            }
            // ("Such recording shall not block any connection": said of the
            // audit, before "shall not" reads as a denial.)
            let modal_not_to_block =
                matches!(l, "shall" | "should" | "must" | "will") && self.says_not_to_block(a, i);
            if !kill_named
                && !modal_not_to_block
                && let Some((act, k, negated)) = self.action_phrase(i, a)
            {
                self.nobody_connects(a, i, n);
                i = self.take_action(a, i, k, (act, negated), n);
                continue;
            }
            // "… to the GitHub API only: api.github.com …".
            // "… but only on pods labelled app=runner": where it applies,
            // no allow-list.
            let only_where = matches!(next.as_str(), "on" | "in" | "within" | "inside")
                && (i + 2..(i + 5).min(n)).any(|k| {
                    matches!(
                        self.low(k),
                        "pods" | "pod" | "labelled" | "labeled" | "namespace" | "ns" | "containers"
                    )
                });
            if l.trim_end_matches([':', ',']) == "only" && !only_where {
                a.only = true;
                // "pods with run=client are the only ones allowed to talk to
                // run=nginx" after an allow: the subject is the one let in.
                if self.only_before_subject(i)
                    || prev == "the" && matches!(next.as_str(), "ones" | "one")
                {
                    a.only_subject = true;
                }
            }
            if matches!(l, "may" | "can" | "could")
                && !matches!(next.as_str(), "not" | "never" | "be")
                && !next.is_empty()
                && !self.threat_modal(i)
                || matches!(l, "need" | "needs" | "require" | "requires")
                || l == "able" && matches!(prev.as_str(), "be" | "is" | "are")
                || matches!(l, "has" | "have") && matches!(next.as_str(), "to" | "access")
            {
                a.modal_allow = true;
            }
            // "alert on it, don't block", "observe-only, nothing is blocked":
            // what the policy must not do (parse/not_done.rs).
            if self.says_not_to_block(a, i) {
                i += 1;
                // ("don't block it — just flag every run of …": a dash
                // ends it too.)
                while i < n
                    && !self.ends_clause(i - 1)
                    && !matches!(self.toks[i].text, "\u{2014}" | "\u{2013}" | "-" | "--")
                {
                    i += 1;
                }
                continue;
            }
            // "nobody but Prometheus (…) should be able to reach …": only
            // Prometheus may.
            // "nothing but kong (…) should reach …", "Nothing other than
            // mariadbd (…) may read …", "no process besides X may …".
            if let Some(last) = self.no_one_but(i) {
                a.only = true;
                if self.only_before_subject(last) {
                    a.only_subject = true;
                }
                self.ent(EntityKind::Action, t.start, self.toks[last].end);
                a.allow.get_or_insert("only".to_string());
                i = last + 1;
                continue;
            }
            // "… should send nothing but DNS and port 80 traffic": the
            // object of a verb, only what follows.
            if l == "nothing"
                && matches!(next.as_str(), "but" | "except" | "besides")
                && i > from
                && !self.ends_clause(i - 1)
                && matches!(
                    prev.as_str(),
                    "send"
                        | "sends"
                        | "accept"
                        | "accepts"
                        | "receive"
                        | "receives"
                        | "allow"
                        | "allows"
                        | "reach"
                        | "reaches"
                        | "open"
                        | "opens"
                        | "take"
                        | "takes"
                        | "run"
                        | "runs"
                        | "execute"
                        | "executes"
                        | "read"
                        | "reads"
                )
            {
                a.only = true;
                self.ent(EntityKind::Action, t.start, self.toks[i + 1].end);
                a.allow.get_or_insert("only".to_string());
                i += 2;
                continue;
            }
            // "nothing in app=x may read …", "nobody may exec …": a subject
            // that is no one, at the start of a clause, with a modal: blocked.
            if (matches!(l, "nothing" | "nobody" | "noone") || l == "no" && next == "one")
                && (i == from
                    || self.ends_clause(i - 1)
                    // "till then nothing in the piston pods may run …".
                    // "is there a way that nothing in … can modify …?".
                    || matches!(prev.as_str(), "then" | "so" | "now" | "meanwhile" | "that"))
                // "Nothing in the app=x pods of namespace y may run …".
                && (i + 1..(i + 11).min(n))
                    .take_while(|&k| {
                        k == i + 1
                            || !self.text[self.toks[k - 1].end..self.toks[k].start]
                                .contains(['.', ';', '?', '!'])
                    })
                    .any(|k| matches!(self.low(k), "may" | "can" | "should" | "must" | "is"))
                && !matches!(next.as_str(), "else" | "more")
            {
                self.ent(EntityKind::Action, t.start, t.end);
                a.block.get_or_insert(t.text.to_string());
                i += if l == "no" { 2 } else { 1 };
                continue;
            }
            // "no pod should be able to …", "none of the pods can connect
            // to …": every pod, blocked.
            let pod_noun = |w: &str| {
                matches!(
                    w,
                    "pod" | "pods" | "workload" | "workloads" | "container" | "containers"
                )
            };
            let noun_at = if l == "no" && pod_noun(&next) {
                Some(i + 1)
            } else if l == "none" && next == "of" {
                (i + 2..(i + 4).min(n)).find(|&k| pod_noun(self.low(k)))
            } else {
                None
            };
            if let Some(k) = noun_at {
                // "No workload in namespace x is permitted to run …": the
                // permission is what no pod has.
                if (k + 1..(k + 8).min(n))
                    .take_while(|&j| !self.ends_clause(j - 1))
                    .any(|j| matches!(self.low(j), "permitted" | "allowed"))
                {
                    a.negated_allow = true;
                }
                a.all_pods_word = true;
                a.block
                    .get_or_insert(self.text[t.start..self.toks[k].end].to_string());
                self.ent(EntityKind::Action, t.start, self.toks[k].end);
                i = k + 1;
                continue;
            }
            if let Some(next_tok) = self.no_one_else_reaches(a, i, n) {
                i = next_tok;
                continue;
            }
            // "…, everything else may still reach them": the block's edge.
            if let Some(k) = self.else_allowed(i, n) {
                i = k;
                continue;
            }
            // "everything else: denied", "…, rest blocked": the allow-list's
            // posture.
            if let Some(k) = self.else_denied(a, i, n) {
                i = k;
                continue;
            }
            // "X exchanges traffic with Y": both directions, permitted.
            // (Not "a symlink exchange attack": a noun.)
            if matches!(l, "exchange" | "exchanges" | "exchanging")
                && matches!(
                    next.as_str(),
                    "traffic" | "packets" | "data" | "with" | "messages"
                )
            {
                a.dir_explicit.get_or_insert(Direction::Both);
                a.modal_allow = true;
                self.cue = Some(Cue::To);
                self.cue_at = i;
                i += 1;
                while matches!(self.low(i), "traffic" | "packets" | "data" | "with") {
                    i += 1;
                }
                continue;
            }
            // "talk to each other", "between the nodes", "from pods in its own
            // namespace".
            if let Some(j) = self.among_themselves(a, i, n, &prev, &next) {
                i = j;
                continue;
            }
            // "the NET_RAW capability instead of ICMP", "rather than port 80":
            // what is set aside is not governed; skip it up to the next
            // preposition, action word or clause end.
            if l == "instead" && next == "of" || l == "rather" && next == "than" {
                let mut k = i + 2;
                while k < n
                    && !matches!(self.low(k), "for" | "in" | "on" | "to" | "from" | "of")
                    && self.action_phrase(k, a).is_none()
                {
                    let end = self.ends_clause(k);
                    k += 1;
                    if end {
                        break;
                    }
                }
                i = k;
                continue;
            }
            // "nobody else gets in": an allow-list.
            if matches!(l, "nobody" | "noone") || l == "no" && next == "one" {
                a.only = true;
            }
            // "open UDP ports 10000 through 20000": permission for ports.
            if l == "open"
                && (matches!(next.as_str(), "port" | "ports")
                    || proto(&next).is_some()
                    || parse_port(&next).is_some())
            {
                self.ent(EntityKind::Action, t.start, t.end);
                a.allow.get_or_insert("open".to_string());
                mode = Mode::Port;
                i += 1;
                continue;
            }
            // "DNS out", "-> only DNS out".
            if l == "out" && prev != "and" && !matches!(next.as_str(), "of") {
                a.dir_implied.get_or_insert(Direction::Egress);
            }
            // Entity phrases, default-deny phrases and policy names.
            if let Some(k) = self.posture_phrase(a, i) {
                i = k;
                continue;
            }
            // "… and nothing else", "no other …": an allow-list.
            // ("… goes to the doc-store pods on 9000 and nowhere else".)
            if (matches!(l, "nothing" | "nowhere") && matches!(next.as_str(), "else" | "more"))
                || (l == "no" && matches!(next.as_str(), "other" | "others"))
            {
                a.only = true;
                i += 2;
                continue;
            }
            if let Some(j) = self.scan_scope(a, i, from, &prev, &next) {
                i = j;
                continue;
            }
            // "log every incoming packet to …".
            // "every binary other than …", "drop every capability save for
            // …": every one of a kind is all of it.
            let every_one = |w: &str| {
                matches!(
                    w,
                    "binary"
                        | "executable"
                        | "program"
                        | "process"
                        | "command"
                        | "capability"
                        | "port"
                        | "connection"
                        | "packet"
                )
            };
            if matches!(l, "all" | "any" | "everything")
                && (ALL_WHAT.contains(&next.as_str()) || next.is_empty())
                // "block all of its egress apart from DNS".
                || l == "all"
                    && next == "of"
                    && matches!(self.low(i + 2), "its" | "their" | "the" | "his" | "her")
                    && ALL_WHAT.contains(&self.low(i + 3))
                || matches!(l, "every" | "each" | "any") && every_one(&next)
                || matches!(l, "every" | "each")
                    && matches!(next.as_str(), "incoming" | "outgoing" | "inbound" | "outbound")
                    && ALL_WHAT.contains(&self.low(i + 2))
                || matches!(l, "anything" | "everything")
                // ("we don't use the UDP feature anywhere": nowhere, said.)
                || matches!(l, "anywhere" | "everywhere") && !self.unused_before(i)
                // A securityContext's "drop: [ALL]".
                // Its YAML list form: "drop:\n  - ALL".
                || l == "all"
                    && (matches!(prev.as_str(), "drop" | "drops")
                        || prev == "-" && i >= 2 && self.low(i - 2) == "drop")
            {
                a.all_word = true;
            }
            // "owner only", "only by its owner".
            if matches!(l, "owner-only" | "owner")
                && (l == "owner-only"
                    || next == "only"
                    || matches!(prev.as_str(), "its" | "the" | "their") && {
                        let p2 = if i >= 2 { self.low(i - 2) } else { "" };
                        matches!(p2, "by" | "only")
                            || i >= 3 && self.low(i - 3) == "only"
                            // "access to X is limited to its owner".
                            || p2 == "to"
                                && i >= 3
                                && matches!(self.low(i - 3), "limited" | "restricted" | "confined")
                    }
                    // "only accessible to the file owner", "… to only the
                    // keytab owner".
                    || !matches!(prev.as_str(), "its" | "the" | "their" | "")
                        && i >= 2
                        && matches!(self.low(i - 2), "the" | "its")
                        && (i.saturating_sub(6)..i - 2).any(|k| self.low(k) == "only"))
            {
                a.owner_only = true;
                i += if next == "only" { 2 } else { 1 };
                continue;
            }
            // Entities: "the internet", "the kube-apiserver", "to the host".
            let peer_ctx = matches!(prev.as_str(), "to" | "from" | "the" | "reach")
                || matches!(self.cue, Some(Cue::To | Cue::From));
            // "… and nothing else on the internet": the allow-list's edge,
            // not a peer.
            // "…, no other internet access": the same edge.
            let else_on = ((i.saturating_sub(4)..i).any(|j| self.low(j) == "else")
                && matches!(prev.as_str(), "the" | "on" | "in")
                || prev == "other" && i >= 2 && matches!(self.low(i - 2), "no" | "any"))
                && matches!(l, "internet" | "world");
            // "to redis node 10.0.0.13": the address names the node.
            let addressed = matches!(l, "node" | "host") && parse_cidr(&next).is_some();
            // "the api server (172.31.0.1) … reach the apiserver": once an
            // address names it, later mentions are that address too.
            if let Some((ent, len)) = entity_word(l, &next)
                && self.addresses_follow(i + len)
                && !a.addressed_entities.contains(&ent)
            {
                a.addressed_entities.push(ent);
            }
            if let Some((ent, len)) = entity_word(l, &next)
                && !else_on
                // "pods can reach any external network": how open it is
                // now, said of the network's kind.
                && !(prev == "any" && matches!(l, "external" | "outside"))
                && !addressed
                && !self.addresses_follow(i + len)
                && !self.labels_follow(i + len)
                && !a.addressed_entities.contains(&ent)
                && (ent != NetworkEntity::Host || peer_ctx)
                // "the kube-apiserver operator", "the host pods": the word
                // modifies the noun after it, which is what is named.
                && !ENTITY_MODIFIED.contains(&self.low(i + len).trim_end_matches([':', ',', '.']))
            {
                let end = self.toks[i + len - 1].end;
                self.ent(EntityKind::Cidr, t.start, end);
                if !a.entities.contains(&ent) {
                    a.entities.push(ent);
                }
                let from = prev == "from"
                    || prev == "the" && i >= 2 && self.low(i - 2) == "from"
                    || self.cue == Some(Cue::From);
                if !from {
                    a.dir_implied.get_or_insert(Direction::Egress);
                } else {
                    a.dir_implied.get_or_insert(Direction::Ingress);
                }
                self.cue = None;
                i += len;
                continue;
            }
            // Named ports: "the port named metrics", "named port metrics".
            if (matches!(l, "port" | "ports")
                && matches!(next.as_str(), "named" | "name" | "called")
                || l == "named" && matches!(next.as_str(), "port" | "ports"))
                && i + 2 < n
                && is_ns_name(self.toks[i + 2].text)
                && !reserved(self.low(i + 2))
            {
                let nt = self.toks[i + 2].clone();
                self.ent(EntityKind::Port, nt.start, nt.end);
                push_uniq(&mut a.named_ports, nt.text.to_string());
                mode = Mode::Port;
                i += 3;
                continue;
            }
            // "10.0.0.0/8 except 10.1.0.0/16", "0.0.0.0/0 except the
            // private IP ranges 10.0.0.0/8, …".
            if !a.cidrs.is_empty()
                && let Some(k) = if matches!(l, "except" | "excepting") && next == "for" {
                    Some(i + 2)
                } else if matches!(l, "except" | "excluding" | "excepting") {
                    Some(i + 1)
                } else if l == "but" && next == "not"
                    || l == "other" && next == "than"
                    || l == "save" && next == "for"
                    || l == "apart" && next == "from"
                {
                    Some(i + 2)
                } else {
                    None
                }
                && let Some(at) = self.cidr_after_description(k)
            {
                a.cidr_except = true;
                i = at;
                continue;
            }
            // "the nginx app" → app=nginx
            if prev == "the" && self.the_x_pods(i) {
                i += 2;
                continue;
            }
            if l == "system" && matches!(next.as_str(), "call" | "calls") {
                self.ent(EntityKind::Domain, t.start, self.toks[i + 1].end);
                a.domain_word.get_or_insert(Domain::Syscall);
                mode = Mode::Syscall;
                i += 2;
                continue;
            }
            if l == "in" && next == "and" && self.low(i + 2) == "out" {
                self.ent(EntityKind::Direction, t.start, self.toks[i + 2].end);
                a.dir_explicit = Some(Direction::Both);
                i += 3;
                continue;
            }
            if l == "sent" && next == "by" {
                a.dir_implied.get_or_insert(Direction::Egress);
            }
            if (l == "both" && next == "directions")
                || l == "bidirectional"
                || l == "bidirectionally"
            {
                let k = if l == "both" { i + 1 } else { i };
                self.ent(EntityKind::Direction, t.start, self.toks[k].end);
                a.dir_explicit = Some(Direction::Both);
                i = k + 1;
                continue;
            }
            if matches!(l, "network" | "tracing")
                && matches!(next.trim_end_matches(':'), "policy" | "policies")
            {
                let nt = &self.toks[i + 1];
                let end = nt.start + nt.text.trim_end_matches(':').len();
                self.ent(EntityKind::Policy, t.start, end);
                if l == "tracing" {
                    a.engines.push((Engine::Tetragon, "tracing policy".into()));
                } else {
                    a.domain_word.get_or_insert(Domain::Network);
                }
                i += 2;
                continue;
            }
            if matches!(
                l,
                "non-recursive" | "non-recursively" | "nonrecursive" | "top-level"
            ) {
                a.non_recursive = true;
            }
            if let Some(j) = self.scan_engine(a, i, &next) {
                i = j;
                continue;
            }
            if let Some(j) = self.scan_namespace(i, n, &prev, &next) {
                i = j;
                continue;
            }
            // "let app=prometheus scrape it", "only role=client can
            // communicate with it": "it" is the workload named first; the
            // group named since then acts on it, so it is the peer it
            // receives from.
            if matches!(l, "it" | "them")
                && (matches!(self.cue, Some(Cue::To)) && self.cue_at + 1 == i
                    || prev == "with"
                        && i >= 2
                        && matches!(
                            self.low(i - 2),
                            "communicate"
                                | "communicates"
                                | "talk"
                                | "talks"
                                | "connect"
                                | "connects"
                                | "interact"
                                | "speak"
                        ))
                && self.groups.len() >= 2
                && self.groups.last() == Some(&Cue::None)
            {
                let g = self.groups.len() - 1;
                self.groups[g] = Cue::From;
                for m in self.mentions.iter_mut().filter(|m| m.group == g) {
                    m.cued = true;
                }
                self.cue = None;
                i += 1;
                continue;
            }
            // "only role=x can query it" with nothing named before: "it"
            // refers to no workload.
            if matches!(l, "it" | "them")
                && matches!(self.cue, Some(Cue::To))
                && self.cue_at + 1 == i
                && self.groups.len() == 1
                // The one group named is this clause's own subject; one named
                // in an earlier clause is what "it" refers to ("app=web in
                // namespace shop, so allow ingress to it").
                && self.mentions.first().is_some_and(|m| {
                    let between = &self.text[m.end..t.start];
                    !between.contains([',', ':', ';']) && !between.contains(". ")
                })
            {
                a.dangling_it = true;
            }
            // "the correct way to forbid all pods …", "I want to block …": an
            // infinitive's "to" names no side of a connection.
            if l == "to"
                && (ALLOW_WORDS.contains(&next.as_str())
                    || BLOCK_WORDS.contains(&next.as_str())
                    || AUDIT_WORDS.contains(&next.as_str())
                    || matches!(
                        prev.as_str(),
                        "way" | "how" | "want" | "wants" | "need" | "needs" | "trying" | "try"
                    )
                    // "… to overcome cilium limitation and allow this app …":
                    // a purpose's verb.
                    || matches!(
                        next.as_str(),
                        "overcome" | "ensure" | "make" | "avoid" | "enable" | "support" | "fix"
                            | "keep" | "implement" | "harden" | "secure" | "mitigate" | "comply"
                            | "reduce" | "improve" | "address" | "resolve" | "solve"
                    )
                    // "to sandbox an application", "to protect the database":
                    // a verb and its object.
                    || next.chars().all(|c| c.is_ascii_lowercase())
                        && !next.is_empty()
                        && !matches!(next.as_str(), "pods" | "pod" | "all" | "any" | "every" | "each" | "only")
                        && matches!(
                            self.low(i + 2),
                            "a" | "an" | "the" | "my" | "our" | "your" | "their" | "its" | "this"
                                | "these" | "those"
                        ))
            {
                i += 1;
                continue;
            }
            // "backup (…) -> primary (…)": an arrow is "to" (the tokenizer
            // leaves its shaft).
            let arrow = ["->", "=>", "→"]
                .iter()
                .any(|a| self.text[t.start..].starts_with(a));
            let l = if arrow { "to" } else { l };
            // Prepositions that say which side of a connection a workload is on.
            if self.side_word(a, i, l, &prev, &next, mode) {
                i += 1;
                continue;
            }
            // Cilium's deny sections named as operators paste them: "an
            // egressDeny rule", "ingressDeny:": a block that way.
            if let Some(dir) = match l.trim_end_matches([':', ',']) {
                "egressdeny" => Some(Direction::Egress),
                "ingressdeny" => Some(Direction::Ingress),
                _ => None,
            } {
                self.ent(EntityKind::Action, t.start, t.end);
                a.block
                    .get_or_insert(t.text.trim_end_matches([':', ',']).to_string());
                a.dir_explicit = Some(match a.dir_explicit {
                    Some(d) if d != dir => Direction::Both,
                    _ => dir,
                });
                i += 1;
                continue;
            }
            // "the ingress controller", "an egress gateway": a component's
            // name, no direction.
            if matches!(l, "ingress" | "egress")
                && matches!(
                    next.trim_end_matches([',', '.', ';', ':']),
                    "controller"
                        | "controllers"
                        | "gateway"
                        | "gateways"
                        | "proxy"
                        | "proxies"
                        | "router"
                )
            {
                i += 1;
                continue;
            }
            // "Still to do (incoming on-call): …", "Outgoing: …": the shift
            // handing over, no direction.
            if matches!(l, "incoming" | "outgoing")
                && matches!(
                    next.trim_end_matches([',', '.', ';', ':', ')']),
                    "on-call" | "oncall" | "shift" | "crew" | "engineer" | "sre" | "team"
                )
            {
                i += 1;
                continue;
            }
            // "the inbound agents (role=agent) may connect to …": a kind of
            // workload, no direction.
            if matches!(l, "inbound" | "outbound" | "incoming" | "outgoing")
                && matches!(prev.as_str(), "the" | "our" | "its" | "their")
                && matches!(
                    next.trim_end_matches([',', '.', ';', ':']),
                    "agent"
                        | "agents"
                        | "worker"
                        | "workers"
                        | "runner"
                        | "runners"
                        | "client"
                        | "clients"
                        | "relay"
                        | "relays"
                        | "pods"
                        | "pod"
                )
            {
                i += 1;
                continue;
            }
            // A direction word may end a heading ("… at egress: …").
            match l.trim_end_matches(':') {
                "ingress" | "incoming" | "inbound" => {
                    self.ent(
                        EntityKind::Direction,
                        t.start,
                        t.start + t.text.trim_end_matches(':').len(),
                    );
                    a.dir_explicit = Some(match a.dir_explicit {
                        Some(Direction::Egress) | Some(Direction::Both) => Direction::Both,
                        _ => Direction::Ingress,
                    });
                    i += 1;
                    continue;
                }
                "egress" | "outgoing" | "outbound" => {
                    self.ent(
                        EntityKind::Direction,
                        t.start,
                        t.start + t.text.trim_end_matches(':').len(),
                    );
                    a.dir_explicit = Some(match a.dir_explicit {
                        Some(Direction::Ingress) | Some(Direction::Both) => Direction::Both,
                        _ => Direction::Egress,
                    });
                    i += 1;
                    continue;
                }
                "endpoint" | "endpoints" => {
                    self.ent(EntityKind::Endpoint, t.start, t.end);
                    push_uniq(
                        &mut self.assume,
                        "\"endpoint\" read as the workload selector (Calico/Cilium terms)".into(),
                    );
                    i += 1;
                    continue;
                }
                _ => {}
            }
            self.exception_word(a, i, l, &prev, &next);
            // "It must not open a shell session": starting a program.
            if l == "open"
                && matches!(
                    (if matches!(next.as_str(), "a" | "an" | "the") {
                        self.low(i + 2)
                    } else {
                        next.as_str()
                    })
                    .trim_end_matches([',', '.', ':', ';']),
                    "shell" | "shells" | "terminal" | "console" | "session"
                )
            {
                a.exec_verb = true;
                mode = Mode::Exec;
                i += 1;
                continue;
            }
            // "should only be readable by the Lenses process (…)": who may
            // read, and nothing else.
            if matches!(l, "readable" | "writable" | "writeable")
                && matches!(next.as_str(), "by" | "only")
            {
                a.file_verb = true;
                if l == "readable" {
                    a.reads = true;
                } else {
                    a.writes = true;
                }
                mode = Mode::File;
                i += 1;
                continue;
            }
            // Resource-mode verbs; "write/modify access", "read/write":
            // each verb of a slash-joined pair.
            let pair: Vec<&str> = l.split('/').collect();
            if pair.len() > 1 && pair.iter().all(|w| FILE_VERBS.contains(w)) {
                a.file_verb = true;
                for w in pair {
                    match w {
                        "read" | "reads" | "reading" | "view" => a.reads = true,
                        "access" | "accessing" | "open" | "opens" | "opening" => {}
                        _ => a.writes = true,
                    }
                }
                mode = Mode::File;
                i += 1;
                continue;
            }
            // "can you write that", "pls write me a policy": asking for
            // the policy, not a write of files.
            if l == "write" && self.asks_to_write_policy(i) {
                i += 1;
                continue;
            }
            if FILE_VERBS.contains(&l) && !(mode == Mode::Exec && matches!(l, "access" | "open")) {
                i += self.file_verb(a, i);
                mode = Mode::File;
                continue;
            }
            // Not "run == 'webserver'": a label key of Calico's syntax.
            // (Nor "until the pods run 3.68.1": a release, not a program.)
            let release = next
                .trim_start_matches('v')
                .starts_with(|c: char| c.is_ascii_digit())
                && next.contains('.');
            // (Nor "the agent runs as app=x in namespace y": what it is
            // labelled, or which user it is.)
            let runs_as = matches!(l, "run" | "runs" | "running") && next == "as";
            if EXEC_MODE_VERBS.contains(&l)
                && !matches!(next.as_str(), "==" | "!=")
                && !release
                && !runs_as
            {
                a.exec_verb = true;
                mode = Mode::Exec;
                i += 1;
                continue;
            }
            self.note_unnamed_peer(a, i);
            // "the NodePort range (e.g. 30000-32767)": the numbers are ports.
            if matches!(l, "nodeport" | "nodeports")
                || l == "range" && matches!(prev.as_str(), "port" | "nodeport")
                || matches!(l, "eg." | "e.g." | "e.g" | "eg" | "i.e." | "i.e" | "ie")
                    && mode == Mode::Port
            {
                mode = Mode::Port;
                i += 1;
                continue;
            }
            // "that admin socket on the icecast pods should only be
            // reachable from …": a listener said by its use, no number.
            if matches!(l.trim_end_matches([',', '.']), "socket" | "listener")
                && matches!(
                    prev.as_str(),
                    "admin" | "management" | "debug" | "metrics" | "control"
                )
            {
                self.note_unnamed_port(a, i);
            }
            if matches!(l, "port" | "ports") {
                self.note_unnamed_port(a, i);
                mode = Mode::Port;
                i += 1;
                continue;
            }
            if matches!(l, "on" | "over") && parse_port(&next).is_some() {
                mode = Mode::Port;
                i += 1;
                continue;
            }
            // Not across a sentence: "… to the pod. webservice should …".
            if l == "pod" && !self.ends_clause(i) && self.pod_name_like(i + 1) {
                mode = Mode::Pod;
                i += 1;
                continue;
            }
            if matches!(l, "calls" | "call" | "calling") && mode != Mode::Port {
                mode = Mode::Syscall;
            }
            // Domain words.
            let dw = match l {
                "file" | "files" | "directory" | "directories" | "folder" | "folders"
                | "filesystem" => Some(Domain::File),
                "process" | "processes" | "binary" | "binaries" | "executable" | "executables"
                | "program" | "programs" | "commands" | "tools" | "utilities" => {
                    Some(Domain::Process)
                }
                "network" | "traffic" | "connection" | "connections" | "connectivity"
                | "packets" => Some(Domain::Network),
                "syscall" | "syscalls" => Some(Domain::Syscall),
                "capability" | "capabilities" => Some(Domain::Capability),
                _ => None,
            };
            // "network scanning tools", "file transfer programs": the noun
            // that ends the phrase says what is governed, not its modifier.
            let dw = match dw {
                Some(Domain::Network | Domain::File)
                    if (i + 1..(i + 3).min(n)).any(|j| PROCESS_HEADS.contains(&self.low(j))) =>
                {
                    Some(Domain::Process)
                }
                // "… should be accessible only by that ruby process
                // (/usr/local/bin/ruby)": the program that acts on the files
                // named, glossed with its path.
                Some(Domain::Process)
                    if (i.saturating_sub(4)..i).any(|k| self.low(k) == "by")
                        && (!a.paths.is_empty() || !a.dirs.is_empty())
                        && self
                            .toks
                            .get(i + 1)
                            .is_some_and(|t| t.paren && t.text.starts_with('/')) =>
                {
                    None
                }
                d => d,
            };
            if let Some(d) = dw {
                self.ent(EntityKind::Domain, t.start, t.end);
                a.domain_word.get_or_insert(d);
                match d {
                    Domain::Process => mode = Mode::Exec,
                    Domain::Syscall => mode = Mode::Syscall,
                    Domain::Capability => mode = Mode::Cap,
                    _ => {}
                }
                i += 1;
                continue;
            }
            let consumed = self.value(a, i, &mut mode, syscall_ctx, cap_ctx, exec_ctx);
            i += consumed;
        }
    }
}
