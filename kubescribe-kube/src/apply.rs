//! Server-side apply and its dry run.
//!
//! Policies are applied with server-side apply under the field manager
//! [`FIELD_MANAGER`]. Transient failures (timeouts, connection errors, 429,
//! 5xx) and optimistic-concurrency conflicts are retried with exponential
//! backoff; a conflict with another field manager is not transient and is
//! reported at once (with `force`, kubescribe takes the fields over).
//!
//! A rejection by the server (422 Invalid, 400 BadRequest, field-manager
//! conflicts) is an [`ApplyResult::Rejected`] carrying layer-1 diagnostics
//! whose pointers are the server's field paths (`spec.a[0].b` →
//! `/spec/a/0/b`), so they line up with kubescribe's own.

use std::time::Duration;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde::Serialize;
use serde_json::Value;

use kubescribe_events::cluster::ClusterError;
use kubescribe_validate::cel::field_path_to_pointer;
use kubescribe_validate::{Diagnostic, Layer};

use crate::api::{KubeApi, map_err};

/// The field manager kubescribe applies as.
pub const FIELD_MANAGER: &str = "kubescribe";

/// How to apply.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Server-side dry run: validated and admitted, not stored.
    pub dry_run: bool,
    /// Take over fields another manager owns.
    pub force: bool,
    /// Attempts in all (≥ 1).
    pub attempts: u32,
    /// First backoff; doubled each retry, capped at 8× this.
    pub backoff: Duration,
    /// The field manager to apply as (`--field-manager`; default [`FIELD_MANAGER`]).
    pub field_manager: String,
    /// The namespace of namespaced objects that name none (`-n`; default:
    /// the context's). An object naming another namespace is refused, as
    /// kubectl refuses it.
    pub namespace: Option<String>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            dry_run: false,
            force: false,
            attempts: 5,
            backoff: Duration::from_millis(200),
            field_manager: FIELD_MANAGER.to_string(),
            namespace: None,
        }
    }
}

/// What applying did (or, in a dry run, would do) to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The object did not exist.
    Created,
    /// The object existed and changed.
    Configured,
    /// The object existed and nothing changed.
    Unchanged,
}

/// The report of one applied object.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// Namespace, for namespaced kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// What happened.
    pub action: Action,
    /// JSON pointers of the values that changed (for `configured`).
    pub changed: Vec<String>,
    /// Whether this was a server-side dry run.
    pub dry_run: bool,
    /// Attempts made (1 = no retry).
    pub attempts: u32,
    /// The live object before (none when it did not exist), as the server
    /// returned it (for `kubescribe diff`).
    #[serde(skip)]
    pub before: Option<Value>,
    /// The object after applying (in a dry run: as it would be stored).
    #[serde(skip)]
    pub after: Value,
}

/// What `kubescribe delete` did to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Deleted {
    /// The server deleted it (or, in a dry run, would).
    Deleted,
    /// There was no such object.
    NotFound,
}

/// The object an apply or delete addresses.
struct Target {
    api: Api<DynamicObject>,
    api_version: String,
    kind: String,
    namespace: Option<String>,
    name: String,
    /// The object with the namespace it goes to filled in.
    object: Value,
}

/// The outcome of applying one object.
#[derive(Debug, Clone)]
pub enum ApplyResult {
    /// Accepted by the server.
    Applied(ApplyReport),
    /// Refused by the server.
    Rejected {
        /// HTTP status.
        code: u16,
        /// Kubernetes reason.
        reason: String,
        /// The server's message.
        message: String,
        /// The server's causes as diagnostics.
        diagnostics: Vec<Diagnostic>,
    },
}

/// Whether a failure is worth retrying.
fn transient(e: &ClusterError) -> bool {
    match e {
        ClusterError::Timeout { .. } | ClusterError::Unreachable { .. } => true,
        ClusterError::Api { code, message, .. } => {
            matches!(code, 429 | 500 | 502 | 503 | 504)
                || (*code == 409 && !message.contains("Apply failed with"))
        }
        _ => false,
    }
}

/// A field path at the start of a server message: `.spec.a[0]: field not
/// declared in schema` or `spec.a: Invalid value: ...`.
fn leading_field_path(message: &str) -> Option<String> {
    for part in message.split(": ") {
        let p = part.trim().trim_start_matches('.');
        let first = p.split(['.', '[']).next().unwrap_or("");
        if matches!(
            first,
            "spec" | "metadata" | "status" | "apiVersion" | "kind"
        ) && !p.contains(' ')
        {
            return Some(field_path_to_pointer(p));
        }
    }
    None
}

/// Every pointer into `v` that `tokens` name when array indices may be left
/// out (older API servers report `spec.a.b` for `spec.a[0].b`).
fn expand(v: &Value, tokens: &[String], prefix: String, out: &mut Vec<(String, Value)>) {
    let Some((first, rest)) = tokens.split_first() else {
        out.push((prefix, v.clone()));
        return;
    };
    match v {
        Value::Array(items) => match first.parse::<usize>() {
            Ok(i) if i < items.len() => expand(&items[i], rest, format!("{prefix}/{i}"), out),
            _ => {
                for (i, item) in items.iter().enumerate() {
                    expand(item, tokens, format!("{prefix}/{i}"), out);
                }
            }
        },
        Value::Object(m) => {
            if let Some(child) = m.get(first) {
                let p = format!(
                    "{prefix}/{}",
                    kubescribe_core::document::escape_pointer_token(first)
                );
                expand(child, rest, p, out);
            }
        }
        _ => {}
    }
}

/// The value a server message quotes: `Invalid value: "x"` or `Invalid value: 3`.
fn quoted_value(message: &str) -> Option<Value> {
    let rest = message.split("Invalid value: ").nth(1)?;
    if let Some(stripped) = rest.strip_prefix('"') {
        let end = stripped.find('"')?;
        return Some(Value::from(&stripped[..end]));
    }
    let token = rest.split([':', ' ', ',']).next()?;
    serde_json::from_str(token).ok()
}

/// Places a server field path on the submitted object, adding the array
/// indices an older server leaves out: among the places it may mean, the one
/// holding the value the message quotes (or the only one).
fn place(object: &Value, pointer: &str, message: &str) -> String {
    if pointer.is_empty() || object.pointer(pointer).is_some() {
        return pointer.to_string();
    }
    let tokens: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut found = Vec::new();
    expand(object, &tokens, String::new(), &mut found);
    if found.is_empty() {
        // A missing (required) field: place its parent.
        if let Some((last, parent)) = tokens.split_last() {
            let mut parents = Vec::new();
            expand(object, parent, String::new(), &mut parents);
            for (p, v) in parents {
                match v {
                    // the field belongs to the array's items
                    Value::Array(items) => {
                        found.extend((0..items.len()).map(|i| (format!("{p}/{i}"), Value::Null)))
                    }
                    _ => found.push((p, Value::Null)),
                }
            }
            for f in &mut found {
                f.0 = format!(
                    "{}/{}",
                    f.0,
                    kubescribe_core::document::escape_pointer_token(last)
                );
                f.1 = Value::Null;
            }
        }
    }
    if let Some(q) = quoted_value(message) {
        let same: Vec<&(String, Value)> = found.iter().filter(|(_, v)| *v == q).collect();
        if let [one] = same.as_slice() {
            return one.0.clone();
        }
    }
    match found.as_slice() {
        [one] => one.0.clone(),
        _ => pointer.to_string(),
    }
}

/// Diagnostics from a rejecting `Status`, placed on `object` (see [`place`]).
pub fn status_diagnostics_for(status: &kube::core::Status, object: &Value) -> Vec<Diagnostic> {
    let mut out = status_diagnostics(status);
    for d in &mut out {
        d.pointer = place(object, &d.pointer, &d.message);
    }
    out
}

/// Diagnostics from a rejecting `Status`, at the field paths the server gives.
pub fn status_diagnostics(status: &kube::core::Status) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = status
        .details
        .iter()
        .flat_map(|d| d.causes.iter())
        .map(|c| {
            let mut d = Diagnostic::schema_error(
                field_path_to_pointer(&c.field),
                if c.reason.is_empty() {
                    "apiserver".to_string()
                } else {
                    c.reason.clone()
                },
                c.message.clone(),
            )
            .origin("apiserver (server-side dry run)");
            d.layer = Layer::Schema;
            d
        })
        .collect();
    if out.is_empty() {
        let mut d = Diagnostic::schema_error(
            leading_field_path(&status.message).unwrap_or_default(),
            if status.reason.is_empty() {
                "apiserver".to_string()
            } else {
                status.reason.clone()
            },
            status.message.clone(),
        )
        .origin("apiserver (server-side dry run)");
        d.layer = Layer::Schema;
        out.push(d);
    }
    out
}

/// Leaf pointers where `a` and `b` differ (values compared as JSON).
fn diff(prefix: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<String>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!(
                    "{prefix}/{}",
                    kubescribe_core::document::escape_pointer_token(k)
                );
                diff(&p, x.get(k), y.get(k), out);
            }
        }
        (a, b) if a != b => out.push(prefix.to_string()),
        _ => {}
    }
}

/// What a user changes: spec, labels, annotations (server bookkeeping left out).
fn user_view(v: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for (k, val) in v.as_object().into_iter().flatten() {
        if matches!(k.as_str(), "metadata" | "status" | "apiVersion" | "kind") {
            continue;
        }
        out.insert(k.clone(), val.clone());
    }
    let mut meta = serde_json::Map::new();
    for k in ["labels", "annotations"] {
        if let Some(x) = v.pointer(&format!("/metadata/{k}")) {
            let mut x = x.clone();
            if let Value::Object(m) = &mut x {
                m.remove("kubectl.kubernetes.io/last-applied-configuration");
            }
            meta.insert(k.into(), x);
        }
    }
    out.insert("metadata".into(), Value::Object(meta));
    Value::Object(out)
}

impl KubeApi {
    /// Where `object` goes: its resource (discovery), namespace (its own,
    /// else `namespace`, else the context's, for namespaced kinds) and name.
    async fn target(
        &self,
        object: &Value,
        namespace: Option<&str>,
    ) -> Result<Target, ClusterError> {
        let s = |p: &str| {
            object
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (api_version, kind, name) = (s("/apiVersion"), s("/kind"), s("/metadata/name"));
        if api_version.is_empty() || kind.is_empty() || name.is_empty() {
            return Err(ClusterError::Other(
                "an object needs apiVersion, kind and metadata.name to be sent to the cluster"
                    .into(),
            ));
        }
        let (ar, namespaced) = self.resource(&api_version, &kind).await?;
        let mut object = object.clone();
        let namespace = if namespaced {
            let own = object
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty());
            let ns = match (own, namespace) {
                (Some(own), Some(flag)) if own != flag => {
                    return Err(ClusterError::Other(format!(
                        "{kind} {name}: its namespace `{own}` does not match the namespace `{flag}` given with -n"
                    )));
                }
                (Some(own), _) => own.to_string(),
                (None, Some(flag)) => flag.to_string(),
                (None, None) => self.default_namespace().to_string(),
            };
            if let Some(Value::Object(m)) = object.pointer_mut("/metadata") {
                m.insert("namespace".into(), Value::from(ns.clone()));
            }
            Some(ns)
        } else {
            None
        };
        let api: Api<DynamicObject> = match &namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &ar),
            None => Api::all_with(self.client.clone(), &ar),
        };
        Ok(Target {
            api,
            api_version,
            kind,
            namespace,
            name,
            object,
        })
    }

    /// The live object `object` names (`None`: there is none), as JSON
    /// without `managedFields`.
    pub async fn live(
        &self,
        object: &Value,
        namespace: Option<&str>,
    ) -> Result<Option<Value>, ClusterError> {
        let t = self.target(object, namespace).await?;
        let got = self
            .bounded(
                &format!("get {} {}", t.kind, t.name),
                t.api.get_opt(&t.name),
            )
            .await?;
        Ok(got.and_then(|o| serde_json::to_value(o).ok()))
    }

    /// Deletes the object `object` names (with `dry_run`, a server-side
    /// dry run of it).
    pub async fn delete(
        &self,
        object: &Value,
        namespace: Option<&str>,
        dry_run: bool,
    ) -> Result<(String, Deleted), ClusterError> {
        let t = self.target(object, namespace).await?;
        let what = format!(
            "{}/{}{}",
            t.kind.to_lowercase(),
            t.namespace
                .as_deref()
                .map(|n| format!("{n}/"))
                .unwrap_or_default(),
            t.name
        );
        let params = kube::api::DeleteParams {
            dry_run,
            ..Default::default()
        };
        match self
            .bounded(&format!("delete {what}"), t.api.delete(&t.name, &params))
            .await
        {
            Ok(_) => Ok((what, Deleted::Deleted)),
            Err(ClusterError::Api { code: 404, .. }) => Ok((what, Deleted::NotFound)),
            Err(e) => Err(e),
        }
    }

    /// Applies one object (server-side apply as [`FIELD_MANAGER`]), or dry-runs it.
    pub async fn apply(
        &self,
        object: &Value,
        opts: &ApplyOptions,
    ) -> Result<ApplyResult, ClusterError> {
        let Target {
            api,
            api_version,
            kind,
            namespace,
            name,
            object,
        } = self.target(object, opts.namespace.as_deref()).await?;
        let mut params = PatchParams::apply(&opts.field_manager).validation_strict();
        if opts.dry_run {
            params = params.dry_run();
        }
        if opts.force {
            params = params.force();
        }
        let what = format!(
            "{} {kind} {}{name}",
            if opts.dry_run {
                "dry-run apply"
            } else {
                "apply"
            },
            namespace
                .as_deref()
                .map(|n| format!("{n}/"))
                .unwrap_or_default()
        );
        let attempts = opts.attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.apply_once(&api, &name, &object, &params, &what).await {
                Ok((before, after)) => {
                    let mut changed = Vec::new();
                    let action = match &before {
                        None => Action::Created,
                        Some(b) => {
                            diff(
                                "",
                                Some(&user_view(b)),
                                Some(&user_view(&after)),
                                &mut changed,
                            );
                            if changed.is_empty() {
                                Action::Unchanged
                            } else {
                                Action::Configured
                            }
                        }
                    };
                    return Ok(ApplyResult::Applied(ApplyReport {
                        api_version,
                        kind,
                        namespace,
                        name,
                        action,
                        changed,
                        dry_run: opts.dry_run,
                        attempts: attempt,
                        before,
                        after,
                    }));
                }
                Err(Attempt::Rejected(status)) => {
                    return Ok(ApplyResult::Rejected {
                        code: status.code,
                        reason: status.reason.clone(),
                        message: if status.code == 409 && !opts.force {
                            format!(
                                "{} (another field manager owns these fields; --force-conflicts takes them over)",
                                status.message
                            )
                        } else {
                            status.message.clone()
                        },
                        diagnostics: labelled(
                            status.code,
                            status_diagnostics_for(&status, &object),
                        ),
                    });
                }
                Err(Attempt::Failed(e)) => {
                    if attempt >= attempts || !transient(&e) {
                        return Err(e);
                    }
                    let factor = 1u32 << (attempt - 1).min(3);
                    tokio::time::sleep(opts.backoff * factor).await;
                }
            }
        }
    }

    async fn apply_once(
        &self,
        api: &Api<DynamicObject>,
        name: &str,
        object: &Value,
        params: &PatchParams,
        what: &str,
    ) -> Result<(Option<Value>, Value), Attempt> {
        let before = self
            .bounded(&format!("get {name}"), api.get_opt(name))
            .await
            .map_err(Attempt::Failed)?;
        let before = before
            .map(|o| serde_json::to_value(o).unwrap_or(Value::Null))
            .filter(|v| !v.is_null());
        let patch = Patch::Apply(object);
        let res = tokio::time::timeout(self.timeout, api.patch(name, params, &patch)).await;
        match res {
            Err(_) => Err(Attempt::Failed(ClusterError::Timeout {
                server: self.server.clone(),
                seconds: self.timeout.as_secs().max(1),
                what: what.to_string(),
            })),
            Ok(Err(kube::Error::Api(status)))
                if matches!(status.code, 400 | 403 | 404 | 422)
                    || (status.code == 409 && status.message.contains("Apply failed with"))
                    || (status.code == 500 && status.message.contains("field not declared")) =>
            {
                Err(Attempt::Rejected(*status))
            }
            Ok(Err(e)) => Err(Attempt::Failed(map_err(&self.server, what, e))),
            Ok(Ok(obj)) => Ok((
                before,
                serde_json::to_value(obj)
                    .map_err(|e| Attempt::Failed(ClusterError::Other(e.to_string())))?,
            )),
        }
    }
}

/// A refusal that is not about the document's validity is said so: 409 a
/// conflict with another field manager, 403 a request the user may not make.
fn labelled(code: u16, mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let (rule, origin) = match code {
        409 => ("conflict", "apiserver (field manager conflict)"),
        403 => ("forbidden", "apiserver (not permitted)"),
        _ => return diagnostics,
    };
    for d in &mut diagnostics {
        d.rule = rule.into();
        d.origin = origin.into();
        d.layer = Layer::Resource;
    }
    diagnostics
}

enum Attempt {
    Rejected(kube::core::Status),
    Failed(ClusterError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_in_messages() {
        assert_eq!(
            leading_field_path(
                "failed to create typed patch object: .spec.file.matchDirectory: field not declared in schema"
            )
            .as_deref(),
            Some("/spec/file/matchDirectory")
        );
        assert_eq!(leading_field_path("something else entirely"), None);
    }

    #[test]
    fn server_paths_without_indices_are_placed_on_the_object() {
        let obj = serde_json::json!({"spec": {"file": {"matchPaths": [
            {"path": "/etc/ok"}, {"path": "/etc/nginx/"}]}, "ports": [{"port": 3}]}});
        assert_eq!(
            place(
                &obj,
                "/spec/file/matchPaths/path",
                r#"Invalid value: "/etc/nginx/": spec.file.matchPaths.path in body should match"#
            ),
            "/spec/file/matchPaths/1/path"
        );
        assert_eq!(
            place(&obj, "/spec/ports/port", "Invalid value: 3: must be"),
            "/spec/ports/0/port"
        );
        assert_eq!(
            place(&obj, "/spec/ports/protocol", "Required value"),
            "/spec/ports/0/protocol"
        );
        assert_eq!(
            place(&obj, "/spec/file/matchPaths/path", "no value quoted"),
            "/spec/file/matchPaths/path"
        );
        assert_eq!(place(&obj, "/spec/file", ""), "/spec/file");
    }

    #[test]
    fn diff_lists_changed_leaves() {
        let a = serde_json::json!({"spec": {"a": 1, "b": [1], "c": {"d": "x"}}});
        let b = serde_json::json!({"spec": {"a": 1, "b": [2], "c": {"d": "y"}, "e": true}});
        let mut out = Vec::new();
        diff("", Some(&a), Some(&b), &mut out);
        assert_eq!(out, ["/spec/b", "/spec/c/d", "/spec/e"]);
    }

    #[test]
    fn which_failures_are_retried() {
        let api = |code: u16, message: &str| ClusterError::Api {
            what: "x".into(),
            code,
            reason: String::new(),
            message: message.into(),
        };
        assert!(transient(&api(503, "")));
        assert!(transient(&api(429, "")));
        assert!(transient(&api(409, "the object has been modified")));
        assert!(!transient(&api(409, "Apply failed with 1 conflict")));
        assert!(!transient(&api(422, "")));
        assert!(!transient(&ClusterError::Config("x".into())));
    }
}
