//! Policy-level evaluation metrics: compile rate and coverage rate.
//!
//! * **Compile rate**: the share of generated outputs that parse as policy
//!   documents and pass layer-1 validation (built-in schema + API-server
//!   rules). An output with no document, or any invalid document, does not
//!   compile.
//! * **Coverage rate**: the share of the reference policy's *essential
//!   resources* that the generated policy also names. Essential resources
//!   are what makes a policy mean what it means, by engine
//!   ([`essential_resources`]):
//!
//! | engine | essential resources |
//! |---|---|
//! | KubeArmor | selected labels; file/process `path`, `dir`, `pattern`; `fromSource` paths; network `protocol`; `capability`; syscall names; `action` |
//! | Tetragon | hook `call`/`event`/`hook` names; `matchBinaries`/`matchArgs` values; `matchActions` action; pod-selector labels |
//! | Cilium | endpoint/node selector labels; peer endpoint labels; `port` + `protocol`; CIDRs; FQDN names/patterns; entities |
//! | Kubernetes | pod/namespace selector labels; `port` + `protocol`; `ipBlock` CIDRs; policy types |
//! | Calico | selector expressions; ports; nets; actions; protocols |
//!
//! Values are compared exactly (labels as `key=value`), so a generated policy
//! that reorders rules or fields loses nothing, while one that names another
//! path or port does.

use std::collections::BTreeSet;

use serde_json::Value;

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_core::{Engine, Policy};
use kubescribe_validate::Validator;

/// One essential resource: a category and a value.
pub type Resource = (&'static str, String);

/// Whether `text` holds at least one policy document and every document
/// passes layer-1 validation.
pub fn compiles(validator: &Validator, text: &str) -> bool {
    let Ok(set) = document::read_bytes("output", text.as_bytes(), &ReadLimits::default()) else {
        return false;
    };
    !set.documents.is_empty()
        && set
            .documents
            .iter()
            .all(|d| validator.validate_value(&d.value).is_valid())
}

/// The share (0–1) of `outputs` that compile; 0 for no outputs.
pub fn compile_rate<S: AsRef<str>>(validator: &Validator, outputs: &[S]) -> f64 {
    if outputs.is_empty() {
        return 0.0;
    }
    let ok = outputs
        .iter()
        .filter(|o| compiles(validator, o.as_ref()))
        .count();
    ok as f64 / outputs.len() as f64
}

/// Which keys carry essential resources for an engine, as (key, category).
/// A key maps its string/number value, or every string/number in its array;
/// `matchLabels`-like keys map each entry to `key=value`.
fn essential_keys(
    engine: Engine,
) -> (
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
) {
    match engine {
        Engine::KubeArmor => (
            &[
                ("path", "path"),
                ("dir", "dir"),
                ("pattern", "pattern"),
                ("protocol", "protocol"),
                ("capability", "capability"),
                ("syscall", "syscall"),
                ("action", "action"),
            ],
            &["matchLabels"],
        ),
        Engine::Tetragon => (
            &[
                ("call", "hook"),
                ("event", "hook"),
                ("hook", "hook"),
                ("values", "value"),
                ("action", "action"),
            ],
            &["matchLabels"],
        ),
        Engine::Cilium => (
            &[
                ("port", "port"),
                ("protocol", "protocol"),
                ("cidr", "cidr"),
                ("toCIDR", "cidr"),
                ("fromCIDR", "cidr"),
                ("matchName", "fqdn"),
                ("matchPattern", "fqdn"),
                ("toEntities", "entity"),
                ("fromEntities", "entity"),
            ],
            &["matchLabels"],
        ),
        Engine::Kubernetes => (
            &[
                ("port", "port"),
                ("protocol", "protocol"),
                ("cidr", "cidr"),
                ("policyTypes", "type"),
            ],
            &["matchLabels"],
        ),
        Engine::Calico => (
            &[
                ("selector", "selector"),
                ("namespaceSelector", "selector"),
                ("ports", "port"),
                ("nets", "cidr"),
                ("action", "action"),
                ("protocol", "protocol"),
            ],
            &[],
        ),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn collect(engine: Engine, v: &Value, in_metadata: bool, out: &mut BTreeSet<Resource>) {
    let (keys, label_keys) = essential_keys(engine);
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if in_metadata {
                    continue;
                }
                if label_keys.contains(&k.as_str()) {
                    if let Value::Object(labels) = child {
                        for (lk, lv) in labels {
                            if let Some(s) = scalar(lv) {
                                out.insert(("label", format!("{lk}={s}")));
                            }
                        }
                    }
                    continue;
                }
                if let Some((_, cat)) = keys.iter().find(|(key, _)| key == k) {
                    match child {
                        Value::Array(items) => {
                            out.extend(items.iter().filter_map(scalar).map(|s| (*cat, s)))
                        }
                        other => out.extend(scalar(other).map(|s| (*cat, s))),
                    }
                }
                collect(
                    engine,
                    child,
                    k == "metadata" && !in_metadata && m.contains_key("apiVersion"),
                    out,
                );
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect(engine, i, false, out)),
        _ => {}
    }
}

/// The essential resources a policy names (see the module docs).
pub fn essential_resources(policy: &Policy) -> BTreeSet<Resource> {
    let mut out = BTreeSet::new();
    if let Ok(v) = policy.to_value() {
        collect(policy.engine(), &v, false, &mut out);
    }
    out
}

/// Share (0–1) of the reference's essential resources the generated policy
/// names; 1 when the reference names none. A generated policy of another
/// engine covers only what the two engines spell alike.
pub fn coverage(generated: &Policy, reference: &Policy) -> f64 {
    let want = essential_resources(reference);
    if want.is_empty() {
        return 1.0;
    }
    let got = essential_resources(generated);
    want.intersection(&got).count() as f64 / want.len() as f64
}

/// Coverage of generated text against reference text: 0 when the generated
/// text does not decode to a valid policy; `None` when the reference does not.
pub fn coverage_text(validator: &Validator, generated: &str, reference: &str) -> Option<f64> {
    let decode = |text: &str| -> Option<Policy> {
        let set = document::read_bytes("policy", text.as_bytes(), &ReadLimits::default()).ok()?;
        let doc = set.documents.first()?;
        validator.validate_value(&doc.value).policy
    };
    let reference = decode(reference)?;
    Some(decode(generated).map_or(0.0, |g| coverage(&g, &reference)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KSP: &str = r#"
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: web, namespace: shop, labels: {team: x}}
spec:
  selector: {matchLabels: {app: nginx}}
  process: {matchPaths: [{path: /usr/sbin/nginx}]}
  file: {matchDirectories: [{dir: /var/www/, recursive: true}]}
  action: Allow
"#;

    #[test]
    fn essential_resources_of_a_kubearmor_policy() {
        let v = Validator::new();
        let set = document::read_bytes("t", KSP.as_bytes(), &ReadLimits::default()).unwrap();
        let p = v.validate_value(&set.documents[0].value).policy.unwrap();
        let got: Vec<String> = essential_resources(&p)
            .into_iter()
            .map(|(c, v)| format!("{c}:{v}"))
            .collect();
        // Metadata labels are not essential; the selector's are.
        assert_eq!(
            got,
            [
                "action:Allow",
                "dir:/var/www/",
                "label:app=nginx",
                "path:/usr/sbin/nginx"
            ]
        );
    }

    #[test]
    fn coverage_and_compile_rate() {
        let v = Validator::new();
        assert_eq!(coverage_text(&v, KSP, KSP), Some(1.0));
        let other_dir = KSP.replace("/var/www/", "/srv/");
        assert_eq!(coverage_text(&v, &other_dir, KSP), Some(0.75));
        assert_eq!(coverage_text(&v, "not: [a policy", KSP), Some(0.0));
        assert_eq!(coverage_text(&v, KSP, "kind: Nope"), None);
        let broken = KSP.replace("action: Allow", "action: allow");
        assert_eq!(compile_rate(&v, &[KSP, &broken, "", "x: ["]), 0.25);
        assert_eq!(compile_rate::<&str>(&v, &[]), 0.0);
    }
}
