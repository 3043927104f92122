#!/bin/bash
# A/B for issue 15 (BENCHMARKS.md): /tmp/sancha-base (A, 622db01, before the integrity rules)
# and /tmp/sancha-new (B, main), alternating; PostgreSQL on 127.0.0.1:55432 (user postgres, trust).
cd "$(dirname "$0")/.."
load=target/release/sancha-load
run() { # label bin [db]
  local extra=()
  if [ -n "$3" ]; then
    psql -h 127.0.0.1 -p 55432 -U postgres -qc "DROP DATABASE IF EXISTS $3" -c "CREATE DATABASE $3 OWNER sancha" >/dev/null
    extra=(--database-url "postgres://sancha:sancha@127.0.0.1:55432/$3")
  fi
  echo "=== $1 $(date -u +%H:%M:%S)"
  $load --server "$2" --seconds 10 --connections 64 "${extra[@]}" 2>&1 | grep -iv "^\s*$" | tail -n 12
}
for i in 1 2 3; do run "sqlite A$i" /tmp/sancha-base; run "sqlite B$i" /tmp/sancha-new; done
for i in 1 2; do run "pg A$i" /tmp/sancha-base ab_a_$i; run "pg B$i" /tmp/sancha-new ab_b_$i; done
