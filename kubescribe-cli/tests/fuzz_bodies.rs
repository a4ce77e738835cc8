//! The fuzz targets' bodies (`fuzz/src/bodies.rs`) under plain `cargo test`:
//! each runs over its seeds and a fixed number of deterministic mutations
//! of each, so every parser the fuzzer covers is exercised on stable Rust
//! and offline, without cargo-fuzz. With the corpus (KUBESCRIBE_CORPUS),
//! samples of its policies and events are seeds too. A longer, coverage-
//! guided run: `scripts/fuzz/run.sh` (nightly and cargo-fuzz).

#[path = "../../fuzz/src/bodies.rs"]
#[allow(dead_code)]
mod bodies;

use std::path::{Path, PathBuf};

/// xorshift64*: deterministic, seeded per target.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fragments that reach the parsers' edge cases.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "!",
    "&&",
    "||",
    "*",
    "**",
    "?",
    "/",
    ".",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    ":",
    ",",
    "\n",
    "---\n",
    "&a ",
    "*a",
    "<<: ",
    "\u{1b}[2J",
    "\r\nFORGED: ok",
    "\u{202e}",
    "\0",
    "\u{ffff}",
    "-1",
    "99999999999999999999",
    "1e309",
    "null",
    "true",
    "has(",
    "all()",
    " in {",
    "0.0.0.0/0",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 if !out.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                out.splice(at..at, t.iter().copied());
            }
            3 if !out.is_empty() => {
                // Repeat a chunk (nesting, long runs).
                let start = rng.below(out.len());
                let end = (start + 1 + rng.below(8)).min(out.len());
                let chunk: Vec<u8> = out[start..end].to_vec();
                let times = 1 + rng.below(64);
                for _ in 0..times {
                    out.splice(at..at, chunk.iter().copied());
                }
            }
            4 => out.insert(at, rng.next() as u8),
            _ => out.truncate(at),
        }
    }
    out
}

/// Built-in seeds (written here, not copied from the corpus).
fn builtin(target: &str) -> Vec<Vec<u8>> {
    let s: &[&str] = match target {
        "parse_validate" => &[
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: b}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n",
            "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{\"a\":1}]}",
        ],
        "events_falco" => &[
            r#"{"output":"x","priority":"Warning","rule":"Write below etc","time":"2025-01-01T00:00:00Z","output_fields":{"fd.name":"/etc/shadow","proc.name":"bash","k8s.ns.name":"shop","k8s.pod.name":"web-1","evt.type":"openat"}}"#,
        ],
        "events_tetragon" => &[
            r#"{"process_exec":{"process":{"binary":"/usr/bin/curl","arguments":"-s x","pod":{"namespace":"shop","name":"web-1","pod_labels":{"app":"web"}}}},"node_name":"n","time":"2025-01-01T00:00:00Z"}"#,
        ],
        "events_kubearmor" => &[
            r#"{"Timestamp":1700000000,"NamespaceName":"shop","PodName":"web-1","Labels":"app=web","Type":"ContainerLog","Operation":"File","Resource":"/etc/passwd","Data":"syscall=SYS_OPENAT flags=O_RDONLY","Result":"Passed","ProcessName":"/bin/cat"}"#,
        ],
        "events_hubble" => &[
            r#"{"flow":{"time":"2025-03-01T12:40:01Z","verdict":"FORWARDED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"TCP":{"source_port":40000,"destination_port":80}},"source":{"namespace":"shop","labels":["k8s:app=a"]},"destination":{"namespace":"shop","labels":["k8s:app=b"]},"traffic_direction":"INGRESS"}}"#,
        ],
        "selector" => &[
            "app == 'web' && tier != 'db' || !has(canary)",
            "k in {'a', 'b'} && x not in {} && n starts with 'w' && m ends with \"x\"",
            "(((a == 'x')))",
            "all()",
            "global()",
        ],
        "glob" => &[
            "/tmp/*.sock\n/tmp/a.sock",
            "/usr/**/curl\n/usr/local/bin/curl",
            "*.github.com\napi.github.com",
            "*a*a*a*a*a*a*b\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ],
        "intent" => &[
            "block writes to /etc/passwd in pods labelled app=nginx in namespace shop",
            "allow only frontend to reach cartservice on port 7070 in namespace shop",
            "deny egress to 0.0.0.0/0 except 10.0.0.0/8 for app=web",
        ],
        _ => &[],
    };
    s.iter().map(|x| x.as_bytes().to_vec()).collect()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Up to `n` files under `dir`, evenly spread, each cut to 64 KiB.
fn sample(dir: &Path, n: usize) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    files_under(dir, &mut all);
    let step = all.len().div_ceil(n.max(1)).max(1);
    all.iter()
        .step_by(step)
        .filter_map(|p| std::fs::read(p).ok())
        .map(|mut b| {
            b.truncate(64 * 1024);
            b
        })
        .collect()
}

/// Lines `key: value` of the files under `dir`, as seeds of their values.
fn values_of(dir: &Path, key: &str, n: usize) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    files_under(dir, &mut all);
    let mut out = Vec::new();
    for p in all {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        for line in text.lines() {
            if let Some((_, v)) = line.split_once(&format!("{key}: ")) {
                let v = v.trim().trim_matches('"').trim_matches('\'');
                if !v.is_empty() && out.len() < n {
                    out.push(v.as_bytes().to_vec());
                }
            }
        }
    }
    out
}

fn corpus_seeds(root: &Path, target: &str) -> Vec<Vec<u8>> {
    let ev = root.join("events");
    match target {
        "parse_validate" => sample(&root.join("policies"), 24),
        "events_falco" => sample(&ev.join("falco"), 6),
        "events_tetragon" => sample(&ev.join("tetragon"), 6),
        "events_kubearmor" => sample(&ev.join("kubearmor"), 6),
        "events_hubble" => sample(&ev.join("hubble"), 4),
        "selector" => values_of(&root.join("policies/calico"), "selector", 40),
        "glob" => values_of(&root.join("policies/kubearmor"), "pattern", 40)
            .into_iter()
            .map(|mut p| {
                p.extend_from_slice(b"\n/usr/local/bin/tool");
                p
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Mutations per seed: the validating and event targets cost more per run.
/// `KUBESCRIBE_FUZZ_ROUNDS=N` multiplies them (a longer sweep; same seeds).
fn rounds(target: &str) -> usize {
    let times = std::env::var("KUBESCRIBE_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    times
        * match target {
            "parse_validate" => 16,
            t if t.starts_with("events_") => 64,
            _ => 256,
        }
}

fn run_one(target: &str, body: bodies::Body, input: &[u8]) {
    if std::panic::catch_unwind(|| body(input)).is_err() {
        let shown: String = String::from_utf8_lossy(input).chars().take(2_000).collect();
        panic!("fuzz body {target} panicked on {shown:?}");
    }
}

#[test]
fn fuzz_bodies_survive_seeds_and_mutations() {
    let corpus = kubescribe_testkit::corpus::corpus();
    let repo_seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let mut total = 0usize;
    for (i, (target, body)) in bodies::TARGETS.iter().enumerate() {
        let mut seeds = builtin(target);
        assert!(!seeds.is_empty(), "{target} has no built-in seed");
        if *target == "parse_validate" {
            seeds.extend(sample(&repo_seeds, 16));
        }
        if let Some(root) = &corpus {
            seeds.extend(corpus_seeds(root, target));
        }
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1));
        let mut runs = 0;
        for seed in &seeds {
            run_one(target, *body, seed);
            for _ in 0..rounds(target) {
                run_one(target, *body, &mutate(&mut rng, seed));
                runs += 1;
            }
        }
        println!("{target}: {} seeds, {runs} mutations", seeds.len());
        total += runs;
    }
    assert!(total > 1_000, "{total}");
}
