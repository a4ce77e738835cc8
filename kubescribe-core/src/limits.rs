//! The limits that bound work on untrusted input, in one place.
//!
//! Every entry point that parses a selector, a glob, a CEL rule or a document
//! applies the constants below (or the [`ReadLimits`](crate::ReadLimits) built from them), so
//! `validate`, `simulate`, `convert`, ingest and the Python module refuse the
//! same inputs with the same message. Each limit sits far above anything
//! real policies contain; what it protects against is stack overflow
//! (nesting), super-linear work (long patterns) and unbounded memory.
//!
//! | limit | value | applies to | raised by |
//! |---|---|---|---|
//! | [`SELECTOR_MAX_CHARS`] | 1,024 characters | a Calico selector (the CRD's `maxLength`) | fixed |
//! | [`SELECTOR_MAX_DEPTH`] | 128 | nesting of `!` and `(` in a Calico selector | fixed |
//! | [`GLOB_MAX_PATTERN_BYTES`] | 4,096 bytes | a KubeArmor `matchPatterns` pattern, a Cilium `toFQDNs.matchPattern` | fixed (Linux `PATH_MAX`) |
//! | [`GLOB_MAX_TEXT_BYTES`] | 4,096 bytes | the path or name a glob is matched against (longer: not simulated) | fixed (Linux `PATH_MAX`) |
//! | [`DOCUMENT_MAX_BYTES`] | 16 MiB | one input file | `--max-file-mib` (`validate`, `convert`, `simulate`) |
//! | [`CRD_MAX_BYTES`], [`CRD_MAX_DEPTH`] | 64 MiB, 128 | a CRD file (`validate --crd`) | fixed |
//! | [`DOCUMENT_MAX_DEPTH`] | 128 | nesting of mappings/sequences in a document | fixed |
//! | [`DOCUMENT_MAX_DOCUMENTS`] | 10,000 | documents in one input | fixed |
//! | [`DOCUMENT_MAX_ALIASES`] | 1,000 | YAML alias (`*ref`) uses in one input | fixed |
//! | nodes / parser events | one per input byte, at least 4,000,000 | YAML nodes and events of one input (alias expansion included) | grows with `--max-file-mib` |
//! | [`CEL_RULE_MAX_CHARS`] | 4,096 characters | one CEL rule of a CRD (longer: not compiled, an error) | fixed |
//! | [`CEL_MAX_COST`] | 1,000,000 steps (cost bound before evaluation) | one `x-kubernetes-validations` rule on one object (`validate --crd`) | fixed (the API server's per-call budget) |
//!
//! A refused input is a [`LimitExceeded`] naming the limit, its value and
//! what raises it.

use thiserror::Error;

/// Longest Calico selector, in characters (Calico's CRDs give every
/// selector field `maxLength: 1024`).
pub const SELECTOR_MAX_CHARS: usize = 1_024;

/// Deepest nesting of `!` and `(` in a Calico selector. The parser and every
/// walk over a parsed selector recurse once per level, so this bounds their
/// stack use.
pub const SELECTOR_MAX_DEPTH: usize = 128;

/// Longest glob pattern (KubeArmor `matchPatterns`, Cilium
/// `toFQDNs.matchPattern`), in bytes: Linux's `PATH_MAX`. Matching takes at
/// most (pattern length + 1) × (text length + 1) steps.
pub const GLOB_MAX_PATTERN_BYTES: usize = 4_096;

/// Longest text a glob is matched against, in bytes: Linux's `PATH_MAX`
/// (a DNS name has at most 253). A longer path in an event cannot come from
/// a system call; matching it is refused rather than run for
/// pattern × text steps.
pub const GLOB_MAX_TEXT_BYTES: usize = 4_096;

/// Largest input file (default of `--max-file-mib`).
pub const DOCUMENT_MAX_BYTES: usize = 16 * 1024 * 1024;

/// Deepest nesting of mappings and sequences in a document.
pub const DOCUMENT_MAX_DEPTH: usize = 128;

/// Most documents in one input.
pub const DOCUMENT_MAX_DOCUMENTS: usize = 10_000;

/// Most YAML alias uses in one input.
pub const DOCUMENT_MAX_ALIASES: usize = 1_000;

/// Fewest YAML nodes and parser events allowed in one input, whatever its
/// size; above that the allowance is one per input byte (a node takes at
/// least one byte of text unless an alias repeats it).
pub const DOCUMENT_MIN_EVENTS: usize = 4_000_000;

/// Cost budget of one CEL rule on one object, in the API server's cost
/// units (one per operation; string and list traversals one per ten
/// elements). `kubescribe-validate` bounds each rule's cost from its syntax
/// tree and the object's actual sizes before evaluating any rule, and
/// refuses a rule over the budget. The API server's per-call limit is the
/// same 1,000,000 (`PerCallLimit` in `k8s.io/apiserver/pkg/apis/cel/config.go`).
pub const CEL_MAX_COST: u64 = 1_000_000;

/// Largest CRD or OpenAPI document (`validate --crd`): upstream CRD bundles
/// run to several MiB.
pub const CRD_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Deepest nesting in a CRD document. Upstream CRDs nest at most ~30
/// levels; reading nests a few stack frames per level, so deeper input
/// would overflow the stack (512 levels did, in a debug build).
pub const CRD_MAX_DEPTH: usize = 128;

/// Longest CEL rule (or `messageExpression`) of a CRD, in characters. The
/// CEL parser and evaluator recurse once per nesting level and operator, so
/// this bounds their depth; `kubescribe-validate` also runs them on a thread
/// with [`CEL_STACK_BYTES`] of stack. Upstream CRDs' rules stay under 200.
pub const CEL_RULE_MAX_CHARS: usize = 4_096;

/// Stack of the thread that compiles and evaluates CEL rules (reserved
/// address space; only what the recursion touches is used).
pub const CEL_STACK_BYTES: usize = 256 * 1024 * 1024;

/// An input refused because it exceeds one of the limits above.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{what} exceeds the limit of {max} {unit} ({limit}; {raise})")]
pub struct LimitExceeded {
    /// What was measured, e.g. "a selector of 2,000 characters".
    pub what: String,
    /// The limit's name, e.g. `SELECTOR_MAX_CHARS`.
    pub limit: &'static str,
    /// Its value.
    pub max: u64,
    /// Its unit ("characters", "levels", "bytes", "steps").
    pub unit: &'static str,
    /// What raises it: a flag, or why it is fixed.
    pub raise: &'static str,
}

impl LimitExceeded {
    /// A refusal of `what` by `limit`.
    pub fn new(
        what: impl Into<String>,
        limit: &'static str,
        max: u64,
        unit: &'static str,
        raise: &'static str,
    ) -> Self {
        LimitExceeded {
            what: what.into(),
            limit,
            max,
            unit,
            raise,
        }
    }
}

/// Stack of the thread that parses a YAML input: the reader nests several
/// frames per level, and 128 levels overflow a 2 MiB thread stack in a
/// debug build (reserved address space; only what is used is touched).
pub const PARSE_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Runs `f` with at least `stack_bytes` of stack, so recursion bounded by a
/// limit above never depends on the caller's stack (a test thread has
/// 2 MiB, a Python thread may have less): inline when that much is left,
/// else on a stack segment of that size switched to on this thread
/// (`stacker`; reserved address space, only what is used is touched). No
/// thread is started per call: a new thread cost each parsed file tens of
/// microseconds and fresh allocator pages. A panic in `f` resumes in the
/// caller.
pub fn with_stack<T: Send>(stack_bytes: usize, f: impl FnOnce() -> T + Send) -> T {
    if stacker::remaining_stack().is_some_and(|left| left >= stack_bytes) {
        return f();
    }
    stacker::grow(stack_bytes, f)
}

/// The nodes and parser events allowed for an input of `max_bytes`.
pub fn document_max_events(max_bytes: usize) -> usize {
    max_bytes.max(DOCUMENT_MIN_EVENTS)
}

/// `text` shortened for an error message: at most `max` characters, with
/// the count of those left out.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut chars = text.char_indices();
    match chars.nth(max) {
        None => text.to_string(),
        Some((cut, _)) => {
            let rest = text[cut..].chars().count();
            format!("{}… ({rest} more characters)", &text[..cut])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_limit_and_what_raises_it() {
        let e = LimitExceeded::new(
            "a selector of 2000 characters",
            "SELECTOR_MAX_CHARS",
            SELECTOR_MAX_CHARS as u64,
            "characters",
            "fixed: Calico's CRDs allow no longer selector",
        );
        assert_eq!(
            e.to_string(),
            "a selector of 2000 characters exceeds the limit of 1024 characters \
             (SELECTOR_MAX_CHARS; fixed: Calico's CRDs allow no longer selector)"
        );
        assert_eq!(excerpt("abcdef", 3), "abc… (3 more characters)");
        assert_eq!(excerpt("abc", 3), "abc");
        assert_eq!(document_max_events(1), DOCUMENT_MIN_EVENTS);
        assert_eq!(document_max_events(64 << 20), 64 << 20);
    }
}
