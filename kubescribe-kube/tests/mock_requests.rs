//! Request-shape tests against `tower-test`'s mock service: which URLs,
//! methods, query parameters and bodies kubescribe sends, and how it reads
//! answers and errors, without a cluster.

use std::pin::pin;
use std::time::Duration;

use http::{Request, Response, StatusCode};
use kube::client::Body;
use serde_json::{Value, json};
use tower_test::mock::{self, Handle};

use kubescribe_kube::{Action, ApplyOptions, ApplyResult, ClusterError, KubeApi};

type MockHandle = Handle<Request<Body>, Response<Body>>;

fn api() -> (KubeApi, MockHandle) {
    let (svc, handle) = mock::pair::<Request<Body>, Response<Body>>();
    let client = kube::Client::new(svc, "shop");
    (
        KubeApi::from_client(client, "https://mock", Duration::from_secs(2)),
        handle,
    )
}

fn json_response(status: StatusCode, v: &Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(v).unwrap()))
        .unwrap()
}

fn query(req: &Request<Body>) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    q.sort();
    q
}

/// The discovery answer for security.kubearmor.com/v1.
fn kubearmor_discovery() -> Value {
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "security.kubearmor.com/v1",
           "resources": [{"name": "kubearmorpolicies", "singularName": "kubearmorpolicy", "namespaced": true,
                          "kind": "KubeArmorPolicy", "verbs": ["get", "list", "patch", "create"]}]})
}

fn policy() -> Value {
    json!({"apiVersion": "security.kubearmor.com/v1", "kind": "KubeArmorPolicy",
           "metadata": {"name": "web-www"},
           "spec": {"selector": {"matchLabels": {"app": "web"}},
                    "file": {"matchDirectories": [{"dir": "/var/www/", "recursive": true}]},
                    "action": "Allow"}})
}

#[tokio::test]
async fn dry_run_apply_sends_server_side_apply_with_field_manager() {
    let (api, handle) = api();
    let server = tokio::spawn(async move {
        let mut handle = pin!(handle);
        let (req, send) = handle.next_request().await.expect("discovery");
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(req.uri().path(), "/apis/security.kubearmor.com/v1");
        send.send_response(json_response(StatusCode::OK, &kubearmor_discovery()));

        let (req, send) = handle.next_request().await.expect("get before apply");
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(
            req.uri().path(),
            "/apis/security.kubearmor.com/v1/namespaces/shop/kubearmorpolicies/web-www"
        );
        send.send_response(json_response(
            StatusCode::NOT_FOUND,
            &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found"}),
        ));

        let (req, send) = handle.next_request().await.expect("apply");
        assert_eq!(req.method(), http::Method::PATCH);
        assert_eq!(
            req.uri().path(),
            "/apis/security.kubearmor.com/v1/namespaces/shop/kubearmorpolicies/web-www"
        );
        assert_eq!(
            req.headers()["content-type"],
            "application/apply-patch+yaml"
        );
        let q = query(&req);
        for want in [
            ("dryRun", "All"),
            ("fieldManager", "kubescribe"),
            ("fieldValidation", "Strict"),
        ] {
            assert!(
                q.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} not in {q:?}"
            );
        }
        assert!(!q.iter().any(|(k, _)| k == "force"), "{q:?}");
        let body: Value =
            serde_json::from_slice(&req.into_body().collect_bytes().await.unwrap()).unwrap();
        // The namespace of the context is filled in, the rest sent as given.
        assert_eq!(body["metadata"]["namespace"], "shop");
        assert_eq!(body["spec"], policy()["spec"]);
        let mut answer = body.clone();
        answer["metadata"]["uid"] = json!("1");
        send.send_response(json_response(StatusCode::OK, &answer));
    });
    let opts = ApplyOptions {
        dry_run: true,
        ..Default::default()
    };
    let r = api.apply(&policy(), &opts).await.unwrap();
    server.await.unwrap();
    let ApplyResult::Applied(report) = r else {
        panic!("{r:?}")
    };
    assert_eq!(report.action, Action::Created);
    assert!(report.dry_run);
    assert_eq!(report.namespace.as_deref(), Some("shop"));
    assert_eq!(report.attempts, 1);
}

#[tokio::test]
async fn invalid_answer_becomes_diagnostics_at_the_server_field_paths() {
    let (api, handle) = api();
    let server = tokio::spawn(async move {
        let mut handle = pin!(handle);
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(json_response(StatusCode::OK, &kubearmor_discovery()));
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(json_response(
            StatusCode::NOT_FOUND,
            &json!({"kind": "Status", "code": 404, "reason": "NotFound"}),
        ));
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 422, "reason": "Invalid",
                    "message": "KubeArmorPolicy.security.kubearmor.com \"web-www\" is invalid: spec.file.matchPaths[0].path: Invalid value",
                    "details": {"causes": [{"reason": "FieldValueInvalid", "message": "Invalid value: \"/etc/\": spec.file.matchPaths.path in body should match '^\\/+.*[^\\/]$'",
                                            "field": "spec.file.matchPaths[0].path"}]}}),
        ));
    });
    let r = api
        .apply(&policy(), &ApplyOptions::default())
        .await
        .unwrap();
    server.await.unwrap();
    let ApplyResult::Rejected {
        code, diagnostics, ..
    } = r
    else {
        panic!("{r:?}")
    };
    assert_eq!(code, 422);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].pointer, "/spec/file/matchPaths/0/path");
    assert_eq!(diagnostics[0].rule, "FieldValueInvalid");
}

#[tokio::test]
async fn transient_errors_are_retried_with_backoff_then_reported() {
    let (api, handle) = api();
    let server = tokio::spawn(async move {
        let mut handle = pin!(handle);
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(json_response(StatusCode::OK, &kubearmor_discovery()));
        let existing = {
            let mut p = policy();
            p["metadata"]["namespace"] = json!("shop");
            p["metadata"]["resourceVersion"] = json!("7");
            p
        };
        // attempt 1: get, then a 503 on the patch; attempt 2: get, then success with a change
        for attempt in 1..=2 {
            let (_, send) = handle.next_request().await.unwrap();
            send.send_response(json_response(StatusCode::OK, &existing));
            let (req, send) = handle.next_request().await.unwrap();
            assert_eq!(req.method(), http::Method::PATCH);
            if attempt == 1 {
                send.send_response(json_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &json!({"kind": "Status", "code": 503, "reason": "ServiceUnavailable", "message": "etcd is busy"}),
                ));
            } else {
                let mut after = existing.clone();
                after["spec"]["action"] = json!("Block");
                after["metadata"]["resourceVersion"] = json!("8");
                send.send_response(json_response(StatusCode::OK, &after));
            }
        }
    });
    let opts = ApplyOptions {
        backoff: Duration::from_millis(1),
        ..Default::default()
    };
    let r = api.apply(&policy(), &opts).await.unwrap();
    server.await.unwrap();
    let ApplyResult::Applied(report) = r else {
        panic!("{r:?}")
    };
    assert_eq!(report.attempts, 2);
    assert_eq!(report.action, Action::Configured);
    assert_eq!(report.changed, ["/spec/action"]);
}

#[tokio::test]
async fn field_manager_conflict_is_not_retried() {
    let (api, handle) = api();
    let server = tokio::spawn(async move {
        let mut handle = pin!(handle);
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(json_response(StatusCode::OK, &kubearmor_discovery()));
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(json_response(
            StatusCode::NOT_FOUND,
            &json!({"kind": "Status", "code": 404, "reason": "NotFound"}),
        ));
        let (_, send) = handle.next_request().await.unwrap();
        send.send_response(json_response(
            StatusCode::CONFLICT,
            &json!({"kind": "Status", "code": 409, "reason": "Conflict",
                    "message": "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.action"}),
        ));
    });
    let r = api
        .apply(&policy(), &ApplyOptions::default())
        .await
        .unwrap();
    server.await.unwrap();
    let ApplyResult::Rejected { code, message, .. } = r else {
        panic!("{r:?}")
    };
    assert_eq!(code, 409);
    assert!(message.contains("--force-conflicts"), "{message}");
}

#[tokio::test]
async fn unserved_kind_says_the_crd_is_missing() {
    let (api, handle) = api();
    let server = tokio::spawn(async move {
        let mut handle = pin!(handle);
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.uri().path(), "/apis/security.kubearmor.com/v1");
        send.send_response(json_response(
            StatusCode::NOT_FOUND,
            &json!({"kind": "Status", "code": 404, "reason": "NotFound", "message": "the server could not find the requested resource"}),
        ));
    });
    let e = api
        .apply(&policy(), &ApplyOptions::default())
        .await
        .unwrap_err();
    server.await.unwrap();
    assert!(e.to_string().contains("CRD installed"), "{e}");
}

#[tokio::test]
async fn pods_are_listed_with_ports_and_deployment_owners() {
    let (api, handle) = api();
    let server = tokio::spawn(async move {
        let mut handle = pin!(handle);
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(req.uri().path(), "/api/v1/namespaces/shop/pods");
        send.send_response(json_response(StatusCode::OK, &json!({
            "kind": "PodList", "apiVersion": "v1", "metadata": {},
            "items": [{"metadata": {"name": "web-7d-abc", "namespace": "shop", "labels": {"app": "web"},
                                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d", "uid": "1", "controller": true}]},
                       "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]}}]})));
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(
            req.uri().path(),
            "/apis/apps/v1/namespaces/shop/replicasets"
        );
        send.send_response(json_response(StatusCode::OK, &json!({
            "kind": "ReplicaSetList", "apiVersion": "apps/v1", "metadata": {},
            "items": [{"metadata": {"name": "web-7d", "namespace": "shop",
                                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "2", "controller": true}]},
                       "spec": {"selector": {"matchLabels": {"app": "web"}}}}]})));
    });
    let pods = api.pods(Some("shop")).await.unwrap();
    server.await.unwrap();
    assert_eq!(pods.len(), 1);
    assert_eq!(pods[0].labels["app"], "web");
    assert_eq!(pods[0].ports[0].port, 8080);
    assert_eq!(pods[0].ports[0].protocol, "TCP");
    let owner = pods[0].owner.as_ref().unwrap();
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("Deployment", "web")
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let (svc, handle) = mock::pair::<Request<Body>, Response<Body>>();
    let api = KubeApi::from_client(
        kube::Client::new(svc, "default"),
        "https://mock",
        Duration::from_millis(200),
    );
    // The handle takes the request and never answers.
    let keep = tokio::spawn(async move {
        let mut handle = pin!(handle);
        let held = handle.next_request().await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(held);
    });
    // Timeout (not the dropped connection 5 s later) shows the 200 ms bound
    // fired; no clock is read, so a loaded machine cannot fail this.
    let e = api.namespaces().await.unwrap_err();
    assert!(matches!(e, ClusterError::Timeout { .. }), "{e:?}");
    keep.abort();
}
