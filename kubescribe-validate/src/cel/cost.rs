//! A cost bound for CEL rules, computed before evaluating them.
//!
//! The CEL interpreter (`cel` under `kube-cel`) has no step limit, so a rule
//! such as `self.l.all(x, self.l.all(y, self.l.all(z, …)))` over a list of
//! a thousand items would run for minutes. Before any rule of an object is
//! evaluated, each rule's cost on the value it will see is bounded from the
//! rule's syntax tree and the value's actual sizes, in the API server's units
//! (`k8s.io/apiserver/pkg/cel`: one unit per operation, string and list
//! traversals at one unit per ten elements):
//!
//! * a literal, identifier, field selection or O(1) operator costs 1;
//! * any other function (string search, regex, equality, concatenation,
//!   membership, …) costs 1 + ⌈F / 10⌉, F being the longest string or
//!   collection in the value;
//! * a comprehension (`all`, `exists`, `map`, `filter`, …) runs its loop once
//!   per element of the largest collection in the value.
//!
//! A rule whose bound exceeds [`CEL_MAX_COST`] is not evaluated.

use kube_cel::CompiledSchema;
use kube_cel::cel::common::ast::{EntryExpr, Expr};
use serde_json::Value;

use kubescribe_core::limits::CEL_MAX_COST;

/// A rule refused for its cost on one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverBudget {
    /// JSON pointer of the value the rule applies to.
    pub pointer: String,
    /// The rule's text.
    pub rule: String,
    /// Its cost bound on that value.
    pub estimate: u64,
}

/// Sizes of a value that bound the work a rule can do on it.
#[derive(Debug, Clone, Copy, Default)]
struct Sizes {
    /// Most elements of one list or map.
    widest: u64,
    /// Longest string, in bytes.
    longest: u64,
}

fn sizes(v: &Value) -> Sizes {
    match v {
        Value::String(s) => Sizes {
            widest: 0,
            longest: s.len() as u64,
        },
        Value::Array(a) => a.iter().map(sizes).fold(
            Sizes {
                widest: a.len() as u64,
                longest: 0,
            },
            join,
        ),
        Value::Object(m) => m.iter().fold(
            Sizes {
                widest: m.len() as u64,
                longest: 0,
            },
            |acc, (k, v)| {
                join(
                    join(
                        acc,
                        Sizes {
                            widest: 0,
                            longest: k.len() as u64,
                        },
                    ),
                    sizes(v),
                )
            },
        ),
        _ => Sizes::default(),
    }
}

fn join(a: Sizes, b: Sizes) -> Sizes {
    Sizes {
        widest: a.widest.max(b.widest),
        longest: a.longest.max(b.longest),
    }
}

/// Functions whose cost does not grow with their arguments.
fn constant_time(name: &str) -> bool {
    matches!(
        name,
        "_&&_"
            | "_||_"
            | "!_"
            | "_?_:_"
            | "-_"
            | "_-_"
            | "_*_"
            | "_/_"
            | "_%_"
            | "_<_"
            | "_<=_"
            | "_>_"
            | "_>=_"
            | "_[_]"
            | "size"
            | "int"
            | "uint"
            | "double"
            | "bool"
            | "type"
            | "dyn"
            | "has"
            | "@not_strictly_false"
            | "not_strictly_false"
    )
}

/// The cost bound of `e` on a value of sizes `s`, saturating.
fn cost(e: &Expr, s: Sizes) -> u64 {
    match e {
        Expr::Unspecified | Expr::Literal(_) | Expr::Ident(_) => 1,
        Expr::Select(sel) => 1u64.saturating_add(cost(&sel.operand.expr, s)),
        Expr::Call(call) => {
            let own = if constant_time(&call.func_name) {
                1
            } else {
                1 + s.widest.max(s.longest).div_ceil(10)
            };
            let target = call.target.as_ref().map_or(0, |t| cost(&t.expr, s));
            call.args.iter().fold(own.saturating_add(target), |acc, a| {
                acc.saturating_add(cost(&a.expr, s))
            })
        }
        Expr::List(l) => l
            .elements
            .iter()
            .fold(1u64, |acc, x| acc.saturating_add(cost(&x.expr, s))),
        Expr::Map(m) => entries(&m.entries, s),
        Expr::Struct(st) => entries(&st.entries, s),
        Expr::Comprehension(c) => {
            let per_iteration =
                cost(&c.loop_cond.expr, s).saturating_add(cost(&c.loop_step.expr, s));
            cost(&c.iter_range.expr, s)
                .saturating_add(cost(&c.accu_init.expr, s))
                .saturating_add(s.widest.max(1).saturating_mul(per_iteration))
                .saturating_add(cost(&c.result.expr, s))
        }
    }
}

fn entries(entries: &[kube_cel::cel::common::ast::IdedEntryExpr], s: Sizes) -> u64 {
    entries.iter().fold(1u64, |acc, e| {
        let c = match &e.expr {
            EntryExpr::StructField(f) => cost(&f.value.expr, s),
            EntryExpr::MapEntry(m) => cost(&m.key.expr, s).saturating_add(cost(&m.value.expr, s)),
        };
        acc.saturating_add(c)
    })
}

/// The rules of `compiled` whose cost bound on the part of `value` they
/// apply to exceeds [`CEL_MAX_COST`], each rule once (at the first value
/// where it does), walking schema and value as `kube-cel` does.
pub fn over_budget(compiled: &CompiledSchema, value: &Value) -> Vec<OverBudget> {
    let mut out = Vec::new();
    walk(compiled, value, String::new(), &mut out, 0);
    out
}

/// `kube-cel`'s own schema depth limit is far above any real CRD; the
/// value's nesting is bounded by the document reader.
const MAX_WALK_DEPTH: usize = 256;

fn walk(c: &CompiledSchema, v: &Value, pointer: String, out: &mut Vec<OverBudget>, depth: usize) {
    if depth > MAX_WALK_DEPTH {
        return;
    }
    if !c.validations.is_empty() {
        let s = sizes(v);
        for cr in c.validations.iter().flatten() {
            if out.iter().any(|o| o.rule == cr.rule.rule) {
                continue;
            }
            let mut estimate = cost(&cr.program.expression().expr, s);
            if let Some(m) = &cr.message_program {
                estimate = estimate.saturating_add(cost(&m.expression().expr, s));
            }
            if estimate > CEL_MAX_COST {
                out.push(OverBudget {
                    pointer: pointer.clone(),
                    rule: cr.rule.rule.clone(),
                    estimate,
                });
            }
        }
    }
    let child = |k: &str| {
        format!(
            "{pointer}/{}",
            kubescribe_core::document::escape_pointer_token(k)
        )
    };
    if let Some(obj) = v.as_object() {
        for (k, sub) in &c.properties {
            if let Some(x) = obj.get(k) {
                walk(sub, x, child(k), out, depth + 1);
            }
        }
        if !c.preserve_unknown_fields
            && let Some(sub) = &c.additional_properties
        {
            for (k, x) in obj {
                if !c.properties.contains_key(k) {
                    walk(sub, x, child(k), out, depth + 1);
                }
            }
        }
    }
    if let (Some(sub), Some(arr)) = (&c.items, v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            walk(sub, x, format!("{pointer}/{i}"), out, depth + 1);
        }
    }
    for branch in c.all_of.iter().chain(&c.one_of).chain(&c.any_of) {
        walk(branch, v, pointer.clone(), out, depth + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bound(rule: &str, value: &Value) -> u64 {
        let p = kube_cel::cel::Program::compile(rule).unwrap();
        cost(&p.expression().expr, sizes(value))
    }

    #[test]
    fn nested_comprehensions_multiply_by_the_actual_sizes() {
        let list: Vec<u32> = (0..1_000).collect();
        let v = json!({ "l": list });
        let one = bound("self.l.all(x, x >= 0)", &v);
        let two = bound("self.l.all(x, self.l.all(y, x + y >= 0))", &v);
        let three = bound(
            "self.l.all(x, self.l.all(y, self.l.all(z, x + y + z >= 0)))",
            &v,
        );
        assert!(one < 20_000, "{one}");
        // Quadratic over a thousand items is over the budget already, as
        // in the API server (a million iterations of a few units each).
        assert!(two > CEL_MAX_COST, "{two}");
        assert!(three > CEL_MAX_COST * 100, "{three}");
        // The same rule on a small list is cheap.
        let small = json!({"l": [1, 2, 3]});
        assert!(
            bound(
                "self.l.all(x, self.l.all(y, self.l.all(z, x + y + z >= 0)))",
                &small
            ) < 1_000
        );
    }
}
