#!/bin/sh
# bench_api_smoke: `ledgerctl bench --suite api` runs against a real ledgerd
# on a small demo log and prints every figure (not how fast; not timed).
# Usage: bench_api_smoke.sh LEDGERCTL LEDGERD
set -u
ctl=$1
ledgerd=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-api-smoke.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
  echo "bench_api_smoke: $*" >&2
  exit 1
}

"$ctl" demo --data "$dir/log" --events 500 --keys-out "$dir/keys" >/dev/null ||
  fail "demo failed"
"$ledgerd" --data "$dir/log" --listen 127.0.0.1:0 >"$dir/ledgerd.out" 2>"$dir/ledgerd.err" &
pid=$!
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's/^ledgerd listening on http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$dir/ledgerd.out")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "ledgerd exited: $(cat "$dir/ledgerd.err")"
  sleep 0.1
done
[ -n "$port" ] || fail "ledgerd printed no listening line"

"$ctl" bench --suite api --url "ws://127.0.0.1:$port/ws" --keys "$dir/keys" --clients 4 \
  --decisions 100 --subscribers 4 --seconds 2 >"$dir/bench.out" 2>&1
rc=$?
cat "$dir/bench.out"
[ "$rc" -eq 0 ] || fail "bench exited $rc"
for figure in "ed25519 verify (1 core):" "submit throughput:" "query latency:" \
  "fan-out delivery:" "subscribers dropped:"; do
  grep -qF "$figure" "$dir/bench.out" || fail "no \"$figure\" line"
done
echo "bench_api_smoke: ok"
