//! Layer 2 against an event store built from the core crate's fixtures.

use std::path::Path;

use kubescribe_core::document::{ReadLimits, read_bytes};
use kubescribe_events::store::SqliteStore;
use kubescribe_events::{IngestOptions, ingest_file};
use kubescribe_validate::{Layer, Severity, Validator, resources};

fn store() -> SqliteStore {
    let mut s = SqliteStore::open_in_memory().unwrap();
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubescribe-events/tests/fixtures/events");
    for f in ["workloads.yaml", "kubearmor.jsonl", "tetragon.jsonl"] {
        ingest_file(&mut s, &dir.join(f), &IngestOptions::default(), &mut |_| {}).unwrap();
    }
    s
}

fn reports(yaml: &str, s: &mut SqliteStore) -> Vec<kubescribe_validate::Diagnostic> {
    let set = read_bytes("p.yaml", yaml.as_bytes(), &ReadLimits::default()).unwrap();
    let r = Validator::new().validate_set_with(&set, &mut |p| resources::check(p, s).unwrap());
    r.into_iter().flat_map(|r| r.diagnostics).collect()
}

const KSP: &str = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: db, namespace: shop}\nspec:\n  selector: {matchLabels: {app: APP}}\n  file:\n    matchPaths:\n    - path: PATH\n  action: Block\n";

#[test]
fn a_selector_matching_no_workload_is_an_error_with_the_nearest_label() {
    let mut s = store();
    let d = reports(
        &KSP.replace("APP", "dbb")
            .replace("PATH", "/etc/mysql/my.cnf"),
        &mut s,
    );
    let sel = d
        .iter()
        .find(|d| d.rule == "selector")
        .expect("selector diagnostic");
    assert_eq!(sel.layer, Layer::Resource);
    assert_eq!(sel.severity, Severity::Error);
    assert_eq!(sel.pointer, "/spec/selector/matchLabels/app");
    assert_eq!(sel.line, Some(5));
    assert_eq!(
        sel.fix.as_ref().unwrap().replacement,
        Some(serde_json::json!("db"))
    );
}

#[test]
fn observed_paths_pass_and_unobserved_ones_warn_with_the_nearest() {
    let mut s = store();
    let ok = reports(
        &KSP.replace("APP", "db")
            .replace("PATH", "/etc/mysql/my.cnf"),
        &mut s,
    );
    assert!(ok.is_empty(), "{ok:#?}");
    let d = reports(
        &KSP.replace("APP", "db")
            .replace("PATH", "/etc/mysql/my.conf"),
        &mut s,
    );
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].severity, Severity::Warning);
    assert_eq!(d[0].pointer, "/spec/file/matchPaths/0/path");
    assert_eq!(
        d[0].fix.as_ref().unwrap().replacement,
        Some(serde_json::json!("/etc/mysql/my.cnf"))
    );
}

#[test]
fn an_unknown_namespace_is_said_once_not_guessed() {
    let mut s = store();
    let d = reports(
        &KSP.replace("APP", "db")
            .replace("PATH", "/x")
            .replace("namespace: shop", "namespace: elsewhere"),
        &mut s,
    );
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, Severity::Warning);
    assert!(d[0].message.contains("no workloads"), "{}", d[0].message);
}

// ---- Layer 3 against the store: ports, protocols, CIDRs (network policies) ----

/// The shop's manifests (web serves 8080 named `http`, cache 6379, the
/// monitoring agent 9100/TCP and 8125/UDP) plus Hubble flows (web → cache
/// on 6379, web accepting on 22).
fn net_store() -> SqliteStore {
    let mut s = SqliteStore::open_in_memory().unwrap();
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubescribe-events/tests/fixtures/events");
    for f in ["workloads.yaml", "hubble.jsonl"] {
        ingest_file(&mut s, &dir.join(f), &IngestOptions::default(), &mut |_| {}).unwrap();
    }
    s
}

fn netpol(ns: &str, app: &str, ingress_port: &str, egress: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: {ns}}}\nspec:\n  podSelector: {{matchLabels: {{app: {app}}}}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - ports:\n    - {ingress_port}\n  egress:\n{egress}"
    )
}

const TO_CACHE: &str = "  - to:\n    - podSelector: {matchLabels: {app: cache}}\n    ports:\n    - {port: 6379, protocol: TCP}\n";

fn summary(d: &[kubescribe_validate::Diagnostic]) -> Vec<(String, String, Severity)> {
    d.iter()
        .map(|d| (d.pointer.clone(), d.rule.clone(), d.severity))
        .collect()
}

#[test]
fn a_good_network_policy_is_clean_against_the_store() {
    let mut s = net_store();
    for port in ["{port: 8080}", "{port: http}", "{port: 22, protocol: TCP}"] {
        let d = reports(&netpol("shop", "web", port, TO_CACHE), &mut s);
        assert!(d.is_empty(), "{port}: {d:#?}");
    }
}

#[test]
fn a_port_no_selected_workload_serves_is_an_error_suggesting_the_served_one() {
    let mut s = net_store();
    let d = reports(&netpol("shop", "web", "{port: 8081}", TO_CACHE), &mut s);
    assert_eq!(
        summary(&d),
        [(
            "/spec/ingress/0/ports/0/port".into(),
            "port".into(),
            Severity::Error
        )]
    );
    assert_eq!(d[0].layer, Layer::Property);
    assert_eq!(d[0].line, Some(9));
    assert_eq!(
        d[0].fix.as_ref().unwrap().replacement,
        Some(serde_json::json!(8080))
    );
    assert!(d[0].expected.as_deref().unwrap().contains("8080"), "{d:#?}");
}

#[test]
fn an_egress_port_the_peer_does_not_serve_is_an_error() {
    let mut s = net_store();
    let d = reports(
        &netpol(
            "shop",
            "web",
            "{port: 8080}",
            &TO_CACHE.replace("6379", "6380"),
        ),
        &mut s,
    );
    assert_eq!(
        summary(&d),
        [(
            "/spec/egress/0/ports/0/port".into(),
            "port".into(),
            Severity::Error
        )]
    );
    assert!(
        d[0].message.contains("no peer pod serves port 6380/TCP"),
        "{}",
        d[0].message
    );
    assert_eq!(
        d[0].fix.as_ref().unwrap().replacement,
        Some(serde_json::json!(6379))
    );
}

#[test]
fn a_port_served_over_another_protocol_gets_the_protocol_fixed() {
    let mut s = net_store();
    let d = reports(
        &netpol(
            "monitoring",
            "agent",
            "{port: 8125, protocol: TCP}",
            "  - {}\n",
        ),
        &mut s,
    );
    assert_eq!(
        summary(&d),
        [(
            "/spec/ingress/0/ports/0/port".into(),
            "port".into(),
            Severity::Error
        )]
    );
    let fix = d[0].fix.as_ref().unwrap();
    assert_eq!(fix.pointer, "/spec/ingress/0/ports/0/protocol");
    assert_eq!(fix.replacement, Some(serde_json::json!("UDP")));
}

#[test]
fn an_allow_of_every_address_and_a_host_written_as_a_wide_block_are_warnings() {
    let mut s = net_store();
    let egress = "  - to:\n    - ipBlock: {cidr: 0.0.0.0/0}\n    - ipBlock: {cidr: 10.1.2.3/8}\n    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}\n    - ipBlock: {cidr: 10.0.0.0/8}\n";
    let d = reports(&netpol("shop", "web", "{port: 8080}", egress), &mut s);
    assert_eq!(
        summary(&d),
        [
            (
                "/spec/egress/0/to/0/ipBlock/cidr".into(),
                "cidr".into(),
                Severity::Warning
            ),
            (
                "/spec/egress/0/to/1/ipBlock/cidr".into(),
                "cidr".into(),
                Severity::Warning
            ),
        ],
        "{d:#?}"
    );
    assert!(
        d[0].message.contains("every IPv4 address"),
        "{}",
        d[0].message
    );
    assert_eq!(d[0].layer, Layer::Property);
    assert_eq!(
        d[1].fix.as_ref().unwrap().replacement,
        Some(serde_json::json!("10.1.2.3/32"))
    );
}

#[test]
fn cilium_and_calico_allow_rules_are_checked_too() {
    let mut s = net_store();
    let cilium = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n  ingress:\n  - toPorts: [{ports: [{port: '8080', protocol: TCP}]}]\n  egress:\n  - toEndpoints: [{matchLabels: {app: cache}}]\n    toPorts: [{ports: [{port: '6379', protocol: TCP}]}]\n  - toCIDR: [::/0]\n";
    let d = reports(cilium, &mut s);
    assert_eq!(
        summary(&d),
        [(
            "/spec/egress/1/toCIDR/0".into(),
            "cidr".into(),
            Severity::Warning
        )],
        "{d:#?}"
    );
    let d = reports(&cilium.replace("'6379'", "'6380'"), &mut s);
    assert!(
        d.iter()
            .any(|d| d.pointer == "/spec/egress/0/toPorts/0/ports/0/port" && d.is_error()),
        "{d:#?}"
    );

    let calico = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  selector: app == 'web'\n  types: [Ingress, Egress]\n  ingress:\n  - action: Allow\n    protocol: TCP\n    destination: {ports: [8080]}\n  - action: Deny\n    protocol: TCP\n    destination: {ports: [9999]}\n  egress:\n  - action: Allow\n    protocol: TCP\n    destination: {selector: app == 'cache', ports: ['6000:6400']}\n";
    let d = reports(calico, &mut s);
    assert!(d.is_empty(), "{d:#?}");
    let d = reports(&calico.replace("ports: [8080]", "ports: [8081]"), &mut s);
    assert_eq!(
        summary(&d),
        [(
            "/spec/ingress/0/destination/ports/0".into(),
            "port".into(),
            Severity::Error
        )],
        "{d:#?}"
    );
    // A selector expression matching no workload: the nearest value suggested
    // in the whole expression.
    let d = reports(&calico.replace("app == 'web'", "app == 'webb'"), &mut s);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].pointer, "/spec/selector");
    assert_eq!(d[0].layer, Layer::Resource);
    assert_eq!(
        d[0].fix.as_ref().unwrap().replacement,
        Some(serde_json::json!("app == 'web'"))
    );
    let d = reports(&calico.replace("app == 'cache'", "app == 'cach'"), &mut s);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].pointer, "/spec/egress/0/destination/selector");
    assert_eq!(
        d[0].fix.as_ref().unwrap().replacement,
        Some(serde_json::json!("app == 'cache'"))
    );
}

#[test]
fn a_peer_in_a_namespace_the_store_never_saw_is_a_warning_not_an_error() {
    let mut s = net_store();
    let p = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n  egress:\n  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: dns-system, k8s-app: dns}}]\n    toPorts: [{ports: [{port: '53', protocol: ANY}]}]\n  - toEndpoints: [{matchLabels: {app: cahce}}]\n";
    let d = reports(p, &mut s);
    assert_eq!(
        summary(&d),
        [
            (
                "/spec/egress/1/toEndpoints/0/matchLabels/app".into(),
                "selector".into(),
                Severity::Error
            ),
            (
                "/spec/egress/0/toEndpoints/0/matchLabels".into(),
                "selector".into(),
                Severity::Warning
            ),
        ],
        "{d:#?}"
    );
    assert_eq!(
        d[0].fix.as_ref().unwrap().replacement,
        Some(serde_json::json!("cache"))
    );
}
