//! `WithProgress`: every generation through it is reported as it starts,
//! as its output arrives and when it ends; a backend that cannot constrain
//! takes its start back, so one attempt is one generation.

use std::sync::Mutex;
use std::time::Duration;

use kubescribe_core::PolicyKind;
use kubescribe_infer::constrained::ConstraintTarget;
use kubescribe_infer::{
    Generation, GenerationConfig, GenerationProgress, Generator, InferError, Prompt, WithProgress,
};

/// Streams "a", "b", "c" when asked to stream; cannot constrain.
struct Three;

impl Generator for Three {
    fn name(&self) -> &str {
        "three"
    }
    fn generate(&self, p: &Prompt, c: &GenerationConfig) -> Result<Generation, InferError> {
        self.generate_stream(p, c, &mut |_| true)
    }
    fn generate_stream(
        &self,
        _: &Prompt,
        _: &GenerationConfig,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, InferError> {
        for piece in ["a", "b", "c"] {
            on_text(piece);
        }
        Ok(Generation {
            text: "abc".into(),
            prompt_tokens: Some(4),
            completion_tokens: Some(3),
            elapsed: Duration::ZERO,
        })
    }
    fn count_tokens(&self, _: &Prompt) -> Option<usize> {
        Some(4)
    }
}

#[test]
fn each_generation_is_reported_start_tokens_end() {
    let seen = Mutex::new(Vec::new());
    let record = |e: &GenerationProgress| seen.lock().unwrap().push(e.clone());
    let g = WithProgress::new(&Three, &record);
    let prompt = Prompt::Text("x".into());
    let cfg = GenerationConfig::default();
    // the pipeline tries constrained first; this backend declines, then generates
    let target = ConstraintTarget::new(PolicyKind::NetworkPolicy);
    assert!(
        g.generate_constrained(&prompt, &cfg, &target)
            .unwrap()
            .is_none()
    );
    assert_eq!(g.generate(&prompt, &cfg).unwrap().text, "abc");
    assert_eq!(g.generate(&prompt, &cfg).unwrap().text, "abc");
    assert_eq!(g.name(), "three");
    let seen = seen.into_inner().unwrap();
    let summary: Vec<String> = seen
        .iter()
        .map(|e| match e {
            GenerationProgress::Started {
                call,
                prompt_tokens,
                constrained,
            } => format!("start {call} {prompt_tokens:?} {constrained}"),
            GenerationProgress::Tokens { call, tokens, .. } => format!("tokens {call} {tokens}"),
            GenerationProgress::Finished {
                call,
                tokens,
                first_piece,
                failed,
                ..
            } => format!("end {call} {tokens} {} {failed}", first_piece.is_some()),
        })
        .collect();
    assert_eq!(
        summary,
        [
            // the declined constrained call: started, no end, its number reused
            "start 1 Some(4) true",
            // unconstrained: the answer once (an HTTP backend does not
            // stream), the backend's token count at the end
            "start 1 Some(4) false",
            "tokens 1 1",
            "end 1 3 true false",
            "start 2 Some(4) false",
            "tokens 2 1",
            "end 2 3 true false",
        ]
    );
}

/// Streams "a", "b", "c" under a constraint (as the local backends do).
struct Constrained;

impl Generator for Constrained {
    fn name(&self) -> &str {
        "constrained"
    }
    fn generate(&self, _: &Prompt, _: &GenerationConfig) -> Result<Generation, InferError> {
        Err(InferError::Generation {
            generator: "constrained".into(),
            message: "not called".into(),
        })
    }
    fn generate_constrained_stream(
        &self,
        _: &Prompt,
        _: &GenerationConfig,
        _: &ConstraintTarget,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Option<Generation>, InferError> {
        for piece in ["{", "}", ""] {
            on_text(piece);
        }
        Ok(Some(Generation {
            text: "{}".into(),
            prompt_tokens: None,
            completion_tokens: None,
            elapsed: Duration::ZERO,
        }))
    }
}

#[test]
fn constrained_decoding_is_reported_token_by_token() {
    let seen = Mutex::new(Vec::new());
    let record = |e: &GenerationProgress| seen.lock().unwrap().push(e.clone());
    let g = WithProgress::new(&Constrained, &record);
    let target = ConstraintTarget::new(PolicyKind::NetworkPolicy);
    let out = g
        .generate_constrained(
            &Prompt::Text("x".into()),
            &GenerationConfig::default(),
            &target,
        )
        .unwrap();
    assert_eq!(out.unwrap().text, "{}");
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert!(matches!(
        seen[3],
        GenerationProgress::Tokens { tokens: 3, .. }
    ));
    // no token count from the backend: the pieces count
    assert!(matches!(
        seen[4],
        GenerationProgress::Finished {
            tokens: 3,
            failed: false,
            ..
        }
    ));
}
