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

fn commands<'a>(extra: &'a [&'a str]) -> Vec<Vec<&'a str>> {
    let with = |base: &[&'a str]| base.iter().chain(extra).copied().collect::<Vec<_>>();
    vec![
        with(&["apply", POLICY]),
        with(&["apply", POLICY, "--dry-run", "server"]),
        with(&["cluster"]),
        with(&["validate", POLICY, "--cluster"]),
        with(&[
            "generate",
            "--intent-file",
            "examples/intents/nginx-www.json",
            "--apply",
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
    for args in commands(&["--request-timeout", "2"]) {
        let o = kubescribe(&args, Some(&kc), dir.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("cannot reach the cluster"),
            "{args:?}: {}",
            stderr(&o)
        );
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
    let o = generate(&["--dry-run", "server"]);
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
            "--cluster",
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
            "--cluster",
            "--kubeconfig",
            kcs,
        ],
        None,
        dir.path(),
    );
    assert_ne!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("nosuch-1"), "{}", stderr(&o));
}
