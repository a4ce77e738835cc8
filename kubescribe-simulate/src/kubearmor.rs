//! KubeArmor: file, process, network and capability rules with Allow /
//! Audit / Block actions and the default posture.
//!
//! * A rule's action is its own, else its section's, else the policy's
//!   (`Block` when none is given).
//! * `matchPaths` match exactly (a process rule's `execname` by base name),
//!   `matchDirectories` a directory's files (and, `recursive`, everything
//!   below), `matchPatterns` a glob (`*` within one path segment, `**`
//!   across, `?` one character).
//! * `fromSource` restricts a rule to events of the named processes (a path
//!   ending in `/` names a directory); events without a process are unknown.
//! * `readOnly`: an `Allow` covers reads only; a `Block`/`Audit` covers
//!   writes only (the file may still be read). Opens of unknown mode are
//!   unknown.
//! * `ownerOnly` needs the file owner, which events do not carry: unknown.
//! * `Block` wins. When a selecting policy has an `Allow` rule for a domain
//!   (without `fromSource`, or whose `fromSource` names the event's
//!   process), behaviour it does not allow gets the default posture.
//!   `Audit` rules, and an audit posture, make what is allowed *audited*.
//! * Syscall rules, presets and host policies are not simulated (noted).

use std::collections::BTreeMap;

use kubescribe_core::policy::kubearmor::{
    Action, KubeArmorClusterPolicy,
    KubeArmorClusterPolicySpecSelectorMatchExpressionKey as ClusterKey, KubeArmorPolicy, Operator,
    Selector,
};
use kubescribe_events::{Event, EventKind, FileOperation, ProcessAction, SyscallKind};

use super::flow::normalize_protocol;
use super::selector::LabelView;
use super::tri::Tri;
use super::{Decision, Note, PolicyRef, Posture, Verdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Domain {
    File,
    Process,
    Network,
    Capability,
}

impl Domain {
    fn name(self) -> &'static str {
        match self {
            Domain::File => "file",
            Domain::Process => "process",
            Domain::Network => "network",
            Domain::Capability => "capabilities",
        }
    }
}

enum Matcher {
    Path(String),
    ExecName(String),
    Dir { dir: String, recursive: bool },
    Pattern(String),
    Protocol(String),
    Dns(String),
    Capability(String),
}

struct Rule {
    ptr: String,
    domain: Domain,
    action: Action,
    matcher: Matcher,
    from_source: Vec<String>,
    read_only: bool,
    owner_only: bool,
}

enum Scope {
    /// `KubeArmorPolicy`: a namespace and a label selector.
    Namespaced {
        namespace: String,
        selector: Selector,
    },
    /// `KubeArmorClusterPolicy`: namespace and label expressions.
    Cluster(Vec<(ClusterKey, Operator, Vec<String>)>),
}

pub(crate) struct Compiled {
    r: PolicyRef,
    scope: Scope,
    rules: Vec<Rule>,
}

/// Collects rules from the JSON form of a spec: the four sections share
/// their shape across policy kinds, so one walk serves both.
fn collect(r: &PolicyRef, spec: &serde_json::Value, notes: &mut Vec<Note>) -> Vec<Rule> {
    use serde_json::Value;
    let action_of = |v: &Value| -> Option<Action> {
        match v.get("action").and_then(Value::as_str) {
            Some("Allow") => Some(Action::Allow),
            Some("Audit") => Some(Action::Audit),
            Some("Block") => Some(Action::Block),
            _ => None,
        }
    };
    let spec_action = action_of(spec).unwrap_or(Action::Block);
    let mut out = Vec::new();
    let sections = [
        ("file", Domain::File),
        ("process", Domain::Process),
        ("network", Domain::Network),
        ("capabilities", Domain::Capability),
    ];
    for (key, domain) in sections {
        let Some(sec) = spec.get(key) else { continue };
        let sec_action = action_of(sec).unwrap_or(spec_action);
        let lists = [
            "matchPaths",
            "matchDirectories",
            "matchPatterns",
            "matchProtocols",
            "matchDNSQueries",
            "matchCapabilities",
        ];
        for list in lists {
            for (i, item) in sec
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let s = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
                let b = |k: &str| item.get(k).and_then(Value::as_bool).unwrap_or(false);
                let matcher = match list {
                    "matchPaths" => match (s("path"), s("execname")) {
                        (Some(p), _) => Matcher::Path(p),
                        (None, Some(e)) => Matcher::ExecName(e),
                        (None, None) => continue,
                    },
                    "matchDirectories" => match s("dir") {
                        Some(dir) => Matcher::Dir {
                            dir,
                            recursive: b("recursive"),
                        },
                        None => continue,
                    },
                    "matchPatterns" => match s("pattern") {
                        Some(p) => Matcher::Pattern(p),
                        None => continue,
                    },
                    "matchProtocols" => match s("protocol") {
                        Some(p) => Matcher::Protocol(p),
                        None => continue,
                    },
                    "matchDNSQueries" => match s("domain") {
                        Some(p) => Matcher::Dns(p),
                        None => continue,
                    },
                    _ => match s("capability") {
                        Some(c) => Matcher::Capability(normalize_cap(&c)),
                        None => continue,
                    },
                };
                let from_source: Vec<String> = item
                    .get("fromSource")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.get("path").or_else(|| f.get("dir")))
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                if item.get("allowedArgs").is_some() {
                    notes.push(Note {
                        policy: r.clone(),
                        pointer: format!("/spec/{key}/{list}/{i}/allowedArgs"),
                        message:
                            "allowedArgs is not simulated; the rule is matched by binary alone"
                                .into(),
                    });
                }
                out.push(Rule {
                    ptr: format!("/spec/{key}/{list}/{i}"),
                    domain,
                    action: action_of(item).unwrap_or(sec_action),
                    matcher,
                    from_source,
                    read_only: b("readOnly"),
                    owner_only: b("ownerOnly"),
                });
            }
        }
    }
    for (key, what) in [
        ("syscalls", "syscall rules"),
        ("presets", "presets"),
        ("apparmor", "AppArmor profiles"),
    ] {
        if spec.get(key).is_some() {
            notes.push(Note {
                policy: r.clone(),
                pointer: format!("/spec/{key}"),
                message: format!("{what} are not simulated"),
            });
        }
    }
    out
}

/// `CAP_NET_RAW`, `net_raw` → `net_raw`.
fn normalize_cap(c: &str) -> String {
    let c = c.trim().to_ascii_lowercase();
    c.strip_prefix("cap_").unwrap_or(&c).to_string()
}

impl Compiled {
    pub fn new(r: PolicyRef, p: &KubeArmorPolicy, notes: &mut Vec<Note>) -> Compiled {
        let spec = serde_json::to_value(&p.spec).unwrap_or_default();
        let namespace = r.namespace.clone().unwrap_or_else(|| {
            notes.push(Note {
                policy: r.clone(),
                pointer: "/metadata/namespace".into(),
                message: "no namespace given; simulated as namespace `default`".into(),
            });
            "default".into()
        });
        Compiled {
            rules: collect(&r, &spec, notes),
            scope: Scope::Namespaced {
                namespace,
                selector: p
                    .spec
                    .as_ref()
                    .and_then(|s| s.selector.clone())
                    .unwrap_or_default(),
            },
            r,
        }
    }

    pub fn cluster(r: PolicyRef, p: &KubeArmorClusterPolicy, notes: &mut Vec<Note>) -> Compiled {
        let spec = serde_json::to_value(&p.spec).unwrap_or_default();
        let exprs = p
            .spec
            .as_ref()
            .and_then(|s| s.selector.as_ref())
            .and_then(|s| s.match_expressions.clone())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|e| Some((e.key?, e.operator?, e.values.unwrap_or_default())))
            .collect();
        Compiled {
            rules: collect(&r, &spec, notes),
            scope: Scope::Cluster(exprs),
            r,
        }
    }

    fn selects(&self, event: &Event) -> Tri {
        let pod = LabelView::pod(&event.pod.labels, event.pod.namespace.as_deref());
        let ns = event.pod.namespace.as_deref();
        let in_ns = |want: &str| match ns {
            Some(n) => Tri::from_bool(n == want),
            None => Tri::maybe("the event does not carry the pod's namespace"),
        };
        let label_in = |values: &[String]| {
            Tri::any(values.iter().map(|kv| match kv.split_once('=') {
                Some((k, v)) => pod.equals(k, v),
                None => pod.has(kv),
            }))
        };
        match &self.scope {
            Scope::Namespaced {
                namespace,
                selector,
            } => in_ns(namespace)
                .and(|| {
                    pod.match_labels(
                        selector
                            .match_labels
                            .iter()
                            .flatten()
                            .map(|(k, v)| (k.as_str(), v.as_str())),
                    )
                })
                .and(|| {
                    Tri::all(selector.match_expressions.iter().flatten().map(|e| {
                        let values = e.values.as_deref().unwrap_or(&[]);
                        match e.operator {
                            Some(Operator::NotIn) => label_in(values).negate(),
                            _ => label_in(values),
                        }
                    }))
                }),
            Scope::Cluster(exprs) => Tri::all(exprs.iter().map(|(key, op, values)| {
                let hit = match key {
                    ClusterKey::Namespace => Tri::any(values.iter().map(|v| in_ns(v))),
                    ClusterKey::Label => label_in(values),
                };
                match op {
                    Operator::In => hit,
                    Operator::NotIn => hit.negate(),
                }
            })),
        }
    }
}

/// What an event presents to KubeArmor's rules.
struct Subject<'a> {
    domain: Domain,
    target: &'a str,
    op: Option<FileOperation>,
    source: Option<&'a str>,
    dns: Option<&'a str>,
}

fn subject(event: &Event) -> Option<Subject<'_>> {
    Some(match &event.kind {
        EventKind::File(f) => Subject {
            domain: Domain::File,
            target: &f.path,
            op: Some(f.operation),
            source: f.process.as_deref(),
            dns: None,
        },
        EventKind::Process(p) if p.action == ProcessAction::Exec => Subject {
            domain: Domain::Process,
            target: &p.binary,
            op: None,
            source: p.parent.as_deref(),
            dns: None,
        },
        EventKind::Process(_) => return None,
        EventKind::Network(n) => {
            if n.protocol.eq_ignore_ascii_case("unix") {
                return None;
            }
            Subject {
                domain: Domain::Network,
                target: &n.protocol,
                op: None,
                source: n.process.as_deref(),
                dns: n.dns_name.as_deref(),
            }
        }
        EventKind::Syscall(s) if s.kind == SyscallKind::Capability => Subject {
            domain: Domain::Capability,
            target: &s.name,
            op: None,
            source: s.process.as_deref(),
            dns: None,
        },
        EventKind::Syscall(_) => return None,
    })
}

fn base_name(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// A path against a directory (`/etc/` with or without the slash).
fn in_dir(path: &str, dir: &str, recursive: bool) -> bool {
    let dir = if dir.ends_with('/') {
        dir.to_string()
    } else {
        format!("{dir}/")
    };
    match path.strip_prefix(dir.as_str()) {
        Some(rest) => !rest.is_empty() && (recursive || !rest.contains('/')),
        None => false,
    }
}

/// A path of a process that may be a bare name (`bash`) when the source
/// gives no path.
fn path_eq(observed: &str, want: &str) -> Tri {
    if observed == want {
        Tri::Yes
    } else if !observed.contains('/') && base_name(want) == observed {
        Tri::maybe(format!(
            "the event names the program `{observed}` without its path"
        ))
    } else {
        Tri::No
    }
}

/// KubeArmor's glob: `*` within one segment, `**` across, `?` one character.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p {
            [] => t.is_empty(),
            [b'*', b'*', rest @ ..] => (0..=t.len()).any(|i| go(rest, &t[i..])),
            [b'*', rest @ ..] => (0..=t.len())
                .take_while(|&i| i == 0 || t[i - 1] != b'/')
                .any(|i| go(rest, &t[i..])),
            [b'?', rest @ ..] => !t.is_empty() && t[0] != b'/' && go(rest, &t[1..]),
            [c, rest @ ..] => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

fn dns_matches(pattern: &str, name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let p = pattern.trim_end_matches('.').to_ascii_lowercase();
    match p.strip_prefix("*.") {
        Some(suffix) => name.ends_with(&format!(".{suffix}")),
        None => p == name,
    }
}

impl Rule {
    fn target(&self, s: &Subject<'_>) -> Tri {
        match &self.matcher {
            Matcher::Path(p) if s.domain == Domain::Process => path_eq(s.target, p),
            Matcher::Path(p) => Tri::from_bool(s.target == p),
            Matcher::ExecName(e) => Tri::from_bool(base_name(s.target) == e),
            Matcher::Dir { dir, recursive } => {
                if s.domain == Domain::Process && !s.target.contains('/') {
                    Tri::maybe(format!(
                        "the event names the program `{}` without its path",
                        s.target
                    ))
                } else {
                    Tri::from_bool(in_dir(s.target, dir, *recursive))
                }
            }
            Matcher::Pattern(p) => Tri::from_bool(glob_matches(p, s.target)),
            Matcher::Protocol(p) => match normalize_protocol(s.target) {
                Some("?") => Tri::maybe("the event does not carry the protocol"),
                got => Tri::from_bool(
                    got == normalize_protocol(p)
                        || p.eq_ignore_ascii_case("raw") && s.target.eq_ignore_ascii_case("raw"),
                ),
            },
            Matcher::Dns(d) => match s.dns {
                Some(n) => Tri::from_bool(dns_matches(d, n)),
                None => Tri::No,
            },
            Matcher::Capability(c) => Tri::from_bool(normalize_cap(s.target) == *c),
        }
    }

    fn source(&self, s: &Subject<'_>) -> Tri {
        if self.from_source.is_empty() {
            return Tri::Yes;
        }
        let Some(src) = s.source else {
            return Tri::maybe("fromSource needs the process, which the event lacks");
        };
        Tri::any(self.from_source.iter().map(|f| {
            if f.ends_with('/') {
                Tri::from_bool(in_dir(src, f, true))
            } else {
                path_eq(src, f)
            }
        }))
    }

    fn mode(&self, s: &Subject<'_>) -> Tri {
        let mut t = Tri::Yes;
        if self.read_only
            && let Some(op) = s.op
        {
            let is_write = match op {
                FileOperation::Write => Tri::Yes,
                FileOperation::Read | FileOperation::Exec => Tri::No,
                FileOperation::Open => {
                    Tri::maybe("readOnly needs the open mode, which the event lacks")
                }
            };
            t = match self.action {
                Action::Allow => is_write.negate(),
                _ => is_write,
            };
        }
        if self.owner_only {
            t = t.and(|| Tri::maybe("ownerOnly needs the file owner, which events do not carry"));
        }
        t
    }

    fn matches(&self, s: &Subject<'_>) -> Tri {
        self.target(s).and(|| self.source(s)).and(|| self.mode(s))
    }
}

/// KubeArmor policies with the posture.
pub(crate) struct Set {
    policies: Vec<Compiled>,
    posture: Posture,
}

impl Set {
    pub fn new(posture: Posture) -> Set {
        Set {
            policies: Vec::new(),
            posture,
        }
    }

    pub fn push(&mut self, c: Compiled) {
        self.policies.push(c);
    }

    pub fn len(&self) -> usize {
        self.policies.len()
    }

    pub fn decide(&self, event: &Event) -> Option<Decision> {
        let s = subject(event)?;
        let mut governed = false;
        let mut block = (Tri::No, None::<(&PolicyRef, &str)>);
        let mut audit = (Tri::No, None::<(&PolicyRef, &str)>);
        let mut allow = (Tri::No, None::<(&PolicyRef, &str)>);
        let mut allow_list = (Tri::No, None::<(&PolicyRef, String)>);
        let mut maybe_at: Option<(&PolicyRef, &str)> = None;
        let mut cache: BTreeMap<usize, Tri> = BTreeMap::new();
        for (pi, p) in self.policies.iter().enumerate() {
            for rule in p.rules.iter().filter(|r| r.domain == s.domain) {
                let sel = cache.entry(pi).or_insert_with(|| p.selects(event)).clone();
                if sel.is_no() {
                    break;
                }
                governed = true;
                let hit = sel.clone().and(|| rule.matches(&s));
                if let Tri::Maybe(_) = hit {
                    maybe_at.get_or_insert((&p.r, &rule.ptr));
                }
                let slot = match rule.action {
                    Action::Block => &mut block,
                    Action::Audit => &mut audit,
                    Action::Allow => {
                        // The allow-list this rule opens: its sources, or everything.
                        let scope = sel.clone().and(|| {
                            if rule.from_source.is_empty() {
                                Tri::Yes
                            } else {
                                rule.source(&s)
                            }
                        });
                        if !scope.is_no() && allow_list.1.is_none() {
                            allow_list.1 = Some((&p.r, format!("/spec/{}", s.domain.name())));
                        }
                        allow_list.0 = std::mem::replace(&mut allow_list.0, Tri::No).or(|| scope);
                        &mut allow
                    }
                };
                if hit.is_yes() && !slot.0.is_yes() {
                    slot.1 = Some((&p.r, &rule.ptr));
                }
                slot.0 = std::mem::replace(&mut slot.0, Tri::No).or(|| hit);
            }
        }
        if !governed {
            return None;
        }
        let what = s.domain.name();
        let outside = allow_list.0.clone().and(|| allow.0.clone().negate());
        let posture_block = match self.posture {
            Posture::Block => outside.clone(),
            Posture::Audit => Tri::No,
        };
        let blocked = block.0.clone().or(|| posture_block.clone());
        let unknown = |why: String| {
            let at = maybe_at
                .map(|(p, r)| (p, r.to_string()))
                .or(allow_list.1.clone())
                .or(block.1.map(|(p, r)| (p, r.to_string())));
            match at {
                Some((p, ptr)) => Decision::new(Verdict::Unknown, p, ptr, why),
                None => Decision {
                    verdict: Verdict::Unknown,
                    policy: None,
                    rule: None,
                    reason: why,
                },
            }
        };
        match blocked {
            Tri::Yes => Some(match (block.0.is_yes(), block.1, &allow_list.1) {
                (true, Some((p, ptr)), _) => Decision::new(
                    Verdict::Block,
                    p,
                    ptr.to_string(),
                    format!("blocked by a {what} Block rule"),
                ),
                (_, _, Some((p, ptr))) => Decision::new(
                    Verdict::Block,
                    p,
                    ptr.clone(),
                    format!(
                        "default posture (block): a {what} allow-list applies and no Allow rule matches"
                    ),
                ),
                _ => Decision::ungoverned("blocked"),
            }),
            Tri::Maybe(why) => Some(unknown(why)),
            Tri::No => {
                let audited = audit.0.clone().or(|| match self.posture {
                    Posture::Audit => outside.clone(),
                    Posture::Block => Tri::No,
                });
                Some(match audited {
                    Tri::Yes => match audit.1 {
                        Some((p, ptr)) if audit.0.is_yes() => Decision::new(
                            Verdict::Audit,
                            p,
                            ptr.to_string(),
                            format!("audited by a {what} Audit rule"),
                        ),
                        _ => match &allow_list.1 {
                            Some((p, ptr)) => Decision::new(
                                Verdict::Audit,
                                p,
                                ptr.clone(),
                                format!(
                                    "default posture (audit): a {what} allow-list applies and no Allow rule matches"
                                ),
                            ),
                            None => Decision::ungoverned("audited"),
                        },
                    },
                    Tri::Maybe(why) => unknown(why),
                    Tri::No => match allow.1 {
                        Some((p, ptr)) => Decision::new(
                            Verdict::Allow,
                            p,
                            ptr.to_string(),
                            format!("allowed by a {what} Allow rule"),
                        ),
                        None => Decision::ungoverned(format!(
                            "no {what} rule of the selecting KubeArmor policies matches"
                        )),
                    },
                })
            }
        }
    }
}
