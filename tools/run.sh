#!/usr/bin/env bash
# Installs what is missing, builds, and shows the ledger at work: a demo
# data directory in ./data/demo with signed decisions of the programme's
# bodies, appended, verified and proved with ledgerctl.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
ctl=build/tools/ledgerctl
demo=data/demo
rm -rf "$demo"
mkdir -p "$demo/keys"
for officer in jc-cochair-cn jc-cochair-asean secretariat-head; do
  $ctl keygen --out "$demo/keys/$officer" >/dev/null
done
cat >"$demo/decisions.json" <<'JSON'
{"decision_id":"jc-2012-001","type":"governance.genesis","body":"joint-committee","issued_at":"2012-03-01T09:00:00Z","payload":{"programme":"China-ASEAN Science and Technology Partnership Programme","name_zh":"中国-东盟科技伙伴计划"}}
{"decision_id":"jc-2012-002","type":"project.approved","body":"joint-committee","issued_at":"2012-06-15T09:00:00Z","payload":{"project_id":"P-2012-0001","priority_area":"B10","mode":"M5","budget":{"amount":150000000,"currency":"CNY"},"partners":["TH","VN"]}}
{"decision_id":"sec-2012-001","type":"funding.committed","body":"secretariat","issued_at":"2012-07-01T09:00:00Z","payload":{"project_id":"P-2012-0001","source":"cn_government","amount":50000000,"currency":"CNY"}}
JSON
$ctl sign --key "$demo/keys/jc-cochair-cn.key" --key "$demo/keys/jc-cochair-asean.key" \
  <(head -n 2 "$demo/decisions.json") >"$demo/signed.jsonl"
$ctl sign --key "$demo/keys/secretariat-head.key" <(tail -n 1 "$demo/decisions.json") \
  >>"$demo/signed.jsonl"
echo "== append (group commit, signatures checked first)"
$ctl append --data "$demo/log" --keys "$demo/keys" --create "$demo/signed.jsonl"
echo "== signed tree head"
$ctl head --data "$demo/log"
echo "== verify every signature and the Merkle root"
$ctl verify --data "$demo/log" --keys "$demo/keys"
echo "== inclusion proof of decision jc-2012-002"
$ctl prove --data "$demo/log" --id jc-2012-002
echo
echo "Demo log in $demo/log; try: $ctl tail --data $demo/log"
