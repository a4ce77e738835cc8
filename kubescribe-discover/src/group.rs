//! Workload identity: which workload an observed pod belongs to, named by
//! its owner and selected by labels, never by pod name.

use std::collections::BTreeMap;

use kubescribe_events::Workload;

/// Labels every pod of a workload does not share (hashes, per-pod names)
/// or that are an engine's identity bookkeeping rather than pod labels.
const VOLATILE: &[&str] = &[
    "pod-template-hash",
    "controller-revision-hash",
    "pod-template-generation",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "controller-uid",
    "job-name",
    "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-name",
    "io.kubernetes.pod.namespace",
];

/// The labels that identify a pod's workload: the observed labels without
/// per-pod ones and without Cilium's identity labels
/// (`io.cilium.k8s.*`, `reserved:*`).
pub fn identity_labels(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels
        .iter()
        .filter(|(k, v)| {
            valid_label(k, v)
                && !VOLATILE.contains(&k.as_str())
                && !k.starts_with("io.cilium.k8s.")
                && !k.starts_with("io.cilium.")
                && !k.starts_with("reserved:")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The namespace a pod's identity labels name, when a record gives none
/// (Hubble peers): Cilium's `io.kubernetes.pod.namespace`, or the automatic
/// `kubernetes.io/metadata.name` label of its namespace.
fn namespace_label(labels: &BTreeMap<String, String>) -> Option<&str> {
    labels
        .get("io.kubernetes.pod.namespace")
        .or_else(|| labels.get("io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name"))
        .map(String::as_str)
        .filter(|n| !n.is_empty())
}

/// A label Kubernetes accepts: `[prefix/]name` with a DNS-subdomain prefix
/// and a name and value of at most 63 alphanumerics, `-`, `_`, `.`,
/// beginning and ending alphanumeric (the value may be empty). Events are
/// untrusted: anything else (a quote that would end a Calico selector's
/// string) is never put into a selector.
fn valid_label(key: &str, value: &str) -> bool {
    let segment = |s: &str, max: usize| {
        !s.is_empty()
            && s.len() <= max
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric())
    };
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let prefix_ok = prefix
        .is_none_or(|p| p.len() <= 253 && p.split('.').all(|l| segment(l, 63) && !l.contains('_')));
    prefix_ok && segment(name, 63) && (value.is_empty() || segment(value, 63))
}

/// A workload as discovery groups it.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct WorkloadId {
    /// Its namespace.
    pub namespace: String,
    /// The labels its policies select.
    pub labels: BTreeMap<String, String>,
    /// Its name: the owning manifest's (Deployment, StatefulSet, ...), else
    /// the name its pods' names are generated from, else its `app` label.
    pub name: String,
    /// The owning manifest's kind, when a manifest in the store matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl WorkloadId {
    /// `namespace/name`.
    pub fn display(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// Whether `kind` runs pods.
fn runs_pods(w: &Workload) -> bool {
    !matches!(
        w.kind.as_str(),
        "Service" | "Namespace" | "Endpoints" | "EndpointSlice"
    ) && !w.pod_labels.is_empty()
}

/// The name Kubernetes generated a pod's name from (`web-6d4cf56db6-x7k2p`
/// → `web`, `db-0` → `db`, `agent-x7k2q` → `agent`), when it looks
/// generated.
pub fn owner_from_pod_name(pod: &str) -> Option<&str> {
    let alnum = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    let (head, last) = pod.rsplit_once('-')?;
    if alnum(last, 5, 5) {
        if let Some((owner, hash)) = head.rsplit_once('-')
            && alnum(hash, 6, 10)
            && hash.chars().any(|c| c.is_ascii_digit())
        {
            return Some(owner);
        }
        return Some(head);
    }
    if !last.is_empty() && last.chars().all(|c| c.is_ascii_digit()) {
        return Some(head);
    }
    None
}

/// The workload a pod belongs to: the manifest workload (of its namespace)
/// whose pod labels the pod carries, the most specific one; else the pod's
/// identity labels, named after its generated name or `app` label. `None`
/// when the pod has no namespace or no identity labels (no selector could
/// select it).
pub fn resolve(
    namespace: Option<&str>,
    pod: Option<&str>,
    labels: &BTreeMap<String, String>,
    workloads: &[Workload],
) -> Option<WorkloadId> {
    let namespace = namespace
        .filter(|n| !n.is_empty())
        .or_else(|| namespace_label(labels))?;
    let ident = identity_labels(labels);
    if ident.is_empty() {
        return None;
    }
    let manifest = workloads
        .iter()
        .filter(|w| w.namespace == namespace && runs_pods(w))
        .filter(|w| {
            let own = identity_labels(&w.pod_labels);
            !own.is_empty() && own.iter().all(|(k, v)| ident.get(k) == Some(v))
        })
        .max_by_key(|w| {
            (
                identity_labels(&w.pod_labels).len(),
                std::cmp::Reverse(&w.name),
            )
        });
    if let Some(w) = manifest {
        return Some(WorkloadId {
            namespace: namespace.to_string(),
            labels: identity_labels(&w.pod_labels),
            name: w.name.clone(),
            kind: Some(w.kind.clone()),
        });
    }
    let name = pod
        .and_then(owner_from_pod_name)
        .map(str::to_string)
        .or_else(|| ident.get("app").cloned())
        .or_else(|| ident.get("app.kubernetes.io/name").cloned())
        .or_else(|| pod.map(str::to_string))
        .unwrap_or_else(|| ident.values().next().cloned().unwrap_or_default());
    Some(WorkloadId {
        namespace: namespace.to_string(),
        labels: ident,
        name,
        kind: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn generated_pod_names_give_their_owner() {
        assert_eq!(owner_from_pod_name("nginx-6d4cf56db6-x7k2p"), Some("nginx"));
        assert_eq!(owner_from_pod_name("redis-cart-0"), Some("redis-cart"));
        assert_eq!(owner_from_pod_name("agent-x7k2q"), Some("agent"));
        assert_eq!(owner_from_pod_name("xwing"), None);
    }

    #[test]
    fn pods_of_one_deployment_are_one_workload_whatever_their_hash_labels() {
        let w = Workload {
            kind: "Deployment".into(),
            namespace: "shop".into(),
            name: "web".into(),
            labels: BTreeMap::new(),
            pod_labels: l(&[("app", "web")]),
            selector: l(&[("app", "web")]),
            ports: vec![],
            addresses: vec![],
        };
        let a = resolve(
            Some("shop"),
            Some("web-6d4cf56db6-aaaaa"),
            &l(&[("app", "web"), ("pod-template-hash", "6d4cf56db6")]),
            std::slice::from_ref(&w),
        )
        .unwrap();
        let b = resolve(
            Some("shop"),
            Some("web-7f9c8d5f4b-bbbbb"),
            &l(&[
                ("app", "web"),
                ("pod-template-hash", "7f9c8d5f4b"),
                ("io.cilium.k8s.policy.cluster", "default"),
            ]),
            &[w],
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.name, "web");
        assert_eq!(a.labels, l(&[("app", "web")]));
        // Without manifests: the labels, named after the generated name.
        let c = resolve(
            Some("shop"),
            Some("web-6d4cf56db6-aaaaa"),
            &l(&[("app", "web"), ("pod-template-hash", "6d4cf56db6")]),
            &[],
        )
        .unwrap();
        assert_eq!((c.name.as_str(), c.labels.len()), ("web", 1));
        // A label no Kubernetes object can carry (a quote would end a
        // Calico selector's string) is never selected on.
        let d = resolve(
            Some("shop"),
            None,
            &l(&[("app", "web' || all()"), ("tier", "front")]),
            &[],
        )
        .unwrap();
        assert_eq!(d.labels, l(&[("tier", "front")]));
        // No labels, no namespace: nothing could select it.
        assert!(resolve(Some("shop"), Some("x"), &BTreeMap::new(), &[]).is_none());
        assert!(resolve(None, Some("x"), &l(&[("app", "x")]), &[]).is_none());
    }
}
