//! Intent fidelity (issue 17): no false alarms on what the synthesizer
//! writes (the intent evaluation dev split with its events replayed,
//! `examples/intents`, random intents of every domain and engine), and
//! each way a valid policy can miss its intent is caught.

use std::path::Path;

use kubescribe_core::Engine;
use kubescribe_core::intent::{Domain, Intent, Resources};
use kubescribe_events::Event;
use kubescribe_infer::fidelity::{FidelityOptions, check, is_faithful};
use kubescribe_synth::synthesize;
use kubescribe_testkit::intents::{Rng, intent};
use kubescribe_validate::Validator;
use kubescribe_validate::diagnostic::{Diagnostic, Layer};
use serde_json::{Value, json};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn synth_value(i: &Intent, e: Engine) -> Option<Value> {
    synthesize(i, Some(e)).ok().map(|p| p.to_value().unwrap())
}

fn faithful_everywhere(name: &str, i: &Intent, events: &[Event]) -> usize {
    let mut n = 0;
    for &e in i.domain.engines() {
        let Some(v) = synth_value(i, e) else { continue };
        let opts = FidelityOptions {
            events: events.to_vec(),
            ..FidelityOptions::default()
        };
        let d = check(i, &v, &opts);
        assert!(
            d.is_empty(),
            "{name} on {}: false alarm {d:#?}\n{}",
            e.name(),
            serde_json::to_string_pretty(&v).unwrap()
        );
        n += 1;
    }
    n
}

#[test]
fn synthesized_policies_of_the_dev_split_are_faithful_on_replay() {
    let text = std::fs::read_to_string(
        root().join("kubescribe-intent/tests/fixtures/intent_eval/dev.jsonl"),
    )
    .unwrap();
    let (mut cases, mut checked) = (0, 0);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        let Some(iv) = case.get("intent").filter(|v| !v.is_null()) else {
            continue;
        };
        let Ok(i) = serde_json::from_value::<Intent>(iv.clone()) else {
            continue;
        };
        let events: Vec<Event> = case
            .get("events")
            .and_then(|e| serde_json::from_value(e.clone()).ok())
            .unwrap_or_default();
        cases += 1;
        checked += faithful_everywhere(case["id"].as_str().unwrap_or("?"), &i, &events);
    }
    assert!(cases > 200, "only {cases} dev cases read");
    assert!(checked > cases, "only {checked} policies checked");
}

#[test]
fn synthesized_policies_of_the_examples_are_faithful() {
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("examples/intents")).unwrap() {
        let path = entry.unwrap().path();
        let i: Intent = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        n += faithful_everywhere(&path.display().to_string(), &i, &[]);
    }
    assert!(n >= 3);
}

#[test]
fn synthesized_policies_of_random_intents_are_faithful() {
    let mut rng = Rng(17);
    let mut n = 0;
    for k in 0..400 {
        let domain = [
            Domain::File,
            Domain::Process,
            Domain::Network,
            Domain::Syscall,
            Domain::Capability,
        ][k % 5];
        let i = intent(&mut rng, domain);
        n += faithful_everywhere(&format!("random #{k}"), &i, &[]);
    }
    assert!(n > 400, "{n}");
}

fn example(name: &str) -> Intent {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/intents").join(name)).unwrap(),
    )
    .unwrap()
}

/// The fidelity findings of `v` (which must still pass layer 1: these
/// are the valid-but-wrong policies the check exists for).
fn findings(i: &Intent, v: &Value) -> Vec<Diagnostic> {
    assert!(
        Validator::new().validate_value(v).is_valid(),
        "the mutation should stay valid: {v:#}"
    );
    let d = check(i, v, &FidelityOptions::default());
    assert!(!is_faithful(&d), "not caught: {v:#}");
    assert!(d.iter().all(|x| x.layer == Layer::Fidelity && x.is_error()));
    d
}

fn has(d: &[Diagnostic], rule: &str, pointer: &str, words: &str) {
    assert!(
        d.iter()
            .any(|x| x.rule == rule && x.pointer == pointer && x.message.contains(words)),
        "no {rule} at {pointer} mentioning {words:?} in {d:#?}"
    );
}

#[test]
fn empty_shells_are_caught() {
    // KubeArmor: a spec with only `action: Allow`.
    let i = example("nginx-www.json");
    let mut v = synth_value(&i, Engine::KubeArmor).unwrap();
    v["spec"] = json!({"action": "Allow"});
    let d = findings(&i, &v);
    has(&d, "fidelity.scope", "/spec/selector", "every pod");
    has(&d, "fidelity.missing", "/spec", "file directory /var/www/");
    // NetworkPolicy: `policyTypes: []`, no rules.
    let i = example("cart-from-frontend.json");
    let mut v = synth_value(&i, Engine::Kubernetes).unwrap();
    v["spec"] = json!({"podSelector": {"matchLabels": {"app": "cartservice"}}, "policyTypes": []});
    let d = findings(&i, &v);
    has(&d, "fidelity.missing", "/spec", "app=frontend");
    // Calico without a selector (every endpoint of the namespace).
    let mut v = synth_value(&i, Engine::Calico).unwrap();
    v["spec"].as_object_mut().unwrap().remove("selector");
    let d = findings(&i, &v);
    has(&d, "fidelity.scope", "/spec/selector", "missing");
}

#[test]
fn dropped_peer_port_widened_selector_wrong_action_and_extra_path_are_caught() {
    let i = example("cart-from-frontend.json");
    let base = synth_value(&i, Engine::Kubernetes).unwrap();
    // Dropped peer: every peer may now reach port 7070.
    let mut v = base.clone();
    v["spec"]["ingress"][0]
        .as_object_mut()
        .unwrap()
        .remove("from");
    let d = findings(&i, &v);
    has(&d, "fidelity.extra", "/spec/ingress/0", "any peer");
    has(&d, "fidelity.missing", "/spec/ingress", "app=frontend");
    // Dropped port.
    let mut v = base.clone();
    v["spec"]["ingress"][0]
        .as_object_mut()
        .unwrap()
        .remove("ports");
    let d = findings(&i, &v);
    has(&d, "fidelity.missing", "/spec/ingress", "TCP/7070");
    has(&d, "fidelity.extra", "/spec/ingress/0", "any port");
    // Another port instead.
    let mut v = base.clone();
    v["spec"]["ingress"][0]["ports"][0]["port"] = json!(8080);
    let d = findings(&i, &v);
    has(&d, "fidelity.extra", "/spec/ingress/0", "TCP/8080");
    // Widened selector: every pod of the namespace.
    let mut v = base.clone();
    v["spec"]["podSelector"] = json!({});
    let d = findings(&i, &v);
    has(&d, "fidelity.scope", "/spec/podSelector", "every pod");
    // Widened selector: fewer labels than the intent names.
    let mut j = i.clone();
    j.scope.labels.insert("tier".into(), "backend".into());
    let d = findings(&j, &base);
    has(&d, "fidelity.scope", "/spec/podSelector", "wider");
    // Other namespace.
    let mut v = base.clone();
    v["metadata"]["namespace"] = json!("default");
    let d = findings(&i, &v);
    has(&d, "fidelity.namespace", "/metadata/namespace", "shop");
    // Egress isolated too (a direction the intent does not name).
    let mut v = base;
    v["spec"]["policyTypes"] = json!(["Ingress", "Egress"]);
    let d = findings(&i, &v);
    has(&d, "fidelity.extra", "/spec/policyTypes", "isolates egress");

    // Wrong action: the write block becomes an allow-list.
    let i = example("block-passwd-write.json");
    let mut v = synth_value(&i, Engine::KubeArmor).unwrap();
    v["spec"]["action"] = json!("Allow");
    let d = findings(&i, &v);
    has(
        &d,
        "fidelity.action",
        "/spec/file/matchPaths/0",
        "the intent says block",
    );

    // Extra allowed path, and the same path kept as an observed need.
    let i = example("nginx-www.json");
    let mut v = synth_value(&i, Engine::KubeArmor).unwrap();
    v["spec"]["file"]["matchPaths"] = json!([{"path": "/etc/shadow", "readOnly": true}]);
    let d = findings(&i, &v);
    has(
        &d,
        "fidelity.extra",
        "/spec/file/matchPaths/0",
        "/etc/shadow",
    );
    let keep = Resources {
        paths: vec!["/etc/shadow".into()],
        ..Resources::default()
    };
    let opts = FidelityOptions {
        keep: Some(keep),
        ..FidelityOptions::default()
    };
    assert!(check(&i, &v, &opts).is_empty());
}

#[test]
fn wrong_action_in_calico_and_cilium_is_caught() {
    let i = example("cart-from-frontend.json");
    let mut v = synth_value(&i, Engine::Calico).unwrap();
    v["spec"]["ingress"][0]["action"] = json!("Deny");
    let d = findings(&i, &v);
    has(
        &d,
        "fidelity.action",
        "/spec/ingress/0",
        "the intent says allow",
    );
    // Cilium: the allow rule as a deny rule.
    let mut v = synth_value(&i, Engine::Cilium).unwrap();
    let rules = v["spec"]["ingress"].take();
    v["spec"].as_object_mut().unwrap().remove("ingress");
    v["spec"]["ingressDeny"] = rules;
    let d = findings(&i, &v);
    assert!(d.iter().any(|x| x.rule == "fidelity.action"), "{d:#?}");
}

#[test]
fn layout_does_not_matter() {
    // Two ports in one rule, or one rule per port: the same policy.
    let mut i = example("cart-from-frontend.json");
    i.resources.ports.push(kubescribe_core::intent::PortSpec {
        port: 8080,
        end_port: None,
        protocol: kubescribe_core::intent::Protocol::Tcp,
    });
    let mut v = synth_value(&i, Engine::Kubernetes).unwrap();
    let rule = v["spec"]["ingress"][0].clone();
    let mut a = rule.clone();
    a["ports"] = json!([rule["ports"][0]]);
    let mut b = rule.clone();
    b["ports"] = json!([{"port": 8080}]); // protocol TCP by default
    v["spec"]["ingress"] = json!([a, b]);
    assert!(check(&i, &v, &FidelityOptions::default()).is_empty());
    // Cilium labels with the `k8s:` prefix.
    let mut c = synth_value(&i, Engine::Cilium).unwrap();
    c["spec"]["endpointSelector"] = json!({"matchLabels": {"k8s:app": "cartservice"}});
    assert!(check(&i, &c, &FidelityOptions::default()).is_empty());
    // Calico selector terms in another order, other quotes.
    let mut j = i.clone();
    j.scope.labels.insert("tier".into(), "backend".into());
    let mut k = synth_value(&j, Engine::Calico).unwrap();
    k["spec"]["selector"] = json!("tier == \"backend\" && app == 'cartservice'");
    assert!(check(&j, &k, &FidelityOptions::default()).is_empty());
}

#[test]
fn replay_finds_the_events_a_policy_gets_wrong() {
    // The dev split's first case: block /bin/cat reading /etc/passwd.
    let text = std::fs::read_to_string(
        root().join("kubescribe-intent/tests/fixtures/intent_eval/dev.jsonl"),
    )
    .unwrap();
    let case: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|c| c["id"] == "ka-file-001")
        .unwrap();
    let i: Intent = serde_json::from_value(case["intent"].clone()).unwrap();
    let events: Vec<Event> = serde_json::from_value(case["events"].clone()).unwrap();
    let mut v = synth_value(&i, Engine::KubeArmor).unwrap();
    // Without fromSource every program is blocked from /etc/passwd.
    v["spec"]["file"]["matchPaths"][0]
        .as_object_mut()
        .unwrap()
        .remove("fromSource");
    let opts = FidelityOptions {
        events,
        ..FidelityOptions::default()
    };
    let d = check(&i, &v, &opts);
    assert!(
        d.iter().any(|x| x.rule == "fidelity.replay"
            && x.message.contains("/usr/bin/head")
            && x.message.contains("leaves allowed")),
        "{d:#?}"
    );
}
