//! Offline natural-language intent parser (lexicon + patterns, no model).
//!
//! [`parse_intent`] turns a sentence such as "only let app=nginx in namespace
//! shop read /var/www and run nginx" into an [`Intent`], with the entities it
//! recognised (kind, text, byte span) and the assumptions it made. Missing or
//! ambiguous information is an [`IntentParseError`] naming what to supply.

#![allow(clippy::collapsible_if, clippy::nonminimal_bool)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    Action, Direction, Domain, Intent, PeerSelector, PortSpec, Protocol, Resources, Scope,
};
use crate::engine::Engine;

/// Longest text accepted, in bytes.
pub const MAX_INTENT_BYTES: usize = 16 * 1024;

/// The kind of a recognised entity (KubeTeus's types plus kubescribe's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntityKind {
    /// An engine or policy-kind word (`cilium`, `NetworkPolicy`).
    Policy,
    /// A label (`app=nginx`, `tier: db`).
    Label,
    /// A pod name.
    PodName,
    /// A namespace name.
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
    /// A file path or directory.
    Path,
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
    /// A named pod could not be resolved to labels.
    #[error("pod `{0}` could not be resolved to labels: name its labels instead, e.g. `app=nginx`")]
    UnknownPod(String),
}

/// Resolves pod names to their labels (implemented by the event store or a cluster client).
pub trait PodResolver {
    /// The labels of pod `name` (in `namespace` when known), or `None` when unknown.
    fn pod_labels(&self, namespace: Option<&str>, name: &str) -> Option<BTreeMap<String, String>>;
}

/// Parses `text` into an intent without resolving pod names (they stay in `scope.podNames`).
pub fn parse_intent(text: &str) -> Result<ParsedIntent, IntentParseError> {
    parse_intent_with(text, None)
}

/// Parses `text`, resolving pod names to labels through `resolver` when one is given.
pub fn parse_intent_with(
    text: &str,
    resolver: Option<&dyn PodResolver>,
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

fn engine_word(s: &str) -> Option<Engine> {
    match s {
        "kubearmor" | "kubearmorpolicy" | "ksp" => Some(Engine::KubeArmor),
        "tetragon" | "tracingpolicy" => Some(Engine::Tetragon),
        "cilium" | "ciliumnetworkpolicy" | "cnp" => Some(Engine::Cilium),
        "calico" | "globalnetworkpolicy" => Some(Engine::Calico),
        "k8s" | "kubernetes" | "networkpolicy" | "netpol" => Some(Engine::Kubernetes),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    None,
    File,
    Exec,
    Port,
    Pod,
    Syscall,
    Cap,
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<Tok<'a>>,
    ents: Vec<Entity>,
    assume: Vec<String>,
}

#[derive(Default)]
struct Acc {
    engine: Option<(Engine, String)>,
    engine_conflict: Option<(String, String)>,
    ns: Option<String>,
    labels: BTreeMap<String, String>,
    selector: Vec<String>,
    pods: Vec<String>,
    peers: Vec<PeerSelector>,
    allow: Option<String>,
    block: Option<String>,
    audit: Option<String>,
    negated_allow: bool,
    except: bool,
    dir_explicit: Option<Direction>,
    dir_implied: Option<Direction>,
    paths: Vec<String>,
    dirs: Vec<String>,
    binaries: Vec<String>,
    ports: Vec<PortSpec>,
    proto_global: Option<Protocol>,
    cidrs: Vec<String>,
    fqdns: Vec<String>,
    syscalls: Vec<String>,
    caps: Vec<String>,
    domain_word: Option<Domain>,
    reads: bool,
    writes: bool,
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
        }
    }

    fn ent(&mut self, kind: EntityKind, start: usize, end: usize) {
        self.ents.push(Entity {
            kind,
            text: self.text[start..end].to_string(),
            start,
            end,
        });
    }

    fn low(&self, i: usize) -> &str {
        self.toks.get(i).map(|t| t.lower.as_str()).unwrap_or("")
    }

    /// Whether a peer (label or namespace) follows token `i`, skipping filler words.
    fn peer_follows(&self, i: usize) -> bool {
        let mut j = i + 1;
        while j < self.toks.len() && FILLER.contains(&self.low(j)) {
            j += 1;
        }
        let Some(t) = self.toks.get(j) else {
            return false;
        };
        split_label(t.text).is_some()
            || (t.text.ends_with(':') && label_key_ok(&t.text[..t.text.len() - 1]))
            || matches!(t.lower.as_str(), "namespace" | "ns")
            || (self.low(j + 1) == "namespace" && is_ns_name(t.text))
    }

    fn run(mut self, resolver: Option<&dyn PodResolver>) -> Result<ParsedIntent, IntentParseError> {
        let mut a = Acc::default();
        let lower_all = self.text.to_lowercase();
        let syscall_ctx = lower_all.contains("syscall") || lower_all.contains("system call");
        let cap_ctx = lower_all.contains("capabilit") || lower_all.contains("cap_");
        let exec_ctx = self
            .toks
            .iter()
            .any(|t| EXEC_VERBS.contains(&t.lower.as_str()));
        let mut mode = Mode::None;
        let mut peer = false;
        let mut cur_peer: Option<usize> = None;
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
            let mut consumed = 1;
            // Multi-word phrases first.
            if (l == "do" || l == "does") && next == "not"
                || l == "don't"
                || l == "dont"
                || l == "never" && next == "allow"
                || l == "cannot"
                || l == "can't"
            {
                // negation before an allow word
                let k = if l == "do" || l == "does" {
                    i + 2
                } else {
                    i + 1
                };
                let w = self.low(k).to_string();
                if matches!(w.as_str(), "allow" | "let" | "permit") {
                    let (s, e) = (t.start, self.toks[k].end);
                    self.ent(EntityKind::Action, s, e);
                    a.block.get_or_insert_with(|| self.text[s..e].to_string());
                    a.negated_allow = true;
                    i = k + 1;
                    continue;
                }
                if l == "cannot" || l == "can't" || l == "don't" || l == "dont" || l == "never" {
                    self.ent(EntityKind::Action, t.start, t.end);
                    a.block.get_or_insert_with(|| t.text.to_string());
                    i += 1;
                    continue;
                }
            }
            if (l == "must" || l == "should") && next == "not" {
                let e = self.toks[i + 1].end;
                self.ent(EntityKind::Action, t.start, e);
                a.block
                    .get_or_insert_with(|| self.text[t.start..e].to_string());
                i += 2;
                continue;
            }
            if l == "internet" {
                self.ent(EntityKind::Cidr, t.start, t.end);
                push_uniq(&mut a.cidrs, "0.0.0.0/0".into());
                push_uniq(&mut self.assume, "\"internet\" read as 0.0.0.0/0".into());
                i += 1;
                continue;
            }
            if prev == "the"
                && matches!(next.as_str(), "app" | "application" | "service")
                && is_ns_name(t.text)
                && !STOP.contains(&l)
                && !FILLER.contains(&l)
                && i + 2 <= n
                && self.low(i + 2) != "namespace"
            {
                self.ent(EntityKind::Label, t.start, t.end);
                push_uniq(&mut self.assume, format!("\"the {l} app\" read as app={l}"));
                self.add_label(
                    &mut a,
                    peer,
                    &mut cur_peer,
                    "app".into(),
                    t.text.to_string(),
                );
                i += 2;
                continue;
            }
            if l == "not" && matches!(next.as_str(), "allowed" | "permitted") {
                let e = self.toks[i + 1].end;
                self.ent(EntityKind::Action, t.start, e);
                a.block.get_or_insert_with(|| "not allowed".into());
                a.negated_allow = true;
                i += 2;
                continue;
            }
            if l == "system" && (next == "call" || next == "calls") {
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
                let e = if l == "both" {
                    self.toks[i + 1].end
                } else {
                    t.end
                };
                self.ent(EntityKind::Direction, t.start, e);
                a.dir_explicit = Some(Direction::Both);
                i += if l == "both" { 2 } else { 1 };
                continue;
            }
            if l == "only" && (next == "allow" || next == "permit" || next == "let") {
                let e = self.toks[i + 1].end;
                self.ent(EntityKind::Action, t.start, e);
                a.allow
                    .get_or_insert_with(|| self.text[t.start..e].to_string());
                i += 2;
                continue;
            }
            if matches!(
                l,
                "non-recursive" | "non-recursively" | "nonrecursive" | "top-level"
            ) {
                a.non_recursive = true;
            }
            // Engines.
            if let Some(eng) = engine_word(l.trim_end_matches(':')) {
                let mut e = t.end;
                if matches!(
                    next.as_str(),
                    "networkpolicy" | "network" | "policy" | "globalnetworkpolicy"
                ) && (eng == Engine::Kubernetes
                    || eng == Engine::Calico
                    || eng == Engine::Cilium)
                    && next != "policy"
                    && next != "network"
                {
                    e = self.toks[i + 1].end;
                    consumed = 2;
                }
                self.ent(EntityKind::Policy, t.start, e);
                match &a.engine {
                    Some((x, w)) if *x != eng => {
                        a.engine_conflict = Some((w.clone(), t.text.to_string()))
                    }
                    _ => a.engine = Some((eng, t.text.to_string())),
                }
                i += consumed;
                continue;
            }
            // Namespace.
            if matches!(l, "namespace" | "ns" | "namespaces") && i + 1 < n && !next.is_empty() {
                let nt = self.toks[i + 1].clone();
                if is_ns_name(nt.text) && !STOP.contains(&nt.lower.as_str()) {
                    self.ent(EntityKind::Namespace, nt.start, nt.end);
                    self.set_ns(&mut a, peer, &mut cur_peer, nt.text);
                    i += 2;
                    continue;
                }
            }
            if let Some(v) = l
                .strip_prefix("namespace=")
                .or_else(|| l.strip_prefix("ns="))
            {
                if is_ns_name(v) {
                    let off = t.text.len() - v.len();
                    self.ent(EntityKind::Namespace, t.start + off, t.end);
                    self.set_ns(&mut a, peer, &mut cur_peer, v);
                    i += 1;
                    continue;
                }
            }
            if next == "namespace"
                && is_ns_name(t.text)
                && !STOP.contains(&l)
                && !FILLER.contains(&l)
            {
                self.ent(EntityKind::Namespace, t.start, t.end);
                self.set_ns(&mut a, peer, &mut cur_peer, t.text);
                i += 2;
                continue;
            }
            // Peer / direction cues.
            if l == "from" {
                if a.dir_explicit == Some(Direction::Egress) {
                    peer = false;
                } else {
                    if self.peer_follows(i) {
                        peer = true;
                        cur_peer = None;
                    }
                    a.dir_implied.get_or_insert(Direction::Ingress);
                }
                mode = Mode::None;
                i += 1;
                continue;
            }
            if l == "to" || l == "reach" || l == "towards" {
                if l == "reach" && next == "the" && self.low(i + 2) == "internet" {
                    a.dir_implied.get_or_insert(Direction::Egress);
                }
                if self.peer_follows(i) && !cap_ctx && !syscall_ctx {
                    if a.dir_implied == Some(Direction::Ingress)
                        || a.dir_explicit == Some(Direction::Ingress)
                    {
                        peer = false;
                    } else {
                        peer = true;
                        cur_peer = None;
                        a.dir_implied.get_or_insert(Direction::Egress);
                    }
                } else if mode == Mode::None
                    && (next == "port"
                        || next == "ports"
                        || parse_cidr(&next).is_some()
                        || is_fqdn(&next))
                {
                    a.dir_implied.get_or_insert(Direction::Egress);
                }
                i += 1;
                continue;
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
            // Actions.
            let act = match l {
                "allow" | "allows" | "allowed" | "permit" | "permits" | "permitted" | "let"
                | "whitelist" | "allowlist" | "accept" | "restrict" | "limit" | "confine" => {
                    Some(Action::Allow)
                }
                "deny" | "denies" | "denied" | "block" | "blocks" | "blocked" | "forbid"
                | "forbids" | "forbidden" | "prevent" | "prevents" | "disallow" | "prohibit"
                | "prohibited" | "reject" | "drop" | "stop" | "blacklist" | "denylist" | "kill"
                    if !(l == "kill" && (syscall_ctx || cap_ctx)) =>
                {
                    Some(Action::Block)
                }
                "audit" | "audited" | "log" | "logged" | "monitor" | "monitored" | "record"
                | "alert" | "watch" | "observe" | "trace" => Some(Action::Audit),
                "only" if !a.except => None,
                _ => None,
            };
            if let Some(act) = act {
                self.ent(EntityKind::Action, t.start, t.end);
                let slot = match act {
                    Action::Allow => &mut a.allow,
                    Action::Block => &mut a.block,
                    Action::Audit => &mut a.audit,
                };
                slot.get_or_insert_with(|| t.text.to_string());
                i += 1;
                continue;
            }
            if l == "except" || l == "but" && next == "only" {
                a.except = true;
            }
            // Resource-mode verbs.
            let mut verb = true;
            match l {
                "read" | "reads" | "reading" | "read-only" | "readonly" | "view" => {
                    a.reads = true;
                    if l.starts_with("read-") || l == "readonly" {
                        a.reads = true;
                    }
                    mode = Mode::File;
                }
                "write" | "writes" | "writing" | "modify" | "modifying" | "modifications"
                | "change" | "changes" | "delete" | "overwrite" | "tamper" | "edit" | "create"
                | "read-write" => {
                    a.writes = true;
                    mode = Mode::File;
                }
                "access" | "accessing" | "open" | "opening" | "touch" | "use"
                    if mode != Mode::Exec =>
                {
                    mode = Mode::File
                }
                "run" | "runs" | "running" | "execute" | "executes" | "executing" | "exec"
                | "launch" | "launching" | "spawn" | "spawning" | "start" | "invoke"
                | "invoking" | "execution" | "executions" => mode = Mode::Exec,
                "port" | "ports" => mode = Mode::Port,
                "pod" | "pods" if !self.peer_follows(i) && !FILLER.contains(&next.as_str()) => {
                    mode = Mode::Pod
                }
                _ => verb = false,
            }
            if verb {
                continue;
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
            // Values.
            let raw = t.text;
            if raw.starts_with('/')
                && raw.len() > 1
                && !raw.contains("//")
                && raw.chars().all(|c| !c.is_whitespace() && c != '=')
                && parse_cidr(raw).is_none()
            {
                self.ent(
                    if mode == Mode::Exec {
                        EntityKind::Binary
                    } else {
                        EntityKind::Path
                    },
                    t.start,
                    t.end,
                );
                if mode == Mode::Exec && !raw.ends_with('/') {
                    push_uniq(&mut a.binaries, raw.to_string());
                } else if raw.ends_with('/') {
                    if mode == Mode::Exec {
                        self.fix_last_kind(EntityKind::Path);
                    }
                    push_uniq(&mut a.dirs, raw.to_string());
                } else if KNOWN_DIRS.contains(&raw) {
                    push_uniq(&mut a.dirs, format!("{raw}/"));
                    push_uniq(
                        &mut self.assume,
                        format!("{raw} read as a directory ({raw}/)"),
                    );
                } else {
                    push_uniq(&mut a.paths, raw.to_string());
                }
            } else if let Some((c, single)) = parse_cidr(raw) {
                self.ent(EntityKind::Cidr, t.start, t.end);
                if single {
                    push_uniq(&mut self.assume, format!("address {raw} read as {c}"));
                }
                push_uniq(&mut a.cidrs, c);
            } else if let Some((k, v)) = split_label(raw) {
                if k == "namespace" || k == "ns" {
                    // handled above when valid
                } else {
                    self.ent(EntityKind::Label, t.start, t.end);
                    self.add_label(&mut a, peer, &mut cur_peer, k, v);
                }
            } else if let Some((k, v)) = raw
                .split_once("!=")
                .filter(|(k, v)| label_key_ok(k) && label_val_ok(v))
            {
                self.ent(EntityKind::Label, t.start, t.end);
                a.selector.push(format!("{k} != {v}"));
            } else if raw.ends_with(':')
                && label_key_ok(&raw[..raw.len() - 1])
                && !t.comma
                && i + 1 < n
                && label_val_ok(self.toks[i + 1].text)
                && !STOP.contains(&next.as_str())
            {
                let vt = self.toks[i + 1].clone();
                self.ent(EntityKind::Label, t.start, vt.end);
                self.add_label(
                    &mut a,
                    peer,
                    &mut cur_peer,
                    raw[..raw.len() - 1].to_string(),
                    vt.text.to_string(),
                );
                consumed = 2;
            } else if let Some((p, pr)) = port_proto(&t.lower) {
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
                mode = Mode::Port;
            } else if let Some(p) = proto(l) {
                self.ent(EntityKind::Protocol, t.start, t.end);
                if p == Protocol::Icmp {
                    a.proto_global.get_or_insert(p);
                } else {
                    a.proto_global = Some(p);
                }
                if a.dir_explicit.is_none() {
                    a.domain_word.get_or_insert(Domain::Network);
                }
            } else if let (Mode::Port, Some((p, e))) = (mode, parse_port(raw)) {
                self.ent(EntityKind::Port, t.start, t.end);
                a.ports.push(PortSpec {
                    port: p,
                    end_port: e,
                    protocol: Protocol::Tcp,
                });
                let _ = a.proto_global;
                if matches!(next.as_str(), "to" | "through" | "-") {
                    if let Some((q, None)) = parse_port(self.low(i + 2)) {
                        if q > p {
                            let s = t.start;
                            let e2 = self.toks[i + 2].end;
                            self.ents.pop();
                            self.ent(EntityKind::Port, s, e2);
                            if let Some(last) = a.ports.last_mut() {
                                last.end_port = Some(q);
                            }
                            consumed = 3;
                        }
                    }
                }
            } else if let Some(p) = service_port(l).filter(|_| {
                matches!(mode, Mode::Port | Mode::None)
                    && !matches!(prev.as_str(), "run" | "execute")
            }) {
                self.ent(EntityKind::Port, t.start, t.end);
                a.ports.push(p);
                push_uniq(
                    &mut self.assume,
                    format!(
                        "{l} read as port {}/{:?}",
                        a.ports.last().map(|p| p.port).unwrap_or(0),
                        a.ports.last().map(|p| p.protocol).unwrap_or(Protocol::Tcp)
                    )
                    .to_uppercase()
                    .replace(" READ AS PORT ", " read as port "),
                );
            } else if is_cap(l, mode, cap_ctx) {
                self.ent(EntityKind::Capability, t.start, t.end);
                push_uniq(&mut a.caps, l.trim_start_matches("cap_").to_string());
            } else if is_syscall(l, mode, syscall_ctx) {
                self.ent(EntityKind::Syscall, t.start, t.end);
                push_uniq(&mut a.syscalls, l.trim_end_matches("()").to_string());
            } else if is_fqdn(raw) {
                self.ent(EntityKind::Fqdn, t.start, t.end);
                push_uniq(&mut a.fqdns, l.to_string());
            } else if mode == Mode::Exec
                && !STOP.contains(&l)
                && is_ident(raw, &['-', '_', '.'])
                && !raw.chars().all(|c| c.is_ascii_digit())
                && (BINARIES.iter().any(|(b, _)| *b == l)
                    || matches!(
                        prev.as_str(),
                        "run"
                            | "runs"
                            | "execute"
                            | "exec"
                            | "launch"
                            | "spawn"
                            | "start"
                            | "invoke"
                            | "and"
                            | "or"
                            | "executing"
                            | "running"
                            | "launching"
                            | "spawning"
                            | "invoking"
                            | "executes"
                            | "binary"
                            | "binaries"
                            | "program"
                            | "programs"
                            | "executables"
                            | "processes"
                            | "process"
                            | "only"
                    ) && !FILLER.contains(&l))
            {
                self.ent(EntityKind::Binary, t.start, t.end);
                match BINARIES.iter().find(|(b, _)| *b == l) {
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
            } else if exec_ctx
                && !matches!(mode, Mode::File | Mode::Port | Mode::Pod)
                && BINARIES.iter().any(|(b, _)| *b == l)
                && !STOP.contains(&l)
            {
                self.ent(EntityKind::Binary, t.start, t.end);
                if let Some((_, path)) = BINARIES.iter().find(|(b, _)| *b == l) {
                    push_uniq(&mut self.assume, format!("binary {raw} resolved to {path}"));
                    push_uniq(&mut a.binaries, (*path).to_string());
                }
            } else if mode == Mode::Pod
                && is_ns_name(raw)
                && !STOP.contains(&l)
                && !FILLER.contains(&l)
                && proto(l).is_none()
            {
                self.ent(EntityKind::PodName, t.start, t.end);
                push_uniq(&mut a.pods, raw.to_string());
            } else if !matches!(l, "and" | "or" | "," | "&" | "plus" | "as" | "well")
                && mode != Mode::None
            {
                // A word that ends a value list.
                if !matches!(mode, Mode::Port) || !matches!(l, "and" | "or") {
                    if !(mode == Mode::Exec
                        && matches!(l, "only" | "binary" | "binaries" | "the" | "a" | "an"))
                        && !(mode == Mode::File
                            && matches!(
                                l,
                                "only"
                                    | "the"
                                    | "files"
                                    | "directory"
                                    | "in"
                                    | "under"
                                    | "a"
                                    | "an"
                                    | "to"
                                    | "from"
                                    | "access"
                                    | "read"
                                    | "write"
                            ))
                        && !(mode == Mode::Pod
                            && matches!(l, "named" | "called" | "the" | "a" | "an"))
                    {
                        mode = match mode {
                            Mode::Syscall | Mode::Cap => mode,
                            _ => Mode::None,
                        };
                    }
                }
            }
            if t.comma && matches!(mode, Mode::Pod) {
                mode = Mode::None;
            }
            i += consumed;
        }
        self.finish(a, resolver)
    }

    fn fix_last_kind(&mut self, k: EntityKind) {
        if let Some(e) = self.ents.last_mut() {
            e.kind = k;
        }
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

    fn set_ns(&mut self, a: &mut Acc, peer: bool, cur: &mut Option<usize>, ns: &str) {
        if peer {
            match cur.and_then(|i| a.peers.get_mut(i)) {
                Some(p) if p.namespace.is_none() => p.namespace = Some(ns.to_string()),
                _ => {
                    a.peers.push(PeerSelector {
                        namespace: Some(ns.to_string()),
                        labels: BTreeMap::new(),
                    });
                    *cur = Some(a.peers.len() - 1);
                }
            }
        } else if a.ns.is_none() {
            a.ns = Some(ns.to_string());
        }
    }

    fn add_label(
        &mut self,
        a: &mut Acc,
        peer: bool,
        cur: &mut Option<usize>,
        k: String,
        v: String,
    ) {
        if peer {
            match cur.and_then(|i| a.peers.get_mut(i)) {
                Some(p) if !p.labels.contains_key(&k) => {
                    p.labels.insert(k, v);
                }
                _ => {
                    let mut labels = BTreeMap::new();
                    labels.insert(k, v);
                    a.peers.push(PeerSelector {
                        namespace: None,
                        labels,
                    });
                    *cur = Some(a.peers.len() - 1);
                }
            }
        } else {
            a.labels.insert(k, v);
        }
    }

    fn finish(
        mut self,
        mut a: Acc,
        resolver: Option<&dyn PodResolver>,
    ) -> Result<ParsedIntent, IntentParseError> {
        if let Some((x, y)) = a.engine_conflict.take() {
            return Err(IntentParseError::AmbiguousEngine(x, y));
        }
        // Protocol applies to ports stated without one.
        if let Some(p) = a.proto_global {
            if p == Protocol::Icmp && a.ports.is_empty() {
                self.assume
                    .push("ICMP has no ports; the intent carries no protocol-only rule".into());
            }
            for port in &mut a.ports {
                if port.protocol == Protocol::Tcp && p != Protocol::Icmp {
                    port.protocol = p;
                }
            }
        }
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
            (None, None, None) => {
                if a.except
                    || self
                        .text
                        .to_lowercase()
                        .split_whitespace()
                        .any(|w| w == "only")
                {
                    self.assume.push("\"only\" read as an allow-list".into());
                    Action::Allow
                } else {
                    Action::Allow
                }
            }
        };
        let no_action = a.allow.is_none()
            && a.block.is_none()
            && a.audit.is_none()
            && !a.except
            && !self
                .text
                .to_lowercase()
                .split_whitespace()
                .any(|w| w == "only");
        // Domain.
        let engine = a.engine.as_ref().map(|(e, _)| *e);
        let net_engine = matches!(
            engine,
            Some(Engine::Cilium | Engine::Calico | Engine::Kubernetes)
        );
        let domain = if !a.caps.is_empty() {
            Some(Domain::Capability)
        } else if !a.syscalls.is_empty() {
            Some(Domain::Syscall)
        } else if !a.ports.is_empty()
            || !a.cidrs.is_empty()
            || !a.fqdns.is_empty()
            || !a.peers.is_empty()
            || a.dir_explicit.is_some()
            || net_engine
        {
            Some(Domain::Network)
        } else if !a.paths.is_empty() || !a.dirs.is_empty() {
            Some(Domain::File)
        } else if !a.binaries.is_empty() {
            Some(Domain::Process)
        } else {
            a.domain_word
        };
        // Pods.
        let mut labels = a.labels.clone();
        let mut pods = a.pods.clone();
        if let Some(r) = resolver {
            for p in &a.pods {
                match r.pod_labels(a.ns.as_deref(), p) {
                    Some(l) => {
                        self.assume.push(format!("pod {p} resolved to its labels"));
                        labels.extend(l);
                    }
                    None => return Err(IntentParseError::UnknownPod(p.clone())),
                }
            }
            pods.clear();
        }
        let mut missing = Vec::new();
        if a.ns.is_none() && labels.is_empty() && pods.is_empty() && a.selector.is_empty() {
            missing.push(
                "no scope: name a namespace and labels, e.g. `app=nginx in namespace shop`"
                    .to_string(),
            );
        }
        if no_action {
            missing.push("no action: say allow/only, audit or block".to_string());
        }
        if domain.is_none() {
            missing.push("no domain or resources: name paths, binaries, ports, peers, CIDRs, FQDNs, syscalls or capabilities".to_string());
        }
        if !missing.is_empty() {
            return Err(IntentParseError::Missing(missing));
        }
        let domain = domain.unwrap_or(Domain::File);
        let direction = if domain == Domain::Network {
            Some(a.dir_explicit.or(a.dir_implied).unwrap_or_else(|| {
                self.assume.push("no direction given: ingress".into());
                Direction::Ingress
            }))
        } else {
            None
        };
        let read_only = domain == Domain::File && !a.writes && a.reads && action != Action::Block
            || domain == Domain::File && a.writes && !a.reads && action == Action::Block;
        let recursive = !a.dirs.is_empty() && !a.non_recursive;
        if a.ns.is_none() {
            self.assume
                .push("no namespace: cluster-wide where the engine allows it".into());
        }
        let intent = Intent {
            engine,
            scope: Scope {
                namespace: a.ns,
                labels,
                selector: (!a.selector.is_empty()).then(|| a.selector.join(", ")),
                pod_names: pods,
            },
            domain,
            action,
            direction,
            resources: Resources {
                paths: a.paths,
                dirs: a.dirs,
                recursive,
                read_only,
                binaries: a.binaries,
                ports: a.ports,
                cidrs: a.cidrs,
                peers: a.peers,
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
    let l = l.trim_end_matches("()");
    SYSCALLS_CLEAR.contains(&l) && (ctx || mode != Mode::Exec)
        || SYSCALLS_WORDY.contains(&l)
            && (mode == Mode::Syscall || ctx && mode != Mode::File && mode != Mode::Exec)
}
