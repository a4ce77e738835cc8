//! Policies validated per second, per engine (layer 1, built-in schemas:
//! null pruning, JSON Schema, API-server rules and typed decoding).
//!
//! With `KUBESCRIBE_CORPUS` set, the workload is every valid corpus
//! document of the engine; it is also exported to `target/bench-data/` for
//! `benches/scripts/compare_jsonschema.py`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubescribe_benches::{export_workload, valid_documents_by_engine};
use kubescribe_validate::Validator;

fn bench_validate(c: &mut Criterion) {
    let docs = valid_documents_by_engine();
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    if let Err(e) = export_workload(&out, &docs) {
        eprintln!("could not export the workload to {}: {e}", out.display());
    }
    let validator = Validator::new();
    let mut group = c.benchmark_group("validate");
    for (engine, list) in &docs {
        // Warm the compiled-schema cache outside the measurement.
        assert!(list.iter().all(|d| validator.validate_value(d).is_valid()));
        group.throughput(Throughput::Elements(list.len() as u64));
        group.bench_function(engine.name(), |b| {
            b.iter(|| {
                for d in list {
                    std::hint::black_box(validator.validate_value(d));
                }
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(5));
    targets = bench_validate
}
criterion_main!(benches);
