// The browser's verification code (src/verify.js) against the pinned vectors
// of docs/encoding.md §7, run under Node.js (same Web Crypto API):
//   node api/dashboard/test/verify_test.mjs
import assert from 'node:assert/strict';
import {
  canonicalJson, signingBytes, entryBytes, treeHeadBytes, sha256, leafHash, toHex, fromHex,
  verifyEd25519, verifyInclusion, verifyTreeHead, verifyEvent, fromBase64, toBase64, keyIdOf,
} from '../src/verify.js';

const key1 = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const key2 = fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
const id1 = '21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9';
const id2 = '39f713d0a644253f04529421b9f51b9b08979d08295959c4f3990ee617f5139f';
const sig1 = 'J991EwjIIluk9RL8mpfvdj0aGYkAPT7C/mSgRXhoQvURGKi5EHJrErYPD/tiwINyV+oqjRVJC+MvmDcA+WmkDQ==';
const sig2 = 'VfcAdNPIqJbfDufMBjyIt2DNh9smqsfxiiORgPbftfy1wkFlNrWIjJAR39zFcoACLeiRR1FTqqjJtB9yZGDKDA==';

const decision = {
  decision_id: 'jc-2012-007',
  type: 'project.approved',
  body: 'joint-committee',
  issued_at: '2012-03-01T09:00:00Z',
  payload: {
    project_id: 'P-2012-0007',
    title: {en: 'Joint Laboratory for Remote Sensing', zh: '遥感联合实验室'},
    priority_area: 'B10',
    mode: 'M5',
    budget: {amount: 150000000, currency: 'CNY'},
    partners: ['TH', 'VN'],
    note: 'tab\there, "quoted", back\\slash, bell\u0007',
  },
};

let failures = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e.message}`);
  }
}

await check('key ids', async () => {
  assert.equal(await keyIdOf(key1), id1);
  assert.equal(await keyIdOf(key2), id2);
});

await check('signing bytes (vector 1)', async () => {
  assert.equal(toHex(await sha256(signingBytes(decision))),
    '5a877e022ccde9e0fbee1fa75b9c53a5241ff1033c99cb4e9d431079595b84f4');
});

await check('decision signatures verify, and a changed payload does not', async () => {
  assert.ok(await verifyEd25519(key1, fromBase64(sig1), signingBytes(decision)));
  assert.ok(await verifyEd25519(key2, fromBase64(sig2), signingBytes(decision)));
  const changed = structuredClone(decision);
  changed.payload.budget.amount += 1;
  assert.ok(!(await verifyEd25519(key1, fromBase64(sig1), signingBytes(changed))));
  assert.ok(!(await verifyEd25519(key2, fromBase64(sig1), signingBytes(decision))));
});

const event = {
  decision: {...decision},
  recorded_at: '2012-03-01T10:00:00Z',
  sequence: 0,
  signatures: [{key_id: id1, signature: sig1}, {key_id: id2, signature: sig2}],
  leaf_hash: '32ef03e04a236adea0b9eae540c0289faf39d85fafab9b24e5ed77b5ffbcf571',
};

await check('entry bytes and leaf hash (vector 1)', async () => {
  assert.equal(toHex(await sha256(entryBytes(event))),
    '3edfb3060363091ca99a235363af747308dc5e10cd88e615238f0bae24e0d5c4');
  assert.equal(toHex(await leafHash(entryBytes(event))), event.leaf_hash);
});

const head = {
  key_id: id1,
  root: event.leaf_hash,
  signature: 'HtbAUhCjPSAvaLvBR0ZmduPywOV3WzS3nYX7gWqPuTj3ugVVUGcdAe6SnKzTRBlCuwijqbc+EfTvz41mwTxdDQ==',
  size: 1,
  timestamp: '2012-03-01T10:00:00Z',
};

await check('tree head bytes and signature (vector 1)', async () => {
  assert.equal(new TextDecoder().decode(treeHeadBytes(head)),
    'partnership-ledger/tree-head/v1\n1\nMu8D4Eojat6guerlQMAon6852F+vq5sk5e13tf+89XE=\n2012-03-01T10:00:00Z\n');
  assert.deepEqual(await verifyTreeHead(head, toBase64(key1)), {ok: true});
  assert.equal((await verifyTreeHead(head, toBase64(key2))).ok, false);
  assert.equal((await verifyTreeHead({...head, size: 2}, toBase64(key1))).ok, false);
});

await check('a whole event verifies; altered ones do not', async () => {
  const keys = new Map([[id1, toBase64(key1)], [id2, toBase64(key2)]]);
  const headCheck = await verifyTreeHead(head, toBase64(key1));
  assert.equal((await verifyEvent(event, [], head, headCheck, keys)).ok, true);
  const badSig = structuredClone(event);
  badSig.signatures[1].signature = sig1;
  const r = await verifyEvent(badSig, [], head, headCheck, keys);
  assert.equal(r.ok, false);
  assert.deepEqual(r.signatures.map((s) => s.ok), [true, false]);
  const badTime = {...event, recorded_at: '2012-03-01T10:00:01Z'};
  assert.equal((await verifyEvent(badTime, [], head, headCheck, keys)).leaf, false);
  assert.equal((await verifyEvent(event, [], head, {ok: false}, keys)).ok, false);
  assert.equal((await verifyEvent(event, [], head, headCheck, new Map())).ok, false);
});

// Trees built here the RFC 9162 way, every leaf of every size up to 20.
async function mth(leaves) {
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  const l = await mth(leaves.slice(0, k));
  const r = await mth(leaves.slice(k));
  return sha256(Uint8Array.from([1, ...l, ...r]));
}
async function path(m, leaves) {
  if (leaves.length === 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  if (m < k) return [...(await path(m, leaves.slice(0, k))), toHex(await mth(leaves.slice(k)))];
  return [...(await path(m - k, leaves.slice(k))), toHex(await mth(leaves.slice(0, k)))];
}

await check('RFC 9162 inclusion proofs, sizes 1..20, and tampered ones', async () => {
  const all = [];
  for (let i = 0; i < 20; i++) all.push(await leafHash(Uint8Array.of(i)));
  for (let n = 1; n <= 20; n++) {
    const leaves = all.slice(0, n);
    const root = await mth(leaves);
    for (let m = 0; m < n; m++) {
      const p = await path(m, leaves);
      assert.ok(await verifyInclusion(m, n, leaves[m], p, root), `leaf ${m} of ${n}`);
      if (p.length) {
        const bad = [...p];
        bad[0] = (bad[0][0] === '0' ? '1' : '0') + bad[0].slice(1);
        assert.ok(!(await verifyInclusion(m, n, leaves[m], bad, root)), `tampered ${m} of ${n}`);
        assert.ok(!(await verifyInclusion(m, n, leaves[m], p.slice(1), root)), `short ${m} of ${n}`);
      }
      if (n > 1) assert.ok(!(await verifyInclusion((m + 1) % n, n, leaves[m], p, root)));
    }
  }
});

await check('canonical JSON escapes as JCS does', async () => {
  assert.equal(canonicalJson({b: 1, a: ['/', '\u007f', '\u001f', 'é'], c: null}),
    '{"a":["/","\u007f","\\u001f","é"],"b":1,"c":null}');
});

if (failures) {
  console.log(`${failures} failed`);
  process.exit(1);
}
console.log('all passed');
