//! Dataset builder: derivation of intents from policies, augmentation,
//! seeded split by group, and every reference valid at layer 1.

use std::collections::BTreeSet;
use std::path::Path;

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_infer::dataset::{self, DatasetConfig, Pools};
use kubescribe_infer::eval::harness::load_dataset;
use kubescribe_synth::prompt::Template;
use kubescribe_validate::Validator;

const POLICIES: &[(&str, &str)] = &[
    (
        "kubearmor-www.yaml",
        r#"apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: nginx-www, namespace: shop}
spec:
  selector: {matchLabels: {app: nginx}}
  process:
    matchPaths: [{path: /usr/sbin/nginx}]
  file:
    matchDirectories: [{dir: /var/www/, recursive: true, readOnly: true}]
  action: Allow
"#,
    ),
    (
        "kubearmor-block.yaml",
        r#"apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: no-shells, namespace: ci}
spec:
  selector: {matchLabels: {app: runner}}
  process:
    matchPaths: [{path: /bin/sh}, {path: /bin/bash}]
  action: Block
---
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: from-source, namespace: ci}
spec:
  selector: {matchLabels: {app: runner}}
  process:
    matchPaths: [{path: /bin/sh, fromSource: [{path: /usr/bin/make}]}]
  action: Block
"#,
    ),
    (
        "np.yaml",
        r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: cart-from-frontend, namespace: shop}
spec:
  podSelector: {matchLabels: {app: cartservice}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: frontend}}}]
    ports: [{protocol: TCP, port: 7070}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: two-rules, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
  - ports: [{protocol: TCP, port: 9187}]
"#,
    ),
    (
        "cilium.yaml",
        r#"apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api-egress, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  egress:
  - toCIDR: [10.20.0.0/16]
    toPorts: [{ports: [{port: "5432", protocol: TCP}]}]
"#,
    ),
    (
        "tetragon.yaml",
        r#"apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: {name: passwd}
spec:
  kprobes:
  - call: security_file_permission
    syscall: false
    args: [{index: 0, type: file}, {index: 1, type: int}]
"#,
    ),
    (
        "kubearmor-rule-action.yaml",
        r#"apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: mysql-dir, namespace: wordpress}
spec:
  message: changes to the database files
  selector: {matchLabels: {app: mysql}}
  file:
    matchDirectories:
    - {dir: /var/lib/mysql/, readOnly: true, severity: 1, action: Block}
---
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: mixed, namespace: wordpress}
spec:
  selector: {matchLabels: {app: mysql}}
  action: Audit
  file:
    matchPaths:
    - {path: /etc/mysql/my.cnf, action: Block}
    - {path: /etc/mysql/debian.cnf}
"#,
    ),
    (
        "broken.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: Bad_Name}\nspec: {podSelector: {}}\n",
    ),
];

fn fixtures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in POLICIES {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn config(seed: u64) -> DatasetConfig {
    DatasetConfig {
        seed,
        augment: 6,
        ..DatasetConfig::default()
    }
}

fn assert_references_valid(pairs: &[dataset::Pair]) {
    let v = Validator::new();
    for p in pairs {
        let set =
            document::read_bytes(&p.id, p.reference.as_bytes(), &ReadLimits::default()).unwrap();
        assert_eq!(set.documents.len(), 1, "{}", p.id);
        let mut value = set.documents[0].value.clone();
        document::prune_nulls(&mut value);
        let outcome = v.validate_value(&value);
        assert!(
            outcome.is_valid(),
            "{}: {:?}\n{}",
            p.id,
            outcome.diagnostics,
            p.reference
        );
    }
}

#[test]
fn builds_a_reproducible_split_dataset_with_valid_references() {
    let dir = fixtures();
    let (seeds, read_skips, docs) = dataset::read_seeds(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(docs, 10);
    assert_eq!(seeds.len(), 9, "{read_skips:?}");
    assert!(
        read_skips
            .iter()
            .any(|s| s.source.contains("broken.yaml") && s.reason.contains("layer 1"))
    );
    let d = dataset::build(&seeds, Pools::builtin(), None, &config(7)).unwrap();
    let all: Vec<_> = d.train.iter().chain(&d.test).cloned().collect();
    assert_references_valid(&all);
    // Seeds an intent cannot state are reported, not silently used or dropped.
    let reasons: Vec<String> = d
        .skipped
        .iter()
        .map(|s| format!("{} {}", s.source, s.reason))
        .collect();
    for (needle, what) in [
        ("#1", "fromSource"),
        ("np.yaml#1", "rules"),
        ("tetragon", "TracingPolicy"),
        ("rule-action.yaml#1", "several actions"),
    ] {
        assert!(
            reasons
                .iter()
                .any(|r| r.contains(needle) && r.contains(what)),
            "{needle} {what}: {reasons:#?}"
        );
    }
    // One corpus pair per derivable seed (5), with the policy itself as reference.
    let corpus: Vec<_> = all.iter().filter(|p| p.origin == "corpus").collect();
    assert_eq!(corpus.len(), 5);
    // A rule's own action is the policy's when every rule names the same.
    let mysql = corpus
        .iter()
        .find(|p| p.source.contains("rule-action"))
        .unwrap();
    assert_eq!(mysql.intent.action, kubescribe_core::intent::Action::Block);
    assert_eq!(
        mysql.intent.resources.dirs,
        vec!["/var/lib/mysql/".to_string()]
    );
    let www = corpus
        .iter()
        .find(|p| p.source.contains("kubearmor-www"))
        .unwrap();
    assert!(www.reference.contains("name: nginx-www"));
    assert!(
        www.intent.resources.dirs == vec!["/var/www/".to_string()]
            && www.intent.resources.read_only
    );
    // Augmentations recombine values and are synthesized.
    let synth: Vec<_> = all.iter().filter(|p| p.origin == "synth").collect();
    assert!(synth.len() >= 12, "{}", synth.len());
    let namespaces: BTreeSet<_> = synth
        .iter()
        .filter_map(|p| p.intent.scope.namespace.clone())
        .collect();
    assert!(namespaces.len() >= 3, "{namespaces:?}");
    assert!(synth.iter().all(|p| {
        p.reference
            .contains("app.kubernetes.io/managed-by: kubescribe")
    }));
    // Every template is used; ids unique; groups never straddle the split.
    let templates: BTreeSet<Template> = all.iter().map(|p| p.template).collect();
    assert_eq!(templates.len(), 5, "{templates:?}");
    let ids: BTreeSet<_> = all.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids.len(), all.len());
    let train_groups: BTreeSet<_> = d.train.iter().map(|p| p.group.clone()).collect();
    assert!(d.test.iter().all(|p| !train_groups.contains(&p.group)));
    // The same seed gives the same dataset; another seed another one.
    let again = dataset::build(&seeds, Pools::builtin(), None, &config(7)).unwrap();
    let ids_of = |d: &dataset::Dataset| {
        d.train
            .iter()
            .chain(&d.test)
            .map(|p| (p.id.clone(), p.reference.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids_of(&d), ids_of(&again));
    let other = dataset::build(&seeds, Pools::builtin(), None, &config(8)).unwrap();
    assert_ne!(ids_of(&d), ids_of(&other));
    // The written files are what the evaluation harness reads.
    let out = tempfile::tempdir().unwrap();
    dataset::write(&d, out.path(), &config(7)).unwrap();
    // Byte for byte: the same seed writes the same files.
    let out2 = tempfile::tempdir().unwrap();
    dataset::write(&again, out2.path(), &config(7)).unwrap();
    for f in [
        "train.jsonl",
        "test.jsonl",
        "skipped.jsonl",
        "manifest.json",
    ] {
        let a = std::fs::read(out.path().join(f)).unwrap();
        assert!(!a.is_empty(), "{f} is empty");
        assert!(
            a == std::fs::read(out2.path().join(f)).unwrap(),
            "{f} differs between two builds with the same seed"
        );
    }
    let train = load_dataset(&out.path().join("train.jsonl")).unwrap();
    assert_eq!(train.len(), d.train.len());
    assert_eq!(train[0].reference, d.train[0].reference);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["train"], d.train.len());
    // The synthesizer backend reads the intent back out of every prompt.
    for p in &all {
        let back = kubescribe_infer::synth::intent_from_prompt(&p.prompt.as_text()).unwrap();
        let mut expected = p.intent.clone();
        expected.engine = Some(p.engine);
        assert_eq!(back, expected, "{}", p.id);
    }
}

#[test]
fn test_share_moves_groups_between_splits() {
    let dir = fixtures();
    let (seeds, _, _) = dataset::read_seeds(&[dir.path().to_path_buf()]).unwrap();
    let none = dataset::build(
        &seeds,
        Pools::builtin(),
        None,
        &DatasetConfig {
            test_share: 0.0,
            ..config(1)
        },
    )
    .unwrap();
    assert!(none.test.is_empty() && !none.train.is_empty());
    let all = dataset::build(
        &seeds,
        Pools::builtin(),
        None,
        &DatasetConfig {
            test_share: 1.0,
            ..config(1)
        },
    )
    .unwrap();
    assert!(all.train.is_empty() && all.test.len() == none.train.len());
}

#[test]
fn corpus_dataset_references_are_all_valid() {
    let Some(corpus) = kubescribe_testkit::corpus::corpus() else {
        return;
    };
    let policies = Path::new(&corpus).join("policies");
    let (seeds, read_skips, docs) = dataset::read_seeds(&[policies]).unwrap();
    let d = dataset::build(
        &seeds,
        Pools::builtin(),
        None,
        &DatasetConfig {
            augment: 3,
            ..config(42)
        },
    )
    .unwrap();
    let all: Vec<_> = d.train.iter().chain(&d.test).cloned().collect();
    assert_references_valid(&all);
    let corpus_pairs = all.iter().filter(|p| p.origin == "corpus").count();
    eprintln!(
        "corpus: {docs} documents, {} valid seeds ({} unreadable/invalid), {corpus_pairs} derived, {} pairs ({} train, {} test), {} skipped",
        seeds.len(),
        read_skips.len(),
        all.len(),
        d.train.len(),
        d.test.len(),
        d.skipped.len()
    );
    assert!(
        corpus_pairs >= 50,
        "only {corpus_pairs} corpus policies derived"
    );
}
