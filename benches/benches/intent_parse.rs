//! Intents parsed per second: the offline NL parser over the labelled set
//! (`kubescribe-intent/tests/fixtures/intents.jsonl`, 300+ intents of
//! all five engines).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubescribe_intent::parse_intent;

const FIXTURE: &str = include_str!("../../kubescribe-intent/tests/fixtures/intents.jsonl");

fn texts() -> Vec<String> {
    FIXTURE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("fixture line");
            v["text"].as_str().expect("text").to_string()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let texts = texts();
    let mut g = c.benchmark_group("intent_parse");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("labelled_set", |b| {
        b.iter(|| {
            let mut ok = 0usize;
            for t in &texts {
                ok += usize::from(parse_intent(std::hint::black_box(t)).is_ok());
            }
            ok
        })
    });
    // The longest accepted input (16 KiB of intent-like text): work per input stays linear.
    let long: String = "allow app=web in namespace shop to reach 10.0.0.0/8 on port 443 and "
        .repeat(240)
        .chars()
        .take(16 * 1024)
        .collect();
    g.throughput(Throughput::Bytes(long.len() as u64));
    g.bench_function("16KiB_input", |b| {
        b.iter(|| parse_intent(std::hint::black_box(&long)).is_ok())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
