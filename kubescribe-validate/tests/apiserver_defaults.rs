//! Validation checks the policy as the API server stores it: the defaults
//! no schema states (`kubescribe_core::policy::defaults`) are filled in
//! first, as they are for simulation.

use kubescribe_validate::Validator;
use serde_json::json;

#[test]
fn empty_policy_types_are_checked_as_stored() {
    let doc = json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": [],
                 "ingress": [{"ports": [{"port": 8080}]}],
                 "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]}});
    let out = Validator::new().validate_value(&doc);
    assert!(out.is_valid(), "{:?}", out.diagnostics);
    let stored = out.policy.expect("typed").to_value().unwrap();
    assert_eq!(stored["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    assert_eq!(stored["spec"]["ingress"][0]["ports"][0]["protocol"], "TCP");
    assert_eq!(stored["spec"]["egress"][0]["ports"][0]["protocol"], "UDP");
}
