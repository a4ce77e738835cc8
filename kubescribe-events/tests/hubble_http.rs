//! Hubble L7 HTTP flows keep their request (method, path, host), the store
//! keeps it (schema 4, migrated from 3), and `Endpoints` / `EndpointSlice`
//! manifests keep their addresses.

use std::collections::BTreeMap;

use kubescribe_events::store::{EventQuery, EventStore, EventTable, SqliteStore};
use kubescribe_events::{Converted, Event, EventKind, HttpRequest, Workload, convert};
use rusqlite::Connection;

fn events(line: &str) -> Vec<Event> {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let (_, out) = convert(&v);
    let Converted::Events(events) = &out[0] else {
        panic!("{out:?}")
    };
    events.clone()
}

fn http_of(e: &Event) -> Option<HttpRequest> {
    let EventKind::Network(n) = &e.kind else {
        panic!("{e:?}")
    };
    n.http.clone()
}

/// The first flow of cilium/hubble-otel `testdata/basic-sample-5-http-flows.json`
/// (corpus `events/hubble/cilium-hubble-otel/`), its headers shortened.
const PROMETHEUS_SCRAPE: &str = r#"{"flow":{"time":"2021-10-04T14:28:38.735173594Z","verdict":"FORWARDED","IP":{"source":"10.156.2.7","destination":"10.128.0.4","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":48532,"destination_port":9990}},"source":{"ID":3871,"identity":16781,"namespace":"istio-system","labels":["k8s:app=prometheus","k8s:io.cilium.k8s.policy.cluster=default","k8s:io.cilium.k8s.policy.serviceaccount=prometheus","k8s:io.kubernetes.pod.namespace=istio-system","k8s:release=istio"],"pod_name":"prometheus-6655946b9f-6xcpf"},"destination":{"identity":2,"labels":["reserved:world"]},"Type":"L7","node_name":"gke-ilya-otel-demo-2-ilya-otel-demo-2-dac8cc20-hr0z","l7":{"type":"REQUEST","http":{"method":"GET","url":"http://10.128.0.4:9990/metrics","protocol":"HTTP/1.1","headers":[{"key":"Accept-Encoding","value":"gzip"},{"key":"User-Agent","value":"Prometheus/2.15.1"}]}},"event_type":{"type":129},"traffic_direction":"EGRESS","is_reply":false,"Summary":"HTTP/1.1 GET http://10.128.0.4:9990/metrics"},"node_name":"gke-ilya-otel-demo-2-ilya-otel-demo-2-dac8cc20-hr0z","time":"2021-10-04T14:28:38.735173594Z"}"#;

fn landing(method: &str, url: &str) -> String {
    format!(
        r#"{{"flow":{{"verdict":"FORWARDED","IP":{{"source":"10.0.0.5","destination":"10.0.0.9"}},"l4":{{"TCP":{{"source_port":40000,"destination_port":80}}}},"source":{{"namespace":"default","labels":["k8s:org=empire","k8s:class=tiefighter"],"pod_name":"tiefighter"}},"destination":{{"namespace":"default","labels":["k8s:org=empire","k8s:class=deathstar"],"pod_name":"deathstar-1"}},"Type":"L7","l7":{{"type":"REQUEST","http":{{"method":"{method}","url":"{url}","protocol":"HTTP/1.1"}}}},"traffic_direction":"INGRESS"}}}}"#
    )
}

#[test]
fn hubble_l7_http_keeps_method_path_and_host() {
    let e = events(PROMETHEUS_SCRAPE);
    assert_eq!(
        http_of(&e[0]),
        Some(HttpRequest {
            method: Some("GET".into()),
            path: Some("/metrics".into()),
            host: Some("10.128.0.4:9990".into()),
        })
    );
    // The query is part of the path Envoy matches (`:path`); the fragment is not.
    let e = events(&landing(
        "POST",
        "http://deathstar.default.svc.cluster.local/v1/request-landing?x=1#frag",
    ));
    assert_eq!(
        http_of(&e[0]),
        Some(HttpRequest {
            method: Some("POST".into()),
            path: Some("/v1/request-landing?x=1".into()),
            host: Some("deathstar.default.svc.cluster.local".into()),
        })
    );
    // A URL of only a host is the root path.
    let e = events(&landing("GET", "http://deathstar"));
    assert_eq!(http_of(&e[0]).and_then(|h| h.path), Some("/".to_string()));
    // An L4 flow has no request.
    let l4 = PROMETHEUS_SCRAPE.replace(r#""l7":{"#, r#""l7x":{"#);
    assert_eq!(http_of(&events(&l4)[0]), None);
}

fn write(store: &mut SqliteStore, events: &[Event]) {
    let mut w = store.begin().unwrap();
    for e in events {
        w.add_event(e).unwrap();
    }
    w.commit().unwrap();
}

fn flows(store: &mut SqliteStore) -> Vec<(i64, u64, Option<HttpRequest>)> {
    let mut rows: Vec<_> = store
        .events(EventTable::Flows, &EventQuery::default())
        .unwrap()
        .into_iter()
        .map(|s| (s.id, s.count, http_of(&s.event)))
        .collect();
    rows.sort_by_key(|r| r.0);
    rows
}

#[test]
fn the_store_keeps_each_request_apart() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let get = events(&landing("GET", "http://deathstar/public"));
    let post = events(&landing("POST", "http://deathstar/v1/request-landing"));
    let l4 = events(&landing("GET", "http://deathstar/public").replace(r#""l7":{"#, r#""l7x":{"#));
    write(
        &mut store,
        &[
            get[0].clone(),
            post[0].clone(),
            get[0].clone(),
            l4[0].clone(),
        ],
    );
    let rows = flows(&mut store);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0].1, 2);
    assert_eq!(rows[0].2, http_of(&get[0]));
    assert_eq!(rows[1].2, http_of(&post[0]));
    assert_eq!(rows[2].2, None);
}

#[test]
fn a_version_3_store_gains_the_http_and_address_columns_and_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.db");
    let l4 = events(&landing("GET", "http://deathstar/public").replace(r#""l7":{"#, r#""l7x":{"#));
    {
        let mut store = SqliteStore::open(&path).unwrap();
        write(&mut store, &l4);
    }
    // Back to the layout of version 3: no HTTP columns, no addresses.
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "ALTER TABLE flows DROP COLUMN http_method; ALTER TABLE flows DROP COLUMN http_path;
             ALTER TABLE flows DROP COLUMN http_host; ALTER TABLE workloads DROP COLUMN addresses;
             UPDATE meta SET value = '3' WHERE key = 'schema_version';",
        )
        .unwrap();
    let mut store = SqliteStore::open(&path).unwrap();
    let version: String = store
        .connection()
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, kubescribe_events::store::sqlite::SCHEMA_VERSION);
    // The L4 flow seen again lands on its old row (same key hash); a
    // request is a row of its own.
    let get = events(&landing("GET", "http://deathstar/public"));
    write(&mut store, &[l4[0].clone(), get[0].clone()]);
    let rows = flows(&mut store);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!((rows[0].1, rows[0].2.clone()), (2, None));
    assert_eq!(rows[1].2, http_of(&get[0]));
    let mut w = store.begin().unwrap();
    w.add_workload(&endpoints()).unwrap();
    w.commit().unwrap();
    assert_eq!(
        store.workloads(Some("default"), &BTreeMap::new()).unwrap(),
        vec![endpoints()]
    );
}

fn endpoints() -> Workload {
    let doc = serde_json::json!({
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "external-db", "namespace": "default"},
        "subsets": [{
            "addresses": [{"ip": "192.0.2.10"}, {"ip": "192.0.2.11"}],
            "notReadyAddresses": [{"ip": "192.0.2.12"}],
            "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}]
        }]
    });
    kubescribe_events::manifest::workload(&doc)
        .unwrap()
        .unwrap()
}

#[test]
fn endpoints_and_endpoint_slices_keep_their_addresses() {
    let e = endpoints();
    assert_eq!(e.kind, "Endpoints");
    assert_eq!(e.addresses, ["192.0.2.10", "192.0.2.11", "192.0.2.12"]);
    assert_eq!(e.ports.len(), 1);
    assert_eq!(
        (e.ports[0].name.as_deref(), e.ports[0].port),
        (Some("pg"), 5432)
    );
    let slice = serde_json::json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "external-db-abc12", "namespace": "default",
                     "labels": {"kubernetes.io/service-name": "external-db"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["192.0.2.10"]}, {"addresses": ["192.0.2.11"], "conditions": {"ready": false}}],
        "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}, {"name": "all"}]
    });
    let s = kubescribe_events::manifest::workload(&slice)
        .unwrap()
        .unwrap();
    assert_eq!(s.addresses, ["192.0.2.10", "192.0.2.11"]);
    assert_eq!(s.labels["kubernetes.io/service-name"], "external-db");
    assert_eq!(s.ports.len(), 1, "a port without a number is every port");
    // An address of the wrong type is an error, not dropped.
    let bad = serde_json::json!({"kind": "Endpoints", "metadata": {"name": "x"},
        "subsets": [{"addresses": [{"ip": 5}]}]});
    let err = kubescribe_events::manifest::workload(&bad).unwrap_err();
    assert!(err.contains("subsets[0].addresses[0].ip"), "{err}");
}
