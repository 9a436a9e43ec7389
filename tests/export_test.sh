#!/usr/bin/env bash
# export, import and outside verification end to end, on a real demo log:
#   (a) the by-hand steps of docs/verification.md, run exactly as written
#       there (with openssl), and tests/verify_export.py, agree with
#       ledgerctl verify;
#   (b) one byte changed in a signature, a payload or a proof is caught by
#       import, by verify --bundle, by the Python verifier and by the steps;
#   (c) export -> import -> verify gives the same programme and root, and
#       every refusal of import leaves nothing behind.
#
#   export_test.sh LEDGERCTL SOURCE_DIR
set -uo pipefail
ctl=$(realpath "$1")
src=$(realpath "$2")
py="python3 $src/tests/verify_export.py"
work=$(mktemp -d /tmp/export-test-XXXXXX)
trap 'rm -rf "$work"' EXIT
# Debian's python3 and python3-cryptography (tools/setup.sh), whatever else
# is first on the PATH.
mkdir -p "$work/bin" && ln -s /usr/bin/python3 "$work/bin/python3"
export PATH="$work/bin:$PATH"
cd "$work"
passed=0 failed=0

pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAILED: $1"; }
check() {  # check WHAT COMMAND...: the command succeeds
  local what=$1; shift
  if "$@" >"$work/out" 2>"$work/err"; then pass "$what"; else fail "$what"; cat "$work/err"; fi
}
# refused WHAT RULE COMMAND...: the command exits 1 and names RULE on stderr.
refused() {
  local what=$1 rule=$2; shift 2
  "$@" >"$work/out" 2>"$work/err"
  local code=$?
  if [[ $code -eq 1 ]] && grep -q -- "$rule" "$work/err"; then
    pass "$what ($(head -c 160 "$work/err" | tr '\n' ' '))"
  else
    fail "$what: exit $code, expected rule $rule"; cat "$work/err"
  fi
}
# nothing_left DIR: no DIR and no staging directory beside it.
nothing_left() {
  if [[ ! -e $1 ]] && ! compgen -G "$(dirname "$1")/.$(basename "$1").importing-*" >/dev/null; then
    pass "nothing left at $1"
  else
    fail "import left something at $1"; ls -la "$(dirname "$1")"
  fi
}
json() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
# tamper FILE OUT LINE_OR_- WHAT: changes one byte of WHAT (signature, payload,
# proof, root) in line LINE of a JSON Lines file, or in the first event of a
# bundle (-). The byte stays a valid character of its encoding, so only the
# check of that field can catch it.
tamper() {
  python3 - "$@" <<'EOF'
import hashlib, json, sys
path, out, line, what = sys.argv[1:5]
def flip(text, alphabet, at=None):
    i = len(text) // 3 if at is None else at
    c = text[i]
    return text[:i] + (alphabet[0] if c != alphabet[0] else alphabet[1]) + text[i + 1:]
def change(ev):
    if what == "signature":
        # The leaf hash is recomputed too, so only the signature check is left.
        ev["plsignatures"] = flip(ev["plsignatures"], "AB", ev["plsignatures"].index(":") + 10)
        d = {"body": ev["plbody"], "decision_id": ev["id"], "issued_at": ev["time"],
             "payload": ev["data"], "type": ev["type"][len("org.cast-partnership."):]}
        sigs = [dict(zip(("key_id", "signature"), p.split(":"))) for p in ev["plsignatures"].split()]
        entry = b"partnership-ledger/entry/v1\n" + json.dumps(
            {"decision": d, "recorded_at": ev["plrecordedat"], "sequence": ev["plsequence"],
             "signatures": sigs}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        ev["plleafhash"] = hashlib.sha256(b"\0" + entry).hexdigest()
    elif what == "payload":
        key = "project_id" if "project_id" in ev["data"] else sorted(ev["data"])[0]
        ev["data"][key] = flip(str(ev["data"][key]), "XY")
    elif what == "proof":
        ev["plinclusion"] = flip(ev["plinclusion"], "01")
    elif what == "root":
        ev["data"]["root"] = flip(ev["data"]["root"], "01")
if line == "-":
    bundle = json.load(open(path))
    change(bundle["events"][0])
    json.dump(bundle, open(out, "w"), ensure_ascii=False)
else:
    lines = open(path, encoding="utf-8").read().splitlines()
    n = int(line) - 1
    ev = json.loads(lines[n]); change(ev)
    lines[n] = json.dumps(ev, ensure_ascii=False, separators=(",", ":"))
    open(out, "w", encoding="utf-8").write("\n".join(lines) + "\n")
EOF
}

# A demo programme of 2000 decisions.
"$ctl" demo --data demo --events 2000 >/dev/null 2>demo.err || { cat demo.err; exit 1; }
"$ctl" verify --data demo >verify.json || exit 1
root=$(json verify.json root)

# --- the export itself
check "export of the whole log" "$ctl" export --data demo --out full.jsonl
lines=$(wc -l <full.jsonl)
[[ $lines -eq 2001 ]] && pass "2000 events and a tree head line" || fail "export has $lines lines"
python3 - full.jsonl "$root" <<'EOF' && pass "CloudEvents attributes, head line last" || fail "CloudEvents shape"
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
for ev in lines[:-1]:
    assert ev["specversion"] == "1.0" and ev["datacontenttype"] == "application/json"
    assert ev["type"].startswith("org.cast-partnership.") and ev["source"].startswith("urn:partnership-ledger:")
    assert all(re.fullmatch("[a-z0-9]{1,20}", name) for name in ev), ev.keys()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", ev["time"])
    assert "plinclusion" not in ev
head = lines[-1]
assert head["type"] == "org.cast-partnership.log.tree_head" and head["data"]["size"] == 2000
assert head["data"]["root"] == sys.argv[2]
EOF

# --- (a) the by-hand steps of docs/verification.md, exactly as written there
mkdir hand && ln -s "$work/demo" hand/demo
sed -n '/<!-- verification-steps:begin -->/,/<!-- verification-steps:end -->/p' \
  "$src/docs/verification.md" | awk '/^```sh$/{on=1; next} /^```$/{on=0} on' >steps.sh
[[ $(grep -c openssl steps.sh) -ge 4 ]] && pass "steps extracted from docs/verification.md" \
  || fail "no steps found in docs/verification.md"
(cd hand && PATH="$(dirname "$ctl"):$PATH" bash ../steps.sh) >hand.out 2>&1
code=$?
cat hand.out
[[ $code -eq 0 ]] && pass "the documented steps verify a decision, its leaf, its inclusion, the head, a consistency proof" \
  || fail "the documented steps failed (exit $code)"
[[ $(grep -c "Signature Verified Successfully" hand.out) -ge 3 ]] \
  && pass "openssl verified both co-chairs' signatures and the tree head" || fail "openssl did not verify"
grep -q "inclusion: .* root $root" hand.out && pass "the steps reach ledgerctl verify's root" \
  || fail "the steps' root differs from ledgerctl verify's $root"

# The steps fail on a copy with one byte of the approval's signature changed.
approval=$(grep -n -m1 '"type":"org.cast-partnership.project.approved"' hand/project.jsonl | cut -d: -f1)
mkdir hand-tampered && ln -s "$work/demo" hand-tampered/demo
sed -e 's/^ledgerctl export .* --out project.jsonl$/cp ..\/tampered-project.jsonl project.jsonl/' \
  steps.sh >steps-tampered.sh
tamper hand/project.jsonl tampered-project.jsonl "$approval" signature
(cd hand-tampered && PATH="$(dirname "$ctl"):$PATH" bash ../steps-tampered.sh) >hand-tampered.out 2>&1 \
  && fail "the documented steps passed a changed signature" \
  || pass "the documented steps reject a changed signature ($(grep -m1 -i "fail\|error" hand-tampered.out | head -c 80))"

# The independent Python verifier agrees with ledgerctl verify.
check "verify_export.py on the full export" $py full.jsonl
[[ $(json out root) == "$root" && $(json out signatures) -gt 2000 ]] \
  && pass "Python: every signature, same root $root" || fail "Python's report: $(cat out)"
check "verify_export.py on the subject export" $py hand/project.jsonl
check "verify_export.py on the bundle" $py --bundle hand/project.bundle.json
check "ledgerctl verify --bundle" "$ctl" verify --bundle hand/project.bundle.json
[[ $(json out root) == "$root" && $(json out consistent_from) == 1000 ]] \
  && pass "verify --bundle: same root, consistent from 1000" || fail "verify --bundle: $(cat out)"

# A range export: every line carries a proof; the Python verifier checks each.
check "export --from 100 --to 199" "$ctl" export --data demo --from 100 --to 199 --out range.jsonl
[[ $(grep -c plinclusion range.jsonl) -eq 100 ]] && pass "100 events, each with its proof" \
  || fail "range export"
check "verify_export.py on the range" $py range.jsonl
check "export --format iati" "$ctl" export --data demo --format iati --out projects.xml
grep -q '<iati-activities version="2.03"' projects.xml && pass "an IATI 2.03 document" || fail "no IATI document"
check "bundle of the whole log" "$ctl" export --data demo --bundle --out full.bundle.json
check "verify --bundle on the whole log" "$ctl" verify --bundle full.bundle.json

# --- (b) one byte changed: signature, payload, proof
tamper full.jsonl t-sig.jsonl 1500 signature
tamper full.jsonl t-data.jsonl 1500 payload
tamper range.jsonl t-proof.jsonl 50 proof
tamper hand/project.bundle.json t-sig.bundle - signature
tamper hand/project.bundle.json t-data.bundle - payload
tamper hand/project.bundle.json t-proof.bundle - proof
refused "import: changed signature" "signature.invalid" "$ctl" import --data i-sig t-sig.jsonl
nothing_left "$work/i-sig"
refused "import: changed payload" "export.signed_bytes" "$ctl" import --data i-data t-data.jsonl
nothing_left "$work/i-data"
"$ctl" export --data demo --to 999 --out first-1000.jsonl
refused "import: a partial export" "import.partial" "$ctl" import --data i-range first-1000.jsonl
nothing_left "$work/i-range"
refused "verify --bundle: changed signature" "signature.invalid" "$ctl" verify --bundle t-sig.bundle
refused "verify --bundle: changed payload" "export.signed_bytes" "$ctl" verify --bundle t-data.bundle
refused "verify --bundle: changed proof" "bundle.inclusion" "$ctl" verify --bundle t-proof.bundle
refused "Python: changed signature" "does not verify" $py t-sig.jsonl
refused "Python: changed payload" "signing bytes differ" $py t-data.jsonl
refused "Python: changed proof" "inclusion proof" $py t-proof.jsonl
refused "Python: changed signature in a bundle" "does not verify" $py --bundle t-sig.bundle
refused "Python: changed payload in a bundle" "signing bytes differ" $py --bundle t-data.bundle
refused "Python: changed proof in a bundle" "inclusion proof" $py --bundle t-proof.bundle

# A bundle whose key list lies about a key is caught too: a later
# registration, another body, or the registering events left out.
edit_bundle() {  # edit_bundle OUT PYTHON_STATEMENT (on b, the bundle)
  python3 - hand/project.bundle.json "$1" "$2" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(b, open(sys.argv[2], "w"), ensure_ascii=False)
EOF
}
edit_bundle late.bundle 'for k in b["keys"]: k["registered_seq"] = 1999'
edit_bundle body.bundle 'for k in b["keys"]: k["body_id"] = "secretariat" if k["body_id"] != "secretariat" else "joint-committee"'
edit_bundle bare.bundle 'b["key_events"] = []'
refused "verify --bundle: a key registered later than it signed" "bundle.key_validity" "$ctl" verify --bundle late.bundle
refused "verify --bundle: a key of another body" "bundle.key_body" "$ctl" verify --bundle body.bundle
refused "verify --bundle: no events behind the keys" "bundle.key_evidence" "$ctl" verify --bundle bare.bundle
refused "Python: a key registered later than it signed" "was not valid then" $py --bundle late.bundle
refused "Python: a key of another body" "was not of an officer" $py --bundle body.bundle
refused "Python: no events behind the keys" "missing or does not say so" $py --bundle bare.bundle

# --- (c) import round trip
check "import of the full export" "$ctl" import --data imported full.jsonl
check "ledgerctl verify of the imported log" "$ctl" verify --data imported
[[ $(json out root) == "$root" ]] && pass "imported root = original root" || fail "imported root"
"$ctl" replay --data demo --format json >state-a.json
"$ctl" replay --data imported --format json >state-b.json
[[ -s state-a.json ]] && cmp -s state-a.json state-b.json && pass "same programme state (replay --format json)" \
  || fail "the imported programme differs"
"$ctl" head --data demo >head-a.json
"$ctl" head --data imported >head-b.json
[[ $(json head-a.json key_id) != $(json head-b.json key_id) ]] \
  && pass "the imported log signs with its own new log key" || fail "log key copied"
refused "import into a directory that holds a log" "import.exists" "$ctl" import --data imported full.jsonl
log_key=$(json head-a.json key_id)
check "import --log-key-id of the original" "$ctl" import --data imported-2 --log-key-id "$log_key" full.jsonl
refused "import --log-key-id of another log" "export.log_key" \
  "$ctl" import --data i-other --log-key-id "$(json head-b.json key_id)" full.jsonl
nothing_left "$work/i-other"
check "verify --bundle --log-key-id of the original" \
  "$ctl" verify --bundle hand/project.bundle.json --log-key-id "$log_key"
refused "verify --bundle --log-key-id of another log" "export.log_key" \
  "$ctl" verify --bundle hand/project.bundle.json --log-key-id "$(json head-b.json key_id)"

# Refusals, each leaving nothing behind.
sed '1000d' full.jsonl >gap.jsonl
refused "import: a gap" "import.sequence" "$ctl" import --data i-gap gap.jsonl
nothing_left "$work/i-gap"
awk 'NR==1000{held=$0; next} NR==1001{print; print held; next} {print}' full.jsonl >swap.jsonl
refused "import: two events out of order" "import.sequence" "$ctl" import --data i-swap swap.jsonl
nothing_left "$work/i-swap"
tamper full.jsonl t-root.jsonl 2001 root
refused "import: a tree head whose root was changed" "tree_head.signature" \
  "$ctl" import --data i-root t-root.jsonl
nothing_left "$work/i-root"
# A head signed by another key, for a root the events do not give: every line
# is consistent with that key, so only the rebuilt root can tell.
python3 - full.jsonl forged.jsonl <<'EOF'
import base64, hashlib, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization
key = Ed25519PrivateKey.generate()
raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
key_id = hashlib.sha256(raw).hexdigest()
lines = [json.loads(l) for l in open(sys.argv[1])]
for ev in lines:
    ev["source"] = "urn:partnership-ledger:" + key_id
head = lines[-1]["data"]
head["root"] = hashlib.sha256(b"not the root").hexdigest()
head["key_id"], head["log_public_key"] = key_id, base64.b64encode(raw).decode()
signed = "partnership-ledger/tree-head/v1\n%d\n%s\n%s\n" % (
    head["size"], base64.b64encode(bytes.fromhex(head["root"])).decode(), head["timestamp"])
head["signature"] = base64.b64encode(key.sign(signed.encode())).decode()
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for ev in lines:
        out.write(json.dumps(ev, ensure_ascii=False, separators=(",", ":")) + "\n")
EOF
refused "import: a signed head whose root the events do not give" "import.root" \
  "$ctl" import --data i-forged forged.jsonl
nothing_left "$work/i-forged"
refused "Python: the same forged head" "give root" $py forged.jsonl
mkdir empty-target
check "import into an empty directory" "$ctl" import --data empty-target full.jsonl

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
