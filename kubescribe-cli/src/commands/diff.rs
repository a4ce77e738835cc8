//! `kubescribe diff`: each object's server-side dry run against the live
//! object, as a unified diff (kubectl diff).

use std::io::Write;

use anyhow::Result;
use kubescribe_core::document;
use kubescribe_kube::{ApplyOptions, ApplyResult};
use serde_json::Value;

use crate::args::DiffArgs;
use crate::input;
use crate::output::Exit;

/// Fields the server maintains: left out of both sides.
fn comparable(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.remove("status");
    }
    if let Some(Value::Object(m)) = v.pointer_mut("/metadata") {
        for k in [
            "managedFields",
            "resourceVersion",
            "generation",
            "uid",
            "creationTimestamp",
            "selfLink",
        ] {
            m.remove(k);
        }
        if let Some(Value::Object(a)) = m.get_mut("annotations") {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
            if a.is_empty() {
                m.remove("annotations");
            }
        }
    }
    v
}

/// Prints every object's diff; exit 0 without differences, 1 with some, 2
/// when an object could not be dry-run (the cause on standard error).
pub fn run(args: DiffArgs) -> Result<Exit> {
    let sets = input::read_object_files(&args.input, args.namespace.as_deref())?;
    let cluster = args.cluster_args.connect()?;
    let opts = ApplyOptions {
        dry_run: true,
        force: args.force_conflicts,
        field_manager: args.field_manager.clone(),
        namespace: args.namespace.clone(),
        ..Default::default()
    };
    let mut out = std::io::stdout().lock();
    let (mut changed, mut failed) = (false, false);
    for set in &sets {
        for doc in &set.documents {
            match cluster.apply(&doc.value, &opts) {
                Ok(ApplyResult::Applied(r)) => {
                    let object = format!(
                        "{}/{}{}",
                        r.kind.to_lowercase(),
                        r.namespace
                            .as_deref()
                            .map(|n| format!("{n}/"))
                            .unwrap_or_default(),
                        r.name
                    );
                    let live = match &r.before {
                        Some(b) => document::to_yaml(&comparable(b))?,
                        None => String::new(),
                    };
                    let merged = document::to_yaml(&comparable(&r.after))?;
                    let d = unified(
                        &live,
                        &merged,
                        &format!("live/{object}"),
                        &format!("merged/{object}"),
                    );
                    if !d.is_empty() {
                        changed = true;
                        write!(out, "{d}")?;
                    }
                }
                Ok(ApplyResult::Rejected {
                    code,
                    reason,
                    message,
                    ..
                }) => {
                    failed = true;
                    eprintln!(
                        "kubescribe: error: {}: the API server refused the dry run ({code} {reason}): {}",
                        set.source,
                        kubescribe_core::quote::escape_control(&message)
                    );
                }
                Err(e) => {
                    failed = true;
                    eprintln!(
                        "kubescribe: error: {}: {}",
                        set.source,
                        kubescribe_core::quote::escape_control(&e.to_string())
                    );
                }
            }
        }
    }
    Ok(Exit::of(failed, changed))
}

/// A unified diff (3 lines of context) of `a` and `b`, empty when equal.
pub fn unified(a: &str, b: &str, a_name: &str, b_name: &str) -> String {
    let x: Vec<&str> = a.lines().collect();
    let y: Vec<&str> = b.lines().collect();
    if x == y {
        return String::new();
    }
    // Edit script from the longest common subsequence (objects are small;
    // past 4000 lines a side, everything is one replacement).
    #[derive(Clone, Copy, PartialEq)]
    enum Op {
        Keep,
        Del,
        Add,
    }
    let mut ops: Vec<(Op, usize, usize)> = Vec::new();
    if x.len() <= 4000 && y.len() <= 4000 {
        let (n, m) = (x.len(), y.len());
        let mut l = vec![0u32; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                l[i * (m + 1) + j] = if x[i] == y[j] {
                    l[(i + 1) * (m + 1) + j + 1] + 1
                } else {
                    l[(i + 1) * (m + 1) + j].max(l[i * (m + 1) + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && x[i] == y[j] {
                ops.push((Op::Keep, i, j));
                i += 1;
                j += 1;
            } else if j < m && (i == n || l[i * (m + 1) + j + 1] > l[(i + 1) * (m + 1) + j]) {
                ops.push((Op::Add, i, j));
                j += 1;
            } else {
                ops.push((Op::Del, i, j));
                i += 1;
            }
        }
    } else {
        ops.extend((0..x.len()).map(|i| (Op::Del, i, 0)));
        ops.extend((0..y.len()).map(|j| (Op::Add, x.len(), j)));
    }
    // Hunks: changes with up to 3 lines of context around them.
    let changes: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != Op::Keep).collect();
    let mut out = format!("--- {a_name}\n+++ {b_name}\n");
    let mut k = 0;
    while k < changes.len() {
        let start = changes[k].saturating_sub(3);
        let mut end = changes[k];
        while k < changes.len() && changes[k] <= end + 7 {
            end = changes[k];
            k += 1;
        }
        let end = (end + 4).min(ops.len());
        let hunk = &ops[start..end];
        let a_start = hunk.first().map_or(0, |o| o.1);
        let b_start = hunk.first().map_or(0, |o| o.2);
        let a_len = hunk.iter().filter(|o| o.0 != Op::Add).count();
        let b_len = hunk.iter().filter(|o| o.0 != Op::Del).count();
        let pos = |s: usize, len: usize| if len == 0 { s } else { s + 1 };
        out.push_str(&format!(
            "@@ -{},{a_len} +{},{b_len} @@\n",
            pos(a_start, a_len),
            pos(b_start, b_len)
        ));
        for &(op, i, j) in hunk {
            match op {
                Op::Keep => out.push_str(&format!(" {}\n", x[i])),
                Op::Del => out.push_str(&format!("-{}\n", x[i])),
                Op::Add => out.push_str(&format!("+{}\n", y[j])),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn unified_diff_of_changed_lines() {
        let a = "a\nb\nc\nd\n";
        let b = "a\nb\nC\nd\ne\n";
        assert_eq!(
            unified(a, b, "live/x", "merged/x"),
            "--- live/x\n+++ merged/x\n@@ -1,4 +1,5 @@\n a\n b\n-c\n+C\n d\n+e\n"
        );
        assert_eq!(unified(a, a, "l", "m"), "");
        assert_eq!(
            unified("", "x\n", "l", "m"),
            "--- l\n+++ m\n@@ -0,0 +1,1 @@\n+x\n"
        );
    }
}
