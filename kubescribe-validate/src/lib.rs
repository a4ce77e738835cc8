//! # kubescribe-validate
//!
//! Validation of policy documents, reported as structured [`Diagnostic`]s
//! (layer, JSON pointer, message, expected/actual, suggested fix).
//!
//! Layer 1 ([`Validator`]) checks a document against
//! * the built-in schema of its kind, generated from kubescribe's typed models
//!   (which carry the upstream CRD's constraints), and/or
//! * a CRD (or OpenAPI document) the user supplies ([`crd`]),
//!
//! both with the API server's semantics: nulls pruned, strict field
//! validation (unknown fields rejected), int-or-string, the server's
//! own object rules ([`apiserver`]), the port values each engine refuses
//! although its CRD lets them through ([`ports`]) and a CRD's CEL rules
//! ([`cel`]). A
//! document valid under the built-in schema is also decoded into its typed
//! model.
//!
//! Layer 2 checks the resources a policy names against the event store
//! ([`resources`]) or a live cluster ([`cluster`]), layer 3 the ports it
//! names against the pods that serve them ([`cluster`]). Layer 4
//! ([`permissive`], on with [`Validator::permissive`]) warns about valid
//! but over-permissive rules from the document alone.
//!
//! It holds the checks only: the event store and the `ClusterContext` trait
//! come from `kubescribe-events`, the live cluster's HTTP client is
//! `kubescribe-kube`, and nothing here writes or repairs a policy.
//!
//! ```
//! let outcome = kubescribe_validate::Validator::new().validate_value(&serde_json::json!({
//!     "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
//!     "metadata": {"name": "Bad_Name", "namespace": "shop"},
//!     "spec": {"podSelector": {}}}));
//! assert!(!outcome.is_valid());
//! assert_eq!(outcome.diagnostics[0].pointer, "/metadata/name");
//! ```

pub mod apiserver;
pub mod cel;
pub mod cluster;
pub mod crd;
pub mod diagnostic;
pub mod error;
pub mod permissive;
pub mod ports;
pub mod resources;
pub mod schema_check;
pub mod suggest;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use jsonschema::Draft;
use serde::Serialize;
use serde_json::Value;

use kubescribe_core::document::{self, DocumentSet, ReadLimits};
use kubescribe_core::{CoreError, Policy, PolicyKind};

/// Stack of a thread of [`Validator::validate_files`]: the YAML reader's
/// ([`kubescribe_core::limits::PARSE_STACK_BYTES`], so it runs in place)
/// and room for the frames below it. Reserved address space; only what is
/// used is touched, once per thread.
const WORKER_STACK_BYTES: usize = kubescribe_core::limits::PARSE_STACK_BYTES + 8 * 1024 * 1024;

pub use diagnostic::{Diagnostic, Fix, Layer, Severity};
pub use error::ValidateError;
pub use schema_check::CompiledSchema;

/// One kind's compiled built-in schema (or why it failed to compile).
type CachedSchema = OnceLock<Result<Arc<CompiledSchema>, String>>;

/// Built-in validators, compiled once per process and shared.
fn builtin(kind: PolicyKind) -> Result<Arc<CompiledSchema>, ValidateError> {
    static CACHE: OnceLock<Vec<CachedSchema>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| PolicyKind::ALL.iter().map(|_| OnceLock::new()).collect());
    let idx = PolicyKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    cache[idx]
        .get_or_init(|| {
            let schema = kubescribe_core::policy::schema::builtin_schema(kind);
            CompiledSchema::compile(schema, Draft::Draft202012, "builtin")
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|message| ValidateError::Schema {
            origin: "builtin".into(),
            message,
        })
}

/// The result of validating one document.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentReport {
    /// File (or label) the document came from.
    pub source: String,
    /// 0-based index of the document in its source.
    pub index: usize,
    /// 1-based line where the document starts, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// `apiVersion`, when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// `kind`, when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `metadata.name`, when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// No error-severity diagnostics.
    pub valid: bool,
    /// Everything found, errors first.
    pub diagnostics: Vec<Diagnostic>,
}

/// The outcome of validating one value.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The kind, when it is a modelled one.
    pub kind: Option<PolicyKind>,
    /// Findings.
    pub diagnostics: Vec<Diagnostic>,
    /// The typed policy, when the document is valid under the built-in schema.
    pub policy: Option<Policy>,
}

impl Outcome {
    /// No error-severity diagnostics.
    pub fn is_valid(&self) -> bool {
        !self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Layer-1 validator: built-in schemas plus any user-supplied CRDs.
#[derive(Debug, Clone)]
pub struct Validator {
    use_builtin: bool,
    crds: HashMap<(String, String), Arc<CompiledSchema>>,
    cel: HashMap<(String, String), Arc<cel::CelRules>>,
    permissive: bool,
}

impl Default for Validator {
    fn default() -> Self {
        Self::new()
    }
}

impl Validator {
    /// A validator using the built-in schemas.
    pub fn new() -> Self {
        Validator {
            use_builtin: true,
            crds: HashMap::new(),
            cel: HashMap::new(),
            permissive: false,
        }
    }

    /// Whether to add layer 4, the over-permissive warnings of
    /// [`permissive::check`] (default false: the library's callers choose;
    /// `kubescribe validate` and `generate` turn it on).
    pub fn permissive(mut self, yes: bool) -> Self {
        self.permissive = yes;
        self
    }

    /// Whether to apply the built-in schemas (default true). Turning them off
    /// validates against user-supplied CRDs only.
    pub fn use_builtin(mut self, yes: bool) -> Self {
        self.use_builtin = yes;
        self
    }

    /// Adds the schemas of a CRD / OpenAPI file; returns the `apiVersion/kind`s added.
    pub fn add_crd_file(&mut self, path: &Path) -> Result<Vec<String>, ValidateError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ValidateError::Crd {
            origin: origin.clone(),
            message: e.to_string(),
        })?;
        self.add_crd_str(&origin, &text)
    }

    /// Adds the schemas of a CRD / OpenAPI document given as text.
    pub fn add_crd_str(&mut self, origin: &str, text: &str) -> Result<Vec<String>, ValidateError> {
        let mut added = Vec::new();
        for s in crd::load(origin, text)? {
            let compiled = CompiledSchema::compile(s.schema, Draft::Draft4, origin)?;
            added.push(format!("{}/{}", s.api_version, s.kind));
            let key = (s.api_version, s.kind);
            match s
                .raw
                .as_ref()
                .and_then(|raw| cel::CelRules::compile(raw, &key.0, &key.1, origin))
            {
                Some(rules) => self.cel.insert(key.clone(), Arc::new(rules)),
                None => self.cel.remove(&key),
            };
            self.crds.insert(key, Arc::new(compiled));
        }
        Ok(added)
    }

    /// Adds the schemas of a CRD given as a JSON value (e.g. read from a
    /// cluster); `origin` names it in diagnostics.
    pub fn add_crd_value(
        &mut self,
        origin: &str,
        crd: &Value,
    ) -> Result<Vec<String>, ValidateError> {
        self.add_crd_str(origin, &crd.to_string())
    }

    /// Whether a CRD (user-supplied or from a cluster) covers `api_version` `kind`.
    pub fn has_crd(&self, api_version: &str, kind: &str) -> bool {
        self.crds
            .contains_key(&(api_version.to_string(), kind.to_string()))
    }

    /// Validates one document value (layer 1).
    pub fn validate_value(&self, value: &Value) -> Outcome {
        let mut value = value.clone();
        document::prune_nulls(&mut value);
        let api_version = value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let kind_name = value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let key = (api_version, kind_name);
        let crd = self.crds.get(&key);
        let cel_rules = self.cel.get(&key);
        let kind = Policy::kind_of(&value).ok();
        let mut diagnostics = Vec::new();
        let mut policy = None;
        if kind.is_none() && crd.is_none() {
            let e = Policy::kind_of(&value)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            let pointer = if value.get("apiVersion").is_none() {
                "/apiVersion"
            } else {
                "/kind"
            };
            let mut d = Diagnostic::schema_error(pointer, "kind", e);
            d.layer = Layer::Parse;
            d.fix = suggest_kind(&value);
            return Outcome {
                kind,
                diagnostics: vec![d],
                policy,
            };
        }
        // Defaults first, as the API server applies them before validating.
        if let (Some(k), true) = (kind, self.use_builtin)
            && let Ok(schema) = builtin(k)
        {
            schema.apply_defaults(&mut value);
        }
        if let Some(crd) = crd {
            crd.apply_defaults(&mut value);
        }
        // And those no schema states (NetworkPolicy policyTypes and TCP,
        // Calico types): what the API server stores is what is checked.
        kubescribe_core::policy::defaults::apply(&mut value);
        if let (Some(k), true) = (kind, self.use_builtin) {
            match builtin(k) {
                Ok(schema) => {
                    let builtin_diags = schema.check(&value);
                    let clean = builtin_diags.is_empty();
                    diagnostics.extend(builtin_diags);
                    if clean {
                        match Policy::from_value_as(k, value.clone()) {
                            Ok(p) => policy = Some(p),
                            Err(e) => {
                                let mut d = Diagnostic::schema_error("", "model", e.to_string());
                                d.layer = Layer::Parse;
                                diagnostics.push(d);
                            }
                        }
                    }
                }
                Err(e) => diagnostics.push(Diagnostic::schema_error("", "schema", e.to_string())),
            }
        }
        if let Some(crd) = crd {
            for d in crd.check(&value) {
                if !diagnostics
                    .iter()
                    .any(|x| x.pointer == d.pointer && x.rule == d.rule)
                {
                    diagnostics.push(d);
                }
            }
        }
        // CEL rules run on a structurally valid object, as the API server's do.
        if let Some(rules) = cel_rules
            && !diagnostics.iter().any(Diagnostic::is_error)
        {
            diagnostics.extend(rules.check(&value));
        }
        diagnostics.extend(apiserver::check(kind, &value));
        diagnostics.extend(ports::check(kind, &value));
        if self.permissive {
            diagnostics.extend(permissive::check(&value));
        }
        diagnostics.sort_by_key(|d| (d.severity, d.layer));
        Outcome {
            kind,
            diagnostics,
            policy,
        }
    }

    /// Validates every document of a set, attaching source lines.
    pub fn validate_set(&self, set: &DocumentSet) -> Vec<DocumentReport> {
        self.validate_set_with(set, &mut |_| Vec::new())
    }

    /// Like [`Validator::validate_set`], adding the diagnostics of `more`
    /// (e.g. layer 2 against an event store) for every document whose policy
    /// passed layer 1.
    pub fn validate_set_with(
        &self,
        set: &DocumentSet,
        more: &mut dyn FnMut(&Policy) -> Vec<Diagnostic>,
    ) -> Vec<DocumentReport> {
        set.documents
            .iter()
            .map(|doc| {
                let mut outcome = self.validate_value(&doc.value);
                if outcome.is_valid()
                    && let Some(p) = &outcome.policy
                {
                    outcome.diagnostics.extend(more(p));
                    permissive::drop_repeated(&mut outcome.diagnostics);
                }
                let mut diagnostics = outcome
                    .diagnostics
                    .into_iter()
                    .map(|mut d| {
                        d.line = set.line_of(doc, &d.pointer);
                        d
                    })
                    .collect::<Vec<_>>();
                diagnostics.sort_by_key(|d| (d.severity, d.line, d.layer));
                let s = |k: &str| doc.value.get(k).and_then(Value::as_str).map(str::to_string);
                DocumentReport {
                    source: set.source.clone(),
                    index: doc.index,
                    line: set.line_of(doc, ""),
                    api_version: s("apiVersion"),
                    kind: s("kind"),
                    name: doc
                        .value
                        .pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    valid: !diagnostics.iter().any(Diagnostic::is_error),
                    diagnostics,
                }
            })
            .collect()
    }

    /// Reads (with `read`) and validates `files` on up to `jobs` threads
    /// (0: one per CPU), each file whole on one thread; the results come
    /// in the files' order and are what [`Validator::validate_set`] gives
    /// file by file. Malformed YAML/JSON is a report with a `parse`
    /// diagnostic ([`syntax_report`]); any other read error is the file's
    /// `Err`.
    ///
    /// The files are read on worker threads (one when `jobs` is 1) whose
    /// stack holds the YAML reader's ([`kubescribe_core::limits::PARSE_STACK_BYTES`]), so no
    /// file needs a stack segment of its own: mapping one per file and
    /// faulting its pages in again was a quarter of validating a small
    /// file. Where no thread can be started, the files are validated here.
    pub fn validate_files<F>(
        &self,
        files: &[std::path::PathBuf],
        jobs: usize,
        read: F,
    ) -> Vec<Result<ValidatedFile, CoreError>>
    where
        F: Fn(&Path) -> Result<DocumentSet, CoreError> + Sync,
    {
        let one = |file: &std::path::PathBuf| match read(file) {
            Ok(set) => Ok(ValidatedFile {
                empty: set.documents.is_empty(),
                reports: self.validate_set(&set),
                source: set.source,
            }),
            Err(CoreError::Syntax {
                source_name,
                line,
                column,
                message,
            }) => Ok(ValidatedFile {
                source: source_name.clone(),
                empty: false,
                reports: vec![syntax_report(source_name, line, column, message)],
            }),
            Err(e) => Err(e),
        };
        let jobs = match jobs {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        .min(files.len());
        if jobs == 0 {
            return Vec::new();
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work = || {
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(file) = files.get(i) else { break };
                mine.push((i, one(file)));
            }
            mine
        };
        let mut done: Vec<(usize, Result<ValidatedFile, CoreError>)> =
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..jobs)
                    .map_while(|_| {
                        std::thread::Builder::new()
                            .name("kubescribe-validate".into())
                            .stack_size(WORKER_STACK_BYTES)
                            .spawn_scoped(scope, work)
                            .ok()
                    })
                    .collect();
                let mut done: Vec<_> = workers
                    .into_iter()
                    .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect();
                // No thread could be started (or fewer than asked): what is
                // left is done here.
                done.extend(work());
                done
            });
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, r)| r).collect()
    }

    /// Reads and validates a file. A file that cannot be read (I/O, encoding,
    /// size) is an `Err`; malformed YAML is a report with a `parse` diagnostic.
    pub fn validate_file(
        &self,
        path: &Path,
        limits: &ReadLimits,
    ) -> Result<Vec<DocumentReport>, ValidateError> {
        match document::read_file(path, limits) {
            Ok(set) => Ok(self.validate_set(&set)),
            Err(CoreError::Syntax {
                source_name,
                line,
                column,
                message,
            }) => Ok(vec![syntax_report(source_name, line, column, message)]),
            Err(e) => Err(e.into()),
        }
    }
}

/// One file read and validated by [`Validator::validate_files`].
#[derive(Debug, Clone)]
pub struct ValidatedFile {
    /// The file's name as read.
    pub source: String,
    /// It was read and holds no document.
    pub empty: bool,
    /// One report per document (one `parse` report for malformed input).
    pub reports: Vec<DocumentReport>,
}

/// A report for input that is not well-formed YAML/JSON.
pub fn syntax_report(
    source: String,
    line: usize,
    column: usize,
    message: String,
) -> DocumentReport {
    let mut d = Diagnostic::schema_error(
        "",
        "yaml",
        format!("malformed YAML/JSON at column {column}: {message}"),
    );
    d.layer = Layer::Parse;
    d.line = (line > 0).then_some(line);
    DocumentReport {
        source,
        index: 0,
        line: d.line,
        api_version: None,
        kind: None,
        name: None,
        valid: false,
        diagnostics: vec![d],
    }
}

/// For an unknown kind, the modelled kind closest to what the document says.
fn suggest_kind(value: &Value) -> Option<Fix> {
    let kind = value.get("kind").and_then(Value::as_str)?;
    let names: Vec<&str> = PolicyKind::ALL.iter().map(|k| k.kind()).collect();
    let near = suggest::nearest(kind, names)?;
    let k = PolicyKind::ALL.iter().find(|k| k.kind() == near)?;
    Some(Fix {
        message: format!("did you mean `{}` `{}`?", k.api_version(), k.kind()),
        pointer: "/kind".into(),
        replacement: Some(Value::String(near.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ksp(spec: Value) -> Value {
        json!({"apiVersion": "security.kubearmor.com/v1", "kind": "KubeArmorPolicy",
               "metadata": {"name": "p", "namespace": "shop"}, "spec": spec})
    }

    #[test]
    fn valid_kubearmor_policy_decodes() {
        let o = Validator::new().validate_value(&ksp(json!({
            "selector": {"matchLabels": {"app": "nginx"}},
            "file": {"matchDirectories": [{"dir": "/var/www/", "recursive": true, "readOnly": true}]},
            "action": "Allow"})));
        assert!(o.is_valid(), "{:#?}", o.diagnostics);
        assert!(matches!(o.policy, Some(Policy::KubeArmorPolicy(_))));
    }

    #[test]
    fn diagnostics_point_at_the_field_and_suggest_fixes() {
        let o = Validator::new().validate_value(&ksp(json!({
            "selector": {"matchLabels": {"app": "nginx"}},
            "file": {"matchPaths": [{"path": "/etc/"}], "matchDirectory": []},
            "action": "audit", "severity": 11})));
        assert!(!o.is_valid());
        let by_ptr: HashMap<&str, &Diagnostic> = o
            .diagnostics
            .iter()
            .map(|d| (d.pointer.as_str(), d))
            .collect();
        let path = by_ptr["/spec/file/matchPaths/0/path"];
        assert_eq!(path.rule, "pattern");
        assert_eq!(path.fix.as_ref().unwrap().replacement, Some(json!("/etc")));
        let action = by_ptr["/spec/action"];
        assert_eq!(
            action.fix.as_ref().unwrap().replacement,
            Some(json!("Audit"))
        );
        let unknown = by_ptr["/spec/file/matchDirectory"];
        assert_eq!(unknown.rule, "additionalProperties");
        assert_eq!(
            unknown.fix.as_ref().unwrap().replacement,
            Some(json!("matchDirectories"))
        );
        assert_eq!(by_ptr["/spec/severity"].rule, "maximum");
        assert!(o.policy.is_none());
    }

    #[test]
    fn unknown_kind_is_a_parse_diagnostic_with_suggestion() {
        let o = Validator::new().validate_value(&json!({"apiVersion": "security.kubearmor.com/v1", "kind": "KubeArmorPolicyy", "metadata": {"name": "x"}}));
        assert_eq!(o.diagnostics[0].layer, Layer::Parse);
        assert_eq!(
            o.diagnostics[0].fix.as_ref().unwrap().replacement,
            Some(json!("KubeArmorPolicy"))
        );
    }

    #[test]
    fn user_crd_path_applies_strict_semantics() {
        let crd = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1}
              port: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
              free: {type: object, x-kubernetes-preserve-unknown-fields: true}
"#;
        let mut v = Validator::new();
        assert_eq!(
            v.add_crd_str("widget.yaml", crd).unwrap(),
            ["example.com/v1/Widget"]
        );
        let ok = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                        "spec": {"size": 2, "port": "http", "free": {"anything": 1}}});
        assert!(
            v.validate_value(&ok).is_valid(),
            "{:#?}",
            v.validate_value(&ok).diagnostics
        );
        let bad = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                         "spec": {"size": 0, "port": 1.5, "extra": true}});
        let o = v.validate_value(&bad);
        let rules: Vec<(&str, &str)> = o
            .diagnostics
            .iter()
            .map(|d| (d.pointer.as_str(), d.rule.as_str()))
            .collect();
        assert!(
            rules.contains(&("/spec/extra", "additionalProperties")),
            "{rules:?}"
        );
        assert!(rules.contains(&("/spec/size", "minimum")), "{rules:?}");
        assert!(
            o.diagnostics
                .iter()
                .all(|d| d.origin == "widget.yaml" || d.origin == "apiserver")
        );
    }
}
