// What every view shares: the connection, the governance directory (bodies,
// officers, keys, policies) used to name signers and check signatures, the
// log's public key and size, and the feed of latest events.

import {LedgerConnection} from './api.js';
import {debounce} from './format.js';

export const conn = new LedgerConnection();

export const store = {
  size: 0,
  head: null,
  logKey: null, // {key_id, public_key} from the tree_head op
  bodies: new Map(),
  officers: new Map(),
  keys: new Map(), // key_id -> key entity (public_key base64, officer_id, status)
  policies: new Map(),
  members: new Map(),
  feed: [], // newest first: {sequence, event, authority}
  feedMax: 200,
  ready: null,
};

const listeners = {events: new Set(), summary: new Set(), directory: new Set(), size: new Set()};

export function on(what, fn) {
  listeners[what].add(fn);
  return () => listeners[what].delete(fn);
}

function emit(what, ...args) {
  for (const fn of listeners[what]) {
    try {
      fn(...args);
    } catch (e) {
      console.error(e);
    }
  }
}

export async function loadDirectory() {
  const [bodies, officers, keys, policies, members] = await Promise.all([
    conn.listAll('bodies'),
    conn.listAll('officers'),
    conn.listAll('keys'),
    conn.listAll('policies'),
    conn.listAll('members'),
  ]);
  store.bodies = new Map(bodies.items.map((b) => [b.body_id, b]));
  store.officers = new Map(officers.items.map((o) => [o.officer_id, o]));
  store.keys = new Map(keys.items.map((k) => [k.key_id, k]));
  store.policies = new Map(policies.items.map((p) => [p.policy_id, p]));
  store.members = new Map(members.items.map((m) => [m.country, m]));
  emit('directory');
}

const reloadDirectory = debounce(() => loadDirectory().catch((e) => console.error(e)), 200);

// key_id -> base64 raw public key, for signature checks.
export function publicKeys() {
  return new Map([...store.keys].map(([id, k]) => [id, k.public_key]));
}

export function signerOf(keyId) {
  const key = store.keys.get(keyId);
  const officer = key ? store.officers.get(key.officer_id) : null;
  return {key, officer};
}

function setSize(size) {
  if (size > store.size) {
    store.size = size;
    emit('size', size);
  }
}

export async function start() {
  const th = await conn.request('tree_head');
  store.head = th.tree_head;
  store.logKey = th.log_key || null;
  setSize(th.tree_head.size);
  await loadDirectory();
  // The feed: the last events, then every new one (resumed after reconnects).
  store.liveFrom = store.size;
  conn.subscribeEvents((msg) => {
    msg.receivedAt = Date.now();
    msg.live = msg.sequence >= store.liveFrom;
    store.feed.unshift(msg);
    if (store.feed.length > store.feedMax) store.feed.length = store.feedMax;
    setSize(msg.sequence + 1);
    if (msg.event?.decision?.type?.startsWith('governance.')) reloadDirectory();
    emit('events', msg);
  }, Math.max(0, store.size - 30));
  conn.subscribeSummary((summary, sequence) => {
    setSize(summary.size ?? sequence + 1);
    emit('summary', summary);
  });
}

store.ready = start();
