//! The corpus helpers of `kubescribe-testkit`, plus a validator built from
//! the upstream CRDs.

#![allow(dead_code)]

use std::path::Path;

pub use kubescribe_testkit::corpus::*;
use kubescribe_validate::Validator;

/// The upstream CRD (or OpenAPI) files, one validator with all of them and no built-in schemas.
pub fn upstream_validator(root: &Path) -> Validator {
    let mut v = Validator::new().use_builtin(false);
    for f in UPSTREAM_SCHEMAS {
        v.add_crd_file(&root.join(f))
            .unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    v
}
