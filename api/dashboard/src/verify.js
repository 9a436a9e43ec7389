// Verification in the browser, byte for byte as docs/encoding.md describes:
// canonical JSON, signing bytes, entry bytes and leaf hashes, RFC 9162
// inclusion proofs, signed tree heads, Ed25519 signatures (Web Crypto).
//
// Nothing here trusts the server: a leaf hash is recomputed from the event's
// own fields, the proof is walked to the root, and the root is accepted only
// under a tree head signature that verifies with the log key.
// Works in browsers and in Node.js (globalThis.crypto.subtle, TextEncoder).

export const DECISION_DOMAIN = 'partnership-ledger/decision/v1\n';
export const ENTRY_DOMAIN = 'partnership-ledger/entry/v1\n';
export const TREE_HEAD_DOMAIN = 'partnership-ledger/tree-head/v1\n';

const subtle = () => globalThis.crypto.subtle;
const encoder = new TextEncoder();

// RFC 8785 (JCS) for the ledger's JSON domain (integers only, ASCII keys):
// JSON.stringify with object members sorted by key.
export function canonicalJson(value) {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new Error(`not in the ledger's JSON domain: ${value}`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const keys = Object.keys(value).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(value[k])).join(',') + '}';
}

export function utf8(text) {
  return encoder.encode(text);
}

// The decision's own fields (never its signatures).
export function decisionCore(decision) {
  const {body, decision_id, issued_at, payload, type} = decision;
  return {body, decision_id, issued_at, payload, type};
}

// docs/encoding.md §3.
export function signingBytes(decision) {
  return utf8(DECISION_DOMAIN + canonicalJson(decisionCore(decision)));
}

// docs/encoding.md §5, from an event envelope as the API returns it
// ({decision, recorded_at, sequence, signatures, leaf_hash}).
export function entryBytes(event) {
  return utf8(
    ENTRY_DOMAIN +
      canonicalJson({
        decision: decisionCore(event.decision),
        recorded_at: event.recorded_at,
        sequence: event.sequence,
        signatures: event.signatures,
      }),
  );
}

// docs/encoding.md §6.
export function treeHeadBytes(head) {
  return utf8(
    `${TREE_HEAD_DOMAIN}${head.size}\n${toBase64(fromHex(head.root))}\n${head.timestamp}\n`,
  );
}

export function fromHex(hex) {
  if (typeof hex !== 'string' || hex.length % 2 || /[^0-9a-fA-F]/.test(hex)) {
    throw new Error('not hex');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromBase64(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toBase64(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest('SHA-256', bytes));
}

// RFC 9162 §2.1.1.
export async function leafHash(entry) {
  return sha256(concat(Uint8Array.of(0), entry));
}

async function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

// RFC 9162 §2.1.3.2: does `proof` (hex hashes) take the leaf at `index` in a
// tree of `size` leaves to `root`? All byte arrays but the proof.
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (!(index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const hex of proof) {
    const p = fromHex(hex);
    if (p.length !== 32) return false;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

const keyCache = new Map();

async function importEd25519(raw) {
  const id = toHex(raw);
  if (!keyCache.has(id)) {
    keyCache.set(id, subtle().importKey('raw', raw, {name: 'Ed25519'}, false, ['verify']));
  }
  return keyCache.get(id);
}

export async function verifyEd25519(publicKeyRaw, signature, message) {
  try {
    if (publicKeyRaw.length !== 32 || signature.length !== 64) return false;
    const key = await importEd25519(publicKeyRaw);
    return await subtle().verify({name: 'Ed25519'}, key, signature, message);
  } catch {
    return false;
  }
}

// The key id of a raw public key (docs/encoding.md §4).
export async function keyIdOf(publicKeyRaw) {
  return toHex(await sha256(publicKeyRaw));
}

// Checks a signed tree head with the log's public key (base64 raw 32 bytes):
// {ok, reason}.
export async function verifyTreeHead(head, logPublicKeyBase64) {
  try {
    if (!head || !logPublicKeyBase64) return {ok: false, reason: 'no signed tree head or log key'};
    const raw = fromBase64(logPublicKeyBase64);
    if ((await keyIdOf(raw)) !== head.key_id) {
      return {ok: false, reason: 'the tree head is not signed by the log key'};
    }
    const ok = await verifyEd25519(raw, fromBase64(head.signature), treeHeadBytes(head));
    return ok ? {ok: true} : {ok: false, reason: 'the tree head signature does not verify'};
  } catch (e) {
    return {ok: false, reason: `tree head: ${e.message}`};
  }
}

// Verifies one event end to end:
//   - its leaf hash, recomputed from its entry bytes (and equal to the one
//     the server states);
//   - its inclusion proof from that leaf to the root of `head`, whose
//     signature `headCheck` (verifyTreeHead's result) has already checked;
//   - every decision signature, with the public key of its key id from
//     `keys` (key_id -> base64 raw public key, from the governance state),
//     whose SHA-256 must be that key id.
// Returns {ok, leaf, inclusion, head, signatures: [{key_id, ok}], reasons}.
export async function verifyEvent(event, proof, head, headCheck, keys) {
  const reasons = [];
  const result = {ok: false, leaf: false, inclusion: false, head: !!headCheck?.ok, signatures: []};
  try {
    const leaf = await leafHash(entryBytes(event));
    result.leaf = toHex(leaf) === event.leaf_hash;
    if (!result.leaf) reasons.push('the leaf hash does not match the event');
    if (!Array.isArray(proof) || !head) {
      reasons.push('no inclusion proof');
    } else {
      result.inclusion = await verifyInclusion(event.sequence, head.size, leaf, proof, fromHex(head.root));
      if (!result.inclusion) reasons.push(`the inclusion proof does not lead to the root of tree head ${head.size}`);
    }
    if (!result.head) reasons.push(headCheck?.reason || 'the tree head is not verified');
    const message = signingBytes(event.decision);
    const sigs = event.signatures || [];
    if (!sigs.length) reasons.push('no signatures');
    for (const s of sigs) {
      const b64 = keys.get(s.key_id);
      let ok = false;
      if (!b64) {
        reasons.push(`unknown key ${s.key_id.slice(0, 8)}`);
      } else {
        const raw = fromBase64(b64);
        ok = (await keyIdOf(raw)) === s.key_id && (await verifyEd25519(raw, fromBase64(s.signature), message));
        if (!ok) reasons.push(`signature by key ${s.key_id.slice(0, 8)} does not verify`);
      }
      result.signatures.push({key_id: s.key_id, ok});
    }
  } catch (e) {
    reasons.push(e.message);
  }
  result.reasons = reasons;
  result.ok = reasons.length === 0;
  return result;
}
