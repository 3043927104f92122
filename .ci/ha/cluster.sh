# shellcheck shell=bash
# HA test harness for sancha: a pg_auto_failover cluster and an HAProxy front, on loopback.
#
# Source this file from a CI script (it is safe under `set -euo pipefail` and changes no
# shell option). It works when the caller is root (PostgreSQL commands then run through
# `su postgres`) or already the postgres user.
#
#   ha_start_cluster DIR BASEPORT     monitor on BASEPORT, node1..node3 on BASEPORT+1..+3
#   ha_uri DIR                        multi-host libpq URI for the app (read-write target)
#   ha_primary DIR                    name of the node that currently takes writes
#   ha_kill_node DIR NAME             kill -9 a node's keeper and all of its postgres
#   ha_restart_node DIR NAME          start that node's keeper again (it rejoins)
#   ha_wait_state DIR NAME STATE T    wait up to T s for the monitor to report NAME in STATE
#   ha_wait_writable DIR T            wait up to T s until a write through ha_uri succeeds
#   ha_wait_sync DIR T                wait up to T s until the primary commits synchronously
#   ha_stop_cluster DIR               stop everything; idempotent, fine in a trap
#   ha_haproxy_config FILE PORT BACKEND_PORT...
#   ha_haproxy_start FILE / ha_haproxy_stop [FILE] / ha_haproxy_servers FILE
#
# Layout of DIR (which must be empty or absent, and reachable by the postgres user):
#   monitor/ node1/ node2/ node3/   data directories
#   *.log                           output of each pg_autoctl service
#   *.pgid                          process group of each running pg_autoctl service
#   baseport                        BASEPORT, for the other functions
#   xdg/                            pg_autoctl's config, state and pid files (XDG_* dirs),
#                                   so that nothing is left in ~postgres between runs
#
# Every service listens on 127.0.0.1 only; authentication is trust, without SSL.

HA_PG_BIN=${HA_PG_BIN:-/usr/lib/postgresql/15/bin}
HA_NODES=(node1 node2 node3)

# Failover timing on the monitor (milliseconds). See ha_start_cluster.
HA_HEALTH_CHECK_PERIOD_MS=${HA_HEALTH_CHECK_PERIOD_MS:-1000}
HA_HEALTH_CHECK_TIMEOUT_MS=${HA_HEALTH_CHECK_TIMEOUT_MS:-1000}
HA_HEALTH_CHECK_MAX_RETRIES=${HA_HEALTH_CHECK_MAX_RETRIES:-2}
HA_HEALTH_CHECK_RETRY_DELAY_MS=${HA_HEALTH_CHECK_RETRY_DELAY_MS:-500}
HA_UNHEALTHY_TIMEOUT_MS=${HA_UNHEALTHY_TIMEOUT_MS:-3000}
HA_PRIMARY_DEMOTE_TIMEOUT_MS=${HA_PRIMARY_DEMOTE_TIMEOUT_MS:-2000}
HA_STARTUP_GRACE_PERIOD_MS=${HA_STARTUP_GRACE_PERIOD_MS:-3000}
# Keeper side (seconds): an isolated primary demotes itself after this long. Keep it
# below the primary demote timeout, so the old primary is gone before the new one writes.
HA_NETWORK_PARTITION_TIMEOUT_S=${HA_NETWORK_PARTITION_TIMEOUT_S:-1}
# Room for 3 app servers with ~20 pooled connections each, plus tests and tooling.
HA_MAX_CONNECTIONS=${HA_MAX_CONNECTIONS:-200}

# --- internal helpers ------------------------------------------------------------------

# Prints a message on stderr, prefixed with the time.
_ha_log() {
  printf '[ha %s] %s\n' "$(date +%T)" "$*" >&2
}

# Runs a command (given as separate words) as the postgres user, with PATH and the XDG
# directories pointing into DIR, from DIR.
_ha_pg() {
  local dir=$1
  shift
  local script
  script="export PATH=$(printf %q "$HA_PG_BIN"):/usr/local/bin:/usr/bin:/bin"
  script+=" XDG_CONFIG_HOME=$(printf %q "$dir/xdg/config")"
  script+=" XDG_DATA_HOME=$(printf %q "$dir/xdg/data")"
  script+=" XDG_RUNTIME_DIR=$(printf %q "$dir/xdg/run")"
  script+="; cd $(printf %q "$dir") && $(printf '%q ' "$@")"
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -s /bin/bash -c "$script"
  elif [ "$(id -un)" = postgres ]; then
    bash -c "$script"
  else
    _ha_log "must run as root or as the postgres user"
    return 1
  fi
}

# Starts a command as postgres in a new session (so its own process group), with output
# appended to DIR/NAME.log, and records the group id in DIR/NAME.pgid.
_ha_spawn() {
  local dir=$1 name=$2
  shift 2
  local pgid_file="$dir/$name.pgid"
  rm -f "$pgid_file"
  # `su -c` puts the command in a new session of its own, so the group id can only be
  # known from inside: the setsid'ed shell writes its own pid (= its pgid), then execs.
  # shellcheck disable=SC2016
  _ha_pg "$dir" bash -c 'pgid_file=$0 log=$1; shift
    setsid bash -c '\''echo $$ > "$0"; exec "$@"'\'' "$pgid_file" "$@" >> "$log" 2>&1 < /dev/null &' \
    "$pgid_file" "$dir/$name.log" "$@"
  local i
  for i in $(seq 1 50); do
    [ -s "$pgid_file" ] && return 0
    sleep 0.1
  done
  _ha_log "$name: the service did not start, see $dir/$name.log"
  return 1
}

# Prints DIR as an absolute path without a trailing slash.
_ha_abs() {
  realpath -m -- "$1"
}

# Prints the monitor port of the cluster in DIR.
_ha_baseport() {
  cat "$1/baseport"
}

# Prints the port of NAME (monitor, node1, node2 or node3) in DIR.
_ha_port() {
  local base
  base=$(_ha_baseport "$1")
  case $2 in
    monitor) echo "$base" ;;
    node[123]) echo $((base + ${2#node})) ;;
    *) _ha_log "unknown node name: $2"; return 1 ;;
  esac
}

# Runs SQL on the monitor, unaligned, tuples only.
_ha_monitor_sql() {
  psql -X -qAt -v ON_ERROR_STOP=1 \
    "host=127.0.0.1 port=$(_ha_baseport "$1") user=autoctl_node dbname=pg_auto_failover sslmode=disable connect_timeout=3" \
    -c "$2"
}

# Runs SQL on one data node as postgres, in database sancha, unaligned, tuples only.
_ha_node_sql() {
  psql -X -qAt -v ON_ERROR_STOP=1 \
    "host=127.0.0.1 port=$(_ha_port "$1" "$2") user=postgres dbname=sancha sslmode=disable connect_timeout=3" \
    -c "$3"
}

# Prints `pg_autoctl show state` on stderr (for failure reports).
_ha_show_state() {
  _ha_pg "$1" pg_autoctl show state --pgdata "$1/monitor" >&2 || true
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
_ha_port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints the pids of the processes in group PGID and of all their descendants. Postgres
# child processes call setsid(), so they are not in the group of their postmaster.
_ha_group_tree() {
  ps -eo pid=,ppid=,pgid= | awk -v g="$1" '
    { pid[NR] = $1; ppid[NR] = $2; if ($3 == g) keep[$1] = 1 }
    END {
      do {
        added = 0
        for (i = 1; i <= NR; i++)
          if (!(pid[i] in keep) && (ppid[i] in keep)) { keep[pid[i]] = 1; added = 1 }
      } while (added)
      for (p in keep) print p
    }'
}

# True when process group PGID has a member whose command line mentions DIR (guards
# against a recycled pgid in a stale file).
_ha_group_is_ours() {
  local dir=$1 pgid=$2 pid
  for pid in $(ps -eo pid=,pgid= | awk -v g="$pgid" '$2 == g { print $1 }'); do
    tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -qF -- "$dir/" && return 0
  done
  return 1
}

# Prints the postmaster pid of data directory DATA if that process is still alive.
_ha_postmaster_pid() {
  local pid
  [ -f "$1/postmaster.pid" ] || return 0
  pid=$(head -1 "$1/postmaster.pid" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  if tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -qF -- "$1"; then
    echo "$pid"
  fi
}

# Sends SIGKILL to service NAME of DIR: its process group, every descendant (postgres
# backends included) and the postmaster of its data directory. The group is stopped
# first so that nothing forks or restarts in between.
_ha_kill_service() {
  local dir=$1 name=$2 pgid pids pm
  if [ -s "$dir/$name.pgid" ]; then
    pgid=$(cat "$dir/$name.pgid")
    if _ha_group_is_ours "$dir" "$pgid"; then
      kill -STOP -- "-$pgid" 2>/dev/null || true
      pids=$(_ha_group_tree "$pgid")
      # shellcheck disable=SC2086
      if [ -n "$pids" ]; then kill -KILL $pids 2>/dev/null || true; fi
      kill -KILL -- "-$pgid" 2>/dev/null || true
    fi
  fi
  pm=$(_ha_postmaster_pid "$dir/$name")
  if [ -n "$pm" ]; then
    pids=$(ps -eo pid=,ppid= | awk -v p="$pm" '$2 == p { print $1 }')
    # shellcheck disable=SC2086
    kill -KILL "$pm" $pids 2>/dev/null || true
  fi
}

# True while service NAME of DIR still has a live process (group member or postmaster).
_ha_service_alive() {
  local dir=$1 name=$2 pgid
  if [ -s "$dir/$name.pgid" ]; then
    pgid=$(cat "$dir/$name.pgid")
    ps -eo pgid=,stat= | awk -v g="$pgid" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }' \
      && return 0
  fi
  [ -n "$(_ha_postmaster_pid "$dir/$name")" ]
}

# Waits up to T seconds for service NAME to have no process left.
_ha_wait_dead() {
  local dir=$1 name=$2 deadline=$(($(date +%s) + $3))
  while _ha_service_alive "$dir" "$name"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# Fails unless NAME is node1, node2 or node3.
_ha_check_node() {
  case $1 in
    node1 | node2 | node3) return 0 ;;
    *) _ha_log "unknown node: $1 (expected node1, node2 or node3)"; return 1 ;;
  esac
}

# States in which the node's postgres accepts writes.
_HA_WRITABLE_STATES="'single','wait_primary','primary','join_primary','apply_settings'"

# The monitor URI that keepers use.
_ha_monitor_uri() {
  echo "postgres://autoctl_node@127.0.0.1:$(_ha_baseport "$1")/pg_auto_failover?sslmode=disable"
}

# Creates data node NAME (pg_autoctl create postgres), with extra arguments appended.
_ha_create_node_args() {
  local dir=$1 name=$2
  printf '%s\n' pg_autoctl create postgres --pgdata "$dir/$name" --pgctl "$HA_PG_BIN/pg_ctl" \
    --pgport "$(_ha_port "$dir" "$name")" --hostname 127.0.0.1 --listen 127.0.0.1 \
    --name "$name" --auth trust --no-ssl --dbname sancha --monitor "$(_ha_monitor_uri "$dir")"
}

# Sets the keeper timeouts of node NAME in its pg_autoctl.cfg.
_ha_config_keeper() {
  _ha_pg "$1" pg_autoctl config set --pgdata "$1/$2" \
    timeout.network_partition_timeout "$HA_NETWORK_PARTITION_TIMEOUT_S" > /dev/null
}

# Waits until standby NAME is secondary, running CHECKPOINT on node1 meanwhile: the
# standby's pg_basebackup starts by waiting for a (spread) checkpoint on the primary,
# which was seen to stall here until a CHECKPOINT was run by hand.
_ha_wait_standby() {
  local dir=$1 name=$2 timeout=$3 deadline state
  deadline=$(($(date +%s) + timeout))
  while :; do
    state=$(_ha_monitor_sql "$dir" "select reportedstate||'/'||goalstate from pgautofailover.node where nodename = '$name'" 2>/dev/null || true)
    [ "$state" = secondary/secondary ] && return 0
    if [ "$(date +%s)" -ge "$deadline" ]; then
      _ha_log "$name did not become secondary within ${timeout}s (now: ${state:-unregistered}); see $dir/$name.log"
      _ha_show_state "$dir"
      return 1
    fi
    _ha_node_sql "$dir" node1 'CHECKPOINT' > /dev/null 2>&1 || true
    sleep 1
  done
}

# --- cluster ---------------------------------------------------------------------------

# ha_start_cluster DIR BASEPORT
# Creates and starts, under DIR, a pg_auto_failover monitor on 127.0.0.1:BASEPORT and
# three data nodes node1..node3 on BASEPORT+1..+3 (database and owner role `sancha`,
# password `sancha`), with number-sync-standbys 1 and failover timeouts lowered for tests.
# Returns once node1 is primary, node2 and node3 are secondary, and the primary's commits
# wait for a standby (synchronous_standby_names set, a sync/quorum standby streaming).
# On failure it stops whatever it started (the logs stay in DIR) and returns 1.
ha_start_cluster() {
  local dir=${1:?usage: ha_start_cluster DIR BASEPORT} base=${2:?usage: ha_start_cluster DIR BASEPORT}
  dir=$(_ha_abs "$dir")
  if ! _ha_start_cluster "$dir" "$base"; then
    [ -f "$dir/baseport" ] && ha_stop_cluster "$dir"
    return 1
  fi
}

# The body of ha_start_cluster.
_ha_start_cluster() {
  local dir=$1 base=$2 started name port args
  started=$(date +%s)
  if ! command -v pg_autoctl > /dev/null; then
    _ha_log "pg_autoctl not found (apt-get install postgresql-15-auto-failover pg-auto-failover-cli)"
    return 1
  fi
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    _ha_log "$dir is not empty; give ha_start_cluster a fresh directory"
    return 1
  fi
  for port in "$base" $((base + 1)) $((base + 2)) $((base + 3)); do
    if _ha_port_busy "$port"; then _ha_log "port $port is in use"; return 1; fi
  done
  mkdir -p "$dir/xdg/config" "$dir/xdg/data" "$dir/xdg/run" || return 1
  chmod 700 "$dir/xdg/run" || return 1
  echo "$base" > "$dir/baseport" || return 1
  for name in monitor "${HA_NODES[@]}"; do : >> "$dir/$name.log" || return 1; done
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$dir" || return 1; fi

  # Monitor. Its health checks drive failover: a node is failed over once it has not
  # reported for node_considered_unhealthy_timeout AND health_check_max_retries+1
  # connection attempts failed; the old primary then gets primary_demote_timeout to
  # stop by itself before the new one takes writes.
  _ha_log "creating monitor on port $base"
  if ! _ha_pg "$dir" pg_autoctl create monitor --pgdata "$dir/monitor" --pgctl "$HA_PG_BIN/pg_ctl" \
    --pgport "$base" --hostname 127.0.0.1 --listen 127.0.0.1 --auth trust --no-ssl \
    >> "$dir/monitor.log" 2>&1; then
    _ha_log "monitor creation failed, see $dir/monitor.log"
    return 1
  fi
  # pg_autoctl sizes shared_buffers at 25% of RAM per instance; keep test instances small.
  _ha_pg "$dir" tee -a "$dir/monitor/postgresql.auto.conf" > /dev/null <<EOF || return 1
# ha_start_cluster: test-sized instance, fast failover
shared_buffers = '128MB'
pgautofailover.health_check_period = $HA_HEALTH_CHECK_PERIOD_MS
pgautofailover.health_check_timeout = $HA_HEALTH_CHECK_TIMEOUT_MS
pgautofailover.health_check_max_retries = $HA_HEALTH_CHECK_MAX_RETRIES
pgautofailover.health_check_retry_delay = $HA_HEALTH_CHECK_RETRY_DELAY_MS
pgautofailover.node_considered_unhealthy_timeout = $HA_UNHEALTHY_TIMEOUT_MS
pgautofailover.primary_demote_timeout = $HA_PRIMARY_DEMOTE_TIMEOUT_MS
pgautofailover.startup_grace_period = $HA_STARTUP_GRACE_PERIOD_MS
EOF
  _ha_spawn "$dir" monitor pg_autoctl run --pgdata "$dir/monitor" || return 1
  if ! _ha_until 30 _ha_monitor_sql "$dir" 'select 1 from pgautofailover.formation'; then
    _ha_log "monitor did not come up, see $dir/monitor.log"
    return 1
  fi

  # node1: created (initdb, registered as single) without running, so that its settings
  # are in place before its first start; standbys copy them with pg_basebackup.
  _ha_log "creating node1 on port $((base + 1))"
  mapfile -t args < <(_ha_create_node_args "$dir" node1)
  if ! _ha_pg "$dir" "${args[@]}" >> "$dir/node1.log" 2>&1; then
    _ha_log "node1 creation failed, see $dir/node1.log"
    return 1
  fi
  _ha_pg "$dir" tee -a "$dir/node1/postgresql.auto.conf" > /dev/null <<EOF || return 1
# ha_start_cluster: test-sized instance, room for 3 app servers x ~20 connections;
# cluster_name tags the postgres processes of this cluster in ps.
shared_buffers = '128MB'
max_connections = $HA_MAX_CONNECTIONS
cluster_name = 'sancha_ha_$base'
EOF
  _ha_config_keeper "$dir" node1 || return 1
  _ha_spawn "$dir" node1 pg_autoctl run --pgdata "$dir/node1" || return 1
  ha_wait_state "$dir" node1 single 60 || return 1
  if ! _ha_until 60 _ha_node_sql "$dir" node1 'select 1'; then
    _ha_log "node1 does not accept connections, see $dir/node1.log"
    return 1
  fi
  _ha_node_sql "$dir" node1 "CREATE ROLE sancha LOGIN SUPERUSER PASSWORD 'sancha'" > /dev/null || return 1
  _ha_node_sql "$dir" node1 'ALTER DATABASE sancha OWNER TO sancha' > /dev/null || return 1

  # Standbys, one after the other (each one's pg_basebackup needs a checkpoint).
  for name in node2 node3; do
    _ha_log "creating $name on port $(_ha_port "$dir" "$name")"
    mapfile -t args < <(_ha_create_node_args "$dir" "$name")
    _ha_spawn "$dir" "$name" "${args[@]}" --run || return 1
    _ha_wait_standby "$dir" "$name" 120 || return 1
    _ha_config_keeper "$dir" "$name" || return 1
    _ha_pg "$dir" pg_autoctl reload --pgdata "$dir/$name" > /dev/null 2>&1 || return 1
  done

  # A commit now returns only once one standby has flushed it; with 2 standbys a single
  # failed one does not block writes. (This is what `pg_autoctl set formation
  # number-sync-standbys 1` calls; that command fails here with "value 1 is not valid",
  # as it tests a stale errno after strtol.)
  if ! _ha_monitor_sql "$dir" "select pgautofailover.set_formation_number_sync_standbys('default', 1)" > /dev/null; then
    _ha_log "could not set number-sync-standbys to 1"
    return 1
  fi
  if ! _ha_until 60 _ha_cluster_is_sync "$dir"; then
    _ha_log "cluster did not reach primary + 2 secondaries with synchronous replication"
    _ha_show_state "$dir"
    _ha_node_sql "$dir" node1 'show synchronous_standby_names' >&2 || true
    return 1
  fi
  _ha_log "cluster up in $(($(date +%s) - started))s: $(ha_uri "$dir")"
}

# Runs a command every 0.25 s until it succeeds (its output discarded) or T seconds pass.
_ha_until() {
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@" > /dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.25
  done
}

# True when the monitor sees one primary and two secondaries, all settled, number-sync-
# standbys is 1, and the primary has synchronous_standby_names set and a sync standby.
_ha_cluster_is_sync() {
  local dir=$1 states
  states=$(_ha_monitor_sql "$dir" "select string_agg(reportedstate::text, ',' order by reportedstate::text) from pgautofailover.node where reportedstate = goalstate") || return 1
  [ "$states" = primary,secondary,secondary ] || return 1
  [ "$(_ha_monitor_sql "$dir" "select number_sync_standbys from pgautofailover.formation where formationid = 'default'")" = 1 ] || return 1
  _ha_primary_is_sync "$dir"
}

# ha_uri DIR
# Prints the multi-host libpq URI the app servers should use: libpq tries the three
# nodes in order and keeps the first one that accepts writes.
ha_uri() {
  local dir=${1:?usage: ha_uri DIR} base
  dir=$(_ha_abs "$dir")
  base=$(_ha_baseport "$dir") || return 1
  printf 'postgres://sancha:sancha@127.0.0.1:%s,127.0.0.1:%s,127.0.0.1:%s/sancha?target_session_attrs=read-write&connect_timeout=2\n' \
    $((base + 1)) $((base + 2)) $((base + 3))
}

# ha_primary DIR
# Prints the name of the node that takes writes per the monitor: reported and goal state
# both in single/wait_primary/primary/join_primary/apply_settings (all read-write; after
# a failover the new primary is wait_primary until a standby is back), postgres running
# and health checks not failing. Fails, printing nothing, when there is none (e.g. in the
# middle of a failover, when the old primary is draining or demoted).
ha_primary() {
  local dir=${1:?usage: ha_primary DIR} name
  dir=$(_ha_abs "$dir")
  name=$(_ha_monitor_sql "$dir" "select nodename from pgautofailover.node
      where reportedstate in ($_HA_WRITABLE_STATES) and goalstate in ($_HA_WRITABLE_STATES)
        and reportedpgisrunning and health <> 0
      order by nodeid") || return 1
  [ -n "$name" ] || return 1
  if [ "$(printf '%s\n' "$name" | wc -l)" -ne 1 ]; then
    _ha_log "more than one writable node per the monitor: $(tr '\n' ' ' <<< "$name")"
    return 1
  fi
  echo "$name"
}

# ha_kill_node DIR NAME
# Simulates the crash of NAME's host: SIGKILL to its pg_autoctl process group and to
# every postgres process of the node, so that nothing is left to restart it. Returns
# once all are gone.
ha_kill_node() {
  local dir=${1:?usage: ha_kill_node DIR NAME} name=${2:?usage: ha_kill_node DIR NAME}
  dir=$(_ha_abs "$dir")
  _ha_check_node "$name" || return 1
  _ha_kill_service "$dir" "$name"
  if ! _ha_wait_dead "$dir" "$name" 10; then
    _ha_log "$name: processes still alive after SIGKILL"
    return 1
  fi
  rm -f "$dir/$name.pgid"
}

# ha_restart_node DIR NAME
# Starts NAME's keeper again (`pg_autoctl run` in a new process group, recorded in
# DIR/NAME.pgid). It rejoins the formation by itself: an old primary is demoted and
# rewound (pg_rewind) to follow the new one. Use ha_wait_state to wait for `secondary`.
ha_restart_node() {
  local dir=${1:?usage: ha_restart_node DIR NAME} name=${2:?usage: ha_restart_node DIR NAME}
  dir=$(_ha_abs "$dir")
  _ha_check_node "$name" || return 1
  if _ha_service_alive "$dir" "$name"; then
    _ha_log "$name is still running; ha_kill_node it first"
    return 1
  fi
  _ha_spawn "$dir" "$name" pg_autoctl run --pgdata "$dir/$name"
}

# ha_wait_state DIR NAME STATE TIMEOUT_S
# Waits until the monitor reports NAME in STATE (e.g. secondary, primary, single), with
# the same goal state, i.e. settled. On timeout prints `pg_autoctl show state` and fails.
ha_wait_state() {
  local dir=${1:?usage: ha_wait_state DIR NAME STATE TIMEOUT_S} name=${2:?} state=${3:?} timeout=${4:?}
  dir=$(_ha_abs "$dir")
  local deadline now
  deadline=$(($(date +%s) + timeout))
  while :; do
    now=$(_ha_monitor_sql "$dir" "select reportedstate||'/'||goalstate from pgautofailover.node where nodename = '$name'" 2>/dev/null || true)
    [ "$now" = "$state/$state" ] && return 0
    if [ "$(date +%s)" -ge "$deadline" ]; then
      _ha_log "$name not $state after ${timeout}s (reported/goal: ${now:-unknown})"
      _ha_show_state "$dir"
      return 1
    fi
    sleep 0.5
  done
}

# ha_wait_writable DIR TIMEOUT_S
# Waits until a write through ha_uri succeeds (create table ha_probe + insert). Each
# attempt is bounded by 5 s, as a commit can wait for a standby that is not back yet.
ha_wait_writable() {
  local dir=${1:?usage: ha_wait_writable DIR TIMEOUT_S} timeout=${2:?usage: ha_wait_writable DIR TIMEOUT_S}
  dir=$(_ha_abs "$dir")
  local deadline uri err
  deadline=$(($(date +%s) + timeout))
  uri=$(ha_uri "$dir") || return 1
  while :; do
    if err=$(timeout 5 psql -X -q -v ON_ERROR_STOP=1 "$uri" \
      -c 'create table if not exists ha_probe(x int); insert into ha_probe values (1)' 2>&1 > /dev/null); then
      return 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      _ha_log "not writable after ${timeout}s: ${err:-psql timed out}"
      _ha_show_state "$dir"
      return 1
    fi
    sleep 0.2
  done
}

# ha_wait_sync DIR TIMEOUT_S
# Waits until the primary commits synchronously again: state primary (not wait_primary)
# on the monitor, synchronous_standby_names set and a sync/quorum standby streaming.
# After a failover the new primary takes writes first as wait_primary, with
# synchronous_standby_names = '' (pg_auto_failover's rule whatever number-sync-standbys
# says), until a standby has rejoined: commits acknowledged in that window (~1 s here)
# exist on one node only. On timeout prints `pg_autoctl show state` and fails.
ha_wait_sync() {
  local dir=${1:?usage: ha_wait_sync DIR TIMEOUT_S} timeout=${2:?usage: ha_wait_sync DIR TIMEOUT_S}
  dir=$(_ha_abs "$dir")
  if ! _ha_until "$timeout" _ha_primary_is_sync "$dir"; then
    _ha_log "no synchronous primary after ${timeout}s"
    _ha_show_state "$dir"
    return 1
  fi
}

# True when the writable node is settled in state primary and has a synchronous standby.
_ha_primary_is_sync() {
  local dir=$1 primary
  primary=$(ha_primary "$dir") || return 1
  [ "$(_ha_monitor_sql "$dir" "select reportedstate||'/'||goalstate from pgautofailover.node where nodename = '$primary'")" = primary/primary ] || return 1
  [ -n "$(_ha_node_sql "$dir" "$primary" 'show synchronous_standby_names')" ] || return 1
  [ "$(_ha_node_sql "$dir" "$primary" "select count(*) from pg_stat_replication where state = 'streaming' and sync_state in ('sync', 'quorum')")" -ge 1 ]
}

# ha_stop_cluster DIR
# Stops every service of the cluster: SIGTERM to each pg_autoctl group (a clean postgres
# shutdown) and SIGINT to any postmaster of DIR, then SIGKILL to whatever is left after
# 15 s. Never leaves a process behind,
# never fails, and does nothing on a directory already stopped (or never started).
ha_stop_cluster() {
  local dir=${1:?usage: ha_stop_cluster DIR} name pgid pm deadline alive
  dir=$(_ha_abs "$dir")
  [ -d "$dir" ] || return 0
  for name in "${HA_NODES[@]}" monitor; do
    if [ -s "$dir/$name.pgid" ]; then
      pgid=$(cat "$dir/$name.pgid" 2>/dev/null || true)
      if [ -n "$pgid" ] && _ha_group_is_ours "$dir" "$pgid"; then
        kill -TERM -- "-$pgid" 2>/dev/null || true
      fi
    fi
  done
  # A postmaster left without its keeper (e.g. start interrupted): fast shutdown.
  for name in "${HA_NODES[@]}" monitor; do
    pm=$(_ha_postmaster_pid "$dir/$name")
    if [ -n "$pm" ]; then kill -INT "$pm" 2>/dev/null || true; fi
  done
  deadline=$(($(date +%s) + 15))
  while :; do
    alive=
    for name in "${HA_NODES[@]}" monitor; do
      _ha_service_alive "$dir" "$name" && alive+=" $name"
    done
    [ -z "$alive" ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      _ha_log "still running after SIGTERM:$alive; killing"
      for name in $alive; do _ha_kill_service "$dir" "$name"; done
      for name in $alive; do _ha_wait_dead "$dir" "$name" 5 || _ha_log "$name: could not kill"; done
      break
    fi
    sleep 0.2
  done
  rm -f "$dir"/*.pgid
  return 0
}

# --- HAProxy ---------------------------------------------------------------------------

# ha_haproxy_config FILE PORT BACKEND_PORT...
# Writes an HAProxy 2.6 config to FILE: HTTP on 127.0.0.1:PORT, least-connections over
# app servers on 127.0.0.1:BACKEND_PORT..., each health-checked with GET /readyz every
# 500 ms (down after 2 failures, up after 2 successes); a request whose connection fails
# is retried twice, on another server. A stats socket is at FILE.sock.
ha_haproxy_config() {
  local file=${1:?usage: ha_haproxy_config FILE PORT BACKEND_PORT...} port=${2:?usage: ha_haproxy_config FILE PORT BACKEND_PORT...}
  file=$(realpath -m -- "$file")
  shift 2
  [ $# -ge 1 ] || { _ha_log "ha_haproxy_config: no backend port given"; return 1; }
  local i=0 backend
  {
    cat <<EOF
# Generated by ha_haproxy_config (.ci/ha/cluster.sh)
global
    log stderr format raw local0 info
    maxconn 4096
    stats socket $file.sock mode 600 level admin

defaults
    mode http
    log global
    option httplog
    # Log only errors, retries, redispatches and health-check changes.
    option dontlog-normal
    option dontlognull
    option forwardfor
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 5s
    timeout check 1s
    retries 2
    option redispatch
    # With no replica up (the database failing over), HAProxy answers as sancha does:
    # 503 with Retry-After and a problem, so phones keep the visit and send it again.
    http-error status 503 content-type "application/problem+json" hdr Retry-After 5 hdr Content-Language zh-CN string '{"type":"urn:sancha:problem:unavailable","title":"服务暂时不可用，请稍后重试","status":503,"code":"unavailable","errors":[]}'

frontend sancha
    bind 127.0.0.1:$port
    default_backend sancha_app

backend sancha_app
    balance leastconn
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
EOF
    for backend in "$@"; do
      i=$((i + 1))
      echo "    server app$i 127.0.0.1:$backend check"
    done
  } > "$file"
}

HA_HAPROXY_LAST=

# ha_haproxy_start FILE
# Checks FILE with `haproxy -c`, then runs haproxy in the foreground (no daemon mode) in
# a new session, in the background, logging to FILE.log, pid in FILE.pid. Returns once
# the frontend port accepts connections.
ha_haproxy_start() {
  local file=${1:?usage: ha_haproxy_start FILE} port pid i
  file=$(realpath -m -- "$file")
  haproxy -c -q -f "$file" || { _ha_log "invalid HAProxy config: $file"; return 1; }
  if [ -s "$file.pid" ] && kill -0 "$(cat "$file.pid")" 2>/dev/null; then
    _ha_log "haproxy for $file already runs (pid $(cat "$file.pid"))"
    return 1
  fi
  rm -f "$file.pid"
  # shellcheck disable=SC2016
  # In a subshell, so that haproxy is not a child of the caller (whose `wait` would hang).
  (setsid bash -c 'echo $$ > "$0"; exec haproxy -db -f "$1"' "$file.pid" "$file" >> "$file.log" 2>&1 < /dev/null &)
  HA_HAPROXY_LAST=$file
  port=$(awk '$1 == "bind" { sub(/.*:/, "", $2); print $2; exit }' "$file")
  for i in $(seq 1 50); do
    if [ -s "$file.pid" ]; then
      pid=$(cat "$file.pid")
      kill -0 "$pid" 2>/dev/null || break
      if [ -z "$port" ] || _ha_port_busy "$port"; then return 0; fi
    fi
    sleep 0.1
  done
  _ha_log "haproxy did not start, see $file.log"
  return 1
}

# ha_haproxy_stop [FILE]
# Stops the haproxy started by ha_haproxy_start FILE (default: the last one started);
# SIGKILL after 5 s. Safe to call when it is not running.
ha_haproxy_stop() {
  local file=${1:-$HA_HAPROXY_LAST} pid i
  [ -n "$file" ] && [ -s "$file.pid" ] || return 0
  pid=$(cat "$file.pid")
  if tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -q haproxy; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file.pid"
}

# ha_haproxy_servers FILE
# Prints "server status" for each app server, from the stats socket (e.g. "app1 UP").
ha_haproxy_servers() {
  local file=${1:?usage: ha_haproxy_servers FILE}
  python3 - "$file.sock" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
lines = data.decode().splitlines()
cols = lines[0].lstrip("# ").split(",")
for line in lines[1:]:
    row = dict(zip(cols, line.split(",")))
    if row.get("svname") not in (None, "", "FRONTEND", "BACKEND"):
        print(row["svname"], row["status"])
EOF
}
