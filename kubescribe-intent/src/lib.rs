//! # kubescribe-intent
//!
//! The offline natural-language intent parser (lexicon and clause rules, no
//! model): [`parse_intent`] turns what an operator wrote — "only let app=nginx
//! in namespace shop read /var/www and run nginx", a ticket, a chat message,
//! a review comment — into an [`Intent`], with the entities it recognised
//! (kind, text, byte span) and the assumptions it made. Missing or ambiguous
//! information is an [`IntentParseError`] naming what to supply; the parser
//! never invents a value or widens a scope the text did not give.
//! [`restate`] says a parsed intent back in plain language (and parses back
//! to the same intent).
//!
//! It sits above the observations: pod names resolve through
//! `kubescribe-events`'s [`PodResolver`] (the event store or a cluster), and
//! below synthesis, which turns the intent into policies
//! (`kubescribe-synth`).
//!
//! ```
//! let parsed = kubescribe_intent::parse_intent(
//!     "block writes to /etc/nginx/ for app=nginx in namespace shop").unwrap();
//! assert_eq!(parsed.intent.scope.namespace.as_deref(), Some("shop"));
//! println!("{}", kubescribe_intent::restate(&parsed.intent));
//! ```

mod action_record;
mod actions;
mod admission;
mod ask_forms;
mod call_or_cap;
mod chat;
mod clauses;
mod code_comments;
mod commanded;
mod commit;
mod context_values;
mod corrections;
mod criteria;
mod delimited;
mod engines;
mod exceptions;
mod excluded_pods;
mod file_sources;
mod file_verbs;
mod findings;
mod finish;
mod form_fields;
mod forms;
mod lexicon;
mod manifest_asks;
mod masks;
mod missing;
mod namespaces;
mod needed_refs;
mod not_done;
mod numbers;
mod paren_ports;
mod pasted;
mod phrases;
mod program_names;
mod protocol_ports;
mod quoted_lines;
mod read;
mod reasons;
mod restate;
mod runtime_names;
mod scan;
mod scope_words;
mod sections;
mod sentences;
mod sides;
mod story_scope;
mod subject;
mod tables;
mod terminal;
mod token_kinds;
mod typos;
mod unnamed;
mod untouched;
mod untouched_clauses;
mod values;
mod wrapped;

pub use read::{parse_intent, parse_intent_with};
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
use phrases::{ENTITY_MODIFIED, PROCESS_HEADS};
use runtime_names::*;
use token_kinds::*;

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
    // "block all ports except 443": every port is all the traffic.
    "ports",
    "destinations",
    "addresses",
    "ips",
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
    "packet",
    "connection",
    "process",
    "processes",
    "execution",
    "executions",
    "file",
    "files",
    "binaries",
    "executables",
    "programs",
    "capabilities",
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
    /// "from pods in its own namespace": every pod of the policy's namespace.
    SameNs,
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
    /// Token index of the preposition in `cue`.
    cue_at: usize,
    /// A resource came between the last mention and the next one.
    brk: bool,
    groups: Vec<Cue>,
    mentions: Vec<Mention>,
    /// Token index of the last workload mention.
    last_mention_tok: Option<usize>,
    /// Token index of the last action word.
    last_action_tok: Option<usize>,
    /// What a terminal session pasted with the ask gives it.
    session: terminal::Session,
}

#[derive(Default)]
struct Acc {
    engines: Vec<(Engine, String)>,
    weak_engine: Option<(Engine, String)>,
    selector: Vec<String>,
    allow: Option<String>,
    block: Option<String>,
    audit: Option<String>,
    /// An alert message's tag ("Alert! …", "(Notification) …"): audit only
    /// when nothing else in the text says what to do.
    audit_tag: Option<String>,
    negated_allow: bool,
    except: bool,
    /// The token of a label left out of the scope ("pods other than app=x").
    excluded_label: Option<usize>,
    only: bool,
    dir_explicit: Option<Direction>,
    /// The direction a skipped heading named ("DENY external egress: …"),
    /// used when the intent itself names none.
    heading_dir: Option<Direction>,
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
    /// Entities an address named ("the api server (172.31.0.1)").
    addressed_entities: Vec<NetworkEntity>,
    /// Executables that act ("only /usr/sbin/nginx may read …").
    sources: Vec<String>,
    /// Executables glossing a program's name ("keysigner
    /// (/usr/local/bin/keysigner)"), also kept as paths: the sources of a
    /// file intent that names other files.
    programs: Vec<String>,
    /// Programs named in a parenthesised list ("(apt, apt-get, yum)"): the
    /// binaries when no path is given for them.
    listed: Vec<String>,
    /// Service names used where a port was expected (never turned into ports).
    services: Vec<String>,
    /// A port said but not given ("the backend's port").
    unnamed_port: Option<String>,
    /// Destinations said but not given: "explicitly approved domains",
    /// "trusted IPs" (refused with `which traffic`).
    unnamed_peer: Option<String>,
    /// A peer said by a common noun alone ("from the exam room"), with the
    /// direction its preposition gives: refused when no peer is named.
    vague_peer: Option<(String, Option<Direction>)>,
    /// The group of workloads "Applies to:" names (it is the policy's).
    applies_to_group: Option<usize>,
    /// An allow-list said but perhaps not given ("not on our allowlist"):
    /// refused when the intent names nothing it holds.
    unnamed_list: Option<String>,
    /// Everyone but someone ("anybody other than …"): refused when no peer
    /// is named.
    excepted_who: Option<String>,
    /// "all traffic", "deny all", "default deny", "isolate": the whole domain.
    all_word: bool,
    /// "isolate"/"default deny": a default deny (both directions unless said).
    isolate: bool,
    default_deny: bool,
    /// "deny all (incoming) traffic" said before any allow.
    deny_all_first: bool,
    /// A deny of "other"/"non-whitelisted" traffic.
    deny_others: bool,
    /// "add egress rules for …", "add an ingress rule": rules to allow.
    adds_rule: bool,
    /// "all pods in namespace X" and friends.
    all_pods_word: bool,
    /// …said right after "from"/"to" ("from every pod in namespace shop").
    all_pods_cued: bool,
    cluster_wide_word: bool,
    /// "in each namespace", "every namespace" (singular): a policy per
    /// namespace — the one named when the text names one ("… in each
    /// namespace: do it for namespace payments"), else cluster-wide. A
    /// cluster-wide kind (CiliumClusterwideNetworkPolicy, GlobalNetworkPolicy)
    /// reads the same way.
    wide_unless_ns: bool,
    /// "pods in the same namespace talk to each other": the selected pods
    /// are their own peers.
    each_other: bool,
    /// "… and the redis pods themselves", "the other cockroachdb pods": the
    /// selected pods among other peers (the name said, empty for
    /// "themselves"; it must be one of their label values).
    self_peer: Option<String>,
    /// "only app=web may connect to …": "only" restricts the subject.
    only_subject: bool,
    /// "Only app=shlink may connect on 6379 in namespace links": the pods
    /// "only" lets connect, with no object and no pods named before (the
    /// words said): the pods connected to are missing.
    connects_to_unnamed: Option<String>,
    /// The executables acting on the files were excepted from their denial
    /// ("deny /vault/ unless it is /bin/vault"): only they may access them.
    excepted_sources: bool,
    /// Executables resolved from a program's name ("ssh", "ping"), not
    /// given as paths.
    named_binaries: Vec<String>,
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
    /// A correction narrowed the operation to writes ("actually only the
    /// writes").
    only_writes: bool,
    read_only_word: bool,
    /// …said as a state the files keep ("must stay read-only").
    read_only_state: bool,
    /// "access"/"open": any operation, whatever else is said ("accessed or
    /// modified").
    any_access: bool,
    file_verb: bool,
    exec_verb: bool,
    non_recursive: bool,
    /// "it"/"them" as what is reached, with no workload named before it.
    dangling_it: bool,
    /// An action participle after a determiner ("the restricted endpoints",
    /// "an isolated namespace"): it describes a noun, and is the action only
    /// when nothing else in the text is.
    adjective_action: Option<(Action, String)>,
}

fn push_uniq(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        let toks = tokenize(text);
        // "alow" read as "allow": said, as every reading that is not literal.
        let assume = toks
            .iter()
            .filter(|t| !t.lower.contains('\'') && t.lower != t.text.to_lowercase())
            .map(|t| format!("\"{}\" read as \"{}\"", t.text, t.lower))
            .fold(Vec::new(), |mut v: Vec<String>, a| {
                if !v.contains(&a) {
                    v.push(a);
                }
                v
            });
        Parser {
            text,
            toks,
            ents: Vec::new(),
            assume,
            cue: None,
            cue_at: 0,
            brk: false,
            groups: Vec::new(),
            mentions: Vec::new(),
            last_mention_tok: None,
            last_action_tok: None,
            session: terminal::Session::default(),
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
        // Offsets come from the text's tokens; a word read otherwise (a
        // slip corrected) never moves them past the text.
        self.ents.push(Entity {
            kind,
            text: self.text.get(start..end).unwrap_or_default().to_string(),
            start,
            end,
        });
    }

    fn mention(&mut self, who: Who, tok: usize, start: usize, end: usize) {
        let cued = matches!(self.cue, Some(Cue::From | Cue::To));
        // Words between two mentions that are not glue start another group
        // ("to the backend (role=backend) so that only pods with label
        // role=client can …").
        let far = self.last_mention_tok.is_some_and(|m| {
            m < tok
                && (m + 1..tok)
                    .filter(|&j| {
                        !matches!(
                            self.low(j),
                            "and"
                                | "or"
                                | "in"
                                | "of"
                                | "the"
                                | "pods"
                                | "pod"
                                | "namespace"
                                | "namespaces"
                                | "ns"
                                // "pods labelled a=b which are in / that
                                // run in namespaces labelled c=d" (not
                                // "so that only …": three words).
                                | "which"
                                | "are"
                                | "run"
                                | "labelled"
                                | "labeled"
                                | "with"
                                | "label"
                                | "labels"
                                | "app"
                        )
                    })
                    .count()
                    > 2
        });
        let new_group = match self.cue.take() {
            Some(c) => Some(c),
            None if self.groups.is_empty() || self.brk || far => Some(Cue::None),
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

    /// Whether token `i` opens a closing aside that names the policy's own
    /// workload: "allow ingress on 3550 from app=frontend (namespace shop,
    /// app=productcatalogservice)". Only when every workload named so far
    /// came after "from"/"to" (no subject yet), and the aside, the text's
    /// last words, gives a label (or "all pods") and a namespace.
    fn scope_aside(&self, i: usize) -> bool {
        let Some(t) = self.toks.get(i) else {
            return false;
        };
        if !t.paren || self.groups.is_empty() || self.groups.contains(&Cue::None) {
            return false;
        }
        let Some(close) = self.text[t.start..].find(')').map(|k| t.start + k) else {
            return false;
        };
        if !self.text[close + 1..]
            .trim()
            .chars()
            .all(|c| c.is_ascii_punctuation())
        {
            return false;
        }
        let inside: Vec<usize> = (i..self.toks.len())
            .take_while(|&k| self.toks[k].start < close)
            .collect();
        let all_pods = inside.iter().any(|&k| {
            matches!(self.low(k).trim_start_matches('('), "all" | "every")
                && matches!(self.low(k + 1), "pods" | "pod")
        });
        (all_pods
            || inside
                .iter()
                .any(|&k| split_label(self.toks[k].text).is_some()))
            && inside
                .iter()
                .any(|&k| matches!(self.low(k).trim_start_matches('('), "namespace" | "ns"))
    }

    /// Whether token `i` stands in what access is granted to: "exclusively
    /// to", "only to", "solely to" a few words before it ("… exclusively to
    /// mysqld and mysqladmin (/usr/sbin/mysqld, /usr/bin/mysqladmin)").
    fn granted_to(&self, i: usize) -> bool {
        (i.saturating_sub(8)..i).any(|j| {
            matches!(self.low(j), "exclusively" | "only" | "solely") && self.low(j + 1) == "to"
        })
            // "access to /var/run/secrets/ is restricted to /usr/bin/app".
            || i >= 2
                && self.low(i - 1) == "to"
                && matches!(self.low(i - 2), "restricted" | "limited" | "confined" | "reserved")
            // "reading that file should only be possible for the JVM,
            // /usr/share/…/java".
            || (i.saturating_sub(6)..i).any(|j| {
                matches!(self.low(j), "possible" | "permitted" | "reserved")
                    && self.low(j + 1) == "for"
                    && (j + 1..i).all(|k| !self.toks[k].text.starts_with('/'))
            })
            || self.agent_of_access(i)
    }

    /// Whether token `i` names who a file is readable or writable by ("…
    /// should only be readable by the Lenses process (/opt/lenses/bin/lenses)",
    /// "readable only by user running nginx (/usr/sbin/nginx)").
    pub(crate) fn agent_of_access(&self, i: usize) -> bool {
        (i.saturating_sub(6)..i).any(|j| {
            self.low(j) == "by"
                && (j.saturating_sub(3)..j).any(|k| {
                    matches!(
                        self.low(k),
                        "readable"
                            | "writable"
                            | "writeable"
                            | "accessible"
                            | "read"
                            | "written"
                            | "accessed"
                            | "opened"
                            | "modified"
                    )
                })
                // ("… only by the service itself, /app/orders-svc": the path
                // set off by a comma names it.)
                && (j..i).all(|k| {
                    !self.toks[k].text.starts_with('/') && (!self.ends_clause(k) || k + 1 == i)
                })
        })
    }

    /// Whether addresses in parentheses follow token `i` (after at most one
    /// noun): "the IPs of the K8s API server endpoints (10.137.16.20, …)" —
    /// the addresses are what is named, the entity only describes them.
    fn addresses_follow(&self, i: usize) -> bool {
        let cidr = |k: usize| {
            self.toks.get(k).is_some_and(|t| {
                parse_cidr(t.text.trim_matches(|c: char| "(),;".contains(c))).is_some()
            })
        };
        (i..i + 2).any(|k| cidr(k) && self.toks[k].paren)
            // "the apiserver at 172.18.0.2", "the apiserver endpoint
            // 172.18.0.2", "our node subnet 192.168.10.0/24".
            || matches!(
                self.low(i),
                "at" | "endpoint" | "address" | "ip" | "subnet" | "network" | "range" | "cidr"
            ) && cidr(i + 1)
    }

    /// Whether a label in parentheses follows token `i` right away: "the API
    /// server (app=api-server)" names pods so labelled, not the entity.
    fn labels_follow(&self, i: usize) -> bool {
        self.toks.get(i).is_some_and(|t| {
            t.paren && split_label(t.text.trim_matches(|c: char| "(),;".contains(c))).is_some()
        })
    }

    /// Whether "write" at token `i` asks for the policy ("can you write
    /// that", "pls write me a kubearmor policy …"), not a write of files.
    fn asks_to_write_policy(&self, i: usize) -> bool {
        let policy_word = |k: usize| {
            let w = self.low(k).trim_end_matches([',', '.', '?', ':']);
            matches!(
                w,
                "policy" | "policies" | "rule" | "rules" | "netpol" | "manifest" | "yaml"
            ) || engine_word(w).is_some()
        };
        matches!(
            self.prev_low(i),
            "you" | "u" | "please" | "pls" | "plz" | "pl"
        ) || matches!(
            self.low(i + 1).trim_end_matches(['.', '?', '!']),
            "me" | "that" | "this" | "up"
        ) || matches!(self.low(i + 1), "a" | "an" | "the" | "one")
            && (i + 2..(i + 5).min(self.toks.len())).any(policy_word)
    }

    /// The index of the address at token `k` or after a few words that only
    /// describe it ("except the private IP ranges 10.0.0.0/8, …", "except
    /// RFC 1918 networks: 10.0.0.0/8"); `None` when none follows.
    fn cidr_after_description(&self, k: usize) -> Option<usize> {
        // "except the private, loopback, link-local and multicast ranges
        // 10.0.0.0/8, …": a list of adjectives before the word for them.
        let plain = |j: usize| {
            let w = self.low(j).trim_end_matches(',');
            !w.is_empty() && w.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
        };
        if let Some(c) = (k..(k + 14).min(self.toks.len()))
            .take_while(|&j| {
                plain(j) || parse_cidr(self.low(j).trim_end_matches([',', '.', ')'])).is_some()
            })
            .find(|&j| parse_cidr(self.low(j).trim_end_matches([',', '.', ')'])).is_some())
            && c > k
            && matches!(
                self.low(c - 1).trim_end_matches(':'),
                "ranges" | "networks" | "subnets" | "cidrs" | "blocks" | "addresses"
            )
            && (k..c - 1).any(|j| self.toks[j].comma || matches!(self.low(j), "and" | "or"))
        {
            return Some(c);
        }
        (k..(k + 6).min(self.toks.len()))
            .take_while(|&j| {
                j == k
                    || matches!(
                        self.low(j - 1).trim_end_matches([':', ',']),
                        "the"
                            | "for"
                            | "private"
                            | "internal"
                            | "local"
                            | "link-local"
                            | "ip"
                            | "ips"
                            | "ipv4"
                            | "address"
                            | "addresses"
                            | "range"
                            | "ranges"
                            | "network"
                            | "networks"
                            | "subnet"
                            | "subnets"
                            | "cidr"
                            | "cidrs"
                            | "block"
                            | "blocks"
                            | "rfc"
                            | "rfc1918"
                            | "1918"
                            // "except our own worker nodes at …", "the VPC CIDR".
                            | "our"
                            | "own"
                            | "my"
                            | "vpc"
                            | "vnet"
                            | "node"
                            | "nodes"
                            | "worker"
                            | "workers"
                            | "at"
                            | "cluster"
                            | "office"
                            | "corporate"
                    ) && !self.ends_clause(j - 1)
                    || self.low(j - 1).ends_with(':')
                    // "the seed network 10.180.0.0/16": a name of its own
                    // before a word for a network.
                    || matches!(
                        self.low(j),
                        "network" | "networks" | "range" | "ranges" | "subnet" | "subnets" | "cidr"
                    ) && self.low(j - 1).chars().all(|c| c.is_ascii_alphabetic() || c == '-')
                        && !self.ends_clause(j - 1)
            })
            .find(|&j| parse_cidr(self.low(j).trim_end_matches([',', '.', ')'])).is_some())
    }

    /// Whether the clause from token `i` carves an exception out ("… no
    /// traffic except from app=api", "nothing but port 443"): then "no" and
    /// "nothing" state an allow-list's posture, not a default deny.
    fn excepts_after(&self, i: usize) -> bool {
        let mut j = i;
        while j < self.toks.len() && j < i + 8 {
            let l = self.low(j);
            if matches!(
                l,
                "except" | "excepting" | "excluding" | "but" | "besides" | "unless"
            ) || l == "other" && self.low(j + 1) == "than"
                || l == "apart" && self.low(j + 1) == "from"
            {
                return true;
            }
            if self.ends_clause(j) {
                return false;
            }
            j += 1;
        }
        false
    }

    /// How many more parentheses the text between byte offsets `from` and
    /// `to` opens than it closes (negative: it closes more): whether a
    /// clause mark there lies inside an aside ("(app: web, ns shop)").
    fn paren_depth(&self, from: usize, to: usize) -> isize {
        let s = &self.text[from..to];
        s.matches('(').count() as isize - s.matches(')').count() as isize
    }

    fn low(&self, i: usize) -> &str {
        self.toks.get(i).map(|t| t.lower.as_str()).unwrap_or("")
    }

    /// The lower-cased word before token `i` ("" at the start).
    fn prev_low(&self, i: usize) -> &str {
        i.checked_sub(1).map_or("", |j| self.low(j))
    }

    /// Whether token `i` is an alert message's tag: an audit word that opens
    /// its sentence and ends in "!" or stands in parentheses ("Alert! …",
    /// "(Notification) …").
    fn alert_tag(&self, i: usize) -> bool {
        let Some(t) = self.toks.get(i) else {
            return false;
        };
        let after = &self.text[t.end..];
        let opens = i == 0 || self.ends_clause(i - 1) || {
            let gap = &self.text[self.toks[i - 1].end..t.start];
            gap.contains('!')
        };
        opens && (after.starts_with('!') || t.paren && after.starts_with(')'))
    }

    /// Whether token `i` ends a clause: a trailing comma, full stop,
    /// semicolon or colon.
    fn ends_clause(&self, i: usize) -> bool {
        self.toks.get(i).is_some_and(|t| {
            let next = self
                .toks
                .get(i + 1)
                .map(|n| n.start)
                .unwrap_or(self.text.len());
            t.comma || self.text[t.start..next].trim_end().ends_with(':')
        })
    }

    /// Whether the words before token `i` in its clause (at most six) say
    /// something is not used or needed ("we don't use the UDP feature
    /// anywhere"): a description, where "anywhere" is nowhere, not a
    /// scope (unlike "not allowing connections anywhere", a block).
    fn unused_before(&self, i: usize) -> bool {
        let words: Vec<String> = (i.saturating_sub(6)..i)
            .rev()
            .take_while(|&k| !self.ends_clause(k))
            .map(|k| self.low(k).replace('’', "'"))
            .collect();
        let negated = words.iter().any(|w| {
            matches!(
                w.as_str(),
                "don't" | "dont" | "doesn't" | "didn't" | "not" | "never" | "won't" | "nor"
            )
        });
        negated
            && words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "use" | "uses" | "using" | "need" | "needs" | "run" | "runs"
                )
            })
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
