//! The frontier cut shared by the summarizers.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A node of a summarization tree.
pub trait Node: Sized {
    /// Observations under this node.
    fn weight(&self) -> u64;
    /// A stable key for tie-breaking (smaller first).
    fn key(&self) -> String;
    /// The node's children; fewer than two means it cannot be refined.
    fn children(&self) -> Vec<Self>;
}

struct Ranked<N: Node>(N, String);

impl<N: Node> PartialEq for Ranked<N> {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl<N: Node> Eq for Ranked<N> {}
impl<N: Node> PartialOrd for Ranked<N> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<N: Node> Ord for Ranked<N> {
    fn cmp(&self, o: &Self) -> Ordering {
        // Max-heap: heavier first, then the smaller key.
        self.0
            .weight()
            .cmp(&o.0.weight())
            .then_with(|| o.1.cmp(&self.1))
    }
}

/// The frontier of at most `max_entries` nodes (at least the root) covering
/// the whole tree, refined heaviest-first.
pub fn cut<N: Node>(root: N, max_entries: usize) -> Vec<N> {
    let max_entries = max_entries.max(1);
    let mut done: Vec<N> = Vec::new();
    let mut heap = BinaryHeap::new();
    let key = root.key();
    heap.push(Ranked(root, key));
    while let Some(Ranked(node, _)) = heap.pop() {
        let kids = node.children();
        let size_after = done.len() + heap.len() + kids.len();
        if kids.len() < 2 || size_after > max_entries {
            done.push(node);
            continue;
        }
        for k in kids {
            let key = k.key();
            heap.push(Ranked(k, key));
        }
    }
    done
}
