//! Hostile policies through the simulator: nothing overflows the stack or
//! backtracks, whatever the selector or pattern (issue 19).

use kubescribe_core::Policy;
use kubescribe_events::Event;
use kubescribe_simulate::{SimError, SimOptions, Simulator, Verdict, simulate_event};

fn policy(yaml: &str) -> Policy {
    let v: serde_json::Value = serde_saphyr::from_str(yaml).unwrap();
    Policy::from_value(v).unwrap()
}

fn calico(selector: &str) -> Policy {
    let mut v = serde_json::json!({
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deep", "namespace": "shop"},
        "spec": {"types": ["Ingress"], "ingress": [{"action": "Allow"}]}
    });
    v["spec"]["selector"] = selector.into();
    Policy::from_value(v).unwrap()
}

#[test]
fn deep_calico_selectors_are_an_error_not_a_stack_overflow() {
    // Validation checks the CRD's 1,024-character limit; simulate never ran
    // validation, and the recursive parser overflowed the stack on these.
    for selector in [
        format!("{}app == 'x'{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("{}has(app)", "!".repeat(300_000)),
        // Within the length limit but nested too deep.
        format!("{}has(app)", "!".repeat(200)),
    ] {
        let err = match Simulator::new(&[calico(&selector)], SimOptions::default()) {
            Err(e) => e,
            Ok(_) => panic!("accepted a selector of {} bytes", selector.len()),
        };
        let SimError::Selector {
            pointer, source, ..
        } = &err;
        assert_eq!(pointer, "/spec/selector");
        let limit = source.limit.as_ref().expect("names its limit");
        assert!(
            ["SELECTOR_MAX_CHARS", "SELECTOR_MAX_DEPTH"].contains(&limit.limit),
            "{err}"
        );
        assert!(
            err.to_string().len() < 1_000,
            "the message repeats the whole selector"
        );
    }
    // The same shapes, shallow, simulate.
    assert!(Simulator::new(&[calico("!!!(((has(app))))")], SimOptions::default()).is_ok());
}

fn file_event(path: &str) -> Event {
    serde_json::from_value(serde_json::json!({
        "source": "kubearmor",
        "pod": {"namespace": "shop", "pod": "nginx-1", "labels": {"app": "nginx"}},
        "kind": {"type": "file", "path": path, "operation": "read"}
    }))
    .unwrap()
}

#[test]
fn kubearmor_patterns_that_backtrack_exponentially_finish() {
    let p = policy(
        r#"
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: pat, namespace: shop}
spec:
  selector: {matchLabels: {app: nginx}}
  action: Block
  file:
    matchPatterns:
    - {pattern: "/*a*a*a*a*a*a*a*a*a*a*a*a*b"}
    - {pattern: "/**a**a**a**a**a**a**a**a**a**a**b"}
"#,
    );
    // 4,000 bytes: within PATH_MAX; a backtracking matcher never ends here.
    let long = format!("/{}", "a".repeat(4_000));
    let d = simulate_event(std::slice::from_ref(&p), &file_event(&long)).unwrap();
    assert_ne!(d.verdict, Verdict::Block, "{d:?}");
    let d = simulate_event(std::slice::from_ref(&p), &file_event(&format!("{long}b"))).unwrap();
    assert_eq!(d.verdict, Verdict::Block, "{d:?}");
    // A path longer than PATH_MAX (a forged log) is not matched for
    // pattern × path steps: the verdict is not decided, and says why.
    let forged = format!("/{}", "a".repeat(1_000_000));
    let d = simulate_event(&[p], &file_event(&forged)).unwrap();
    assert_ne!(d.verdict, Verdict::Block, "{d:?}");
    assert!(d.reason.contains("GLOB_MAX_TEXT_BYTES"), "{}", d.reason);
}

#[test]
fn kubearmor_glob_semantics_are_unchanged() {
    use kubescribe_simulate::kubearmor::glob_matches as g;
    assert!(g("/tmp/*.sock", "/tmp/a.sock"));
    assert!(!g("/tmp/*.sock", "/tmp/a/b.sock"));
    assert!(g("/usr/**/curl", "/usr/local/bin/curl"));
    assert!(g("/usr/**", "/usr/"));
    assert!(g("/a?c", "/abc"));
    assert!(!g("/a?c", "/a/c"));
    assert!(!g(
        "/*a*a*a*a*a*a*a*a*a*a*b",
        &format!("/{}", "a".repeat(4_000))
    ));
}
