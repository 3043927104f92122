#!/usr/bin/env bash
# HA throughput (BENCHMARKS.md): sancha-load through HAProxy on 1, then 3, release replicas
# on a pg_auto_failover formation of 3 nodes with one synchronous standby, sampling the
# primary's wait events meanwhile. REPLICAS="3" runs the 3-replica case alone.
# Needs: cargo build --release -p sancha-server -p sancha-tests --bin sancha --bin sancha-load
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SANCHA_BIN:-target/release/sancha}
source .ci/ha/cluster.sh
w=/tmp/habench; rm -rf $w; mkdir -p $w; chown postgres $w
ha_start_cluster $w/pg 56500 >/dev/null 2>&1
uri=$(ha_uri $w/pg)
psql "$uri" -Atc "show synchronous_standby_names"
export SANCHA_JWT_SECRET=bench-bench-bench-bench-bench-bench-0123
pids=()
start() { mkdir -p $w/app$1; DATABASE_URL="$uri" RUST_LOG=warn "$bin" --data-dir $w/app$1 serve --bind 127.0.0.1:$((18400+$1)) ${2:-} >>$w/app$1.log 2>&1 & pids+=($!);
  for _ in $(seq 1 300); do curl -fsS http://127.0.0.1:$((18400+$1))/readyz >/dev/null 2>&1 && return; sleep 0.2; done; echo "no app $1"; exit 1; }
start 1 --demo
for n in ${REPLICAS:-1 3}; do
  if [ "$n" = 3 ] && [ ${#pids[@]} -eq 1 ]; then start 2; start 3; fi
  ports=(); for i in $(seq 1 $n); do ports+=($((18400+i))); done
  ha_haproxy_config $w/h$n.cfg $((18500+n)) "${ports[@]}"; ha_haproxy_start $w/h$n.cfg
  sleep 2
  echo "== $n replica(s) through HAProxy"
  ( sleep 3; for k in $(seq 1 50); do psql "$uri" -Atc "select coalesce(wait_event_type,'cpu')||':'||coalesce(wait_event,'-') from pg_stat_activity where datname='sancha' and state='active' and pid<>pg_backend_pid()"; sleep 0.1; done > $w/waits$n.txt ) &
  target/release/sancha-load --url http://127.0.0.1:$((18500+n)) --seconds 10 --connections 64 2>&1 | grep -E 'accepted|read back|FAILED'
  ha_haproxy_stop $w/h$n.cfg
done
for f in $w/waits*.txt; do echo "$f"; sort $f | uniq -c | sort -rn | head -8; done
kill "${pids[@]}"; ha_stop_cluster $w/pg
