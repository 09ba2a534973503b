#!/usr/bin/env bash
# Runs one fuzz target for a number of seconds (default 600), starting from the seeds in
# fuzz/corpus/TARGET (kept as committed); what it finds goes to fuzz/work/TARGET (not committed).
#   fuzz/run.sh get_info 600        # one target
#   fuzz/run.sh all 600             # every target in turn
# cargo-fuzz needs nightly-only compiler flags; RUSTC_BOOTSTRAP lets the stable toolchain
# accept them (this workplace has only one toolchain). Install: cargo install cargo-fuzz
set -euo pipefail
cd "$(dirname "$0")"
seconds=${2:-600}
targets=("$1")
if [ "$1" = all ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
mkdir -p logs
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "work/$t"
  echo "== $t for ${seconds}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "work/$t" "corpus/$t" -- -max_total_time="$seconds" -print_final_stats=1 2>&1 | tee "logs/$t.log" | grep -E "^#[0-9]+ +(DONE|INITED)|stat::|ERROR|panicked" || true
done
