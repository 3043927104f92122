#!/usr/bin/env bash
# The card benchmark, sancha-cardgen and the Python peer (reportlab + segno) side by side
# in one session (see BENCHMARKS.md). Not part of the test suite: timings vary with load.
#
#   cardgen/bench.sh [RUNS]          # default 3 runs of each
#
# Needs: fonts-wqy-microhei (the peer's font), python3-venv, /usr/bin/time; the peer's
# files in $PEER_DIR (default: ../shared/peers beside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
peer_dir=${PEER_DIR:-$(cd .. && pwd)/shared/peers}
work=$(mktemp -d /tmp/cardgen-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

cargo build --release -p sancha-cardgen
bin=target/release
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q reportlab segno qrcode
cp "$peer_dir/rl_cards.py" "$peer_dir/data.py" "$work/"
"$bin/cardgen-bench" --emit-jsonl "$work/cards10k.jsonl" --cards 10000

echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/ \+/ /g'), $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u)"
for i in $(seq 1 "$runs"); do
  echo "=== run $i $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd "$work" && /usr/bin/time -f "TIME peer-10k %e s %P cpu maxrss %M KB" venv/bin/python rl_cards.py 10000 peer.pdf)
  /usr/bin/time -f "TIME cardgen-cli-10k %e s %P cpu maxrss %M KB" \
    "$bin/cardgen" --input "$work/cards10k.jsonl" --out "$work/ours10k.pdf" --layout a6x4
  /usr/bin/time -f "TIME city-jobs1 %e s %P cpu maxrss %M KB" "$bin/cardgen-bench" --jobs 1
  /usr/bin/time -f "TIME city-jobs2 %e s %P cpu maxrss %M KB" "$bin/cardgen-bench" --jobs 2
done
