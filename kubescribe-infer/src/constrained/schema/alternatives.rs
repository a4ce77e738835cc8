//! `anyOf` / `oneOf` alternatives of a schema object, shaped for
//! generation: the one the intent's skeleton picks, alternatives opened to
//! their parent's properties, and an "at least one of" dropped where the
//! skeleton's required names make it hold.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// Largest parent (its properties as JSON) whose alternatives are opened
/// ([`open_alternatives`]); a larger one copied into every alternative
/// makes a grammar llguidance refuses as too large.
pub(super) const OPEN_ALTERNATIVES_BYTES: usize = 8192;

/// The names a schema object's `required` lists.
pub(super) fn required_names(a: &Value) -> BTreeSet<String> {
    names(a.get("required"))
}

/// The strings of a `required` list (none when absent).
pub(super) fn names(required: Option<&Value>) -> BTreeSet<String> {
    required
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The required names of the one alternative the skeleton's `wanted`
/// properties select (all its required names wanted, no other
/// alternative's), if exactly one does.
pub(super) fn chosen_alternative(
    alts: &[Value],
    wanted: &BTreeSet<String>,
) -> Option<BTreeSet<String>> {
    let reqs: Vec<BTreeSet<String>> = alts.iter().map(required_names).collect();
    let fits: Vec<&BTreeSet<String>> = reqs
        .iter()
        .filter(|r| !r.is_empty() && r.is_subset(wanted))
        .collect();
    match fits.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

/// Whether `alts` (unshaped) only name properties that must be present
/// and `wanted` (the names the skeleton requires) includes those of one of
/// them: an `anyOf` of them then holds whatever else is written.
pub(super) fn required_only_alternative_holds(alts: &[Value], wanted: &BTreeSet<String>) -> bool {
    // `{required: [x]}`, or with `properties: {x: {}}` (no constraint).
    let required_only = alts.iter().all(|a| {
        a.as_object().is_some_and(|o| {
            o.iter().all(|(k, v)| {
                k == "required"
                    || (k == "properties"
                        && v.as_object().is_some_and(|p| {
                            p.values().all(|s| s.as_object().is_some_and(Map::is_empty))
                        }))
            })
        })
    });
    required_only
        && alts.iter().any(|a| {
            let names = required_names(a);
            !names.is_empty() && names.is_subset(wanted)
        })
}

/// `out` narrowed to the chosen alternative: its names required, the
/// names only other alternatives require left out.
pub(super) fn choose(out: &mut Map<String, Value>, alts: &[Value], names: &BTreeSet<String>) {
    let others: BTreeSet<String> = alts
        .iter()
        .flat_map(required_names)
        .filter(|n| !names.contains(n))
        .collect();
    if let Some(Value::Object(props)) = out.get_mut("properties") {
        props.retain(|k, _| !others.contains(k));
    }
    require(out, names);
}

/// `names` added to `out`'s `required` list (each once, after those there).
pub(super) fn require<'n>(
    out: &mut Map<String, Value>,
    names: impl IntoIterator<Item = &'n String>,
) {
    let mut req: Vec<Value> = out
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for n in names {
        if !req.iter().any(|r| r == n.as_str()) {
            req.push(json!(n));
        }
    }
    out.insert("required".into(), Value::Array(req));
}

/// Alternatives that only say which property must be present (`oneOf:
/// [{required: [endpointSelector]}, {required: [nodeSelector]}]`) are
/// closed objects once shaped, which would forbid every other property of
/// their parent (a Cilium spec could then hold its selector and nothing
/// else). Each such alternative gets the parent's properties, less the
/// ones the other alternatives require, so the alternatives stay disjoint
/// (one of them, as `oneOf` means) and the parent's rules can be written.
pub(super) fn open_alternatives(alts: &mut [Value], parent: Option<&Value>) {
    let Some(parent) = parent.and_then(Value::as_object) else {
        return;
    };
    let requireds: Vec<BTreeSet<String>> = alts.iter().map(required_names).collect();
    for (i, alt) in alts.iter_mut().enumerate() {
        let Some(o) = alt.as_object_mut() else {
            continue;
        };
        if o.contains_key("type") || requireds[i].is_empty() {
            continue;
        }
        let others: BTreeSet<&String> = requireds
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .flat_map(|(_, r)| r.iter())
            .filter(|n| !requireds[i].contains(*n))
            .collect();
        let props: Map<String, Value> = parent
            .iter()
            .filter(|(k, _)| !others.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        o.insert("properties".into(), Value::Object(props));
        o.insert("additionalProperties".into(), Value::Bool(false));
    }
}
