//! Rules of the intent parser found on the blind batches `es-` … `ev-`
//! (ingress controllers and gateways, storage systems, edge deployments,
//! scanner findings): "the gateway pods" after a gloss whose label holds
//! the name are those pods, "the pods themselves" as the subject again is
//! no peer, a port said before whose it is keeps its place as the subject,
//! "from inside the cluster" is the cluster, and "HTTP Basic
//! authentication" is no traffic. Each test states the rule with phrasings
//! of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Direction, Domain, NetworkEntity};
use parse_helpers::{parsed, port_numbers};

#[test]
fn the_x_pods_after_a_gloss_holding_the_name_invent_no_label() {
    // "… the egress gateway (istio: egressgateway, …). The gateway pods
    // themselves may only connect out to …" added app=gateway, and made
    // the gateway its own peer.
    let i = parsed(
        "Our outbound calls leave through the proxy tier (tier: edgeproxy, namespace net). The proxy pods themselves may only connect out to api.example.com on 443.",
    );
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope.labels);
    assert!(i.resources.peers.is_empty(), "{:?}", i.resources.peers);
}

#[test]
fn a_port_before_whose_it_is_is_the_subject() {
    // "15090 on the gateway pods (…) should only be reachable from …"
    // dropped the port.
    let i = parsed(
        "9102 on the collector pods (app=collector, ns obs) should only be reachable from app=scraper",
    );
    assert_eq!(port_numbers(&i), vec![9102]);
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn from_inside_the_cluster_is_the_cluster() {
    // "allow 8080 … only from inside the cluster" allowed any source.
    let i = parsed("allow 9000 on app=minio in ns store only from within the cluster");
    assert_eq!(i.resources.entities, vec![NetworkEntity::Cluster]);
}

#[test]
fn http_basic_authentication_is_no_traffic() {
    // "…/.htpasswd, the file used for HTTP Basic authentication" made a
    // network intent on port 80.
    let i = parsed(
        "only /usr/sbin/nginx may read /etc/nginx/.htpasswd, which holds the users for HTTP Basic authentication, in the app=proxy pods of namespace edge",
    );
    assert_eq!(i.domain, Domain::File);
    assert!(i.resources.ports.is_empty());
}

#[test]
fn access_limited_to_a_subnet_through_a_yaml_gloss_is_ingress() {
    // "… listener bound to port 8080. Limit access to port 8080 of X
    // (app.kubernetes.io/name: x, ns y) to the admin subnet …" was egress.
    let i = parsed(
        "The console starts with a listener bound to port 9443. Limit access to port 9443 of the console (app.kubernetes.io/name: console, ns ops) to the VPN range 10.8.0.0/16.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.cidrs, vec!["10.8.0.0/16"]);
}

#[test]
fn a_number_its_protocol_follows_is_a_port() {
    // "should only take metrics ingress: 9464 TCP from …" allowed every
    // TCP port.
    let i = parsed("app=api in ns web should only take scrapes: 9090 TCP from app=prom");
    assert_eq!(port_numbers(&i), vec![9090]);
}

#[test]
fn a_list_of_namespaces_before_the_plural_keyword_after_from_is_the_peers() {
    // "9464 TCP from the openshift-monitoring, gmp-system, gke-gmp-system
    // and monitoring namespaces" made them the policy's namespaces.
    let i = parsed(
        "allow ingress to app=api in namespace web on 8080 from the edge, tools and batch namespaces",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("web"));
    assert_eq!(i.resources.peers.len(), 3, "{:?}", i.resources.peers);
}
