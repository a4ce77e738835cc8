//! Offline natural-language intent parser (lexicon + patterns, no model).
//!
//! [`parse_intent`] turns a sentence such as "only let app=nginx in namespace
//! shop read /var/www and run nginx" into an [`Intent`], with the entities it
//! recognised (kind, text, byte span) and the assumptions it made. Missing or
//! ambiguous information is an [`IntentParseError`] naming what to supply.

mod finish;
mod lexicon;
mod restate;
mod values;

pub use restate::restate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use kubescribe_core::intent::{
    Action, Direction, Domain, Intent, NamedPort, NetworkEntity, PeerSelector, PortSpec, Protocol,
    Resources, Scope,
};

use kubescribe_core::engine::Engine;
/// Pod names resolve through these (re-exported for callers of the parser).
pub use kubescribe_core::intent::ResolvedPod;
pub use kubescribe_events::PodResolver;

use lexicon::*;

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
    #[error(
        "contradiction: the text says both {0} and {1}; use one of allow, audit, block (or \"allow X but block Y\")"
    )]
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

/// What "all"/"any" before these words covers: the whole domain.
const ALL_WHAT: &[&str] = &[
    "traffic",
    "ingress",
    "egress",
    "incoming",
    "outgoing",
    "inbound",
    "outbound",
    "connections",
    "network",
    "communication",
    "communications",
    "packets",
    "process",
    "processes",
    "execution",
    "executions",
    "file",
    "files",
    "binaries",
    "programs",
    "commands",
];

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
    /// A label of the namespace ("namespaces labelled team=ops").
    NsLabel(String, String),
    /// "from any namespace".
    AnyNs,
    Pod(String),
}

#[derive(Clone, Debug)]
struct Mention {
    who: Who,
    start: usize,
    end: usize,
    group: usize,
    /// The mention opened its group after a "from"/"to".
    cued: bool,
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
    /// Ports, and whether the text bound each to its protocol (`53/udp`).
    ports: Vec<(PortSpec, bool)>,
    named_ports: Vec<String>,
    /// Protocols named on their own ("TCP and UDP 53", "ICMP"), in order.
    protos: Vec<Protocol>,
    proto_seen: bool,
    cidrs: Vec<String>,
    except_cidrs: Vec<String>,
    /// An "except"/"excluding" came after a CIDR: the next CIDRs are carved out.
    cidr_except: bool,
    entities: Vec<NetworkEntity>,
    /// Executables that act ("only /usr/sbin/nginx may read …").
    sources: Vec<String>,
    /// Service names used where a port was expected (never turned into ports).
    services: Vec<String>,
    /// "all traffic", "deny all", "default deny", "isolate": the whole domain.
    all_word: bool,
    /// "isolate"/"default deny": a default deny (both directions unless said).
    isolate: bool,
    default_deny: bool,
    /// "all pods in namespace X" and friends.
    all_pods_word: bool,
    cluster_wide_word: bool,
    /// "only app=web may connect to …": "only" restricts the subject.
    only_subject: bool,
    /// "may"/"can" + a verb, with no action word: permission (allow).
    modal_allow: bool,
    /// Protocols named since the last port ("UDP 5060, TCP 5061").
    pending_protos: Vec<Protocol>,
    owner_only: bool,
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
        let cued = matches!(self.cue, Some(Cue::From | Cue::To));
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
            cued,
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

    /// Whether "only" at token `i` restricts the first workload named ("only
    /// app=web may …", "only the cartservice pods may …").
    fn only_before_subject(&self, i: usize) -> bool {
        if !self.mentions.is_empty() {
            return false;
        }
        let mut k = i + 1;
        while matches!(self.low(k), "the" | "pods" | "pod" | "workloads") {
            k += 1;
        }
        k < self.toks.len() && (split_label(self.low(k)).is_some() || self.low(k + 1) == "pods")
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
        let n = self.toks.len();
        let cut = self.deny_clause_start();
        let mut a = Acc::default();
        let start = self.skip_title(&mut a);
        self.scan(&mut a, start, cut.unwrap_or(n));
        let deny = cut
            .map(|c| {
                let mut b = Acc::default();
                self.scan(&mut b, c, n);
                b
            })
            .filter(|b| {
                let named = !(b.paths.is_empty()
                    && b.dirs.is_empty()
                    && b.binaries.is_empty()
                    && b.ports.is_empty()
                    && b.cidrs.is_empty()
                    && b.fqdns.is_empty()
                    && b.syscalls.is_empty()
                    && b.caps.is_empty()
                    && b.protos.is_empty());
                if !named {
                    // "…; everything else is denied": an allow-list.
                    a.only = true;
                }
                named
            });
        self.finish(a, deny, resolver)
    }

    /// A heading before the first colon ("allow-kube-dns: …", "Alert! Someone
    /// created new user: audit …", "DENY external egress traffic: …") that
    /// names no workload and no resource, when the rest says what to do: only
    /// its engine words are kept. Returns the first token after it.
    fn skip_title(&mut self, a: &mut Acc) -> usize {
        let n = self.toks.len();
        let Some(end) = (1..n).find(|&j| {
            let t = &self.toks[j - 1];
            self.text[t.start..self.toks[j].start]
                .trim_end()
                .ends_with(':')
        }) else {
            return 0;
        };
        let title_ok = self.toks[..end]
            .iter()
            .all(|t| !t.text.contains(['/', '=']) && !t.text.chars().all(|c| c.is_ascii_digit()))
            && (end >= 2
                || self.toks[0].text.contains('-')
                || engine_word(self.low(0).trim_end_matches(':')).is_some());
        let rest_acts = (end..n).any(|k| {
            let l = self.low(k);
            ALLOW_WORDS.contains(&l)
                || BLOCK_WORDS.contains(&l)
                || AUDIT_WORDS.contains(&l)
                || matches!(l, "may" | "can" | "must" | "should" | "never")
        });
        if !title_ok || !rest_acts {
            return 0;
        }
        // Read the heading on the side; keep it only if it named nothing.
        let saved = (
            self.ents.len(),
            self.assume.len(),
            self.groups.len(),
            self.mentions.len(),
            self.cue,
            self.brk,
            self.last_mention_tok,
            self.last_action_tok,
        );
        let mut h = Acc::default();
        self.scan(&mut h, 0, end);
        let named_nothing = self.mentions.len() == saved.3
            && h.paths.is_empty()
            && h.dirs.is_empty()
            && h.binaries.is_empty()
            && h.ports.is_empty()
            && h.cidrs.is_empty()
            && h.fqdns.is_empty()
            && h.syscalls.is_empty()
            && h.caps.is_empty()
            && h.selector.is_empty()
            && !h.all_pods_word
            && !h.cluster_wide_word;
        let engines: Vec<Entity> = self.ents[saved.0..]
            .iter()
            .filter(|e| matches!(e.kind, EntityKind::Engine | EntityKind::Policy))
            .cloned()
            .collect();
        self.ents.truncate(saved.0);
        self.assume.truncate(saved.1);
        self.groups.truncate(saved.2);
        self.mentions.truncate(saved.3);
        (
            self.cue,
            self.brk,
            self.last_mention_tok,
            self.last_action_tok,
        ) = (saved.4, saved.5, saved.6, saved.7);
        if !named_nothing {
            return 0;
        }
        self.ents.extend(engines);
        a.engines = h.engines;
        a.weak_engine = h.weak_engine;
        a.owner_only = h.owner_only;
        end
    }

    /// Where a second clause that blocks part of an allow-list starts ("allow
    /// reads of /var/www/ but block /var/www/private/"; "…; deny writes to …").
    fn deny_clause_start(&self) -> Option<usize> {
        let n = self.toks.len();
        let allows = |range: std::ops::Range<usize>| {
            range.into_iter().any(|j| {
                let l = self.low(j);
                ALLOW_WORDS.contains(&l) || l == "only"
            })
        };
        (1..n).find(|&j| {
            let gap = &self.text[self.toks[j - 1].end..self.toks[j].start];
            let boundary = self.low(j) == "but" || gap.contains(';') || gap.contains(". ");
            let blocks = (j..(j + 4).min(n)).any(|k| {
                let l = self.low(k);
                BLOCK_WORDS.contains(&l)
                    || matches!(l, "not" | "never")
                        && !ALLOW_WORDS.contains(&self.low(k + 1))
                        && self.low(k + 1) != "be"
            });
            boundary && blocks && allows(0..j) && !allows(j..n)
        })
    }

    /// Reads tokens `from..to` (one clause) into `a`.
    fn scan(&mut self, a: &mut Acc, from: usize, to: usize) {
        let lower_all = self.text.to_lowercase();
        let syscall_ctx = lower_all.contains("syscall") || lower_all.contains("system call");
        let cap_ctx = lower_all.contains("capabilit") || lower_all.contains("cap_");
        let exec_ctx = self
            .toks
            .iter()
            .any(|t| EXEC_VERBS.contains(&t.lower.as_str()));
        let mut mode = Mode::None;
        let n = to;
        let mut i = from;
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
                && let Some((act, k, negated)) = self.action_phrase(i, a)
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
                if l == "only" && act == Action::Allow && self.only_before_subject(i) {
                    // "only app=web may connect to app=db": the subject is the peer.
                    a.only_subject = true;
                }
                if l.starts_with("isolat") {
                    a.isolate = true;
                    a.all_word = true;
                }
                if prev == "default" && act == Action::Block && k == i
                    || matches!(l, "deny-all" | "default-deny")
                {
                    a.default_deny = true;
                    a.all_word = true;
                }
                if matches!(self.low(k + 1), "all" | "everything" | "any") && {
                    let w = self.low(k + 2);
                    ALL_WHAT.contains(&w) || w.is_empty() || self.toks[k + 1].comma
                } || self.low(k + 1) == "everything"
                {
                    a.all_word = true;
                }
                self.last_action_tok = Some(k);
                i = k + 1;
                continue;
            }
            if l == "only" {
                a.only = true;
                if self.only_before_subject(i) {
                    a.only_subject = true;
                }
            }
            if matches!(l, "may" | "can" | "could")
                && !matches!(next.as_str(), "not" | "never" | "be")
                && !next.is_empty()
            {
                a.modal_allow = true;
            }
            if l == "lock" && next == "down" {
                self.ent(EntityKind::Action, t.start, self.toks[i + 1].end);
                a.block.get_or_insert("lock down".to_string());
                a.isolate = true;
                a.all_word = true;
                i += 2;
                continue;
            }
            // Policy names: "all-egress-deny", "default-deny-ingress", "allow-all-egress".
            if l.contains('-') && !l.starts_with('/') && {
                let parts: Vec<&str> = l.split('-').collect();
                parts.len() >= 3
                    && parts.iter().any(|p| matches!(*p, "deny" | "allow"))
                    && parts.contains(&"all")
                    && parts.iter().all(|p| {
                        matches!(
                            *p,
                            "deny" | "allow" | "all" | "default" | "ingress" | "egress"
                        )
                    })
            } {
                let parts: Vec<&str> = l.split('-').collect();
                self.ent(EntityKind::Action, t.start, t.end);
                if parts.contains(&"deny") {
                    a.block.get_or_insert(t.text.to_string());
                    a.default_deny = true;
                } else {
                    a.allow.get_or_insert(t.text.to_string());
                }
                a.all_word = true;
                let (ing, eg) = (parts.contains(&"ingress"), parts.contains(&"egress"));
                a.dir_explicit = match (ing, eg) {
                    (true, false) => Some(Direction::Ingress),
                    (false, true) => Some(Direction::Egress),
                    (true, true) => Some(Direction::Both),
                    _ => a.dir_explicit,
                };
                i += 1;
                continue;
            }
            if matches!(l, "default-deny" | "deny-all") {
                self.ent(EntityKind::Action, t.start, t.end);
                a.block.get_or_insert(t.text.to_string());
                a.default_deny = true;
                a.all_word = true;
                i += 1;
                continue;
            }
            // "… and nothing else", "no other …": an allow-list.
            if (l == "nothing" && matches!(next.as_str(), "else" | "more"))
                || (l == "no" && matches!(next.as_str(), "other" | "others"))
            {
                a.only = true;
                i += 2;
                continue;
            }
            // "all pods of namespace shop", "every pod", "the whole namespace".
            if (matches!(l, "all" | "every" | "each")
                && matches!(next.as_str(), "pods" | "pod" | "workloads" | "workload")
                || matches!(l, "whole" | "entire") && next == "namespace"
                || l == "namespace-wide")
                && self.cue != Some(Cue::From)
            {
                a.all_pods_word = true;
                i += if l == "namespace-wide" { 1 } else { 2 };
                // "every pod of shop"
                if matches!(self.low(i), "of" | "in")
                    && let Some(nt) = self.toks.get(i + 1).cloned()
                    && let name = nt.text.trim_end_matches(':')
                    && is_ns_name(name)
                    && !reserved(name)
                    && !matches!(name, "namespace" | "namespaces")
                {
                    self.mention(
                        Who::Ns(name.to_string()),
                        i + 1,
                        nt.start,
                        nt.start + name.len(),
                    );
                    i += 2;
                }
                continue;
            }
            // "pods in namespace shop …" (no labels): every pod of it.
            if matches!(l, "pods" | "workloads" | "containers")
                && matches!(next.as_str(), "in" | "of")
                && (i == from || matches!(prev.as_str(), "for" | "the" | "on" | "to" | "by"))
                && self.cue.is_none_or(|c| c == Cue::None)
            {
                a.all_pods_word = true;
            }
            // A system namespace after "to"/"from": "egress to kube-system".
            if matches!(self.cue, Some(Cue::To | Cue::From))
                && (l.ends_with("-system") || l == "kube-public")
                && is_ns_name(t.text)
            {
                self.mention(Who::Ns(t.text.to_string()), i, t.start, t.end);
                i += 1;
                continue;
            }
            // "cluster-wide", "across the cluster", "in all namespaces".
            let all_ns = matches!(l, "all" | "every" | "any")
                && matches!(next.as_str(), "namespaces" | "namespace");
            let cued_group = matches!(self.groups.last(), Some(Cue::From | Cue::To))
                && prev == "in"
                && self.after_mention(i - 1);
            if all_ns
                && (matches!(prev.as_str(), "from" | "to")
                    || matches!(self.cue, Some(Cue::From | Cue::To))
                    || cued_group)
            {
                self.mention(Who::AnyNs, i, t.start, self.toks[i + 1].end);
                i += 2;
                continue;
            }
            if matches!(l, "cluster-wide" | "clusterwide")
                || l == "across" && next == "the" && self.low(i + 2) == "cluster"
                || l == "cluster" && next == "wide"
                || all_ns
            {
                a.cluster_wide_word = true;
                i += match l {
                    "across" => 3,
                    "cluster" => 2,
                    _ if all_ns => 2,
                    _ => 1,
                };
                continue;
            }
            if matches!(l, "all" | "any" | "everything")
                && (ALL_WHAT.contains(&next.as_str()) || next.is_empty())
                || matches!(l, "anything" | "everything")
            {
                a.all_word = true;
            }
            // "owner only", "only by its owner".
            if matches!(l, "owner-only" | "owner")
                && (l == "owner-only"
                    || next == "only"
                    || matches!(prev.as_str(), "its" | "the" | "their") && {
                        let p2 = if i >= 2 { self.low(i - 2) } else { "" };
                        matches!(p2, "by" | "only") || self.low(i - 3) == "only"
                    })
            {
                a.owner_only = true;
                i += if next == "only" { 2 } else { 1 };
                continue;
            }
            // Entities: "the internet", "the kube-apiserver", "to the host".
            let peer_ctx = matches!(prev.as_str(), "to" | "from" | "the" | "reach")
                || matches!(self.cue, Some(Cue::To | Cue::From));
            if let Some((ent, len)) = entity_word(l, &next)
                && (ent != NetworkEntity::Host || peer_ctx)
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
            // "10.0.0.0/8 except 10.1.0.0/16".
            if !a.cidrs.is_empty()
                && (matches!(l, "except" | "excluding" | "excepting")
                    || l == "but" && next == "not"
                    || l == "other" && next == "than")
                && parse_cidr(if l == "except" || l == "excluding" || l == "excepting" {
                    &next
                } else {
                    self.low(i + 2)
                })
                .is_some()
            {
                a.cidr_except = true;
                i += if matches!(l, "but" | "other") { 2 } else { 1 };
                continue;
            }
            // "the nginx app" → app=nginx
            if prev == "the"
                && matches!(
                    next.as_str(),
                    "app" | "application" | "service" | "pods" | "deployment" | "workload"
                )
                && is_ns_name(t.text)
                && !reserved(l)
            {
                self.mention(
                    Who::Label("app".into(), t.text.to_string()),
                    i,
                    t.start,
                    t.end,
                );
                push_uniq(
                    &mut self.assume,
                    format!("\"the {l} {next}\" read as the pods labelled app={l}"),
                );
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
            // Namespaces by label: "namespaces labelled team=ops".
            if matches!(l, "namespace" | "namespaces")
                && matches!(next.as_str(), "labelled" | "labeled" | "with" | "having")
            {
                let k = if matches!(self.low(i + 2), "label" | "labels") {
                    i + 3
                } else {
                    i + 2
                };
                if let Some(lt) = self.toks.get(k).cloned()
                    && let Some((key, v)) = split_label(lt.text)
                {
                    self.mention(Who::NsLabel(key, v), k, lt.start, lt.end);
                    i = k + 1;
                    continue;
                }
            }
            // Namespaces.
            if matches!(l.trim_end_matches(':'), "namespace" | "ns" | "namespaces") && i + 1 < n {
                let nt = self.toks[i + 1].clone();
                let name = nt.text.trim_end_matches(':');
                if is_ns_name(name) && !not_a_name(name) {
                    let end = nt.start + name.len();
                    self.mention(Who::Ns(name.to_string()), i + 1, nt.start, end);
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
            if next.trim_end_matches(':') == "namespace"
                && is_ns_name(t.text)
                && !not_a_name(l)
                && parse_port(l).is_none()
            {
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
                && is_ns_name(self.toks[i + 1].text.trim_end_matches(':'))
                && !reserved(next.trim_end_matches(':'))
                && !matches!(self.low(i + 2), "namespace" | "app" | "application")
                && parse_port(&next).is_none()
            {
                let nt = self.toks[i + 1].clone();
                let name = nt.text.trim_end_matches(':');
                self.mention(
                    Who::Ns(name.to_string()),
                    i + 1,
                    nt.start,
                    nt.start + name.len(),
                );
                push_uniq(
                    &mut self.assume,
                    format!("\"{l} {name}\" read as namespace {name}"),
                );
                i += 2;
                continue;
            }
            // "app=web (shop)", "(app=web, shop)", "app=web pods, shop".
            let closes = self.text[t.end..].starts_with(')');
            let last = i + 1 == self.toks.len();
            let after_comma = i > 0 && self.toks[i - 1].comma;
            if (t.paren || after_comma && (closes || last))
                && self.after_mention(i)
                && is_ns_name(t.text)
                && !reserved(l)
                && !matches!(next.as_str(), "deny" | "allow" | "block")
            {
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
            let consumed = self.value(a, i, &mut mode, syscall_ctx, cap_ctx, exec_ctx);
            i += consumed;
        }
    }
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
