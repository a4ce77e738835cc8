//! Constrained decoding's set-up time as a `generate` run pays it, stage by
//! stage, in a fresh process: the tokenizer's token trie, then one target per
//! policy kind compiled through one [`ConstraintCache`] (the first target
//! also builds the tokenizer's grammar compiler, llguidance's token-slice
//! tables), then the same targets again (cached in memory). One JSON line per
//! stage on standard output; `scripts/perf/grammar_setup.py` runs it.
//!
//! ```text
//! cargo build --release -p kubescribe-infer --example grammar_setup
//! target/release/examples/grammar_setup TOKENIZER.json EOS_ID [KIND...]
//! ```

use std::process::ExitCode;
use std::time::Instant;

use kubescribe_core::PolicyKind;
use kubescribe_infer::constrained::{ConstraintCache, ConstraintTarget, GrammarCompiler};

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
