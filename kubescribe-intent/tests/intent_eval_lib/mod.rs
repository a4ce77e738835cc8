//! The intent evaluation set (`tests/fixtures/intent_eval/`) and its four
//! figures, shared by `tests/intent_eval.rs` and `examples/intent_eval.rs`.
//!
//! A case is one JSON line: `id`, `text`, `source`, optionally `engine`
//! (the engine to generate for), and either `intent` (the expected
//! [`Intent`], with optional `events` and their expected `verdicts`) or
//! `missing` (the phrases an underspecified intent's refusal must contain).
//!
//! Figures, per split:
//! * parsed-correct: `parse_intent(text)` equals the expected intent
//!   (compared after [`normalize`]);
//! * generated-valid: of the specified cases that parsed, the policy
//!   synthesized from the parsed intent passes layer 1;
//! * simulation agrees: of the cases with events, the policy synthesized from
//!   the parsed intent gives every event its expected verdict;
//! * underspecified refused: the parser returns an error whose message
//!   contains every `missing` phrase (case-insensitive).

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use kubescribe_core::Engine;
use kubescribe_core::intent::{Direction, Domain, Intent};
use kubescribe_events::Event;
use kubescribe_intent::parse_intent;
use kubescribe_simulate::{Verdict, simulate_event};
use kubescribe_synth::synthesize;
use kubescribe_validate::Validator;
use serde::Deserialize;

/// The fixture directory.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/intent_eval")
}

/// One case as stored.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCase {
    pub id: String,
    pub text: String,
    pub source: String,
    #[serde(default)]
    pub engine: Option<Engine>,
    #[serde(default)]
    pub intent: Option<serde_json::Value>,
    #[serde(default)]
    pub missing: Option<Vec<String>>,
    #[serde(default)]
    pub events: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub verdicts: Option<Vec<String>>,
}

/// What a case expects.
#[derive(Debug, Clone)]
pub enum Expect {
    /// A complete intent, with events and their verdicts (possibly none).
    Specified {
        intent: Box<Intent>,
        events: Vec<(Event, String)>,
    },
    /// A refusal naming each phrase.
    Underspecified(Vec<String>),
}

/// A checked case.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub text: String,
    pub source: String,
    pub engine: Option<Engine>,
    pub expect: Expect,
}

impl Case {
    pub fn has_events(&self) -> bool {
        matches!(&self.expect, Expect::Specified { events, .. } if !events.is_empty())
    }
}

/// Reads a JSON-lines split, checking every case: errors name the file,
/// line and case.
pub fn load(name: &str) -> Result<Vec<Case>, String> {
    let path = dir().join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{}:{}", path.display(), n + 1);
        match serde_json::from_str::<RawCase>(line) {
            Ok(raw) => match check(raw) {
                Ok(c) => out.push(c),
                Err(e) => errors.push(format!("{at}: {e}")),
            },
            Err(e) => errors.push(format!("{at}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors.join("\n"))
    }
}

/// Loads `dev`, `test` or `all` (both).
pub fn load_split(split: &str) -> Result<Vec<Case>, String> {
    match split {
        "dev" => load("dev.jsonl"),
        "test" => load("test.jsonl"),
        "all" => {
            let mut v = load("dev.jsonl")?;
            v.extend(load("test.jsonl")?);
            Ok(v)
        }
        other => Err(format!("unknown split `{other}`: dev, test or all")),
    }
}

const VERDICTS: [&str; 3] = ["allow", "audit", "block"];
const PHRASES: [&str; 10] = [
    "which pods",
    "which namespace",
    "which files",
    "which executables",
    "which traffic",
    "which port",
    "which system calls",
    "which capabilities",
    "what to do",
    "contradiction",
];

fn check(raw: RawCase) -> Result<Case, String> {
    let id = raw.id.clone();
    if id.trim().is_empty() || raw.text.trim().is_empty() {
        return Err("empty id or text".into());
    }
    if raw.source.trim().is_empty() {
        return Err(format!("{id}: no source"));
    }
    let expect = match (raw.intent, raw.missing) {
        (Some(v), None) => {
            let intent: Intent =
                serde_json::from_value(v).map_err(|e| format!("{id}: intent: {e}"))?;
            let gaps = intent.gaps();
            if !gaps.is_empty() {
                return Err(format!(
                    "{id}: expected intent has gaps: {}",
                    gaps.iter()
                        .map(|g| g.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
            let events = raw.events.unwrap_or_default();
            let verdicts = raw.verdicts.unwrap_or_default();
            if events.len() != verdicts.len() {
                return Err(format!(
                    "{id}: {} events but {} verdicts",
                    events.len(),
                    verdicts.len()
                ));
            }
            let mut pairs = Vec::new();
            for (i, (e, v)) in events.into_iter().zip(verdicts).enumerate() {
                let ev: Event =
                    serde_json::from_value(e).map_err(|err| format!("{id}: events[{i}]: {err}"))?;
                if !VERDICTS.contains(&v.as_str()) {
                    return Err(format!(
                        "{id}: verdicts[{i}] `{v}`: expected allow, audit or block"
                    ));
                }
                pairs.push((ev, v));
            }
            Expect::Specified {
                intent: Box::new(intent),
                events: pairs,
            }
        }
        (None, Some(m)) => {
            if m.is_empty() {
                return Err(format!("{id}: `missing` is empty"));
            }
            if raw.events.is_some() || raw.verdicts.is_some() {
                return Err(format!("{id}: an underspecified case has no events"));
            }
            for p in &m {
                if !PHRASES.contains(&p.as_str()) {
                    return Err(format!(
                        "{id}: missing phrase `{p}` is not one of {PHRASES:?}"
                    ));
                }
            }
            Expect::Underspecified(m)
        }
        _ => return Err(format!("{id}: exactly one of `intent` and `missing`")),
    };
    Ok(Case {
        id,
        text: raw.text,
        source: raw.source,
        engine: raw.engine,
        expect,
    })
}

/// The intent as compared: equal meanings compare equal. Absent `version`
/// reads as 2; a network intent without a direction gets the documented
/// default (egress when it names CIDRs, FQDNs or entities and no peer, else
/// ingress); capability names are lower-case without `cap_`; a peer's
/// namespace that is the policy's own is the same as none (every engine
/// reads a peer without one in the policy's namespace); every list is a set,
/// so the order the values were written in does not count; the engine a
/// domain defaults to (`kubescribe_synth::default_engine`) is the same as
/// none (the policy generated is the same).
pub fn normalize(i: &Intent) -> Intent {
    let mut i = i.clone();
    i.version = None;
    if i.engine == Some(kubescribe_synth::default_engine(i.domain)) {
        i.engine = None;
    }
    if i.domain == Domain::Network && i.direction.is_none() {
        let r = &i.resources;
        let egress = r.peers.is_empty()
            && (!r.cidrs.is_empty() || !r.fqdns.is_empty() || !r.entities.is_empty());
        i.direction = Some(if egress {
            Direction::Egress
        } else {
            Direction::Ingress
        });
    }
    let caps = |c: &mut Vec<String>| {
        for x in c.iter_mut() {
            let l = x.to_ascii_lowercase();
            *x = l.strip_prefix("cap_").unwrap_or(&l).to_string();
        }
    };
    let own_ns = i.scope.namespace.clone();
    let peers = |r: &mut kubescribe_core::intent::Resources| {
        for p in r.peers.iter_mut() {
            if own_ns.is_some() && p.namespace == own_ns {
                p.namespace = None;
            }
        }
    };
    caps(&mut i.resources.capabilities);
    peers(&mut i.resources);
    as_sets(&mut i.resources);
    if let Some(d) = i.deny.as_mut() {
        caps(&mut d.capabilities);
        peers(d);
        as_sets(d);
    }
    i
}

/// Puts every list of `r` in one order (that of the values' JSON).
fn as_sets(r: &mut kubescribe_core::intent::Resources) {
    fn sort<T: serde::Serialize>(v: &mut [T]) {
        v.sort_by_cached_key(|x| serde_json::to_string(x).unwrap_or_default());
    }
    sort(&mut r.paths);
    sort(&mut r.dirs);
    sort(&mut r.sources);
    sort(&mut r.binaries);
    sort(&mut r.ports);
    sort(&mut r.named_ports);
    sort(&mut r.protocols);
    sort(&mut r.cidrs);
    sort(&mut r.except_cidrs);
    sort(&mut r.entities);
    sort(&mut r.peers);
    sort(&mut r.fqdns);
    sort(&mut r.syscalls);
    sort(&mut r.capabilities);
}

fn verdict_name(v: Verdict) -> &'static str {
    v.as_str()
}

/// What happened to one case.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub id: String,
    pub underspecified: bool,
    pub has_events: bool,
    /// Specified: parsed to the expected intent.
    pub parsed_correct: bool,
    /// Specified: parsed without error.
    pub parsed: bool,
    /// Specified and parsed: synthesized and layer-1 valid.
    pub generated_valid: bool,
    /// With events: every event got its verdict.
    pub sim_agrees: bool,
    /// Underspecified: refused naming every phrase.
    pub refused: bool,
    /// What went wrong, in words (empty when nothing).
    pub misses: Vec<String>,
}

/// The policy for `intent` in `engine` (or the intent's / default), valid at layer 1.
fn generate(
    validator: &Validator,
    intent: &Intent,
    engine: Option<Engine>,
) -> Result<kubescribe_core::policy::Policy, String> {
    let policy = synthesize(intent, engine).map_err(|e| format!("synthesis: {e}"))?;
    let value = policy
        .to_value()
        .map_err(|e| format!("policy to value: {e}"))?;
    let outcome = validator.validate_value(&value);
    if outcome.is_valid() {
        Ok(policy)
    } else {
        Err(format!(
            "layer 1: {}",
            outcome
                .diagnostics
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ))
    }
}

/// Replays the case's events against `policy`; the misses, in words.
fn replay(policy: &kubescribe_core::policy::Policy, events: &[(Event, String)]) -> Vec<String> {
    let mut misses = Vec::new();
    for (n, (e, want)) in events.iter().enumerate() {
        match simulate_event(std::slice::from_ref(policy), e) {
            Ok(d) => {
                let got = verdict_name(d.verdict);
                if got != want {
                    misses.push(format!(
                        "event {n} ({}): expected {want}, got {got} ({})",
                        describe(e),
                        d.reason
                    ));
                }
            }
            Err(err) => misses.push(format!("event {n}: simulator: {err}")),
        }
    }
    misses
}

fn describe(e: &Event) -> String {
    use kubescribe_events::EventKind::*;
    match &e.kind {
        File(f) => format!(
            "{} {} by {}",
            f.operation.as_str(),
            f.path,
            f.process.as_deref().unwrap_or("?")
        ),
        Process(p) => format!(
            "exec {} from {}",
            p.binary,
            p.parent.as_deref().unwrap_or("?")
        ),
        Network(n) => format!(
            "{} {} port {} peer {}",
            n.direction.as_str(),
            n.protocol,
            n.local_port
                .filter(|_| n.direction == kubescribe_events::Direction::Ingress)
                .or(n.remote_port)
                .map(|p| p.to_string())
                .unwrap_or_else(|| "-".into()),
            n.remote_ip.as_deref().unwrap_or("?")
        ),
        Syscall(s) => format!("{} {}", s.kind.as_str(), s.name),
    }
}

/// Runs one case through the parser, the synthesizer, layer 1 and the simulator.
pub fn run_case(validator: &Validator, case: &Case) -> Outcome {
    let mut o = Outcome {
        id: case.id.clone(),
        has_events: case.has_events(),
        ..Outcome::default()
    };
    let parsed = parse_intent(&case.text);
    match &case.expect {
        Expect::Underspecified(missing) => {
            o.underspecified = true;
            match parsed {
                Ok(p) => o.misses.push(format!(
                    "accepted: {}",
                    serde_json::to_string(&p.intent).unwrap_or_default()
                )),
                Err(e) => {
                    let msg = e.to_string();
                    let lower = msg.to_lowercase();
                    let absent: Vec<&String> = missing
                        .iter()
                        .filter(|m| !lower.contains(&m.to_lowercase()))
                        .collect();
                    if absent.is_empty() {
                        o.refused = true;
                    } else {
                        o.misses
                            .push(format!("refused without naming {absent:?}: {msg}"));
                    }
                }
            }
        }
        Expect::Specified { intent, events } => match parsed {
            Err(e) => o.misses.push(format!("parse error: {e}")),
            Ok(p) => {
                o.parsed = true;
                let got = normalize(&p.intent);
                let want = normalize(intent);
                if got == want {
                    o.parsed_correct = true;
                } else {
                    o.misses.push(format!(
                        "parsed {}\n      expected {}",
                        serde_json::to_string(&got).unwrap_or_default(),
                        serde_json::to_string(&want).unwrap_or_default()
                    ));
                }
                match generate(validator, &p.intent, case.engine) {
                    Err(e) => o.misses.push(e),
                    Ok(policy) => {
                        o.generated_valid = true;
                        if !events.is_empty() {
                            let m = replay(&policy, events);
                            o.sim_agrees = m.is_empty();
                            o.misses.extend(m);
                        }
                    }
                }
            }
        },
    }
    o
}

/// The expected intent itself through synthesis, layer 1 and simulation:
/// checks the dataset's verdicts and the synthesizer, independent of the
/// parser. Returns (generated-valid, simulation agrees) and the misses.
pub fn reference_case(validator: &Validator, case: &Case) -> Option<(bool, bool, Vec<String>)> {
    let Expect::Specified { intent, events } = &case.expect else {
        return None;
    };
    match generate(validator, intent, case.engine) {
        Err(e) => Some((false, false, vec![e])),
        Ok(policy) => {
            let m = replay(&policy, events);
            Some((true, m.is_empty() && !events.is_empty(), m))
        }
    }
}

/// A count out of a total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ratio(pub usize, pub usize);

impl Ratio {
    pub fn percent(self) -> f64 {
        if self.1 == 0 {
            100.0
        } else {
            100.0 * self.0 as f64 / self.1 as f64
        }
    }
}

impl std::fmt::Display for Ratio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{} ({:.1}%)", self.0, self.1, self.percent())
    }
}

/// The four figures.
#[derive(Debug, Clone, Copy, Default)]
pub struct Figures {
    pub parsed_correct: Ratio,
    pub generated_valid: Ratio,
    pub generated_valid_of_all: Ratio,
    pub sim_agrees: Ratio,
    pub refused: Ratio,
}

pub fn figures(outcomes: &[Outcome]) -> Figures {
    let spec: Vec<&Outcome> = outcomes.iter().filter(|o| !o.underspecified).collect();
    let count = |it: &mut dyn Iterator<Item = bool>| it.filter(|b| *b).count();
    let parsed: Vec<&&Outcome> = spec.iter().filter(|o| o.parsed).collect();
    let with_events: Vec<&&Outcome> = spec.iter().filter(|o| o.has_events).collect();
    let under: Vec<&Outcome> = outcomes.iter().filter(|o| o.underspecified).collect();
    Figures {
        parsed_correct: Ratio(
            count(&mut spec.iter().map(|o| o.parsed_correct)),
            spec.len(),
        ),
        generated_valid: Ratio(
            count(&mut parsed.iter().map(|o| o.generated_valid)),
            parsed.len(),
        ),
        generated_valid_of_all: Ratio(
            count(&mut spec.iter().map(|o| o.generated_valid)),
            spec.len(),
        ),
        sim_agrees: Ratio(
            count(&mut with_events.iter().map(|o| o.sim_agrees)),
            with_events.len(),
        ),
        refused: Ratio(count(&mut under.iter().map(|o| o.refused)), under.len()),
    }
}

/// The acceptance thresholds of issue 16 on the test split, in percent.
pub const THRESHOLDS: (f64, f64, f64, f64) = (95.0, 100.0, 95.0, 95.0);

impl Figures {
    /// The figures below their thresholds, in words.
    pub fn shortfalls(&self) -> Vec<String> {
        let (p, g, s, u) = THRESHOLDS;
        let mut out = Vec::new();
        for (name, r, t) in [
            ("parsed-correct", self.parsed_correct, p),
            ("generated-valid", self.generated_valid, g),
            ("simulation agrees", self.sim_agrees, s),
            ("underspecified refused", self.refused, u),
        ] {
            if r.percent() < t {
                out.push(format!("{name} {r} < {t}%"));
            }
        }
        out
    }

    pub fn summary(&self) -> String {
        format!(
            "parsed-correct {} | generated-valid {} (of all specified: {}) | simulation agrees {} | underspecified refused {}",
            self.parsed_correct,
            self.generated_valid,
            self.generated_valid_of_all,
            self.sim_agrees,
            self.refused
        )
    }

    pub fn markdown_table(&self) -> String {
        let (p, g, s, u) = THRESHOLDS;
        let mut m = String::new();
        m.push_str("| figure | result | acceptance (test split) |\n|---|---|---|\n");
        let _ = writeln!(m, "| parsed-correct | {} | ≥ {p}% |", self.parsed_correct);
        let _ = writeln!(
            m,
            "| generated-valid (layer 1, of the specified cases that parsed) | {} | {g}% |",
            self.generated_valid
        );
        let _ = writeln!(
            m,
            "| generated-valid (of all specified cases) | {} | — |",
            self.generated_valid_of_all
        );
        let _ = writeln!(m, "| simulation agrees | {} | ≥ {s}% |", self.sim_agrees);
        let _ = writeln!(m, "| underspecified refused | {} | ≥ {u}% |", self.refused);
        m
    }
}

/// Dataset counts: (cases, specified, with events, underspecified).
pub fn counts(cases: &[Case]) -> (usize, usize, usize, usize) {
    let under = cases
        .iter()
        .filter(|c| matches!(c.expect, Expect::Underspecified(_)))
        .count();
    let ev = cases.iter().filter(|c| c.has_events()).count();
    (cases.len(), cases.len() - under, ev, under)
}

/// Ids that appear more than once.
pub fn duplicate_ids(cases: &[Case]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    cases
        .iter()
        .filter(|c| !seen.insert(c.id.clone()))
        .map(|c| c.id.clone())
        .collect()
}

/// SHA-256 of `data`, lower-case hex (FIPS 180-4; no dependency for one hash).
pub fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}
