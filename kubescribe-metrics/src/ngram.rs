//! Shared n-gram counting machinery: tokens are interned to `u32` ids and
//! n-grams packed into `u128` keys, so every count table is a map of plain
//! integers. Pure performance helpers; results equal Python `Counter`s.

use rustc_hash::FxHashMap;

/// Interns strings to dense `u32` ids (per call site, not global).
#[derive(Default)]
pub(crate) struct Interner<'a> {
    ids: FxHashMap<&'a str, u32>,
}

impl<'a> Interner<'a> {
    pub(crate) fn id(&mut self, s: &'a str) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(s).or_insert(next)
    }
}

/// Packs the ids of an n-gram (n <= 4) into one key.
#[inline]
pub(crate) fn pack_ids(ids: &[u32]) -> u128 {
    ids.iter().fold(0u128, |k, &x| (k << 32) | u128::from(x))
}

/// Packs up to 6 chars (21 bits each) into one key.
#[inline]
pub(crate) fn pack_chars(cs: &[char]) -> u128 {
    cs.iter()
        .fold(0u128, |k, &c| (k << 21) | u128::from(u32::from(c)))
}

/// Packs up to 6 chars below U+0400 (10 bits each) into a `u64` key.
#[inline]
pub(crate) fn pack_small_chars(cs: &[char]) -> u64 {
    cs.iter()
        .fold(0u64, |k, &c| (k << 10) | u64::from(u32::from(c)))
}

/// Joint hypothesis/reference counts of one n-gram order.
pub(crate) struct JointCounts<K = u128> {
    map: FxHashMap<K, [u32; 2]>,
}

impl<K> Default for JointCounts<K> {
    fn default() -> Self {
        Self {
            map: FxHashMap::default(),
        }
    }
}

/// Totals of one order: hypothesis n-grams, reference n-grams, clipped
/// matches (`sum(min(hyp[g], ref[g]))`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OrderTotals {
    pub hyp: u64,
    pub reference: u64,
    pub matched: u64,
}

impl<K: std::hash::Hash + Eq> JointCounts<K> {
    /// A table sized for about `n` distinct n-grams.
    pub(crate) fn with_capacity(n: usize) -> Self {
        let mut map = FxHashMap::default();
        map.reserve(n);
        Self { map }
    }

    pub(crate) fn clear(&mut self) {
        self.map.clear();
    }

    #[inline]
    pub(crate) fn add_hyp(&mut self, key: K) {
        self.map.entry(key).or_default()[0] += 1;
    }

    #[inline]
    pub(crate) fn add_ref(&mut self, key: K) {
        self.map.entry(key).or_default()[1] += 1;
    }

    pub(crate) fn totals(&self) -> OrderTotals {
        let mut t = OrderTotals::default();
        for &[h, r] in self.map.values() {
            t.hyp += u64::from(h);
            t.reference += u64::from(r);
            t.matched += u64::from(h.min(r));
        }
        t
    }
}
