// Projects and partnerships: search and filter, and a page per project
// (details, funding and tranches, verified decision history) or partnership.

import {conn, store, on} from '../store.js';
import {esc, money, count, when, throttle} from '../format.js';
import {
  t, nameOf, label, labelBoth, PRIORITY_AREAS, MODES, PROJECT_STATUSES, PARTNERSHIP_KINDS, COUNTRIES, SOURCES,
} from '../i18n.js';
import {historyView} from './history.js';

function options(table, selected, {codes = false} = {}) {
  return `<option value="">${esc(t('any'))}</option>` +
    Object.keys(table).map((k) => `<option value="${esc(k)}"${k === selected ? ' selected' : ''}>${esc(codes ? `${k} ${label(table, k)}` : label(table, k))}</option>`).join('');
}

function badge(status) {
  return `<span class="badge badge-${esc(status)}">${esc(label(PROJECT_STATUSES, status) || status)}</span>`;
}

function countryList(codes) {
  return codes.map((c) => `<span class="country" title="${esc(labelBoth(COUNTRIES, c))}">${esc(c)}</span>`).join(' ');
}

// A filterable, paged list: `columns` render one item as table cells.
function listView(root, {kind, filters, head, row, filterForm, hashBase}) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  root.innerHTML = `<section class="card">
    <form class="filters" id="filters">${filterForm(params)}<button class="button" type="submit">${esc(t('search'))}</button></form>
    <div class="list-count" id="list-count"></div>
    <div class="table-wrap"><table class="table list-table"><thead><tr>${head}</tr></thead><tbody id="rows"></tbody></table></div>
    <button type="button" class="button" id="more" hidden>${esc(t('more'))}</button>
  </section>`;
  const form = root.querySelector('#filters');
  const rows = root.querySelector('#rows');
  let next = null;
  let token = 0;

  function currentFilter() {
    const f = {};
    for (const name of filters) {
      const el = form.elements[name];
      if (!el || !el.value.trim()) continue;
      f[name] = name === 'year' ? Number(el.value) : el.value.trim();
    }
    return f;
  }

  async function load(append = false) {
    const mine = ++token;
    const filter = currentFilter();
    const r = await conn.request('list', {kind, filter, limit: 50, ...(append && next ? {after: next} : {})});
    if (mine !== token) return;
    next = r.next;
    const html = r.items.map(row).join('');
    if (append) rows.insertAdjacentHTML('beforeend', html);
    else rows.innerHTML = html || `<tr><td colspan="9" class="muted">—</td></tr>`;
    root.querySelector('#list-count').textContent = `${count(r.total)} ${t(kind)}`;
    root.querySelector('#list-count').dataset.total = String(r.total);
    root.querySelector('#more').hidden = !next;
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams(currentFilter()).toString();
    history.replaceState(null, '', `#/${hashBase}${q ? '?' + q : ''}`);
    load();
  });
  form.addEventListener('change', (e) => {
    if (e.target.tagName === 'SELECT') form.requestSubmit();
  });
  root.querySelector('#more').addEventListener('click', () => load(true));
  store.ready.then(() => load());
  return on('summary', throttle(() => {
    if (!next) load();
  }, 2000));
}

export function projectsView(root) {
  return listView(root, {
    kind: 'projects',
    hashBase: 'projects',
    filters: ['text', 'status', 'priority_area', 'mode', 'country', 'year'],
    filterForm: (p) => `
      <label class="grow"><span>${esc(t('search'))}</span><input type="search" name="text" value="${esc(p.get('text') || '')}" placeholder="title in English or 中文"></label>
      <label><span>${esc(t('status'))}</span><select name="status">${options(PROJECT_STATUSES, p.get('status'))}</select></label>
      <label><span>${esc(t('area'))}</span><select name="priority_area">${options(PRIORITY_AREAS, p.get('priority_area'), {codes: true})}</select></label>
      <label><span>${esc(t('mode'))}</span><select name="mode">${options(MODES, p.get('mode'), {codes: true})}</select></label>
      <label><span>${esc(t('country'))}</span><select name="country">${options(COUNTRIES, p.get('country'), {codes: true})}</select></label>
      <label class="narrow"><span>${esc(t('year'))}</span><input type="number" name="year" min="2012" max="2100" value="${esc(p.get('year') || '')}"></label>`,
    head: `<th>ID</th><th>Title · 项目名称</th><th>${esc(t('status'))}</th><th>${esc(t('area'))}</th><th>${esc(t('mode'))}</th><th>Partners</th><th class="num">Budget</th>`,
    row: (p) => {
      const b = p.approved_budget || p.proposed_budget;
      return `<tr data-id="${esc(p.project_id)}">
        <td><a href="#/project/${encodeURIComponent(p.project_id)}">${esc(p.project_id)}</a></td>
        <td>${esc(nameOf(p.title))}</td>
        <td>${badge(p.status)}</td>
        <td title="${esc(labelBoth(PRIORITY_AREAS, p.priority_area))}">${esc(p.priority_area)}</td>
        <td title="${esc(labelBoth(MODES, p.mode))}">${esc(p.mode)}</td>
        <td>${countryList(p.partners.map((x) => x.country))}</td>
        <td class="num">${esc(money(b.amount, b.currency))}</td>
      </tr>`;
    },
  });
}

export function partnershipsView(root) {
  const statuses = {active: ['active', '有效'], suspended: ['suspended', '暂停'], dissolved: ['dissolved', '已解散']};
  return listView(root, {
    kind: 'partnerships',
    hashBase: 'partnerships',
    filters: ['text', 'kind', 'status', 'country'],
    filterForm: (p) => `
      <label class="grow"><span>${esc(t('search'))}</span><input type="search" name="text" value="${esc(p.get('text') || '')}" placeholder="name in English or 中文"></label>
      <label><span>${esc(t('kind'))}</span><select name="kind">${options(PARTNERSHIP_KINDS, p.get('kind'))}</select></label>
      <label><span>${esc(t('status'))}</span><select name="status">${options(statuses, p.get('status'))}</select></label>
      <label><span>${esc(t('country'))}</span><select name="country">${options(COUNTRIES, p.get('country'), {codes: true})}</select></label>`,
    head: `<th>ID</th><th>Name · 名称</th><th>${esc(t('kind'))}</th><th>${esc(t('status'))}</th><th>Countries</th><th>Until</th>`,
    row: (p) => `<tr data-id="${esc(p.partnership_id)}">
        <td><a href="#/partnership/${encodeURIComponent(p.partnership_id)}">${esc(p.partnership_id)}</a></td>
        <td>${esc(nameOf(p.name))}</td>
        <td>${esc(label(PARTNERSHIP_KINDS, p.kind))}</td>
        <td><span class="badge badge-${esc(p.status)}">${esc(p.status)}</span></td>
        <td>${countryList(p.countries)}</td>
        <td>${esc(p.until || '—')}</td>
      </tr>`,
  });
}

function field(name, value) {
  return `<div class="field"><dt>${esc(name)}</dt><dd>${value}</dd></div>`;
}

export function projectPage(root, id) {
  root.innerHTML = `<p class="crumbs"><a href="#/projects">← ${esc(t('projects'))}</a></p>
    <div id="project-head" class="card"><p class="muted">Loading ${esc(id)}…</p></div>
    <div id="project-funding"></div>
    <div id="project-history"></div>`;
  let commitmentIds = [];
  let hist = null;

  async function load() {
    const [{entity: p}, commitments] = await Promise.all([
      conn.request('get', {kind: 'project', key: id}),
      conn.listAll('commitments', {filter: {project_id: id}}),
    ]);
    commitmentIds = commitments.items.map((c) => c.commitment_id);
    const b = p.approved_budget;
    root.querySelector('#project-head').innerHTML = `
      <div class="page-title"><h2>${esc(p.title.en)}</h2>${p.title.zh ? `<div class="zh" lang="zh-Hans">${esc(p.title.zh)}</div>` : ''}
        <div class="page-id"><code>${esc(p.project_id)}</code> ${badge(p.status)}</div></div>
      <dl class="fields">
        ${field(t('area'), `${esc(p.priority_area)} ${esc(labelBoth(PRIORITY_AREAS, p.priority_area).replace(/^\S+ /, ''))}`)}
        ${field(t('mode'), `${esc(p.mode)} ${esc(labelBoth(MODES, p.mode).replace(/^\S+ /, ''))}`)}
        ${field('Lead institution · 牵头单位', esc(nameOf(p.lead_institution)))}
        ${field('Partners · 合作伙伴', p.partners.map((x) => `${esc(nameOf(x.institution))} <span class="country">${esc(x.country)}</span>`).join('<br>'))}
        ${field('Proposed budget', esc(money(p.proposed_budget.amount, p.proposed_budget.currency)))}
        ${field('Approved budget', b ? esc(money(b.amount, b.currency)) : '—')}
        ${field('Dates', `${esc(p.start_date)} → ${esc(p.end_date)}`)}
        ${field('Milestones', p.milestones.length ? p.milestones.map((m) => `${esc(m.reached_on)} ${esc(m.name)}`).join('<br>') : '—')}
        ${field('Evaluation', p.evaluation ? `${esc(p.evaluation.rating)} — ${esc(p.evaluation.summary)}` : '—')}
      </dl>`;
    root.querySelector('#project-funding').innerHTML = `<section class="card"><h3>${esc(t('tranches'))}</h3>
      ${commitments.items.length ? commitments.items.map((c) => `
        <div class="commitment" data-id="${esc(c.commitment_id)}">
          <div class="commitment-head"><code>${esc(c.commitment_id)}</code>
            <span>${esc(label(SOURCES, c.source))} · ${esc(c.party ? labelBoth(COUNTRIES, c.party) : nameOf(c.party_name))}</span>
            <span class="muted">${esc(c.year)}${c.closed ? ' · closed' : ''}</span></div>
          <div class="commitment-figures">
            <span>${esc(t('committed'))} <b>${esc(money(c.committed, c.currency))}</b></span>
            <span>${esc(t('disbursed'))} <b>${esc(money(c.disbursed, c.currency))}</b></span>
            <span>${esc(t('returned'))} ${esc(money(c.returned, c.currency))}</span>
            <span>${esc(t('spent'))} ${esc(money(c.spent, c.currency))}</span>
          </div>
          <div class="bar" title="disbursed / committed"><span style="width:${c.committed ? Math.min(100, (100 * c.disbursed) / c.committed) : 0}%"></span></div>
          ${c.tranches.length ? `<table class="table tranches"><thead><tr><th>Tranche</th><th>Disbursed on</th><th class="num">Amount</th><th>#</th></tr></thead><tbody>
            ${c.tranches.map((tr) => `<tr><td>${esc(tr.tranche_id)}</td><td>${esc(tr.disbursed_on)}</td><td class="num">${esc(money(tr.amount, c.currency))}</td><td class="seq">${tr.seq}</td></tr>`).join('')}
          </tbody></table>` : '<p class="muted small">No tranche yet.</p>'}
        </div>`).join('') : '<p class="muted">No funding committed.</p>'}
    </section>`;
    root.dataset.loaded = 'true';
  }

  load()
    .then(() => {
      hist = historyView(root.querySelector('#project-history'), () => [id, ...commitmentIds]);
      return hist.reload();
    })
    .catch((e) => {
      root.querySelector('#project-head').innerHTML = `<p class="bad">${esc(e.message || e.rule || e)}</p>`;
    });

  // A decision about this project (or its funding) reloads the page.
  return on('events', throttle((msg) => {
    const p = msg.event.decision.payload || {};
    if (p.project_id === id || commitmentIds.includes(p.commitment_id)) {
      load().then(() => hist && hist.reload());
    }
  }, 500));
}

export function partnershipPage(root, id) {
  root.innerHTML = `<p class="crumbs"><a href="#/partnerships">← ${esc(t('partnerships'))}</a></p>
    <div id="partnership-head" class="card"><p class="muted">Loading ${esc(id)}…</p></div>
    <div id="partnership-history"></div>`;
  conn.request('get', {kind: 'partnership', key: id}).then(({entity: p}) => {
    root.querySelector('#partnership-head').innerHTML = `
      <div class="page-title"><h2>${esc(p.name.en)}</h2>${p.name.zh ? `<div class="zh" lang="zh-Hans">${esc(p.name.zh)}</div>` : ''}
        <div class="page-id"><code>${esc(p.partnership_id)}</code> <span class="badge badge-${esc(p.status)}">${esc(p.status)}</span></div></div>
      <dl class="fields">
        ${field(t('kind'), esc(labelBoth(PARTNERSHIP_KINDS, p.kind).replace(/^\S+ /, '')))}
        ${field('Countries', countryList(p.countries))}
        ${field('Institutions', p.institutions.map((i) => esc(nameOf(i))).join('<br>') || '—')}
        ${field('Established', esc(p.established_on))}
        ${field('Until', esc(p.until || '—'))}
        ${field('Last decision', esc(when(p.last_issued_at)))}
      </dl>`;
    historyView(root.querySelector('#partnership-history'), () => [id]).reload();
  }, (e) => {
    root.querySelector('#partnership-head').innerHTML = `<p class="bad">${esc(e.message || e.rule || e)}</p>`;
  });
  return () => {};
}

