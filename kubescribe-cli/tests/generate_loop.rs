//! `kubescribe generate --backend openai …` end to end against a fake
//! OpenAI-compatible server on 127.0.0.1: the regeneration loop, the trace
//! file, the fallback, and the errors for a missing model or server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
        .args(args)
        .output()
        .expect("run kubescribe")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn intent() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/intents/nginx-www.json")
}

/// Implements the intent (so it passes the fidelity check once its name is
/// fixed) but has an invalid name.
const BAD: &str = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: Nginx_WWW\n  namespace: shop\nspec:\n  selector:\n    matchLabels:\n      app: nginx\n  file:\n    matchDirectories:\n    - dir: /var/www/\n      readOnly: true\n      recursive: true\n  process:\n    matchPaths:\n    - path: /usr/sbin/nginx\n  action: Allow\n";

/// Answers chat requests with `answers` in turn (a `GET`, the CLI's check
/// that the server answers, gets an empty model list); returns the base URL.
fn serve(answers: Vec<String>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let mut answers = answers.into_iter();
        while let Some(answer) = answers.next() {
            let (mut s, _) = listener.accept().unwrap();
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut len = 0usize;
            let mut request = String::new();
            r.read_line(&mut request).unwrap();
            loop {
                let mut h = String::new();
                r.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0u8; len];
            r.read_exact(&mut body).unwrap();
            if request.starts_with("GET") {
                let out = r#"{"object":"list","data":[]}"#;
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{out}",
                    out.len()
                );
                // this answer is still owed to the next request
                answers = std::iter::once(answer)
                    .chain(answers)
                    .collect::<Vec<_>>()
                    .into_iter();
                continue;
            }
            let out = serde_json::json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}],
                                         "usage": {"prompt_tokens": 100, "completion_tokens": 50}})
            .to_string();
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{out}",
                out.len()
            );
        }
    });
    format!("http://{addr}/v1")
}

#[test]
fn the_loop_feeds_diagnostics_back_and_writes_a_trace() {
    let url = serve(vec![BAD.to_string(), BAD.replace("Nginx_WWW", "nginx-www")]);
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.json");
    let o = run(&[
        "generate",
        "--intent-file",
        intent().to_str().unwrap(),
        "--backend",
        "openai",
        "--model",
        &url,
        "--model-name",
        "test",
        "--max-attempts",
        "3",
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("name: nginx-www"), "{stdout}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    // the server gets the schema, so the attempt counts as constrained
    assert!(
        stderr.contains("attempt 1 (openai:test, constrained to security.kubearmor.com/v1/KubeArmorPolicy): 1 error(s)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("valid and implements the intent (layers 1, 4 and 5) after 2 attempt(s)"),
        "{stderr}"
    );
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    assert_eq!(t["status"], "valid");
    assert_eq!(t["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(t["attempts"][1]["feedback"][0]["pointer"], "/metadata/name");
    assert_eq!(t["attempts"][1]["completion_tokens"], 50);
    let second_prompt = t["attempts"][1]["prompt"].to_string();
    assert!(
        second_prompt.contains("Nginx_WWW"),
        "the finding quotes the bad name"
    );
}

#[test]
fn failing_every_attempt_exits_1_unless_the_fallback_is_asked_for() {
    let url = serve(vec!["no policy here".into(), "still none".into()]);
    let i = intent();
    let base = [
        "generate",
        "--intent-file",
        i.to_str().unwrap(),
        "--backend",
        "openai",
        "--model",
        &url,
        "--max-attempts",
        "1",
    ];
    let o = run(&base);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("no policy that is valid and implements the intent after 1 attempt(s)"),
        "{}",
        text(&o)
    );
    let mut with_fallback = base.to_vec();
    with_fallback.push("--fallback-synth");
    let o = run(&with_fallback);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("FALLBACK"),
        "{}",
        text(&o)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("kind: KubeArmorPolicy"));
}

#[test]
fn a_missing_model_or_server_is_a_clear_error() {
    let i = intent();
    let o = run(&[
        "generate",
        "--intent-file",
        i.to_str().unwrap(),
        "--backend",
        "ort",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--backend ort needs --model"),
        "{}",
        text(&o)
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/v1");
    let o = run(&[
        "generate",
        "--intent-file",
        i.to_str().unwrap(),
        "--backend",
        "openai",
        "--model",
        &url,
        "--max-attempts",
        "1",
    ]);
    // an unreachable server is a configuration error, said once, with its URL
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cannot reach the server"), "{}", text(&o));
    assert_eq!(
        text(&o).matches(&format!("{url}/models")).count(),
        1,
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("attempt 1"), "{}", text(&o));
}

#[test]
fn eval_takes_the_model_backends() {
    let url = serve(vec![BAD.to_string(); 3]);
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/eval/dataset.jsonl");
    let o = run(&[
        "eval",
        "--dataset",
        data.to_str().unwrap(),
        "--backend",
        &format!("openai:test={url}"),
        "--out",
        dir.path().to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let summary = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    assert!(summary.contains("openai:test"), "{summary}");
    let o = run(&[
        "eval",
        "--dataset",
        data.to_str().unwrap(),
        "--backend",
        "openai:no-url",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o).contains("openai:MODEL=http"), "{}", text(&o));
}

#[test]
fn intent_parse_with_a_model_feeds_problems_back() {
    let good = r#"{"scope": {"namespace": "shop", "labels": {"app": "nginx"}}, "domain": "file", "action": "block", "resources": {"paths": ["/etc/shadow"]}}"#;
    let url = serve(vec![
        "Here you go: {\"scope\": {\"namespace\": \"Shop\"}}".to_string(),
        good.to_string(),
    ]);
    let t = "block reads of /etc/shadow for app=nginx in namespace shop";
    let o = run(&[
        "intent",
        "parse",
        t,
        "--backend",
        "openai",
        "--model",
        &url,
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["intent"]["scope"]["namespace"], "shop");
    assert_eq!(v["intent"]["resources"]["paths"][0], "/etc/shadow");
    let attempts = v["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert!(
        attempts[0]["problems"]
            .to_string()
            .contains("/scope/namespace"),
        "{}",
        attempts[0]
    );
    assert!(
        v["entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "PATH" && e["text"] == "/etc/shadow")
    );
    // one attempt that fails: exit 1 with the problems
    let url = serve(vec!["no idea".to_string()]);
    let o = run(&[
        "intent",
        "parse",
        t,
        "--backend",
        "openai",
        "--model",
        &url,
        "--max-attempts",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("no JSON object"), "{}", text(&o));
    // synth writes policies, not intents; a model backend needs --model
    let o = run(&["intent", "parse", t, "--backend", "synth"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not intents"), "{}", text(&o));
    let o = run(&["intent", "parse", t, "--backend", "ort"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--model"), "{}", text(&o));
}

#[test]
fn a_valid_but_unfaithful_answer_is_printed_only_with_best_effort_and_never_exits_0() {
    // Valid at layer 1 but not the intent's policy: /var/log/ instead of
    // the web root, and nginx not among the processes.
    let unfaithful = BAD
        .replace("Nginx_WWW", "nginx-www")
        .replace("/var/www/", "/var/log/");
    let i = intent();
    let args = |url: &str, best: bool| {
        let mut a = vec![
            "generate".to_string(),
            "--intent-file".into(),
            i.to_str().unwrap().into(),
            "--backend".into(),
            "openai".into(),
            "--model".into(),
            url.into(),
            "--max-attempts".into(),
            "2".into(),
        ];
        if best {
            a.push("--best-effort".into());
        }
        a
    };
    let run_owned = |a: Vec<String>| run(&a.iter().map(String::as_str).collect::<Vec<_>>());

    let url = serve(vec![unfaithful.clone(), unfaithful.clone()]);
    let o = run_owned(args(&url, false));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(o.stdout.is_empty(), "printed: {}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("fidelity.missing"), "{stderr}");
    assert!(
        stderr.contains("kept back (--best-effort prints it"),
        "{stderr}"
    );

    let url = serve(vec![unfaithful.clone(), unfaithful]);
    let o = run_owned(args(&url, true));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.starts_with("# kubescribe: BEST EFFORT"), "{stdout}");
    // the gaps named in the comment, then the policy with /var/log/
    assert!(
        stdout.contains("#   /spec/file/matchDirectories: the policy does not state")
            && stdout.contains("dir: /var/log/"),
        "{stdout}"
    );
    // the marked policy is still the model's valid one, and validates as printed
    let dir = tempfile::tempdir().unwrap();
    let printed = dir.path().join("best-effort.yaml");
    std::fs::write(&printed, stdout.as_bytes()).unwrap();
    let v = run(&["validate", printed.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    // and `validate --intent` names the same gap
    let v = run(&[
        "validate",
        printed.to_str().unwrap(),
        "--intent-file",
        i.to_str().unwrap(),
    ]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(text(&v).contains("fidelity."), "{}", text(&v));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("BEST EFFORT: the policy printed is valid but does not implement the intent"),
        "{}",
        text(&o)
    );
}
