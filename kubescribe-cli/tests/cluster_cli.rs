//! The cluster commands end to end: without a cluster they fail with a
//! clear message within the timeout; with one (`KUBESCRIBE_TEST_KUBECONFIG`,
//! see `scripts/cluster/start.sh`) `generate --apply` applies only what
//! passes every layer.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

fn kubescribe(args: &[&str], kubeconfig_env: Option<&Path>, home: &Path) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubescribe"));
    c.args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("HOME", home)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT");
    match kubeconfig_env {
        Some(k) => c.env("KUBECONFIG", k),
        None => c.env("KUBECONFIG", home.join("no-such-kubeconfig")),
    };
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn kubeconfig(dir: &Path, server: &str) -> std::path::PathBuf {
    let p = dir.join("kubeconfig");
    std::fs::write(
        &p,
        format!("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: '{server}', insecure-skip-tls-verify: true}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: x\n  context: {{cluster: c, user: u}}\ncurrent-context: x\n"),
    )
    .unwrap();
    p
}

const POLICY: &str = "examples/policies/kubearmor-nginx-www.yaml";
const NETPOL: &str = "examples/policies/network-shop.yaml";

fn commands<'a>(extra: &'a [&'a str]) -> Vec<Vec<&'a str>> {
    let with = |base: &[&'a str]| base.iter().chain(extra).copied().collect::<Vec<_>>();
    vec![
        with(&["apply", POLICY]),
        with(&["apply", POLICY, "--dry-run=server"]),
        with(&["cluster"]),
        with(&["validate", POLICY, "--live"]),
        // Every kind: a NetworkPolicy needs no CRD, so the first request is
        // layer 2's (issue 21: it exited 1 and called the policy invalid).
        with(&["validate", NETPOL, "--live"]),
        with(&[
            "validate",
            "examples/policies/tetragon-block-passwd-write.yaml",
            "--live",
        ]),
        with(&["diff", "-f", POLICY]),
        with(&["delete", "-f", POLICY]),
        with(&[
            "generate",
            "--intent-file",
            "examples/intents/nginx-www.json",
            "--apply",
        ]),
        // Pod names resolved through the cluster (issue 21: a silent
        // server made this exit 1, an intent "that cannot be parsed").
        with(&[
            "generate",
            "--intent",
            "allow ingress to pod web-1 in namespace shop on tcp port 8080",
            "--live",
        ]),
    ]
}

#[test]
fn without_a_configured_cluster_every_cluster_command_says_so() {
    let home = tempfile::tempdir().unwrap();
    for args in commands(&[]) {
        let o = kubescribe(&args, None, home.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("no cluster configured"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

#[test]
fn an_unreachable_or_silent_server_fails_within_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens: refused at once.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let kc = kubeconfig(dir.path(), &format!("https://127.0.0.1:{port}"));
    for args in commands(&["--request-timeout", "2s"]) {
        let o = kubescribe(&args, Some(&kc), dir.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!(
                "cannot reach the cluster at https://127.0.0.1:{port}"
            )),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("invalid"), "{args:?}: {}", stderr(&o));
    }
    // Accepts connections, never answers: bounded by --request-timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let kc = kubeconfig(
        dir.path(),
        &format!("https://{}", silent.local_addr().unwrap()),
    );
    for args in commands(&["--request-timeout", "1"]) {
        // Without the bound this would never return; the message names it.
        let o = kubescribe(&args, Some(&kc), dir.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("did not answer within") || e.contains("cannot reach"),
            "{args:?}: {e}"
        );
        assert!(e.contains("https://127.0.0.1:"), "{args:?}: {e}");
    }
    drop(silent);
}

#[test]
fn generate_apply_applies_only_what_passes_every_layer() {
    use kube::api::{Api, PostParams};
    let Some(kc) = std::env::var_os("KUBESCRIBE_TEST_KUBECONFIG") else {
        eprintln!(
            "NOT RUN: set KUBESCRIBE_TEST_KUBECONFIG (scripts/cluster/start.sh) to run the cluster CLI test"
        );
        return;
    };
    let kc = std::path::PathBuf::from(kc);
    let dir = tempfile::tempdir().unwrap();
    let cluster = kubescribe_kube::KubeCluster::connect(&kubescribe_kube::ClusterOptions {
        kubeconfig: Some(kc.clone()),
        ..Default::default()
    })
    .unwrap();
    let ns = format!("cli-{}", std::process::id());
    let nss: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(cluster.api().client());
    let n = serde_json::from_value(serde_json::json!({"metadata": {"name": ns}})).unwrap();
    cluster
        .block_on(nss.create(&PostParams::default(), &n))
        .unwrap();
    let intent = dir.path().join("intent.json");
    std::fs::write(
        &intent,
        serde_json::json!({"engine": "kubernetes", "scope": {"namespace": ns, "labels": {"app": "cart"}},
            "domain": "network", "action": "allow", "direction": "ingress",
            "resources": {"ports": [{"port": 7070, "protocol": "TCP"}], "peers": [{"labels": {"app": "frontend"}}]}})
        .to_string(),
    )
    .unwrap();
    let intent = intent.to_str().unwrap();
    let kcs = kc.to_str().unwrap();
    let generate = |extra: &[&str]| {
        let mut a = vec![
            "generate",
            "--intent-file",
            intent,
            "--apply",
            "--kubeconfig",
            kcs,
        ];
        a.extend(extra);
        kubescribe(&a, None, dir.path())
    };
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(cluster.api().client(), &ns);
    let create = |name: &str, app: &str, port: i32| {
        let pod = serde_json::from_value(serde_json::json!({"metadata": {"name": name, "labels": {"app": app}},
            "spec": {"containers": [{"name": "c", "image": "img", "ports": [{"containerPort": port}]}]}}))
        .unwrap();
        cluster
            .block_on(pods.create(&PostParams::default(), &pod))
            .unwrap();
    };
    // No pod carries app=cart yet: layer 2 fails, nothing is applied.
    let o = generate(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("not applied"), "{}", stderr(&o));
    assert!(stderr(&o).contains("matches no pod"), "{}", stderr(&o));
    // The pod exists but serves another port, and there is no frontend: layers 2 and 3 fail.
    create("cart-1", "cart", 8080);
    let o = generate(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no selected pod serves port 7070"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("peer selector matches no pod"),
        "{}",
        stderr(&o)
    );
    create("cart-2", "cart", 7070);
    create("frontend-1", "frontend", 80);
    let o = generate(&["--dry-run=server"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("would be created (server dry run)"),
        "{}",
        stderr(&o)
    );
    let o = generate(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("networkpolicy/{ns}/")),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains(" created"), "{}", stderr(&o));
    let o = generate(&[]);
    assert!(stderr(&o).contains("unchanged"), "{}", stderr(&o));
}

#[test]
fn generate_cluster_resolves_pod_names_and_targets_an_engine_the_cluster_runs() {
    use kube::api::{Api, PostParams};
    use kubescribe_events::cluster::ClusterContext;
    let Some(kc) = std::env::var_os("KUBESCRIBE_TEST_KUBECONFIG") else {
        eprintln!(
            "NOT RUN: set KUBESCRIBE_TEST_KUBECONFIG (scripts/cluster/start.sh) to run the cluster CLI test"
        );
        return;
    };
    let kc = std::path::PathBuf::from(kc);
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = kubescribe_kube::KubeCluster::connect(&kubescribe_kube::ClusterOptions {
        kubeconfig: Some(kc.clone()),
        ..Default::default()
    })
    .unwrap();
    let ns = format!("resolve-{}", std::process::id());
    let nss: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(cluster.api().client());
    let n = serde_json::from_value(serde_json::json!({"metadata": {"name": ns}})).unwrap();
    cluster
        .block_on(nss.create(&PostParams::default(), &n))
        .unwrap();
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(cluster.api().client(), &ns);
    let pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "web-1", "labels": {"app": "web", "tier": "front", "controller-revision-hash": "abc"}},
        "spec": {"containers": [{"name": "c", "image": "img", "ports": [{"containerPort": 8080}]}]}}))
    .unwrap();
    cluster
        .block_on(pods.create(&PostParams::default(), &pod))
        .unwrap();
    let expected = kubescribe_synth::engine_for_cluster(
        kubescribe_core::intent::Domain::Network,
        &cluster.engines().unwrap(),
    )
    .expect("every cluster serves NetworkPolicy");
    let text = format!("allow ingress to pod web-1 in namespace {ns} on tcp port 8080");
    let kcs = kc.to_str().unwrap();
    let o = kubescribe(
        &[
            "generate",
            "--intent",
            &text,
            "--live",
            "--kubeconfig",
            kcs,
            "-o",
            "json",
        ],
        None,
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("targeting {expected}")),
        "{}",
        stderr(&o)
    );
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out["engine"], expected.name(), "{out}");
    let text = out["policy"].to_string();
    // The pod's stable labels select it; the per-pod hash label does not.
    assert!(
        text.contains("\"tier\"") && text.contains("\"front\""),
        "{text}"
    );
    assert!(!text.contains("controller-revision-hash"), "{text}");
    // A name no pod or controller has: the parser says it cannot resolve it.
    let o = kubescribe(
        &[
            "generate",
            "--intent",
            &format!("allow ingress to pod nosuch-1 in namespace {ns} on tcp port 8080"),
            "--live",
            "--kubeconfig",
            kcs,
        ],
        None,
        dir.path(),
    );
    assert_ne!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("nosuch-1"), "{}", stderr(&o));
}

/// Installs the Tetragon namespaced CRD (its `default: ""` lines dropped,
/// as scripts/cluster/install-crds.sh does) with a plain create.
fn install_tetragon_crd(cluster: &kubescribe_kube::KubeCluster) {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use kube::api::{Api, PostParams};
    fn drop_empty_defaults(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                if m.get("default") == Some(&serde_json::json!("")) {
                    m.remove("default");
                }
                m.values_mut().for_each(drop_empty_defaults);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(drop_empty_defaults),
            _ => {}
        }
    }
    let corpus = kubescribe_testkit::corpus::corpus().expect("KUBESCRIBE_CORPUS");
    let path = corpus.join("crds/tetragon/cilium-tetragon/pkg/k8s/apis/cilium.io/client/crds/v1alpha1/cilium.io_tracingpoliciesnamespaced.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let set = kubescribe_core::document::read_bytes(
        "crd",
        text.as_bytes(),
        &kubescribe_core::document::ReadLimits {
            max_bytes: 64 << 20,
            max_depth: 512,
            ..Default::default()
        },
    )
    .unwrap();
    let mut v = set.documents.into_iter().next().unwrap().value;
    drop_empty_defaults(&mut v);
    let crd: CustomResourceDefinition = serde_json::from_value(v).unwrap();
    let api: Api<CustomResourceDefinition> = Api::all(cluster.api().client());
    match cluster.block_on(api.create(&PostParams::default(), &crd)) {
        Ok(_) => std::thread::sleep(std::time::Duration::from_secs(3)),
        Err(kube::Error::Api(s)) if s.code == 409 => {}
        Err(e) => panic!("installing the Tetragon CRD: {e}"),
    }
}

#[test]
fn the_kubectl_workflow_against_a_real_apiserver() {
    use kube::api::{Api, PostParams};
    let Some(kc) = std::env::var_os("KUBESCRIBE_TEST_KUBECONFIG") else {
        eprintln!(
            "NOT RUN: set KUBESCRIBE_TEST_KUBECONFIG (scripts/cluster/start.sh) to run the cluster CLI test"
        );
        return;
    };
    if kubescribe_testkit::corpus::corpus().is_none() {
        eprintln!("NOT RUN: set KUBESCRIBE_CORPUS for the Tetragon CRD");
        return;
    }
    let kc = std::path::PathBuf::from(kc);
    let kcs = kc.to_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let cluster = kubescribe_kube::KubeCluster::connect(&kubescribe_kube::ClusterOptions {
        kubeconfig: Some(kc.clone()),
        ..Default::default()
    })
    .unwrap();
    install_tetragon_crd(&cluster);
    let ns = format!("kubectl-{}", std::process::id());
    let nss: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(cluster.api().client());
    let n = serde_json::from_value(serde_json::json!({"metadata": {"name": ns}})).unwrap();
    cluster
        .block_on(nss.create(&PostParams::default(), &n))
        .unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let run = |args: &[&str]| {
        let mut a: Vec<&str> = args.to_vec();
        a.extend(["--kubeconfig", &kcs]);
        kubescribe(&a, None, dir.path())
    };
    let out = |o: &Output| String::from_utf8_lossy(&o.stdout).into_owned();

    // 1. The document as written is dry-run: a kprobe arg without
    //    `resolve` is valid (was: `/spec/kprobes/0/args/0/resolve: Invalid
    //    value: "null"`), and the CEL rules the server dropped are
    //    evaluated from the bundled upstream CRD, the note says so.
    let tp = write(
        "tp.yaml",
        "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicyNamespaced\nmetadata: {name: openat}\nspec:\n  kprobes:\n  - call: sys_openat\n    syscall: true\n    args: [{index: 1, type: string}]\n",
    );
    let o = run(&["validate", "--live", "-n", &ns, "-f", &tp]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), stderr(&o));
    assert!(stderr(&o).contains("kubescribe bundles"), "{}", stderr(&o));
    let host = write(
        "host.yaml",
        &format!(
            "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicyNamespaced\nmetadata: {{name: host, namespace: {ns}}}\nspec:\n  hostSelector: {{matchLabels: {{kubernetes.io/hostname: node-1}}}}\n  kprobes:\n  - call: sys_openat\n    syscall: true\n    args: [{{index: 1, type: string}}]\n"
        ),
    );
    let o = run(&["validate", "--live", &host]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), stderr(&o));
    assert!(
        out(&o).contains("The hostSelector should be either null or {}."),
        "{}",
        out(&o)
    );

    // 2. apply a b, where b's kind is not served: a is reported created,
    //    b not applied with the cause, exit 2 (was: abort without a's line).
    let a = write(
        "a.yaml",
        &format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: deny, namespace: {ns}}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress]\n"
        ),
    );
    let b = write(
        "b.yaml",
        &format!(
            "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: c, namespace: {ns}}}\nspec:\n  selector: all()\n  types: [Ingress]\n"
        ),
    );
    let o = run(&["apply", &a, &b, "--skip-resource-checks"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", out(&o), stderr(&o));
    assert!(
        out(&o).contains(&format!("networkpolicy/{ns}/deny created")),
        "{}",
        out(&o)
    );
    assert!(
        out(&o).contains(&format!("networkpolicy/{ns}/c: not applied: ")),
        "{}",
        out(&o)
    );
    // The cause once (was: once on standard error, and the report lost).
    assert_eq!(
        format!("{}{}", out(&o), stderr(&o))
            .matches("does not serve")
            .count(),
        1,
        "{}{}",
        out(&o),
        stderr(&o)
    );

    // 3. diff: nothing to change is exit 0 and no output; a change is a
    //    unified diff and exit 1.
    let o = run(&["diff", "-f", &a]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), stderr(&o));
    assert_eq!(out(&o), "");
    let a2 = write(
        "a2.yaml",
        &format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: deny, namespace: {ns}}}\nspec:\n  podSelector: {{matchLabels: {{app: web}}}}\n  policyTypes: [Ingress]\n"
        ),
    );
    let o = run(&["diff", "-f", &a2]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), stderr(&o));
    let d = out(&o);
    assert!(
        d.contains(&format!("--- live/networkpolicy/{ns}/deny")),
        "{d}"
    );
    assert!(d.contains("+      app: web"), "{d}");

    // 4. A field another manager owns: a conflict, said so (was:
    //    `[layer 1 FieldManagerConflict]`); --force-conflicts takes it over.
    let o = run(&[
        "apply",
        &a2,
        "--skip-resource-checks",
        "--field-manager",
        "someone-else",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), stderr(&o));
    assert!(out(&o).contains(": conflict: "), "{}", out(&o));
    assert!(!out(&o).contains("[layer"), "{}", out(&o));
    let o = run(&[
        "apply",
        &a2,
        "--skip-resource-checks",
        "--field-manager",
        "someone-else",
        "--force-conflicts",
        "-o",
        "yaml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), stderr(&o));
    assert!(
        out(&o).contains("kind: NetworkPolicy") && out(&o).contains("app: web"),
        "{}",
        out(&o)
    );
    assert!(!out(&o).contains("managedFields"), "{}", out(&o));

    // 4b. --as: a user without rights is refused (403), exit 2 with the
    //     cause, not an invalid policy.
    let o = run(&["apply", &a2, "--skip-resource-checks", "--as", "nobody"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", out(&o), stderr(&o));
    assert!(
        format!("{}{}", out(&o), stderr(&o)).contains("forbidden"),
        "{}{}",
        out(&o),
        stderr(&o)
    );
    let o = run(&["validate", "--live", &a2, "--as", "nobody"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", out(&o), stderr(&o));
    assert!(!out(&o).contains("invalid"), "{}", out(&o));

    // 5. delete, then again: not found is exit 1 unless --ignore-not-found.
    let o = run(&["delete", "-f", &a]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), stderr(&o));
    assert!(
        out(&o).contains(&format!("networkpolicy/{ns}/deny deleted")),
        "{}",
        out(&o)
    );
    let o = run(&["delete", "-f", &a]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("not found"), "{}", stderr(&o));
    let o = run(&["delete", "-f", &a, "--ignore-not-found"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // 6. cluster: engines installed (CRDs) and whether they run (no
    //    DaemonSet on this cluster); a closed standard output ends quietly
    //    with 0 (was: "Broken pipe", exit 2).
    // An agent DaemonSet nothing schedules (no controller here): found,
    // and not running.
    let dss: Api<k8s_openapi::api::apps::v1::DaemonSet> =
        Api::namespaced(cluster.api().client(), &ns);
    let ds = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "tetragon"},
        "spec": {"selector": {"matchLabels": {"app": "tetragon"}},
                 "template": {"metadata": {"labels": {"app": "tetragon"}},
                              "spec": {"containers": [{"name": "t", "image": "img"}]}}}}))
    .unwrap();
    cluster
        .block_on(dss.create(&PostParams::default(), &ds))
        .unwrap();
    let o = run(&["cluster", "-n", &ns]);
    assert!(
        out(&o).contains(&format!("DaemonSet {ns}/tetragon 0/0 pods ready")),
        "{}",
        out(&o)
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // (On the test apiserver nothing runs: "installed, NOT running"; a
    // real cluster may run Tetragon.)
    let line = out(&o)
        .lines()
        .find(|l| l.trim_start().starts_with("tetragon: "))
        .unwrap_or_default()
        .to_string();
    assert!(
        line.contains("tetragon: installed, running (DaemonSet ")
            || line.contains("tetragon: installed, NOT running ("),
        "{}",
        out(&o)
    );
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kubescribe"))
        .args(["cluster", "--kubeconfig", &kcs])
        .stdout(std::process::Stdio::from(writer))
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
}

/// Issue 21: `validate --cluster` on a lone Kubernetes NetworkPolicy (no CRD
/// to look up, so layer 2's pod query is the first request) against a
/// closed port exited 1 and called the policy invalid.
#[test]
fn a_lone_network_policy_against_a_closed_port_is_a_cluster_failure() {
    let dir = tempfile::tempdir().unwrap();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let kc = kubeconfig(dir.path(), &format!("https://127.0.0.1:{port}"));
    let np = dir.path().join("np.yaml");
    std::fs::write(
        &np,
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: cart, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: cart}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: frontend}}}]\n    ports: [{port: 7070}]\n",
    )
    .unwrap();
    let o = kubescribe(
        &[
            "validate",
            np.to_str().unwrap(),
            "--live",
            "--request-timeout",
            "2s",
        ],
        Some(&kc),
        dir.path(),
    );
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains(&format!(
            "cannot reach the cluster at https://127.0.0.1:{port}"
        )),
        "{e}"
    );
    assert!(!e.contains("invalid"), "{e}");
}
