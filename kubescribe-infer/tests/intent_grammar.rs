//! Grammar shaped by the intent (issue 17): the constrained decoder can
//! write the policy the intent asks for — peers and ports included — and
//! cannot write an empty shell, which the fidelity check rejects as well.
//!
//! The decoder is driven by a script: at each step the longest token the
//! grammar allows that continues the wanted text is committed (as a model
//! that wanted to write it would), over the byte-level vocabulary of the
//! tiny test model.

use kubescribe_core::intent::Intent;
use kubescribe_core::{Engine, PolicyKind};
use kubescribe_infer::candle::fixture::{TinyConfig, write_tiny_llama};
use kubescribe_infer::candle::{CandleGenerator, LoadOptions};
use kubescribe_infer::constrained::target::TargetDocument;
use kubescribe_infer::constrained::{
    SchemaConstraint, SchemaLimits, Tightening, generation_schema,
};
use kubescribe_infer::fidelity::{FidelityOptions, check, is_faithful};
use kubescribe_infer::{ConstraintTarget, ConstraintTokenizer};
use kubescribe_validate::Validator;
use serde_json::{Map, Value, json};

fn intent() -> Intent {
    serde_json::from_value(json!({
        "scope": {"namespace": "shop", "labels": {"app": "web"}},
        "domain": "network", "action": "allow", "direction": "ingress",
        "resources": {"peers": [{"labels": {"app": "frontend"}}],
                      "ports": [{"port": 8080, "protocol": "TCP"}]}
    }))
    .unwrap()
}

/// What the store saw for app=web: its own labels and an outbound port.
fn observed() -> Tightening {
    let mut t = Tightening::default();
    t.namespaces.insert("shop".into());
    t.labels
        .entry("app".into())
        .or_default()
        .insert("web".into());
    t.ports.insert(5432);
    t
}

/// `v` with its keys in the order of `schema`'s properties (the order the
/// grammar emits them in).
fn ordered(v: &Value, schema: &Value) -> Value {
    let alts = ["anyOf", "oneOf", "allOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .cloned()
        .collect::<Vec<_>>();
    match v {
        Value::Object(m) => {
            let props = schema
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .or_else(|| {
                    alts.iter()
                        .filter_map(|a| a.get("properties").and_then(Value::as_object))
                        .find(|p| m.keys().all(|k| p.contains_key(k)))
                        .cloned()
                })
                .unwrap_or_default();
            let mut out = Map::new();
            for (k, sub) in &props {
                if let Some(x) = m.get(k) {
                    out.insert(k.clone(), ordered(x, sub));
                }
            }
            for (k, x) in m {
                out.entry(k.clone()).or_insert_with(|| x.clone());
            }
            Value::Object(out)
        }
        Value::Array(a) => {
            let items = schema.get("items").cloned().unwrap_or(Value::Null);
            Value::Array(a.iter().map(|x| ordered(x, &items)).collect())
        }
        other => other.clone(),
    }
}

/// Drives `c` through `text`; `Err(offset)` where the grammar refuses to go on.
/// Tokens the grammar forces are taken in one go, as the decoder takes them
/// (asking for the mask token by token instead re-tokenizes the whole forced
/// remainder at every step: quadratic in the document, minutes over the
/// eval set).
fn drive(c: &mut SchemaConstraint, tok: &ConstraintTokenizer, text: &str) -> Result<(), usize> {
    let bytes = text.as_bytes();
    let mut at = 0;
    loop {
        for id in c.forced_tokens().map_err(|_| at)? {
            let b = tok.token_bytes(id);
            if !bytes[at..].starts_with(b) {
                return Err(at);
            }
            at += b.len();
        }
        if at >= bytes.len() {
            break;
        }
        let allowed = c.allowed().map_err(|_| at)?;
        let rest = &bytes[at..];
        let best = (0..tok.vocab_size() as u32)
            .filter(|&id| allowed.is_allowed(id))
            .map(|id| (id, tok.token_bytes(id)))
            .filter(|(_, b)| !b.is_empty() && rest.starts_with(b))
            .max_by_key(|(_, b)| b.len());
        let Some((id, b)) = best else {
            return Err(at);
        };
        at += b.len();
        c.commit(id).map_err(|_| at)?;
    }
    if c.is_accepting() { Ok(()) } else { Err(at) }
}

/// The synthesizer's policy for `i` on `e`, without the metadata labels and
/// annotations it adds (a model writes its own metadata).
fn reference(i: &Intent, e: Engine) -> Option<Value> {
    let mut v = kubescribe_synth::synthesize(i, Some(e))
        .ok()?
        .to_value()
        .ok()?;
    let m = v["metadata"].as_object_mut()?;
    m.remove("labels");
    m.remove("annotations");
    Some(v)
}

/// The intent-shaped target of `i` on `e`, its policy kind, and the
/// faithful policy as JSON in the grammar's key order.
fn faithful_text(i: &Intent, e: Engine) -> (ConstraintTarget, PolicyKind, String) {
    let target = ConstraintTarget::for_intent(i, e, Some(&observed()));
    let TargetDocument::Policy(kind) = target.document.clone() else {
        panic!("a policy target")
    };
    let schema = generation_schema(kind, &target.tightening, &target.limits).unwrap();
    let faithful = reference(i, e).unwrap();
    let text = serde_json::to_string(&ordered(&faithful, &schema)).unwrap();
    (target, kind, text)
}

/// Drives `text` through `target`'s grammar: the constraint after all of
/// it, or the byte offset where the grammar refused it.
fn write(
    g: &CandleGenerator,
    tok: &ConstraintTokenizer,
    kind: PolicyKind,
    target: &ConstraintTarget,
    text: &str,
) -> Result<SchemaConstraint, usize> {
    let mut c = g
        .constraint(kind, &target.tightening, &target.limits)
        .unwrap();
    drive(&mut c, tok, text).map(|()| c)
}

/// `unfaithful` cannot be written under `target`'s grammar, and the
/// fidelity check rejects it too.
fn assert_unwritable(
    g: &CandleGenerator,
    tok: &ConstraintTokenizer,
    kind: PolicyKind,
    target: &ConstraintTarget,
    i: &Intent,
    unfaithful: &str,
) {
    let mut c = g
        .constraint(kind, &target.tightening, &target.limits)
        .unwrap();
    assert!(
        drive(&mut c, tok, unfaithful).is_err(),
        "writable: {unfaithful}"
    );
    let v: Value = serde_json::from_str(unfaithful).unwrap();
    assert!(!is_faithful(&check(i, &v, &FidelityOptions::default())));
}

fn setup() -> (tempfile::TempDir, CandleGenerator) {
    let tmp = tempfile::tempdir().unwrap();
    let m = write_tiny_llama(tmp.path(), &TinyConfig::default()).unwrap();
    let g = CandleGenerator::load(&m.dir, &LoadOptions::default()).unwrap();
    (tmp, g)
}

#[test]
fn the_intents_peer_and_port_can_be_written_and_an_empty_shell_cannot() {
    let (_tmp, g) = setup();
    let tok = g.constraint_tokenizer().unwrap();
    let i = intent();
    let target = ConstraintTarget::for_intent(&i, Engine::Kubernetes, Some(&observed()));
    let TargetDocument::Policy(kind) = target.document.clone() else {
        panic!("a policy target")
    };
    assert_eq!(kind.kind(), "NetworkPolicy");
    let schema = generation_schema(kind, &target.tightening, &target.limits).unwrap();
    let faithful = reference(&i, Engine::Kubernetes).unwrap();
    let text = serde_json::to_string(&ordered(&faithful, &schema)).unwrap();
    let mut c = g
        .constraint(kind, &target.tightening, &target.limits)
        .unwrap();
    drive(&mut c, tok, &text).unwrap_or_else(|at| {
        panic!(
            "the shaped grammar refuses the faithful policy at byte {at}: …{}\n{schema:#}",
            &text[at.saturating_sub(40)..at]
        )
    });
    let written: Value = serde_json::from_str(&tok.decode(c.tokens())).unwrap();
    assert!(Validator::new().validate_value(&written).is_valid());
    assert!(check(&i, &written, &FidelityOptions::default()).is_empty());

    // The tightening before issue 17 (every matchLabels the scope's, every
    // port an observed one) could not write it.
    let mut old = observed();
    old.namespaces.insert("shop".into());
    let mut c = g.constraint(kind, &old, &SchemaLimits::default()).unwrap();
    let old_schema = generation_schema(kind, &old, &SchemaLimits::default()).unwrap();
    let old_text = serde_json::to_string(&ordered(&faithful, &old_schema)).unwrap();
    let at = drive(&mut c, tok, &old_text).expect_err("the old grammar should refuse peer or port");
    assert!(
        old_text[..at + 12].contains("frontend") || old_text[..at + 6].contains("8080"),
        "refused at {at}: {}",
        &old_text[..at]
    );

    // An empty shell: refused by the grammar (the skeleton forces the
    // selector, policyTypes and the ingress rule) and by the fidelity check.
    let shell = json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"podSelector": {}, "policyTypes": []}
    });
    let shell_text = serde_json::to_string(&ordered(&shell, &schema)).unwrap();
    let mut c = g
        .constraint(kind, &target.tightening, &target.limits)
        .unwrap();
    assert!(drive(&mut c, tok, &shell_text).is_err());
    assert!(Validator::new().validate_value(&shell).is_valid());
    let d = check(&i, &shell, &FidelityOptions::default());
    assert!(!is_faithful(&d), "{d:#?}");
    assert!(d.iter().any(|x| x.rule == "fidelity.scope"), "{d:#?}");
}

#[test]
fn every_engine_can_write_the_synthesizers_policy_under_the_shaped_grammar() {
    let (_tmp, g) = setup();
    let tok = g.constraint_tokenizer().unwrap();
    let intents = [
        json!({"scope": {"namespace": "shop", "labels": {"app": "nginx"}}, "domain": "file",
               "action": "allow", "resources": {"dirs": ["/var/www/"], "recursive": true,
               "readOnly": true, "binaries": ["/usr/sbin/nginx"]}}),
        json!({"scope": {"namespace": "shop", "labels": {"app": "nginx"}}, "domain": "process",
               "action": "block", "resources": {"binaries": ["/bin/bash"]}}),
        json!({"scope": {"clusterWide": true}, "domain": "file", "action": "block",
               "resources": {"paths": ["/etc/passwd"], "readOnly": true}}),
        json!({"scope": {"namespace": "wp", "labels": {"app": "wordpress"}}, "domain": "file",
               "action": "block", "resources": {"paths": ["/etc/shadow"], "sources": ["/bin/cat"]}}),
        json!({"scope": {"namespace": "shop", "labels": {"app": "web"}}, "domain": "network",
               "action": "allow", "direction": "egress",
               "resources": {"peers": [{"labels": {"app": "db"}}], "ports": [{"port": 5432}]}}),
    ];
    let (mut written, mut refused) = (0, 0);
    for iv in intents {
        let i: Intent = serde_json::from_value(iv).unwrap();
        for &e in i.domain.engines() {
            let Some(faithful) = reference(&i, e) else {
                continue;
            };
            let target = ConstraintTarget::for_intent(&i, e, Some(&observed()));
            let TargetDocument::Policy(kind) = target.document.clone() else {
                continue;
            };
            let schema = generation_schema(kind, &target.tightening, &target.limits).unwrap();
            let text = serde_json::to_string(&ordered(&faithful, &schema)).unwrap();
            let mut c = g
                .constraint(kind, &target.tightening, &target.limits)
                .unwrap();
            drive(&mut c, tok, &text).unwrap_or_else(|at| {
                panic!(
                    "{}: refused at byte {at}: …{}",
                    kind.kind(),
                    &text[at.saturating_sub(60)..at]
                )
            });
            written += 1;
            // What the faithful policy states one way is forced: a flag
            // flipped, or a peer selector emptied, cannot be written.
            for (from, to) in [
                ("\"readOnly\":true", "\"readOnly\":false"),
                ("\"matchLabels\":{\"app\":\"db\"}", "\"matchLabels\":{}"),
                // an argument value the intent does not name
                (
                    "\"values\":[\"/etc/passwd\"]",
                    "\"values\":[\"/usr/bin/curl\"]",
                ),
                // the source and the path swapped
                ("\"path\":\"/bin/cat\"", "\"path\":\"/etc/shadow\""),
                // a rule section the intent does not need
                ("\"spec\":{", "\"spec\":{\"network\":{},"),
            ] {
                if text.contains(from) {
                    let mut c = g
                        .constraint(kind, &target.tightening, &target.limits)
                        .unwrap();
                    assert!(
                        drive(&mut c, tok, &text.replacen(from, to, 1)).is_err(),
                        "{}: {to} was writable",
                        kind.kind()
                    );
                    refused += 1;
                }
            }
        }
    }
    assert!(written >= 6, "{written}");
    assert!(refused >= 8, "{refused}");
}

#[test]
fn network_policy_types_are_the_api_servers() {
    // The OpenAPI schema says only "string"; layer 1 refuses anything but
    // Ingress and Egress, so the grammar must not offer other values.
    let schema = kubescribe_infer::constrained::generation_schema(
        kubescribe_core::PolicyKind::NetworkPolicy,
        &Tightening::default(),
        &SchemaLimits::default(),
    )
    .unwrap();
    let types = &schema["properties"]["spec"]["properties"]["policyTypes"];
    assert_eq!(
        types["items"],
        json!({"enum": ["Ingress", "Egress"]}),
        "{types}"
    );
    assert_eq!(types["maxItems"], json!(2));
}

#[test]
fn several_paths_or_directories_are_each_written_once() {
    // With each entry a free choice among the intent's values, SmolLM2
    // dropped one directory and wrote another twice (docs/model-fidelity.md):
    // a list of several entries is forced as the intent enumerates it.
    let (_tmp, g) = setup();
    let tok = g.constraint_tokenizer().unwrap();
    let i: Intent = serde_json::from_value(json!({
        "scope": {"namespace": "shop", "labels": {"app": "api"}}, "domain": "file",
        "action": "block",
        "resources": {"paths": ["/etc/profile", "/root/.bashrc"],
                      "dirs": ["/bin/", "/sbin/", "/usr/bin/"], "recursive": true,
                      "readOnly": true}
    }))
    .unwrap();
    let (target, kind, text) = faithful_text(&i, Engine::KubeArmor);
    assert!(
        text.contains("\"/sbin/\"") && text.contains("\"/root/.bashrc\""),
        "{text}"
    );
    let c =
        write(&g, tok, kind, &target, &text).unwrap_or_else(|at| panic!("refused at {at}: {text}"));
    let written: Value = serde_json::from_str(&tok.decode(c.tokens())).unwrap();
    assert!(check(&i, &written, &FidelityOptions::default()).is_empty());
    // One directory dropped for another written twice, or a file path
    // written twice: both were writable before, neither is now.
    for (from, to) in [
        ("\"dir\":\"/sbin/\"", "\"dir\":\"/bin/\""),
        ("\"path\":\"/root/.bashrc\"", "\"path\":\"/etc/profile\""),
    ] {
        assert!(text.contains(from), "{from} in {text}");
        assert_unwritable(&g, tok, kind, &target, &i, &text.replacen(from, to, 1));
    }
}

#[test]
fn what_the_intent_names_is_forced_in_every_engine() {
    // Leaves the intent fixes but no value list narrowed: a capability, a
    // system call, a Calico peer selector, a Cilium entity, the labels of
    // a peer in another namespace. Each can be written as the intent says and not otherwise.
    let (_tmp, g) = setup();
    let tok = g.constraint_tokenizer().unwrap();
    let cases = [
        (
            json!({"scope": {"namespace": "shop", "labels": {"app": "web"}}, "domain": "capability",
                   "action": "block", "resources": {"capabilities": ["net_raw"]}}),
            Engine::KubeArmor,
            ("\"net_raw\"", "\"net_admin\""),
        ),
        (
            json!({"scope": {"namespace": "shop", "labels": {"app": "web"}}, "domain": "syscall",
                   "action": "audit", "resources": {"syscalls": ["unlink"]}}),
            Engine::KubeArmor,
            ("\"unlink\"", "\"rmdir\""),
        ),
        (
            json!({"scope": {"namespace": "shop", "labels": {"color": "red"}}, "domain": "network",
                   "action": "allow", "direction": "ingress",
                   "resources": {"peers": [{"labels": {"color": "blue"}}],
                                 "ports": [{"port": 6379, "protocol": "TCP"}]}}),
            Engine::Calico,
            ("color == 'blue'", "color == 'red'"),
        ),
        (
            json!({"scope": {"namespace": "shop", "labels": {"app": "web"}}, "domain": "network",
                   "action": "allow", "direction": "egress",
                   "resources": {"entities": ["cluster"]}}),
            Engine::Cilium,
            ("\"cluster\"", "\"world\""),
        ),
        (
            json!({"scope": {"namespace": "shop", "labels": {"app": "web"}}, "domain": "network",
                   "action": "allow", "direction": "ingress",
                   "resources": {"peers": [{"labels": {"app": "prom"}, "namespace": "monitoring"}]}}),
            Engine::Kubernetes,
            // every pod of the namespace instead of app=prom
            ("\"matchLabels\":{\"app\":\"prom\"}", "\"matchLabels\":{}"),
        ),
    ];
    for (iv, e, (from, to)) in cases {
        let i: Intent = serde_json::from_value(iv).unwrap();
        let (target, kind, text) = faithful_text(&i, e);
        let mut c = g
            .constraint(kind, &target.tightening, &target.limits)
            .unwrap();
        drive(&mut c, tok, &text)
            .unwrap_or_else(|at| panic!("{}: refused at {at}: {text}", kind.kind()));
        assert!(text.contains(from), "{from} in {text}");
        assert_unwritable(&g, tok, kind, &target, &i, &text.replacen(from, to, 1));
    }
}

#[test]
fn a_gguf_context_is_what_candle_can_hold() {
    // SmolLM2's GGUF says 8,192 positions; candle's quantized llama has
    // rotary tables for 4,096, and a 4,500-token Cilium prompt failed
    // inside the model instead of being fitted to the context.
    use kubescribe_infer::Generator;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = TinyConfig {
        context: 8192,
        ..TinyConfig::default()
    };
    let m = write_tiny_llama(tmp.path(), &cfg).unwrap();
    let g = CandleGenerator::load(&m.gguf, &LoadOptions::default()).unwrap();
    assert_eq!(g.context_window(), Some(4096));
}

#[test]
fn a_default_deny_rule_stays_empty() {
    // "deny all ingress to kind=echo" on Cilium is `ingress: [{}]`; with the
    // rule's contents left free, SmolLM2 wrote `fromEndpoints` and a port
    // into it, an allow rule the intent never named (docs/model-fidelity.md).
    let (_tmp, g) = setup();
    let tok = g.constraint_tokenizer().unwrap();
    let i: Intent = serde_json::from_value(json!({
        "engine": "cilium", "scope": {"namespace": "cilium-test", "labels": {"kind": "echo"}},
        "domain": "network", "action": "block", "direction": "ingress",
        "resources": {"all": true}
    }))
    .unwrap();
    let (target, kind, text) = faithful_text(&i, Engine::Cilium);
    assert!(text.contains("\"ingress\":[{}]"), "{text}");
    let c =
        write(&g, tok, kind, &target, &text).unwrap_or_else(|at| panic!("refused at {at}: {text}"));
    let written: Value = serde_json::from_str(&tok.decode(c.tokens())).unwrap();
    assert!(check(&i, &written, &FidelityOptions::default()).is_empty());
    let filled = text.replacen(
        "\"ingress\":[{}]",
        "\"ingress\":[{\"fromEndpoints\":[{\"matchLabels\":{\"kind\":\"echo\"}}]}]",
        1,
    );
    assert_unwritable(&g, tok, kind, &target, &i, &filled);
}

#[test]
fn a_cilium_policy_is_one_spec_with_no_specs_list_beside_it() {
    // "role=frontend may reach role=backend on TCP 80" (Cilium's l4 example):
    // llama.cpp's server grammar dropped the schema's anyOf of rule sections
    // inside `specs`, and SmolLM2 added `specs: [{endpointSelector: {}}]`, a
    // spec without rules (docs/model-fidelity-test-split.md, cil-027).
    let (_tmp, g) = setup();
    let tok = g.constraint_tokenizer().unwrap();
    let i: Intent = serde_json::from_value(json!({
        "engine": "cilium", "scope": {"namespace": "default", "labels": {"role": "frontend"}},
        "domain": "network", "action": "allow", "direction": "egress",
        "resources": {"ports": [{"port": 80, "protocol": "TCP"}],
                      "peers": [{"labels": {"role": "backend"}}]}
    }))
    .unwrap();
    let (target, kind, text) = faithful_text(&i, Engine::Cilium);
    let schema = generation_schema(kind, &target.tightening, &target.limits).unwrap();
    let top: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    assert_eq!(top, ["apiVersion", "kind", "metadata", "spec"]);
    write(&g, tok, kind, &target, &text).unwrap_or_else(|at| panic!("refused at {at}: {text}"));
    let with_specs = format!(
        "{},\"specs\":[{{\"endpointSelector\":{{}}}}]}}",
        text.strip_suffix('}').unwrap()
    );
    assert!(
        write(&g, tok, kind, &target, &with_specs).is_err(),
        "writable: {with_specs}"
    );
}

#[test]
fn a_one_entry_rule_list_takes_no_second_entry() {
    // "Using Tetragon, prevent /bin/cat from opening /etc/secret/password"
    // (Tetragon's file-block-kubectl-exec-access example): through llama.cpp's
    // server SmolLM2 repeated the kprobe and its selector four times each
    // until the answer budget ran out (test/ka-file-070).
    let (_tmp, g) = setup();
    let tok = g.constraint_tokenizer().unwrap();
    let i: Intent = serde_json::from_value(json!({
        "engine": "tetragon", "scope": {"namespace": "default", "labels": {"app": "bigsecret"}},
        "domain": "file", "action": "block",
        "resources": {"paths": ["/etc/secret/password"], "sources": ["/bin/cat"]}
    }))
    .unwrap();
    let (target, kind, text) = faithful_text(&i, Engine::Tetragon);
    write(&g, tok, kind, &target, &text).unwrap_or_else(|at| panic!("refused at {at}: {text}"));
    let faithful: Value = serde_json::from_str(&text).unwrap();
    for list in ["/spec/kprobes", "/spec/kprobes/0/selectors"] {
        let mut twice = faithful.clone();
        let entries = twice
            .pointer_mut(list)
            .and_then(Value::as_array_mut)
            .unwrap();
        assert_eq!(entries.len(), 1, "{list} in {text}");
        entries.push(entries[0].clone());
        let twice = serde_json::to_string(&twice).unwrap();
        assert!(
            write(&g, tok, kind, &target, &twice).is_err(),
            "writable: {twice}"
        );
    }
}

/// Every labelled intent of the intent evaluation set's dev split: the
/// faithful policy can be written under its intent-shaped grammar on each
/// engine the intent names (or each that can express its domain). A schema
/// that does not compile, or a faithful policy refused on the way, is a
/// grammar that forbids the intent's own policy.
#[test]
fn every_dev_intent_of_the_eval_set_can_be_written_faithfully() {
    let (_tmp, g) = setup();
    let tok = g.constraint_tokenizer().unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kubescribe-intent/tests/fixtures/intent_eval/dev.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let (mut written, mut failures) = (0, Vec::new());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        let Some(iv) = case.get("intent") else {
            continue;
        };
        let i: Intent = serde_json::from_value(iv.clone()).unwrap();
        let engines: Vec<Engine> = match i.engine {
            Some(e) => vec![e],
            None => i.domain.engines().to_vec(),
        };
        for e in engines {
            let Some(faithful) = reference(&i, e) else {
                continue;
            };
            let target = ConstraintTarget::for_intent(&i, e, Some(&observed()));
            let TargetDocument::Policy(kind) = target.document.clone() else {
                continue;
            };
            let id = format!("{} on {e:?}", case["id"]);
            let schema = match generation_schema(kind, &target.tightening, &target.limits) {
                Ok(s) => s,
                Err(err) => {
                    failures.push(format!("{id}: no schema: {err}"));
                    continue;
                }
            };
            let text = serde_json::to_string(&ordered(&faithful, &schema)).unwrap();
            let mut c = match g.constraint(kind, &target.tightening, &target.limits) {
                Ok(c) => c,
                Err(err) => {
                    failures.push(format!("{id}: does not compile: {err}"));
                    continue;
                }
            };
            match drive(&mut c, tok, &text) {
                Ok(()) => written += 1,
                Err(at) => failures.push(format!(
                    "{id}: refused at byte {at}: …{}",
                    &text[at.saturating_sub(80)..at]
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} written, failures:\n{}",
        written,
        failures.join("\n")
    );
    assert!(written >= 400, "{written}");
}
