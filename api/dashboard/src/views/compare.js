// Compare: what changed between two dates (the diff op), per collection.

import {conn, store} from '../store.js';
import {esc, count} from '../format.js';
import {t, nameOf} from '../i18n.js';

const ID_FIELDS = ['project_id', 'commitment_id', 'partnership_id', 'body_id', 'officer_id', 'key_id', 'policy_id', 'meeting_id', 'resolution_id', 'country'];
const LINKS = {projects: 'project', partnerships: 'partnership'};
const SHOW = 60;

function idOf(entity) {
  for (const f of ID_FIELDS) if (entity && entity[f]) return entity[f];
  return '?';
}

function nameOfEntity(e) {
  return nameOf(e.title || e.name || e.party_name || null) || e.status || '';
}

// The fields whose values differ between two versions of an entity.
function changedFields(before, after) {
  const skip = new Set(['last_seq', 'last_issued_at']);
  return Object.keys(after).filter((k) => !skip.has(k) && JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

function short(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') {
    if ('amount' in v && 'currency' in v) return `${v.currency} ${v.amount}`;
    if ('en' in v) return nameOf(v);
    if (Array.isArray(v)) return `${v.length} items`;
    return JSON.stringify(v).slice(0, 40);
  }
  return String(v);
}

function entityLink(collection, id) {
  const page = LINKS[collection];
  if (page) return `<a href="#/${page}/${encodeURIComponent(id)}">${esc(id)}</a>`;
  if (collection === 'commitments') return `<a href="#/project/${encodeURIComponent(id.replace(/-C\d+$/, ''))}">${esc(id)}</a>`;
  return `<code>${esc(id.length > 24 ? id.slice(0, 12) + '…' : id)}</code>`;
}

export function compareView(root) {
  const today = new Date().toISOString().slice(0, 10);
  root.innerHTML = `<section class="card">
    <h2>${esc(t('compare'))}</h2>
    <form class="filters" id="diff-form">
      <label><span>${esc(t('from'))}</span><input type="date" name="from" required min="2012-03-01"></label>
      <label><span>${esc(t('to'))}</span><input type="date" name="to" required min="2012-03-01"></label>
      <button class="button" type="submit">${esc(t('show'))}</button>
    </form>
    <div id="diff-out"></div>
  </section>`;
  const form = root.querySelector('#diff-form');
  const out = root.querySelector('#diff-out');
  const params = new URLSearchParams(location.hash.split('?')[1] || '');

  async function run() {
    const from = form.elements.from.value;
    const to = form.elements.to.value;
    if (!from || !to) return;
    history.replaceState(null, '', `#/compare?from=${from}&to=${to}`);
    out.innerHTML = '<p class="muted">Loading…</p>';
    try {
      const d = await conn.request('diff', {from: {date: from}, to: {date: to}});
      const collections = Object.keys(d.counts);
      out.dataset.from = String(d.from);
      out.dataset.to = String(d.to);
      out.innerHTML = `<p>${esc(t('event'))} ${count(d.from)} → ${count(d.to)} (${count(d.to - d.from)} ${esc(t('events'))})</p>
        <div class="table-wrap"><table class="table" id="diff-counts"><thead><tr><th></th><th class="num">${esc(t('added'))}</th><th class="num">${esc(t('changed'))}</th><th class="num">${esc(t('removed'))}</th></tr></thead><tbody>
        ${collections.map((c) => `<tr data-collection="${esc(c)}"><td>${esc(c)}</td><td class="num">${count(d.counts[c].added)}</td><td class="num">${count(d.counts[c].changed)}</td><td class="num">${count(d.counts[c].removed)}</td></tr>`).join('') || '<tr><td colspan="4" class="muted">No change.</td></tr>'}
        </tbody></table></div>
        ${collections.map((c) => {
          const ch = d.changes[c] || {};
          const added = (ch.added || []).slice(0, SHOW);
          const changed = (ch.changed || []).slice(0, SHOW);
          const removed = (ch.removed || []).slice(0, SHOW);
          return `<details class="diff-collection"${collections.length <= 3 ? ' open' : ''}><summary>${esc(c)}: ${count(d.counts[c].added)} ${esc(t('added'))}, ${count(d.counts[c].changed)} ${esc(t('changed'))}, ${count(d.counts[c].removed)} ${esc(t('removed'))}</summary>
            <ul class="diff-list">
              ${added.map((e) => `<li class="added">+ ${entityLink(c, idOf(e))} ${esc(nameOfEntity(e))}</li>`).join('')}
              ${changed.map((x) => `<li class="changed">~ ${entityLink(c, x.id)} ${changedFields(x.before, x.after).map((f) => `<span class="change"><b>${esc(f)}</b> ${esc(short(x.before[f]))} → ${esc(short(x.after[f]))}</span>`).join(' ')}</li>`).join('')}
              ${removed.map((e) => `<li class="removed">− ${entityLink(c, idOf(e))} ${esc(nameOfEntity(e))}</li>`).join('')}
              ${(ch.added?.length || 0) + (ch.changed?.length || 0) + (ch.removed?.length || 0) > added.length + changed.length + removed.length ? `<li class="muted">… first ${SHOW} of each shown</li>` : ''}
            </ul></details>`;
        }).join('')}`;
    } catch (e) {
      out.innerHTML = `<p class="bad">${esc(e.message || e.rule || e)}</p>`;
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  store.ready.then(() => {
    const last = (store.lastTime || store.head?.timestamp || today).slice(0, 10);
    const year = Number(last.slice(0, 4));
    form.elements.to.value = params.get('to') || last;
    form.elements.from.value = params.get('from') || `${year - 1}${last.slice(4)}`;
    form.elements.to.max = form.elements.from.max = last;
    run();
  });
  return () => {};
}

