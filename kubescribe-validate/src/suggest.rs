//! Suggested corrections: nearest names and values, path/dir confusion.

use serde_json::Value;

use crate::diagnostic::Fix;

/// The candidate closest to `got`: same text ignoring case first, then the
/// smallest edit distance (a swap of neighbours counts as one edit) within a
/// third of the length (at least 2).
pub fn nearest<'a>(got: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(got)) {
        return Some(c);
    }
    let limit = (got.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::osa_distance(&got.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// Fix for an unknown field `name` at `parent`, given the allowed field names.
pub fn unknown_field(parent: &str, name: &str, allowed: &[String]) -> Option<Fix> {
    // KubeArmor: `dir` belongs in matchDirectories, `path` in matchPaths.
    let last = parent.rsplit('/').nth(1).unwrap_or("");
    let moved = match (last, name) {
        ("matchPaths", "dir") => Some(
            "a `dir` goes under `matchDirectories`; under `matchPaths` use `path` (no trailing '/')",
        ),
        ("matchDirectories", "path") => Some(
            "a `path` goes under `matchPaths`; under `matchDirectories` use `dir` (ending in '/')",
        ),
        _ => None,
    };
    if let Some(message) = moved {
        return Some(Fix {
            message: message.to_string(),
            pointer: format!("{parent}/{name}"),
            replacement: None,
        });
    }
    let near = nearest(name, allowed.iter().map(String::as_str))?;
    Some(Fix {
        message: format!("rename `{name}` to `{near}`"),
        pointer: format!("{parent}/{name}"),
        replacement: Some(Value::String(near.to_string())),
    })
}

/// Fix for a value outside an enumeration.
pub fn enum_value(pointer: &str, got: &Value, options: &[Value]) -> Option<Fix> {
    let got = got.as_str()?;
    let names: Vec<&str> = options.iter().filter_map(Value::as_str).collect();
    let near = nearest(got, names)?;
    Some(Fix {
        message: format!("use `{near}`"),
        pointer: pointer.to_string(),
        replacement: Some(Value::String(near.to_string())),
    })
}

/// Fix for a pattern mismatch, where the pattern's intent is recognisable.
pub fn pattern(pointer: &str, got: &Value, pattern: &str) -> Option<Fix> {
    let s = got.as_str()?;
    let field = pointer.rsplit('/').next().unwrap_or("");
    // KubeArmor: `path` must not end in '/', `dir` must.
    if field == "path" && pattern.contains(r"[^\/]$") && s.ends_with('/') {
        return Some(Fix {
            message: "a `path` names one file and must not end in '/': drop the '/', or match the whole directory with `dir` under `matchDirectories`".into(),
            pointer: pointer.to_string(),
            replacement: Some(Value::String(s.trim_end_matches('/').to_string())),
        });
    }
    if field == "dir" && pattern.contains(r"\/$") && !s.ends_with('/') {
        return Some(Fix {
            message: "a `dir` must end in '/': append it, or match one file with `path` under `matchPaths`".into(),
            pointer: pointer.to_string(),
            replacement: Some(Value::String(format!("{s}/"))),
        });
    }
    if (field == "path" || field == "dir") && !s.starts_with('/') {
        return Some(Fix {
            message: "paths must be absolute: prefix '/'".into(),
            pointer: pointer.to_string(),
            replacement: Some(Value::String(format!("/{s}"))),
        });
    }
    None
}

/// Fix for a type mismatch where the value converts obviously.
pub fn type_mismatch(pointer: &str, got: &Value, expected: &str) -> Option<Fix> {
    let replacement = match (expected, got) {
        ("integer", Value::String(s)) => s.trim().parse::<i64>().ok().map(Value::from),
        ("number", Value::String(s)) => s.trim().parse::<f64>().ok().map(Value::from),
        ("string", Value::Number(n)) => Some(Value::String(n.to_string())),
        ("string", Value::Bool(b)) => Some(Value::String(b.to_string())),
        ("boolean", Value::String(s)) => match s.as_str() {
            "true" | "True" => Some(Value::Bool(true)),
            "false" | "False" => Some(Value::Bool(false)),
            _ => None,
        },
        ("array", v) if !v.is_array() => Some(Value::Array(vec![v.clone()])),
        _ => None,
    }?;
    Some(Fix {
        message: format!("write it as {}", short(&replacement)),
        pointer: pointer.to_string(),
        replacement: Some(replacement),
    })
}

/// A short rendering of a value for messages.
pub fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}...")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nearest_prefers_case_then_distance() {
        assert_eq!(nearest("audit", ["Allow", "Audit", "Block"]), Some("Audit"));
        assert_eq!(nearest("Blok", ["Allow", "Audit", "Block"]), Some("Block"));
        assert_eq!(nearest("zzzzzz", ["Allow", "Audit", "Block"]), None);
        assert_eq!(
            nearest("matchpath", ["matchPaths", "matchDirectories"]),
            Some("matchPaths")
        );
    }

    #[test]
    fn path_dir_confusion() {
        let p = r"^\/+.*[^\/]$";
        let f = pattern("/spec/file/matchPaths/0/path", &json!("/etc/"), p).unwrap();
        assert_eq!(f.replacement, Some(json!("/etc")));
        let d = r"^\/$|^\/.*\/$";
        let f = pattern("/spec/file/matchDirectories/0/dir", &json!("/etc"), d).unwrap();
        assert_eq!(f.replacement, Some(json!("/etc/")));
        let f = unknown_field("/spec/file/matchPaths/0", "dir", &["path".into()]).unwrap();
        assert!(f.message.contains("matchDirectories"));
    }

    #[test]
    fn obvious_type_conversions() {
        assert_eq!(
            type_mismatch("/p", &json!("80"), "integer")
                .unwrap()
                .replacement,
            Some(json!(80))
        );
        assert_eq!(
            type_mismatch("/p", &json!("x"), "array")
                .unwrap()
                .replacement,
            Some(json!(["x"]))
        );
        assert!(type_mismatch("/p", &json!("eighty"), "integer").is_none());
    }
}
