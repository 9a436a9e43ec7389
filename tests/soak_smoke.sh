#!/bin/sh
# soak_smoke: `ledgerctl bench --suite soak` for 20 seconds against a real
# ledgerd on a small demo log (1,000 subscribers, slow readers, reconnecting
# clients); every figure is printed and there are no errors.
# Usage: soak_smoke.sh LEDGERCTL LEDGERD
set -u
ctl=$1
ledgerd=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/soak-smoke.XXXXXX")
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
  echo "soak_smoke: $*" >&2
  exit 1
}

# 1,000 subscribers and their ledgerd ends, in one process tree.
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"

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

"$ctl" bench --suite soak --url "ws://127.0.0.1:$port/ws" --pid "$pid" --keys "$dir/keys" \
  --seconds 20 >"$dir/soak.out" 2>&1
rc=$?
cat "$dir/soak.out"
for figure in "submitted:" "queries:" "subscriber messages:" "reconnections:" \
  "slow readers dropped:" "resident memory:" "resident growth after warm-up:" \
  "open descriptors:"; do
  grep -qF "$figure" "$dir/soak.out" || fail "no \"$figure\" line"
done
grep -q "^errors: *0$" "$dir/soak.out" || fail "errors were reported"
grep -q "(no leak)" "$dir/soak.out" || fail "ledgerd kept descriptors open"
kill -0 "$pid" 2>/dev/null || fail "ledgerd died under the soak"
# Growth over 20 seconds is mostly the warm-up itself: reported, judged on the long run.
[ "$rc" -eq 0 ] || grep -q "limit 10%: NOT met" "$dir/soak.out" || fail "bench exited $rc"
echo "soak_smoke: ok"
