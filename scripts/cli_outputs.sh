#!/usr/bin/env bash
# Writes `volscope quotes` and `volscope fit` outputs for every file in ../shared/data (and the first history
# snapshot) into OUTDIR, with timing fields removed, so two builds can be compared byte for byte:
#   scripts/cli_outputs.sh /tmp/before && (change things) && scripts/cli_outputs.sh /tmp/after && diff -r /tmp/before /tmp/after
# Uses the release binary of CARGO_TARGET_DIR (built first).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: cli_outputs.sh OUTDIR}
mkdir -p "$out"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/volscope"
files=(../shared/data/*.csv ../shared/data/history/deribit_btc_eth_20260103T034831Z.csv.gz)
for f in "${files[@]}"; do
  name=$(basename "$f")
  "$bin" quotes "$f" -o "$out/$name.quotes.csv" 2>"$out/$name.quotes.log" || true
  for model in svi sabr; do
    "$bin" fit "$f" --model "$model" -o "$out/$name.$model.json" --grid "$out/$name.$model.grid.csv" \
      --residuals "$out/$name.$model.res.csv" >/dev/null 2>"$out/$name.$model.log" || true
    # Wall times differ between runs.
    [[ -f "$out/$name.$model.json" ]] && sed -i -E 's/"fit_time_us": [0-9.e+-]+/"fit_time_us": 0/' "$out/$name.$model.json"
    sed -i -E -e 's/ +[0-9]+ µs//' -e "s|$out/|OUT/|g" "$out/$name.$model.log"
  done
done
echo "wrote $(ls "$out" | wc -l) files to $out"
