//! Any bytes: read as YAML/JSON documents, validate each, and round-trip every
//! valid policy through canonical YAML. Must never panic, hang or blow up memory.
#![no_main]

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_core::Policy;
use kubescribe_validate::Validator;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ReadLimits { max_bytes: 1 << 20, ..ReadLimits::default() };
    let Ok(set) = document::read_bytes("fuzz", data, &limits) else { return };
    let validator = Validator::new();
    for report in validator.validate_set(&set) {
        let _ = report.diagnostics.len();
    }
    for d in &set.documents {
        if let Some(policy) = validator.validate_value(&d.value).policy {
            let yaml = policy.to_canonical_yaml().expect("canonical YAML");
            let again = document::read_bytes("canonical", yaml.as_bytes(), &limits).expect("canonical YAML parses");
            let mut v = again.documents[0].value.clone();
            document::prune_nulls(&mut v);
            assert_eq!(Policy::from_value(v).expect("canonical YAML decodes"), policy);
        }
    }
});
