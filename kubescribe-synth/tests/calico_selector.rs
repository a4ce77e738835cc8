//! A scope's selector expression (Kubernetes' string form, as the parser
//! and the intent schema write it) reaches Calico in Calico's own syntax:
//! the policy validates and the simulator selects exactly the pods the
//! expression names (it was copied verbatim, `app in (a, b)` inside
//! Calico's `&&`, which Calico does not read).

use kubescribe_core::engine::Engine;
use kubescribe_core::intent::Intent;
use kubescribe_events::Event;
use kubescribe_simulate::{Verdict, simulate_event};
use kubescribe_synth::synthesize;
use kubescribe_validate::Validator;

fn intent() -> Intent {
    serde_json::from_value(serde_json::json!({
        "scope": {"namespace": "emojivoto", "selector": "app in (voting-svc, emoji-svc), environment notin (dev)"},
        "domain": "network", "action": "allow", "direction": "ingress",
        "resources": {"ports": [{"port": 8080, "protocol": "TCP"}], "cidrs": ["10.0.0.0/8"]}
    }))
    .unwrap()
}

fn ingress(labels: serde_json::Value, port: u16) -> Event {
    serde_json::from_value(serde_json::json!({
        "source": "hubble",
        "pod": {"namespace": "emojivoto", "pod": "p-0", "container": "main", "labels": labels},
        "kind": {"type": "network", "protocol": "TCP", "direction": "ingress", "local_ip": "10.244.0.5",
                 "process": "/usr/bin/app", "local_port": port, "remote_port": 41000,
                 "remote_ip": "10.1.2.3", "peer": {"labels": {}}}
    }))
    .unwrap()
}

#[test]
fn a_scope_selector_is_written_in_calico_syntax_and_selects_what_it_says() {
    let policy = synthesize(&intent(), Some(Engine::Calico)).unwrap();
    let value = policy.to_value().unwrap();
    assert_eq!(
        value["spec"]["selector"],
        "app in {'emoji-svc', 'voting-svc'} && environment not in {'dev'}"
    );
    let outcome = Validator::new().validate_value(&value);
    assert!(outcome.is_valid(), "{:?}", outcome.diagnostics);
    let verdict = |labels, port| {
        simulate_event(std::slice::from_ref(&policy), &ingress(labels, port))
            .unwrap()
            .verdict
    };
    // Selected: the named port is allowed, another is not.
    let prod = serde_json::json!({"app": "voting-svc", "environment": "prod"});
    assert_eq!(verdict(prod.clone(), 8080), Verdict::Allow);
    assert_eq!(verdict(prod, 9090), Verdict::Block);
    // Not selected (environment dev, or another app): untouched.
    assert_eq!(
        verdict(
            serde_json::json!({"app": "voting-svc", "environment": "dev"}),
            9090
        ),
        Verdict::Allow
    );
    assert_eq!(
        verdict(
            serde_json::json!({"app": "web", "environment": "prod"}),
            9090
        ),
        Verdict::Allow
    );
}

#[test]
fn a_selector_that_does_not_read_is_refused_with_where() {
    let mut i = intent();
    i.scope.selector = Some("app in (voting-svc, emoji-svc".into());
    let e = synthesize(&i, Some(Engine::Calico))
        .unwrap_err()
        .to_string();
    assert!(e.contains("scope.selector") && e.contains("`)`"), "{e}");
    assert!(
        i.gaps()
            .iter()
            .any(|g| g.to_string().contains("scope.selector")),
        "{:?}",
        i.gaps()
    );
}
