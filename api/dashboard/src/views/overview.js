// Overview: projects by status, funding committed vs disbursed by source,
// country, priority area, mode and year, partnerships by kind and country;
// live (summary subscription) or as of any earlier point (time travel).

import {conn, store, on} from '../store.js';
import {bars, doughnut, years} from '../charts.js';
import {esc, count, money, compact, major, when, throttle, debounce} from '../format.js';
import {
  t, label, labelBoth, PRIORITY_AREAS, MODES, PROJECT_STATUSES, SOURCES,
  PARTNERSHIP_KINDS, COUNTRIES,
} from '../i18n.js';
import {renderFeed} from './feed.js';

const STATUS_ORDER = ['proposed', 'approved', 'active', 'suspended', 'completed', 'rejected', 'terminated'];
const AREAS = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B9', 'B10'];
const MODE_CODES = ['M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7'];
const SOURCE_CODES = ['cn_government', 'partner_government', 'private'];
const DIMENSIONS = ['source', 'country', 'priority_area', 'mode', 'year'];

let currency = 'CNY';

// The overview's figures at a point (null: now).
async function fetchOverview(point) {
  const ask = (query) => {
    if (!point) {
      const {op, ...params} = query;
      return conn.request(op, params);
    }
    return conn.request('as_of', {at: point, query});
  };
  const [summary, partnerships, ...funding] = await Promise.all([
    ask({op: 'summary'}),
    ask({op: 'list', kind: 'partnerships', limit: 500}),
    ...DIMENSIONS.map((d) => ask({op: 'funding', group_by: [d]})),
  ]);
  return {
    summary,
    partnerships: partnerships.items,
    funding: Object.fromEntries(DIMENSIONS.map((d, i) => [d, funding[i].rows])),
  };
}

function kpi(key, title, value, sub = '', raw = null) {
  return `<div class="kpi" data-kpi="${key}">
    <div class="kpi-title">${esc(title)}</div>
    <div class="kpi-value" data-value="${esc(raw ?? value)}">${esc(value)}</div>
    <div class="kpi-sub">${sub}</div>
  </div>`;
}

function card(id, titleKey, extra = '') {
  return `<section class="card chart-card" id="card-${id}">
    <h3>${esc(t(titleKey))}${extra}</h3>
    <div class="chart" id="chart-${id}" role="img" aria-label="${esc(t(titleKey))}"></div>
  </section>`;
}

export function overview(root) {
  let data = null; // what is drawn
  let past = null; // null when live, else the point shown
  let token = 0;
  const cleanups = [];

  root.innerHTML = `
    <section class="timebar" id="timebar" data-mode="live">
      <div class="tt-head">
        <h2 class="tt-title">${esc(t('timeTravel'))}</h2>
        <span class="tt-state" id="tt-state"></span>
      </div>
      <div class="tt-controls">
        <input type="range" id="tt-slider" min="1" max="1" value="1" step="1" aria-label="${esc(t('timeTravel'))}: sequence">
        <label class="tt-date"><span>${esc(t('date'))}</span> <input type="date" id="tt-date" min="2012-03-01"></label>
        <button type="button" id="tt-live" class="button" disabled>${esc(t('backToLive'))}</button>
      </div>
      <div class="tt-scale"><span id="tt-min">2012</span><span id="tt-max"></span></div>
    </section>
    <section class="kpis" id="kpis"></section>
    <div class="overview-grid">
      <div class="charts">
        <div class="currency-bar" id="currency-bar"></div>
        <div class="chart-grid">
          ${card('status', 'projectsByStatus')}
          ${card('source', 'fundingBySource')}
          ${card('year', 'fundingByYear')}
          ${card('area', 'fundingByArea')}
          ${card('mode', 'fundingByMode')}
          ${card('country', 'fundingByCountry')}
          ${card('projects-area', 'projectsByArea')}
          ${card('projects-mode', 'projectsByMode')}
          ${card('partnership-kind', 'partnershipsByKind')}
          ${card('partnership-country', 'partnershipsByCountry')}
          <section class="card" id="card-currencies">
            <h3>${esc(t('fundingByCurrency'))}</h3>
            <div class="table-wrap"><table class="table" id="currency-table"></table></div>
          </section>
        </div>
      </div>
      <aside class="card feed-panel" aria-live="polite">
        <h3 id="feed-title">${esc(t('latest'))}</h3>
        <ul class="feed" id="feed"></ul>
        <a href="#/live" class="more">${esc(t('more'))} →</a>
      </aside>
    </div>`;

  const $ = (sel) => root.querySelector(sel);
  const slider = $('#tt-slider');
  const dateInput = $('#tt-date');
  const liveButton = $('#tt-live');

  function drawKpis() {
    const s = data.summary;
    const f = s.funding.by_currency[currency] || {committed: 0, disbursed: 0, commitments: 0};
    const st = s.projects.by_status || {};
    $('#kpis').innerHTML = [
      kpi('projects', t('projects'), count(s.projects.total), `${count(st.active || 0)} ${t('activeN')} · ${count(st.completed || 0)} ${t('completedN')}`, s.projects.total),
      kpi('committed', `${t('committed')} (${currency})`, money(f.committed, currency), `${count(f.commitments)} ${t('commitments').toLowerCase()}`, f.committed),
      kpi('disbursed', `${t('disbursed')} (${currency})`, money(f.disbursed, currency), f.committed ? `${((100 * f.disbursed) / f.committed).toFixed(1)}% ${t('ofCommitted')}` : '', f.disbursed),
      kpi('partnerships', t('partnerships'), count(s.partnerships.total), `${count(s.partnerships.by_status?.active || 0)} ${t('activeN')}`, s.partnerships.total),
      kpi('members', t('members'), count(s.members), `${count(s.bodies.total - s.bodies.dissolved)} ${t('bodiesN')}`, s.members),
      kpi('events', t('Events'), count(s.size), esc(when(s.as_of)), s.size),
    ].join('');
  }

  function drawCurrencyBar() {
    const currencies = Object.keys(data.summary.funding.by_currency);
    if (!currencies.includes(currency) && currencies.length) currency = currencies.includes('CNY') ? 'CNY' : currencies[0];
    $('#currency-bar').innerHTML = `<span class="muted">${esc(t('currency'))}:</span> ` +
      currencies.map((c) => `<button type="button" class="chip${c === currency ? ' on' : ''}" data-currency="${esc(c)}" aria-pressed="${c === currency}">${esc(c)}</button>`).join('') +
      `<span class="muted small"> ${esc(t('neverAdded'))}</span>`;
  }

  function rowsFor(dim) {
    const map = new Map();
    for (const r of data.funding[dim] || []) {
      if (r.group.currency !== currency) continue;
      const k = r.group[dim] === null ? '—' : String(r.group[dim]);
      const prev = map.get(k) || {committed: 0, disbursed: 0};
      map.set(k, {committed: prev.committed + r.committed, disbursed: prev.disbursed + r.disbursed});
    }
    return map;
  }

  const fmt = (v) => compact(v);

  function fundingBars(id, dim, order, table) {
    const rows = rowsFor(dim);
    const cats = order || [...rows.keys()].sort((a, b) => rows.get(b).committed - rows.get(a).committed || a.localeCompare(b));
    const el = $(`#chart-${id}`);
    bars(el, {
      categories: cats,
      labels: table ? (c) => (table === PRIORITY_AREAS || table === MODES ? c : label(table, c)) : null,
      tooltips: table ? (c) => labelBoth(table, c) : null,
      horizontal: dim === 'country' || dim === 'source',
      series: [
        {name: t('committed'), data: cats.map((c) => major(rows.get(c)?.committed || 0, currency))},
        {name: t('disbursed'), data: cats.map((c) => major(rows.get(c)?.disbursed || 0, currency))},
      ],
      valueFormat: fmt,
    });
  }

  function drawCharts() {
    const s = data.summary;
    const status = s.projects.by_status || {};
    const statuses = STATUS_ORDER.filter((k) => k in status).concat(Object.keys(status).filter((k) => !STATUS_ORDER.includes(k)));
    bars($('#chart-status'), {
      categories: statuses,
      labels: (c) => label(PROJECT_STATUSES, c),
      tooltips: (c) => labelBoth(PROJECT_STATUSES, c),
      series: [{name: t('projects'), data: statuses.map((k) => status[k])}],
    });
    fundingBars('source', 'source', SOURCE_CODES, SOURCES);
    fundingBars('area', 'priority_area', AREAS, PRIORITY_AREAS);
    fundingBars('mode', 'mode', MODE_CODES, MODES);
    fundingBars('country', 'country', null, COUNTRIES);
    const yr = rowsFor('year');
    const ys = [...yr.keys()].filter((y) => y !== '—').map(Number).sort((a, b) => a - b);
    years($('#chart-year'), {
      years: ys,
      series: [
        {name: t('committed'), data: ys.map((y) => major(yr.get(String(y)).committed, currency))},
        {name: t('disbursed'), data: ys.map((y) => major(yr.get(String(y)).disbursed, currency))},
      ],
      valueFormat: fmt,
    });
    const pa = s.projects.by_priority_area || {};
    bars($('#chart-projects-area'), {
      categories: AREAS,
      tooltips: (c) => labelBoth(PRIORITY_AREAS, c),
      series: [{name: t('projects'), data: AREAS.map((a) => pa[a] || 0)}],
    });
    const pm = s.projects.by_mode || {};
    bars($('#chart-projects-mode'), {
      categories: MODE_CODES,
      tooltips: (c) => labelBoth(MODES, c),
      series: [{name: t('projects'), data: MODE_CODES.map((m) => pm[m] || 0)}],
    });
    const kinds = s.partnerships.by_kind || {};
    doughnut($('#chart-partnership-kind'), {
      items: Object.keys(kinds).map((k) => ({name: k, value: kinds[k]})),
      labels: (k) => label(PARTNERSHIP_KINDS, k),
    });
    const byCountry = {};
    for (const p of data.partnerships) {
      if (p.status === 'dissolved') continue;
      for (const c of p.countries) byCountry[c] = (byCountry[c] || 0) + 1;
    }
    const countries = Object.keys(byCountry).sort((a, b) => byCountry[b] - byCountry[a] || a.localeCompare(b));
    bars($('#chart-partnership-country'), {
      categories: countries,
      labels: (c) => label(COUNTRIES, c),
      tooltips: (c) => labelBoth(COUNTRIES, c),
      series: [{name: t('partnerships'), data: countries.map((c) => byCountry[c])}],
    });
    const byCur = s.funding.by_currency;
    $('#currency-table').innerHTML = `<thead><tr><th>${esc(t('currency'))}</th><th class="num">${esc(t('committed'))}</th><th class="num">${esc(t('disbursed'))}</th><th class="num">${esc(t('returned'))}</th><th class="num">${esc(t('spent'))}</th><th class="num">#</th></tr></thead><tbody>` +
      Object.keys(byCur).map((c) => `<tr data-currency="${esc(c)}"><td>${esc(c)}</td><td class="num">${esc(money(byCur[c].committed, c))}</td><td class="num">${esc(money(byCur[c].disbursed, c))}</td><td class="num">${esc(money(byCur[c].returned, c))}</td><td class="num">${esc(money(byCur[c].spent, c))}</td><td class="num">${count(byCur[c].commitments)}</td></tr>`).join('') + '</tbody>';
  }

  function drawTimebar() {
    const bar = $('#timebar');
    bar.dataset.mode = past ? 'past' : 'live';
    slider.max = String(Math.max(1, store.size));
    if (!past) slider.value = slider.max;
    liveButton.disabled = !past;
    const s = data?.summary;
    const asked = past?.date ? `${past.date} · ` : '';
    const at = s ? `${asked}${count(s.size)} ${t('events')} · ${past?.date ? t('lastRecorded') + ' ' : ''}${when(s.as_of)}` : '';
    $('#tt-state').innerHTML = past
      ? `<span class="badge badge-past">${esc(t('asOf'))}</span> <span id="tt-at" data-size="${s?.size ?? ''}">${esc(at)}</span>`
      : `<span class="badge badge-live">${esc(t('connected'))}</span> <span id="tt-at" data-size="${s?.size ?? ''}">${esc(at)}</span>`;
    $('#tt-max').textContent = store.head ? when(s && !past ? s.as_of : store.lastTime || '') : '';
    if (!past && s?.as_of) {
      store.lastTime = s.as_of;
      dateInput.max = s.as_of.slice(0, 10);
    }
  }

  function drawAll() {
    if (!data) return;
    drawTimebar();
    drawKpis();
    drawCurrencyBar();
    drawCharts();
  }

  async function load(point) {
    const mine = ++token;
    root.classList.add('busy');
    try {
      const fresh = await fetchOverview(point);
      if (mine !== token) return;
      data = fresh;
      past = point && fresh.summary.size < store.size ? point : null;
      if (past) slider.value = String(Math.max(1, fresh.summary.size));
      drawAll();
      loadPastFeed();
      root.dataset.size = String(fresh.summary.size);
      root.dataset.mode = past ? 'past' : 'live';
    } catch (e) {
      if (mine === token) $('#tt-state').textContent = `error: ${e.message || e.rule}`;
    } finally {
      if (mine === token) root.classList.remove('busy');
    }
  }

  // Live: the summary is pushed after each commit; the funding aggregates
  // and partnerships are asked again when it changes.
  const refreshLive = throttle(() => {
    if (!past) load(null);
  }, 400);
  cleanups.push(
    on('summary', (summary) => {
      if (past || !data) {
        drawTimebar();
        return;
      }
      const fundingChanged = JSON.stringify(summary.funding) !== JSON.stringify(data.summary.funding) ||
        JSON.stringify(summary.partnerships) !== JSON.stringify(data.summary.partnerships);
      data = {...data, summary};
      drawTimebar();
      drawKpis();
      drawCharts();
      root.dataset.size = String(summary.size);
      if (fundingChanged) refreshLive();
    }),
  );
  cleanups.push(on('size', () => drawTimebar()));

  const feed = $('#feed');
  // Live: the latest decisions as they come. In the past: the last ones
  // recorded before the point shown.
  let pastFeed = null;
  const drawFeed = throttle(() => {
    $('#feed-title').textContent = pastFeed ? `${t('latest')} · ${t('asOf')} #${count(data.summary.size)}` : t('latest');
    renderFeed(feed, 12, () => true, pastFeed || store.feed);
  }, 100);
  async function loadPastFeed() {
    if (!past) {
      pastFeed = null;
    } else {
      const size = data.summary.size;
      const r = size > 0 ? await conn.request('audit', {before: size, limit: 12}) : {events: []};
      if (!past || data.summary.size !== size) return;
      pastFeed = r.events.map((e) => ({event: e.event, authority: e.authority}));
    }
    drawFeed();
  }
  cleanups.push(on('events', () => drawFeed()));
  cleanups.push(on('directory', () => drawFeed()));
  renderFeed(feed, 12);

  root.addEventListener('click', (e) => {
    const b = e.target.closest('[data-currency]');
    if (b && b.tagName === 'BUTTON') {
      currency = b.dataset.currency;
      drawAll();
    }
  });

  const travel = debounce((v) => {
    if (v >= store.size) load(null);
    else load({sequence: v});
  }, 200);
  slider.addEventListener('input', () => {
    const v = Number(slider.value);
    past = v < store.size ? {sequence: v} : null;
    $('#timebar').dataset.mode = past ? 'past' : 'live';
    $('#tt-state').innerHTML = `<span class="badge ${past ? 'badge-past' : 'badge-live'}">${esc(past ? t('asOf') : t('connected'))}</span> ${esc(t('event'))} #${count(v)}…`;
    travel(v);
  });
  dateInput.addEventListener('change', () => {
    if (dateInput.value) load({date: dateInput.value});
  });
  liveButton.addEventListener('click', () => {
    dateInput.value = '';
    load(null);
  });

  store.ready.then(() => load(null));
  return () => cleanups.forEach((fn) => fn());
}
