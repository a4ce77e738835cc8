//! Path aggregation: observed file paths (or executables) collapsed into
//! directories where the evidence supports it.
//!
//! The rule is AccuKnox discovery-engine's (`src/systempolicy/pathAggregator.go`:
//! a path tree, and a node with more than `Threshold` children becomes a
//! `matchDirectories` entry), with three differences: the threshold is a
//! parameter (discovery-engine fixes it at 3), the root `/` is never
//! aggregated (at most its children, `/usr/`), and a directory is only ever
//! made of what was observed below it (no regular-expression nodes).

use std::collections::BTreeMap;

/// One allow rule over paths: a file (`dir == false`) or a directory and
/// everything below it.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct PathRule {
    /// The path; a directory ends in `/`.
    pub path: String,
    /// Whether it is a directory (recursive).
    pub dir: bool,
    /// How many distinct observed paths it covers.
    pub covers: usize,
}

#[derive(Default)]
struct Node {
    children: BTreeMap<String, Node>,
    /// An observed path ends here.
    leaf: bool,
}

impl Node {
    fn insert(&mut self, parts: &[&str]) {
        match parts.split_first() {
            None => self.leaf = true,
            Some((first, rest)) => self
                .children
                .entry((*first).to_string())
                .or_default()
                .insert(rest),
        }
    }

    fn count(&self) -> usize {
        usize::from(self.leaf) + self.children.values().map(Node::count).sum::<usize>()
    }

    fn collect(
        &self,
        prefix: &str,
        depth: usize,
        threshold: Option<usize>,
        out: &mut Vec<PathRule>,
    ) {
        if depth >= 1
            && let Some(t) = threshold
            && self.children.len() > t
        {
            out.push(PathRule {
                path: format!("{prefix}/"),
                dir: true,
                covers: self.count(),
            });
            return;
        }
        if self.leaf && depth >= 1 {
            out.push(PathRule {
                path: prefix.to_string(),
                dir: false,
                covers: 1,
            });
        }
        for (name, child) in &self.children {
            child.collect(&format!("{prefix}/{name}"), depth + 1, threshold, out);
        }
    }
}

/// Aggregates absolute `paths`: a directory with more than `threshold`
/// distinct observed entries directly under it (files or subdirectories)
/// becomes one recursive directory rule; `None` keeps every path exact. The
/// root `/` is never a rule. Paths not starting with `/` are left out (the
/// caller reports them).
pub fn aggregate<'a, I>(paths: I, threshold: Option<usize>) -> Vec<PathRule>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut root = Node::default();
    for p in paths {
        if !p.starts_with('/') {
            continue;
        }
        let parts: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
        if parts.is_empty() {
            continue;
        }
        root.insert(&parts);
    }
    let mut out = Vec::new();
    root.collect("", 0, threshold, &mut out);
    out
}

/// Whether a rule covers `path`.
pub fn covers(rule: &PathRule, path: &str) -> bool {
    if rule.dir {
        path.starts_with(&rule.path)
    } else {
        rule.path == path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(paths: &[&str], t: Option<usize>) -> Vec<(String, bool)> {
        aggregate(paths.iter().copied(), t)
            .into_iter()
            .map(|r| (r.path, r.dir))
            .collect()
    }

    #[test]
    fn exact_without_threshold_and_below_it() {
        let p = [
            "/var/www/a.html",
            "/var/www/b.html",
            "/etc/nginx/nginx.conf",
        ];
        assert_eq!(
            rules(&p, None),
            vec![
                ("/etc/nginx/nginx.conf".into(), false),
                ("/var/www/a.html".into(), false),
                ("/var/www/b.html".into(), false),
            ]
        );
        // Two children, threshold 2: not more than 2, so exact.
        assert_eq!(rules(&p, Some(2)).len(), 3);
    }

    #[test]
    fn a_directory_with_more_entries_than_the_threshold_is_aggregated() {
        let p = ["/var/www/a", "/var/www/b", "/var/www/c/d", "/etc/x"];
        assert_eq!(
            rules(&p, Some(2)),
            vec![("/etc/x".into(), false), ("/var/www/".into(), true)]
        );
        let r = aggregate(p.iter().copied(), Some(2));
        assert_eq!(r[1].covers, 3);
    }

    #[test]
    fn never_the_root() {
        // Five top-level entries: the root has more children than any
        // threshold, and still no `/` rule.
        let p = ["/a", "/b", "/c", "/d", "/e"];
        let r = rules(&p, Some(1));
        assert!(r.iter().all(|(p, _)| p != "/"), "{r:?}");
        assert_eq!(r.len(), 5);
        // Threshold 0 aggregates every directory with an entry, but not `/`.
        let r = rules(&["/usr/bin/x", "/etc/y"], Some(0));
        assert_eq!(r, vec![("/etc/".into(), true), ("/usr/".into(), true)]);
    }

    #[test]
    fn relative_paths_are_left_out() {
        assert!(rules(&["nginx", ""], Some(3)).is_empty());
        assert!(covers(
            &PathRule {
                path: "/var/".into(),
                dir: true,
                covers: 1
            },
            "/var/www/x"
        ));
    }
}
