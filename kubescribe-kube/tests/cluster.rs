//! Integration tests against a real kube-apiserver (+ etcd).
//!
//! Run with `KUBESCRIBE_TEST_KUBECONFIG=PATH` (any cluster you may write to;
//! `scripts/cluster/start.sh` starts one on 127.0.0.1) and
//! `KUBESCRIBE_CORPUS=../shared/corpus` (the engines' CRDs are installed from
//! it). Without them every test prints `NOT RUN` and passes vacuously.
//!
//! Each test works in its own namespace (an API server without a
//! controller-manager never finishes deleting one).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Pod, Service};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, PostParams};
use serde_json::{Value, json};

use kubescribe_core::Policy;
use kubescribe_core::{Engine, document};
use kubescribe_events::cluster::ClusterContext;
use kubescribe_kube::{Action, ApplyOptions, ApplyResult, ClusterOptions, KubeCluster, checks};
use kubescribe_validate::{Diagnostic, Validator};

struct Env {
    kubeconfig: PathBuf,
    corpus: PathBuf,
}

fn env() -> Option<Env> {
    let kc = std::env::var_os("KUBESCRIBE_TEST_KUBECONFIG");
    let corpus = std::env::var_os("KUBESCRIBE_CORPUS").and(kubescribe_testkit::corpus::corpus());
    match (kc, corpus) {
        (Some(kc), Some(c)) => Some(Env {
            kubeconfig: kc.into(),
            corpus: c,
        }),
        _ => {
            eprintln!(
                "NOT RUN: set KUBESCRIBE_TEST_KUBECONFIG (scripts/cluster/start.sh prints one) and KUBESCRIBE_CORPUS to run the cluster tests"
            );
            None
        }
    }
}

fn connect(env: &Env) -> KubeCluster {
    KubeCluster::connect(&ClusterOptions {
        kubeconfig: Some(env.kubeconfig.clone()),
        timeout: Duration::from_secs(20),
        ..Default::default()
    })
    .expect("connect")
}

const KUBEARMOR_CRD: &str =
    "crds/kubearmor/kubearmor-KubeArmor/deployments/CRD/KubeArmorPolicy.yaml";
const CILIUM_CRD: &str = "crds/cilium/metio-kube-custom-resources-rs/crd-catalog/cilium/cilium/cilium.io/v2/ciliumnetworkpolicies.yaml";
const TETRAGON_CRD: &str = "crds/tetragon/cilium-tetragon/pkg/k8s/apis/cilium.io/client/crds/v1alpha1/cilium.io_tracingpoliciesnamespaced.yaml";

fn read_crd(env: &Env, rel: &str) -> Value {
    let path = env.corpus.join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let set = document::read_bytes(
        rel,
        text.as_bytes(),
        &document::ReadLimits {
            max_bytes: 64 << 20,
            max_depth: 512,
            ..Default::default()
        },
    )
    .unwrap();
    set.documents.into_iter().next().unwrap().value
}

/// Drops `default: ""` on string fields, which v1.20 refuses in a CRD
/// (Tetragon's CRD has them; see the apiserver recipe's README).
fn drop_empty_defaults(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("default") == Some(&json!("")) {
                m.remove("default");
            }
            m.values_mut().for_each(drop_empty_defaults);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_empty_defaults),
        _ => {}
    }
}

/// Installs the KubeArmor, Cilium and Tetragon (namespaced) CRDs once, with a
/// plain create (v1.20 refuses CEL-carrying CRDs under server-side apply).
fn install_crds(env: &Env, cluster: &KubeCluster) {
    static DONE: OnceLock<()> = OnceLock::new();
    if DONE.get().is_some() {
        return;
    }
    let api: Api<CustomResourceDefinition> = Api::all(cluster.api().client());
    for rel in [KUBEARMOR_CRD, CILIUM_CRD, TETRAGON_CRD] {
        let mut v = read_crd(env, rel);
        drop_empty_defaults(&mut v);
        let crd: CustomResourceDefinition = serde_json::from_value(v).unwrap();
        let name = crd.metadata.name.clone().unwrap();
        match cluster.block_on(api.create(&PostParams::default(), &crd)) {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => panic!("installing {name}: {e}"),
        }
        // Wait until the new kind is served.
        for i in 0.. {
            let got = cluster.block_on(api.get(&name)).unwrap();
            let established = got
                .status
                .and_then(|s| s.conditions)
                .unwrap_or_default()
                .iter()
                .any(|c| c.type_ == "Established" && c.status == "True");
            if established {
                break;
            }
            assert!(i < 100, "{name} not established");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // Discovery of a new group can lag a moment behind Established.
    std::thread::sleep(Duration::from_secs(2));
    DONE.set(()).ok();
}

fn namespace(cluster: &KubeCluster, prefix: &str) -> String {
    let name = format!(
        "{prefix}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let api: Api<Namespace> = Api::all(cluster.api().client());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    cluster
        .block_on(api.create(&PostParams::default(), &ns))
        .unwrap();
    name
}

fn create_pod(cluster: &KubeCluster, ns: &str, name: &str, labels: Value, ports: Value) {
    let api: Api<Pod> = Api::namespaced(cluster.api().client(), ns);
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "main", "image": "nginx:1.27", "ports": ports}]}
    }))
    .unwrap();
    cluster
        .block_on(api.create(&PostParams::default(), &pod))
        .unwrap();
}

fn create_service(
    cluster: &KubeCluster,
    ns: &str,
    name: &str,
    selector: Value,
    port: i32,
    target: Value,
) {
    let api: Api<Service> = Api::namespaced(cluster.api().client(), ns);
    let svc: Service = serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {"selector": selector, "ports": [{"port": port, "targetPort": target}]}
    }))
    .unwrap();
    cluster
        .block_on(api.create(&PostParams::default(), &svc))
        .unwrap();
}

fn kubearmor(ns: &str, name: &str, path: &str) -> Value {
    json!({"apiVersion": "security.kubearmor.com/v1", "kind": "KubeArmorPolicy",
           "metadata": {"name": name, "namespace": ns},
           "spec": {"selector": {"matchLabels": {"app": "web"}},
                    "file": {"matchPaths": [{"path": path, "readOnly": true}]},
                    "action": "Allow"}})
}

fn pointers(d: &[Diagnostic]) -> Vec<&str> {
    d.iter()
        .filter(|d| d.is_error())
        .map(|d| d.pointer.as_str())
        .collect()
}

/// Layer 1 against the CRD the cluster holds.
fn layer1(cluster: &mut KubeCluster, v: &Value) -> Vec<Diagnostic> {
    let mut validator = Validator::new();
    let notes = checks::add_cluster_crds(cluster, &mut validator, [v]).unwrap();
    assert!(
        notes
            .iter()
            .all(|n| n.contains("checked against cluster CRD")),
        "{notes:?}"
    );
    validator.validate_value(v).diagnostics
}

fn dry_run(cluster: &KubeCluster, v: &Value) -> ApplyResult {
    cluster
        .apply(
            v,
            &ApplyOptions {
                dry_run: true,
                ..Default::default()
            },
        )
        .unwrap()
}

#[test]
fn bad_policy_is_rejected_by_dry_run_at_the_field_layer_1_reports() {
    let Some(env) = env() else { return };
    let mut cluster = connect(&env);
    install_crds(&env, &cluster);
    let ns = namespace(&cluster, "bad");

    // A pattern violation (a file path ending in '/').
    let bad = kubearmor(&ns, "bad-path", "/etc/nginx/");
    let ours = layer1(&mut cluster, &bad);
    assert_eq!(
        pointers(&ours),
        ["/spec/file/matchPaths/0/path"],
        "{ours:#?}"
    );
    let ApplyResult::Rejected {
        code, diagnostics, ..
    } = dry_run(&cluster, &bad)
    else {
        panic!("dry run accepted a bad policy")
    };
    assert_eq!(code, 422);
    assert_eq!(
        pointers(&diagnostics),
        ["/spec/file/matchPaths/0/path"],
        "{diagnostics:#?}"
    );

    // An unknown field, rejected under server-side apply.
    let mut unknown = kubearmor(&ns, "bad-field", "/etc/nginx/nginx.conf");
    unknown["spec"]["file"]["matchDirectory"] = json!([{"dir": "/etc/"}]);
    let ours = layer1(&mut cluster, &unknown);
    assert_eq!(pointers(&ours), ["/spec/file/matchDirectory"], "{ours:#?}");
    let ApplyResult::Rejected { diagnostics, .. } = dry_run(&cluster, &unknown) else {
        panic!("dry run accepted an unknown field")
    };
    assert_eq!(
        pointers(&diagnostics),
        ["/spec/file/matchDirectory"],
        "{diagnostics:#?}"
    );

    // An enum violation.
    let mut action = kubearmor(&ns, "bad-action", "/etc/nginx/nginx.conf");
    action["spec"]["action"] = json!("Permit");
    let ours = layer1(&mut cluster, &action);
    assert_eq!(pointers(&ours), ["/spec/action"], "{ours:#?}");
    let ApplyResult::Rejected { diagnostics, .. } = dry_run(&cluster, &action) else {
        panic!("dry run accepted a bad enum")
    };
    assert_eq!(pointers(&diagnostics), ["/spec/action"], "{diagnostics:#?}");
}

#[test]
fn cel_rules_are_caught_client_side_where_the_server_does_not() {
    let Some(env) = env() else { return };
    let cluster = connect(&env);
    install_crds(&env, &cluster);
    let ns = namespace(&cluster, "cel");
    // Tetragon: a namespaced policy must not carry a hostSelector, and a
    // hostSelector may only be null or {} (CEL rules of the CRD).
    let tp = json!({"apiVersion": "cilium.io/v1alpha1", "kind": "TracingPolicyNamespaced",
        "metadata": {"name": "host", "namespace": ns},
        "spec": {"hostSelector": {"matchLabels": {"kubernetes.io/hostname": "node-1"}},
                 "kprobes": [{"call": "sys_openat", "syscall": true,
                              "args": [{"index": 1, "type": "string"}]}]}});
    // v1.20 drops CEL rules from stored CRDs, so the server accepts it.
    let server = dry_run(&cluster, &tp);
    assert!(
        matches!(server, ApplyResult::Applied(_)),
        "the server enforced the CEL rules (a cluster >= 1.25?): {server:?}"
    );
    // Without the CRD's rules, layer 1 passes too ...
    assert!(Validator::new().validate_value(&tp).is_valid());
    // ... but with the cluster's CRD (stored without its rules) the rules
    // of the bundled upstream CRD are evaluated, and the note says so
    // (issue 21: they were skipped, the note said "validated against").
    let mut from_cluster = Validator::new();
    let mut c = connect(&env);
    let notes = checks::add_cluster_crds(&mut c, &mut from_cluster, [&tp]).unwrap();
    assert!(notes[0].contains("kubescribe bundles"), "{notes:?}");
    let d = from_cluster.validate_value(&tp).diagnostics;
    assert!(
        d.iter()
            .any(|d| d.rule == "x-kubernetes-validations" && d.pointer == "/spec/hostSelector"),
        "{d:#?}"
    );
    // ... with them (kube-cel), both rules are broken.
    let mut validator = Validator::new();
    validator
        .add_crd_file(&env.corpus.join(TETRAGON_CRD))
        .unwrap();
    let d = validator.validate_value(&tp).diagnostics;
    let mut cel: Vec<(&str, &str)> = d
        .iter()
        .filter(|d| d.rule == "x-kubernetes-validations")
        .map(|d| (d.pointer.as_str(), d.message.as_str()))
        .collect();
    cel.sort();
    assert_eq!(cel.len(), 2, "{d:#?}");
    assert_eq!(cel[0].0, "");
    assert_eq!(
        cel[1],
        (
            "/spec/hostSelector",
            "The hostSelector should be either null or {}."
        )
    );
    assert!(
        d.iter().all(|d| d.rule == "x-kubernetes-validations"),
        "{d:#?}"
    );
}

#[test]
fn good_policy_applies_and_reports_what_changed() {
    let Some(env) = env() else { return };
    let cluster = connect(&env);
    install_crds(&env, &cluster);
    let ns = namespace(&cluster, "good");
    let good = kubearmor(&ns, "www", "/var/www/index.html");
    let ApplyResult::Applied(r) = dry_run(&cluster, &good) else {
        panic!("dry run rejected a good policy")
    };
    assert_eq!((r.action, r.dry_run), (Action::Created, true));
    let apply = |v: &Value| match cluster.apply(v, &ApplyOptions::default()).unwrap() {
        ApplyResult::Applied(r) => r,
        other => panic!("{other:?}"),
    };
    let r = apply(&good);
    assert_eq!((r.action, r.dry_run), (Action::Created, false));
    let r = apply(&good);
    assert_eq!(r.action, Action::Unchanged, "{r:?}");
    let mut changed = good.clone();
    changed["spec"]["action"] = json!("Block");
    let r = apply(&changed);
    assert_eq!(r.action, Action::Configured);
    assert_eq!(r.changed, ["/spec/action"]);
}

#[test]
fn pods_and_services_are_found_by_selector_and_engines_detected() {
    let Some(env) = env() else { return };
    let mut cluster = connect(&env);
    install_crds(&env, &cluster);
    let ns = namespace(&cluster, "ctx");
    create_pod(
        &cluster,
        &ns,
        "web-1",
        json!({"app": "web", "tier": "front"}),
        json!([{"name": "http", "containerPort": 8080}]),
    );
    create_pod(
        &cluster,
        &ns,
        "db-1",
        json!({"app": "db"}),
        json!([{"containerPort": 5432}]),
    );
    create_service(
        &cluster,
        &ns,
        "web",
        json!({"app": "web"}),
        80,
        json!("http"),
    );
    let sel: BTreeMap<String, String> = [("app".to_string(), "web".to_string())].into();
    let pods = cluster.pods_matching(Some(&ns), &sel).unwrap();
    assert_eq!(
        pods.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["web-1"]
    );
    assert_eq!(pods[0].ports[0].port, 8080);
    assert_eq!(pods[0].ports[0].name.as_deref(), Some("http"));
    let services = cluster.services(Some(&ns)).unwrap();
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].selector, sel);
    assert_eq!(services[0].ports[0].target_port.as_deref(), Some("http"));
    assert!(cluster.namespaces().unwrap().contains(&ns));
    let engines = cluster.engines().unwrap();
    for e in [
        Engine::KubeArmor,
        Engine::Cilium,
        Engine::Tetragon,
        Engine::Kubernetes,
    ] {
        assert!(engines.contains(&e), "{e} not in {engines:?}");
    }
}

/// Layers 2/3 and the server-side dry run of the policy's own rendering.
fn final_checks(cluster: &mut KubeCluster, p: &Policy) -> Vec<Diagnostic> {
    checks::final_checks(
        cluster,
        p,
        &p.to_value().unwrap(),
        true,
        &ApplyOptions::default(),
    )
    .unwrap()
}

#[test]
fn the_dry_run_sends_the_document_as_written_not_its_defaults() {
    // Issue 21: a valid TracingPolicyNamespaced whose kprobe args carry no
    // `resolve` was reported invalid (`/spec/kprobes/0/args/0/resolve:
    // Invalid value: "null"`): the dry run sent the model's rendering with
    // schema defaults filled in, where `apply --dry-run=server` sends the file.
    let Some(env) = env() else { return };
    let mut cluster = connect(&env);
    install_crds(&env, &cluster);
    let ns = namespace(&cluster, "asis");
    let doc = json!({"apiVersion": "cilium.io/v1alpha1", "kind": "TracingPolicyNamespaced",
        "metadata": {"name": "openat", "namespace": ns},
        "spec": {"kprobes": [{"call": "sys_openat", "syscall": true,
                              "args": [{"index": 1, "type": "string"}]}]}});
    // The policy the validator hands on carries the schema's defaults
    // (`resolve: ""` and more), which this server refuses.
    let policy = Validator::new().validate_value(&doc).policy.unwrap();
    let rendered = policy.to_value().unwrap();
    assert_eq!(
        rendered.pointer("/spec/kprobes/0/args/0/resolve"),
        Some(&json!(""))
    );
    assert!(matches!(
        dry_run(&cluster, &rendered),
        ApplyResult::Rejected { .. }
    ));
    let d =
        checks::final_checks(&mut cluster, &policy, &doc, true, &ApplyOptions::default()).unwrap();
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn cluster_validation_flags_unmatched_selectors_and_unserved_ports() {
    let Some(env) = env() else { return };
    let mut cluster = connect(&env);
    install_crds(&env, &cluster);
    let ns = namespace(&cluster, "l23");
    create_pod(
        &cluster,
        &ns,
        "web-1",
        json!({"app": "web"}),
        json!([{"name": "http", "containerPort": 8080}]),
    );
    create_pod(
        &cluster,
        &ns,
        "db-1",
        json!({"app": "db"}),
        json!([{"containerPort": 5432}]),
    );
    let netpol = |app: &str, port: Value| {
        Policy::from_value(
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "p", "namespace": ns},
            "spec": {"podSelector": {"matchLabels": {"app": app}},
                     "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "db"}}}],
                                  "ports": [{"port": port, "protocol": "TCP"}]}]}}),
        )
        .unwrap()
    };
    // Good: passes layers 2/3 and the server-side dry run.
    let d = final_checks(&mut cluster, &netpol("web", json!(8080)));
    assert!(d.is_empty(), "{d:#?}");
    // Selector matching no pod, with the nearest label as the fix.
    let d = final_checks(&mut cluster, &netpol("wbe", json!(8080)));
    assert_eq!(
        pointers(&d),
        ["/spec/podSelector/matchLabels/app"],
        "{d:#?}"
    );
    assert_eq!(d[0].fix.as_ref().unwrap().replacement, Some(json!("web")));
    // A port no selected pod serves.
    let d = final_checks(&mut cluster, &netpol("web", json!(9999)));
    assert_eq!(pointers(&d), ["/spec/ingress/0/ports/0/port"], "{d:#?}");
    // Cilium: the same through its own selectors.
    let cnp = Policy::from_value(
        json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "c", "namespace": ns},
        "spec": {"endpointSelector": {"matchLabels": {"app": "web"}},
                 "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "dbb"}}],
                              "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}]}]}}),
    )
    .unwrap();
    let d = final_checks(&mut cluster, &cnp);
    assert_eq!(
        pointers(&d),
        ["/spec/ingress/0/fromEndpoints/0/matchLabels/app"],
        "{d:#?}"
    );
}
