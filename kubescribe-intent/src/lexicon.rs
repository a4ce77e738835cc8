//! The parser's lexicon: the tokenizer and word lists (action and verb
//! words, label keys, service names; the names of executables, directories,
//! system calls and capabilities are in `runtime_names`, the classifiers of
//! single tokens in `token_kinds`).

use super::*;

#[derive(Debug, Clone)]
pub(super) struct Tok<'a> {
    pub(super) text: &'a str,
    pub(super) lower: String,
    pub(super) start: usize,
    pub(super) end: usize,
    /// Trailing punctuation (a comma or full stop) ends a list.
    pub(super) comma: bool,
    /// The word opened a parenthesis: `app=web (shop)`.
    pub(super) paren: bool,
}

/// A negated modal typed without its apostrophe ("shouldnt", "cant",
/// "wont"), as chat and tickets write it: read as written with one.
fn with_apostrophe(l: String) -> String {
    let fixed = match l.as_str() {
        "shouldnt" => "shouldn't",
        "cant" => "can't",
        "wont" => "won't",
        "dont" => "don't",
        "doesnt" => "doesn't",
        "mustnt" => "mustn't",
        "couldnt" => "couldn't",
        "wouldnt" => "wouldn't",
        "isnt" => "isn't",
        "arent" => "aren't",
        "didnt" => "didn't",
        _ => return l,
    };
    fixed.to_string()
}

pub(super) fn tokenize(text: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    fn push<'t>(text: &'t str, out: &mut Vec<Tok<'t>>, s: usize, e: usize) {
        let raw = &text[s..e];
        // Docker's "--cap-drop=ALL", "--cap-add NET_ADMIN": the flag's
        // verb, then its value.
        if raw.len() > 6 && raw.is_char_boundary(6) && raw[..6].eq_ignore_ascii_case("--cap-") {
            match raw.find('=') {
                Some(eq) if eq + 1 < raw.len() => {
                    push(text, out, s + 6, s + eq);
                    // "--cap-drop=SETUID,SETGID": each value, its comma
                    // kept (a list goes on).
                    let mut from = s + eq + 1;
                    for (k, _) in raw[eq + 1..].match_indices(',') {
                        let to = s + eq + 1 + k + 1;
                        push(text, out, from, to);
                        from = to;
                    }
                    if from < e {
                        push(text, out, from, e);
                    }
                }
                _ => push(text, out, s + 6, e),
            }
            return;
        }
        // A selector as kubectl takes it, "tier=frontend,app=dvwa-web":
        // each label, its comma kept (a list goes on).
        let parts: Vec<&str> = raw.trim_end_matches([',', '.', ')']).split(',').collect();
        if parts.len() > 1
            && parts.iter().all(|p| {
                p.split_once('=').is_some_and(|(k, v)| {
                    let k = k.trim_start_matches(['(', '"', '`', '\'']);
                    !k.is_empty()
                        && !v.is_empty()
                        && k.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '-')
                        })
                })
            })
        {
            let mut from = s;
            for (k, _) in raw.match_indices(',') {
                if s + k + 1 >= e {
                    break;
                }
                push(text, out, from, s + k + 1);
                from = s + k + 1;
            }
            push(text, out, from, e);
            return;
        }
        let lead = raw
            .char_indices()
            .find(|(_, c)| !matches!(c, '(' | '"' | '`' | '\'' | '[' | '{' | '<'))
            .map(|(i, _)| i)
            .unwrap_or(raw.len());
        let mut lead = lead;
        // "`capabilities.drop: [ALL]`": the key's last part is the word.
        if let Some(k) = raw.get(lead..lead + 13)
            && k.eq_ignore_ascii_case("capabilities.")
            && raw.len() > lead + 13
        {
            lead += 13;
        }
        // Compose's "cap_drop: [ALL]", "cap_add:": the word after the prefix.
        if let Some(k) = raw.get(lead..lead + 4)
            && k.eq_ignore_ascii_case("cap_")
            && raw[lead + 4..]
                .get(..3)
                .is_some_and(|w| w.eq_ignore_ascii_case("dro") || w.eq_ignore_ascii_case("add"))
        {
            lead += 4;
        }
        let mut t = &raw[lead..];
        let mut comma = false;
        let word_colon = t.len() > 1 && t.ends_with(':') && {
            let w = t[..t.len() - 1].to_lowercase();
            ALLOW_WORDS.contains(&w.as_str())
                || BLOCK_WORDS.contains(&w.as_str())
                || AUDIT_WORDS.contains(&w.as_str())
                || FILE_VERBS.contains(&w.as_str())
                || matches!(w.as_str(), "denied" | "blocked" | "forbidden" | "prevented")
                // "have CAP_SYS_PTRACE: deny that one", "`… MKNOD`:".
                || super::runtime_names::CAPABILITIES
                    .contains(&w.trim_start_matches("cap_").trim_end_matches(['`', '"']))
        };
        // (A code span before a colon too: "namespace `jobs`: disable …".)
        let closes = t.len() > 2 && (t.ends_with("):") || t.ends_with("\":") || t.ends_with("`:"));
        // "… at 169.254.170.2: block that": an address before a colon.
        let address_colon =
            t.len() > 1 && t.ends_with(':') && parse_cidr(&t[..t.len() - 1]).is_some();
        // "pods app=strelaysrv: block …": a label before a colon.
        let label_colon = t.len() > 1
            && t.ends_with(':')
            && super::token_kinds::split_label(&t[..t.len() - 1]).is_some();
        if (t.starts_with('/') && t.len() > 1
            || word_colon
            || closes
            || address_colon
            || label_colon)
            && t.ends_with(':')
        {
            t = &t[..t.len() - 1];
            comma = true;
        }
        while let Some(c) = t.chars().last() {
            if matches!(
                c,
                ',' | '.' | ';' | ')' | '"' | '`' | '\'' | '!' | '?' | ']' | '}' | '>'
            ) {
                if matches!(c, ',' | '.' | ';') {
                    comma = true;
                }
                t = &t[..t.len() - c.len_utf8()];
            } else {
                break;
            }
        }
        // "KC_HTTPS_CERTIFICATE_KEY_FILE=/opt/keycloak/conf/keycloak.key":
        // an environment variable's path is the path.
        if let Some(eq) = t.find("=/")
            && t[..eq].contains('_')
            && t[..eq]
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            t = &t[eq + 1..];
            lead += eq + 1;
        }
        if !t.is_empty() {
            let st = s + lead;
            out.push(Tok {
                text: t,
                lower: {
                    let l = t.to_lowercase();
                    match super::typos::corrected(&l) {
                        Some(k) => k.to_string(),
                        None => with_apostrophe(l),
                    }
                },
                start: st,
                end: st + t.len(),
                comma,
                paren: raw[..lead].contains('('),
            });
        }
    }
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                push(text, &mut out, s, i);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        push(text, &mut out, s, text.len());
    }
    out
}

pub(super) const EXEC_VERBS: &[&str] = &[
    "run",
    "runs",
    "running",
    "execute",
    "executes",
    "executing",
    "exec",
    "launch",
    "launching",
    "spawn",
    "spawning",
    "invoke",
    "invoking",
];

pub(super) const FILLER: &[&str] = &[
    "pods",
    "pod",
    "workloads",
    "workload",
    "labelled",
    "labeled",
    "with",
    "label",
    "labels",
    "the",
    "any",
    "all",
    "endpoints",
    "endpoint",
    "selected",
    "by",
    "matching",
    "having",
    "those",
    "services",
    "service",
    "apps",
    "containers",
    "container",
    "a",
    "an",
];

pub(super) const STOP: &[&str] = &[
    "and",
    "or",
    "in",
    "only",
    "the",
    "to",
    "from",
    "for",
    "on",
    "of",
    "at",
    "with",
    "namespace",
    "ns",
    "it",
    "them",
    "but",
    "nothing",
    "else",
    "anything",
    "everything",
    "other",
    "pods",
    "pod",
    "any",
    "all",
    "any",
    "a",
    "an",
    "binaries",
    "binary",
    "processes",
    "process",
    "programs",
    "program",
    "commands",
    "command",
    "executables",
    "except",
    "be",
    "is",
    "are",
    "can",
    "may",
    "should",
    "must",
    "not",
    "no",
    "never",
    "inside",
    "within",
    "allowed",
    "blocked",
    "audited",
    "labelled",
    "labeled",
    "under",
    "below",
    "beneath",
    "underneath",
    "above",
    "files",
    "file",
    "via",
    "using",
    "when",
    "while",
    "so",
    "that",
    "as",
    "into",
    "by",
    "let",
    "so",
    "its",
    "their",
];

/// An engine name or policy-kind word: the engine, whether the word is a
/// policy kind, and whether it names the engine only weakly (`NetworkPolicy`
/// is Kubernetes unless another engine is named; Calico has one too).
pub(super) fn engine_word(s: &str) -> Option<(Engine, bool, bool)> {
    Some(match s {
        "kubearmor" => (Engine::KubeArmor, false, false),
        "tetragon" => (Engine::Tetragon, false, false),
        "cilium" => (Engine::Cilium, false, false),
        // The project's GitHub name, as operators write it.
        "calico" | "projectcalico" | "calicoproject" => (Engine::Calico, false, false),
        "kubernetes" | "k8s" => (Engine::Kubernetes, false, true),
        "kubearmorpolicy" | "kubearmorhostpolicy" | "kubearmorclusterpolicy" | "ksp" => {
            (Engine::KubeArmor, true, false)
        }
        "tracingpolicy" | "tracingpolicynamespaced" => (Engine::Tetragon, true, false),
        "ciliumnetworkpolicy" | "ciliumclusterwidenetworkpolicy" | "cnp" | "ccnp" => {
            (Engine::Cilium, true, false)
        }
        "globalnetworkpolicy" | "gnp" => (Engine::Calico, true, false),
        "networkpolicy" | "networkpolicies" | "netpol" => (Engine::Kubernetes, true, true),
        _ => return None,
    })
}

/// Nouns for kinds of programs ("shells", "binaries", "tools"): what an
/// executable is, never its name.
pub(super) const EXEC_NOUNS: &[&str] = &[
    "process",
    "processes",
    "shell",
    "shells",
    "binary",
    "binaries",
    "program",
    "programs",
    "command",
    "commands",
    "executable",
    "executables",
    "tool",
    "tools",
    "utility",
    "utilities",
    "script",
    "scripts",
    "interpreter",
    "interpreters",
    "daemons",
    "compiler",
    "compilers",
    "repl",
    "repls",
    "debugger",
    "debuggers",
    "applications",
];

pub(super) const ALLOW_WORDS: &[&str] = &[
    "allow",
    "allows",
    "allowed",
    "permit",
    "permits",
    "permitted",
    "let",
    "lets",
    "whitelist",
    "allowlist",
    "accept",
    "accepts",
    "accepted",
    "restrict",
    "restricts",
    "restricted",
    "limit",
    "limits",
    "limited",
    "confine",
    "confines",
    "confined",
    "whitelisted",
    "allowlisted",
    "letting",
    "allowing",
    "permitting",
    "admit",
    "admits",
];
pub(super) const BLOCK_WORDS: &[&str] = &[
    "inaccessible",
    "unreachable",
    "disable",
    "shield",
    "shields",
    "shut",
    "shuts",
    "deny",
    "denies",
    "denied",
    "denying",
    "blocking",
    "block",
    "blocks",
    "blocked",
    "forbid",
    "forbids",
    "forbidden",
    "prevent",
    "prevents",
    "prevented",
    "disallowed",
    "protect",
    "refuse",
    "refused",
    "isolate",
    "isolates",
    "isolated",
    "disallow",
    "disallows",
    "disallowing",
    "prohibit",
    "prohibits",
    "prohibited",
    "reject",
    "rejects",
    "rejected",
    "drop",
    "drops",
    "dropped",
    "stop",
    "blacklist",
    "denylist",
    "kill",
];
pub(super) const AUDIT_WORDS: &[&str] = &[
    "audit",
    "audits",
    "audited",
    "log",
    "logged",
    "monitor",
    "monitors",
    "monitored",
    "record",
    "records",
    "recorded",
    "alert",
    "alerts",
    // "How do I get alerted whenever anything … accesses …?".
    "alerted",
    "observe",
    "trace",
    "watch",
    "watched",
    "detect",
    "detects",
    "report",
    "reported",
    "notify",
    "notification",
    "notified",
    "informed",
    "flag",
    "flags",
    "flagged",
];
pub(super) const FILE_VERBS: &[&str] = &[
    "read",
    "reads",
    "reading",
    "view",
    "write",
    "writes",
    "writing",
    "written",
    "modify",
    "modifies",
    "modifying",
    "modification",
    "modifications",
    "alter",
    "alters",
    "altered",
    "altering",
    "alteration",
    "alterations",
    "change",
    "changes",
    "changing",
    "creating",
    "removing",
    "editing",
    "edit",
    "edits",
    "overwriting",
    "renaming",
    "delete",
    "deleting",
    "overwrite",
    "tamper",
    "tampering",
    "tampered",
    "modified",
    "changed",
    "deleted",
    "deletion",
    "removal",
    "creation",
    "created",
    "edit",
    "create",
    "read-write",
    "read-only",
    "readonly",
    "access",
    "accessing",
    "open",
    "opens",
    "opening",
    "touch",
    "touching",
];
pub(super) const EXEC_MODE_VERBS: &[&str] = &[
    "spawned",
    "spawns",
    "launched",
    "launches",
    "invoked",
    "run",
    "runs",
    "running",
    "execute",
    "executes",
    "executing",
    "executed",
    "exec",
    "execution",
    "executions",
    "launch",
    "launching",
    "spawn",
    "spawning",
    "start",
    "starts",
    "invoke",
    "invoking",
];
/// Words that keep a resource list going ("read /a, /b and the /c directory").
pub(super) const LIST_GLUE: &[&str] = &[
    // "child processes like curl or wget", "tools such as nmap", "including".
    "like",
    "such",
    "including",
    "and",
    "or",
    "&",
    "plus",
    "as",
    "well",
    "the",
    "a",
    "an",
    "only",
    "of",
    "either",
    "both",
    "all",
    "any",
    "every",
    "file",
    "files",
    "directory",
    "directories",
    "folder",
    "in",
    "under",
    "named",
    "called",
    "binary",
    "binaries",
    "program",
    "programs",
    "everything",
    "anything",
];
/// Words never read as a namespace name even where the grammar expects one
/// ("namespace X", "the X namespace"); direction or engine words can be names.
pub(super) fn not_a_name(l: &str) -> bool {
    STOP.contains(&l) || FILLER.contains(&l) || DETERMINERS.contains(&l)
}

/// Words that determine a noun ("the", "my", "another" namespace): never
/// its name ("my prometheus instance in another namespace").
const DETERMINERS: &[&str] = &[
    "the",
    "a",
    "this",
    "that",
    "same",
    "other",
    "each",
    "every",
    "any",
    "all",
    "another",
    "different",
    "separate",
    "my",
    "our",
    "your",
    "their",
    "its",
    // "whatever namespace owners do".
    "whatever",
    "whichever",
];

/// Words never read as the name after an explicit "namespace"/"ns": the
/// filler words (`apps`, `services`) can be namespace names there.
pub(super) fn not_a_ns_after_keyword(l: &str) -> bool {
    STOP.contains(&l)
        || DETERMINERS.contains(&l)
        || matches!(
            l,
            "labelled"
                | "labeled"
                | "with"
                | "label"
                | "labels"
                | "namespaces"
                | "pods"
                // "Namespace change (setns)", "namespace escape": a noun after
                // the keyword.
                | "change"
                | "changes"
                | "creation"
                | "escape"
                | "breakout"
                | "switching"
                // "process namespace sharing is enabled".
                | "sharing"
                // "whatever namespace owners do": the people, not a name.
                | "owners"
                | "owner"
                | "admins"
                | "administrators"
                // "since the ns got locked down": a verb after the keyword.
                | "got"
                | "gets"
                | "had"
                | "did"
                | "became"
                | "becomes"
                // "any app namespace carrying the label …": a participle.
                | "carrying"
                | "having"
                | "containing"
                | "matching"
                | "bearing"
                | "hosting"
                // "restricted namespace networking", "Namespace manipulation:".
                | "networking"
                | "isolation"
                | "manipulation"
                | "separation"
                | "segmentation"
                | "boundaries"
                | "boundary"
                | "tenancy"
                // "home namespace lockdown", "to `home` namespace alongside
                // `baseline`": a noun or a preposition after the keyword.
                | "lockdown"
                | "hardening"
                | "alongside"
                | "beside"
                | "besides"
                // "… in their namespace without restrictions"
                | "without"
                | "except"
                | "unless"
                | "but"
                // "… in a different namespace cannot reach it": a verb
                // follows the keyword.
                | "cannot"
                | "can't"
                | "can"
                | "could"
                | "may"
                | "must"
                | "should"
                | "will"
                | "would"
                | "is"
                | "are"
                | "was"
                | "were"
                | "has"
                | "have"
                | "does"
                | "doesn't"
                | "isn't"
                // "other namespaces they should not can access", "any other
                // namespace get denied": a pronoun or a verb.
                | "they"
                | "we"
                | "you"
                | "which"
                | "who"
                | "get"
                | "getting"
        )
}

/// Words never read as a bare namespace or pod name.
pub(super) fn reserved(l: &str) -> bool {
    STOP.contains(&l)
        || FILLER.contains(&l)
        || ALLOW_WORDS.contains(&l)
        || BLOCK_WORDS.contains(&l)
        || AUDIT_WORDS.contains(&l)
        || FILE_VERBS.contains(&l)
        || EXEC_MODE_VERBS.contains(&l)
        || engine_word(l).is_some()
        || proto(l).is_some()
        || DIRECTION_WORDS.contains(&l)
        || matches!(
            l,
            "both"
                | "across"
                | "port"
                | "ports"
                | "traffic"
                | "network"
                | "connections"
                | "directions"
                | "order"
                | "addition"
                | "case"
                | "this"
                | "which"
                | "general"
                | "particular"
        )
}

/// Words that name a direction of traffic.
pub(super) const DIRECTION_WORDS: &[&str] = &[
    "ingress", "egress", "incoming", "outgoing", "inbound", "outbound",
];

/// The domain a domain word names.
pub(super) fn domain_of_word(l: &str) -> Option<Domain> {
    Some(match l {
        "file" | "files" | "directory" | "directories" | "folder" | "folders" | "filesystem" => {
            Domain::File
        }
        "process" | "processes" | "binary" | "binaries" | "executable" | "executables"
        | "program" | "programs" | "commands" => Domain::Process,
        "network" | "traffic" | "connection" | "connections" | "connectivity" | "packets" => {
            Domain::Network
        }
        "syscall" | "syscalls" | "system call" | "system calls" => Domain::Syscall,
        "capability" | "capabilities" => Domain::Capability,
        _ => return None,
    })
}

pub(super) struct PortProto {
    pub(super) proto: Protocol,
    pub(super) spans: (usize, usize, usize, usize),
}

pub(super) fn port_proto(s: &str) -> Option<((u16, Option<u16>), PortProto)> {
    let sep = s.find(['/', ':'])?;
    let (a, b) = (&s[..sep], &s[sep + 1..]);
    if let (Some(p), Some(q)) = (parse_port(a), proto(b)) {
        return Some((
            p,
            PortProto {
                proto: q,
                spans: (0, sep, sep + 1, s.len()),
            },
        ));
    }
    if let (Some(q), Some(p)) = (proto(a), parse_port(b)) {
        return Some((
            p,
            PortProto {
                proto: q,
                spans: (sep + 1, s.len(), 0, sep),
            },
        ));
    }
    None
}

/// The protocol names that are their IANA ports (docs/intents.md): DNS is
/// 53 over UDP and TCP, HTTP 80, HTTPS 443.
pub(super) fn service_port(s: &str) -> Option<Vec<PortSpec>> {
    let one = |port, protocol| PortSpec {
        port,
        end_port: None,
        protocol,
    };
    Some(match s {
        "http" => vec![one(80, Protocol::Tcp)],
        "https" => vec![one(443, Protocol::Tcp)],
        "dns" => vec![one(53, Protocol::Udp), one(53, Protocol::Tcp)],
        _ => return None,
    })
}

/// Label keys written without a prefix that prose uses as such ("tier: db").
pub(super) const COMMON_LABEL_KEYS: &[&str] = &[
    "app",
    "application",
    "tier",
    "role",
    "component",
    "name",
    "env",
    "environment",
    "team",
    "version",
    "run",
    "release",
    "service",
    "owner",
    "project",
    "stage",
    "kind",
    "color",
    "type",
    "layer",
    "group",
    "instance",
    "part-of",
    "managed-by",
];

/// Service names that are not ports: a port for them comes from the text or
/// the store, never from a table.
pub(super) const SERVICE_NAMES: &[&str] = &[
    "ssh",
    "syslog",
    "snmp",
    "nfs",
    "imap",
    "pop3",
    "sftp",
    "tftp",
    "radius",
    "kerberos",
    "rsync",
    "statsd",
    "mysql",
    "postgres",
    "postgresql",
    "redis",
    "mongodb",
    "mongo",
    "kafka",
    "etcd",
    "memcached",
    "elasticsearch",
    "rabbitmq",
    "smtp",
    "ldap",
    "ftp",
    "grpc",
    "ntp",
    "irc",
    "telnet",
    "rdp",
    "vnc",
    "smb",
    "amqp",
    "mqtt",
];

/// Whether `text` says what to do: an action word of the lexicon among its
/// words, or "only", or the "else" that bounds an allow-list.
pub(super) fn says_an_action(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphabetic() && c != '\'')
        .map(str::to_ascii_lowercase)
        .any(|w| {
            let w = w.as_str();
            ALLOW_WORDS.contains(&w)
                || BLOCK_WORDS.contains(&w)
                || AUDIT_WORDS.contains(&w)
                || matches!(w, "only" | "else")
        })
}

/// A non-workload peer named in words (docs/intents.md, "Entities").
pub(super) fn entity_word(
    l: &str,
    next: &str,
) -> Option<(kubescribe_core::intent::NetworkEntity, usize)> {
    use kubescribe_core::intent::NetworkEntity::*;
    Some(match (l, next) {
        ("internet", _) | ("world", _) => (World, 1),
        ("outside", "world") => (World, 2),
        // "container can not actively access the external network".
        ("external" | "outside", "network" | "networks") => (World, 2),
        ("kube-apiserver" | "apiserver" | "kube-api-server", _) => (KubeApiserver, 1),
        ("api", "server" | "servers") => (KubeApiserver, 2),
        ("kubernetes", "api") => (KubeApiserver, 2),
        // "the edge node subnet 172.20.0.0/16" names addresses, not the host.
        (
            "host" | "node",
            "subnet" | "subnets" | "cidr" | "cidrs" | "range" | "ranges" | "ip" | "ips"
            | "addresses",
        ) => return None,
        // "the node exporter pods": a workload named for what it watches.
        ("node", "exporter" | "exporters" | "problem-detector" | "feature-discovery") => {
            return None;
        }
        ("host" | "node", _) => (Host, 1),
        _ => return None,
    })
}

pub(super) fn is_cap(l: &str, mode: Mode, ctx: bool) -> bool {
    if let Some(rest) = l.strip_prefix("cap_") {
        return CAPABILITIES.contains(&rest);
    }
    // With "capability"/"caps" in the text, capability names are capabilities
    // ("watch chown and fowner capabilities", "block cap setuid").
    CAPABILITIES.contains(&l) && (mode == Mode::Cap || ctx)
}

/// The system call a kernel entry point names ("sys_setns",
/// "__x64_sys_openat"); `None` for anything else, capabilities included.
pub(super) fn kernel_entry_syscall(l: &str) -> Option<&str> {
    if CAPABILITIES.contains(&l) {
        return None;
    }
    let rest = ["__x64_sys_", "__arm64_sys_", "__ia32_sys_", "sys_"]
        .iter()
        .find_map(|p| l.strip_prefix(p))?;
    let bare = rest.trim_end_matches(['(', ')', ':']);
    (SYSCALLS_CLEAR.contains(&bare) || SYSCALLS_WORDY.contains(&bare)).then_some(rest)
}

pub(super) fn is_syscall(l: &str, mode: Mode, ctx: bool) -> bool {
    let l = l.trim_end_matches(['(', ')', ':']);
    SYSCALLS_CLEAR.contains(&l) && (ctx || mode != Mode::Exec)
        || SYSCALLS_WORDY.contains(&l)
            && (mode == Mode::Syscall || ctx && mode != Mode::File && mode != Mode::Exec)
}
