//! # kubescribe-testkit
//!
//! Test support shared by the workspace's test suites (a dev-dependency
//! only, never published): finding the shared corpus from
//! `KUBESCRIBE_CORPUS` wherever cargo runs the test binary ([`corpus`]),
//! reading its policy documents, and a deterministic generator of intents
//! ([`intents`]).
//!
//! ```
//! // unset: the corpus tests print NOT RUN and return
//! let found = kubescribe_testkit::corpus::resolve(
//!     std::path::Path::new("no/such/corpus"), None);
//! assert!(found.is_none());
//! ```

pub mod corpus;
pub mod intents;
