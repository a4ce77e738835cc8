//! Tetragon `TracingPolicy` / `TracingPolicyNamespaced`: kprobes,
//! tracepoints and LSM hooks, their selectors and actions, against the
//! events Tetragon reports for them (`process_kprobe`, `process_tracepoint`,
//! `process_lsm`, as `kubescribe-events` keeps them).
//!
//! Semantics, from Tetragon's documentation
//! (`docs/content/en/docs/concepts/tracing-policy/selectors.md`,
//! `.../concepts/enforcement.md`):
//!
//! * A hook fires on its function: a kprobe's `call` (with `syscall: true`
//!   the syscall name, whatever its `__x64_sys_`/`sys_` prefix), a
//!   tracepoint's `subsystem/event`, an LSM hook's `hook`.
//! * A hook without selectors posts every call. With selectors, a call
//!   matches when one selector matches (the first one decides the actions);
//!   within a selector every filter must match; within `matchArgs` every
//!   entry; within one entry any value. A call no selector matches is not
//!   reported and nothing is done: Tetragon acts only on matches.
//! * `matchArgs` (`index` names the hook's argument of that index):
//!   `Equal`, `NotEqual`, `Prefix`, `NotPrefix`, `Postfix`, `NotPostfix` on
//!   strings and paths, `Equal`/`NotEqual`/`Mask`/`GT`/`LT` on integers.
//!   `matchBinaries`: `In`, `NotIn`, `Prefix`, `NotPrefix`, `Postfix`,
//!   `NotPostfix` on the process's binary.
//! * Actions: `Sigkill`, `Override`, `NotifyEnforcer` and `Signal` with
//!   signal 9 stop the operation (**block**); `NoPost` lets it pass
//!   silently (**allow**); `Post` (the default) and the other actions let
//!   it pass with an event (**audit**).
//!
//! A hook without path arguments is stored as a syscall event whose `args`
//! list every argument in the hook's order (`string_arg=/etc/passwd
//! int_arg=-100 ...`), so `matchArgs` find an argument by its position; a
//! hook with a path argument is stored as a file event, which keeps the path.
//! A process start (whichever engine observed it) meets a
//! `security_bprm_check` kprobe as that call: its `linux_binprm` argument is
//! the executed binary, `matchBinaries` sees the parent; other exec hooks
//! (`sys_execve`, ...) keep arguments a process event lacks (below).
//!
//! What events do not carry is unknown: `matchNamespaces` (Linux
//! namespaces), `matchPIDs`, `matchCapabilities`, integer arguments of a
//! file hook (the store keeps the path; for `security_file_permission` the
//! access mask is known from the operation kept: read 4, write 2, exec 1). Filters and hooks not modelled
//! (`matchReturnArgs`, `matchNamespaceChanges`, `matchCapabilityChanges`,
//! `InMap`, socket operators, uprobes, USDTs, `fd`-typed arguments, …) make
//! the events they could govern **not simulated**. Events that other
//! engines observed carry no kernel function (or a syscall named their way):
//! a hook that may fire on them is not simulated either.

use serde_json::Value;

use kubescribe_core::policy::tetragon::{TracingPolicy, TracingPolicyNamespaced};
use kubescribe_events::{
    Event, EventKind, FileOperation, ProcessAction, SourceEngine, SyscallKind,
};

use super::selector::LabelView;
use super::tri::Tri;
use super::{Decision, Note, PolicyRef, Verdict};

/// Prefix of the reason of a `Maybe` that comes from a policy part that is
/// not modelled (as opposed to data an event lacks).
const NOT_SIMULATED: &str = "not simulated: ";

fn not_simulated(what: impl std::fmt::Display) -> Tri {
    Tri::maybe(format!("{NOT_SIMULATED}{what}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Block,
    Audit,
    Allow,
}

enum Filter {
    Arg {
        index: u64,
        operator: String,
        values: Vec<String>,
    },
    Binary {
        operator: String,
        values: Vec<String>,
    },
    /// A filter on data no event carries (namespaces, PIDs, capabilities).
    Unknown(String),
    /// A filter the simulator does not model.
    Unsupported(String),
}

struct Sel {
    ptr: String,
    filters: Vec<Filter>,
    outcome: Result<Outcome, String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum HookKind {
    Kprobe { syscall: bool },
    Tracepoint,
    Lsm,
}

struct Hook {
    ptr: String,
    kind: HookKind,
    function: String,
    /// `(index, type)` of the hook's arguments, in the order events list them.
    args: Vec<(u64, String)>,
    selectors: Vec<Sel>,
}

pub(crate) struct Compiled {
    r: PolicyRef,
    namespace: Option<String>,
    pod_selector: Option<Value>,
    container_selector: bool,
    hooks: Vec<Hook>,
    /// Probes of kinds that are not simulated (uprobes, USDTs): pointer,
    /// what, and the binary they are in (`None`: any).
    unsimulated: Vec<(String, String, Option<String>)>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|x| match x {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

fn outcome_of(actions: Option<&Value>) -> Result<Outcome, String> {
    let Some(list) = actions.and_then(Value::as_array) else {
        return Ok(Outcome::Audit);
    };
    let mut out = Outcome::Audit;
    let mut silent = false;
    for a in list {
        let name = a.get("action").and_then(Value::as_str).unwrap_or("Post");
        match name.to_ascii_lowercase().as_str() {
            "sigkill" | "override" | "notifyenforcer" => return Ok(Outcome::Block),
            "signal" => {
                let sig = a.get("argSig").and_then(Value::as_i64);
                if sig == Some(9) {
                    return Ok(Outcome::Block);
                }
            }
            "nopost" => silent = true,
            "post"
            | "followfd"
            | "unfollowfd"
            | "copyfd"
            | "geturl"
            | "dnslookup"
            | "tracksock"
            | "untracksock"
            | "cleanupenforcernotification"
            | "set" => {}
            other => return Err(format!("the action `{other}` is not simulated")),
        }
    }
    if silent {
        out = Outcome::Allow;
    }
    Ok(out)
}

fn compile_selectors(hook_ptr: &str, hook: &Value) -> Vec<Sel> {
    let mut out = Vec::new();
    for (i, s) in hook
        .get("selectors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let ptr = format!("{hook_ptr}/selectors/{i}");
        let mut filters = Vec::new();
        for a in s
            .get("matchArgs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let index = a
                .get("index")
                .and_then(Value::as_u64)
                .or_else(|| a.get("index").and_then(Value::as_str)?.parse().ok());
            match index {
                Some(index) => filters.push(Filter::Arg {
                    index,
                    operator: a
                        .get("operator")
                        .and_then(Value::as_str)
                        .unwrap_or("Equal")
                        .to_string(),
                    values: strings(a.get("values")),
                }),
                None => filters.push(Filter::Unsupported(
                    "a matchArgs entry without an index (args by name)".into(),
                )),
            }
        }
        for b in s
            .get("matchBinaries")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if b.get("followChildren").and_then(Value::as_bool) == Some(true) {
                filters.push(Filter::Unsupported(
                    "matchBinaries with followChildren (children of the binary)".into(),
                ));
            }
            filters.push(Filter::Binary {
                operator: b
                    .get("operator")
                    .and_then(Value::as_str)
                    .unwrap_or("In")
                    .to_string(),
                values: strings(b.get("values")),
            });
        }
        for (key, unknown) in [
            ("matchNamespaces", true),
            ("matchPIDs", true),
            ("matchCapabilities", true),
            ("matchReturnArgs", false),
            ("matchNamespaceChanges", false),
            ("matchCapabilityChanges", false),
            ("matchReturnActions", false),
            ("matchData", false),
            ("matchCurrentCred", false),
            ("matchParentBinaries", false),
        ] {
            if s.get(key).is_some_and(|v| !v.is_null()) {
                filters.push(if unknown {
                    Filter::Unknown(format!("{key} needs process data that events do not carry"))
                } else {
                    Filter::Unsupported(key.to_string())
                });
            }
        }
        out.push(Sel {
            ptr,
            filters,
            outcome: outcome_of(s.get("matchActions")),
        });
    }
    out
}

impl Compiled {
    fn build(
        r: PolicyRef,
        namespace: Option<String>,
        spec: Value,
        notes: &mut Vec<Note>,
    ) -> Compiled {
        let mut hooks = Vec::new();
        let mut unsimulated = Vec::new();
        for (key, kind) in [
            ("kprobes", None),
            ("tracepoints", Some(HookKind::Tracepoint)),
            ("lsmhooks", Some(HookKind::Lsm)),
        ] {
            for (i, h) in spec
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let ptr = format!("/spec/{key}/{i}");
                let (kind, function) = match kind {
                    None => (
                        HookKind::Kprobe {
                            syscall: h.get("syscall").and_then(Value::as_bool).unwrap_or(false),
                        },
                        h.get("call").and_then(Value::as_str).map(str::to_string),
                    ),
                    Some(HookKind::Tracepoint) => (
                        HookKind::Tracepoint,
                        match (
                            h.get("subsystem").and_then(Value::as_str),
                            h.get("event").and_then(Value::as_str),
                        ) {
                            (Some(s), Some(e)) => Some(format!("{s}/{e}")),
                            _ => None,
                        },
                    ),
                    Some(k) => (k, h.get("hook").and_then(Value::as_str).map(str::to_string)),
                };
                let Some(function) = function else {
                    notes.push(Note {
                        policy: r.clone(),
                        pointer: ptr,
                        message: "a hook without its function is not simulated".into(),
                    });
                    continue;
                };
                let args: Vec<(u64, String)> = h
                    .get("args")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|a| {
                        Some((
                            a.get("index")?.as_u64()?,
                            a.get("type")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                        ))
                    })
                    .collect();
                // `call: "list:NAME"` hooks every function of the spec's list.
                let functions = match function.strip_prefix("list:") {
                    None => vec![(kind, function)],
                    Some(name) => {
                        let list = spec
                            .get("lists")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .find(|l| l.get("name").and_then(Value::as_str) == Some(name));
                        let Some(list) = list else {
                            notes.push(Note {
                                policy: r.clone(),
                                pointer: format!("{ptr}/call"),
                                message: format!(
                                    "the list `{name}` is not in spec.lists; the hook is not simulated"
                                ),
                            });
                            continue;
                        };
                        let syscalls = list.get("type").and_then(Value::as_str) == Some("syscalls");
                        strings(list.get("values"))
                            .into_iter()
                            .map(|f| (HookKind::Kprobe { syscall: syscalls }, f))
                            .collect()
                    }
                };
                for (kind, function) in functions {
                    hooks.push(Hook {
                        ptr: ptr.clone(),
                        kind,
                        function,
                        args: args.clone(),
                        selectors: compile_selectors(&ptr, h),
                    });
                }
            }
        }
        // Uprobes and USDTs fire in their binary: the events of a process
        // running it may be acted on, which is not simulated.
        for key in ["uprobes", "usdts"] {
            for (i, probe) in spec
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let ptr = format!("/spec/{key}/{i}");
                let path = probe
                    .get("path")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let what = format!(
                    "{key} are not simulated ({})",
                    path.as_deref().unwrap_or("any binary")
                );
                notes.push(Note {
                    policy: r.clone(),
                    pointer: ptr.clone(),
                    message: format!(
                        "{what}; events of processes running that binary are reported as not simulated"
                    ),
                });
                unsimulated.push((ptr, what, path));
            }
        }
        let container_selector = spec.get("containerSelector").is_some();
        if container_selector {
            notes.push(Note {
                policy: r.clone(),
                pointer: "/spec/containerSelector".into(),
                message: "containerSelector is not simulated; events it could select are reported as not simulated".into(),
            });
        }
        Compiled {
            pod_selector: spec.get("podSelector").cloned(),
            container_selector,
            namespace,
            hooks,
            unsimulated,
            r,
        }
    }

    pub fn cluster(r: PolicyRef, p: &TracingPolicy, notes: &mut Vec<Note>) -> Compiled {
        let spec = serde_json::to_value(&p.spec).unwrap_or_default();
        Compiled::build(r, None, spec, notes)
    }

    pub fn namespaced(
        r: PolicyRef,
        p: &TracingPolicyNamespaced,
        notes: &mut Vec<Note>,
    ) -> Compiled {
        let spec = serde_json::to_value(&p.spec).unwrap_or_default();
        let ns = r.namespace.clone().or_else(|| Some("default".into()));
        Compiled::build(r, ns, spec, notes)
    }

    /// Whether the policy applies to the event's pod (or host).
    fn selects(&self, event: &Event) -> Tri {
        let ns = event.pod.namespace.as_deref();
        let in_ns = match (&self.namespace, ns) {
            (None, _) => Tri::Yes,
            (Some(want), Some(n)) => Tri::from_bool(want == n),
            (Some(_), None) if event.pod.pod.is_none() => Tri::No,
            (Some(_), None) => Tri::maybe("the event does not carry the pod's namespace"),
        };
        in_ns
            .and(|| match &self.pod_selector {
                None => Tri::Yes,
                Some(_) if event.pod.pod.is_none() && ns.is_none() => Tri::No,
                Some(sel) => {
                    let view = LabelView::pod(&event.pod.labels, ns);
                    let labels = sel
                        .get("matchLabels")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| view.equals(k, v.as_str().unwrap_or("")));
                    Tri::all(labels).and(|| {
                        Tri::all(
                            sel.get("matchExpressions")
                                .and_then(Value::as_array)
                                .into_iter()
                                .flatten()
                                .map(|e| {
                                    view.requirement(
                                        e.get("key").and_then(Value::as_str).unwrap_or(""),
                                        e.get("operator").and_then(Value::as_str).unwrap_or(""),
                                        &strings(e.get("values")),
                                    )
                                }),
                        )
                    })
                }
            })
            .and(|| {
                if self.container_selector {
                    not_simulated("containerSelector")
                } else {
                    Tri::Yes
                }
            })
    }
}

/// A syscall's name without the arch and `sys_` prefixes: `__x64_sys_write`,
/// `sys_write`, `SYS_WRITE`, `write` → `write`.
fn syscall_base(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    let n = n
        .strip_prefix("__x64_")
        .or_else(|| n.strip_prefix("__arm64_"))
        .or_else(|| n.strip_prefix("__ia32_"))
        .unwrap_or(&n);
    n.strip_prefix("sys_").unwrap_or(n).to_string()
}

/// A kernel call as the stored event shows it.
struct Call<'a> {
    function: &'a str,
    binary: Option<&'a str>,
    /// Paths of the file-like arguments, in order.
    paths: Vec<&'a str>,
    /// Integer arguments, in order (`None` when the event did not keep them).
    ints: Option<Vec<&'a str>>,
    /// Other arguments (`type=value`), in order.
    others: Vec<&'a str>,
    /// Every argument (`type=value`) in the hook's order, when the event
    /// kept them all (syscall events; a file event keeps only the path).
    positional: Option<Vec<&'a str>>,
    /// Whether Tetragon reported the event (else the function is another
    /// engine's syscall name).
    tetragon: bool,
}

/// The event as a kernel call, or why it cannot be one.
fn call(event: &Event) -> Option<Call<'_>> {
    let tetragon = event.source == SourceEngine::Tetragon;
    Some(match &event.kind {
        EventKind::File(f) => {
            let function = f.syscall.as_deref()?;
            Call {
                function,
                binary: f.process.as_deref(),
                paths: vec![f.path.as_str()],
                ints: access_mask(function, f.operation).map(|m| vec![m]),
                others: Vec::new(),
                positional: None,
                tetragon,
            }
        }
        EventKind::Syscall(s) if s.kind == SyscallKind::Syscall => Call {
            function: &s.name,
            binary: s.process.as_deref(),
            paths: Vec::new(),
            ints: None,
            others: Vec::new(),
            positional: Some(s.args.as_deref().unwrap_or("").split_whitespace().collect()),
            tetragon,
        },
        EventKind::Syscall(s) => Call {
            // A capability check: the hook's function is kept in `args`.
            function: s.args.as_deref()?,
            binary: s.process.as_deref(),
            paths: Vec::new(),
            ints: None,
            others: Vec::new(),
            positional: None,
            tetragon,
        },
        EventKind::Process(_) | EventKind::Network(_) => return None,
    })
}

/// The kernel function every program start passes through with the
/// executed file as its `linux_binprm` argument.
const BPRM_CHECK: &str = "security_bprm_check";

/// A process start as the `security_bprm_check` call the kernel makes for
/// it: the executed binary is the `linux_binprm` argument (every engine
/// reports it, so the call is judged whoever observed the start), the
/// calling process the parent.
fn exec_call(event: &Event) -> Option<Call<'_>> {
    match &event.kind {
        EventKind::Process(p) if p.action == ProcessAction::Exec => Some(Call {
            function: BPRM_CHECK,
            binary: p.parent.as_deref(),
            paths: vec![p.binary.as_str()],
            ints: None,
            others: Vec::new(),
            positional: None,
            tetragon: true,
        }),
        _ => None,
    }
}

/// The access mask of a `security_file_permission` call, which the stored
/// file event keeps as its operation (the adapter read it from there): a
/// read is `MAY_READ` (4), a write `MAY_WRITE` (2), an exec `MAY_EXEC` (1).
/// Only that one bit is known; other hooks keep no integer argument.
fn access_mask(function: &str, op: FileOperation) -> Option<&'static str> {
    if function != "security_file_permission" {
        return None;
    }
    match op {
        FileOperation::Read => Some("4"),
        FileOperation::Write => Some("2"),
        FileOperation::Exec => Some("1"),
        FileOperation::Open => None,
    }
}

const PATH_TYPES: &[&str] = &["file", "path", "linux_binprm", "dentry"];
const INT_TYPES: &[&str] = &[
    "int", "uint32", "int32", "uint64", "int64", "size_t", "long", "uint16", "int16", "uint8",
    "int8", "u32", "s32", "u64", "s64",
];

fn int_of(s: &str) -> Option<i128> {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(h) => i128::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn string_op(operator: &str, values: &[String], got: &str) -> Tri {
    let any = |f: &dyn Fn(&str) -> bool| values.iter().any(|v| f(v));
    match operator {
        "Equal" => Tri::from_bool(any(&|v| got == v)),
        "NotEqual" => Tri::from_bool(!any(&|v| got == v)),
        "Prefix" => Tri::from_bool(any(&|v| got.starts_with(v))),
        "NotPrefix" => Tri::from_bool(!any(&|v| got.starts_with(v))),
        "Postfix" => Tri::from_bool(any(&|v| got.ends_with(v))),
        "NotPostfix" => Tri::from_bool(!any(&|v| got.ends_with(v))),
        other => not_simulated(format!("the matchArgs operator `{other}` on a string")),
    }
}

fn int_op(operator: &str, values: &[String], got: &str) -> Tri {
    let Some(g) = int_of(got) else {
        return string_op(operator, values, got);
    };
    let vals: Vec<i128> = values.iter().filter_map(|v| int_of(v)).collect();
    match operator {
        "Equal" => Tri::from_bool(vals.contains(&g)),
        "NotEqual" => Tri::from_bool(!vals.contains(&g)),
        "Mask" => Tri::from_bool(vals.iter().any(|v| g & v != 0)),
        "GT" | "GreaterThan" => Tri::from_bool(vals.iter().any(|v| g > *v)),
        "LT" | "LessThan" => Tri::from_bool(vals.iter().any(|v| g < *v)),
        other => not_simulated(format!("the matchArgs operator `{other}` on an integer")),
    }
}

impl Hook {
    fn fires_on(&self, c: &Call<'_>) -> bool {
        match self.kind {
            HookKind::Kprobe { syscall: true } => {
                syscall_base(&self.function) == syscall_base(c.function)
            }
            _ if !c.tetragon => false,
            _ => self.function == c.function,
        }
    }

    /// The value of the argument with `index`, by its type's position.
    fn arg(&self, index: u64, c: &Call<'_>) -> Result<(String, String), Tri> {
        let Some(pos) = self.args.iter().position(|(i, _)| *i == index) else {
            return Err(not_simulated(format!(
                "matchArgs on index {index}, which the hook does not list in args"
            )));
        };
        let ty = self.args[pos].1.clone();
        if let Some(all) = &c.positional {
            // Tetragon lists the arguments in the hook's order.
            return match all.get(pos) {
                Some(tok) => Ok((
                    ty,
                    tok.split_once('=')
                        .map_or(tok.to_string(), |(_, v)| v.to_string()),
                )),
                None => Err(Tri::maybe(format!(
                    "the event does not carry argument {index} ({ty})"
                ))),
            };
        }
        let rank = |group: &dyn Fn(&str) -> bool| {
            self.args[..pos].iter().filter(|(_, t)| group(t)).count()
        };
        let is_path = |t: &str| PATH_TYPES.contains(&t);
        let is_int = |t: &str| INT_TYPES.contains(&t);
        let value = if is_path(&ty) {
            c.paths.get(rank(&is_path)).map(|p| p.to_string())
        } else if is_int(&ty) {
            match &c.ints {
                Some(ints) => ints.get(rank(&is_int)).map(|v| v.to_string()),
                None => {
                    return Err(Tri::maybe(format!(
                        "the stored event does not keep the integer argument {index}"
                    )));
                }
            }
        } else if ty == "fd" {
            return Err(not_simulated("fd-typed arguments (FollowFD)"));
        } else {
            let other = |t: &str| !is_path(t) && !is_int(t);
            c.others.get(rank(&other)).map(|tok| {
                tok.split_once('=')
                    .map_or(tok.to_string(), |(_, v)| v.to_string())
            })
        };
        match value {
            Some(v) => Ok((ty, v)),
            None => Err(Tri::maybe(format!(
                "the event does not carry argument {index} ({ty})"
            ))),
        }
    }

    fn filter(&self, f: &Filter, c: &Call<'_>) -> Tri {
        match f {
            Filter::Arg {
                index,
                operator,
                values,
            } => match self.arg(*index, c) {
                Err(t) => t,
                Ok((ty, v)) if INT_TYPES.contains(&ty.as_str()) => int_op(operator, values, &v),
                Ok((_, v)) => string_op(operator, values, &v),
            },
            Filter::Binary { operator, values } => {
                let Some(bin) = c.binary else {
                    return Tri::maybe("matchBinaries needs the process, which the event lacks");
                };
                let any = |f: &dyn Fn(&str) -> bool| values.iter().any(|v| f(v));
                match operator.as_str() {
                    "In" => Tri::from_bool(any(&|v| bin == v)),
                    "NotIn" => Tri::from_bool(!any(&|v| bin == v)),
                    "Prefix" => Tri::from_bool(any(&|v| bin.starts_with(v))),
                    "NotPrefix" => Tri::from_bool(!any(&|v| bin.starts_with(v))),
                    "Postfix" => Tri::from_bool(any(&|v| bin.ends_with(v))),
                    "NotPostfix" => Tri::from_bool(!any(&|v| bin.ends_with(v))),
                    other => not_simulated(format!("the matchBinaries operator `{other}`")),
                }
            }
            Filter::Unknown(why) => Tri::maybe(why.clone()),
            Filter::Unsupported(what) => not_simulated(what),
        }
    }
}

/// Tetragon policies.
#[derive(Default)]
pub(crate) struct Set {
    policies: Vec<Compiled>,
}

impl Set {
    pub fn push(&mut self, c: Compiled) {
        self.policies.push(c);
    }

    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// The decision of the first hook (in policy order) that may fire on
    /// the event, the strictest over policies.
    pub fn decide(&self, event: &Event) -> Option<Decision> {
        let mut out = Vec::new();
        for p in &self.policies {
            let sel = p.selects(event);
            if sel.is_no() {
                continue;
            }
            let actor = acting_binary(event);
            let probe = p
                .unsimulated
                .iter()
                .find(|(_, _, path)| match (path, actor) {
                    (Some(path), Some(actor)) => path == actor,
                    _ => true,
                });
            if let Some((ptr, what, _)) = probe {
                out.push(Decision::new(
                    Verdict::NotSimulated,
                    &p.r,
                    ptr.clone(),
                    format!("{what}; the event's process may run it"),
                ));
            }
            if let Some(d) = p.decide(event, sel) {
                out.push(d);
            }
        }
        super::strictest(&out)
    }
}

/// The binary of the process that performed the event (a process start:
/// its parent).
fn acting_binary(event: &Event) -> Option<&str> {
    match &event.kind {
        EventKind::File(f) => f.process.as_deref(),
        EventKind::Network(n) => n.process.as_deref(),
        EventKind::Syscall(s) => s.process.as_deref(),
        EventKind::Process(p) => p.parent.as_deref(),
    }
}

fn maybe_verdict(why: &str) -> Verdict {
    if why.starts_with(NOT_SIMULATED) {
        Verdict::NotSimulated
    } else {
        Verdict::Unknown
    }
}

impl Compiled {
    fn decide(&self, event: &Event, sel: Tri) -> Option<Decision> {
        // A process start under a `security_bprm_check` kprobe is that call.
        let bprm = exec_call(event).filter(|c| self.hooks.iter().any(|h| h.fires_on(c)));
        let Some(c) = bprm.or_else(|| call(event)) else {
            // Network events keep no kernel function, process starts are
            // not hook calls: a socket hook may have fired on a connection,
            // an exec hook on a process start, with arguments not kept.
            let hook = match &event.kind {
                EventKind::Network(_) => self.hooks.iter().find(|h| {
                    h.args
                        .iter()
                        .any(|(_, t)| matches!(t.as_str(), "sock" | "skb" | "sockaddr"))
                }),
                EventKind::Process(_) => self.hooks.iter().find(|h| {
                    let f = h.function.to_ascii_lowercase();
                    f.contains("exec") || f.contains("bprm")
                }),
                _ => None,
            }?;
            return Some(Decision::new(
                Verdict::NotSimulated,
                &self.r,
                hook.ptr.clone(),
                format!(
                    "the hook on `{}` may fire on this {}, whose stored event keeps no kernel call and arguments",
                    hook.function,
                    match &event.kind {
                        EventKind::Network(_) => "connection",
                        _ => "process start",
                    }
                ),
            ));
        };
        let hook = self.hooks.iter().find(|h| h.fires_on(&c))?;
        if !c.tetragon {
            return Some(Decision::new(
                Verdict::NotSimulated,
                &self.r,
                hook.ptr.clone(),
                format!(
                    "the hook on `{}` would see this call, but the event was observed by {} and lacks the arguments as Tetragon reads them",
                    hook.function, event.source
                ),
            ));
        }
        if hook.selectors.is_empty() {
            return Some(self.verdict(sel, Ok(Outcome::Audit), hook.ptr.clone(), &hook.function));
        }
        // Selectors in order: the first that matches decides.
        let mut undecided: Option<(String, String)> = None;
        for s in &hook.selectors {
            let m = sel
                .clone()
                .and(|| Tri::all(s.filters.iter().map(|f| hook.filter(f, &c))));
            match m {
                Tri::No => continue,
                Tri::Yes if undecided.is_none() => {
                    return Some(self.verdict(
                        Tri::Yes,
                        s.outcome.clone(),
                        s.ptr.clone(),
                        &hook.function,
                    ));
                }
                Tri::Yes => break,
                Tri::Maybe(why) => {
                    undecided.get_or_insert((s.ptr.clone(), why));
                }
            }
        }
        Some(match undecided {
            Some((ptr, why)) => Decision::new(
                maybe_verdict(&why),
                &self.r,
                ptr,
                why.strip_prefix(NOT_SIMULATED)
                    .map_or(why.clone(), |w| format!("{w} is not simulated")),
            ),
            None => Decision::new(
                Verdict::Allow,
                &self.r,
                format!("{}/selectors", hook.ptr),
                format!(
                    "no selector of the hook on `{}` matches: Tetragon neither reports nor acts",
                    hook.function
                ),
            ),
        })
    }

    fn verdict(
        &self,
        sel: Tri,
        outcome: Result<Outcome, String>,
        ptr: String,
        f: &str,
    ) -> Decision {
        if let Tri::Maybe(why) = sel {
            return Decision::new(maybe_verdict(&why), &self.r, ptr, why);
        }
        match outcome {
            Ok(Outcome::Block) => Decision::new(
                Verdict::Block,
                &self.r,
                ptr,
                format!(
                    "the call to `{f}` matches a selector whose action stops it (Sigkill/Override)"
                ),
            ),
            Ok(Outcome::Audit) => Decision::new(
                Verdict::Audit,
                &self.r,
                ptr,
                format!("the call to `{f}` matches and is reported (Post)"),
            ),
            Ok(Outcome::Allow) => Decision::new(
                Verdict::Allow,
                &self.r,
                ptr,
                format!("the call to `{f}` matches a selector whose action is NoPost"),
            ),
            Err(what) => Decision::new(Verdict::NotSimulated, &self.r, ptr, what),
        }
    }
}
