#!/usr/bin/env python3
"""An independent implementation of the checkpoint and cosignature formats
(C2SP signed-note, tlog-checkpoint, tlog-cosignature; docs/witnesses.md),
written from the specifications with python3-cryptography, to check what
ledgerd and ledgerctl produce.

  verify_note.py vectors LOG_SEED_HEX WITNESS_SEED_HEX ORIGIN WITNESS SIZE ROOT_HEX TIME
      prints the log's vkey, the witness's vkey and the checkpoint note with
      the log's signature and the witness's cosignature, built from the seeds
      (Ed25519 is deterministic, so the bytes are exact).

  verify_note.py check URL LOG_VKEY [WITNESS_VKEY ...]
      GETs the note at URL (e.g. http://127.0.0.1:8620/checkpoint), verifies
      the log's signature and every cosignature by a witness given, and prints
      {"origin", "size", "root", "cosigners": [names]} as JSON; exits 1 when
      the log's signature does not verify or the note is malformed.
"""
import base64
import hashlib
import json
import sys
import urllib.request

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.exceptions import InvalidSignature

DASH = "\u2014 "


def key_hash(name, sig_type, raw):
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + raw).digest()[:4]


def raw_public(private):
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def vkey(name, sig_type, raw):
    return "%s+%s+%s" % (
        name,
        key_hash(name, sig_type, raw).hex(),
        base64.b64encode(bytes([sig_type]) + raw).decode(),
    )


def parse_vkey(text):
    name, hash_hex, key_b64 = text.split("+", 2)
    key = base64.b64decode(key_b64, validate=True)
    assert len(key) == 33, "a vkey holds a type byte and 32 key bytes"
    assert key_hash(name, key[0], key[1:]).hex() == hash_hex, "vkey hash mismatch"
    return name, key[0], key[1:]


def cosigned_message(body, t):
    return ("cosignature/v1\ntime %d\n" % t).encode() + body.encode()


def vectors(log_seed, witness_seed, origin, witness, size, root_hex, t):
    log = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(log_seed))
    wit = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(witness_seed))
    body = "%s\n%d\n%s\n" % (origin, size, base64.b64encode(bytes.fromhex(root_hex)).decode())
    log_sig = key_hash(origin, 1, raw_public(log)) + log.sign(body.encode())
    cosig = (
        key_hash(witness, 4, raw_public(wit))
        + t.to_bytes(8, "big")
        + wit.sign(cosigned_message(body, t))
    )
    print(vkey(origin, 1, raw_public(log)))
    print(vkey(witness, 4, raw_public(wit)))
    sys.stdout.write(
        body
        + "\n"
        + DASH + origin + " " + base64.b64encode(log_sig).decode() + "\n"
        + DASH + witness + " " + base64.b64encode(cosig).decode() + "\n"
    )


def check(url, log_vkey, witness_vkeys):
    with urllib.request.urlopen(url) as response:
        ctype = response.headers.get("Content-Type")
        assert ctype == "text/plain; charset=utf-8", ctype
        note = response.read().decode("utf-8")
    split = note.rindex("\n\n")
    body, sigs = note[: split + 1], note[split + 2 :]
    lines = body.split("\n")[:-1]
    assert len(lines) >= 3, "a checkpoint has at least three lines"
    origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
    assert str(size) == lines[1] and len(root) == 32
    log_name, log_type, log_raw = parse_vkey(log_vkey)
    assert log_type == 1 and log_name == origin, "the log key is not the origin's"
    witnesses = [parse_vkey(w) for w in witness_vkeys]
    log_ok, cosigners = False, []
    assert sigs.endswith("\n")
    for line in sigs[:-1].split("\n"):
        assert line.startswith(DASH), repr(line)
        name, value = line[len(DASH):].split(" ")
        value = base64.b64decode(value, validate=True)
        if name == log_name and value[:4] == key_hash(log_name, 1, log_raw):
            try:
                Ed25519PublicKey.from_public_bytes(log_raw).verify(value[4:], body.encode())
                log_ok = True
            except InvalidSignature:
                pass
        for w_name, w_type, w_raw in witnesses:
            if name == w_name and w_type == 4 and value[:4] == key_hash(w_name, 4, w_raw):
                t = int.from_bytes(value[4:12], "big")
                try:
                    Ed25519PublicKey.from_public_bytes(w_raw).verify(
                        value[12:], cosigned_message(body, t)
                    )
                    if name not in cosigners:
                        cosigners.append(name)
                except InvalidSignature:
                    pass
    if not log_ok:
        print("the log's signature does not verify", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"origin": origin, "size": size, "root": root.hex(), "cosigners": cosigners}))


if __name__ == "__main__":
    if sys.argv[1] == "vectors":
        a = sys.argv[2:]
        vectors(a[0], a[1], a[2], a[3], int(a[4]), a[5], int(a[6]))
    elif sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit(__doc__)
