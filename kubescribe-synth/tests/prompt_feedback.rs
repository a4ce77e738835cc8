//! Validator diagnostics, turned into feedback, are quoted in the prompt of
//! the next attempt.

use kubescribe_core::feedback::Feedback;
use kubescribe_synth::prompt::{Template, build_prompt};

#[test]
fn diagnostics_become_prompt_feedback() {
    let v = kubescribe_validate::Validator::new().validate_value(&serde_json::json!({
        "apiVersion": "security.kubearmor.com/v1", "kind": "KubeArmorPolicy",
        "metadata": {"name": "Bad_Name", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "x"}},
                 "file": {"matchPaths": [{"path": "/etc/nginx/"}]}, "action": "Block"}
    }));
    let fb: Vec<Feedback> = v.diagnostics.iter().map(Into::into).collect();
    let prompt = build_prompt(
        &serde_json::from_value(serde_json::json!({
            "scope": {"namespace": "shop", "labels": {"app": "x"}}, "domain": "file",
            "action": "block", "resources": {"paths": ["/etc/nginx"]}
        }))
        .unwrap(),
        None,
        Template::ZeroShot,
        &fb,
    )
    .unwrap();
    assert!(
        prompt
            .user
            .contains("[layer 1 metadata.name] at \"/metadata/name\"")
    );
}
