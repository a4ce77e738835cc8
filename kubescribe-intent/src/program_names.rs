//! Reading a program's name at a token: a known name resolved to its path
//! ("nginx" → /usr/sbin/nginx, said as an assumption), a name after a verb
//! of running ("spawns kdevtmpfsi"), a name glossed by its path, and the
//! words that only look like one (a Kubernetes node, "the execution job",
//! "the SSH server" for the daemon).

use super::*;

impl<'a> Parser<'a> {
    /// Reads token `i` (lower-cased `l`, as written `raw`) as a program's
    /// name when it is one; whether it did (the token is used up).
    pub(super) fn program_name(
        &mut self,
        a: &mut Acc,
        i: usize,
        mode: &mut Mode,
        exec_ctx: bool,
        l: &str,
        raw: &str,
    ) -> bool {
        let t = self.toks[i].clone();
        let prev = self.prev_low(i).to_string();
        let next = self.low(i + 1).to_string();
        // "on every node", "the node": a Kubernetes node, not Node.js.
        let cluster_node = l == "node"
            && matches!(
                prev.as_str(),
                "every"
                    | "each"
                    | "the"
                    | "a"
                    | "per"
                    | "any"
                    | "one"
                    | "that"
                    | "this"
                    | "same"
                    | "worker"
                    | "its"
            );
        // "the SSH server": the daemon, not the client.
        let ssh_daemon = l == "ssh" && matches!(next.as_str(), "server" | "daemon" | "service");
        let name = if ssh_daemon { "sshd" } else { l };
        // "in the nginx pods, app=nginx": the workload, named by its program.
        let workload = matches!(
            next.trim_end_matches([',', '.', ';']),
            "pods"
                | "pod"
                | "containers"
                | "deployment"
                | "workload"
                | "workloads"
                | "daemonset"
                | "statefulset"
        );
        // "; use kubectl exec to enter the container": a command the
        // operator is told to run instead, not one the policy governs.
        let advised = matches!(prev.as_str(), "use" | "using")
            && name == "kubectl"
            && matches!(
                next.as_str(),
                "exec" | "debug" | "cp" | "logs" | "attach" | "port-forward" | "apply" | "get"
            );
        let known = BINARIES
            .iter()
            .find(|(b, _)| *b == name)
            .filter(|_| !cluster_node && !workload && !advised);
        // "as part of the execution job": a noun the word before describes.
        let compound = matches!(prev.as_str(), "execution" | "executions")
            && i >= 2
            && matches!(
                self.low(i - 2),
                "the" | "an" | "a" | "this" | "that" | "each" | "every" | "our" | "its"
            );
        let after_action = self.last_action_tok == Some(i.wrapping_sub(1));
        let exec_name = *mode == Mode::Exec
            && !reserved(l)
            && !cluster_node
            && !compound
            // "every execution out of /tmp/": an adverb, no program.
            && !matches!(
                l,
                "out" | "off" | "up" | "inside" | "outside" | "within" | "there" | "here" | "again"
                    // "should run like `s2i build --cap-drop=…`".
                    | "like"
                    | "anything" | "everything" | "nothing"
                    // "should never run what it scans".
                    | "what" | "whatever" | "which" | "whichever"
                    // "anything else that tries to start gets blocked": the
                    // clause's verb.
                    | "gets" | "get" | "is" | "are" | "was" | "were" | "will" | "would"
                    | "should" | "must" | "can" | "may" | "becomes"
                    // "the exec allow-list for …": the list, no program.
                    | "allow-list" | "allowlist" | "whitelist" | "deny-list" | "denylist"
                    | "blocklist" | "blacklist"
            )
            // "code execution through the creation of cron jobs": a
            // preposition, no program.
            && (known.is_some()
                || !matches!(
                    l,
                    "through" | "via" | "by" | "with" | "from" | "into" | "onto" | "for" | "of"
                        | "in" | "on" | "under" | "across" | "without" | "during" | "after"
                        | "before" | "upon" | "inside"
                ))
            && (known.is_some() || !(l.ends_with("ed") || l.ends_with("ing") || l.ends_with("ly")))
            && is_ident(raw, &['-', '_', '.'])
            // "--" or "-" between a heading and the intent is punctuation.
            && raw.chars().any(|c| c.is_ascii_alphabetic())
            && !raw.chars().all(|c| c.is_ascii_digit())
            && (known.is_some()
                || EXEC_MODE_VERBS.contains(&prev.as_str())
                    // "invoked, possible …": the verb's clause has ended;
                    // "suspicious child processes", "exec style shells": a
                    // word before a noun describes it.
                    && !self.toks[i - 1].comma
                    // "run malicious code": a plain word follows the
                    // adjective; a name ends its phrase.
                    && (t.comma
                        || next.is_empty()
                        || !next.chars().all(|c| c.is_ascii_lowercase())
                        || reserved(&next)
                        || LIST_GLUE.contains(&next.as_str())
                        || STOP.contains(&next.as_str()))
                    && next != "child"
                    && !EXEC_NOUNS.contains(&next.as_str())
                    // "a running rootless container": a word before a
                    // workload noun describes it.
                    && !matches!(
                        next.as_str(),
                        "container" | "containers" | "pod" | "pods" | "image" | "images"
                            | "instance" | "instances" | "service" | "services" | "node"
                            | "nodes" | "cluster" | "workload" | "workloads"
                    ))
            // "spawning shells (/bin/sh, /bin/bash)": a kind of program, not
            // one's name.
            && !EXEC_NOUNS.contains(&l)
            // "We run Basic256Sha256 with SignAndEncrypt": what the
            // operators run is their setup, told; no program of the ask.
            && !(known.is_none()
                && matches!(prev.as_str(), "run" | "runs")
                && i >= 2
                && matches!(self.low(i - 2), "we" | "i" | "they"));
        // "block package managers (apt, apt-get, yum)": a parenthesised list,
        // kept aside (a gloss when paths are given too).
        let lexicon_name = known.is_some()
            && (after_action || exec_ctx && !matches!(*mode, Mode::File | Mode::Port | Mode::Pod));
        if let Some((_, path)) = known
            && !lexicon_name
            && !a.file_verb
            && (t.paren || !a.listed.is_empty())
        {
            self.ent(EntityKind::Binary, t.start, t.end);
            push_uniq(&mut a.listed, (*path).to_string());
            return true;
        }
        if known.is_some()
            && *mode != Mode::Exec
            && !a.file_verb
            && !a.exec_verb
            && !self.glossed_as_workload(i)
            && self.acts_on_files(i + 1)
        {
            // "allow nginx to read /etc/nginx/": the executable acts.
            self.ent(EntityKind::Binary, t.start, t.end);
            if let Some((_, path)) = known {
                push_uniq(&mut self.assume, format!("binary {raw} resolved to {path}"));
                push_uniq(&mut a.sources, (*path).to_string());
            }
            return true;
        }
        let exec_noun = known.is_some()
            && (matches!(
                next.as_str(),
                "execution"
                    | "executions"
                    | "binary"
                    | "process"
                    | "command"
                    | "commands"
                    | "tool"
                    | "utility"
                    | "program"
            )
                // "block execution of command curl", "the binary nc".
                || matches!(
                    prev.as_str(),
                    "command" | "binary" | "tool" | "utility" | "program" | "executable"
                ));
        // "should only run Redis (/usr/local/bin/redis-server)": the path in
        // parentheses is the program's own; the name only introduces it.
        let glossed = self
            .toks
            .get(i + 1)
            .is_some_and(|n| n.paren && n.text.starts_with('/'))
            || self.names_glossed_later(i, l);
        if (exec_name || lexicon_name || exec_noun) && glossed {
            return true;
        }
        if exec_name || lexicon_name || exec_noun {
            self.ent(EntityKind::Binary, t.start, t.end);
            match known {
                Some((_, path)) => {
                    push_uniq(&mut self.assume, format!("binary {raw} resolved to {path}"));
                    push_uniq(&mut a.binaries, (*path).to_string());
                    push_uniq(&mut a.named_binaries, (*path).to_string());
                }
                None => {
                    push_uniq(
                        &mut self.assume,
                        format!(
                            "binary {raw} kept verbatim (not a known binary; give its absolute path)"
                        ),
                    );
                    push_uniq(&mut a.binaries, raw.to_string());
                }
            }
            *mode = Mode::Exec;
            return true;
        }
        false
    }
}
