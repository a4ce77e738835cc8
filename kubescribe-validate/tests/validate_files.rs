//! `Validator::validate_files` on its worker threads: the same reports as
//! reading and validating each file in place, in the files' order, for any
//! number of jobs, with documents nested as deep as the reader allows (its
//! stack is the worker's own).

use std::path::PathBuf;

use kubescribe_core::CoreError;
use kubescribe_core::document::{self, ReadLimits};
use kubescribe_core::limits::DOCUMENT_MAX_DEPTH;
use kubescribe_validate::{Validator, syntax_report};

fn deep_yaml(depth: usize) -> String {
    // A KubeArmorPolicy whose label value is a flow mapping nested `depth` deep.
    let mut v = String::from("x");
    for _ in 0..depth {
        v = format!("{{a: {v}}}");
    }
    format!(
        "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: deep\n  namespace: shop\nspec:\n  selector:\n    matchLabels:\n      app: {v}\n  file:\n    matchPaths:\n    - path: /etc/passwd\n  action: Block\n"
    )
}

#[test]
fn worker_threads_give_the_reports_of_in_place_validation_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    let docs = [
        // valid
        "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: ok\n  namespace: shop\nspec:\n  selector:\n    matchLabels:\n      app: web\n  file:\n    matchPaths:\n    - path: /etc/passwd\n  action: Block\n",
        // invalid below the root (needs the line map)
        "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: Bad_Name\n  namespace: shop\nspec:\n  selector:\n    matchLabels:\n      app: web\n  file:\n    matchPaths:\n    - path: /etc/nginx/\n  action: Block\n",
        // malformed
        "apiVersion: v1\nkind: [\n",
    ];
    for i in 0..12 {
        let p = tmp.path().join(format!("p{i}.yaml"));
        let text = match i % 4 {
            3 => deep_yaml(DOCUMENT_MAX_DEPTH - 8),
            k => docs[k].to_string(),
        };
        std::fs::write(&p, text).unwrap();
        files.push(p);
    }
    files.push(tmp.path().join("missing.yaml"));
    let limits = ReadLimits::default();
    let validator = Validator::new().permissive(true);
    let in_place: Vec<String> = files
        .iter()
        .map(|f| match document::read_file(f, &limits) {
            Ok(set) => serde_json::to_string(&validator.validate_set(&set)).unwrap(),
            Err(CoreError::Syntax {
                source_name,
                line,
                column,
                message,
            }) => {
                serde_json::to_string(&[syntax_report(source_name, line, column, message)]).unwrap()
            }
            Err(e) => format!("{e:?}"),
        })
        .collect();
    // The deep file is read (not refused for depth), the invalid one located,
    // the malformed one a parse report, the missing one an error.
    assert!(in_place[3].contains("\"name\":\"deep\""), "{}", in_place[3]);
    assert!(
        in_place[2].contains("\"layer\":\"parse\""),
        "{}",
        in_place[2]
    );
    assert!(in_place[12].contains("Unreadable"), "{}", in_place[12]);
    assert!(in_place[1].contains("\"line\":4"), "{}", in_place[1]);
    for jobs in [1, 2, 5] {
        let got: Vec<String> = validator
            .validate_files(&files, jobs, |f| document::read_file(f, &limits))
            .into_iter()
            .zip(&files)
            .map(|(r, f)| match r {
                Ok(v) => {
                    assert_eq!(v.source, f.display().to_string());
                    serde_json::to_string(&v.reports).unwrap()
                }
                Err(e) => format!("{e:?}"),
            })
            .collect();
        for (i, (g, w)) in got.iter().zip(&in_place).enumerate() {
            assert_eq!(g, w, "file {i}, {jobs} job(s)");
        }
    }
}
