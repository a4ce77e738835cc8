//! cilium policy kinds: the typed model generated from the upstream CRDs.

mod model;

pub use model::*;
