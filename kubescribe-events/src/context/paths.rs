//! Path summarization: files and directories → entries `path` or `dir/`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::frontier::{Node, cut};

/// One summarized path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathEntry {
    /// A file path, or a directory ending in `/`.
    pub path: String,
    /// For a directory: whether it covers sub-directories too.
    pub recursive: bool,
    /// Observations covered.
    pub count: u64,
    /// Distinct observed paths covered.
    pub members: usize,
}

impl PathEntry {
    /// Whether the entry covers `path`.
    pub fn covers(&self, path: &str) -> bool {
        if !self.path.ends_with('/') {
            return self.path == path;
        }
        // A directory entry also covers the directory itself.
        if path == self.path.trim_end_matches('/') {
            return true;
        }
        match path.strip_prefix(self.path.as_str()) {
            Some(rest) => self.recursive || !rest.contains('/'),
            None => false,
        }
    }
}

#[derive(Default)]
struct Trie {
    children: BTreeMap<String, Trie>,
    /// Observations of exactly this path.
    own: u64,
    observed: bool,
    total: u64,
    members: usize,
}

impl Trie {
    fn insert(&mut self, parts: &[&str], count: u64) {
        self.total += count;
        match parts.split_first() {
            None => {
                if !self.observed {
                    self.members += 1;
                }
                self.observed = true;
                self.own += count;
            }
            Some((first, rest)) => {
                let child = self.children.entry((*first).to_string()).or_default();
                let before = child.members;
                child.insert(rest, count);
                self.members += child.members - before;
            }
        }
    }
}

/// A trie node, or the node's own observation split off from its children.
struct PathNode<'a> {
    prefix: String,
    trie: &'a Trie,
    only_self: bool,
}

impl<'a> Node for PathNode<'a> {
    fn weight(&self) -> u64 {
        if self.only_self {
            self.trie.own
        } else {
            self.trie.total
        }
    }
    fn key(&self) -> String {
        self.prefix.clone()
    }
    fn children(&self) -> Vec<Self> {
        if self.only_self || self.trie.children.is_empty() {
            return Vec::new();
        }
        let mut kids: Vec<PathNode<'a>> = self
            .trie
            .children
            .iter()
            .map(|(name, t)| descend(format!("{}/{}", self.prefix.trim_end_matches('/'), name), t))
            .collect();
        if self.trie.observed {
            kids.push(PathNode {
                prefix: self.prefix.clone(),
                trie: self.trie,
                only_self: true,
            });
        }
        kids
    }
}

/// Follows a chain of single, unobserved directories (`/var` → `/var/www`)
/// so a node is always a branching point or an observed path.
fn descend(mut prefix: String, mut trie: &Trie) -> PathNode<'_> {
    while !trie.observed && trie.children.len() == 1 {
        let Some((name, child)) = trie.children.iter().next() else {
            break;
        };
        prefix = format!("{}/{}", prefix.trim_end_matches('/'), name);
        trie = child;
    }
    PathNode {
        prefix,
        trie,
        only_self: false,
    }
}

fn entry(n: &PathNode<'_>) -> PathEntry {
    let t = n.trie;
    if n.only_self || t.children.is_empty() {
        return PathEntry {
            path: n.prefix.clone(),
            recursive: false,
            count: n.weight(),
            members: 1,
        };
    }
    let deep = t.children.values().any(|c| !c.children.is_empty());
    let dir = if n.prefix.ends_with('/') {
        n.prefix.clone()
    } else {
        format!("{}/", n.prefix)
    };
    // A directory entry covers its own path too only through its children;
    // keep an observed directory path itself as a member of the entry.
    PathEntry {
        path: dir,
        recursive: deep || t.observed,
        count: t.total,
        members: t.members,
    }
}

/// Summarizes absolute paths (with observation counts) into at most
/// `max_entries` entries covering every input path, most observed first.
/// Relative paths are summarized under `./`.
pub fn summarize_paths(paths: &[(String, u64)], max_entries: usize) -> Vec<PathEntry> {
    let mut root = Trie::default();
    for (p, c) in paths {
        let parts: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
        root.insert(&parts, (*c).max(1));
    }
    if root.members == 0 {
        return Vec::new();
    }
    let nodes = cut(descend("/".into(), &root), max_entries);
    let mut out: Vec<PathEntry> = nodes.iter().map(entry).collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.path.cmp(&b.path)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(v: &[(&str, u64)]) -> Vec<(String, u64)> {
        v.iter().map(|(a, b)| (a.to_string(), *b)).collect()
    }

    #[test]
    fn many_siblings_collapse_to_their_directory() {
        let mut input = p(&[("/etc/passwd", 50), ("/etc/nginx/nginx.conf", 10)]);
        for i in 0..40 {
            input.push((format!("/var/www/html/page{i}.html"), 1));
        }
        let s = summarize_paths(&input, 4);
        let paths: Vec<&str> = s.iter().map(|e| e.path.as_str()).collect();
        // Single-directory chains are followed: /var/www/html/, not /var/.
        assert_eq!(
            paths,
            ["/etc/passwd", "/var/www/html/", "/etc/nginx/nginx.conf"],
            "{s:#?}"
        );
        assert_eq!(s[1].members, 40);
        assert!(!s[1].recursive);
        // A generous budget lists everything.
        assert_eq!(summarize_paths(&input, 1000).len(), 42);
        // The smallest budget is one entry covering all.
        let one = summarize_paths(&input, 1);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].path, "/");
        assert!(one[0].recursive);
    }

    proptest! {
        #[test]
        fn every_path_is_covered_within_budget(
            raw in prop::collection::vec(("(/[a-c]{1,2}){1,5}", 1u64..20), 1..60),
            budget in 1usize..30,
        ) {
            let s = summarize_paths(&raw, budget);
            prop_assert!(s.len() <= budget);
            for (path, _) in &raw {
                let norm = format!("/{}", path.split('/').filter(|x| !x.is_empty()).collect::<Vec<_>>().join("/"));
                prop_assert!(s.iter().any(|e| e.covers(&norm)), "{norm} not covered by {s:?}");
            }
            let total: u64 = raw.iter().map(|(_, c)| *c).sum();
            prop_assert_eq!(s.iter().map(|e| e.count).sum::<u64>(), total);
        }
    }
}
