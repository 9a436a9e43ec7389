#!/usr/bin/env bash
# Installs what is missing, builds, creates the demo programme history in
# data/demo (once), verifies it, and serves it with ledgerd: open the printed
# URL for the dashboard. Ctrl-C stops the server (it checkpoints and exits).
#
#   tools/run.sh [--events N] [--listen ADDR:PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
events=20000
listen=127.0.0.1:8480
while (($#)); do
  case $1 in
    --events) events=$2; shift 2 ;;
    --listen) listen=$2; shift 2 ;;
    *) echo "usage: tools/run.sh [--events N] [--listen ADDR:PORT]" >&2; exit 2 ;;
  esac
done
tools/setup.sh
ctl=build/tools/ledgerctl
demo=data/demo
if [[ ! -f $demo/log/data.mdb ]]; then
  echo "== creating the demo history ($events decisions, 2012-2026) in $demo/log"
  rm -rf "$demo"
  $ctl demo --data "$demo/log" --events "$events" --keys-out "$demo/keys"
fi
echo "== verifying every signature, hash and rule"
$ctl verify --data "$demo/log"
echo "== the programme today"
$ctl replay --data "$demo/log"
echo
echo "Officers' keys for new decisions: $demo/keys (officers.json lists who is who)."
ledgerd=build/api/ledgerd
if [[ -x $ledgerd ]]; then
  exec $ledgerd --data "$demo/log" --listen "$listen"
fi
