#!/bin/sh
# bench_full_smoke: `ledgerctl bench --suite full --quick` sets up everything
# itself (a demo log, a private PostgreSQL server, SQLite, a real ledgerd),
# prints every figure in its table and writes every key to its JSON file
# (not how fast: the figures' values are not judged). Then the suites'
# refusals: each names its rule and exits non-zero.
# Usage: bench_full_smoke.sh LEDGERCTL LEDGERD
set -u
ctl=$1
ledgerd=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-full-smoke.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM

fail() {
  echo "bench_full_smoke: $*" >&2
  exit 1
}

"$ctl" bench --suite full --quick --ledgerd "$ledgerd" --json "$dir/full.json" \
  >"$dir/full.out" 2>&1
rc=$?
cat "$dir/full.out"
[ "$rc" -eq 0 ] || fail "bench --suite full --quick exited $rc"

# Every figure of the table, by its label.
for figure in "Ed25519 verify, 1 core" "cores at once" \
  "append batch 1: LMDB store" "append batch 10: LMDB / PostgreSQL" \
  "append batch 100: LMDB / PostgreSQL" "append batch 1000: LMDB / SQLite" \
  "append 50 writers: LMDB / PostgreSQL" "append 50 writers: LMDB / SQLite" \
  "verified ingest through ledgerd" "ingest / all-core verify" \
  "rebuild of every projection" "full re-verification" \
  "re-verification signatures / all-core verify" \
  "state lookup in process, p50" "state lookup in process, p99" \
  "audit by subject in process, p50" "audit by subject in process, p99" \
  "query over WebSocket at 1,000/s, p50" "query over WebSocket at 1,000/s, p99" \
  "fan-out: events submitted" "fan-out delivery from commit, p50" \
  "fan-out delivery from commit, p99" "subscribers dropped" \
  "ledgerd memory per subscriber" "canonical event size" \
  "on disk per event (data directory)" "on disk per event, less the checkpoints" \
  "ledgerd resident memory after start-up" "projections' heap after a rebuild" \
  "start-up with a checkpoint (in process)" "ledgerd start-up to serving"; do
  grep -qF "$figure" "$dir/full.out" || fail "no \"$figure\" in the table"
done

# Every key of the JSON, each a number; the storage steps with all three systems.
python3 - "$dir/full.json" <<'PY' || fail "the JSON file is incomplete"
import json, sys
doc = json.load(open(sys.argv[1]))
keys = """verify_1core_per_s verify_all_cores_per_s
append_batch_1_lmdb_per_s append_batch_1_lmdb_over_postgresql append_batch_1_lmdb_over_sqlite
append_batch_10_lmdb_per_s append_batch_10_lmdb_over_postgresql append_batch_10_lmdb_over_sqlite
append_batch_100_lmdb_per_s append_batch_100_lmdb_over_postgresql append_batch_100_lmdb_over_sqlite
append_batch_1000_lmdb_per_s append_batch_1000_lmdb_over_postgresql append_batch_1000_lmdb_over_sqlite
append_writers_lmdb_per_s append_writers_lmdb_over_postgresql append_writers_lmdb_over_sqlite
ingest_decisions_per_s ingest_ratio rebuild_events_per_s reverify_events_per_s reverify_ratio
state_lookup_p50_ms state_lookup_p99_ms audit_subject_p50_ms audit_subject_p99_ms
query_ws_p50_ms query_ws_p99_ms fanout_events_per_s fanout_p50_ms fanout_p99_ms
subscribers_dropped memory_per_subscriber_kib canonical_bytes_per_event disk_bytes_per_event
disk_bytes_per_event_without_checkpoints ledgerd_resident_mib projections_heap_mib
startup_programme_ms startup_ledgerd_ms as_of_median_ms as_of_max_ms""".split()
figures = doc["figures"]
missing = [k for k in keys if not isinstance(figures.get(k), (int, float))]
extra = [k for k in figures if k not in keys]
for k in ("ingest_ratio", "rebuild_events_per_s", "reverify_ratio", "query_ws_p99_ms",
          "fanout_p99_ms", "subscribers_dropped", "disk_bytes_per_event", "as_of_max_ms",
          "startup_programme_ms", "projections_heap_mib"):
    if not isinstance(doc["targets"].get(k, {}).get("met"), bool):
        missing.append("targets." + k)
steps = doc["storage"]["steps"]
if [s["step"] for s in steps] != ["batch 1", "batch 10", "batch 100", "batch 1000", "50 writers"]:
    missing.append("storage.steps")
for s in steps:
    for system in ("lmdb", "postgresql", "sqlite"):
        if not s[system + "_rows_per_s"] > 0:
            missing.append(s["step"] + " " + system)
# Every appended, verified or delivered figure comes from real work.
for k in ("verify_1core_per_s", "ingest_decisions_per_s", "rebuild_events_per_s",
          "reverify_events_per_s", "canonical_bytes_per_event", "disk_bytes_per_event",
          "startup_ledgerd_ms", "fanout_events_per_s"):
    if not figures.get(k, 0) > 0:
        missing.append(k + " > 0")
if missing or extra:
    print("missing:", missing, "unexpected:", extra)
    sys.exit(1)
PY

# Refusals: each exits non-zero and names its rule.
refused() {
  want_rc=$1
  rule=$2
  shift 2
  "$ctl" "$@" >"$dir/refused.out" 2>&1
  got=$?
  [ "$got" -eq "$want_rc" ] || fail "$* exited $got, not $want_rc: $(cat "$dir/refused.out")"
  grep -qF "$rule" "$dir/refused.out" || fail "$* did not name $rule: $(cat "$dir/refused.out")"
}
refused 1 bench.rows bench --suite storage --rows 5
refused 3 bench.postgresql bench --suite storage --rows 10 --pg-bin "$dir/no-postgresql"
refused 3 bench.ledgerd bench --suite full --quick --ledgerd "$dir/no-ledgerd"
"$ctl" demo --data "$dir/nokeys" --events 50 >/dev/null || fail "demo failed"
refused 1 bench.keys bench --suite full --quick --ledgerd "$ledgerd" --data "$dir/nokeys" \
  --rows 10 --dir "$dir/storage"
echo "bench_full_smoke: ok"
