//! Constrained decoding's set-up time as a `generate` run pays it, stage by
//! stage, in a fresh process: the tokenizer's token trie, then one target per
//! policy kind compiled through one [`ConstraintCache`] (the first target
//! also builds the tokenizer's grammar compiler, llguidance's token-slice
//! tables), then the same targets again (cached in memory). One JSON line per
//! stage on standard output; `scripts/perf/grammar_setup.py` runs it.
//!
//! With a `.gguf` model instead of a tokenizer, what a `generate` run waits
//! for after loading the model (which prepares the trie and the compiler on
//! a thread beside the weights): the first target's constraint up to its
//! first mask, and the same from a cold cache for comparison.
//!
//! ```text
//! cargo build --release -p kubescribe-infer --example grammar_setup
//! target/release/examples/grammar_setup TOKENIZER.json EOS_ID [KIND...]
//! target/release/examples/grammar_setup MODEL.gguf 0 [KIND...]
//! ```

use std::process::ExitCode;
use std::time::Instant;

use kubescribe_core::PolicyKind;
use kubescribe_infer::candle::{CandleGenerator, LoadOptions};
use kubescribe_infer::constrained::{
    ConstraintCache, ConstraintTarget, GrammarCompiler, SchemaLimits, Tightening,
};

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(eos)) = (args.get(1), args.get(2).and_then(|s| s.parse::<u32>().ok()))
    else {
        eprintln!("usage: grammar_setup TOKENIZER.json EOS_ID [KIND...]");
        return ExitCode::from(2);
    };
    let mut kinds = Vec::new();
    for name in args.iter().skip(3) {
        match PolicyKind::ALL.iter().find(|k| k.kind() == name) {
            Some(k) => kinds.push(*k),
            None => {
                eprintln!("grammar_setup: unknown kind {name:?}");
                return ExitCode::from(2);
            }
        }
    }
    if kinds.is_empty() {
        kinds = vec![
            PolicyKind::NetworkPolicy,
            PolicyKind::CiliumNetworkPolicy,
            PolicyKind::KubeArmorPolicy,
            PolicyKind::TracingPolicy,
        ];
    }
    if path.ends_with(".gguf") {
        return after_load(path, &kinds);
    }
    let tokenizer = match tokenizers::Tokenizer::from_file(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("grammar_setup: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let cache = ConstraintCache::default();
    let t = Instant::now();
    let tok = match cache.tokenizer(&tokenizer, &[eos], None) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("grammar_setup: {e}");
            return ExitCode::from(1);
        }
    };
    println!("{{\"stage\":\"token trie\",\"ms\":{:.2}}}", ms(t));
    // The compiler alone, for the breakdown (the cache builds its own once).
    let t = Instant::now();
    if let Err(e) = GrammarCompiler::new(tok) {
        eprintln!("grammar_setup: {e}");
        return ExitCode::from(1);
    }
    println!(
        "{{\"stage\":\"grammar compiler (alone)\",\"ms\":{:.2}}}",
        ms(t)
    );
    for round in ["compile", "cached"] {
        for (i, kind) in kinds.iter().enumerate() {
            let target = ConstraintTarget::new(*kind);
            let t = Instant::now();
            let mut c = match cache.constraint(&target, tok) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("grammar_setup: {e}");
                    return ExitCode::from(1);
                }
            };
            // Up to the first mask, as the decoder needs it.
            if let Err(e) = c.forced_tokens().and_then(|_| c.allowed()) {
                eprintln!("grammar_setup: {e}");
                return ExitCode::from(1);
            }
            println!(
                "{{\"stage\":\"{round}\",\"target\":{i},\"kind\":\"{}\",\"ms\":{:.2}}}",
                kind.kind(),
                ms(t)
            );
        }
    }
    ExitCode::SUCCESS
}

/// Set-up after a model load: prepared (as `generate` finds it) and cold.
fn after_load(path: &str, kinds: &[PolicyKind]) -> ExitCode {
    let t = Instant::now();
    let g = match CandleGenerator::load(path, &LoadOptions::default()) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("grammar_setup: {e}");
            return ExitCode::from(2);
        }
    };
    println!("{{\"stage\":\"model load\",\"ms\":{:.2}}}", ms(t));
    let Some(kind) = kinds.first().copied() else {
        return ExitCode::from(2);
    };
    let t = Instant::now();
    let first = g
        .constraint(kind, &Tightening::default(), &SchemaLimits::default())
        .and_then(|mut c| c.forced_tokens().and_then(|_| c.allowed()));
    if let Err(e) = first {
        eprintln!("grammar_setup: {e}");
        return ExitCode::from(1);
    }
    println!(
        "{{\"stage\":\"after load, prepared\",\"kind\":\"{}\",\"ms\":{:.2}}}",
        kind.kind(),
        ms(t)
    );
    let Ok(vocab) = g.constraint_tokenizer().map(|t| t.vocab_size()) else {
        return ExitCode::from(1);
    };
    let cold = ConstraintCache::default();
    let t = Instant::now();
    let first = cold
        .tokenizer(g.tokenizer(), g.eos(), Some(vocab))
        .and_then(|tok| cold.constraint(&ConstraintTarget::new(kind), tok))
        .and_then(|mut c| c.forced_tokens().and_then(|_| c.allowed()));
    if let Err(e) = first {
        eprintln!("grammar_setup: {e}");
        return ExitCode::from(1);
    }
    println!(
        "{{\"stage\":\"cold cache\",\"kind\":\"{}\",\"ms\":{:.2}}}",
        kind.kind(),
        ms(t)
    );
    ExitCode::SUCCESS
}
