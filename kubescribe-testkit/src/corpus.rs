//! The shared corpus (`KUBESCRIBE_CORPUS`) and its policy documents.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_core::{Engine, Policy, PolicyKind};

/// The corpus root named by `KUBESCRIBE_CORPUS`, or `None` (after printing
/// `NOT RUN`) when the variable is unset.
///
/// A relative path is taken relative to the directory `cargo test` was typed
/// in, which cargo does not keep: it runs each test binary in its crate's
/// folder. So a relative path is looked up from the test's folder and each
/// folder above it (the workspace root among them), and the first that holds
/// the corpus wins: `KUBESCRIBE_CORPUS=../shared/corpus cargo test` works as
/// typed at the workspace root.
pub fn corpus() -> Option<PathBuf> {
    let Some(p) = std::env::var_os("KUBESCRIBE_CORPUS").map(PathBuf::from) else {
        println!("NOT RUN: set KUBESCRIBE_CORPUS to ../shared/corpus to run the corpus tests");
        eprintln!("NOT RUN: set KUBESCRIBE_CORPUS to ../shared/corpus to run the corpus tests");
        return None;
    };
    let cwd = std::env::current_dir().ok();
    Some(resolve(&p, cwd.as_deref()).unwrap_or_else(|| {
        panic!(
            "KUBESCRIBE_CORPUS={} has no INDEX.json (a relative path is read from the test's folder and the folders above it)",
            p.display()
        )
    }))
}

/// Where `path` names a corpus (a folder with `INDEX.json`): as given when
/// absolute, else below the current directory, `start` or a folder above it.
pub fn resolve(path: &Path, start: Option<&Path>) -> Option<PathBuf> {
    let holds = |p: &Path| p.join("INDEX.json").is_file();
    if path.is_absolute() {
        return holds(path).then(|| path.to_path_buf());
    }
    let mut dir = start?;
    loop {
        let candidate = dir.join(path);
        if holds(&candidate) {
            return Some(std::fs::canonicalize(&candidate).unwrap_or(candidate));
        }
        dir = dir.parent()?;
    }
}

/// One policy document of the corpus.
pub struct CorpusDoc {
    pub path: String,
    pub index: usize,
    pub kind: PolicyKind,
    pub value: Value,
}

/// Every document of the five engines' kinds under `policies/`, plus files
/// that failed to parse (path, error).
pub fn policy_documents(root: &Path) -> (Vec<CorpusDoc>, Vec<(String, String)>) {
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("INDEX.json")).unwrap()).unwrap();
    let mut docs = Vec::new();
    let mut unparsed = Vec::new();
    for f in index["files"].as_array().unwrap() {
        let path = f["corpus_path"].as_str().unwrap();
        if !path.starts_with("policies/") || f.get("docs").is_none() {
            continue;
        }
        let has_policy = f["docs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| !d["engine"].is_null());
        if !has_policy {
            continue;
        }
        match document::read_file(&root.join(path), &ReadLimits::default()) {
            Ok(set) => {
                for d in set.documents {
                    // Documents of modelled kinds, plus engine documents whose
                    // apiVersion/kind is off (they must be rejected).
                    let kind = Policy::kind_of(&d.value).ok();
                    let flagged_engine = f["docs"].as_array().unwrap().iter().any(|x| {
                        x["index"].as_u64() == Some(d.index as u64) && !x["engine"].is_null()
                    });
                    if let Some(kind) = kind.or(if flagged_engine {
                        Some(PolicyKind::CiliumNetworkPolicy)
                    } else {
                        None
                    }) {
                        docs.push(CorpusDoc {
                            path: path.to_string(),
                            index: d.index,
                            kind,
                            value: d.value,
                        });
                    }
                }
            }
            Err(e) => unparsed.push((path.to_string(), e.to_string())),
        }
    }
    (docs, unparsed)
}

pub const UPSTREAM_SCHEMAS: &[&str] = &[
    "crds/kubearmor/kubearmor-KubeArmor/deployments/CRD/KubeArmorPolicy.yaml",
    "crds/kubearmor/kubearmor-KubeArmor/deployments/CRD/KubeArmorHostPolicy.yaml",
    "crds/kubearmor/kubearmor-KubeArmor/deployments/CRD/KubeArmorClusterPolicy.yaml",
    "crds/kubearmor/kubearmor-KubeArmor/deployments/CRD/KubeArmorNetworkPolicy.yaml",
    "crds/tetragon/cilium-tetragon/pkg/k8s/apis/cilium.io/client/crds/v1alpha1/cilium.io_tracingpolicies.yaml",
    "crds/tetragon/cilium-tetragon/pkg/k8s/apis/cilium.io/client/crds/v1alpha1/cilium.io_tracingpoliciesnamespaced.yaml",
    "crds/cilium/metio-kube-custom-resources-rs/crd-catalog/cilium/cilium/cilium.io/v2/ciliumnetworkpolicies.yaml",
    "crds/cilium/metio-kube-custom-resources-rs/crd-catalog/cilium/cilium/cilium.io/v2/ciliumclusterwidenetworkpolicies.yaml",
    "crds/calico/projectcalico-calico/api/config/crd/projectcalico.org_networkpolicies.yaml",
    "crds/calico/projectcalico-calico/api/config/crd/projectcalico.org_globalnetworkpolicies.yaml",
    "crds/calico/projectcalico-calico/api/config/crd/projectcalico.org_stagednetworkpolicies.yaml",
    "crds/calico/projectcalico-calico/api/config/crd/projectcalico.org_stagedglobalnetworkpolicies.yaml",
    "crds/calico/projectcalico-calico/api/config/crd/projectcalico.org_stagedkubernetesnetworkpolicies.yaml",
    "crds/k8s-networkpolicy/derived/io.k8s.api.networking.v1.NetworkPolicy.openapi-v3-fragment.json",
];

/// Counts per engine, printed as a table.
pub fn print_counts(title: &str, counts: &BTreeMap<Engine, (usize, usize)>) {
    eprintln!("{title}");
    for (e, (ok, total)) in counts {
        eprintln!("  {:<11} {ok:>4} / {total:<4}", e.name());
    }
}
