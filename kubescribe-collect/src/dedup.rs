//! The window of recently received messages of one source, by content hash:
//! a message a source sends again (a Hubble relay resumed from the last
//! flow's time, a sender retrying an HTTP post) is recognised and counted
//! as a duplicate instead of being stored twice.

use std::collections::{HashSet, VecDeque};

/// The last `capacity` distinct content hashes, oldest forgotten first.
#[derive(Debug)]
pub(crate) struct Window {
    capacity: usize,
    set: HashSet<u128>,
    order: VecDeque<u128>,
}

impl Window {
    pub(crate) fn new(capacity: usize) -> Window {
        let capacity = capacity.max(1);
        Window {
            capacity,
            set: HashSet::with_capacity(capacity.min(1 << 16)),
            order: VecDeque::with_capacity(capacity.min(1 << 16)),
        }
    }

    /// Records `hash`; `false` when it is in the window already.
    pub(crate) fn insert(&mut self, hash: u128) -> bool {
        if !self.set.insert(hash) {
            return false;
        }
        self.order.push_back(hash);
        if self.order.len() > self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }

    /// Whether `hash` is in the window.
    pub(crate) fn contains(&self, hash: u128) -> bool {
        self.set.contains(&hash)
    }

    /// How many hashes it holds (never more than its capacity).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
}

/// The content hash of a message.
pub(crate) fn hash(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_up_to_its_capacity() {
        let mut w = Window::new(3);
        assert!(w.insert(1));
        assert!(!w.insert(1));
        assert!(w.insert(2));
        assert!(w.insert(3));
        assert!(w.insert(4));
        assert_eq!(w.len(), 3);
        // 1 was forgotten, 2..4 are remembered.
        assert!(w.insert(1));
        assert!(!w.insert(4));
        assert_eq!(w.len(), 3);
    }
}
