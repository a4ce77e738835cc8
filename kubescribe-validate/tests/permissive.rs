//! Layer 4, over-permissive findings: one fixture per kind of finding
//! (tests/fixtures/permissive/*.yaml, each naming the findings it must
//! give in `# expect: CODE POINTER` lines), tight policies that must give
//! none, and a sweep over the corpus (with KUBESCRIBE_CORPUS) that counts
//! what is flagged and checks tight upstream policies are not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_validate::{Layer, Severity, Validator, permissive};
use serde_json::json;

fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/permissive");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// (code, pointer) of the layer-4 findings of a document.
fn found(v: &Validator, value: &serde_json::Value) -> BTreeSet<(String, String)> {
    let o = v.validate_value(value);
    assert!(o.is_valid(), "{:#?}", o.diagnostics);
    o.diagnostics
        .iter()
        .filter(|d| d.layer == Layer::Permissive)
        .inspect(|d| {
            assert_eq!(d.severity, Severity::Warning);
            assert!(d.fix.is_some(), "{d:?}");
            assert!(!d.message.is_empty());
        })
        .map(|d| (d.rule.clone(), d.pointer.clone()))
        .collect()
}

#[test]
fn every_fixture_gives_exactly_its_findings_without_a_store() {
    let v = Validator::new().permissive(true);
    let mut codes = BTreeSet::new();
    let files = fixtures();
    assert!(files.len() >= 14, "{} fixtures", files.len());
    for (name, text) in &files {
        let expected: BTreeSet<(String, String)> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .map(|l| {
                let (code, ptr) = l.trim().split_once(' ').unwrap();
                (code.to_string(), ptr.to_string())
            })
            .collect();
        assert!(!expected.is_empty(), "{name}: no `# expect:` line");
        let set = document::read_bytes(name, text.as_bytes(), &ReadLimits::default()).unwrap();
        let got = found(&v, &set.documents[0].value);
        assert_eq!(got, expected, "{name}");
        codes.extend(got.into_iter().map(|(c, _)| c));
        // Off unless asked for: the library's other callers are unchanged.
        let off = Validator::new().validate_value(&set.documents[0].value);
        assert!(off.diagnostics.iter().all(|d| d.layer != Layer::Permissive));
    }
    let all: BTreeSet<String> = permissive::CODES.iter().map(|c| c.to_string()).collect();
    assert_eq!(codes, all, "every code has a fixture");
}

#[test]
fn findings_carry_the_source_line() {
    let (name, text) = fixtures()
        .into_iter()
        .find(|(n, _)| n == "cilium-to-entities-world.yaml")
        .unwrap();
    let set = document::read_bytes(&name, text.as_bytes(), &ReadLimits::default()).unwrap();
    let reports = Validator::new().permissive(true).validate_set(&set);
    let d = reports[0]
        .diagnostics
        .iter()
        .find(|d| d.rule == "world-entity")
        .unwrap();
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("- toEntities"))
        .unwrap()
        + 1;
    assert_eq!(d.line, Some(line));
    assert_eq!(d.layer.number(), 4);
    assert!(
        d.to_string().starts_with(
            "warning[layer 4 world-entity] /spec/egress/0/toEntities/0: entity `world`"
        ),
        "{d}"
    );
}

#[test]
fn tight_policies_give_no_finding() {
    let v = Validator::new().permissive(true);
    let tight = [
        json!({"apiVersion": "security.kubearmor.com/v1", "kind": "KubeArmorPolicy",
               "metadata": {"name": "www", "namespace": "shop"},
               "spec": {"selector": {"matchLabels": {"app": "nginx"}},
                        "file": {"matchDirectories": [{"dir": "/var/www/", "recursive": true}],
                                 "matchPatterns": [{"pattern": "/var/log/*.log"}]},
                        "action": "Allow"}}),
        // A wide Block is no permission.
        json!({"apiVersion": "security.kubearmor.com/v1", "kind": "KubeArmorPolicy",
               "metadata": {"name": "no-root", "namespace": "shop"},
               "spec": {"selector": {"matchLabels": {}},
                        "file": {"matchDirectories": [{"dir": "/", "recursive": true}]},
                        "action": "Block"}}),
        // Default deny: an empty selector with no allow rule.
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "deny", "namespace": "shop"},
               "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "db", "namespace": "shop"},
               "spec": {"podSelector": {"matchLabels": {"app": "db"}},
                        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "api"}}},
                                              {"ipBlock": {"cidr": "10.0.0.0/8"}}],
                                     "ports": [{"port": 5432, "protocol": "TCP"}]}]}}),
        json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
               "metadata": {"name": "api", "namespace": "shop"},
               "spec": {"endpointSelector": {"matchLabels": {"app": "web"}},
                        "ingress": [{}],
                        "egress": [{"toFQDNs": [{"matchPattern": "*.example.com"}, {"matchName": "api.github.com"}],
                                    "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]},
                                   {"toEntities": ["kube-apiserver"]}],
                        "egressDeny": [{"toEntities": ["world"]}]}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
               "metadata": {"name": "deny-all"},
               "spec": {"selector": "all()", "types": ["Ingress"],
                        "ingress": [{"action": "Deny", "source": {"nets": ["0.0.0.0/0"]}}]}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
               "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"selector": "app == 'web'", "types": ["Egress"],
                        "egress": [{"action": "Allow", "protocol": "UDP",
                                    "destination": {"selector": "k8s-app == 'kube-dns'", "ports": [53]}}]}}),
    ];
    for doc in &tight {
        assert_eq!(found(&v, doc), BTreeSet::new(), "{doc}");
    }
}

/// Tight upstream policies (corpus path, document index): each names its
/// workloads, peers and ports; none may be flagged.
const TIGHT_UPSTREAM: &[(&str, usize)] = &[
    (
        "policies/k8s-networkpolicy/ahmetb-kubernetes-network-policy-recipes/02-limit-traffic-to-an-application.md.block01.yaml",
        0,
    ),
    (
        "policies/k8s-networkpolicy/ahmetb-kubernetes-network-policy-recipes/07-allow-traffic-from-some-pods-in-another-namespace.md.block01.yaml",
        0,
    ),
    (
        "policies/cilium/cilium-cilium/examples/kubernetes-dns/dns-matchname.yaml",
        0,
    ),
    (
        "policies/cilium/cilium-cilium/examples/kubernetes-grpc/cc-door-ingress-security.yaml",
        0,
    ),
    (
        "policies/calico/tigera-docs/calico/network-policy/adopt-zero-trust.mdx.block01.yaml",
        0,
    ),
    (
        "policies/kubearmor/kubearmor-policy-templates/golang/system/ksp-allow-golang-generic-policy-2.yaml",
        0,
    ),
];

#[test]
fn corpus_sweep_counts_findings_and_spares_tight_policies() {
    let Some(root) = kubescribe_testkit::corpus::corpus() else {
        return;
    };
    let (docs, _) = kubescribe_testkit::corpus::policy_documents(&root);
    let v = Validator::new().permissive(true);
    let mut per_engine: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut per_code: BTreeMap<String, usize> = BTreeMap::new();
    let mut flagged = BTreeSet::new();
    for d in &docs {
        let findings = permissive::check(&d.value);
        let e = per_engine
            .entry(d.kind.engine().name().to_string())
            .or_default();
        e.1 += 1;
        if !findings.is_empty() {
            e.0 += 1;
            flagged.insert((d.path.clone(), d.index));
            if std::env::var_os("KUBESCRIBE_LIST_PERMISSIVE").is_some() {
                for f in &findings {
                    eprintln!("{}#{} {} {}", d.path, d.index, f.rule, f.pointer);
                }
            }
        }
        for f in findings {
            *per_code.entry(f.rule).or_default() += 1;
        }
        // The layer never turns a document invalid.
        let _ = v.validate_value(&d.value).is_valid();
    }
    eprintln!("over-permissive findings over the corpus (documents flagged / documents):");
    for (e, (f, n)) in &per_engine {
        eprintln!("  {e:<11} {f:>4} / {n}");
    }
    eprintln!("  by code: {per_code:?}");
    for (path, index) in TIGHT_UPSTREAM {
        assert!(
            docs.iter().any(|d| d.path == *path && d.index == *index),
            "{path}#{index} is not in the corpus"
        );
        assert!(
            !flagged.contains(&(path.to_string(), *index)),
            "{path}#{index} flagged"
        );
    }
}

#[test]
fn one_finding_per_place_when_layer_3_warns_too() {
    let text = include_str!("fixtures/permissive/networkpolicy-any-cidr.yaml");
    let set = document::read_bytes("np.yaml", text.as_bytes(), &ReadLimits::default()).unwrap();
    let reports = Validator::new()
        .permissive(true)
        .validate_set_with(&set, &mut |p| kubescribe_validate::cluster::check_cidrs(p));
    let at: Vec<(u8, &str)> = reports[0]
        .diagnostics
        .iter()
        .filter(|d| d.pointer == "/spec/egress/0/to/0/ipBlock/cidr")
        .map(|d| (d.layer.number(), d.rule.as_str()))
        .collect();
    assert_eq!(at, [(4, "any-address")]);
    // Without layer 4, layer 3's warning stays.
    let reports = Validator::new()
        .validate_set_with(&set, &mut |p| kubescribe_validate::cluster::check_cidrs(p));
    assert_eq!(reports[0].diagnostics.len(), 1);
    assert_eq!(reports[0].diagnostics[0].rule, "cidr");
}
