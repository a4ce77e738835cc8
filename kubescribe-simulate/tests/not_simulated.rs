//! What the simulator does not model is reported as "not simulated", with
//! the reason, and counted apart: never as allowed.

use kubescribe_core::Policy;
use kubescribe_events::{Converted, Event};
use kubescribe_simulate::{SimOptions, Simulator, Verdict};
use serde_json::json;

fn policy(yaml: &str) -> Policy {
    Policy::from_value(serde_saphyr::from_str(yaml).unwrap()).unwrap()
}

fn tetragon(v: serde_json::Value) -> Event {
    match kubescribe_events::convert(&v).1.remove(0) {
        Converted::Events(mut e) => e.remove(0),
        other => panic!("{other:?}"),
    }
}

#[test]
fn tetragon_events_under_hooks_not_modelled_are_not_allowed() {
    // An exec hook (its arguments are not in a process_exec event), a socket
    // hook (a stored connection keeps no kprobe call) and a uprobe.
    let p = policy(
        r#"
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: {name: t}
spec:
  kprobes:
  - call: sys_execve
    syscall: true
    args: [{index: 0, type: string}]
    selectors:
    - matchArgs: [{index: 0, operator: Postfix, values: [/nc]}]
      matchActions: [{action: Sigkill}]
  - call: tcp_connect
    syscall: false
    args: [{index: 0, type: sock}]
    selectors:
    - matchArgs: [{index: 0, operator: DAddr, values: [10.0.0.0/8]}]
      matchActions: [{action: Sigkill}]
"#,
    );
    let pod = json!({"namespace": "shop", "name": "web-1"});
    let exec =
        tetragon(json!({"process_exec": {"process": {"binary": "/usr/bin/nc", "pod": pod}}}));
    let connect = tetragon(json!({"process_kprobe": {
        "process": {"binary": "/usr/bin/curl", "pod": pod},
        "function_name": "tcp_connect",
        "args": [{"sock_arg": {"family": "AF_INET", "protocol": "IPPROTO_TCP",
                  "daddr": "10.1.2.3", "dport": 80}}]}}));
    let sim = Simulator::new(std::slice::from_ref(&p), SimOptions::default()).unwrap();
    let report = sim.run([&exec, &connect]);
    assert_eq!(report.totals.allowed, 0, "{:#?}", report.decisions);
    assert_eq!(report.totals.not_simulated, 2);
    for d in &report.decisions {
        assert_eq!(d.verdict, Verdict::NotSimulated);
        assert!(d.reason.contains("may fire"), "{}", d.reason);
        assert!(d.policy.is_some());
    }
    // A call the policy does hook and can judge: decided, not "not simulated".
    let other = tetragon(json!({"process_kprobe": {
        "process": {"binary": "/bin/sh", "pod": pod},
        "function_name": "__x64_sys_execve", "args": [{"string_arg": "/usr/bin/nc"}]}}));
    assert_eq!(sim.decide(&other).verdict, Verdict::Block);
}

#[test]
fn unsupported_kubearmor_parts_and_kinds_are_not_simulated() {
    let syscalls = policy(
        r#"
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: s, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  syscalls:
    matchSyscalls:
    - syscall: [unlink]
  action: Block
"#,
    );
    // kubearmor/KubeArmor examples/network-security-policies/nsp-egress-block-dns.yaml
    let net = policy(
        r#"
apiVersion: security.kubearmor.com/v1
kind: KubeArmorNetworkPolicy
metadata:
  name: nsp-egress-block-dns
spec:
  nodeSelector:
    matchLabels:
      kubernetes.io/hostname: "*"
  egress:
  - to:
    - ipBlock:
        cidr: "1.1.1.1/32"
    ports:
    - port: "dns"
      protocol: "UDP"
  severity: 5
  action: Block
"#,
    );
    let sim = Simulator::new(&[syscalls, net], SimOptions::default()).unwrap();
    let unlink = serde_json::from_value::<Event>(json!({
        "source": "kubearmor", "pod": {"namespace": "shop", "labels": {"app": "web"}},
        "kind": {"type": "syscall", "kind": "syscall", "name": "SYS_UNLINK"}}))
    .unwrap();
    let d = sim.decide(&unlink);
    assert_eq!(d.verdict, Verdict::NotSimulated);
    assert!(d.reason.contains("syscall rules"), "{}", d.reason);
    let flow = serde_json::from_value::<Event>(json!({
        "source": "kubearmor", "pod": {"node": "node-a"},
        "kind": {"type": "network", "protocol": "UDP", "direction": "egress",
                 "remote_ip": "1.1.1.1", "remote_port": 53}}))
    .unwrap();
    assert_eq!(sim.decide(&flow).verdict, Verdict::NotSimulated);
    let report = sim.run([&unlink, &flow]);
    assert_eq!((report.totals.allowed, report.totals.not_simulated), (0, 2));
    // The totals' JSON names the count.
    let v = serde_json::to_value(&report.totals).unwrap();
    assert_eq!(v["not_simulated"], 2);
    assert_eq!(
        serde_json::to_value(Verdict::NotSimulated).unwrap(),
        "not_simulated"
    );
}
