// A subject's full decision history (who signed, under which policy, when)
// with a "verified" mark per event, computed in this browser: the leaf hash
// from the event's own bytes, its inclusion proof up to the signed tree head,
// the tree head's signature with the log key, and every decision signature
// with the signer's public key from the governance record (Web Crypto Ed25519).

import {conn, store, publicKeys, loadDirectory} from '../store.js';
import {verifyEvent, verifyTreeHead} from '../verify.js';
import {esc, when, shortHex, money} from '../format.js';
import {t, label, ROLES} from '../i18n.js';
import {typeLabel, bodyName, signersHtml, subjectHtml} from './feed.js';

// Every audited event of the subjects, newest first, each with its proof
// against the tree head returned with it.
async function fetchHistory(subjects) {
  const bySeq = new Map();
  await Promise.all(
    subjects.map(async (subject) => {
      let before;
      for (let page = 0; page < 20; page++) {
        const r = await conn.request('audit', {subject, proofs: true, limit: 1000, ...(before !== undefined ? {before} : {})});
        for (const e of r.events) bySeq.set(e.event.sequence, {...e, head: r.tree_head});
        if (r.next_before === null || r.next_before === undefined) break;
        before = r.next_before;
      }
    }),
  );
  return [...bySeq.values()].sort((a, b) => b.event.sequence - a.event.sequence);
}

const headChecks = new Map();
function checkHead(head) {
  const key = `${head.size}/${head.root}/${head.signature}/${head.key_id}/${head.timestamp}`;
  if (!headChecks.has(key)) headChecks.set(key, verifyTreeHead(head, store.logKey?.public_key));
  return headChecks.get(key);
}

function policyHtml(entry) {
  if (!entry.authority) return '<span class="muted">genesis</span>';
  const p = entry.policy;
  // The API gives the policy as it stands now: say so when it was replaced
  // or repealed after this decision.
  const since = p && p.adopted_seq > entry.event.sequence ? ` · (now: re-adopted at #${p.adopted_seq})` : '';
  const detail = p
    ? `${p.min_signatures} sig.${p.required_roles.length ? ' · ' + p.required_roles.map((r) => label(ROLES, r)).join(' + ') : ''}${p.ceiling ? ` · ≤ ${money(p.ceiling.amount, p.ceiling.currency)}` : ''}${p.in_force ? '' : ' · since repealed'}${since}`
    : '';
  return `<code>${esc(entry.authority)}</code>${detail ? `<div class="muted small">${esc(detail)}</div>` : ''}`;
}

function markHtml(v) {
  if (!v) return `<span class="verify" data-verified="pending">${esc(t('verifying'))}</span>`;
  const title = v.ok
    ? `leaf hash recomputed ✓ · inclusion proof to the root of tree head ${v.size} ✓ · tree head signed by the log key ✓ · ${v.signatures.length} signature(s) ✓`
    : v.reasons.join('; ');
  return `<span class="verify" data-verified="${v.ok}" title="${esc(title)}">${v.ok ? '✓ ' + esc(t('verified')) : '✗ ' + esc(t('notVerified'))}</span>`;
}

function detailHtml(entry, v) {
  const e = entry.event;
  const checks = v
    ? [
        ['leaf hash (SHA-256 of 0x00 ‖ entry bytes)', v.leaf],
        [`inclusion proof (${entry.proof?.length ?? 0} hashes) to tree head ${entry.head?.size}`, v.inclusion],
        ['tree head signature (log key)', v.head],
        ...v.signatures.map((s) => [`Ed25519 signature, key ${shortHex(s.key_id, 12)}`, s.ok]),
      ]
    : [];
  return `<div class="detail">
    <div><b>decision</b> <code>${esc(e.decision.decision_id)}</code> · ${esc(t('recorded'))} ${esc(when(e.recorded_at))} · leaf <code>${esc(shortHex(e.leaf_hash, 16))}…</code></div>
    <ul class="checks">${checks.map(([what, ok]) => `<li class="${ok ? 'ok' : 'bad'}">${ok ? '✓' : '✗'} ${esc(what)}</li>`).join('')}</ul>
    ${v && !v.ok ? `<div class="bad">${esc(v.reasons.join('; '))}</div>` : ''}
    <details><summary>payload</summary><pre>${esc(JSON.stringify(e.decision.payload, null, 2))}</pre></details>
  </div>`;
}

export function historyView(container, subjects, {title = t('history')} = {}) {
  const state = {entries: [], results: new Map()};
  container.innerHTML = `<section class="card history">
    <div class="history-head"><h3>${esc(title)}</h3>
      <span class="history-summary" id="history-summary"></span>
      <button type="button" class="button small" id="reverify">Verify again</button></div>
    <div class="table-wrap"><table class="table history-table">
      <thead><tr><th>#</th><th>${esc(t('issued'))}</th><th>${esc(t('type'))}</th><th>${esc(t('body'))}</th><th>${esc(t('signers'))}</th><th>${esc(t('policy'))}</th><th></th></tr></thead>
      <tbody id="history-rows"><tr><td colspan="7" class="muted">Loading…</td></tr></tbody>
    </table></div>
  </section>`;
  const tbody = container.querySelector('#history-rows');

  function rowHtml(entry) {
    const e = entry.event;
    const d = e.decision;
    const {family, text} = typeLabel(d.type);
    const v = state.results.get(e.sequence);
    return `<tr class="event-row" data-seq="${e.sequence}" data-type="${esc(d.type)}">
      <td class="seq">${e.sequence}</td>
      <td><time datetime="${esc(d.issued_at)}">${esc(when(d.issued_at))}</time></td>
      <td><span class="type type-${esc(family)}">${esc(text)}</span><div class="small">${subjectHtml(d)}</div></td>
      <td title="${esc(d.body)}">${esc(bodyName(d.body))}</td>
      <td>${signersHtml(e.signatures)}</td>
      <td>${policyHtml(entry)}</td>
      <td class="mark">${markHtml(v)}</td>
    </tr><tr class="detail-row" data-detail="${e.sequence}" hidden><td colspan="7">${detailHtml(entry, v)}</td></tr>`;
  }

  function render() {
    tbody.innerHTML = state.entries.map(rowHtml).join('') || `<tr><td colspan="7" class="muted">No events.</td></tr>`;
    summarize();
  }

  function summarize() {
    const done = [...state.results.values()];
    const ok = done.filter((v) => v.ok).length;
    const el = container.querySelector('#history-summary');
    el.dataset.total = String(state.entries.length);
    el.dataset.verified = String(ok);
    el.textContent = `${state.entries.length} events · ${ok} ${t('verified')}${done.length - ok ? ` · ${done.length - ok} ${t('notVerified')}` : ''}`;
  }

  function updateRow(seq) {
    const entry = state.entries.find((x) => x.event.sequence === seq);
    const row = tbody.querySelector(`tr.event-row[data-seq="${seq}"]`);
    if (!entry || !row) return;
    const v = state.results.get(seq);
    row.querySelector('.mark').innerHTML = markHtml(v);
    tbody.querySelector(`tr[data-detail="${seq}"] td`).innerHTML = detailHtml(entry, v);
    summarize();
  }

  async function verify(seq) {
    const entry = state.entries.find((x) => x.event.sequence === seq);
    if (!entry) return null;
    state.results.delete(seq);
    updateRow(seq);
    const headCheck = entry.head ? await checkHead(entry.head) : {ok: false, reason: 'no tree head'};
    let keys = publicKeys();
    if (entry.event.signatures.some((s) => !keys.has(s.key_id))) {
      await loadDirectory(); // a key registered since the directory was read
      keys = publicKeys();
    }
    const v = await verifyEvent(entry.event, entry.proof, entry.head, headCheck, keys);
    v.size = entry.head?.size;
    state.results.set(seq, v);
    updateRow(seq);
    return v.ok;
  }

  async function verifyAll() {
    state.results.clear();
    render();
    for (const entry of state.entries) await verify(entry.event.sequence);
    container.querySelector('.history').dataset.verifiedAll = 'true';
  }

  async function reload() {
    state.entries = await fetchHistory(subjects());
    render();
    await verifyAll();
  }

  tbody.addEventListener('click', (ev) => {
    if (ev.target.closest('a')) return;
    const row = ev.target.closest('tr.event-row');
    if (!row) return;
    const detail = tbody.querySelector(`tr[data-detail="${row.dataset.seq}"]`);
    detail.hidden = !detail.hidden;
  });
  container.querySelector('#reverify').addEventListener('click', () => verifyAll());

  // For audits and tests: the loaded entries (alter one, then verify(seq)
  // again to see the mark turn).
  const api = {entries: () => state.entries, verify, verifyAll, reload, results: state.results};
  globalThis.ledgerDashboard = globalThis.ledgerDashboard || {};
  globalThis.ledgerDashboard.history = api;
  return api;
}
