//! Reading one value (path, address, label, port, name …) at a token.

use super::*;

impl<'a> Parser<'a> {
    /// returns how many tokens it took.
    pub(super) fn value(
        &mut self,
        a: &mut Acc,
        i: usize,
        mode: &mut Mode,
        syscall_ctx: bool,
        cap_ctx: bool,
        exec_ctx: bool,
    ) -> usize {
        let n = self.toks.len();
        let t = self.toks[i].clone();
        let l = t.lower.as_str();
        let raw = t.text;
        let prev = self.prev_low(i).to_string();
        let next = self.low(i + 1).to_string();
        // "2. Metrics continue to be collected …" on a line of its own: a
        // numbered list's mark, no port.
        let line = self.text[..t.start].rfind('\n').map_or(0, |k| k + 1);
        if line > 0
            && self.text[line..t.start].trim().is_empty()
            && (1..=2).contains(&raw.len())
            && raw.chars().all(|c| c.is_ascii_digit())
            && super::criteria::list_item(&self.text[t.start..])
        {
            return 1;
        }
        // "Test Plan /Acceptance Criteria": a slash between capitalised
        // words is prose, not a one-segment path.
        // "/srv/mount/**": a glob of everything under a directory is the
        // directory, recursively.
        let raw = raw
            .strip_suffix("**")
            .filter(|d| d.ends_with('/'))
            .unwrap_or(raw);
        // "/var/lib/zabbix/enc:ro": a volume's mount written as Compose and
        // `docker run -v` write it; the mode is no part of the path.
        let raw = [":ro", ":rw"]
            .iter()
            .find_map(|m| raw.strip_suffix(m).filter(|p| p.starts_with('/')))
            .unwrap_or(raw);
        // "block all writes under /": the root directory.
        if raw == "/"
            && matches!(
                prev.as_str(),
                "under" | "below" | "beneath" | "to" | "in" | "of"
            )
        {
            self.ent(EntityKind::Dir, t.start, t.end);
            push_uniq(&mut a.dirs, "/".to_string());
            return 1;
        }
        // "/Users", "/Proxy" in prose; "pin the /32", "a /24": a prefix
        // length, no path.
        let prose_slash = raw.starts_with('/')
            && !raw[1..].contains('/')
            && (raw[1..].starts_with(|c: char| c.is_ascii_uppercase())
                || raw[1..].chars().all(|c| c.is_ascii_digit()))
            && !KNOWN_DIRS.contains(&raw);
        // "-v /dev/shm:/dev/shm": a bind mount's host and container
        // paths, how a container was started; no value of the ask.
        if raw.starts_with('/') && raw.split_once(":/").is_some_and(|(h, _)| !h.is_empty()) {
            return 1;
        }
        // "(WORKDIR /src)": a Dockerfile's working directory, no value.
        // "C:\Windows\system32\cmd.exe /ccd /tmp;wget http://…": a Windows
        // command's switches, and a shell line's commands run together.
        if raw.starts_with('/')
            && (self.toks[i.saturating_sub(1)].text.trim_start_matches('(') == "WORKDIR"
                || raw.trim_end_matches(';').contains(';')
                || i > 0 && self.toks[i - 1].lower.ends_with(".exe"))
        {
            return 1;
        }
        if raw.starts_with('/')
            && raw.len() > 1
            && !raw.contains("//")
            && !raw.contains('=')
            && !prose_slash
            && parse_cidr(raw).is_none()
        {
            // ("by /usr/lib/ssh/sftp-server under /srv/sftp/": the path
            // after "under" is the directory.)
            let dir_word = (i.saturating_sub(2)..i)
                .chain(i + 1..(i + 2).min(n))
                .any(|j| matches!(self.low(j), "directory" | "folder" | "dir" | "under"))
                && !(self.low(i + 1) == "under"
                    && self
                        .toks
                        .get(i + 2)
                        .is_some_and(|t| t.text.starts_with('/')));
            // "the /app binary": a known directory's name can be a program.
            // So does one an exec verb runs ("should execute /app only").
            let named_file = matches!(
                next.as_str(),
                "binary" | "executable" | "program" | "file" | "script"
            ) || EXEC_MODE_VERBS.contains(&prev.as_str());
            let is_dir = raw.ends_with('/') || KNOWN_DIRS.contains(&raw) && !named_file || dir_word;
            let list_end = self.path_list_end(i);
            // After a file or exec verb only an executable that a verb
            // directly follows acts ("audit /usr/bin/touch writing to /dev/").
            let exec_or_unverbed = !a.file_verb && !a.exec_verb || exec_looking(raw);
            if is_dir {
                self.ent(EntityKind::Dir, t.start, t.end);
                let d = if raw.ends_with('/') {
                    raw.to_string()
                } else {
                    if !raw.ends_with('/') {
                        push_uniq(
                            &mut self.assume,
                            format!("{raw} read as a directory ({raw}/)"),
                        );
                    }
                    format!("{raw}/")
                };
                push_uniq(&mut a.dirs, d);
            } else if (*mode != Mode::Exec || a.file_verb && !a.exec_verb)
                && exec_looking(raw)
                && (!a.paths.is_empty() || !a.dirs.is_empty())
                && self.excepted_actor(i)
            {
                // "deny access to /vault/ unless it is /bin/vault doing the
                // access": only it may.
                self.ent(EntityKind::Binary, t.start, t.end);
                push_uniq(&mut a.sources, raw.to_string());
                a.excepted_sources = true;
            } else if (self.after_by(i) || self.granted_to(i))
                && *mode != Mode::Exec
                // "access to /run/containerd/containerd.sock is restricted to
                // /app/spegel": right after "restricted to", any program;
                // "file access by /usr/lib/ssh/sftp-server under /srv/sftp/":
                // right after "by", with the files right after it.
                && (exec_looking(raw)
                    || matches!(prev.as_str(), "to" | "by")
                        && !raw.ends_with('/')
                        && !raw.rsplit('/').next().unwrap_or("").contains('.'))
                && (!a.paths.is_empty()
                    || !a.dirs.is_empty()
                    || prev == "by"
                        && matches!(next.as_str(), "under" | "in" | "below" | "inside")
                        && self.toks.get(i + 2).is_some_and(|t| t.text.starts_with('/')))
                // "… readable by the Lenses process (/opt/…)": files or not.
                // "/x/token to be readable only by /knoxAutoPolicy": right
                // after the "by", with the files named, any program.
                || self.agent_of_access(i)
                    && (exec_looking(raw)
                        || (matches!(prev.as_str(), "by" | "only")
                            // "… only by the service itself, /app/orders-svc".
                            || i > 0 && self.toks[i - 1].comma
                            // "… only by the vaultwarden binary (/vaultwarden)".
                            // "… only by Galène itself (/opt/galene/galene)".
                            || t.paren
                                && matches!(
                                    prev.as_str(),
                                    "binary" | "process" | "program" | "daemon" | "executable"
                                        | "itself" | "server" | "service"
                                )
                            // "… only by the manager binary /manager", "…
                            // only by the manager (/manager)".
                            || matches!(prev.as_str(), "binary" | "executable")
                            || t.paren && self.after_by(i))
                            && !raw.contains('.')
                            && (!a.paths.is_empty() || !a.dirs.is_empty()))
            {
                // "/etc/shadow may not be touched by /bin/ln": the agent of a
                // passive verb on the files named before it acts on them; so do
                // the executables access is granted to ("limit /var/lib/mysql/
                // access exclusively to mysqld (/usr/sbin/mysqld)").
                self.ent(EntityKind::Binary, t.start, t.end);
                push_uniq(&mut a.sources, raw.to_string());
            } else if (!a.file_verb && !a.exec_verb || self.acts_directly(list_end + 1))
                && exec_or_unverbed
                && self.acts_on_files(list_end + 1)
            {
                // "only /usr/sbin/nginx may read /etc/nginx/", "block /bin/dash
                // executing /bin/ls", "stop /bin/rm, /bin/rmdir and /bin/mv
                // from modifying …": the executables act (every one of a
                // coordinated list whose verb follows the list).
                self.ent(EntityKind::Binary, t.start, t.end);
                push_uniq(&mut a.sources, raw.to_string());
            } else if !raw.ends_with('/') && (self.kept_from_running(i) || self.spawns_later(i)) {
                // (What runs others is an executable wherever it lies:
                // "stop soffice.bin (/usr/lib/libreoffice/program/soffice.bin)".)
                // "keep freeswitch (/usr/bin/freeswitch) … from spawning
                // /bin/sh": the parent.
                self.ent(EntityKind::Binary, t.start, t.end);
                push_uniq(&mut a.sources, raw.to_string());
            } else if exec_looking(raw)
                && ((*mode == Mode::Exec || a.exec_verb && !a.file_verb) && self.spawned_from(i)
                    || !a.file_verb && self.relative_spawner(i))
            {
                // "deny shell spawns (/bin/sh) from the web server process
                // /usr/sbin/nginx": the parent that runs them.
                self.ent(EntityKind::Binary, t.start, t.end);
                push_uniq(&mut a.sources, raw.to_string());
            } else if *mode == Mode::Exec {
                self.ent(EntityKind::Binary, t.start, t.end);
                // "the collector process (/otelcol-contrib)": a program's
                // gloss, the actor when files are named.
                if self.glosses_program(i, raw)
                    || t.paren && matches!(prev.as_str(), "process" | "daemon" | "server")
                {
                    push_uniq(&mut a.programs, raw.to_string());
                }
                push_uniq(&mut a.binaries, raw.to_string());
            } else if !a.file_verb && self.acts_on_files(list_end + 1) {
                // "only /usr/sbin/nginx may read /etc/nginx/": the executable acts.
                self.ent(EntityKind::Binary, t.start, t.end);
                push_uniq(&mut a.sources, raw.to_string());
            } else {
                if self.glosses_program(i, raw) {
                    push_uniq(&mut a.programs, raw.to_string());
                }
                self.ent(EntityKind::Path, t.start, t.end);
                if !a.paths.iter().any(|(p, _)| p == raw) {
                    a.paths.push((raw.to_string(), self.ents.len() - 1));
                }
            }
            return 1;
        }
        // "Under 10.2.1.2 audit logs must …", "per PCI 1.3.1": a section
        // of a standard, no address.
        let section = !raw.contains('/')
            && matches!(
                prev.as_str(),
                "under"
                    | "per"
                    | "requirement"
                    | "req"
                    | "section"
                    | "pci"
                    | "dss"
                    | "control"
                    | "item"
                    | "§"
                    // "include fixes from 2.37.8.1", "upgrade to version
                    // 2.40.2.1": a release, no address.
                    | "version"
                    | "release"
                    | "v"
            )
            || !raw.contains('/')
                && prev == "from"
                && i >= 2
                && matches!(self.low(i - 2), "fixes" | "patches" | "changes" | "backports")
            // "4.2.1.5 Ensure remote rsyslog messages are …": a benchmark's
            // item number opening its title.
            || !raw.contains('/')
                && (i == 0 || self.ends_clause(i - 1) || self.text[..t.start].ends_with('\n'))
                && self
                    .toks
                    .get(i + 1)
                    .is_some_and(|n| n.text.starts_with(|c: char| c.is_ascii_uppercase()));
        if let Some((c, single)) = parse_cidr(raw).filter(|_| !section) {
            self.ent(EntityKind::Cidr, t.start, t.end);
            if single {
                push_uniq(&mut self.assume, format!("address {raw} read as {c}"));
            }
            // "to 10.0.0.0/8", "access metadata endpoint 169.254.169.254",
            // "from accessing 10.0.0.0/8": the pods reach the address.
            let reached = prev == "to" || {
                // The nearest cue before it within twelve words: "to", or a
                // verb of reaching, makes it the destination; "from" (not
                // "from accessing") its source.
                (i.saturating_sub(12)..i)
                    .rev()
                    .find_map(|k| match self.low(k) {
                        "from" if !self.low(k + 1).ends_with("ing") => Some(false),
                        "to" | "access" | "accesses" | "accessing" | "reach" | "reaches"
                        | "reaching" | "contact" | "contacts" | "contacting" | "query"
                        | "queries" | "querying" | "call" | "calls" | "calling" | "connect"
                        | "connects" | "connecting" | "fetch" | "fetches" | "download"
                        | "downloads" | "hit" | "hits"
                        // "an attacker could curl the metadata service at …"
                        | "curl" | "wget" | "ping" => Some(true),
                        _ => None,
                    })
                    .unwrap_or(false)
            };
            if reached {
                a.dir_implied.get_or_insert(Direction::Egress);
            }
            // "to 10.0.0.0/8 except 10.244.0.0/16, 172.16.0.0/12 or
            // 192.168.0.0/16": after an exception inside the range, one
            // outside every range given goes on with the ranges.
            let inside = |c: &str| {
                kubescribe_core::cidr::Cidr::parse(c).is_some_and(|x| {
                    a.cidrs
                        .iter()
                        .filter_map(|r| kubescribe_core::cidr::Cidr::parse(r))
                        .any(|r| r.prefix <= x.prefix && r.contains(x.addr))
                })
            };
            if a.cidr_except && !a.except_cidrs.is_empty() && !a.cidrs.is_empty() && !inside(&c) {
                push_uniq(&mut a.cidrs, c);
            } else if a.cidr_except {
                push_uniq(&mut a.except_cidrs, c);
            } else {
                push_uniq(&mut a.cidrs, c);
            }
            return 1;
        }
        // "to `backend.metricsListener.port`", "`service.httpPort`": a chart
        // value that holds the port, not the port.
        if raw.contains('.')
            && !raw.contains('/')
            && raw.rsplit('.').next().is_some_and(|last| {
                last.to_ascii_lowercase().ends_with("port") && is_ident(last, &[])
            })
            && raw
                .split('.')
                .all(|p| is_ident(p, &['-', '_']) && !p.is_empty())
        {
            a.unnamed_port.get_or_insert(raw.to_string());
            return 1;
        }
        // "Redis(6379)": a service with its port glued on; not "ptrace(2)",
        // a system call's manual section.
        if let Some((name, rest)) = raw.split_once('(')
            && name.chars().all(|c| c.is_ascii_alphabetic())
            && !name.is_empty()
            && !SYSCALLS_CLEAR.contains(&name.to_ascii_lowercase().as_str())
            && !SYSCALLS_WORDY.contains(&name.to_ascii_lowercase().as_str())
            && !SYSCALLS_ENGLISH.contains(&name.to_ascii_lowercase().as_str())
            && let Some((p, None)) = parse_port(rest.trim_end_matches(')'))
        {
            self.ent(EntityKind::Port, t.start, t.end);
            let pending = std::mem::take(&mut a.pending_protos);
            push_port(a, p, None, &pending);
            return 1;
        }
        // "setuid/setgid": a list written with slashes.
        if !raw.starts_with('/') && raw.contains('/') && !raw.contains('=') {
            let parts: Vec<&str> = l.split('/').collect();
            if parts.len() > 1
                && parts
                    .iter()
                    .all(|p| SYSCALLS_CLEAR.contains(p) || SYSCALLS_WORDY.contains(p))
                && (syscall_ctx || parts.iter().all(|p| SYSCALLS_CLEAR.contains(p)))
            {
                self.ent(EntityKind::Syscall, t.start, t.end);
                for p in parts {
                    push_uniq(&mut a.syscalls, p.to_string());
                }
                return 1;
            }
        }
        if let Some((k, v)) = split_label(raw) {
            if a.excluded_label == Some(i) {
                self.ent(EntityKind::Label, t.start, t.end);
                a.selector.push(format!("{k} != {v}"));
            } else if k != "namespace" && k != "ns" {
                self.mention(Who::Label(k, v), i, t.start, t.end);
            }
            return 1;
        }
        if let Some((k, v)) = raw
            .split_once("!=")
            .filter(|(k, v)| label_key_ok(k) && label_val_ok(v))
        {
            self.ents.push(Entity {
                kind: EntityKind::Label,
                text: raw.to_string(),
                start: t.start,
                end: t.end,
            });
            self.last_mention_tok = Some(i);
            a.selector.push(format!("{k} != {v}"));
            return 1;
        }
        // Set-based selectors: "tier in (cache)".
        if let Some(used) = self.take_set_selector(a, i) {
            return used;
        }
        // Calico selector syntax: `app == 'web'`, `tier != 'db'`.
        if label_key_ok(raw) && matches!(next.as_str(), "==" | "!=") && i + 2 < n {
            let vt = self.toks[i + 2].clone();
            // `exec.file.path == ""` compares with nothing: the next word is
            // no value.
            // Calico quotes what `==` compares with (`app == 'web'`).
            let after_op = self.text[self.toks[i + 1].end..].trim_start();
            let empty = after_op.starts_with("\"\"") || after_op.starts_with("''");
            let quoted = after_op.starts_with(['\'', '"']);
            if label_val_ok(vt.text) && !empty && (quoted || next == "!=") {
                let mut end = vt.end;
                if matches!(self.text[end..].chars().next(), Some('\'' | '"')) {
                    end += 1;
                }
                if next == "==" {
                    self.mention(
                        Who::Label(raw.to_string(), vt.text.to_string()),
                        i + 2,
                        t.start,
                        end,
                    );
                } else {
                    self.ents.push(Entity {
                        kind: EntityKind::Label,
                        text: self.text[t.start..end].to_string(),
                        start: t.start,
                        end,
                    });
                    a.selector.push(format!("{raw} != {}", vt.text));
                }
                return 3;
            }
        }
        // "tier: db"; not "System Boot: keep …" (label keys are written in
        // lower case in prose; a capitalised word before a colon is a heading).
        // The key is a usual label key, a qualified one ("app.kubernetes.io/
        // name:", "k8s-app:"), or one said as a label ("labels app: x",
        // "(tier: db)"): "something like: AllowExec …", "zero blast radius:
        // spec.podSelector …", "one demonset: nginx-test" are prose.
        // A hyphenated key that opens the text is a title ("01-namespace-
        // changes: hook …").
        // "(app: canary-demo, track: canary)": the next key of a list of
        // labels.
        let listed_key = i >= 2 && self.toks[i - 1].comma && self.toks[i - 2].text.ends_with(':');
        let key_said_as_label = |key: &str| {
            // "… or pidfd_getfd: they read …": a system call ends a list.
            !(SYSCALLS_CLEAR.contains(&key) || SYSCALLS_WORDY.contains(&key))
                && (COMMON_LABEL_KEYS.contains(&key)
                    || listed_key
                    || key.contains(['.', '/'])
                    || key.contains(['-', '_']) && i > 0
                    || t.paren
                    || (i.saturating_sub(3)..i).any(|j| {
                        matches!(
                            self.low(j),
                            "label"
                                | "labels"
                                | "labelled"
                                | "labeled"
                                | "matchlabels"
                                | "matchlabels:"
                                | "selector"
                                | "selector:"
                                | "podselector:"
                        )
                    }))
        };
        if raw.ends_with(':')
            && label_key_ok(&raw[..raw.len() - 1])
            // "PCI DSS 1.3.4: Do not …": a section number.
            && !raw[..raw.len() - 1].chars().all(|c| c.is_ascii_digit() || c == '.')
            && key_said_as_label(&l[..l.len() - 1])
            // "metadata: name: default-deny": the policy's own name.
            && !(l == "name:" && prev.trim_end_matches(':') == "metadata")
            // "I want realize that kind: outside can access …": a
            // determiner's noun, and what follows its colon.
            && !matches!(prev.as_str(), "that" | "this" | "which" | "what")
            // "remediation owner: platform": a ticket's field.
            && !matches!(
                prev.as_str(),
                "remediation" | "action" | "ticket" | "task" | "incident" | "risk" | "change"
                    | "request" | "item" | "fix"
            )
            && !raw.starts_with(|c: char| c.is_ascii_uppercase())
            // "a default-deny policy: select all pods": a heading noun and a
            // verb, not a label.
            && !matches!(
                &l[..l.len() - 1],
                "policy" | "rule" | "rules" | "title" | "target" | "scope" | "goal" | "reason"
                    | "description" | "message" | "note" | "example" | "summary" | "effect"
                    | "intent" | "result" | "action" | "alert" | "warning"
            )
            // "(run: jenkins-master)": a usual key in parentheses is one.
            && (!reserved(&l[..l.len() - 1])
                || t.paren && COMMON_LABEL_KEYS.contains(&&l[..l.len() - 1]))
            && !t.comma
            && i + 1 < n
            && label_val_ok(self.toks[i + 1].text)
            // "erpnext-nginx: FRAPPE_SOCKETIO is …": an environment
            // variable's name, no label value.
            && (!self.toks[i + 1].text.contains('_')
                || self.toks[i + 1].text.chars().any(|c| c.is_ascii_lowercase()))
            // ("namespaces with label network-access: allowed": said as a
            // label, any word is its value.)
            && (!reserved(&next) || matches!(prev.as_str(), "label" | "labelled" | "labeled"))
            // "tier: db deny …" is a heading's key; not the next label of a
            // list ("labels app: jupyterhub, component: singleuser-server
            // allow egress …").
            && (!matches!(self.low(i + 2), "deny" | "allow" | "block")
                || i >= 2 && self.toks[i - 1].comma && self.toks[i - 2].text.ends_with(':'))
            // "… in place: do it for …", "pivot_root: apply it to …": a verb
            // and its object, not a label's value ("(app.kubernetes.io/name:
            // growthbook, it pushes …)" ends the value at its comma).
            && (self.toks[i + 1].comma
                || !matches!(
                    self.low(i + 2),
                    "it" | "them" | "this" | "that" | "these" | "those"
                ))
            && !matches!(
                next.as_str(),
                "cluster-wide" | "clusterwide" | "every" | "each" | "no" | "all" | "any"
            )
            // "(owner: Femi)", "(due: Friday)": an action item's owner or
            // date, no label.
            && !matches!(
                &raw[..raw.len() - 1],
                "owner" | "owners" | "assignee" | "assigned" | "due" | "eta" | "by" | "lead"
            )
            // "use-case: if setuid() is invoked …": a clause opens after the
            // colon, no label value.
            && !matches!(
                next.as_str(),
                "if" | "when" | "whenever" | "once" | "where" | "while" | "the" | "a" | "an"
            )
            // "kube-monitoring: add Falco alert …": a commit title's area and
            // its verb.
            && !(i == 0
                && matches!(
                    next.as_str(),
                    "add" | "adds" | "fix" | "fixes" | "remove" | "removes" | "update"
                        | "updates" | "bump" | "use" | "make" | "support" | "set" | "enable"
                        | "disable" | "drop" | "harden" | "restrict" | "tighten" | "introduce"
                        | "implement" | "refactor" | "move" | "rename" | "improve" | "allow"
                ))
        {
            let vt = self.toks[i + 1].clone();
            self.mention(
                Who::Label(raw[..raw.len() - 1].to_string(), vt.text.to_string()),
                i + 1,
                t.start,
                vt.end,
            );
            return 2;
        }
        if let Some((p, pr)) = port_proto(l) {
            // 80/tcp, tcp/80, udp:53
            let (ps, pe, qs, qe) = pr.spans;
            self.ent_sorted(
                EntityKind::Port,
                t.start + ps,
                t.start + pe,
                EntityKind::Protocol,
                t.start + qs,
                t.start + qe,
            );
            a.ports.push((
                PortSpec {
                    port: p.0,
                    end_port: p.1,
                    protocol: pr.proto,
                },
                true,
            ));
            a.proto_seen = true;
            *mode = Mode::Port;
            return 1;
        }
        // "Block ping from X to Y", "allow ping requests": the traffic ping
        // sends, ICMP (not the executable, as in "block /bin/ping" or
        // "someone running ping").
        let ping_traffic = matches!(l, "ping" | "pings")
            && *mode != Mode::Exec
            && matches!(
                next.as_str(),
                "from" | "to" | "requests" | "request" | "traffic" | "packets" | "replies"
            );
        // ("TCP/UDP 53", "5353 UDP/TCP": both.)
        let said = if ping_traffic {
            vec![Protocol::Icmp]
        } else {
            protos(l)
        };
        if ping_traffic {
            push_uniq(
                &mut self.assume,
                "\"ping\" read as ICMP traffic".to_string(),
            );
        }
        if !said.is_empty() {
            self.ent(EntityKind::Protocol, t.start, t.end);
            a.proto_seen = true;
            // "on 8074 (TCP and UDP) and 8075": the parenthesis after a port
            // says its protocols, not the others'.
            let port = self.port_before_paren(i);
            for p in said {
                if p != Protocol::Icmp
                    && let Some(port) = port
                    && let Some(k) = a.ports.iter().rposition(|(q, _)| q.port == port)
                {
                    if a.ports[k].1 {
                        let mut q = a.ports[k].0.clone();
                        q.protocol = p;
                        if !a.ports.iter().any(|(x, _)| *x == q) {
                            a.ports.push((q, true));
                        }
                    } else {
                        a.ports[k] = (
                            PortSpec {
                                protocol: p,
                                ..a.ports[k].0.clone()
                            },
                            true,
                        );
                    }
                    continue;
                }
                if !a.protos.contains(&p) {
                    a.protos.push(p);
                }
                if p != Protocol::Icmp && !a.pending_protos.contains(&p) {
                    a.pending_protos.push(p);
                }
            }
            *mode = Mode::Port;
            return 1;
        }
        // "/metrics on :9091".
        if self.suffix_port(a, i) {
            *mode = Mode::Port;
            return 1;
        }
        // "allow outbound 443", "inbound 8080", "accepts 3306 from …",
        // "ingress only 8443".
        let direction_word = |w: &str| {
            matches!(
                w,
                "outbound" | "inbound" | "ingress" | "egress" | "incoming" | "outgoing"
            )
        };
        if *mode == Mode::None
            && prev == "only"
            && i >= 2
            && direction_word(self.low(i - 2))
            && parse_port(raw).is_some()
        {
            *mode = Mode::Port;
        }
        if *mode == Mode::None
            && matches!(
                prev.as_str(),
                "outbound"
                    | "inbound"
                    | "ingress"
                    | "egress"
                    | "incoming"
                    | "outgoing"
                    | "accept"
                    | "accepts"
                    | "receive"
                    | "receives"
                    | "expose"
                    | "exposes"
                    | "serve"
                    | "serves"
                    | "listen"
                    | "listens"
            )
            && parse_port(raw).is_some()
        {
            *mode = Mode::Port;
        }
        // "allowing 6379 from all namespaces", "open 8443 to the API
        // server": a bare number an action verb governs, where a peer or the
        // clause's end follows.
        if *mode == Mode::None
            && matches!(
                prev.as_str(),
                "allow"
                    | "allows"
                    | "allowing"
                    | "permit"
                    | "permits"
                    | "permitting"
                    | "open"
                    | "opens"
                    | "opening"
                    | "block"
                    | "blocks"
                    | "blocking"
                    | "deny"
                    | "denies"
                    | "denying"
                    // "deny all inbound … except 3000 from the graphql pods".
                    | "except"
            )
            && matches!(parse_port(raw), Some((_, None)))
            && (t.comma
                || i + 1 == n
                || matches!(next.as_str(), "from" | "to" | "for" | "and" | "on" | "in"))
        {
            *mode = Mode::Port;
        }
        if let Some(k) = self.number_port(a, i, mode) {
            return k;
        }
        if self.protocol_port(a, i, mode) {
            return 1;
        }
        // "mysql" where a port is expected; not "the elasticsearch pod(s)",
        // which names a workload.
        if SERVICE_NAMES.contains(&l)
            && (*mode == Mode::Port
                || matches!(
                    prev.as_str(),
                    "on" | "over" | "via" | "port" | "to" | "reach" | "reaches" | "contact"
                )
                || next == "port"
                // "accept PostgreSQL from the api pods", "allow postgresql
                // from app=api to …": the traffic accepted, by its service.
                || matches!(
                    prev.as_str(),
                    "accept" | "accepts" | "allow" | "allows" | "permit" | "permits" | "take"
                        | "takes" | "receive" | "receives" | "send" | "sends"
                ) && matches!(next.as_str(), "from" | "to" | "only")
                // "outbound IRC connections", "SSH traffic": the service
                // qualifies the traffic.
                || matches!(
                    next.as_str(),
                    "connection" | "connections" | "traffic" | "request" | "requests" | "session" | "sessions"
                        // "add postgresql netpol egress": a policy for it.
                        | "netpol" | "networkpolicy" | "egress" | "ingress"
                ))
            && !matches!(
                next.as_str(),
                "pod"
                    | "pods"
                    | "app"
                    | "application"
                    | "deployment"
                    | "workload"
                    | "container"
                    | "containers"
                    | "indices"
                    | "data"
                    | "logs"
                    | "files"
                    | "directory"
                    | "binaries"
                    | "binary"
                    | "process"
                    | "server"
                    | "config"
                    | "configuration"
                    | "node"
                    | "nodes"
                    | "host"
                    | "hosts"
                    | "instance"
                    | "instances"
                    | "cluster"
            )
        {
            push_uniq(&mut a.services, raw.to_string());
            return 1;
        }
        // "the setuid or setgid bit": file mode bits, neither system calls
        // nor capabilities.
        let bit = |w: &str| matches!(w, "bit" | "bits" | "flag" | "flags");
        if matches!(l, "setuid" | "setgid" | "suid" | "sgid" | "sticky")
            && (bit(&next) || matches!(next.as_str(), "or" | "and" | "/") && bit(self.low(i + 3)))
        {
            return 1;
        }
        // NET_ADMIN, SYS_PTRACE: capability names as the kernel writes them.
        // "(MKNOD)", "(CHOWN)": one in capitals, glossing what it allows.
        let dropped = self.dropped_in_capitals(i);
        let upper_cap = (raw.contains('_') || t.paren || dropped)
            && raw.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            && CAPABILITIES.contains(&l);
        // "add back only DAC_READ_SEARCH, not the broader DAC_OVERRIDE": the
        // one set aside is named, not granted.
        let set_aside = (i.saturating_sub(3)..i).any(|k| {
            self.low(k) == "not"
                && (k + 1..i).all(|j| {
                    !self.ends_clause(j) && self.low(j).chars().all(|c| c.is_ascii_lowercase())
                })
        }) && (0..i).any(|k| self.low(k) == "only");
        if set_aside && (upper_cap || is_cap(l, *mode, cap_ctx)) {
            return 1;
        }
        if upper_cap || is_cap(l, *mode, cap_ctx) {
            self.ent(EntityKind::Capability, t.start, t.end);
            push_uniq(&mut a.caps, l.trim_start_matches("cap_").to_string());
            *mode = Mode::Cap;
            return 1;
        }
        // "sys_setns", "__x64_sys_openat": the kernel's entry for the call
        // (not a capability such as sys_ptrace).
        let l = kernel_entry_syscall(l).unwrap_or(l);
        // "ptrace(2)": the manual's section after the name.
        let manual = l
            .split_once('(')
            .filter(|(_, s)| s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty());
        let l = manual.map_or(l, |(name, _)| name);
        let english = SYSCALLS_ENGLISH.contains(&l.trim_end_matches('('));
        // "a seccomp syscall filter": the name qualifies the filter.
        let filter_after = |j: usize| {
            matches!(
                self.low(j),
                "filter" | "filters" | "filtering" | "profile" | "profiles"
            )
        };
        let syscall_next = matches!(next.as_str(), "syscall" | "syscalls") && !filter_after(i + 2)
            || next == "system" && self.low(i + 2).starts_with("call") && !filter_after(i + 3)
            // "forbids mount, umount2 and pivot_root": a name that is also a
            // program is a system call in a list of system calls.
            || (SYSCALLS_WORDY.contains(&l) || english) && self.listed_with_syscall(i)
            // "access()", "stat(2)": an English word written as a call.
            || english
                && (manual.is_some() || raw.ends_with('(') && self.text[t.end..].starts_with(')'));
        // "after every reboot", "a mount": the event as a noun, unless the
        // text says it is the system call.
        let noun = matches!(
            prev.as_str(),
            "every" | "each" | "a" | "an" | "after" | "any"
        ) && !syscall_next
            && *mode != Mode::Syscall
            // English words, not "every setns".
            && (SYSCALLS_WORDY.contains(&l)
                || matches!(l, "reboot" | "shutdown" | "sync" | "pause" | "exit"));
        // "setuid apps like /usr/bin/sudo": a kind of program.
        let adjective = matches!(
            next.as_str(),
            "apps"
                | "applications"
                | "binaries"
                | "programs"
                | "executables"
                | "files"
                | "bit"
                | "bits"
        );
        if is_syscall(l, *mode, syscall_ctx) && !noun && !adjective
            || syscall_next
                && (SYSCALLS_CLEAR.contains(&l.trim_end_matches(['(', ')']))
                    || SYSCALLS_WORDY.contains(&l.trim_end_matches(['(', ')']))
                    || english)
        {
            // `ptrace()`: the tokenizer took the `)` off as punctuation.
            let end = if raw.ends_with('(') && self.text[t.end..].starts_with(')') {
                t.end + 1
            } else {
                t.end
            };
            self.ent(EntityKind::Syscall, t.start, end);
            push_uniq(
                &mut a.syscalls,
                l.trim_end_matches(['(', ')', ':']).to_string(),
            );
            return 1;
        }
        // "may only dial out to acme.teleport.sh on 443": a name whose last
        // part is also a file's extension, reached on a port, is a host.
        // ("should reach ntfy.sh on 443", "connect to ntfy.sh on 443": two
        // parts, after a verb of reaching.)
        let reaching = matches!(prev.as_str(), "reach" | "reaches" | "contact")
            || prev == "to"
                && i >= 2
                && matches!(
                    self.low(i - 2),
                    "connect" | "connects" | "talk" | "talks" | "send" | "sends" | "egress"
                );
        let host_reached = !is_fqdn(raw)
            && raw.split('.').count() >= if reaching { 2 } else { 3 }
            && raw
                .rsplit_once('.')
                .is_some_and(|(name, _)| is_fqdn(&format!("{name}.com")))
            && matches!(
                prev.as_str(),
                "to" | "reach" | "reaches" | "from" | "contact"
            )
            && (matches!(next.as_str(), "on" | "over" | "port" | "via")
                || parse_port(&next).is_some());
        // "the ld.so.preload file": a file name, not a DNS name.
        if (is_fqdn(raw) || host_reached)
            && !matches!(
                next.as_str(),
                "file"
                    | "files"
                    | "directory"
                    | "folder"
                    | "binary"
                    | "library"
                    | "module"
                    | "package"
                    | "script"
                    | "config"
                    // "That weave.works write-up is what we hit": a site
                    // named as a source.
                    | "write-up"
                    | "writeup"
                    | "post"
                    | "article"
                    | "blog"
                    | "docs"
                    | "documentation"
                    | "guide"
                    | "advisory"
            )
        {
            // "dev.internal.lan goes to 192.168.1.10, intranet.internal.lan
            // to 172.16.10.10": where a name is forwarded or resolves, said
            // to describe the addresses; the addresses are the peers.
            let addr_at =
                |k: usize| parse_cidr(self.low(k).trim_end_matches([',', '.', ';'])).is_some();
            let maps = matches!(
                next.as_str(),
                "goes" | "go" | "resolves" | "points" | "maps" | "->" | "→"
            ) && (addr_at(i + 2) || self.low(i + 2) == "to" && addr_at(i + 3))
                || next == "to"
                    && addr_at(i + 2)
                    && i > 0
                    && (self.toks[i - 1].comma || self.prev_low(i).ends_with(':'));
            // "the cal.com web pods (…)": a product's name that names pods.
            let pods_of = |k: usize| matches!(self.low(k), "pods" | "pod" | "deployment");
            let names_pods = pods_of(i + 1)
                || !self.toks[i].comma
                    && self.low(i + 1).chars().all(|c| c.is_ascii_lowercase())
                    && pods_of(i + 2);
            if maps || names_pods {
                return 1;
            }
            self.ent(EntityKind::Fqdn, t.start, t.end);
            push_uniq(&mut a.fqdns, l.to_string());
            a.dir_implied.get_or_insert(Direction::Egress);
            return 1;
        }
        if self.program_name(a, i, mode, exec_ctx, l, raw) {
            return 1;
        }
        // "pod web-0, pod web-1", "pods api-0 and api-1": names follow the
        // keyword or a list mark ("a pod getting pwned gave …" is prose).
        let listed_after = i > 0
            && (self.toks[i - 1].comma || matches!(prev.as_str(), "pod" | "pods" | "and" | "or"));
        // "pod app-0 (statefulset.kubernetes.io/pod-name=app-0)": the label
        // in parentheses says which pod; the name needs no resolving.
        let glossed_by_label = self
            .toks
            .get(i + 1)
            .is_some_and(|g| g.paren && split_label(g.text.trim_end_matches([',', ')'])).is_some());
        if *mode == Mode::Pod && listed_after && self.pod_name_like(i) && glossed_by_label {
            return 1;
        }
        if *mode == Mode::Pod && listed_after && self.pod_name_like(i) {
            self.mention(Who::Pod(raw.to_string()), i, t.start, t.end);
            // "pod api-0, api-1 and api-2": the list goes on.
            if t.comma && !self.pod_name_like(i + 1) {
                *mode = Mode::None;
            }
            return 1;
        }
        // "pod/web-0"; not "no pod/namespace selector".
        if let Some(name) = raw
            .strip_prefix("pod/")
            .filter(|p| is_ns_name(p) && !scope_words::NOT_A_POD_NAME.contains(p))
        {
            self.mention(Who::Pod(name.to_string()), i, t.start + 4, t.end);
            return 1;
        }
        // A word that ends a value list; not "except" ("all ports except
        // 443": the exception is of the same kind).
        let keeps_list = LIST_GLUE.contains(&l)
            || matches!(l, "except" | "excluding" | "excepting" | "besides")
            || self.other_than(i)
            || l == "than" && self.other_than(i.saturating_sub(1))
            || matches!(*mode, Mode::Syscall | Mode::Cap);
        if !keeps_list {
            *mode = Mode::None;
        }
        1
    }
}

/// Records port `port` (to `end_port`) once per protocol named before it
/// ("UDP 5060, TCP 5061", "TCP and UDP 53"), or as TCP when none was (the
/// protocol then only assumed).
pub(super) fn push_port(a: &mut Acc, port: u16, end_port: Option<u16>, pending: &[Protocol]) {
    let said = !pending.is_empty();
    for &protocol in if said { pending } else { &[Protocol::Tcp][..] } {
        a.ports.push((
            PortSpec {
                port,
                end_port,
                protocol,
            },
            said,
        ));
    }
}
