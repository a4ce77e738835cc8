//! Tetragon: a `TracingPolicyNamespaced` (or cluster-wide `TracingPolicy`
//! for `scope.clusterWide`, or without a namespace) whose `podSelector`
//! selects the intent's labels (none for `allPods`: every pod of the
//! namespace).
//!
//! | intent | policy |
//! |---|---|
//! | file paths / dirs | kprobe `security_file_permission` (file, int); `matchArgs` Equal paths / Prefix dirs (recursive only); read-only → only `MAY_WRITE` (2) matches |
//! | process binaries and paths / dirs | kprobe `security_bprm_check` (linux_binprm); Equal / Prefix dirs (recursive only) |
//! | `all` (file, process) | Prefix `/` |
//! | sources | `matchBinaries` (`operator: In`) in every selector |
//! | syscalls | one kprobe per syscall (`sys_<name>`, `syscall: true`) |
//! | block / audit | `matchActions: Sigkill` / `matchActions: Post` (an event, nothing blocked) |
//!
//! Allow-lists, deny parts, owner-only, non-recursive directories, network
//! and capability intents are unsupported (use KubeArmor).

use serde_json::{Value, json};

use super::{SynthError, metadata, scope_labels};
use kubescribe_core::engine::Engine;
use kubescribe_core::intent::{Action, Domain, Intent};

const E: Engine = Engine::Tetragon;

fn selector(arg_filters: Vec<Value>, action: Action, sources: &[String]) -> Value {
    let mut s = json!({});
    if !arg_filters.is_empty() {
        s["matchArgs"] = json!(arg_filters);
    }
    if !sources.is_empty() {
        s["matchBinaries"] = json!([{"operator": "In", "values": sources}]);
    }
    match action {
        Action::Block => s["matchActions"] = json!([{"action": "Sigkill"}]),
        Action::Audit => s["matchActions"] = json!([{"action": "Post"}]),
        Action::Allow => {}
    }
    s
}

pub(super) fn build(intent: &Intent) -> Result<Value, SynthError> {
    if intent.action == Action::Allow {
        return Err(SynthError::Unsupported {
            engine: E,
            what: "allow-lists (it observes and kills matching calls; it cannot permit only some)"
                .into(),
            hint: Some(
                "use KubeArmor for allow-lists, or phrase the intent as what to block".into(),
            ),
        });
    }
    let labels = scope_labels(intent, E)?;
    let r = &intent.resources;
    let mut sources = r.sources.clone();
    super::dedup_stable(&mut sources);
    let root = vec!["/".to_string()];
    let dirs: &[String] = if r.all { &root } else { &r.dirs };
    let prefix_or_equal = |exact: &[String], prefixes: &[String], index: u32| -> Vec<Value> {
        let mut v = Vec::new();
        if !exact.is_empty() {
            v.push(json!({"index": index, "operator": "Equal", "values": exact}));
        }
        if !prefixes.is_empty() {
            v.push(json!({"index": index, "operator": "Prefix", "values": prefixes}));
        }
        v
    };
    let kprobes: Vec<Value> = match intent.domain {
        Domain::File => {
            // One selector per match operator: selectors OR, matchArgs entries AND.
            let mut selectors = Vec::new();
            for filter in prefix_or_equal(&r.paths, dirs, 0) {
                let mut args = vec![filter];
                if r.read_only {
                    args.push(json!({"index": 1, "operator": "Equal", "values": ["2"]}));
                }
                selectors.push(selector(args, intent.action, &sources));
            }
            vec![json!({
                "call": "security_file_permission",
                "syscall": false,
                "args": [{"index": 0, "type": "file"}, {"index": 1, "type": "int"}],
                "selectors": selectors,
            })]
        }
        Domain::Process => {
            let mut exact: Vec<String> = r.binaries.iter().chain(&r.paths).cloned().collect();
            super::dedup_stable(&mut exact);
            let selectors: Vec<Value> = prefix_or_equal(&exact, dirs, 0)
                .into_iter()
                .map(|f| selector(vec![f], intent.action, &sources))
                .collect();
            vec![json!({
                "call": "security_bprm_check",
                "syscall": false,
                "args": [{"index": 0, "type": "linux_binprm"}],
                "selectors": selectors,
            })]
        }
        Domain::Syscall => {
            let mut names = r.syscalls.clone();
            super::dedup_stable(&mut names);
            names
                .iter()
                .map(|s| {
                    json!({
                        "call": format!("sys_{}", s.trim_start_matches("sys_")),
                        "syscall": true,
                    })
                })
                .map(|mut k: Value| {
                    k["selectors"] = json!([selector(Vec::new(), intent.action, &sources)]);
                    k
                })
                .collect()
        }
        Domain::Network | Domain::Capability => unreachable!("filtered by Domain::engines"),
    };
    let namespaced = intent.scope.namespace.is_some() && !intent.scope.cluster_wide;
    let mut spec = json!({"kprobes": kprobes});
    if !labels.is_empty() {
        spec["podSelector"] = json!({"matchLabels": labels});
    }
    Ok(json!({
        "apiVersion": "cilium.io/v1alpha1",
        "kind": if namespaced { "TracingPolicyNamespaced" } else { "TracingPolicy" },
        "metadata": metadata(intent, E, namespaced),
        "spec": spec,
    }))
}
