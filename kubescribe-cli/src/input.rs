//! What several commands read the same way: policy documents from a file,
//! a directory or standard input.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use kubescribe_core::CoreError;
use kubescribe_core::document::{self, DocumentSet, ReadLimits};

/// Reads the documents of `file` (`-`: standard input, read up to the size
/// limit), within `limits`.
pub fn read_documents(file: &Path, limits: &ReadLimits) -> Result<DocumentSet, CoreError> {
    if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .take(limits.max_bytes as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| CoreError::Unreadable {
                source_name: "<stdin>".into(),
                reason: e.to_string(),
            })?;
        document::read_bytes("<stdin>", &buf, limits)
    } else {
        document::read_file(file, limits)
    }
}

/// The files `args` names, as kubectl reads them: positional files and
/// `-f` entries in order; a directory stands for its `.yaml`, `.yml` and
/// `.json` files (sorted), its subdirectories' too with `-R`; `-` is
/// standard input. No file at all is an error saying how to give one.
pub fn expand_files(args: &crate::args::FileArgs) -> Result<Vec<std::path::PathBuf>> {
    fn walk(dir: &Path, recursive: bool, out: &mut Vec<std::path::PathBuf>) -> Result<()> {
        let mut entries: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("reading directory {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                if recursive {
                    walk(&p, recursive, out)?;
                }
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
            {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for f in args.files.iter().chain(&args.filenames) {
        if f.as_os_str() != "-" && f.is_dir() {
            let before = out.len();
            walk(f, args.recursive, &mut out)?;
            if out.len() == before {
                bail!(
                    "{}: no .yaml, .yml or .json files there{}",
                    f.display(),
                    if args.recursive {
                        ""
                    } else {
                        " (-R reads subdirectories)"
                    }
                );
            }
        } else {
            if matches!(f.to_str(), Some("none" | "client" | "server")) && !f.exists() {
                bail!(
                    "{0}: no such file; --dry-run takes its value with `=` (--dry-run={0}), so a file after it stays a file",
                    f.display()
                );
            }
            out.push(f.clone());
        }
    }
    if out.is_empty() {
        bail!("no files given: name them (FILE...) or with -f FILE|DIR (`-` reads standard input)");
    }
    Ok(out)
}

/// The documents of every file `args` names (directories expanded), each
/// set given `namespace` where a document names none (`-n`), as `apply`,
/// `diff` and `delete` read them.
pub fn read_object_files(
    args: &crate::args::FileArgs,
    namespace: Option<&str>,
) -> Result<Vec<DocumentSet>> {
    let mut sets = Vec::new();
    for f in expand_files(args)? {
        let mut set = read_documents(&f, &ReadLimits::default())
            .with_context(|| format!("reading {}", f.display()))?;
        default_namespace(&mut set, namespace);
        sets.push(set);
    }
    Ok(sets)
}

/// `-n`: documents of namespaced kinds that name no namespace get `ns`.
pub fn default_namespace(set: &mut DocumentSet, ns: Option<&str>) {
    let Some(ns) = ns else { return };
    for doc in &mut set.documents {
        let namespaced = kubescribe_core::Policy::kind_of(&doc.value).is_ok_and(|k| k.namespaced());
        if !namespaced || doc.value.pointer("/metadata/namespace").is_some() {
            continue;
        }
        if let Some(serde_json::Value::Object(m)) = doc.value.pointer_mut("/metadata") {
            m.insert("namespace".into(), ns.into());
        }
    }
}
