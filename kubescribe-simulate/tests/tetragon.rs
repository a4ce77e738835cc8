//! Tetragon TracingPolicy simulation against upstream's enforcement
//! examples (`fixtures/tetragon_enforcement.json`, whose `about` cites the
//! policies, the event shape and the semantics): Sigkill/Override policies
//! block exactly the calls their selectors match. Events go through the
//! Tetragon adapter, as `kubescribe ingest` stores them.

use kubescribe_core::Policy;
use kubescribe_events::{Converted, Event};
use kubescribe_simulate::{SimOptions, Simulator, Verdict};
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/tetragon_enforcement.json")).expect("json")
}

fn events(v: &Value) -> Vec<Event> {
    let (_, out) = kubescribe_events::convert(v);
    out.into_iter()
        .flat_map(|c| match c {
            Converted::Events(e) => e,
            other => panic!("not converted: {other:?}"),
        })
        .collect()
}

#[test]
fn sigkill_and_override_block_exactly_the_matching_calls() {
    let f = fixture();
    let policies: Vec<Policy> = f["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Policy::from_value(p["policy"].clone()).expect("upstream policy"))
        .collect();
    let sim = Simulator::new(&policies, SimOptions::default()).unwrap();
    let mut wrong = Vec::new();
    let cases = f["cases"].as_array().unwrap();
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let want = c["expect"].as_str().unwrap();
        for e in events(&c["event"]) {
            let d = sim.decide(&e);
            if d.verdict.as_str() != want {
                wrong.push(format!(
                    "{name}: want {want}, got {} ({})",
                    d.verdict, d.reason
                ));
            }
        }
    }
    println!(
        "Tetragon enforcement fixtures: {} of {} agree",
        cases.len() - wrong.len(),
        cases.len()
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
}

fn kprobe(function: &str, args: Value, binary: &str) -> Vec<Event> {
    events(&serde_json::json!({"process_kprobe": {
        "process": {"binary": binary, "pod": {"namespace": "default", "name": "p"}},
        "function_name": function, "args": args}}))
}

fn policy(yaml: &str) -> Policy {
    Policy::from_value(serde_saphyr::from_str(yaml).unwrap()).unwrap()
}

#[test]
fn post_audits_and_what_is_not_modelled_is_not_simulated() {
    let p = policy(
        r#"
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: {name: t}
spec:
  kprobes:
  - call: fd_install
    syscall: false
    args: [{index: 0, type: int}, {index: 1, type: file}]
    selectors:
    - matchArgs: [{index: 1, operator: Prefix, values: [/etc/]}]
      matchBinaries: [{operator: NotIn, values: [/bin/cat]}]
  - call: sys_setuid
    syscall: true
    args: [{index: 0, type: int}]
    selectors:
    - matchArgs: [{index: 0, operator: Equal, values: ["0"]}]
      matchNamespaces: [{namespace: Pid, operator: In, values: [host_ns]}]
      matchActions: [{action: Sigkill}]
  uprobes:
  - path: /bin/bash
    symbols: [readline]
"#,
    );
    let sim = Simulator::new(std::slice::from_ref(&p), SimOptions::default()).unwrap();
    // The uprobe in /bin/bash may act on what bash does: not simulated.
    let bash = kprobe(
        "fd_install",
        serde_json::json!([{"int_arg": 3}, {"file_arg": {"path": "/etc/passwd"}}]),
        "/bin/bash",
    );
    let d = sim.decide(&bash[0]);
    assert_eq!(d.verdict, Verdict::NotSimulated, "{}", d.reason);
    assert!(d.reason.contains("/bin/bash"), "{}", d.reason);
    // Post (no matchActions): reported, let through.
    let e = kprobe(
        "fd_install",
        serde_json::json!([{"int_arg": 3}, {"file_arg": {"path": "/etc/passwd"}}]),
        "/usr/bin/vi",
    );
    let v = |e: &[Event]| sim.decide(&e[0]);
    assert_eq!(v(&e).verdict, Verdict::Audit);
    let cat = kprobe(
        "fd_install",
        serde_json::json!([{"int_arg": 3}, {"file_arg": {"path": "/etc/passwd"}}]),
        "/bin/cat",
    );
    assert_eq!(
        v(&cat).verdict,
        Verdict::Allow,
        "NotIn /bin/cat: no selector matches"
    );
    // matchNamespaces needs Linux namespaces the event does not carry.
    let setuid = kprobe(
        "__x64_sys_setuid",
        serde_json::json!([{"int_arg": 0}]),
        "/bin/su",
    );
    assert_eq!(v(&setuid).verdict, Verdict::Unknown);
    let setuid1 = kprobe(
        "__x64_sys_setuid",
        serde_json::json!([{"int_arg": 1000}]),
        "/bin/su",
    );
    assert_eq!(v(&setuid1).verdict, Verdict::Allow, "arg 0 is not 0");
}

/// cilium/tetragon examples/tracingpolicy/killer.yaml (abridged: its
/// enforcer and list as upstream has them): `call: "list:dups"` hooks each
/// syscall of the list; NotifyEnforcer has the enforcer override the call.
#[test]
fn list_calls_hook_every_listed_syscall() {
    let p = policy(
        r#"
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: {name: killer}
spec:
  lists:
  - name: dups
    type: syscalls
    values: [sys_dup, sys_dup2, __ia32_sys_dup]
  enforcers:
  - calls: ["list:dups"]
  tracepoints: []
  kprobes:
  - call: "list:dups"
    syscall: true
    selectors:
    - matchBinaries:
      - operator: In
        values: [/usr/bin/bash]
      matchActions:
      - action: NotifyEnforcer
        argError: -1
        argSig: 9
"#,
    );
    let sim = Simulator::new(std::slice::from_ref(&p), SimOptions::default()).unwrap();
    let dup2 = kprobe("__x64_sys_dup2", serde_json::json!([]), "/usr/bin/bash");
    assert_eq!(sim.decide(&dup2[0]).verdict, Verdict::Block);
    let other = kprobe("__x64_sys_dup2", serde_json::json!([]), "/usr/bin/sh");
    assert_eq!(sim.decide(&other[0]).verdict, Verdict::Allow);
    let dup3 = kprobe("__x64_sys_dup3", serde_json::json!([]), "/usr/bin/bash");
    assert_eq!(sim.decide(&dup3[0]).verdict, Verdict::Allow, "not listed");
}

/// Arguments are matched by position, whatever their types (an `int`
/// before a `uint32`, strings around them).
#[test]
fn match_args_find_each_argument_by_its_position() {
    let p = policy(
        r#"
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: {name: pos}
spec:
  kprobes:
  - call: sys_example
    syscall: true
    args:
    - {index: 0, type: string}
    - {index: 1, type: int}
    - {index: 2, type: uint32}
    - {index: 3, type: string}
    selectors:
    - matchArgs:
      - {index: 2, operator: Equal, values: ["7"]}
      - {index: 3, operator: Prefix, values: [/tmp/]}
      matchActions: [{action: Override, argError: -1}]
"#,
    );
    let sim = Simulator::new(std::slice::from_ref(&p), SimOptions::default()).unwrap();
    let call = |third: u32, fourth: &str| {
        kprobe(
            "__x64_sys_example",
            serde_json::json!([{"string_arg": "/etc/passwd"}, {"int_arg": -100},
                               {"uint_arg": third}, {"string_arg": fourth}]),
            "/bin/ln",
        )
    };
    assert_eq!(sim.decide(&call(7, "/tmp/pw")[0]).verdict, Verdict::Block);
    assert_eq!(sim.decide(&call(8, "/tmp/pw")[0]).verdict, Verdict::Allow);
    assert_eq!(sim.decide(&call(7, "/var/pw")[0]).verdict, Verdict::Allow);
}
