//! `kubescribe validate --jobs N` validates files on several threads and
//! prints exactly what one thread prints: the same reports in the files'
//! order, the same warnings, unreadable files and exit status.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
        .args(args)
        .output()
        .expect("run kubescribe")
}

fn repo(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn parallel_validation_prints_what_one_thread_prints() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| -> String {
        let p: PathBuf = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let malformed = write("malformed.yaml", "kind: [unclosed\n");
    let empty = write("empty.yaml", "# nothing here\n");
    let missing = dir.path().join("missing.yaml").display().to_string();
    let mut files = vec![
        repo("examples/policies/invalid/kubearmor-mistakes.yaml"),
        malformed,
        repo("examples/policies/network-shop.yaml"),
        empty,
        missing,
        repo("examples/policies/calico-db-ordered.yaml"),
        repo("examples/policies/kubearmor-nginx-www.yaml"),
        repo("examples/policies/tetragon-block-passwd-write.yaml"),
    ];
    // Enough files that several threads take turns.
    files.extend(files.clone());
    for output in ["text", "json"] {
        let mut one = vec!["validate", "-o", output, "--jobs", "1"];
        one.extend(files.iter().map(String::as_str));
        let mut many = vec!["validate", "-o", output, "--jobs", "4"];
        many.extend(files.iter().map(String::as_str));
        let (a, b) = (run(&one), run(&many));
        assert_eq!(a.status.code(), b.status.code(), "{output}");
        assert_eq!(a.status.code(), Some(2), "an unreadable file is exit 2");
        assert_eq!(
            String::from_utf8_lossy(&a.stdout),
            String::from_utf8_lossy(&b.stdout),
            "{output}"
        );
        assert_eq!(
            String::from_utf8_lossy(&a.stderr),
            String::from_utf8_lossy(&b.stderr),
            "{output}"
        );
        let stdout = String::from_utf8_lossy(&a.stdout);
        assert!(stdout.contains("kubearmor-mistakes.yaml"), "{stdout}");
        assert!(stdout.contains("malformed.yaml"), "{stdout}");
    }
}
