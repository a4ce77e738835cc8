//! Offline natural-language intent parser (lexicon + patterns, no model).
//!
//! [`parse_intent`] turns a sentence such as "only let app=nginx in namespace
//! shop read /var/www and run nginx" into an [`Intent`], with the entities it
//! recognised (kind, text, byte span) and the assumptions it made. Missing or
//! ambiguous information is an [`IntentParseError`] naming what to supply.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use kubescribe_core::intent::{
    Action, Direction, Domain, Intent, PeerSelector, PortSpec, Protocol, Resources, Scope,
};

use kubescribe_core::engine::Engine;
/// Pod names resolve through these (re-exported for callers of the parser).
pub use kubescribe_core::intent::ResolvedPod;
pub use kubescribe_events::PodResolver;

/// Longest text accepted, in bytes.
pub const MAX_INTENT_BYTES: usize = 16 * 1024;

/// The kind of a recognised entity (KubeTeus's types plus kubescribe's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntityKind {
    /// A policy-kind word (`NetworkPolicy`, `network policy`, `TracingPolicy`).
    Policy,
    /// A label of the selected workloads (`app=nginx`, `tier: db`, `app == 'web'`).
    Label,
    /// A pod name.
    PodName,
    /// The namespace of the selected workloads.
    Namespace,
    /// A direction word (`incoming`, `egress`).
    Direction,
    /// A port or port range.
    Port,
    /// A transport protocol.
    Protocol,
    /// A CIDR block or IP address.
    Cidr,
    /// The word "endpoint" (a workload selector in Calico/Cilium terms).
    Endpoint,
    /// An action word (`deny`, `permit`, `audit`).
    Action,
    /// A file path.
    Path,
    /// A directory.
    Dir,
    /// An executable.
    Binary,
    /// A DNS name.
    Fqdn,
    /// A system call name.
    Syscall,
    /// A Linux capability.
    Capability,
    /// A domain word (`files`, `network`, `processes`).
    Domain,
    /// An engine name (`cilium`, `KubeArmor`).
    Engine,
    /// A label of the peer workloads of a network rule.
    PeerLabel,
    /// The namespace of the peer workloads of a network rule.
    PeerNamespace,
}

/// An entity found in the text; `start..end` is a byte range of the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// Entity kind.
    pub kind: EntityKind,
    /// The text as written.
    pub text: String,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

/// The result of parsing: the intent, the entities and the assumptions made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedIntent {
    /// The intent.
    pub intent: Intent,
    /// Entities recognised, in text order.
    pub entities: Vec<Entity>,
    /// Resolutions the parser made that the text did not state outright.
    pub assumptions: Vec<String>,
}

/// Why a text could not be turned into an intent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntentParseError {
    /// Nothing to parse.
    #[error(
        "empty intent: describe who, what and which action, e.g. `block writes to /etc for app=nginx in namespace shop`"
    )]
    Empty,
    /// Input too long.
    #[error("intent text is {0} bytes; at most {MAX_INTENT_BYTES} are accepted")]
    TooLong(usize),
    /// Required fields are missing.
    #[error("incomplete intent, supply: {}", .0.join("; "))]
    Missing(Vec<String>),
    /// The action words contradict each other.
    #[error("ambiguous action: the text says both {0} and {1}; use one of allow, audit, block")]
    AmbiguousAction(String, String),
    /// Engine words contradict each other.
    #[error("ambiguous engine: the text names both {0} and {1}")]
    AmbiguousEngine(String, String),
    /// Two statements about the same thing contradict each other.
    #[error("ambiguous intent: {0}")]
    Ambiguous(String),
    /// The text asks for something an intent cannot carry.
    #[error("cannot express {0}")]
    Unsupported(String),
    /// A named pod could not be resolved to labels.
    #[error(
        "pod `{0}` is not a known workload's pod: name its labels instead (e.g. `app=nginx`), or ingest its manifest into the store"
    )]
    UnknownPod(String),
    /// A pod name matches workloads with different labels.
    #[error("pod `{pod}` matches several workloads ({list}): name the namespace or the labels", pod = .0, list = .1.join(", "))]
    AmbiguousPod(String, Vec<String>),
    /// The pod resolver failed (e.g. the store could not be read).
    #[error("{0}")]
    Resolver(String),
}

/// Parses `text` into an intent without resolving pod names (they stay in `scope.podNames`).
pub fn parse_intent(text: &str) -> Result<ParsedIntent, IntentParseError> {
    parse_intent_with(text, None)
}

/// Parses `text`, resolving pod names to labels through `resolver` when one is given.
pub fn parse_intent_with(
    text: &str,
    resolver: Option<&mut dyn PodResolver>,
) -> Result<ParsedIntent, IntentParseError> {
    if text.len() > MAX_INTENT_BYTES {
        return Err(IntentParseError::TooLong(text.len()));
    }
    if text.trim().is_empty() {
        return Err(IntentParseError::Empty);
    }
    Parser::new(text).run(resolver)
}

#[derive(Debug, Clone)]
struct Tok<'a> {
    text: &'a str,
    lower: String,
    start: usize,
    end: usize,
    /// Trailing punctuation (a comma or full stop) ends a list.
    comma: bool,
    /// The word opened a parenthesis: `app=web (shop)`.
    paren: bool,
}

fn tokenize(text: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    fn push<'t>(text: &'t str, out: &mut Vec<Tok<'t>>, s: usize, e: usize) {
        let raw = &text[s..e];
        let lead = raw
            .char_indices()
            .find(|(_, c)| !matches!(c, '(' | '"' | '`' | '\'' | '[' | '{' | '<'))
            .map(|(i, _)| i)
            .unwrap_or(raw.len());
        let mut t = &raw[lead..];
        let mut comma = false;
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
        if !t.is_empty() {
            let st = s + lead;
            out.push(Tok {
                text: t,
                lower: t.to_lowercase(),
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

const BINARIES: &[(&str, &str)] = &[
    ("nginx", "/usr/sbin/nginx"),
    ("apache2", "/usr/sbin/apache2"),
    ("httpd", "/usr/sbin/httpd"),
    ("sshd", "/usr/sbin/sshd"),
    ("bash", "/bin/bash"),
    ("sh", "/bin/sh"),
    ("zsh", "/bin/zsh"),
    ("dash", "/bin/dash"),
    ("python", "/usr/bin/python"),
    ("python3", "/usr/bin/python3"),
    ("curl", "/usr/bin/curl"),
    ("wget", "/usr/bin/wget"),
    ("apt", "/usr/bin/apt"),
    ("apt-get", "/usr/bin/apt-get"),
    ("java", "/usr/bin/java"),
    ("node", "/usr/local/bin/node"),
    ("perl", "/usr/bin/perl"),
    ("ruby", "/usr/bin/ruby"),
    ("nc", "/bin/nc"),
    ("netcat", "/bin/nc"),
    ("ping", "/bin/ping"),
    ("ls", "/bin/ls"),
    ("cat", "/bin/cat"),
    ("chmod", "/bin/chmod"),
    ("chown", "/bin/chown"),
    ("mysqld", "/usr/sbin/mysqld"),
    ("postgres", "/usr/lib/postgresql/bin/postgres"),
    ("redis-server", "/usr/local/bin/redis-server"),
    ("sudo", "/usr/bin/sudo"),
    ("su", "/bin/su"),
    ("ssh", "/usr/bin/ssh"),
    ("nmap", "/usr/bin/nmap"),
    ("tcpdump", "/usr/sbin/tcpdump"),
    ("passwd", "/usr/bin/passwd"),
    ("mount", "/bin/mount"),
    ("kubectl", "/usr/local/bin/kubectl"),
];

const KNOWN_DIRS: &[&str] = &[
    "/etc",
    "/tmp",
    "/var",
    "/var/www",
    "/var/log",
    "/var/lib",
    "/var/run",
    "/var/tmp",
    "/var/cache",
    "/var/spool",
    "/usr",
    "/usr/bin",
    "/usr/sbin",
    "/usr/lib",
    "/usr/local",
    "/usr/local/bin",
    "/usr/share",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/home",
    "/root",
    "/proc",
    "/sys",
    "/dev",
    "/opt",
    "/srv",
    "/run",
    "/mnt",
    "/media",
    "/boot",
    "/app",
    "/data",
    "/etc/nginx",
    "/etc/ssl",
    "/etc/ssh",
    "/etc/kubernetes",
    "/var/lib/mysql",
    "/var/lib/postgresql",
    "/usr/share/nginx/html",
    "/run/secrets",
    "/var/run/secrets",
];

const SYSCALLS_CLEAR: &[&str] = &[
    "ptrace",
    "unshare",
    "setns",
    "init_module",
    "finit_module",
    "delete_module",
    "perf_event_open",
    "keyctl",
    "bpf",
    "kexec_load",
    "personality",
    "pivot_root",
    "chroot",
    "process_vm_readv",
    "process_vm_writev",
    "userfaultfd",
    "mknod",
    "execve",
    "execveat",
    "openat",
    "setuid",
    "setgid",
    "umount2",
    "swapon",
    "reboot",
    "add_key",
    "request_key",
    "clock_settime",
    "settimeofday",
    "acct",
    "quotactl",
    "iopl",
    "ioperm",
];
const SYSCALLS_WORDY: &[&str] = &[
    "mount", "umount", "kill", "open", "read", "write", "connect", "bind", "socket", "clone",
    "fork", "chmod", "chown", "unlink", "rename", "accept", "listen", "mmap", "mprotect",
];

const CAPABILITIES: &[&str] = &[
    "net_raw",
    "net_admin",
    "sys_admin",
    "sys_ptrace",
    "sys_module",
    "dac_override",
    "dac_read_search",
    "setuid",
    "setgid",
    "chown",
    "sys_time",
    "net_bind_service",
    "mknod",
    "kill",
    "fowner",
    "fsetid",
    "sys_chroot",
    "audit_write",
    "sys_boot",
    "sys_rawio",
    "sys_resource",
    "ipc_lock",
    "syslog",
    "bpf",
    "perfmon",
    "setpcap",
    "setfcap",
    "linux_immutable",
    "mac_admin",
    "mac_override",
    "sys_nice",
    "sys_pacct",
    "sys_tty_config",
    "lease",
    "wake_alarm",
    "block_suspend",
    "audit_control",
    "audit_read",
    "checkpoint_restore",
    "net_broadcast",
    "ipc_owner",
];

const EXEC_VERBS: &[&str] = &[
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

const FILLER: &[&str] = &[
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

const STOP: &[&str] = &[
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

fn is_ident(s: &str, extra: &[char]) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

fn label_key_ok(k: &str) -> bool {
    is_ident(k, &['-', '_', '.', '/'])
        && k.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
}
fn label_val_ok(v: &str) -> bool {
    is_ident(v, &['-', '_', '.']) && v.len() <= 63
}

fn split_label(s: &str) -> Option<(String, String)> {
    let (k, v) = s.split_once('=')?;
    let v = v.trim_start_matches('=');
    if label_key_ok(k) && label_val_ok(v) && !k.contains("//") {
        Some((k.to_string(), v.to_string()))
    } else {
        None
    }
}

fn is_ns_name(s: &str) -> bool {
    is_ident(s, &['-'])
        && s.len() <= 63
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s == s.to_lowercase()
}

fn parse_cidr(s: &str) -> Option<(String, bool)> {
    let (ip, bits) = match s.split_once('/') {
        Some((ip, b)) => (ip, Some(b)),
        None => (s, None),
    };
    if ip.parse::<std::net::Ipv4Addr>().is_err()
        && !(ip.contains(':') && ip.parse::<std::net::Ipv6Addr>().is_ok())
    {
        return None;
    }
    let v6 = ip.contains(':');
    match bits {
        Some(b) => {
            let n: u8 = b.parse().ok()?;
            if n > if v6 { 128 } else { 32 } {
                return None;
            }
            Some((format!("{ip}/{n}"), false))
        }
        None => Some((format!("{ip}/{}", if v6 { 128 } else { 32 }), true)),
    }
}

fn is_fqdn(s: &str) -> bool {
    let s = s.strip_prefix("*.").unwrap_or(s);
    if s.starts_with('/') || !s.contains('.') || s.contains('=') {
        return false;
    }
    let parts: Vec<&str> = s.split('.').collect();
    let tld = parts.last().copied().unwrap_or("");
    parts.iter().all(|p| is_ident(p, &['-']))
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && !matches!(
            tld,
            "conf"
                | "log"
                | "txt"
                | "sh"
                | "py"
                | "json"
                | "yaml"
                | "yml"
                | "key"
                | "pem"
                | "crt"
                | "db"
                | "so"
                | "html"
                | "js"
        )
}

fn parse_port(s: &str) -> Option<(u16, Option<u16>)> {
    let one = |x: &str| x.parse::<u16>().ok().filter(|p| *p > 0);
    if let Some((a, b)) = s.split_once('-') {
        let (a, b) = (one(a)?, one(b)?);
        return (a < b).then_some((a, Some(b)));
    }
    one(s).map(|p| (p, None))
}

fn proto(s: &str) -> Option<Protocol> {
    match s {
        "tcp" => Some(Protocol::Tcp),
        "udp" => Some(Protocol::Udp),
        "sctp" => Some(Protocol::Sctp),
        "icmp" => Some(Protocol::Icmp),
        _ => None,
    }
}

/// An engine name or policy-kind word: the engine, whether the word is a
/// policy kind, and whether it names the engine only weakly (`NetworkPolicy`
/// is Kubernetes unless another engine is named; Calico has one too).
fn engine_word(s: &str) -> Option<(Engine, bool, bool)> {
    Some(match s {
        "kubearmor" => (Engine::KubeArmor, false, false),
        "tetragon" => (Engine::Tetragon, false, false),
        "cilium" => (Engine::Cilium, false, false),
        "calico" => (Engine::Calico, false, false),
        "kubernetes" | "k8s" => (Engine::Kubernetes, false, false),
        "kubearmorpolicy" | "kubearmorhostpolicy" | "ksp" => (Engine::KubeArmor, true, false),
        "tracingpolicy" | "tracingpolicynamespaced" => (Engine::Tetragon, true, false),
        "ciliumnetworkpolicy" | "ciliumclusterwidenetworkpolicy" | "cnp" | "ccnp" => {
            (Engine::Cilium, true, false)
        }
        "globalnetworkpolicy" | "gnp" => (Engine::Calico, true, false),
        "networkpolicy" | "networkpolicies" | "netpol" => (Engine::Kubernetes, true, true),
        _ => return None,
    })
}

/// Which resources the words being read are about.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    None,
    File,
    Exec,
    Port,
    Pod,
    Syscall,
    Cap,
}

/// The preposition that introduced a group of workload mentions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cue {
    /// No preposition (the sentence's subject, or after "for"/"by").
    None,
    /// "from …".
    From,
    /// "to …", "reach …".
    To,
}

/// A workload mention: a label, a namespace or a pod name.
#[derive(Clone, Debug)]
enum Who {
    Label(String, String),
    Ns(String),
    Pod(String),
}

#[derive(Clone, Debug)]
struct Mention {
    who: Who,
    start: usize,
    end: usize,
    group: usize,
}

const ALLOW_WORDS: &[&str] = &[
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
    "limit",
    "confine",
];
const BLOCK_WORDS: &[&str] = &[
    "deny",
    "denies",
    "denied",
    "block",
    "blocks",
    "blocked",
    "forbid",
    "forbids",
    "forbidden",
    "prevent",
    "prevents",
    "disallow",
    "disallows",
    "prohibit",
    "prohibits",
    "prohibited",
    "reject",
    "rejects",
    "drop",
    "drops",
    "stop",
    "blacklist",
    "denylist",
    "kill",
];
const AUDIT_WORDS: &[&str] = &[
    "audit",
    "audits",
    "audited",
    "log",
    "logged",
    "monitor",
    "monitors",
    "monitored",
    "record",
    "alert",
    "observe",
    "trace",
    "watch",
];
const FILE_VERBS: &[&str] = &[
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
    "modifications",
    "change",
    "changes",
    "delete",
    "deleting",
    "overwrite",
    "tamper",
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
const EXEC_MODE_VERBS: &[&str] = &[
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
    "invoke",
    "invoking",
];
/// Words that keep a resource list going ("read /a, /b and the /c directory").
const LIST_GLUE: &[&str] = &[
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
fn not_a_name(l: &str) -> bool {
    STOP.contains(&l)
        || FILLER.contains(&l)
        || matches!(
            l,
            "the" | "a" | "this" | "that" | "same" | "other" | "each" | "every" | "any" | "all"
        )
}

/// Words never read as a bare namespace or pod name.
fn reserved(l: &str) -> bool {
    STOP.contains(&l)
        || FILLER.contains(&l)
        || ALLOW_WORDS.contains(&l)
        || BLOCK_WORDS.contains(&l)
        || AUDIT_WORDS.contains(&l)
        || FILE_VERBS.contains(&l)
        || EXEC_MODE_VERBS.contains(&l)
        || engine_word(l).is_some()
        || proto(l).is_some()
        || matches!(
            l,
            "both"
                | "ingress"
                | "egress"
                | "incoming"
                | "outgoing"
                | "inbound"
                | "outbound"
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

struct Parser<'a> {
    text: &'a str,
    toks: Vec<Tok<'a>>,
    ents: Vec<Entity>,
    assume: Vec<String>,
    /// Preposition waiting for the next workload mention.
    cue: Option<Cue>,
    /// A resource came between the last mention and the next one.
    brk: bool,
    groups: Vec<Cue>,
    mentions: Vec<Mention>,
    /// Token index of the last workload mention.
    last_mention_tok: Option<usize>,
    /// Token index of the last action word.
    last_action_tok: Option<usize>,
}

#[derive(Default)]
struct Acc {
    engines: Vec<(Engine, String)>,
    weak_engine: Option<(Engine, String)>,
    selector: Vec<String>,
    allow: Option<String>,
    block: Option<String>,
    audit: Option<String>,
    negated_allow: bool,
    except: bool,
    only: bool,
    dir_explicit: Option<Direction>,
    dir_implied: Option<Direction>,
    paths: Vec<(String, usize)>,
    dirs: Vec<String>,
    binaries: Vec<String>,
    ports: Vec<PortSpec>,
    proto_global: Option<Protocol>,
    proto_seen: bool,
    cidrs: Vec<String>,
    fqdns: Vec<String>,
    syscalls: Vec<String>,
    caps: Vec<String>,
    domain_word: Option<Domain>,
    reads: bool,
    writes: bool,
    read_only_word: bool,
    file_verb: bool,
    exec_verb: bool,
    non_recursive: bool,
}

fn push_uniq(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            toks: tokenize(text),
            ents: Vec::new(),
            assume: Vec::new(),
            cue: None,
            brk: false,
            groups: Vec::new(),
            mentions: Vec::new(),
            last_mention_tok: None,
            last_action_tok: None,
        }
    }

    fn ent(&mut self, kind: EntityKind, start: usize, end: usize) {
        if !matches!(
            kind,
            EntityKind::Action
                | EntityKind::Domain
                | EntityKind::Direction
                | EntityKind::Engine
                | EntityKind::Policy
                | EntityKind::Endpoint
        ) {
            // A resource: a pending preposition was about it, not about a workload.
            self.cue = None;
            self.brk = true;
        }
        self.ents.push(Entity {
            kind,
            text: self.text[start..end].to_string(),
            start,
            end,
        });
    }

    fn mention(&mut self, who: Who, tok: usize, start: usize, end: usize) {
        let new_group = match self.cue.take() {
            Some(c) => Some(c),
            None if self.groups.is_empty() || self.brk => Some(Cue::None),
            None => None,
        };
        if let Some(c) = new_group {
            self.groups.push(c);
        }
        self.brk = false;
        self.last_mention_tok = Some(tok);
        self.mentions.push(Mention {
            who,
            start,
            end,
            group: self.groups.len() - 1,
        });
    }

    fn low(&self, i: usize) -> &str {
        self.toks.get(i).map(|t| t.lower.as_str()).unwrap_or("")
    }

    /// Whether token `i` directly follows a workload mention (skipping a few filler words).
    fn after_mention(&self, i: usize) -> bool {
        let Some(m) = self.last_mention_tok else {
            return false;
        };
        if m >= i || i - m > 3 {
            return false;
        }
        (m + 1..i).all(|j| matches!(self.low(j), "pods" | "pod" | "workloads" | "endpoints"))
    }

    /// An action phrase starting at token `i`: (action, last token, negated allow).
    fn action_phrase(&self, i: usize, a: &Acc) -> Option<(Action, usize, bool)> {
        let l = self.low(i);
        let next = self.low(i + 1);
        let is_allow = |w: &str| matches!(w, "allow" | "allowed" | "let" | "permit" | "permitted");
        if matches!(l, "must" | "should" | "may" | "can" | "shall" | "will")
            && matches!(next, "not" | "never")
        {
            let mut k = i + 1;
            if self.low(k + 1) == "be" && is_allow(self.low(k + 2)) {
                k += 2;
            }
            return Some((Action::Block, k, true));
        }
        if matches!(l, "do" | "does") && next == "not" && is_allow(self.low(i + 2)) {
            return Some((Action::Block, i + 2, true));
        }
        if matches!(l, "don't" | "dont" | "doesn't") && is_allow(next) {
            return Some((Action::Block, i + 1, true));
        }
        if matches!(l, "cannot" | "can't" | "never") {
            let k = if is_allow(next) { i + 1 } else { i };
            return Some((Action::Block, k, true));
        }
        if l == "not" {
            if is_allow(next) {
                return Some((Action::Block, i + 1, true));
            }
            if next == "be" && is_allow(self.low(i + 2)) {
                return Some((Action::Block, i + 2, true));
            }
        }
        if l == "only" && ALLOW_WORDS.contains(&next) {
            return Some((Action::Allow, i + 1, false));
        }
        let act = if ALLOW_WORDS.contains(&l) {
            Action::Allow
        } else if BLOCK_WORDS.contains(&l) {
            Action::Block
        } else if AUDIT_WORDS.contains(&l) {
            Action::Audit
        } else if l == "only"
            && a.allow.is_none()
            && a.block.is_none()
            && a.audit.is_none()
            && !next.is_empty()
            && !self.toks[i].comma
        {
            return Some((Action::Allow, i, false));
        } else {
            return None;
        };
        let k = if next == "only" { i + 1 } else { i };
        Some((act, k, false))
    }

    fn run(
        mut self,
        resolver: Option<&mut dyn PodResolver>,
    ) -> Result<ParsedIntent, IntentParseError> {
        let mut a = Acc::default();
        let lower_all = self.text.to_lowercase();
        let syscall_ctx = lower_all.contains("syscall") || lower_all.contains("system call");
        let cap_ctx = lower_all.contains("capabilit") || lower_all.contains("cap_");
        let exec_ctx = self
            .toks
            .iter()
            .any(|t| EXEC_VERBS.contains(&t.lower.as_str()));
        let mut mode = Mode::None;
        let n = self.toks.len();
        let mut i = 0;
        while i < n {
            let t = self.toks[i].clone();
            let l = t.lower.as_str();
            let prev = if i > 0 {
                self.low(i - 1).to_string()
            } else {
                String::new()
            };
            let next = self.low(i + 1).to_string();
            // Actions (one- to four-word phrases).
            if !(l == "kill" && (syscall_ctx || cap_ctx) && mode == Mode::Syscall)
                && let Some((act, k, negated)) = self.action_phrase(i, &a)
            {
                let k = k.min(n - 1);
                let (s, e) = (t.start, self.toks[k].end);
                self.ent(EntityKind::Action, s, e);
                let words = self.text[s..e].to_string();
                match act {
                    Action::Allow => {
                        a.allow.get_or_insert(words);
                    }
                    Action::Block => {
                        a.block.get_or_insert(words);
                    }
                    Action::Audit => {
                        a.audit.get_or_insert(words);
                    }
                }
                if negated {
                    a.negated_allow = true;
                }
                if (i..=k).any(|j| self.low(j) == "only") {
                    a.only = true;
                }
                self.last_action_tok = Some(k);
                i = k + 1;
                continue;
            }
            if l == "only" {
                a.only = true;
            }
            if l == "internet" {
                self.ent(EntityKind::Cidr, t.start, t.end);
                push_uniq(&mut a.cidrs, "0.0.0.0/0".into());
                push_uniq(&mut self.assume, "\"internet\" read as 0.0.0.0/0".into());
                if prev != "from" {
                    a.dir_implied.get_or_insert(Direction::Egress);
                }
                i += 1;
                continue;
            }
            // "the nginx app" → app=nginx
            if prev == "the"
                && matches!(next.as_str(), "app" | "application" | "service")
                && is_ns_name(t.text)
                && !reserved(l)
            {
                self.mention(
                    Who::Label("app".into(), t.text.to_string()),
                    i,
                    t.start,
                    t.end,
                );
                push_uniq(&mut self.assume, format!("\"the {l} app\" read as app={l}"));
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
            // Engines and policy kinds.
            if let Some((eng, kind_word, weak)) = engine_word(l.trim_end_matches(':')) {
                let word = t.text.trim_end_matches(':');
                self.ent(
                    if kind_word {
                        EntityKind::Policy
                    } else {
                        EntityKind::Engine
                    },
                    t.start,
                    t.start + word.len(),
                );
                if weak {
                    a.weak_engine.get_or_insert((eng, word.to_string()));
                } else {
                    a.engines.push((eng, word.to_string()));
                }
                i += 1;
                continue;
            }
            // Namespaces.
            if matches!(l, "namespace" | "ns" | "namespaces") && i + 1 < n {
                let nt = self.toks[i + 1].clone();
                if is_ns_name(nt.text) && !not_a_name(&nt.lower) {
                    self.mention(Who::Ns(nt.text.to_string()), i + 1, nt.start, nt.end);
                    i += 2;
                    continue;
                }
            }
            if let Some(v) = l
                .strip_prefix("namespace=")
                .or_else(|| l.strip_prefix("ns="))
                && is_ns_name(v)
            {
                let off = t.text.len() - v.len();
                self.mention(Who::Ns(v.to_string()), i, t.start + off, t.end);
                i += 1;
                continue;
            }
            if next.trim_end_matches(':') == "namespace" && is_ns_name(t.text) && !not_a_name(l) {
                self.mention(Who::Ns(t.text.to_string()), i, t.start, t.end);
                i += 2;
                continue;
            }
            // A bare namespace right after a workload: "app=web in shop", "app=web (shop)".
            if i + 1 < n
                && matches!(l, "in" | "of")
                && (self.after_mention(i)
                    || matches!(self.low(i + 2), "for" | "by" | "")
                    || self.toks[i + 1].comma)
                && is_ns_name(self.toks[i + 1].text)
                && !reserved(&next)
                && !matches!(self.low(i + 2), "namespace" | "app" | "application")
                && parse_port(&next).is_none()
            {
                let nt = self.toks[i + 1].clone();
                self.mention(Who::Ns(nt.text.to_string()), i + 1, nt.start, nt.end);
                push_uniq(
                    &mut self.assume,
                    format!("\"{l} {}\" read as namespace {}", nt.text, nt.text),
                );
                i += 2;
                continue;
            }
            if t.paren && self.after_mention(i) && is_ns_name(t.text) && !reserved(l) {
                self.mention(Who::Ns(t.text.to_string()), i, t.start, t.end);
                i += 1;
                continue;
            }
            // Prepositions that say which side of a connection a workload is on.
            match l {
                "from" => {
                    self.cue = Some(Cue::From);
                    i += 1;
                    continue;
                }
                "to" | "towards" | "into" | "reach" | "reaching" | "reaches" => {
                    self.cue = Some(Cue::To);
                    if mode == Mode::None
                        && (matches!(next.as_str(), "port" | "ports")
                            || parse_cidr(&next).is_some()
                            || is_fqdn(&next))
                    {
                        a.dir_implied.get_or_insert(Direction::Egress);
                    }
                    if l.starts_with("reach") {
                        a.dir_implied.get_or_insert(Direction::Egress);
                    }
                    i += 1;
                    continue;
                }
                "for" | "by" => {
                    self.cue = Some(Cue::None);
                    i += 1;
                    continue;
                }
                "accept" | "accepts" | "receive" | "receives" | "receiving" => {
                    a.dir_implied.get_or_insert(Direction::Ingress);
                }
                "send" | "sends" | "sending" | "connect" | "connecting" | "talk" | "call"
                | "calls" | "opening" => {
                    a.dir_implied.get_or_insert(Direction::Egress);
                }
                _ => {}
            }
            match l {
                "ingress" | "incoming" | "inbound" => {
                    self.ent(EntityKind::Direction, t.start, t.end);
                    a.dir_explicit = Some(match a.dir_explicit {
                        Some(Direction::Egress) | Some(Direction::Both) => Direction::Both,
                        _ => Direction::Ingress,
                    });
                    i += 1;
                    continue;
                }
                "egress" | "outgoing" | "outbound" => {
                    self.ent(EntityKind::Direction, t.start, t.end);
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
            if l == "except" || l == "but" && next == "only" {
                a.except = true;
            }
            // Resource-mode verbs.
            if FILE_VERBS.contains(&l) && !(mode == Mode::Exec && matches!(l, "access" | "open")) {
                a.file_verb = true;
                match l {
                    "read" | "reads" | "reading" | "view" => a.reads = true,
                    "read-only" | "readonly" => {
                        a.reads = true;
                        a.read_only_word = true;
                    }
                    "access" | "accessing" | "open" | "opens" | "opening" | "touch"
                    | "touching" => {}
                    _ => a.writes = true,
                }
                mode = Mode::File;
                i += 1;
                continue;
            }
            if EXEC_MODE_VERBS.contains(&l) {
                a.exec_verb = true;
                mode = Mode::Exec;
                i += 1;
                continue;
            }
            if matches!(l, "port" | "ports") {
                mode = Mode::Port;
                i += 1;
                continue;
            }
            if matches!(l, "on" | "over") && parse_port(&next).is_some() {
                mode = Mode::Port;
                i += 1;
                continue;
            }
            if l == "pod" && is_ns_name(&next) && !reserved(&next) {
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
                | "program" | "programs" | "commands" => Some(Domain::Process),
                "network" | "traffic" | "connection" | "connections" | "connectivity"
                | "packets" => Some(Domain::Network),
                "syscall" | "syscalls" => Some(Domain::Syscall),
                "capability" | "capabilities" => Some(Domain::Capability),
                _ => None,
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
            let consumed = self.value(&mut a, i, &mut mode, syscall_ctx, cap_ctx, exec_ctx);
            i += consumed;
        }
        self.finish(a, resolver)
    }

    /// Reads a value (path, address, label, port, name …) at token `i`;
    /// returns how many tokens it took.
    fn value(
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
        let prev = if i > 0 { self.low(i - 1) } else { "" }.to_string();
        let next = self.low(i + 1).to_string();
        if raw.starts_with('/')
            && raw.len() > 1
            && !raw.contains("//")
            && !raw.contains('=')
            && parse_cidr(raw).is_none()
        {
            let dir_word = (i.saturating_sub(2)..i)
                .chain(i + 1..(i + 2).min(n))
                .any(|j| matches!(self.low(j), "directory" | "folder" | "dir" | "under"));
            let is_dir = raw.ends_with('/') || KNOWN_DIRS.contains(&raw) || dir_word;
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
            } else if *mode == Mode::Exec {
                self.ent(EntityKind::Binary, t.start, t.end);
                push_uniq(&mut a.binaries, raw.to_string());
            } else {
                self.ent(EntityKind::Path, t.start, t.end);
                if !a.paths.iter().any(|(p, _)| p == raw) {
                    a.paths.push((raw.to_string(), self.ents.len() - 1));
                }
            }
            return 1;
        }
        if let Some((c, single)) = parse_cidr(raw) {
            self.ent(EntityKind::Cidr, t.start, t.end);
            if single {
                push_uniq(&mut self.assume, format!("address {raw} read as {c}"));
            }
            if prev == "to" {
                a.dir_implied.get_or_insert(Direction::Egress);
            }
            push_uniq(&mut a.cidrs, c);
            return 1;
        }
        if let Some((k, v)) = split_label(raw) {
            if k != "namespace" && k != "ns" {
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
        // Calico selector syntax: `app == 'web'`, `tier != 'db'`.
        if label_key_ok(raw) && matches!(next.as_str(), "==" | "!=") && i + 2 < n {
            let vt = self.toks[i + 2].clone();
            if label_val_ok(vt.text) {
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
        if raw.ends_with(':')
            && label_key_ok(&raw[..raw.len() - 1])
            && !t.comma
            && i + 1 < n
            && label_val_ok(self.toks[i + 1].text)
            && !reserved(&next)
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
            a.ports.push(PortSpec {
                port: p.0,
                end_port: p.1,
                protocol: pr.proto,
            });
            a.proto_seen = true;
            *mode = Mode::Port;
            return 1;
        }
        if let Some(p) = proto(l) {
            self.ent(EntityKind::Protocol, t.start, t.end);
            a.proto_seen = true;
            if p == Protocol::Icmp {
                a.proto_global.get_or_insert(p);
            } else {
                a.proto_global = Some(p);
            }
            *mode = Mode::Port;
            return 1;
        }
        if let (Mode::Port, Some((p, e))) = (*mode, parse_port(raw)) {
            let mut end = t.end;
            let mut end_port = e;
            let mut consumed = 1;
            if e.is_none()
                && matches!(next.as_str(), "to" | "through" | "-")
                && i + 2 < n
                && let Some((q, None)) = parse_port(self.low(i + 2))
                && q > p
            {
                end = self.toks[i + 2].end;
                end_port = Some(q);
                consumed = 3;
            }
            self.ent(EntityKind::Port, t.start, end);
            a.ports.push(PortSpec {
                port: p,
                end_port,
                protocol: Protocol::Tcp,
            });
            return consumed;
        }
        if let Some(p) = service_port(l).filter(|_| {
            matches!(*mode, Mode::Port | Mode::None) && !EXEC_MODE_VERBS.contains(&prev.as_str())
        }) {
            self.ent(EntityKind::Port, t.start, t.end);
            push_uniq(
                &mut self.assume,
                format!("{raw} read as port {}/{:?}", p.port, p.protocol).to_string(),
            );
            a.ports.push(p);
            return 1;
        }
        if is_cap(l, *mode, cap_ctx) {
            self.ent(EntityKind::Capability, t.start, t.end);
            push_uniq(&mut a.caps, l.trim_start_matches("cap_").to_string());
            *mode = Mode::Cap;
            return 1;
        }
        let syscall_next = matches!(next.as_str(), "syscall" | "syscalls")
            || next == "system" && self.low(i + 2).starts_with("call");
        if is_syscall(l, *mode, syscall_ctx)
            || syscall_next
                && (SYSCALLS_CLEAR.contains(&l.trim_end_matches(['(', ')']))
                    || SYSCALLS_WORDY.contains(&l.trim_end_matches(['(', ')'])))
        {
            // `ptrace()`: the tokenizer took the `)` off as punctuation.
            let end = if raw.ends_with('(') && self.text[t.end..].starts_with(')') {
                t.end + 1
            } else {
                t.end
            };
            self.ent(EntityKind::Syscall, t.start, end);
            push_uniq(&mut a.syscalls, l.trim_end_matches(['(', ')']).to_string());
            return 1;
        }
        if is_fqdn(raw) {
            self.ent(EntityKind::Fqdn, t.start, t.end);
            push_uniq(&mut a.fqdns, l.to_string());
            a.dir_implied.get_or_insert(Direction::Egress);
            return 1;
        }
        let known = BINARIES.iter().find(|(b, _)| *b == l);
        let after_action = self.last_action_tok == Some(i.wrapping_sub(1));
        let exec_name = *mode == Mode::Exec
            && !reserved(l)
            && is_ident(raw, &['-', '_', '.'])
            && !raw.chars().all(|c| c.is_ascii_digit())
            && (known.is_some() || EXEC_MODE_VERBS.contains(&prev.as_str()));
        let lexicon_name = known.is_some()
            && (after_action || exec_ctx && !matches!(*mode, Mode::File | Mode::Port | Mode::Pod));
        if exec_name || lexicon_name {
            self.ent(EntityKind::Binary, t.start, t.end);
            match known {
                Some((_, path)) => {
                    push_uniq(&mut self.assume, format!("binary {raw} resolved to {path}"));
                    push_uniq(&mut a.binaries, (*path).to_string());
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
            return 1;
        }
        if *mode == Mode::Pod && is_ns_name(raw) && !reserved(l) {
            self.mention(Who::Pod(raw.to_string()), i, t.start, t.end);
            if t.comma {
                *mode = Mode::None;
            }
            return 1;
        }
        if let Some(name) = raw.strip_prefix("pod/").filter(|p| is_ns_name(p)) {
            self.mention(Who::Pod(name.to_string()), i, t.start + 4, t.end);
            return 1;
        }
        // A word that ends a value list.
        if !LIST_GLUE.contains(&l) && !matches!(*mode, Mode::Syscall | Mode::Cap) {
            *mode = Mode::None;
        }
        1
    }

    #[allow(clippy::too_many_arguments)]
    fn ent_sorted(
        &mut self,
        k1: EntityKind,
        s1: usize,
        e1: usize,
        k2: EntityKind,
        s2: usize,
        e2: usize,
    ) {
        if s1 <= s2 {
            self.ent(k1, s1, e1);
            self.ent(k2, s2, e2);
        } else {
            self.ent(k2, s2, e2);
            self.ent(k1, s1, e1);
        }
    }

    fn finish(
        mut self,
        mut a: Acc,
        resolver: Option<&mut dyn PodResolver>,
    ) -> Result<ParsedIntent, IntentParseError> {
        // Engine.
        let mut engine: Option<(Engine, String)> = None;
        for (e, w) in &a.engines {
            match &engine {
                Some((x, xw)) if x != e => {
                    return Err(IntentParseError::AmbiguousEngine(xw.clone(), w.clone()));
                }
                Some(_) => {}
                None => engine = Some((*e, w.clone())),
            }
        }
        if engine.is_none() {
            engine = a.weak_engine.take();
        }
        let engine = engine.map(|(e, _)| e);
        // Action.
        let action = match (&a.allow, &a.block, &a.audit) {
            (Some(_), Some(_), _) if a.negated_allow => Action::Block,
            (Some(_), Some(_), _) if a.except => Action::Allow,
            (Some(x), Some(y), _) => {
                return Err(IntentParseError::AmbiguousAction(x.clone(), y.clone()));
            }
            (Some(_), None, Some(_)) => Action::Audit,
            (Some(_), None, None) => Action::Allow,
            (None, Some(_), Some(_)) => {
                self.assume.push(
                    "block and audit both named: blocking (blocked events are logged)".into(),
                );
                Action::Block
            }
            (None, Some(_), None) => Action::Block,
            (None, None, Some(_)) => Action::Audit,
            (None, None, None) if a.except || a.only => {
                self.assume.push("\"only\" read as an allow-list".into());
                Action::Allow
            }
            (None, None, None) if a.read_only_word => {
                self.assume
                    .push("\"read-only\" read as: block writes, reads stay allowed".into());
                Action::Block
            }
            (None, None, None) => {
                return Err(IntentParseError::Missing(missing_fields(
                    &self, &a, true, false,
                )));
            }
        };
        // Domain.
        let net_engine = matches!(
            engine,
            Some(Engine::Cilium | Engine::Calico | Engine::Kubernetes)
        );
        let cued_groups = self.groups.iter().filter(|c| **c != Cue::None).count();
        let exec_paths = a.exec_verb && !a.file_verb;
        let domain = if !a.caps.is_empty() {
            Some(Domain::Capability)
        } else if !a.syscalls.is_empty() {
            Some(Domain::Syscall)
        } else if !a.ports.is_empty()
            || !a.cidrs.is_empty()
            || !a.fqdns.is_empty()
            || a.dir_explicit.is_some()
            || a.proto_seen
            || net_engine
        {
            Some(Domain::Network)
        } else if !a.paths.is_empty() || !a.dirs.is_empty() {
            Some(if exec_paths || !a.binaries.is_empty() && !a.file_verb {
                Domain::Process
            } else {
                Domain::File
            })
        } else if !a.binaries.is_empty() {
            Some(Domain::Process)
        } else if self.groups.len() >= 2 && cued_groups > 0 {
            Some(Domain::Network)
        } else {
            a.domain_word
        };
        let Some(domain) = domain else {
            return Err(IntentParseError::Missing(missing_fields(
                &self, &a, false, true,
            )));
        };
        if domain == Domain::Process && !a.paths.is_empty() {
            // "allow only /bin/a and /bin/b to run": the paths are the executables.
            for (p, ent) in std::mem::take(&mut a.paths) {
                if let Some(e) = self.ents.get_mut(ent) {
                    e.kind = EntityKind::Binary;
                }
                push_uniq(&mut a.binaries, p);
            }
        }
        if a.proto_global == Some(Protocol::Icmp) && a.ports.is_empty() {
            return Err(IntentParseError::Unsupported(
                "a protocol without ports (ICMP): an intent's ports carry the protocol; name the traffic by ports, peers or CIDRs".into(),
            ));
        }
        if let Some(p) = a.proto_global {
            for port in &mut a.ports {
                if port.protocol == Protocol::Tcp && p != Protocol::Icmp {
                    port.protocol = p;
                }
            }
        }
        // Domain words that describe something else ("processes in app=x must not call ptrace").
        self.ents.retain(|e| {
            e.kind != EntityKind::Domain || domain_of_word(&e.text.to_lowercase()) == Some(domain)
        });
        // Who is the subject and who the peers.
        let groups: Vec<Cue> = self.groups.clone();
        let network = domain == Domain::Network;
        let subject = if network && groups.len() >= 2 {
            let pick = |f: &dyn Fn(Cue) -> bool| groups.iter().position(|c| f(*c));
            match a.dir_explicit {
                Some(Direction::Ingress) => pick(&|c| c != Cue::From),
                Some(Direction::Egress) => pick(&|c| c != Cue::To),
                _ => pick(&|c| c == Cue::None).or_else(|| pick(&|c| c == Cue::To)),
            }
            .unwrap_or(0)
        } else {
            0
        };
        let is_subject = |g: usize| !network || groups.len() < 2 || g == subject;
        let mut ns: Option<String> = None;
        let mut labels: BTreeMap<String, String> = BTreeMap::new();
        let mut pods: Vec<String> = Vec::new();
        let mut peers: Vec<(usize, PeerSelector, Vec<String>)> = Vec::new();
        for m in self.mentions.clone() {
            let subj = is_subject(m.group);
            let kind = match (&m.who, subj) {
                (Who::Label(..), true) => EntityKind::Label,
                (Who::Label(..), false) => EntityKind::PeerLabel,
                (Who::Ns(_), true) => EntityKind::Namespace,
                (Who::Ns(_), false) => EntityKind::PeerNamespace,
                (Who::Pod(_), _) => EntityKind::PodName,
            };
            self.ents.push(Entity {
                kind,
                text: self.text[m.start..m.end].to_string(),
                start: m.start,
                end: m.end,
            });
            if subj {
                match m.who {
                    Who::Label(k, v) => {
                        if let Some(old) = labels.get(&k).filter(|o| **o != v) {
                            return Err(IntentParseError::Ambiguous(format!(
                                "label {k} is given twice ({k}={old}, {k}={v}); a selector carries one value per key"
                            )));
                        }
                        labels.insert(k, v);
                    }
                    Who::Ns(x) => match &ns {
                        Some(old) if *old != x => {
                            return Err(IntentParseError::Ambiguous(format!(
                                "two namespaces for the selected workloads ({old}, {x}); name one, or use one intent per namespace"
                            )));
                        }
                        _ => ns = Some(x),
                    },
                    Who::Pod(p) => push_uniq(&mut pods, p),
                }
            } else {
                let slot = match peers.iter().position(|(g, _, _)| *g == m.group) {
                    Some(ix) => ix,
                    None => {
                        peers.push((m.group, PeerSelector::default(), Vec::new()));
                        peers.len() - 1
                    }
                };
                let (_, p, ppods) = &mut peers[slot];
                match m.who {
                    Who::Label(k, v) => {
                        p.labels.insert(k, v);
                    }
                    Who::Ns(x) => p.namespace = Some(x),
                    Who::Pod(x) => ppods.push(x),
                }
            }
        }
        // Direction.
        let direction = if network {
            let from_groups = if groups.len() >= 2 {
                groups
                    .iter()
                    .enumerate()
                    .find(|(g, _)| *g != subject)
                    .and_then(|(_, c)| match c {
                        Cue::From => Some(Direction::Ingress),
                        Cue::To => Some(Direction::Egress),
                        Cue::None => None,
                    })
            } else {
                match groups.first() {
                    Some(Cue::From) => Some(Direction::Egress),
                    Some(Cue::To) => Some(Direction::Ingress),
                    _ => None,
                }
            };
            Some(
                a.dir_explicit
                    .or(from_groups)
                    .or(a.dir_implied)
                    .unwrap_or_else(|| {
                        self.assume.push("no direction given: ingress".into());
                        Direction::Ingress
                    }),
            )
        } else {
            None
        };
        // Pods → labels.
        if let Some(r) = resolver {
            for p in std::mem::take(&mut pods) {
                let l = resolve_pod(r, ns.as_deref(), &p)?;
                if ns.is_none() {
                    ns = Some(l.namespace.clone());
                    self.assume.push(format!(
                        "namespace {} taken from pod {p}'s {} {}",
                        l.namespace, l.kind, l.name
                    ));
                }
                self.assume.push(format!(
                    "pod {p} resolved to the labels of {} {}/{}",
                    l.kind, l.namespace, l.name
                ));
                labels.extend(l.labels);
            }
            for (_, peer, ppods) in &mut peers {
                for p in std::mem::take(ppods) {
                    let l = resolve_pod(r, peer.namespace.as_deref().or(ns.as_deref()), &p)?;
                    peer.labels.extend(l.labels);
                }
            }
        }
        if let Some((_, _, ppods)) = peers.iter().find(|(_, _, p)| !p.is_empty()) {
            return Err(IntentParseError::Missing(vec![format!(
                "labels of peer pod {}: name its labels (e.g. `app=web`) or resolve pod names through an event store",
                ppods[0]
            )]));
        }
        if ns.is_none() && labels.is_empty() && pods.is_empty() && a.selector.is_empty() {
            return Err(IntentParseError::Missing(vec![
                "scope: name the workloads' namespace and labels, e.g. `app=nginx in namespace shop`, or a pod".to_string(),
            ]));
        }
        if ns.is_none() {
            self.assume
                .push("no namespace: cluster-wide where the engine allows it".into());
        }
        let read_only = domain == Domain::File
            && (a.read_only_word
                || a.reads && !a.writes && action != Action::Block
                || a.writes && !a.reads && action == Action::Block);
        let recursive = !a.dirs.is_empty() && !a.non_recursive;
        let intent = Intent {
            engine,
            scope: Scope {
                namespace: ns,
                labels,
                selector: (!a.selector.is_empty()).then(|| a.selector.join(", ")),
                pod_names: pods,
            },
            domain,
            action,
            direction,
            resources: Resources {
                paths: a.paths.into_iter().map(|(p, _)| p).collect(),
                dirs: a.dirs,
                recursive,
                read_only,
                binaries: a.binaries,
                ports: a.ports,
                cidrs: a.cidrs,
                peers: peers.into_iter().map(|(_, p, _)| p).collect(),
                fqdns: a.fqdns,
                syscalls: a.syscalls,
                capabilities: a.caps,
            },
            rationale: None,
        };
        self.ents.sort_by_key(|e| (e.start, e.end));
        Ok(ParsedIntent {
            intent,
            entities: self.ents,
            assumptions: self.assume,
        })
    }
}

/// The domain a domain word names.
fn domain_of_word(l: &str) -> Option<Domain> {
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

/// What a text without an action or a domain still needs.
fn missing_fields(p: &Parser<'_>, a: &Acc, no_action: bool, no_domain: bool) -> Vec<String> {
    let mut out = Vec::new();
    if p.mentions.is_empty() && a.selector.is_empty() {
        out.push(
            "scope: name the workloads' namespace and labels, e.g. `app=nginx in namespace shop`, or a pod"
                .to_string(),
        );
    }
    let no_action = no_action
        || a.allow.is_none() && a.block.is_none() && a.audit.is_none() && !a.only && !a.except;
    if no_action {
        out.push("action: say allow (or only …), audit or block".to_string());
    }
    let no_domain = no_domain
        || a.paths.is_empty()
            && a.dirs.is_empty()
            && a.binaries.is_empty()
            && a.ports.is_empty()
            && a.cidrs.is_empty()
            && a.fqdns.is_empty()
            && a.syscalls.is_empty()
            && a.caps.is_empty()
            && a.dir_explicit.is_none()
            && a.domain_word.is_none();
    if no_domain {
        out.push("what to govern: name paths, binaries, ports, peers, CIDRs, FQDNs, syscalls or capabilities".to_string());
    }
    out
}

/// Resolves pod `pod` (in `namespace` when known) to one workload through
/// `r`: workloads with the same namespace and labels count as one; none is
/// [`IntentParseError::UnknownPod`], several [`IntentParseError::AmbiguousPod`].
/// Shared with the LLM-based parser in `kubescribe-infer`.
pub fn resolve_pod(
    r: &mut dyn PodResolver,
    namespace: Option<&str>,
    pod: &str,
) -> Result<ResolvedPod, IntentParseError> {
    let found = r
        .resolve_pod(namespace, pod)
        .map_err(|e| IntentParseError::Resolver(format!("resolving pod {pod}: {e}")))?;
    // Several workloads with the same namespace and labels (a Deployment and its
    // pods) are one answer.
    let mut distinct: Vec<ResolvedPod> = Vec::new();
    for w in found {
        if !distinct
            .iter()
            .any(|d| d.namespace == w.namespace && d.labels == w.labels)
        {
            distinct.push(w);
        }
    }
    if distinct.len() > 1 {
        return Err(IntentParseError::AmbiguousPod(
            pod.to_string(),
            distinct
                .iter()
                .map(|w| format!("{} {}/{}", w.kind, w.namespace, w.name))
                .collect(),
        ));
    }
    distinct
        .pop()
        .ok_or_else(|| IntentParseError::UnknownPod(pod.to_string()))
}

struct PortProto {
    proto: Protocol,
    spans: (usize, usize, usize, usize),
}

fn port_proto(s: &str) -> Option<((u16, Option<u16>), PortProto)> {
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

fn service_port(s: &str) -> Option<PortSpec> {
    let (port, protocol) = match s {
        "http" => (80, Protocol::Tcp),
        "https" => (443, Protocol::Tcp),
        "dns" => (53, Protocol::Udp),
        "ssh" => (22, Protocol::Tcp),
        "mysql" => (3306, Protocol::Tcp),
        "postgres" | "postgresql" => (5432, Protocol::Tcp),
        "redis" => (6379, Protocol::Tcp),
        _ => return None,
    };
    Some(PortSpec {
        port,
        end_port: None,
        protocol,
    })
}

fn is_cap(l: &str, mode: Mode, ctx: bool) -> bool {
    if let Some(rest) = l.strip_prefix("cap_") {
        return CAPABILITIES.contains(&rest);
    }
    CAPABILITIES.contains(&l) && (mode == Mode::Cap || ctx && l.contains('_'))
}

fn is_syscall(l: &str, mode: Mode, ctx: bool) -> bool {
    let l = l.trim_end_matches(['(', ')']);
    SYSCALLS_CLEAR.contains(&l) && (ctx || mode != Mode::Exec)
        || SYSCALLS_WORDY.contains(&l)
            && (mode == Mode::Syscall || ctx && mode != Mode::File && mode != Mode::Exec)
}
