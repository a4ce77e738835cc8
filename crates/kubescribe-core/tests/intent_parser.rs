//! Labelled evaluation of the offline intent parser and robustness checks.

use std::collections::{BTreeMap, HashMap};

use kubescribe_core::intent::{
    Intent, IntentParseError, PodResolver, parse_intent, parse_intent_with,
};

/// Entity-level F1 the labelled set must reach.
const MIN_F1: f64 = 0.95;
/// Share of intents that must be parsed exactly.
const MIN_EXACT: f64 = 0.85;

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    class: String,
    intent: Intent,
    entities: Vec<(String, String)>,
}

#[test]
fn labelled_set_precision_recall_f1_and_exact_match() {
    let raw = include_str!("fixtures/intents.jsonl");
    let cases: Vec<Case> = raw
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("fixture line"))
        .collect();
    assert!(cases.len() >= 300, "labelled set has {} cases", cases.len());
    let (mut tp, mut fp, mut fneg, mut exact) = (0usize, 0usize, 0usize, 0usize);
    let mut class_fail: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut shown = 0;
    for c in &cases {
        let got = parse_intent(&c.text);
        let mut want: HashMap<(String, String), usize> = HashMap::new();
        for e in &c.entities {
            *want.entry(e.clone()).or_default() += 1;
        }
        let total_want: usize = want.values().sum();
        let ok = match &got {
            Ok(p) => {
                let mut matched = 0;
                let mut w = want.clone();
                for e in &p.entities {
                    let kind = serde_json::to_value(e.kind).unwrap();
                    let key = (kind.as_str().unwrap().to_string(), e.text.clone());
                    match w.get_mut(&key) {
                        Some(n) if *n > 0 => {
                            *n -= 1;
                            matched += 1;
                        }
                        _ => fp += 1,
                    }
                }
                tp += matched;
                fneg += total_want - matched;
                p.intent == c.intent
            }
            Err(_) => {
                fneg += total_want;
                false
            }
        };
        let slot = class_fail.entry(c.class.clone()).or_default();
        slot.1 += 1;
        if ok {
            exact += 1;
        } else {
            slot.0 += 1;
            if shown < 5 {
                shown += 1;
                eprintln!(
                    "MISS [{}] {}\n  got: {:?}",
                    c.class,
                    c.text,
                    got.map(|p| serde_json::to_string(&p.intent).unwrap())
                );
            }
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fneg).max(1) as f64;
    let f1 = 2.0 * precision * recall / (precision + recall).max(f64::EPSILON);
    let em = exact as f64 / cases.len() as f64;
    println!(
        "intent parser on {} cases: entity precision {precision:.4} recall {recall:.4} F1 {f1:.4}; intent exact match {em:.4}",
        cases.len()
    );
    for (class, (fail, n)) in &class_fail {
        if *fail > 0 {
            println!("  class {class}: {fail}/{n} not exact");
        }
    }
    assert!(f1 >= MIN_F1, "entity F1 {f1:.4} below {MIN_F1}");
    assert!(em >= MIN_EXACT, "exact match {em:.4} below {MIN_EXACT}");
}

#[test]
fn readme_example() {
    let p =
        parse_intent("only let app=nginx in namespace shop read /var/www and run nginx").unwrap();
    let json = serde_json::to_value(&p.intent).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "scope": {"namespace": "shop", "labels": {"app": "nginx"}},
            "domain": "file", "action": "allow",
            "resources": {"dirs": ["/var/www/"], "recursive": true, "readOnly": true,
                          "binaries": ["/usr/sbin/nginx"]}
        })
    );
    assert!(p.assumptions.iter().any(|a| a.contains("/usr/sbin/nginx")));
    for e in &p.entities {
        assert_eq!(
            &"only let app=nginx in namespace shop read /var/www and run nginx"[e.start..e.end],
            e.text
        );
    }
}

struct Pods;
impl PodResolver for Pods {
    fn pod_labels(&self, _ns: Option<&str>, name: &str) -> Option<BTreeMap<String, String>> {
        (name == "web-0").then(|| BTreeMap::from([("app".to_string(), "web".to_string())]))
    }
}

#[test]
fn pods_resolve_through_the_resolver() {
    let p = parse_intent_with(
        "block all traffic to pod web-0 in namespace shop",
        Some(&Pods),
    )
    .unwrap();
    assert_eq!(
        p.intent.scope.labels.get("app").map(String::as_str),
        Some("web")
    );
    assert!(p.intent.scope.pod_names.is_empty());
    let e = parse_intent_with(
        "block all traffic to pod db-9 in namespace shop",
        Some(&Pods),
    )
    .unwrap_err();
    assert!(matches!(e, IntentParseError::UnknownPod(_)));
}

#[test]
fn missing_and_ambiguous_information_is_an_error() {
    assert_eq!(parse_intent("   ").unwrap_err(), IntentParseError::Empty);
    let e = parse_intent("block writes to /etc/passwd")
        .unwrap_err()
        .to_string();
    assert!(e.contains("no scope"), "{e}");
    let e = parse_intent("app=web in namespace shop")
        .unwrap_err()
        .to_string();
    assert!(e.contains("no action") && e.contains("no domain"), "{e}");
    let e = parse_intent("allow and block /etc for app=web in namespace shop").unwrap_err();
    assert!(matches!(e, IntentParseError::AmbiguousAction(..)));
    let e =
        parse_intent("cilium or calico: allow port 80 to app=web in namespace shop").unwrap_err();
    assert!(matches!(e, IntentParseError::AmbiguousEngine(..)));
}

#[test]
fn odd_input_never_panics() {
    let samples = [
        String::new(),
        "🦀 ünïcödé ﷽ namespace 💥 app=🍕 /é/ü".to_string(),
        "namespace".to_string(),
        "port 99999 port 0 port 5-1 1.2.3.4/99 /".to_string(),
        "a: b: c: = == =x x= ::: / // /// cap_ CAP_".to_string(),
        "from to from to pods pod endpoints".to_string(),
        "x".repeat(100 * 1024),
        "allow app=web in namespace shop to read /etc ".repeat(3000),
        "\u{0}\u{202e}\u{feff} deny\tapp=x\nnamespace\r\nshop /tmp".to_string(),
    ];
    for s in &samples {
        let _ = parse_intent(s);
    }
    // Every char boundary prefix of a mixed string.
    let mixed = "ä block 💥 writes to /etc/ü for tier: db in the shop namespace on port 80/tcp";
    for (i, _) in mixed.char_indices() {
        let _ = parse_intent(&mixed[..i]);
    }
    assert!(matches!(
        parse_intent(&"x".repeat(100 * 1024)),
        Err(IntentParseError::TooLong(_))
    ));
}
