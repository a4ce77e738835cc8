//! Action phrases: which words say an action ("block", "must not", "only",
//! "restrict … from", not "log statements" or "X lets a process …"). What a
//! phrase says beyond its action, once found, is recorded by
//! `action_record.rs`; the action said as a command, when the words
//! disagree, is `commanded.rs`'s.

use super::*;

impl<'a> Parser<'a> {
    /// An action phrase starting at token `i`: (action, last token, negated allow).
    pub(super) fn action_phrase(&self, i: usize, a: &Acc) -> Option<(Action, usize, bool)> {
        let l = self.low(i);
        let next = self.low(i + 1);
        // "nothing in them can write under /bin/", "nobody may exec …": no
        // one may (not "nobody but X may …", an exception).
        if (matches!(l, "nothing" | "nobody" | "noone") || l == "no" && next == "one")
            && self.no_one_but(i).is_none()
        {
            let at = if l == "no" { i + 2 } else { i + 1 };
            // ("nothing else may run": the allow-list's posture; "nothing
            // should be blocked": a refusal to block.)
            // ("nothing in the openhab pods (app=openhab, namespace
            // smarthome) may modify …": the pods' gloss between.)
            let t_start = self.toks[i].start;
            if let Some(m) = (at..(at + 12).min(self.toks.len())).find(|&k| {
                matches!(
                    self.low(k),
                    "can" | "may" | "should" | "must" | "shall" | "will"
                )
            }) && (at..m)
                .all(|k| !self.ends_clause(k) || self.paren_depth(t_start, self.toks[k].end) > 0)
                && !matches!(self.low(at), "else" | "other" | "more")
                && !matches!(self.low(m + 1), "not" | "never")
                && (self.low(m + 1) != "be" || self.low(m + 2) == "able")
            {
                return Some((Action::Block, i, false));
            }
        }
        // "… policy-verdict:none INGRESS DENIED", "DROPPED (Policy denied)":
        // a pasted flow log's verdict, no ask.
        let raw = self.toks[i]
            .text
            .trim_matches(|c: char| !c.is_ascii_alphabetic());
        if raw.len() > 1
            && raw.chars().all(|c| c.is_ascii_uppercase())
            && matches!(
                l.trim_matches(|c: char| !c.is_ascii_alphabetic()),
                "denied" | "dropped" | "allowed" | "blocked" | "rejected" | "forwarded" | "audited"
            )
        {
            return None;
        }
        // "…, volumes would stop attaching", "it might break the
        // upload": what would happen, no order. "Before we drop it, log
        // every use of …": a later step, the time of the ask.
        // ("the healthchecks … will get dropped": what would happen too.)
        if i > 0
            && BLOCK_WORDS.contains(&l)
            && (matches!(self.low(i - 1), "would" | "might" | "wouldn't")
                || i > 1
                    && matches!(self.low(i - 1), "get" | "gets")
                    && matches!(self.low(i - 2), "will" | "would" | "might" | "could")
                || i > 1
                    && matches!(self.low(i - 1), "we" | "you" | "they" | "i")
                    && matches!(self.low(i - 2), "before" | "until" | "once"))
        {
            return None;
        }
        // "by default, they block port 25": what someone else does,
        // described (not "a rule which allows it to receive …").
        if i > 0
            && self.low(i - 1) == "they"
            && matches!(
                l,
                "block" | "blocks" | "allow" | "allows" | "deny" | "denies" | "drop" | "drops"
            )
        {
            return None;
        }
        // "kubearmor-capabilities-posture: block", "default posture block":
        // the posture's value, not the ask's action.
        if i > 0 && self.prev_low(i).trim_end_matches(':').ends_with("posture") {
            return None;
        }
        let is_allow = |w: &str| {
            matches!(
                w,
                "allow"
                    | "allowed"
                    | "allowing"
                    | "let"
                    | "letting"
                    | "permit"
                    | "permitted"
                    | "permitting"
            )
        };
        // "the solr pods can't be upgraded this sprint", "will not be
        // patched": the workload's state, said as background, no ask.
        // ("we can't patch the legacy broker before …" too.)
        // (Said actively only by the people who run it: "nginx should never
        // update /etc/nginx/" is an ask.)
        let by_us = i > 0 && matches!(self.low(i - 1), "we" | "i" | "you" | "they");
        let upkept = |k: usize| {
            self.low(k) == "be" && UPKEEP.contains(&self.low(k + 1))
                || by_us
                    && (UPKEEP
                        .iter()
                        .any(|u| u.strip_suffix("ed").is_some_and(|v| self.low(k) == v))
                        || matches!(self.low(k), "rebuild" | "upgrade" | "retire"))
        };
        if matches!(
            l.replace('’', "'").as_str(),
            "cannot" | "can't" | "won't" | "wouldn't" | "couldn't" | "never"
        ) && upkept(i + 1)
            || matches!(l, "can" | "will" | "could" | "would") && next == "not" && upkept(i + 2)
        {
            return None;
        }
        // "they should not get anywhere from there: they may only connect
        // to …": the allow-list's posture, said before it.
        if matches!(next, "not" | "never")
            && matches!(self.low(i + 2), "get" | "go")
            && self.low(i + 3).trim_end_matches([',', '.', ':', ';']) == "anywhere"
            && (i + 4..(i + 16).min(self.toks.len())).any(|k| self.low(k) == "only")
        {
            return None;
        }
        // "The FastCGI port 9000 should not be exposed to the wide network
        // … In namespace cloud, only the web pods may reach 9000 …": what
        // the later allow-list shuts out, said first.
        if matches!(l, "should" | "must" | "shall")
            && next == "not"
            && self.low(i + 2) == "be"
            && self.low(i + 3).trim_end_matches([',', '.', ';']) == "exposed"
            && (i + 4..self.toks.len()).any(|k| {
                self.low(k) == "only"
                    && (k + 1..(k + 8).min(self.toks.len()))
                        .any(|j| matches!(self.low(j), "may" | "can" | "should" | "must"))
            })
        {
            return None;
        }
        if matches!(
            l,
            "must" | "should" | "may" | "can" | "shall" | "shalt" | "will"
        ) && matches!(next, "not" | "never")
        {
            let mut k = i + 1;
            if self.low(k + 1) == "be" && is_allow(self.low(k + 2)) {
                k += 2;
            }
            return Some((Action::Block, k, true));
        }
        // "Apache shouldn't be allowed to spawn shells", "mustn't".
        if matches!(
            l.replace('’', "'").as_str(),
            "mustn't" | "shouldn't" | "shan't" | "won't" | "wouldn't" | "mayn't"
        ) {
            let k = if next == "be" && is_allow(self.low(i + 2)) {
                i + 2
            } else {
                i
            };
            return Some((Action::Block, k, true));
        }
        // "should be reachable/accessible from …": permission, passive.
        if matches!(
            l,
            "must"
                | "should"
                | "may"
                | "can"
                | "shall"
                | "will"
                | "is"
                | "are"
                | "stays"
                | "remain"
                // "we want tomcat to be accessible on 8080 to …".
                | "to"
        ) && next == "be"
            && matches!(self.low(i + 2), "reachable" | "accessible" | "reached")
        {
            return Some((Action::Allow, i + 2, false));
        }
        if matches!(l, "do" | "does") && next == "not" && is_allow(self.low(i + 2)) {
            return Some((Action::Block, i + 2, true));
        }
        // "don't provide access to …", "never grant access to …": no
        // permission (the phrase grants_access reads below, negated).
        let grants = |k: usize| {
            matches!(
                self.low(k),
                "grant"
                    | "grants"
                    | "give"
                    | "gives"
                    | "provide"
                    | "provides"
                    | "enable"
                    | "enables"
            ) && self.low(k + 1) == "access"
        };
        if matches!(
            l,
            "don't" | "dont" | "doesn't" | "not" | "never" | "cannot" | "can't"
        ) && grants(i + 1)
        {
            return Some((Action::Block, i + 2, true));
        }
        if matches!(l, "don't" | "dont" | "doesn't") && is_allow(next) {
            return Some((Action::Block, i + 1, true));
        }
        // "SYS_ADMIN is no longer allowed for …".
        if l == "no" && next == "longer" && is_allow(self.low(i + 2)) {
            return Some((Action::Block, i + 2, true));
        }
        // "the piston pods don't need any egress at all", "does not
        // require NET_RAW": what a workload does without is blocked (not
        // "we don't need to block it").
        let need = |k: usize| matches!(self.low(k), "need" | "needs" | "require" | "requires");
        let at = if matches!(l, "don't" | "dont" | "doesn't" | "doesnt") && need(i + 1) {
            Some(i + 1)
        } else if matches!(l, "do" | "does") && next == "not" && need(i + 2) {
            Some(i + 2)
        } else {
            None
        };
        // (Nor a relative clause's "pods that do not need to communicate
        // with Cassandra are blocked".)
        // (Nor "Does not need to be defined if …": what need not be done.)
        if let Some(k) = at
            && !(i > 0 && matches!(self.low(i - 1), "that" | "which" | "who"))
            && self.low(k + 1) != "to"
        {
            return Some((Action::Block, k, true));
        }
        // "the appuser is not able to write …", "unable to reach …"; "I
        // want every pod … to not be able to talk to …", "not to be able
        // to".
        if l == "not" && next == "able" && self.low(i + 2) == "to" {
            return Some((Action::Block, i + 2, true));
        }
        if l == "not"
            && let Some(k) = [(i + 1, ["be", "able", "to"]), (i + 1, ["to", "be", "able"])]
                .iter()
                .find(|(k, w)| (0..3).all(|d| self.low(k + d) == w[d]))
                .map(|(k, _)| k + 2)
        {
            return Some((Action::Block, k, true));
        }
        if l == "unable" && next == "to" {
            return Some((Action::Block, i + 1, true));
        }
        // "that default is never changed": a passive that describes.
        if l == "never"
            && next.ends_with("ed")
            && i > 0
            && matches!(
                self.low(i - 1),
                "is" | "are" | "was" | "were" | "gets" | "get" | "be"
            )
        {
            return None;
        }
        if matches!(l, "cannot" | "can't" | "never") {
            // "I'm trying to allow …, but can't.": a complaint that ends its
            // sentence asks for nothing.
            let t = &self.toks[i];
            if l != "never"
                && self.text[t.end..]
                    .trim_start()
                    .starts_with(['.', '?', '!', ','])
            {
                return None;
            }
            // "Our SIEM can't see pod traffic", "we cannot tell which …": what
            // someone is unable to know or do, no ask to block.
            if matches!(
                next,
                "see"
                    | "tell"
                    | "detect"
                    | "find"
                    | "know"
                    | "figure"
                    | "reproduce"
                    | "understand"
                    | "wait"
                    | "afford"
                    | "remember"
                    | "trust"
                    | "say"
                    | "explain"
                    | "verify"
                    | "confirm"
                    | "guarantee"
            ) {
                return None;
            }
            // "our build jobs can't upload sourcemaps anymore": a symptom
            // of ours reported, what broke, no ask. (Not "after this change,
            // dev pods can't reach prod anymore": the new rule said.)
            let ours = (i.saturating_sub(8)..i)
                .rev()
                .take_while(|&k| !self.ends_clause(k))
                .any(|k| matches!(self.low(k), "our" | "my" | "we" | "i" | "us"))
                // ("they can't gossip anymore": the replicas just named;
                // not "after this change they can't reach …": the rule.)
                || (i.saturating_sub(8)..i)
                    .rev()
                    .take_while(|&k| !self.ends_clause(k))
                    .any(|k| self.low(k) == "they")
                    && !(i.saturating_sub(8)..i)
                        .rev()
                        .take_while(|&k| !self.ends_clause(k))
                        .any(|k| matches!(self.low(k), "after" | "once" | "then" | "now"));
            if l != "never"
                && ours
                && (i + 1..(i + 10).min(self.toks.len()))
                    .take_while(|&k| k == i + 1 || !self.ends_clause(k - 1))
                    .any(|k| {
                        let w = self.low(k).trim_end_matches(['.', ',', ':', ';', '!']);
                        w == "anymore" || w == "more" && self.low(k - 1) == "any"
                    })
            {
                return None;
            }
            let k = if is_allow(next) { i + 1 } else { i };
            return Some((Action::Block, k, true));
        }
        // "in case that the origin is not allowed the server will reply with
        // a 400": what happens under a condition, no ask.
        if l == "not"
            && (i.saturating_sub(8)..i)
                .rev()
                .take_while(|&k| !self.ends_clause(k))
                .any(|k| matches!(self.low(k), "if" | "when" | "whenever" | "unless" | "case"))
        {
            return None;
        }
        if l == "not" {
            if is_allow(next) {
                return Some((Action::Block, i + 1, true));
            }
            if next == "be" && is_allow(self.low(i + 2)) {
                return Some((Action::Block, i + 2, true));
            }
            // "… are not to be granted to the ledger containers".
            if next == "to"
                && self.low(i + 2) == "be"
                && (is_allow(self.low(i + 3)) || matches!(self.low(i + 3), "granted" | "given"))
            {
                return Some((Action::Block, i + 3, true));
            }
        }
        if l == "only" && ALLOW_WORDS.contains(&next) {
            return Some((Action::Allow, i + 1, false));
        }
        // "restrict all pods in my cluster from accessing 10.20.0.0/16",
        // "limit app=x from reaching …": kept from doing it, a block (not the
        // allow-list of "restrict … to").
        if matches!(
            l,
            "restrict" | "restricts" | "restricting" | "limit" | "limits"
        ) && (i + 1..(i + 9).min(self.toks.len()))
            .take_while(|&k| self.low(k) != "to")
            .any(|k| self.low(k) == "from" && self.low(k + 1).ends_with("ing"))
        {
            return Some((Action::Block, i, false));
        }
        // "Restrict shell access in app=x: deny …": restricted, with no "to"
        // of what stays allowed in its clause and a deny said: a block.
        if matches!(l, "restrict" | "restricts" | "limit" | "limits")
            && !(i + 1..self.toks.len())
                .take_while(|&k| k == i + 1 || !self.ends_clause(k - 1))
                .any(|k| matches!(self.low(k), "to" | "only" | "except"))
            && (i + 1..self.toks.len()).any(|k| {
                matches!(
                    self.low(k),
                    "deny" | "block" | "prevent" | "forbid" | "disallow"
                )
            })
        {
            return Some((Action::Block, i, false));
        }
        // "restrict write access to model repositories (/models/)": the
        // writes are kept out of the files, a block (reads stay).
        if matches!(
            l,
            "restrict" | "restricts" | "restricting" | "limit" | "limits"
        ) && matches!(next, "write" | "writes" | "modify")
            && self.low(i + 2) == "access"
            && self.low(i + 3) == "to"
        {
            return Some((Action::Block, i, false));
        }
        // "…, and every other capability is dropped", "…, every other
        // capability dropped": the allow-list's edge, a block of the rest.
        if matches!(l.trim_end_matches(['.', ',', ';']), "dropped" | "removed")
            && (i.saturating_sub(5)..i).any(|k| {
                matches!(self.low(k), "every" | "all" | "any") && self.low(k + 1) == "other"
            })
        {
            return Some((Action::Block, i, false));
        }
        // "all egress should be restricted, including …": kept in, a block;
        // "access is restricted to pods in namespace x" stays an allow-list.
        if l == "restricted"
            && i > 0
            && matches!(self.low(i - 1), "be" | "is" | "are" | "been" | "being")
            && !(i + 1..(i + 4).min(self.toks.len())).any(|k| self.low(k) == "to")
        {
            return Some((Action::Block, i, false));
        }
        // "unshare and setns let a container switch namespaces", "ptrace
        // allows a process to …", "/usr/bin/nsenter lets an attacker …": a
        // system call or an executable as the subject of a permissive verb
        // says what it does, not what is permitted.
        if matches!(
            l,
            "let" | "lets" | "allow" | "allows" | "permit" | "permits" | "enable" | "enables"
        ) && i > 0
            && {
                let p = self.low(i - 1);
                let p = p.trim_end_matches(['(', ')']);
                p.starts_with('/') || SYSCALLS_CLEAR.contains(&p)
            }
            && matches!(
                next,
                "a" | "an"
                    | "the"
                    | "one"
                    | "any"
                    | "attackers"
                    | "attacker"
                    | "processes"
                    | "process"
                    | "containers"
                    | "container"
                    | "users"
                    | "user"
                    | "programs"
                    | "code"
                    | "you"
            )
        {
            return None;
        }
        // "to limit the blast radius of a compromised pod", "to reduce the
        // attack surface": a purpose, not what the policy allows.
        if matches!(
            l,
            "limit" | "limits" | "restrict" | "restricts" | "reduce" | "reduces" | "minimize"
        ) && {
            let k = if matches!(next, "the" | "its" | "their" | "any") {
                i + 2
            } else {
                i + 1
            };
            matches!(
                self.low(k),
                "blast" | "impact" | "damage" | "exposure" | "attack" | "risk" | "risks"
            )
        } {
            return None;
        }
        // "Fix: an egress rule to app=otel on 4317 for …": a rule of a
        // network policy, with no verb, lets the traffic through.
        if matches!(l, "rule" | "rules")
            && i >= 2
            && matches!(self.low(i - 1), "egress" | "ingress")
            && matches!(self.low(i - 2), "an" | "a" | "new" | "extra" | "additional")
            && a.allow.is_none()
            && a.block.is_none()
            && a.audit.is_none()
        {
            return Some((Action::Allow, i, false));
        }
        // "until the Dataset CRD gets its readonly flag, make …": a noun.
        if matches!(l, "flag" | "flags")
            && matches!(
                self.prev_low(i),
                "its"
                    | "the"
                    | "a"
                    | "an"
                    | "their"
                    | "this"
                    | "that"
                    | "our"
                    | "readonly"
                    | "read-only"
                    | "feature"
                    | "boolean"
                    | "cli"
            )
        {
            return None;
        }
        // "There should be a log entry whenever /bin/sh … is executed": the
        // entry wished for is an audit.
        if l == "log"
            && next == "entry"
            && matches!(self.prev_low(i), "a" | "an" | "one")
            && (i.saturating_sub(4)..i).any(|k| {
                matches!(
                    self.low(k),
                    "be" | "want" | "expect" | "need" | "get" | "see"
                )
            })
        {
            return Some((Action::Audit, i + 1, false));
        }
        // "add additional log statements", "log level", "alert rules": the
        // noun of a compound, not the verb.
        if matches!(l, "log" | "alert" | "audit" | "monitor" | "record")
            && matches!(
                next,
                "statement"
                    | "statements"
                    | "message"
                    | "messages"
                    | "line"
                    | "lines"
                    | "level"
                    | "levels"
                    | "output"
                    | "entries"
                    | "format"
                    | "rotation"
                    | "rotate"
                    | "rotator"
                    | "shipping"
                    | "aggregation"
                    | "collector"
                    | "collectors"
                    | "stack"
                    | "files"
                    | "file"
            )
        {
            return None;
        }
        // "the Trillian log server and log signer", "the audit controller",
        // "gatekeeper's controller-manager and audit pods": what a workload
        // is, not the verb.
        if matches!(l, "log" | "audit")
            && (matches!(
                next.trim_end_matches([',', '.', ';']),
                "server"
                    | "servers"
                    | "signer"
                    | "signers"
                    | "controller"
                    | "controllers"
                    | "service"
                    | "services"
                    | "sidecar"
                    | "shipper"
                    | "forwarder"
                    | "volume"
                    | "volumes"
                    | "bucket"
                    | "sink"
                    | "backend"
                    | "store"
                    | "storage"
                    | "database"
                    | "daemon"
                    | "agent"
                    | "agents"
                    | "pipeline"
                    | "index"
            ) || matches!(next.trim_end_matches([',', '.', ';']), "pods" | "pod")
                && (matches!(self.prev_low(i), "and" | "or" | "the" | "their" | "our")
                    || self.prev_low(i).ends_with("'s")))
        {
            return None;
        }
        // "whenever kill, pkill or killall (/bin/kill, …) runs": programs
        // named in a list, not the action.
        if l == "kill"
            && (self.toks[i].comma || matches!(next, "or" | "and"))
            && (i + 1..(i + 4).min(self.toks.len())).any(|k| {
                matches!(
                    self.low(k).trim_end_matches(','),
                    "pkill" | "killall" | "kill"
                )
            })
        {
            return None;
        }
        // "the error log /var/log/mysql/error.log", "its access log": a
        // file, not the verb.
        // "the security of log data": what logs hold.
        if l == "log"
            && matches!(
                next,
                "data"
                    | "files"
                    | "entries"
                    | "lines"
                    | "messages"
                    | "output"
                    | "level"
                    | "retention"
            )
        {
            return None;
        }
        if l == "log"
            && matches!(
                self.prev_low(i),
                "error"
                    | "access"
                    | "file"
                    | "event"
                    | "process"
                    | "runtime"
                    | "system"
                    | "slow"
                    | "query"
                    | "general"
                    | "debug"
                    | "the"
                    | "its"
                    | "their"
                    | "this"
                    | "that"
                    | "a"
                    | "an"
            )
            && !self.ends_clause(i - 1)
        {
            return None;
        }
        // "our partner SFTP drop (app: sftp, …)": a noun, no action.
        if l == "drop"
            && i > 0
            && (matches!(
                self.prev_low(i),
                "the" | "a" | "an" | "our" | "their" | "its" | "file"
            ) || self.toks[i - 1].text.len() >= 2
                && self.toks[i - 1]
                    .text
                    .chars()
                    .all(|c| c.is_ascii_uppercase()))
            && !matches!(
                next,
                "all"
                    | "traffic"
                    | "packets"
                    | "ingress"
                    | "egress"
                    | "incoming"
                    | "outgoing"
                    | "connections"
                    | "capabilities"
                    | "every"
                    | "any"
            )
        {
            return None;
        }
        // "requesting egress for the mailer pods … to …": the access asked
        // for.
        if matches!(l, "request" | "requesting" | "requested")
            && matches!(next, "egress" | "ingress" | "access" | "connectivity")
        {
            return Some((Action::Allow, i, false));
        }
        // "blocks execution of privileged and restricted binaries": a word
        // that describes the noun after it, no action.
        if matches!(
            l,
            "restricted" | "blocked" | "allowed" | "permitted" | "denied" | "forbidden"
        ) && matches!(
            next.trim_end_matches([',', '.', ')']),
            "binaries" | "executables" | "programs" | "commands" | "tools" | "utilities"
        ) {
            return None;
        }
        // "altering them can shut down or restart the node": powering a
        // machine off, not a policy's deny.
        if matches!(l, "shut" | "shuts")
            && next == "down"
            && (i + 2..(i + 7).min(self.toks.len())).any(|k| {
                matches!(
                    self.low(k).trim_end_matches(['.', ',']),
                    "node" | "nodes" | "host" | "hosts" | "system" | "machine" | "server" | "vm"
                )
            })
        {
            return None;
        }
        // "the secondary interface is isolated in its own VRF": a state
        // described, no order.
        if l == "isolated"
            && matches!(self.prev_low(i), "is" | "are")
            && matches!(self.low(i + 1), "in" | "within")
        {
            return None;
        }
        // "keep the voip pods (…) from running modprobe": a block.
        // (A label inside an aside, "(app.kubernetes.io/component: worker,
        // …)", ends no clause.)
        let t_start = self.toks[i].start;
        let open_aside = |k: usize| self.paren_depth(t_start, self.toks[k].start) > 0;
        let keep_from = matches!(l, "keep" | "keeps")
            && (i + 1..(i + 16).min(self.toks.len()))
                .take_while(|&k| {
                    !self.toks[k - 1].text.ends_with(['.', ';', ':']) || open_aside(k - 1)
                })
                .any(|k| self.low(k) == "from" && self.low(k + 1).ends_with("ing"));
        // "must be kept off port 8888", "keep the world off port 8080 of
        // …", "keep them out of …": shut out.
        // ("keep the build pods (gitlab.com/ci: "true", namespace ci) off
        // the API server": the pods' aside between.)
        let kept_off = matches!(l, "kept" | "keep" | "keeps")
            && (i + 1..(i + 12).min(self.toks.len()))
                .take_while(|&k| k == i + 1 || !self.ends_clause(k - 1) || open_aside(k - 1))
                .any(|k| matches!(self.low(k), "off" | "out" | "away"));
        // "provide access to metrics ports from any namespace", "grant
        // access to 8082": permission.
        let grants_access = matches!(
            l,
            "grant" | "grants" | "give" | "gives" | "provide" | "provides" | "enable" | "enables"
        ) && next == "access"
            && matches!(self.low(i + 2), "to" | "from" | "for" | "on");
        // "a Calico policy that logs every inbound connection …": the verb
        // (not "the logs").
        let logs_verb = l == "logs" && matches!(self.prev_low(i), "that" | "which");
        // "instance manager log:", "the controller's logs:": the name of
        // what is pasted next, a noun (not "Log: every connection …").
        if matches!(l, "log" | "logs")
            && (self.toks[i].text.ends_with(':') || self.text[self.toks[i].end..].starts_with(':'))
            && i > 0
            && !self.ends_clause(i - 1)
            && self
                .prev_low(i)
                .chars()
                .all(|c| c.is_ascii_alphabetic() || c == '\'')
        {
            return None;
        }
        let act = if ALLOW_WORDS.contains(&l) || grants_access {
            Action::Allow
        } else if BLOCK_WORDS.contains(&l) || keep_from || kept_off {
            Action::Block
        } else if AUDIT_WORDS.contains(&l) || logs_verb {
            // "REPL shells are not audited": says what is missing.
            if matches!(self.prev_low(i), "not" | "never" | "isn't" | "aren't") {
                return None;
            }
            // "For the certification audit we …", "during our SOC 2 audit":
            // the noun, after a preposition, its article and a word or two
            // naming it. ("keep an audit trail of …", "generate an audit
            // event" ask for one.)
            let article = |k: usize| {
                matches!(
                    self.low(k),
                    "the" | "a" | "an" | "our" | "their" | "this" | "next" | "last"
                ) && k >= 1
                    && matches!(
                        self.low(k - 1),
                        "for" | "during" | "before" | "after" | "since" | "from" | "until"
                    )
            };
            if matches!(l, "audit" | "audits")
                && (1..=3).any(|d| {
                    i >= d
                        && article(i - d)
                        && (i - d..i).all(|k| {
                            !self.ends_clause(k)
                                && self.low(k).chars().all(|c| c.is_ascii_alphanumeric())
                        })
                })
                && !self.ends_clause(i)
                && self.low(i + 1).chars().all(|c| c.is_ascii_alphabetic())
                && !matches!(
                    self.low(i + 1),
                    "event"
                        | "events"
                        | "trail"
                        | "trails"
                        | "log"
                        | "logs"
                        | "record"
                        | "records"
                        | "entry"
                        | "entries"
                        | "rule"
                        | "rules"
                        | "mode"
                        | "of"
                        | "on"
                )
            {
                return None;
            }
            // "Audit wants a traceable time source": the auditors, a
            // subject.
            if (i == 0
                || self.ends_clause(i - 1)
                || self.text[..self.toks[i].start]
                    .trim_end()
                    .ends_with(['.', '!', '?', '\n']))
                && matches!(
                    next,
                    "wants"
                        | "needs"
                        | "asked"
                        | "asks"
                        | "requires"
                        | "requested"
                        | "says"
                        | "team"
                )
            {
                return None;
            }
            // "the report pods", "the monitor deployment": the noun that
            // names a workload.
            if matches!(self.prev_low(i), "the" | "a" | "our" | "their" | "its")
                && !self.ends_clause(i)
                && matches!(
                    self.low(i + 1).trim_end_matches([',', '.', ':', ';']),
                    "pod"
                        | "pods"
                        | "deployment"
                        | "deployments"
                        | "service"
                        | "services"
                        | "job"
                        | "jobs"
                        | "workers"
                        | "worker"
                        | "containers"
                        | "container"
                        | "app"
                        | "server"
                        | "servers"
                )
            {
                return None;
            }
            // "DNS records", "TXT records": entries of a zone.
            if l.starts_with("record")
                && matches!(
                    self.prev_low(i),
                    "dns" | "txt" | "srv" | "cname" | "mx" | "ptr" | "aaaa"
                )
            {
                return None;
            }
            // "a feature flag", "the --privileged flag": the noun; "(flag if
            // any are wrong)": point it out to the writer.
            if l.starts_with("flag")
                && (matches!(
                    self.prev_low(i),
                    "a" | "the" | "this" | "that" | "feature" | "command-line" | "cli"
                ) || matches!(next, "if" | "whether"))
            {
                return None;
            }
            Action::Audit
        } else if l == "only"
            && a.isolate
            && (matches!(
                next,
                "goes" | "go" | "flows" | "flow" | "leaves" | "reaches" | "talks" | "connects"
                    // "lock down X so that 8090 only takes connections from …".
                    | "takes" | "accepts" | "receives" | "gets"
                    // "… so the membership ports 6933-6939 only take …".
                    | "take" | "accept" | "receive" | "get"
                    // "lock down the superset pods (…): 8088 only from the
                    // ingress controller (…)".
                    | "from" | "to"
            )
                // "Lock down the npd pods (…): only /a and /b may be executed".
                || (i + 1..(i + 12).min(self.toks.len()))
                    .take_while(|&k| {
                        k == i + 1
                            || !self.ends_clause(k - 1)
                            || self.toks[k - 1].text.starts_with('/')
                    })
                    .any(|k| matches!(self.low(k), "may" | "can" | "should" | "must")))
        {
            // "lock down X so their egress only goes to the kube-apiserver":
            // the allow-list that the lock-down leaves.
            return Some((Action::Allow, i, false));
        } else if l == "only"
            && a.allow.is_none()
            && a.block.is_none()
            && a.audit.is_none()
            && !next.is_empty()
            // ("…; Plack and the SIP server only ever read them": what
            // they do, not what they may.)
            && next != "ever"
            && !self.toks[i].comma
        {
            return Some((Action::Allow, i, false));
        } else if l == "alone"
            && a.allow.is_none()
            && a.block.is_none()
            && a.audit.is_none()
            && (i.saturating_sub(8)..i).any(|k| self.low(k) == "by")
        {
            // "… must be readable by the ntfy server (/usr/bin/ntfy) alone":
            // only it may.
            return Some((Action::Allow, i, false));
        } else {
            return None;
        };
        let k = if next == "only" { i + 1 } else { i };
        Some((act, k, false))
    }
}

/// Upkeep done to a workload ("can't be upgraded", "won't be patched"):
/// what keeps it as it is, not an operation a policy governs (not what is
/// done to files: "updated", "replaced", "moved" stay asks).
const UPKEEP: &[&str] = &[
    "upgraded",
    "patched",
    "rebuilt",
    "fixed",
    "migrated",
    "restarted",
    "redeployed",
    "retired",
    "decommissioned",
    "rolled",
    "bumped",
];
