//! Which executables act in a file intent: the programs a file rule
//! applies from (KubeArmor `fromSource`), told apart from the files, and
//! the words around a path that make it the actor ("may read", "modifies").

use super::*;

impl<'a> Parser<'a> {
    /// Whether token `i` is in what follows "by", over a list of programs
    /// named and then given as paths: "by cat, nano or vi (/bin/cat,
    /// /bin/nano, /usr/bin/vi)", "by the mysqld process (/usr/sbin/mysqld)".
    pub(super) fn after_by(&self, i: usize) -> bool {
        let mut j = i;
        while j > 0 && i - j < 10 {
            let between = &self.text[self.toks[j - 1].end..self.toks[j].start];
            if between.contains(['.', ';', ':']) {
                return false;
            }
            j -= 1;
            let w = self.low(j).trim_matches(['(', ')', ',']);
            if w == "by" {
                return true;
            }
            let name = !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
                && !FILE_VERBS.contains(&w)
                && !ALLOW_WORDS.contains(&w)
                && !BLOCK_WORDS.contains(&w)
                && !AUDIT_WORDS.contains(&w);
            if !name {
                return false;
            }
        }
        false
    }

    /// "nginx (app=nginx, namespace shop) must never modify …": a bare name
    /// glossed by a parenthesis that opens with a label or a namespace names
    /// the workload, not an executable acting on files.
    pub(super) fn glossed_as_workload(&self, i: usize) -> bool {
        self.toks.get(i + 1).is_some_and(|t| t.paren) && {
            let l = self.low(i + 1);
            split_label(l).is_some() || matches!(l, "namespace" | "ns")
        }
    }

    /// Whether the words from token `i` make what came before the actor of a
    /// file operation: "may read", "can only write", "is allowed to open",
    /// "to read".
    pub(super) fn acts_on_files(&self, i: usize) -> bool {
        let mut j = i;
        // "node (/usr/local/bin/node), directly or via a shell, spawns …": an
        // aside set off by commas comes between the executable and its verb.
        if i > 0 && self.toks[i - 1].comma {
            let plain = |k: usize| {
                let t = self.toks[k].text;
                !t.contains(['/', '=']) && !self.toks[k].paren
            };
            // (An aside closes with a comma, not the sentence's full stop:
            // "…, /app/server, should open it.")
            if let Some(k) = (i..(i + 6).min(self.toks.len()))
                .take_while(|&k| plain(k))
                .find(|&k| self.toks[k].comma)
                .filter(|&k| self.text[self.toks[k].end..].starts_with(','))
            {
                j = k + 1;
            }
        }
        let mut window = j + 5;
        while j < self.toks.len() && j < window {
            let l = self.low(j);
            // "/usr/sbin/php-fpm in app=php (ns apps) may not spawn …", "java
            // (…) in the app=x pods of namespace mc must not spawn …": a
            // location phrase between the executable and its verb.
            // ("/usr/bin/ollama in the ollama pods (app=…, namespace …) must
            // not write …": their name and their aside too.)
            let named_pods = j > i
                && (1..=2).any(|d| {
                    matches!(self.low(j + d), "pods" | "pod")
                        && (j..j + d).all(|k| {
                            self.low(k)
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c == '-')
                        })
                        && self.low(j - 1) == "the"
                });
            if split_label(l).is_some()
                || matches!(l, "in" | "of" | "pods" | "pod" | "ns" | "namespace")
                || l == "the" && j > i && matches!(self.low(j - 1), "in" | "of")
                || j > i && matches!(self.low(j - 1), "ns" | "namespace")
                || named_pods
                || j > i && self.toks[j].paren && !self.toks[j].text.starts_with('/')
            {
                window = (window + 1).min(i + 12);
                j += 1;
                continue;
            }
            let exec = EXEC_MODE_VERBS.contains(&l);
            let verb = FILE_VERBS.contains(&l) || exec;
            if exec
                && !{
                    // "…executing /bin/ls", "spawns suspicious child processes
                    // like curl": an executable acts on another named within
                    // its clause; "may run in …" does not.
                    let mut found = false;
                    for k in j + 1..(j + 7).min(self.toks.len()) {
                        let o = self.toks[k].text;
                        if o.starts_with('/') || BINARIES.iter().any(|(b, _)| *b == o) {
                            found = true;
                            break;
                        }
                        if self.toks[k].comma || split_label(o).is_some() {
                            break;
                        }
                    }
                    found
                }
            {
                return false;
            }
            // "whenever /etc/shadow is read or modified": what is read.
            if verb
                && j > i
                && matches!(
                    self.low(j - 1),
                    "is" | "are" | "was" | "were" | "gets" | "get" | "got" | "been" | "being"
                )
            {
                return false;
            }
            if verb && !matches!(l, "read-only" | "readonly") {
                // "/bin/cat accessing …", "useradd modifies …"; not "/etc/passwd reads".
                // "deny /bin/cat and /usr/bin/tail access to /app/.env".
                return j > i
                    || l == "access" && self.low(j + 1) == "to"
                    || l.ends_with("ing")
                    || matches!(
                        l,
                        "modifies" | "accesses" | "opens" | "executes" | "spawns" | "runs"
                    );
            }
            if l == "from" && j == i {
                j += 1;
                continue;
            }
            if l == "be" {
                // "should be blocked from reading …": the path acts; "may only
                // be read by …": it is what is read.
                let n1 = self.low(j + 1);
                if (BLOCK_WORDS.contains(&n1) || ALLOW_WORDS.contains(&n1))
                    && self.low(j + 2) == "from"
                    // "shouldn't be allowed to spawn …": the path acts.
                    || ALLOW_WORDS.contains(&n1) && self.low(j + 2) == "to"
                    // "only /usr/local/bin/x should be able to read …".
                    || n1 == "able" && self.low(j + 2) == "to"
                {
                    window = (window + 3).min(i + 10);
                    j += 3;
                    continue;
                }
                // "only /usr/local/bin/kube-apiserver should be reading …":
                // the path acts, in the progressive.
                if n1.ends_with("ing")
                    && (FILE_VERBS.contains(&n1) || EXEC_MODE_VERBS.contains(&n1))
                {
                    return true;
                }
                return false;
            }
            if !matches!(
                l.replace('’', "'").as_str(),
                "may"
                    | "can"
                    | "should"
                    | "must"
                    | "shall"
                    | "cannot"
                    | "can't"
                    | "shouldn't"
                    | "mustn't"
                    | "won't"
                    | "is"
                    | "are"
                    | "be"
                    | "allowed"
                    | "permitted"
                    | "to"
                    | "only"
                    | "able"
                    | "not"
                    | "never"
            ) {
                return false;
            }
            j += 1;
        }
        false
    }

    /// The last token of the coordinated list of paths that starts at token
    /// `i` ("/bin/rm, /bin/rmdir and /bin/mv"); `i` itself when none follows.
    pub(super) fn path_list_end(&self, i: usize) -> usize {
        let mut j = i;
        loop {
            let mut k = j + 1;
            if matches!(self.low(k), "and" | "or" | "&") {
                k += 1;
            } else if !self.toks[j].comma || self.text[self.toks[j].end..].starts_with('.') {
                break;
            }
            match self.toks.get(k) {
                Some(t) if t.text.starts_with('/') && t.text.len() > 1 => j = k,
                _ => break,
            }
        }
        j
    }

    /// Whether a verb directly follows token `i - 1`: a participle
    /// ("writing", "executing"), "from" and a participle, or a modal and
    /// its verb ("may not modify", "must only read").
    pub(super) fn acts_directly(&self, i: usize) -> bool {
        let verb = |w: &str| FILE_VERBS.contains(&w) || EXEC_MODE_VERBS.contains(&w);
        let l = self.low(i);
        if verb(l) && l.ends_with("ing") {
            return true;
        }
        if l == "from" {
            let n = self.low(i + 1);
            return verb(n) && n.ends_with("ing");
        }
        if matches!(
            l.replace('’', "'").as_str(),
            "may"
                | "must"
                | "should"
                | "can"
                | "cannot"
                | "shall"
                | "can't"
                | "shouldn't"
                | "mustn't"
        ) {
            let mut k = i + 1;
            while matches!(self.low(k), "not" | "never" | "only") {
                k += 1;
            }
            return verb(self.low(k));
        }
        false
    }

    /// Reads a value (path, address, label, port, name …) at token `i`;
    /// Whether the executable path `raw` at token `i` glosses the name of the
    /// program just before it ("keysigner (/usr/local/bin/keysigner)", "the
    /// node code (/usr/local/bin/node)"), not a file ("the nginx binary
    /// (/usr/sbin/nginx)").
    pub(super) fn glosses_program(&self, i: usize, raw: &str) -> bool {
        let name = raw.rsplit('/').next().unwrap_or(raw).to_ascii_lowercase();
        let word = |k: usize| self.low(k).trim_matches(|c: char| !c.is_alphanumeric());
        self.toks[i].paren
            && i > 0
            && exec_looking(raw)
            && !matches!(
                word(i - 1),
                "binary" | "binaries" | "file" | "files" | "executable" | "executables"
            )
            && (i.saturating_sub(2)..i).any(|k| word(k) == name)
    }

    /// "running modprobe or insmod (/sbin/modprobe, /sbin/insmod)": the
    /// name at token `i` (lower-case `name`) opens a list of names that a
    /// parenthesised list of paths glosses, one of them its own.
    pub(super) fn names_glossed_later(&self, i: usize, name: &str) -> bool {
        let Some(open) = (i + 1..(i + 6).min(self.toks.len())).find(|&k| self.toks[k].paren) else {
            return false;
        };
        let plain = |k: usize| !self.toks[k].text.contains(['/', '(', ')', '.', ';', ':']);
        if !(i + 1..open).all(plain) {
            return false;
        }
        let mut k = open;
        while let Some(t) = self.toks.get(k) {
            let path = t
                .text
                .trim_matches(|c: char| matches!(c, '(' | ')' | ',' | '.' | ';'));
            if path.starts_with('/') && path.rsplit('/').next() == Some(name) {
                return true;
            }
            if t.text.contains(')') {
                break;
            }
            k += 1;
        }
        false
    }

    /// Whether the executable path at token `i` is what runs others: it
    /// follows "from"/"by" a few words after a word for spawning ("shell
    /// spawns (…) from the web server process /usr/sbin/nginx", "shells
    /// spawned by /usr/bin/node").
    /// "every /bin/sh or /usr/bin/curl that mongod (/usr/bin/mongod)
    /// spawns": the program of the relative clause runs them.
    pub(super) fn relative_spawner(&self, i: usize) -> bool {
        // ("every /bin/sh that the agent (/usr/bin/newrelic-infra) spawns":
        // a name before its path.)
        i >= 1
            && (1..=3.min(i)).any(|d| {
                matches!(self.low(i - d), "that" | "which")
                    && (i - d + 1..i).all(|k| !self.toks[k].text.starts_with('/'))
            })
            && matches!(
                self.low(i + 1).trim_end_matches([',', '.', ';']),
                "spawns" | "starts" | "launches" | "forks" | "invokes" | "executes" | "runs"
            )
    }

    pub(super) fn spawned_from(&self, i: usize) -> bool {
        (i.saturating_sub(7)..i).any(|k| {
            matches!(self.low(k), "from" | "by")
                // "… from executing /bin/sh": what is run, not who runs it.
                && (k + 1..i).all(|j| {
                    !self.toks[j].text.starts_with('/') && !EXEC_MODE_VERBS.contains(&self.low(j))
                })
                && ((k.saturating_sub(6)..k).any(|j| {
                    matches!(
                        self.low(j),
                        "spawn"
                            | "spawns"
                            | "spawned"
                            | "spawning"
                            | "forked"
                            | "launched"
                            | "invoked"
                            | "started"
                    )
                })
                    // "audit any run of /usr/bin/curl, /usr/bin/wget or
                    // /usr/bin/perl by postgres (/usr/lib/…/postgres)".
                    || (k.saturating_sub(10)..k).any(|j| {
                        matches!(
                            self.low(j),
                            "run" | "runs" | "execution" | "executions" | "start" | "starts"
                        ) && self.low(j + 1) == "of"
                    }))
        })
    }

    /// "the gunicorn master /usr/local/bin/gunicorn in the storefront pods
    /// (…) must not spawn /usr/bin/curl": the executable at `i` is the
    /// subject of a spawning verb whose object is another executable, so
    /// it is their parent.
    pub(super) fn spawns_later(&self, i: usize) -> bool {
        let n = self.toks.len();
        let Some(v) = (i + 1..(i + 16).min(n))
            .take_while(|&k| {
                !self.toks[k].text.trim_start_matches('(').starts_with('/')
                    && !self.text[self.toks[k - 1].end..self.toks[k].start].contains(['.', ';'])
            })
            .find(|&k| matches!(self.low(k), "spawn" | "fork" | "launch"))
        else {
            return false;
        };
        matches!(
            self.low(v - 1),
            "not"
                | "never"
                | "may"
                | "can"
                | "cannot"
                | "can't"
                | "mustn't"
                | "shouldn't"
                | "only"
                | "must"
                | "should"
        ) && (v + 1..(v + 3).min(n)).any(|k| self.toks[k].text.starts_with('/'))
    }

    /// "keep freeswitch (/usr/bin/freeswitch) in the … pods from spawning
    /// /bin/sh", "stop /usr/sbin/nginx from executing …": the executable at
    /// `i` is kept from running others, so it is their parent.
    pub(super) fn kept_from_running(&self, i: usize) -> bool {
        // ("keep the member JVM (/opt/java/…/java) from …": a name first.)
        (i.saturating_sub(5)..i).any(|k| {
            matches!(
                self.low(k),
                "keep" | "keeps" | "prevent" | "prevents" | "stop" | "stops"
            )
        }) && (i + 1..(i + 16).min(self.toks.len()))
            .take_while(|&k| !self.toks[k].text.trim_start_matches('(').starts_with('/'))
            .any(|k| {
                self.low(k) == "from"
                    && matches!(
                        self.low(k + 1),
                        "spawning"
                            | "executing"
                            | "running"
                            | "starting"
                            | "launching"
                            | "forking"
                            | "invoking"
                    )
                    // What it runs is named ("prevent X from running" alone
                    // keeps X itself from running).
                    && (k + 2..(k + 5).min(self.toks.len()))
                        .any(|j| self.toks[j].text.trim_start_matches('(').starts_with('/'))
            })
    }

    /// Whether a file verb comes within five words before the executable
    /// path `raw`: what is read or written, not what acts.
    fn file_verb_object(&self, raw: &str) -> bool {
        self.toks.iter().enumerate().any(|(k, t)| {
            t.text.contains(raw)
                && (k.saturating_sub(5)..k).any(|j| FILE_VERBS.contains(&self.low(j)))
        })
    }

    /// A file intent governs files. The programs named with their path
    /// glossed act on them when other files are named ("the only process
    /// to read the key (/var/…/key) should be keysigner
    /// (/usr/local/bin/keysigner)"); so do the executables a block or audit
    /// names as paths beside them ("`denyExec`: /bin/cat, /bin/ls …
    /// /srv/mount/**"): no engine has a file rule that also runs them. (A
    /// file allow-list may name what runs beside what is read.)
    pub(super) fn file_sources(&mut self, a: &mut Acc, action: Action) {
        // "/etc/ssl/private" beside "/etc/ssl/private/": the directory.
        a.paths
            .retain(|(p, _)| !a.dirs.iter().any(|d| d.trim_end_matches('/') == p.as_str()));
        if !a.dirs.is_empty() || a.paths.iter().any(|(p, _)| !a.programs.contains(p)) {
            for prog in std::mem::take(&mut a.programs) {
                if let Some(ix) = a.paths.iter().position(|(p, _)| *p == prog) {
                    let (p, e) = a.paths.remove(ix);
                    self.ents[e].kind = EntityKind::Binary;
                    push_uniq(&mut a.sources, p);
                } else if let Some(ix) = a.binaries.iter().position(|b| *b == prog) {
                    push_uniq(&mut a.sources, a.binaries.remove(ix));
                }
            }
        }
        if action == Action::Allow || a.paths.is_empty() && a.dirs.is_empty() {
            return;
        }
        for b in std::mem::take(&mut a.binaries) {
            // Written as paths; a program's name ("the main nginx process")
            // is no more than a mention, and a binary a file verb reaches
            // ("writes to the tool binary (/usr/local/bin/tool)") is a file.
            let written = exec_looking(&b) && !a.named_binaries.contains(&b);
            let entity = self.ents.iter().rposition(|e| e.text == b);
            if written
                && self.file_verb_object(&b)
                && let Some(e) = entity
            {
                self.ents[e].kind = EntityKind::Path;
                a.paths.push((b, e));
            } else if written {
                push_uniq(&mut a.sources, b);
            } else {
                a.binaries.push(b);
            }
        }
    }

    /// Whether the executable at token `i` is excepted from a denial of the
    /// files named before it: "deny access to /vault/ except by /bin/vault",
    /// "… unless it is /bin/vault doing the access", "… for every process
    /// other than /usr/sbin/sshd". Only it may then access them: an
    /// allow-list of its access (blocking it would do the opposite).
    pub(super) fn excepted_actor(&self, i: usize) -> bool {
        const BETWEEN: &[&str] = &[
            "by",
            "for",
            "from",
            "the",
            "process",
            "processes",
            "binary",
            "program",
            "it",
            "is",
            "it's",
            "when",
            "if",
            "done",
            "being",
            "via",
            "access",
            "accessed",
            "read",
            "written",
            "of",
            "than",
            "from",
            "when",
        ];
        // "unless it is php-fpm (/usr/local/sbin/php-fpm) doing …", "but
        // the server (node, /usr/local/bin/node)": the path glosses the name
        // before its parenthesis; the words before that name decide.
        let opened = (i.saturating_sub(3)..=i)
            .rev()
            .find(|&j| self.toks[j].paren)
            .filter(|&j| j > 0 && !self.text[self.toks[j].start..self.toks[i].start].contains(')'));
        // ("except by act_runner itself (/usr/local/bin/act_runner)": the
        // name, then "itself".)
        let mut k = opened.map_or(i, |j| {
            j - 1 - usize::from(j >= 2 && matches!(self.low(j - 1), "itself" | "alone"))
        });
        let mut steps = 0;
        while k > 0 && steps < 6 {
            k -= 1;
            steps += 1;
            if self.ends_clause(k) && k + 1 < i && opened.is_none_or(|j| k + 1 < j) {
                return false;
            }
            let w = self.low(k).trim_end_matches(',');
            if matches!(w, "except" | "excepting" | "unless" | "besides" | "save")
                || w == "other" && self.low(k + 1) == "than"
                || w == "apart" && self.low(k + 1) == "from"
                || w == "but"
                    && k > 0
                    && matches!(
                        self.low(k - 1),
                        "process" | "anything" | "anyone" | "nobody" | "everything"
                    )
            {
                return true;
            }
            // "except from the php process (/usr/local/bin/php)": the
            // program's name before its kind.
            let named_kind = matches!(
                self.low(k + 1),
                "process" | "processes" | "binary" | "program" | "daemon"
            ) && w
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
            if !BETWEEN.contains(&w) && !named_kind {
                return false;
            }
        }
        false
    }
}
