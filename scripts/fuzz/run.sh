#!/usr/bin/env bash
# A bounded, coverage-guided run of every fuzz target (cargo-fuzz; the stable
# toolchain with RUSTC_BOOTSTRAP=1, as the README says):
# SECONDS_PER_TARGET each (default 30), seeded by scripts/fuzz/seed.sh.
# Without cargo-fuzz (offline machines) it says so and exits 0:
# the same bodies already ran under `cargo test` over the seeds and
# deterministic mutations (kubescribe-cli/tests/fuzz_bodies.rs).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS="${1:-30}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo-fuzz not installed; coverage-guided run not done" \
       "(the bodies ran under cargo test: kubescribe-cli/tests/fuzz_bodies.rs)"
  exit 0
fi
bash scripts/fuzz/seed.sh
for t in $(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^kubescribe-fuzz$'); do
  echo "== fuzz $t (${SECS}s)"
  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "corpus/$t" -- \
     -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048)
done
