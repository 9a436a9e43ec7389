#!/usr/bin/env python3
"""An independent check of a Partnership Ledger export, written from
docs/encoding.md and docs/verification.md alone (it shares no code with
ledgerctl): Python's json for RFC 8785 canonical JSON, hashlib for SHA-256,
and python3-cryptography for Ed25519.

    verify_export.py EXPORT.jsonl        a JSON Lines export (full or partial)
    verify_export.py --bundle FILE.json  a bundle (ledgerctl export --bundle)

Prints {"events", "root", "signatures", "size", "verified": true} and exits 0,
or prints "verify_export: <what failed>" on stderr and exits 1.

A full export is checked whole: every event's signing bytes, leaf hash and
signatures (with the keys the export's own governance events register and
end), the Merkle root of all leaves against the tree head, and the head's
signature. A partial export is checked line by line against the head with
its inclusion proofs; its signatures need the keys of a bundle.
"""
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PREFIX = "org.cast-partnership."
HEAD_TYPE = "org.cast-partnership.log.tree_head"


class Refused(Exception):
    pass


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data):
    return hashlib.sha256(data).digest()


def node(left, right):
    return sha256(b"\x01" + left + right)


def root_of(leaves):
    """MTH of RFC 9162 section 2.1.1."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(root_of(leaves[:k]), root_of(leaves[k:]))


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 section 2.1.4.2."""
    if first == second:
        return not proof and first_root == second_root
    if first == 0 or first > second or not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_root] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


def public_key(raw):
    return Ed25519PublicKey.from_public_bytes(raw)


def check_signature(raw_key, message, signature, what):
    try:
        public_key(raw_key).verify(signature, message)
    except InvalidSignature:
        raise Refused(what + ": the signature does not verify")


def check_head(head, log_raw):
    """The tree head's signature under the log key (docs/encoding.md section 6)."""
    if hashlib.sha256(log_raw).hexdigest() != head["key_id"]:
        raise Refused("the tree head names key %s, not the log key" % head["key_id"])
    signed = "partnership-ledger/tree-head/v1\n%d\n%s\n%s\n" % (
        head["size"], base64.b64encode(bytes.fromhex(head["root"])).decode(), head["timestamp"])
    check_signature(log_raw, signed.encode(), base64.b64decode(head["signature"]),
                    "tree head of size %d" % head["size"])


def read_event(ev):
    """Re-creates the signing bytes and the leaf hash of an exported event."""
    seq = ev["plsequence"]
    what = "event %d (decision %s)" % (seq, ev["id"])
    if ev["specversion"] != "1.0" or not ev["type"].startswith(PREFIX):
        raise Refused(what + ": not a Partnership Ledger CloudEvent")
    decision = {"body": ev["plbody"], "decision_id": ev["id"], "issued_at": ev["time"],
                "payload": ev["data"], "type": ev["type"][len(PREFIX):]}
    signing = b"partnership-ledger/decision/v1\n" + canonical(decision)
    if signing != base64.b64decode(ev["plsignedbytes"]):
        raise Refused(what + ": re-created signing bytes differ from plsignedbytes")
    signatures = []
    for pair in ev["plsignatures"].split():
        key_id, sig = pair.split(":", 1)
        signatures.append({"key_id": key_id, "signature": sig})
    entry = b"partnership-ledger/entry/v1\n" + canonical(
        {"decision": decision, "recorded_at": ev["plrecordedat"], "sequence": seq,
         "signatures": signatures})
    leaf = sha256(b"\x00" + entry)
    if leaf.hex() != ev["plleafhash"]:
        raise Refused(what + ": the entry hashes to %s, not plleafhash" % leaf.hex())
    return seq, what, decision, signatures, leaf, signing


def walk_keys(value, found):
    """Every {key_id or new_key_id, public_key} object in a payload."""
    if isinstance(value, dict):
        # A rotation names the old key as key_id and the new one as new_key_id.
        name = "new_key_id" if "new_key_id" in value else "key_id"
        if name in value and "public_key" in value:
            found.append((value[name], value["public_key"]))
        for member in value.values():
            walk_keys(member, found)
    elif isinstance(value, list):
        for item in value:
            walk_keys(item, found)


def verify_lines(path):
    with open(path, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    if not lines or lines[-1].get("type") != HEAD_TYPE:
        raise Refused("the export does not end with a tree head line")
    head = lines[-1]["data"]
    check_head(head, base64.b64decode(head["log_public_key"]))
    root = bytes.fromhex(head["root"])
    events = lines[:-1]
    full = [ev["plsequence"] for ev in events] == list(range(head["size"]))
    keys, leaves, signatures = {}, [], 0  # key id -> [raw key, registered at, ended at]
    for expected, ev in enumerate(events):
        seq, what, decision, sigs, leaf, signing = read_event(ev)
        if full:
            found = []
            walk_keys(decision["payload"], found)
            for key_id, pub in found:
                raw = base64.b64decode(pub)
                if hashlib.sha256(raw).hexdigest() != key_id:
                    raise Refused(what + ": key id %s is not the SHA-256 of its key" % key_id)
                keys.setdefault(key_id, [raw, seq, None])
            for s in sigs:
                k = keys.get(s["key_id"])
                # A key signs after the event that registers it (the genesis's
                # keys sign the genesis) and before the event that ends it.
                if not k or not (k[1] < seq or k[1] == seq == 0) or k[2] is not None:
                    raise Refused(what + ": key %s was not valid then" % s["key_id"])
                check_signature(k[0], signing, base64.b64decode(s["signature"]), what)
                signatures += 1
            if decision["type"] in ("governance.key_revoked", "governance.key_rotated"):
                keys[decision["payload"]["key_id"]][2] = seq
            leaves.append(leaf)
        elif not verify_inclusion(seq, head["size"], leaf,
                                  [bytes.fromhex(h) for h in ev["plinclusion"].split()], root):
            raise Refused(what + ": its inclusion proof does not lead to the head's root")
    if full and root_of(leaves) != root:
        raise Refused("the leaves give root %s, not the tree head's %s"
                      % (root_of(leaves).hex(), head["root"]))
    return {"events": len(events), "root": head["root"], "signatures": signatures,
            "size": head["size"], "verified": True}


def verify_bundle(path):
    with open(path, encoding="utf-8") as f:
        bundle = json.load(f)
    if bundle.get("format") != "partnership-ledger/bundle/v1":
        raise Refused("not a bundle")
    log_raw = base64.b64decode(bundle["log_key"]["public_key"])
    head = bundle["tree_head"]
    check_head(head, log_raw)
    root = bytes.fromhex(head["root"])
    if "consistency" in bundle:
        c = bundle["consistency"]
        if not verify_consistency(c["old_size"], head["size"], bytes.fromhex(c["old_root"]), root,
                                  [bytes.fromhex(h) for h in c["proof"]]):
            raise Refused("the consistency proof from size %d does not verify" % c["old_size"])
        if "old_tree_head" in c:
            check_head(c["old_tree_head"], log_raw)
            if (c["old_tree_head"]["size"], c["old_tree_head"]["root"]) != (c["old_size"],
                                                                          c["old_root"]):
                raise Refused("old_tree_head does not sign old_size and old_root")
    keys = {}
    for k in bundle["keys"]:
        raw = base64.b64decode(k["public_key"])
        if hashlib.sha256(raw).hexdigest() != k["key_id"]:
            raise Refused("key %s is not the SHA-256 of its public key" % k["key_id"])
        keys[k["key_id"]] = k
    payloads, signatures = {}, 0
    for ev in bundle["events"] + bundle["key_events"]:
        seq, what, decision, sigs, leaf, signing = read_event(ev)
        for s in sigs:
            k = keys.get(s["key_id"])
            if not k:
                raise Refused(what + ": signed by a key the bundle does not hold")
            # Valid after its registration (at it, for the genesis) up to and
            # including the event that ends it: signers are checked before an
            # event applies, so a key may sign its own rotation.
            valid = k["registered_seq"] < seq or k["registered_seq"] == seq == 0
            if not valid or (k["ended_seq"] is not None and seq > k["ended_seq"]):
                raise Refused(what + ": key %s was not valid then" % s["key_id"])
            appointed = (k["officer_appointed_seq"] < seq or k["officer_appointed_seq"] == seq == 0)
            removed = k["officer_removed_seq"] is not None and seq > k["officer_removed_seq"]
            if k["body_id"] != decision["body"] or not appointed or removed:
                raise Refused(what + ": key %s was not of an officer of %s then"
                              % (s["key_id"], decision["body"]))
            check_signature(base64.b64decode(k["public_key"]), signing,
                            base64.b64decode(s["signature"]), what)
            signatures += 1
        if not verify_inclusion(seq, head["size"], leaf,
                                [bytes.fromhex(h) for h in ev["plinclusion"].split()], root):
            raise Refused(what + ": its inclusion proof does not lead to the head's root")
        payloads[seq] = decision
    # The events that registered and ended each key, and appointed and removed
    # its officer, are in the bundle and say so.
    def evidence(key_id, seq, what, says):
        if seq not in payloads or not says(payloads[seq]):
            raise Refused("key %s: event %d that %s is missing or does not say so"
                          % (key_id, seq, what))

    def appoints(value, officer, body):
        if isinstance(value, dict):
            if value.get("officer_id") == officer and value.get("body_id") == body:
                return True
            return any(appoints(v, officer, body) for v in value.values())
        if isinstance(value, list):
            return any(appoints(v, officer, body) for v in value)
        return False

    for key_id, k in keys.items():
        def registers(d):
            found = []
            walk_keys(d["payload"], found)
            return (key_id, k["public_key"]) in found
        evidence(key_id, k["registered_seq"], "registered it", registers)
        if k["ended_seq"] is not None:
            evidence(key_id, k["ended_seq"], "ended it",
                     lambda d: d["type"] in ("governance.key_revoked", "governance.key_rotated")
                     and d["payload"].get("key_id") == key_id)
        evidence(key_id, k["officer_appointed_seq"], "appointed its officer",
                 lambda d: appoints(d["payload"], k["officer_id"], k["body_id"]))
        if k["officer_removed_seq"] is not None:
            evidence(key_id, k["officer_removed_seq"], "removed its officer",
                     lambda d: (d["type"] == "governance.officer_removed"
                                and d["payload"].get("officer_id") == k["officer_id"])
                     or (d["type"] == "governance.body_dissolved"
                         and d["payload"].get("body_id") == k["body_id"]))
    return {"events": len(bundle["events"]), "root": head["root"], "signatures": signatures,
            "size": head["size"], "verified": True}


def main(argv):
    try:
        if len(argv) == 3 and argv[1] == "--bundle":
            report = verify_bundle(argv[2])
        elif len(argv) == 2:
            report = verify_lines(argv[1])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except Refused as e:
        print("verify_export: %s" % e, file=sys.stderr)
        return 1
    except (KeyError, ValueError, TypeError, AttributeError) as e:
        print("verify_export: malformed export: %r" % e, file=sys.stderr)
        return 1
    print(json.dumps(report, sort_keys=True, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
