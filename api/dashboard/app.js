// The Partnership Ledger dashboard: header (connection state, log size,
// language) and a hash router over the views in src/views/.

import {conn, store, on} from './src/store.js';
import {disposeCharts} from './src/charts.js';
import {count} from './src/format.js';
import {t, setLanguage, language, onLanguage} from './src/i18n.js';
import {overview} from './src/views/overview.js';
import {liveView} from './src/views/live.js';
import {compareView} from './src/views/compare.js';
import {projectsView, partnershipsView, projectPage, partnershipPage} from './src/views/projects.js';
import {governanceView} from './src/views/governance.js';

const view = document.getElementById('view');
let cleanup = null;

function route() {
  const hash = location.hash || '#/overview';
  const [path] = hash.slice(1).split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [name = 'overview', id] = parts;
  if (cleanup) cleanup();
  disposeCharts(view);
  view.innerHTML = '';
  view.dataset.view = name;
  const tab = {project: 'projects', partnership: 'partnerships'}[name] || name;
  for (const a of document.querySelectorAll('.tabs a')) a.classList.toggle('on', a.dataset.tab === tab);
  const views = {
    overview: () => overview(view),
    live: () => liveView(view),
    compare: () => compareView(view),
    projects: () => projectsView(view),
    partnerships: () => partnershipsView(view),
    project: () => projectPage(view, id),
    partnership: () => partnershipPage(view, id),
    governance: () => governanceView(view),
  };
  cleanup = (views[name] || views.overview)() || null;
}

function translateChrome() {
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  const state = conn.state;
  const el = document.getElementById('connection');
  el.querySelector('.connection-text').textContent = t(state === 'live' ? 'connected' : state);
}

// The connection indicator: connecting, live or reconnecting.
conn.onState((state) => {
  const el = document.getElementById('connection');
  el.dataset.state = state;
  el.title = state === 'live' ? `WebSocket open; events resume from #${(conn.lastSequence ?? -1) + 1} after a drop` : 'waiting for ledgerd';
  translateChrome();
});

const sizeEl = document.getElementById('log-size');
on('size', (size) => {
  sizeEl.textContent = `${count(size)} ${t('events')}`;
  sizeEl.dataset.size = String(size);
});

const langSelect = document.getElementById('lang');
langSelect.value = language();
langSelect.addEventListener('change', () => setLanguage(langSelect.value));
onLanguage(() => {
  translateChrome();
  sizeEl.textContent = `${count(store.size)} ${t('events')}`;
  route();
});
document.documentElement.lang = language() === 'zh' ? 'zh-Hans' : 'en';
translateChrome();

window.addEventListener('hashchange', route);
route();
store.ready.catch((e) => {
  view.innerHTML = `<p class="bad">Cannot reach ledgerd: ${e.message || e.rule || e}</p>`;
});

// For tests and for the curious, in the console.
globalThis.ledgerDashboard = Object.assign(globalThis.ledgerDashboard || {}, {conn, store});
