//! Evidence pasted before the ask: a runtime tool's alert or log line
//! ("10:37:09.1: Notice Unexpected connection … (command=fetcher
//! k8s.ns=fission-function … connection=…:443)", a Tetragon or KubeArmor
//! JSON event, `"Labels": "app=x", "Resource": "/etc/shadow"`). Its fields
//! (users, images, container ids, the pod that fired, the file it touched)
//! describe what happened, not the policy: they are blanked out (offsets
//! kept) before parsing, so only the operator's own words name the
//! workload, the values and the action.

/// Field names of alert and event outputs (Falco, Tetragon, KubeArmor,
/// Hubble, auditd) that are no label keys of a workload.
const FIELD_KEYS: &[&str] = &[
    // A logfmt line ("ts=2021-07-31T23:31:40Z caller=memberlist_logger.go:74
    // level=error msg=…").
    "ts",
    "caller",
    "level",
    "msg",
    "err",
    "logger",
    "traceid",
    "user",
    "user_loginuid",
    "user.name",
    "command",
    "cmdline",
    "k8s.ns",
    "k8s.pod",
    "k8s.ns.name",
    "k8s.pod.name",
    "container",
    "container_id",
    "container.id",
    "container.name",
    "image",
    "container.image",
    "parent",
    "shell",
    "terminal",
    "file",
    "connection",
    "fd",
    "fd.name",
    "syscall",
    "flags",
    "sa_family",
    "sin_port",
    "sin_addr",
    "proc.name",
    "proc.cmdline",
    "proc.pname",
    "evt.type",
    "binary",
    "arguments",
    "pid",
    "ppid",
    "uid",
    "exe",
    "comm",
    "id",
    "name",
    // Falco's output fields ("… | evt_type=connect user_uid=0
    // proc_exepath=/usr/bin/curl lport=52814 …").
    "evt_type",
    "user_uid",
    "process",
    "proc_exepath",
    "exe_flags",
    "cap_effective",
    "lport",
    "rport",
    "fd_type",
    "fd_proto",
    "gparent",
    "ggparent",
    "fd.sip",
    "fd.rip",
    "fd.cip",
    "k8s_pod_name",
    "k8s_ns_name",
    "container_name",
    "container_image_repository",
    "ip",
];

/// Quoted keys of JSON events (Tetragon, KubeArmor, Falco's JSON output).
const EVENT_KEYS: &[&str] = &[
    "\"pod\"",
    "\"process\"",
    "\"arguments\"",
    "\"flags\"",
    "\"parent\"",
    "\"node_name\"",
    "\"time\"",
    "\"PodName\"",
    "\"PolicyName\"",
    "\"Operation\"",
    "\"Resource\"",
    "\"Result\"",
    "\"Severity\"",
    "\"output\"",
    "\"rule\"",
    "\"priority\"",
    "\"Labels\"",
    "\"NamespaceName\"",
    "\"ProcessName\"",
    "\"Data\"",
    // Falco's JSON output fields.
    "\"proc.exepath\"",
    "\"proc.cmdline\"",
    "\"k8s.ns.name\"",
    "\"k8s.pod.name\"",
    "\"fd.name\"",
    "\"evt.type\"",
    "\"container.id\"",
    "\"container.image.repository\"",
    "\"thread.cap_effective\"",
];

/// `text` with pasted alert and event output blanked out, or `None` when
/// it has none.
pub(super) fn without_pasted(text: &str) -> Option<String> {
    let mut blank: Vec<(usize, usize)> = Vec::new();
    json_objects(text, &mut blank);
    quoted_fields(text, &mut blank);
    field_runs(text, &mut blank);
    alert_lines(text, &mut blank);
    error_messages(text, &mut blank);
    error_lines(text, &mut blank);
    scanner_findings(text, &mut blank);
    quoted_errors(text, &mut blank);
    inline_commands(text, &mut blank);
    app_headers(text, &mut blank);
    status_lines(text, &mut blank);
    colon_fields(text, &mut blank);
    alert_blocks(text, &mut blank);
    absorb_trailing_fields(text, &mut blank);
    super::masks::blanked(text, &blank)
}

/// "Grafana OnCall · Alert Group #1187 · Firing · from integration …",
/// "Triggered · High urgency · Service: Runtime Security": a paging tool's
/// status header, its parts set apart by middle dots; it names the alert
/// and its routing, no rule.
fn status_lines(text: &str, out: &mut Vec<(usize, usize)>) {
    let mut at = 0;
    for l in text.split_inclusive('\n') {
        let line = l.trim_end();
        let dots = line.matches(" · ").count();
        // ("Acknowledged by @tomasz · 3 alerts in group": a short one.)
        if (dots >= 2 || dots == 1 && line.split_whitespace().count() <= 8) && !line.contains('=') {
            out.push((at, at + line.len()));
        }
        at += l.len();
    }
}

/// "k8s.pod.name: web-5c8d-x2", "num_firing: 1": an alert's field written
/// with a colon (a paging tool's custom details), its value with it.
fn colon_fields(text: &str, out: &mut Vec<(usize, usize)>) {
    const KEYS: &[&str] = &[
        "k8s.pod.name",
        "k8s.ns.name",
        "k8s_pod_name",
        "k8s_ns_name",
        "container.id",
        "container_id",
        "container.name",
        "container.image.repository",
        "proc.name",
        "proc.exepath",
        "proc.cmdline",
        "evt.type",
        "fd.name",
        "thread.cap_effective",
        "num_firing",
        "num_resolved",
    ];
    for key in KEYS {
        for (k, _) in text.match_indices(&format!("{key}: ")) {
            let before = text[..k].chars().next_back();
            if before.is_some_and(|c| !c.is_whitespace() && !matches!(c, '·' | '|' | '(' | ',')) {
                continue;
            }
            let value_at = k + key.len() + 2;
            let end = text[value_at..]
                .find(char::is_whitespace)
                .map_or(text.len(), |e| value_at + e);
            out.push((k, end));
        }
    }
}

/// An alert's fields pasted as lines ("Description: Detect outbound
/// connections …", "Entity: Falcosidekick", "Tags: …", "Responders: …"):
/// three `Key: value` lines or more in a row, with a key only alerts have.
/// The rule's description and the alert's routing are what fired, not
/// the ask.
fn alert_blocks(text: &str, out: &mut Vec<(usize, usize)>) {
    const ALERT_ONLY: &[&str] = &[
        "entity",
        "tags",
        "responders",
        "alias",
        "runbook_url",
        "runbook",
        "alertname",
        "fingerprint",
        "generatorurl",
        "urgency",
        "escalation chain",
        "escalation policy",
        "integration",
        "dedup key",
    ];
    const ALERT: &[&str] = &[
        "description",
        "summary",
        "severity",
        "priority",
        "source",
        "status",
        "message",
        "value",
        "instance",
        "job",
        "labels",
        "annotations",
    ];
    let mut run: Vec<(usize, usize, String)> = Vec::new();
    let mut flush = |run: &mut Vec<(usize, usize, String)>| {
        let only = run
            .iter()
            .filter(|(_, _, k)| ALERT_ONLY.contains(&k.as_str()))
            .count();
        let known = run
            .iter()
            .filter(|(_, _, k)| ALERT_ONLY.contains(&k.as_str()) || ALERT.contains(&k.as_str()))
            .count();
        if run.len() >= 3 && only >= 1 && known >= 2 {
            out.extend(run.iter().map(|&(f, t, _)| (f, t)));
        }
        run.clear();
    };
    let mut at = 0;
    for l in text.split_inclusive('\n') {
        let line = l.trim_end();
        let key = line
            .split_once(": ")
            .map(|(k, _)| k.trim().to_ascii_lowercase());
        match key.filter(|k| {
            !k.is_empty()
                && k.split_whitespace().count() <= 3
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.' | '-'))
        }) {
            Some(k) => run.push((at, at + line.len(), k)),
            None => flush(&mut run),
        }
        at += l.len();
    }
    flush(&mut run);
}

/// "netpol-bot APP 14:07", "incident.io APP 2:16 PM": the header a chat
/// client shows above a bot's message (its name is no host or workload).
fn app_headers(text: &str, out: &mut Vec<(usize, usize)>) {
    let mut at = 0;
    for l in text.split_inclusive('\n') {
        let words: Vec<&str> = l.split_whitespace().collect();
        let time = |w: &str| {
            w.split_once(':').is_some_and(|(h, m)| {
                (1..=2).contains(&h.len())
                    && m.len() == 2
                    && h.chars().chain(m.chars()).all(|c| c.is_ascii_digit())
            })
        };
        let header = (3..=4).contains(&words.len())
            && words[1] == "APP"
            && time(words[2])
            && words.get(3).is_none_or(|w| matches!(*w, "AM" | "PM"));
        if header {
            out.push((at, at + l.trim_end().len()));
        }
        at += l.len();
    }
}

/// `` `kubectl get ns --show-labels` ``, `` `k -n space2 get pod` ``,
/// `` `capsh --decode` ``: a command quoted inline for the reader to look
/// things up with. It shows how to see the cluster, not a value of the ask
/// (`get` is no namespace, `capsh` no program of the pods).
fn inline_commands(text: &str, out: &mut Vec<(usize, usize)>) {
    const LOOKUPS: &[&str] = &[
        "get",
        "describe",
        "logs",
        "exec",
        "config",
        "top",
        "auth",
        "explain",
        "api-resources",
        "port-forward",
        "cp",
        "debug",
        "events",
    ];
    let ticks: Vec<usize> = text
        .match_indices('`')
        .map(|(i, _)| i)
        .filter(|&i| !text[i..].starts_with("```") && !text[..i].ends_with('`'))
        .collect();
    for pair in ticks.chunks_exact(2) {
        let (open, close) = (pair[0], pair[1]);
        let words: Vec<&str> = text[open + 1..close].split_whitespace().collect();
        let looks_up = match words.as_slice() {
            ["kubectl" | "k" | "oc", rest @ ..] => rest.iter().any(|w| LOOKUPS.contains(w)),
            [
                "capsh" | "sysdig" | "crictl" | "journalctl" | "strace",
                _,
                ..,
            ] => true,
            // `docker run -p 21:21 -e "PUBLICHOST=localhost" …`: how an image
            // is started outside the cluster.
            [
                "docker" | "podman" | "nerdctl",
                "run" | "exec" | "ps" | "inspect" | "logs",
                ..,
            ] => true,
            _ => false,
        };
        if looks_up {
            out.push((open, close + 1));
        }
    }
}

/// `{"binary":"/usr/bin/nsenter", …}`: a JSON object (balanced braces
/// holding a quoted key and a colon).
fn json_objects(text: &str, out: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{' {
            let mut depth = 0;
            let mut end = None;
            for (j, &c) in b.iter().enumerate().skip(i) {
                match c {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(j + 1);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            // An event's keys, not a pasted policy's ("denyExec": …).
            if let Some(e) = end
                && EVENT_KEYS.iter().any(|k| text[i..e].contains(k))
            {
                out.push((i, e));
                i = e;
                continue;
            }
        }
        i += 1;
    }
}

/// `"PodName": "x", "Labels": "app=x", "Resource": "/etc/shadow"`: two or
/// more quoted keys with values, from the first to the end of the last.
fn quoted_fields(text: &str, out: &mut Vec<(usize, usize)>) {
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut rest = 0;
    while let Some(k) = text[rest..].find("\": \"").map(|k| k + rest) {
        // The key's opening quote and the value's closing one.
        let start = text[..k].rfind('"');
        let end = text[k + 4..].find('"').map(|e| k + 4 + e + 1);
        match (start, end) {
            (Some(s), Some(e))
                if text[s + 1..k]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                pairs.push((s, e));
                rest = e;
            }
            _ => rest = k + 4,
        }
    }
    let event = pairs
        .iter()
        .any(|&(s, e)| EVENT_KEYS.iter().any(|k| text[s..e].starts_with(k)));
    if pairs.len() >= 2 && event {
        out.push((pairs[0].0, pairs[pairs.len() - 1].1));
    }
}

/// Whether the word `w` is an alert's `field=value`.
fn field(w: &str) -> bool {
    let w = w.trim_start_matches(['(', '`', '"']);
    w.split_once('=').is_some_and(|(k, v)| {
        FIELD_KEYS.contains(&k.to_ascii_lowercase().as_str()) && !v.is_empty()
    })
}

/// Whether `w` is an alert field whose key is no usual label key ("name",
/// "id" may be a workload's labels), outside a parenthesis.
fn strong_field(w: &str) -> bool {
    !w.starts_with('(')
        && field(w)
        && !w
            .trim_start_matches(['`', '"'])
            .split_once('=')
            .is_some_and(|(k, _)| matches!(k, "name" | "id"))
}

/// "(user=root command=touch /bin/hack file=/bin/hack)", "binary=/tmp/x
/// arguments=\"-v …\" parent=/usr/local/go/bin/go": a parenthesis holding
/// two or more alert fields, or a run of them (with the words of their
/// values between) outside one.
fn field_runs(text: &str, out: &mut Vec<(usize, usize)>) {
    // Parentheses first.
    for (o, i) in super::masks::parentheses(text) {
        let inner = &text[o + 1..i];
        let keys: Vec<&str> = inner
            .split_whitespace()
            .filter(|w| field(w))
            .filter_map(|w| w.split_once('=').map(|(k, _)| k))
            .collect();
        let strong = keys
            .iter()
            .filter(|k| !matches!(**k, "name" | "id"))
            .count();
        if (inner.contains("k8s.") || keys.len() >= 2) && strong >= 1 {
            out.push((o, i + 1));
        }
    }
    // Runs outside: words from the first field to the last of two or
    // more, on one line, with no sentence end between.
    let words: Vec<(usize, &str)> = text
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
        .collect();
    let mut k = 0;
    while k < words.len() {
        if !strong_field(words[k].1) || out.iter().any(|&(f, t)| (f..t).contains(&words[k].0)) {
            k += 1;
            continue;
        }
        let mut last = k;
        let mut j = k + 1;
        while j < words.len() && j <= last + 6 {
            let between = &text[words[j - 1].0..words[j].0];
            if between.contains('\n') || words[j - 1].1.ends_with(['.', ';']) {
                break;
            }
            if strong_field(words[j].1) {
                last = j;
            }
            j += 1;
        }
        if last > k {
            let (s, w) = words[last];
            // A quoted value runs to its closing quote.
            let mut end = s + w.trim_end_matches(['.', ',', ';']).len();
            if let Some(q) = w.find("=\"")
                && !w[q + 2..].contains('"')
                && let Some(close) = text[end..].find('"')
            {
                end += close + 1;
            }
            out.push((words[k].0, end));
        }
        k = last + 1;
    }
}

/// "(user=root … file=/etc/shadow) container=host (id=host)": the fields
/// right after a blanked part (alone, or a parenthesis of nothing else)
/// belong to it.
fn absorb_trailing_fields(text: &str, out: &mut [(usize, usize)]) {
    for r in out.iter_mut() {
        loop {
            let rest = &text[r.1..];
            let gap = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            let word_end = rest[gap..]
                .find(char::is_whitespace)
                .unwrap_or(rest.len() - gap);
            let word = &rest[gap..gap + word_end];
            let inner = word.strip_prefix('(').and_then(|w| w.strip_suffix(')'));
            if word.is_empty()
                || !(field(word) && !word.starts_with('(') || inner.is_some_and(field))
            {
                break;
            }
            r.1 += gap + word.trim_end_matches(['.', ',', ';']).len();
        }
    }
}

/// "10:37:09.101509967: Notice Unexpected connection …", "23:46:19.82:
/// Notice A shell was spawned …": an alert that opens with its time stamp,
/// to the end of its line, or (on a line that goes on with the ask) to the
/// end of the alert's fields.
fn alert_lines(text: &str, out: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i + 8 < b.len() {
        let stamp = b[i].is_ascii_digit()
            && b[i + 1].is_ascii_digit()
            && b[i + 2] == b':'
            && b[i + 3].is_ascii_digit()
            && b[i + 4].is_ascii_digit()
            && b[i + 5] == b':'
            && b[i + 6].is_ascii_digit()
            && b[i + 7].is_ascii_digit()
            && (i == 0 || !b[i - 1].is_ascii_digit());
        if !stamp {
            i += 1;
            continue;
        }
        let line_end = text[i..].find('\n').map_or(text.len(), |e| i + e);
        // Within the line, the alert ends where its last blanked field run
        // or parenthesis ends (or a closing backtick), when the ask follows.
        let fields_end = out
            .iter()
            .filter(|&&(f, t)| f >= i && t <= line_end)
            .map(|&(_, t)| t)
            .max();
        let tick = text[i..line_end].find('`').map(|e| i + e);
        // "2022-06-26 15:56:07: Cannot reach … FATAL: Failed to reach …. Our
        // egress policy is what drops it: let …": on the text's last line,
        // with no fields, the message ends with its sentence.
        let b = text.as_bytes();
        let sentence_end = (i..line_end)
            .find(|&k| {
                b[k] == b'.'
                    && b.get(k + 1) == Some(&b' ')
                    && b.get(k + 2).is_some_and(|c| c.is_ascii_uppercase())
            })
            .map(|k| k + 1);
        let end = match (tick, fields_end, sentence_end) {
            (Some(t), _, _) => t,
            (None, Some(f), _) if line_end == text.len() => f,
            (None, None, Some(e)) if line_end == text.len() => e,
            _ => line_end,
        };
        out.push((i, end));
        i = end.max(i + 1);
    }
}

/// "(without it: ERROR: Cannot open TUN/TAP dev /dev/net/tun)": a program's
/// error or warning message quoted in a parenthesis, from its level word to
/// the parenthesis' end — what the program says, not what to do ("Cannot
/// open" asks for no block).
fn error_messages(text: &str, out: &mut Vec<(usize, usize)>) {
    const LEVELS: &[&str] = &[
        "error", "err", "fatal", "panic", "warn", "warning", "critical",
    ];
    for (o, c) in super::masks::parentheses(text) {
        let inner = &text[o + 1..c];
        let level = inner
            .match_indices(|ch: char| ch.is_ascii_alphabetic())
            .map(|(at, _)| at)
            .filter(|&at| at == 0 || !inner.as_bytes()[at - 1].is_ascii_alphanumeric())
            .find(|&at| {
                let word: String = inner[at..]
                    .chars()
                    .take_while(char::is_ascii_alphabetic)
                    .collect();
                LEVELS.contains(&word.to_ascii_lowercase().as_str())
                    && inner[at + word.len()..].starts_with(':')
            });
        if let Some(at) = level {
            out.push((o + 1 + at, c));
        }
    }
}

/// "failed calling webhook \"x.io\": dial tcp 10.228.0.5:15017: i/o
/// timeout.", "Error from server (Forbidden): …": a program's error pasted
/// as a sentence of its own (from the text's or a line's start, or after a
/// sentence), to its end — its names, addresses and ports are what failed,
/// not the policy's.
fn error_lines(text: &str, out: &mut Vec<(usize, usize)>) {
    const OPENERS: &[&str] = &[
        "failed calling webhook",
        "failed to call webhook",
        "error from server",
        "internal error occurred",
        "dial tcp",
        "error:",
        "fatal:",
        "panic:",
        // A shell's complaint: "-bash: line 1: /etc/x: Permission denied".
        "-bash:",
        "bash:",
        "sh:",
        "/bin/sh:",
        "/bin/bash:",
    ];
    let starts = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(k, _)| k + 1))
        .chain(text.match_indices(". ").map(|(k, _)| k + 2));
    for at in starts {
        let rest = &text[at..];
        let lead = rest.len() - rest.trim_start().len();
        let low = rest.trim_start().to_ascii_lowercase();
        if !OPENERS.iter().any(|o| low.starts_with(o)) {
            continue;
        }
        let from = at + lead;
        out.push((from, sentence_end(text, from)));
    }
}

/// The end of the sentence that starts at `from`: a full stop before a
/// capital, or the line's end.
fn sentence_end(text: &str, from: usize) -> usize {
    let b = text.as_bytes();
    let end = text[from..].find('\n').map_or(text.len(), |e| from + e);
    (from..end)
        .find(|&k| {
            b[k] == b'.'
                && b.get(k + 1) == Some(&b' ')
                && b.get(k + 2).is_some_and(|c| c.is_ascii_uppercase())
        })
        .map_or(end, |e| e + 1)
}

/// "polaris: runAsPrivileged (danger) - Should not be running as
/// privileged.", "kube-bench [WARN] 4.2.4 Verify that …", "trivy config:
/// AVD-KSV-0024 (HIGH): … should not set host ports": a scanner's finding
/// pasted before the ask, and the "Remediation: …" that follows it — the
/// tool's words (its "should not", its "edit the file …"), not the ask.
fn scanner_findings(text: &str, out: &mut Vec<(usize, usize)>) {
    const SCANNERS: &[&str] = &[
        "kube-bench",
        "kubescape",
        "trivy",
        "checkov",
        "polaris",
        "kube-hunter",
        "kubeaudit",
        "kube-score",
        "kube-linter",
        "kics",
    ];
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(k, _)| k + 1))
        .chain(text.match_indices(". ").map(|(k, _)| k + 2))
        .collect();
    let mut found = false;
    for &at in &starts {
        let rest = text[at..].trim_start();
        let from = text.len() - rest.len();
        let low = rest.to_ascii_lowercase();
        // Its name, then a colon, a level ("[WARN]"), "config:" or a
        // finding's id ("C-0083", "KHV034", "AVD-KSV-0024").
        let finding = SCANNERS.iter().any(|name| {
            low.strip_prefix(name).is_some_and(|after| {
                let id = after.split_whitespace().next().unwrap_or("");
                after.starts_with(':')
                    || after.starts_with(" [")
                    || after.starts_with(" config:")
                    || after.starts_with(' ')
                        && id.chars().any(|c| c.is_ascii_digit())
                        && id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'))
            })
        });
        // (Not one that goes on to name the pods and the ask: "Trivy
        // AVD-KSV-0005 (…): …, so block the SYS_ADMIN capability in the
        // ci-builder pods (…)".)
        // (To its first full stop: "… (danger) - Container should not
        // have dangerous capabilities. it's the metrics-agent daemonset, …".)
        let line_end = text[from..].find('\n').map_or(text.len(), |e| from + e);
        let end = text[from..line_end]
            .find(". ")
            .map_or(line_end, |e| from + e + 1);
        let said = &text[from..end];
        let names_pods = said.contains('=')
            || said.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
                matches!(
                    w.to_ascii_lowercase().as_str(),
                    "pods" | "pod" | "namespace"
                )
            });
        if finding && !names_pods {
            found = true;
            out.push((from, end));
        }
    }
    if !found {
        return;
    }
    for &at in &starts {
        let rest = text[at..].trim_start();
        let from = text.len() - rest.len();
        let end = sentence_end(text, from);
        if rest.to_ascii_lowercase().starts_with("remediation:")
            && !text[from..end].to_ascii_lowercase().contains(" pods")
        {
            out.push((from, end));
        }
    }
}

/// `"/start.sh: exec: line 25: /vaultwarden: Operation not permitted"`: a
/// program's failure quoted as the system reports it (ending in an errno
/// message) — what went wrong, not what to do ("not permitted" asks for no
/// block).
fn quoted_errors(text: &str, out: &mut Vec<(usize, usize)>) {
    const ERRNO: &[&str] = &[
        "operation not permitted",
        "permission denied",
        "no such file or directory",
        "connection refused",
        "connection timed out",
        "could not resolve host",
    ];
    let b = text.as_bytes();
    for (open, quote) in text.match_indices(['"', '\'']) {
        // An opening mark (not the apostrophe of "don't"), and its closing
        // one: the same mark before a space, punctuation or the end.
        let opens = open == 0 || matches!(b[open - 1], b' ' | b'\n' | b'(' | b'[' | b',' | b':');
        let Some(len) = opens
            .then(|| {
                text[open + 1..]
                    .match_indices(quote)
                    .map(|(k, _)| k)
                    .find(|&k| {
                        b.get(open + 2 + k)
                            .is_none_or(|c| !c.is_ascii_alphanumeric())
                    })
            })
            .flatten()
        else {
            continue;
        };
        let inner = &text[open + 1..open + 1 + len];
        let low = inner.trim_end_matches(['.', '!', '?']).to_ascii_lowercase();
        // ("Starting Asterisk PBX: Unable to install capabilities": a
        // program's failure after its colon.)
        let failed = low.rsplit_once(": ").is_some_and(|(_, said)| {
            [
                "unable to ",
                "cannot ",
                "can't ",
                "failed to ",
                "could not ",
            ]
            .iter()
            .any(|f| said.starts_with(f))
        });
        if inner.contains(':') && (failed || ERRNO.iter().any(|e| low.ends_with(e))) {
            out.push((open + 1, open + 1 + len));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(t: &str) -> String {
        super::super::masks::kept_words(t, without_pasted(t))
    }

    #[test]
    fn alert_output_is_blanked_and_the_ask_kept() {
        assert_eq!(
            kept(
                "12:01:02.5: Notice shell (user=root k8s.pod=web-1 image=nginx)\nblock /bin/sh in app=web, ns x"
            ),
            "block /bin/sh in app=web, ns x"
        );
        assert_eq!(
            kept(
                "event {\"binary\":\"/usr/bin/nsenter\",\"pod\":{\"name\":\"p\"}} -- block it in app=a"
            ),
            "event -- block it in app=a"
        );
        assert_eq!(
            kept(
                "log: \"PodName\": \"p-1\", \"Labels\": \"app=x\". only /bin/a may read /etc/s in app=x"
            ),
            "log: . only /bin/a may read /etc/s in app=x"
        );
        assert_eq!(
            kept("exec: binary=/tmp/m arguments=\"-v -u x\" parent=/bin/go. block /tmp/ in app=o"),
            "exec: . block /tmp/ in app=o"
        );
        // A program's error pasted as a sentence.
        assert_eq!(
            kept(
                "failed calling webhook \"a.io\": dial tcp 10.0.0.5:443: i/o timeout. Only X may reach it"
            ),
            "Only X may reach it"
        );
        // A program's error message quoted in a parenthesis.
        assert_eq!(
            kept("tun (without it: ERROR: Cannot open /dev/net/tun). only /x may open it"),
            "tun (without it: ). only /x may open it"
        );
        // Labels of the workload stay, and a pasted policy.
        assert_eq!(
            kept("block /bin/sh in the pods (app=web, name=front, ns x)"),
            "-"
        );
        assert_eq!(
            kept("allow from Grafana (name=grafana) to Prometheus (name=prometheus)"),
            "-"
        );
        assert_eq!(
            kept("`\"denyExec\": [{ \"binary\": \"/bin/cat\" }]` (app=a)"),
            "-"
        );
        assert_eq!(kept("at 10:30 every day"), "-");
        assert_eq!(
            kept(
                "Warning read (user=root file=/etc/shadow) container=host (id=host)\nonly /bin/cmp may read /etc/shadow in app=b"
            ),
            "Warning read only /bin/cmp may read /etc/shadow in app=b"
        );
    }
}
