// End-to-end test of the dashboard (docs/dashboard.md): a demo log, a real
// ledgerd serving api/dashboard, and Debian's chromium driven headless by
// playwright-core. Registered in CTest (tests/CMakeLists.txt):
//
//   node --experimental-websocket tests/dashboard_test.mjs \
//     --ledgerd build/api/ledgerd --ledgerctl build/tools/ledgerctl \
//     --dashboard api/dashboard --artifacts build/artifacts/dashboard
//
// Checks: the overview's numbers match the API; a decision submitted with
// `ledgerctl submit` appears in the live feed and moves a chart within 2 s;
// after a dropped connection the feed resumes from the last sequence (an
// event committed meanwhile arrives, none twice); the time-travel slider and
// date show the earlier figures; a project page marks every event
// "verified", and events whose signature or proof the test alters in the
// page, or whose bytes it alters in transit, "not verified". Screenshots at
// laptop and phone width go to --artifacts. Exit 0 on success, 1 on a
// failure, 77 (CTest: skipped) when chromium or playwright-core is missing.
import {spawn, execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';

const started = Date.now();
const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const here = path.dirname(new URL(import.meta.url).pathname);
const ledgerd = args.ledgerd || process.env.LEDGERD;
const ledgerctl = args.ledgerctl || process.env.LEDGERCTL;
const dashboard = path.resolve(args.dashboard || path.join(here, '..', 'api', 'dashboard'));
const artifacts = path.resolve(args.artifacts || path.join(process.cwd(), 'artifacts', 'dashboard'));
const chromiumPath = args.chromium || process.env.CHROMIUM || '/usr/bin/chromium';
const TIME_LIMIT_MS = 110_000;

function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(77);
}
if (!ledgerd || !ledgerctl) {
  console.error('usage: dashboard_test.mjs --ledgerd PATH --ledgerctl PATH [--dashboard DIR] [--artifacts DIR]');
  process.exit(2);
}
if (!fs.existsSync(chromiumPath)) skip(`no ${chromiumPath} (tools/setup.sh installs Debian's chromium)`);
const playwrightEntry = path.join(dashboard, 'node_modules', 'playwright-core', 'index.mjs');
if (!fs.existsSync(playwrightEntry)) skip(`no ${playwrightEntry} (tools/setup.sh runs npm ci in api/dashboard)`);
if (typeof WebSocket === 'undefined') {
  console.error('this test needs a WebSocket client: run node with --experimental-websocket (Node 20) or Node 22+');
  process.exit(2);
}
const {chromium} = await import(pathToFileURL(playwrightEntry).href);

let failures = 0;
const results = [];
function check(name, ok, detail = '') {
  results.push({name, ok});
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
  return ok;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-dashboard-test-'));
fs.rmSync(artifacts, {recursive: true, force: true});
fs.mkdirSync(artifacts, {recursive: true});
let server = null;
let context = null;

async function cleanup() {
  try {
    if (context) await context.close();
  } catch {
    // already gone
  }
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((resolve) => {
      const t = setTimeout(() => {
        server.kill('SIGKILL');
        resolve();
      }, 5000);
      server.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  fs.rmSync(work, {recursive: true, force: true});
}

const watchdog = setTimeout(async () => {
  console.log(`FAIL the test ran out of time (${TIME_LIMIT_MS / 1000} s)`);
  await cleanup();
  process.exit(1);
}, TIME_LIMIT_MS);

// A small WebSocket client of docs/api.md, independent of the page's.
class Api {
  static open(url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const api = new Api(ws);
      ws.onopen = () => resolve(api);
      ws.onerror = (e) => reject(new Error(`cannot connect to ${url}: ${e.message || e.type}`));
    });
  }
  constructor(ws) {
    this.ws = ws;
    this.next = 1;
    this.waiting = new Map();
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      const w = this.waiting.get(msg.id);
      if (!w) return;
      this.waiting.delete(msg.id);
      if (msg.ok) w.resolve(msg.result);
      else w.reject(new Error(`${msg.error.rule}: ${msg.error.message}`));
    };
  }
  call(op, params = {}) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, {resolve, reject});
      this.ws.send(JSON.stringify({...params, id, op}));
    });
  }
  close() {
    this.ws.close();
  }
}

function run(cmd, argv, opts = {}) {
  return execFileSync(cmd, argv, {encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...opts});
}

// "2026-11-30T01:02:03Z": the one spelling of a time (docs/encoding.md §2).
function now() {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function startServer(data) {
  return new Promise((resolve, reject) => {
    const child = spawn(ledgerd, ['--data', data, '--listen', '127.0.0.1:0', '--static', dashboard, '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`ledgerd did not say where it listens: ${out}`)), 15000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/ledgerd listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve({child, url: m[1]});
      }
    });
    child.stderr.on('data', (chunk) => fs.appendFileSync(path.join(artifacts, 'ledgerd.log'), chunk));
    child.once('exit', (code) => reject(new Error(`ledgerd exited with ${code}: ${out}`)));
  });
}

async function shot(page, name, opts = {}) {
  await page.waitForTimeout(opts.settle ?? 500); // chart transitions
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({path: file, fullPage: opts.fullPage ?? false});
  return file;
}

const jsonEq = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function main() {
  // 1. A demo log (one commit per day of decisions, so that the log as of a
  //    date is the programme on that date) and the officers' keys.
  const data = path.join(work, 'data');
  const keys = path.join(work, 'keys');
  const demo = JSON.parse(run(ledgerctl, ['demo', '--data', data, '--events', '3000', '--keys-out', keys]));
  check('demo log created', demo.size === 3000, `size ${demo.size}, root ${demo.root.slice(0, 16)}…`);
  if (!fs.existsSync(path.join(dashboard, 'vendor', 'echarts.min.js'))) {
    throw new Error(`${dashboard}/vendor/echarts.min.js is missing: run api/dashboard/build.sh (tools/setup.sh does)`);
  }

  // 2. ledgerd on a free port, serving the dashboard.
  const s = await startServer(data);
  server = s.child;
  const base = s.url;
  const wsUrl = base.replace(/^http/, 'ws') + '/ws';
  console.log(`ledgerd at ${base}`);
  const api = await Api.open(wsUrl);

  // 3. Chromium, headless, with a fresh profile.
  const profile = fs.mkdtempSync(path.join(work, 'chromium-profile-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
    viewport: {width: 1366, height: 900},
  });
  const pageErrors = [];
  const external = [];
  context.on('request', (r) => {
    const u = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol)) external.push(r.url());
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });

  // 4. The overview matches the API.
  await page.goto(`${base}/#/overview`);
  await page.waitForSelector('#connection[data-state="live"]', {timeout: 10000});
  check('connection indicator shows live', true);
  await page.waitForFunction(() => document.querySelector('#view')?.dataset.size && document.querySelector('#chart-status')?.dataset.values, null, {timeout: 15000});
  const summary = await api.call('summary');
  const kpi = async (k) => Number(await page.getAttribute(`[data-kpi="${k}"] .kpi-value`, 'data-value'));
  const chartValues = async (id) => JSON.parse(await page.getAttribute(`#chart-${id}`, 'data-values'));
  check('overview: projects total matches the API', (await kpi('projects')) === summary.projects.total, `${await kpi('projects')} vs ${summary.projects.total}`);
  check('overview: event count matches the API', (await kpi('events')) === summary.size);
  check('overview: CNY committed matches the API', (await kpi('committed')) === summary.funding.by_currency.CNY.committed);
  check('overview: CNY disbursed matches the API', (await kpi('disbursed')) === summary.funding.by_currency.CNY.disbursed);
  check('overview: partnerships total matches the API', (await kpi('partnerships')) === summary.partnerships.total);
  const status = await chartValues('status');
  check('chart "projects by status" draws the API figures', jsonEq(Object.entries(status).sort(), Object.entries(summary.projects.by_status).sort()), JSON.stringify(status));
  const areas = await chartValues('projects-area');
  check('chart "projects by priority area" draws the API figures',
    Object.entries(summary.projects.by_priority_area).every(([k, v]) => areas[k] === v));
  const kinds = await chartValues('partnership-kind');
  check('chart "partnerships by kind" draws the API figures', jsonEq(Object.entries(kinds).sort(), Object.entries(summary.partnerships.by_kind).sort()));
  const bySource = await api.call('funding', {group_by: ['source']});
  const sourceChart = await chartValues('source');
  const cnGov = bySource.rows.find((r) => r.group.source === 'cn_government' && r.group.currency === 'CNY');
  check('chart "funding by source" draws the API figures (CNY, CN government)',
    Math.abs(sourceChart.Committed.cn_government - cnGov.committed / 100) < 1e-6 && Math.abs(sourceChart.Disbursed.cn_government - cnGov.disbursed / 100) < 1e-6,
    `${sourceChart.Committed.cn_government} vs ${cnGov.committed / 100}`);
  const byYear = await api.call('funding', {group_by: ['year']});
  const yearChart = await chartValues('year');
  const cny2020 = byYear.rows.find((r) => r.group.year === 2020 && r.group.currency === 'CNY');
  check('chart "funding over the years" draws the API figures (CNY, 2020)', Math.abs(yearChart.Committed['2020'] - cny2020.committed / 100) < 1e-6);
  await page.waitForSelector('#feed .feed-item');
  await shot(page, '01-overview-laptop', {fullPage: true});

  // 5. Live: a decision signed with an officer's key and submitted with
  //    ledgerctl appears in the feed and moves a chart within 2 s.
  const officers = JSON.parse(fs.readFileSync(path.join(keys, 'officers.json'), 'utf8'));
  const sg = officers.find((o) => o.body_id === 'secretariat' && o.role === 'secretary_general');
  const projectId = `P-2026-${String(900000 + (Date.now() % 99999)).padStart(6, '0')}`;
  const decision = {
    decision_id: `dashboard-test-${projectId}`,
    type: 'project.proposed',
    body: 'secretariat',
    issued_at: now(),
    payload: {
      project_id: projectId,
      title: {en: 'Dashboard Test Joint Laboratory for Mangrove Monitoring', zh: '红树林监测联合实验室（仪表板测试）'},
      priority_area: 'B6',
      mode: 'M5',
      lead_institution: {en: 'Guangxi University', zh: '广西大学'},
      partners: [{institution: {en: 'Kasetsart University', zh: '泰国农业大学'}, country: 'TH'}],
      budget: {amount: 300000000, currency: 'CNY'},
      start_date: '2027-01-01',
      end_date: '2029-12-31',
    },
  };
  const unsigned = path.join(work, 'proposal.json');
  fs.writeFileSync(unsigned, JSON.stringify(decision));
  const signed = run(ledgerctl, ['sign', '--key', path.join(keys, `${sg.officer_id}.key`), unsigned]);
  fs.writeFileSync(path.join(work, 'proposal.jsonl'), signed);
  const proposedBefore = (await chartValues('status')).proposed || 0;
  const totalBefore = await kpi('projects');
  const submitted = JSON.parse(run(ledgerctl, ['submit', '--url', wsUrl, path.join(work, 'proposal.jsonl')]).trim().split('\n').pop());
  const t0 = Date.now();
  const newSeq = submitted.sequence;
  check('ledgerctl submit appended the decision', Number.isInteger(newSeq) && newSeq === 3000, JSON.stringify(submitted));
  let inFeed = false;
  let chartMoved = false;
  try {
    await page.waitForSelector(`#feed .feed-item[data-seq="${newSeq}"]`, {timeout: 2000});
    inFeed = true;
  } catch {
    // reported below
  }
  const feedMs = Date.now() - t0;
  try {
    await page.waitForFunction(
      ({before}) => (JSON.parse(document.querySelector('#chart-status').dataset.values).proposed || 0) === before + 1,
      {before: proposedBefore},
      {timeout: Math.max(1, 2000 - (Date.now() - t0))},
    );
    chartMoved = true;
  } catch {
    // reported below
  }
  const chartMs = Date.now() - t0;
  check('live: the new decision is in the feed within 2 s', inFeed && feedMs <= 2000, `${feedMs} ms`);
  check('live: "projects by status" counts one more proposed project within 2 s', chartMoved && chartMs <= 2000, `${chartMs} ms`);
  check('live: the projects count went up by one', (await kpi('projects')) === totalBefore + 1);
  const feedText = await page.textContent(`#feed .feed-item[data-seq="${newSeq}"]`);
  check('live: the feed names type, body and signer', /project · proposed/.test(feedText) && /Secretariat/.test(feedText) && feedText.includes(projectId), feedText.replace(/\s+/g, ' ').trim());
  await shot(page, '02-live-update-laptop');

  // 6. Resume after a dropped connection: an event committed while the page
  //    is away arrives once, in order, after it reconnects.
  await page.evaluate(() => window.ledgerDashboard.conn.dropConnection(2500));
  await page.waitForSelector('#connection[data-state="reconnecting"]', {timeout: 2000});
  await shot(page, '03-reconnecting');
  const meanwhile = {
    decision_id: `dashboard-test-reject-${projectId}`,
    type: 'project.rejected',
    body: 'secretariat',
    issued_at: now(),
    payload: {project_id: projectId, reason: 'submitted by the dashboard test while the page was disconnected'},
  };
  fs.writeFileSync(path.join(work, 'reject.json'), JSON.stringify(meanwhile));
  const signedReject = JSON.parse(run(ledgerctl, ['sign', '--key', path.join(keys, `${sg.officer_id}.key`), path.join(work, 'reject.json')]));
  const rejected = await api.call('submit', {decision: signedReject});
  const rejectSeq = rejected.decisions[0].sequence;
  check('connection state is "reconnecting" while away', (await page.getAttribute('#connection', 'data-state')) === 'reconnecting');
  await page.waitForSelector('#connection[data-state="live"]', {timeout: 10000});
  await page.waitForSelector(`#feed .feed-item[data-seq="${rejectSeq}"]`, {timeout: 5000});
  const seqs = await page.$$eval('#feed .feed-item', (items) => items.map((i) => Number(i.dataset.seq)));
  const contiguous = seqs.every((s, i) => i === 0 || seqs[i - 1] === s + 1);
  check('resume: the event committed while disconnected arrived after reconnecting, no gap, no duplicate', contiguous && seqs[0] === rejectSeq, seqs.slice(0, 5).join(','));

  // 7. Time travel: the slider (a sequence) and the date show earlier figures.
  const slideTo = 1500;
  await page.evaluate((v) => {
    const s = document.querySelector('#tt-slider');
    s.value = String(v);
    s.dispatchEvent(new Event('input', {bubbles: true}));
  }, slideTo);
  await page.waitForFunction((v) => document.querySelector('#view').dataset.size === String(v) && document.querySelector('#view').dataset.mode === 'past', slideTo, {timeout: 10000});
  const atSeq = await api.call('as_of', {at: {sequence: slideTo}, query: {op: 'summary'}});
  check('time travel (slider to #1500): projects total is the earlier one', (await kpi('projects')) === atSeq.projects.total, `${await kpi('projects')} vs ${atSeq.projects.total}`);
  check('time travel (slider): "projects by status" shows the earlier figures', jsonEq(Object.entries(await chartValues('status')).sort(), Object.entries(atSeq.projects.by_status).sort()));
  check('time travel (slider): CNY committed is the earlier one', (await kpi('committed')) === atSeq.funding.by_currency.CNY.committed);
  await shot(page, '04-time-travel-slider', {fullPage: true});
  await page.fill('#tt-date', '2016-01-01');
  await page.dispatchEvent('#tt-date', 'change');
  const atDate = await api.call('as_of', {at: {date: '2016-01-01'}, query: {op: 'summary'}});
  await page.waitForFunction((v) => document.querySelector('#view').dataset.size === String(v), atDate.size, {timeout: 10000});
  check('time travel (date 2016-01-01): the overview shows that day\'s figures',
    (await kpi('projects')) === atDate.projects.total && (await kpi('events')) === atDate.size && atDate.size < summary.size,
    `${atDate.size} events, ${atDate.projects.total} projects`);
  const sliderValue = Number(await page.inputValue('#tt-slider'));
  check('time travel (date): the slider moved to that point', sliderValue === atDate.size, `${sliderValue}`);
  await shot(page, '05-time-travel-2016');
  await page.click('#tt-live');
  await page.waitForFunction(() => document.querySelector('#view').dataset.mode === 'live', null, {timeout: 10000});
  check('time travel: back to live', (await kpi('events')) === rejectSeq + 1);

  // 8. Drill-down: a project page with its funding, history and marks.
  const completed = await api.call('list', {kind: 'projects', filter: {status: 'completed'}, limit: 500});
  const commitments = await api.call('list', {kind: 'commitments', limit: 500});
  const withFunding = completed.items
    .map((p) => ({p, n: commitments.items.filter((c) => c.project_id === p.project_id && c.tranches.length).length}))
    .sort((a, b) => b.n - a.n)[0].p;
  const pid = withFunding.project_id;
  await page.goto(`${base}/#/projects?text=${encodeURIComponent('joint')}`);
  await page.waitForSelector('.list-table tbody tr[data-id]', {timeout: 10000});
  const listTotal = Number(await page.getAttribute('#list-count', 'data-total'));
  const apiList = await api.call('list', {kind: 'projects', filter: {text: 'joint'}, limit: 1});
  check('search: projects matching "joint" as many as the API says', listTotal === apiList.total, `${listTotal}`);
  await shot(page, '06-projects-search');
  await page.goto(`${base}/#/project/${pid}`);
  await page.waitForSelector('.history[data-verified-all="true"]', {timeout: 20000});
  const marks = await page.$$eval('.history-table .verify', (els) => els.map((e) => e.dataset.verified));
  const ownCommitments = commitments.items.filter((c) => c.project_id === pid).map((c) => c.commitment_id);
  const audited = new Set();
  for (const subject of [pid, ...ownCommitments]) {
    const r = await api.call('audit', {subject, limit: 1000});
    r.events.forEach((e) => audited.add(e.event.sequence));
  }
  check(`project page ${pid}: the full history (${audited.size} events of the project and its ${ownCommitments.length} commitments)`, marks.length === audited.size, `${marks.length} rows`);
  check('project page: every event shows "verified" (leaf, proof to the signed tree head, Ed25519 signatures)', marks.length > 0 && marks.every((m) => m === 'true'));
  const tranches = await page.$$eval('.tranches tbody tr', (rows) => rows.length);
  const apiTranches = commitments.items.filter((c) => c.project_id === pid).reduce((n, c) => n + c.tranches.length, 0);
  check('project page: its funding tranches', tranches === apiTranches, `${tranches}`);
  const signerText = await page.textContent('.history-table tbody tr.event-row td:nth-child(5)');
  const policyText = await page.textContent('.history-table tbody tr.event-row td:nth-child(6)');
  check('project page: who signed and under which policy', signerText.trim().length > 0 && policyText.trim().length > 0, `${signerText.trim()} / ${policyText.trim().split('\n')[0]}`);
  await shot(page, '07-project-verified', {fullPage: true});

  // Alter one event's signature and another's proof in the page, verify again.
  const altered = await page.evaluate(async () => {
    const h = window.ledgerDashboard.history;
    const entries = h.entries();
    const flip = (s) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const flipHex = (s) => (s[0] === '0' ? '1' : '0') + s.slice(1);
    const a = entries[0];
    a.event.signatures[0].signature = flip(a.event.signatures[0].signature);
    const b = entries.find((e) => e !== a && e.proof.length > 0);
    b.proof[0] = flipHex(b.proof[0]);
    return {sig: a.event.sequence, proof: b.event.sequence, sigOk: await h.verify(a.event.sequence), proofOk: await h.verify(b.event.sequence)};
  });
  const markOf = (seq) => page.getAttribute(`.history-table tr.event-row[data-seq="${seq}"] .verify`, 'data-verified');
  const markText = (seq) => page.textContent(`.history-table tr.event-row[data-seq="${seq}"] .verify`);
  check('altered signature: that event shows "not verified"', !altered.sigOk && (await markOf(altered.sig)) === 'false' && /not verified/.test(await markText(altered.sig)), `#${altered.sig}`);
  check('altered proof: that event shows "not verified"', !altered.proofOk && (await markOf(altered.proof)) === 'false' && /not verified/.test(await markText(altered.proof)), `#${altered.proof}`);
  const stillOk = await page.$$eval('.history-table .verify', (els) => els.filter((e) => e.dataset.verified === 'true').length);
  check('the other events still show "verified"', stillOk === marks.length - 2, `${stillOk}`);
  await page.click(`.history-table tr.event-row[data-seq="${altered.sig}"]`);
  await shot(page, '08-project-altered');

  // The same when the bytes are altered in transit (a lying server): one
  // event's recorded_at in the audit answer.
  const tamperPage = await context.newPage();
  tamperPage.on('pageerror', (e) => pageErrors.push(e.message));
  let tamperedSeq = null;
  await tamperPage.routeWebSocket(/\/ws$/, (ws) => {
    const upstream = ws.connectToServer();
    ws.onMessage((m) => upstream.send(m));
    upstream.onMessage((m) => {
      if (tamperedSeq === null && typeof m === 'string' && m.includes('"events":[') && m.includes('"proof":[')) {
        const msg = JSON.parse(m);
        const e = msg.result?.events?.[0];
        if (e) {
          tamperedSeq = e.event.sequence;
          e.event.recorded_at = '2012-03-01T00:00:00Z';
          ws.send(JSON.stringify(msg));
          return;
        }
      }
      ws.send(m);
    });
  });
  await tamperPage.setViewportSize({width: 1366, height: 900});
  await tamperPage.goto(`${base}/#/project/${pid}`);
  await tamperPage.waitForSelector('.history[data-verified-all="true"]', {timeout: 20000});
  const tamperedMark = await tamperPage.getAttribute(`.history-table tr.event-row[data-seq="${tamperedSeq}"] .verify`, 'data-verified');
  const tamperedAll = await tamperPage.$$eval('.history-table .verify', (els) => els.map((e) => e.dataset.verified));
  check('altered in transit (recorded_at): that event shows "not verified", the others "verified"',
    tamperedSeq !== null && tamperedMark === 'false' && tamperedAll.filter((m) => m === 'false').length === 1, `#${tamperedSeq}`);
  await tamperPage.close();

  // 9. Governance and phone width.
  await page.goto(`${base}/#/governance`);
  await page.waitForSelector('#keys tbody tr', {timeout: 10000});
  const keyStates = await page.$$eval('#keys tbody tr', (rows) => rows.map((r) => r.dataset.status));
  const liveSummary = await api.call('summary');
  const countOf = (st) => keyStates.filter((k) => k === st).length;
  check('governance: keys active/rotated/revoked as the API counts them',
    ['active', 'rotated', 'revoked'].every((st) => countOf(st) === liveSummary.keys.by_status[st]),
    `${countOf('active')}/${countOf('rotated')}/${countOf('revoked')}`);
  const bodyText = await page.textContent('.body-tree');
  check('governance: bodies named in English and Chinese', bodyText.includes('Joint Committee') && bodyText.includes('中国-东盟科技合作联委会'));
  await shot(page, '09-governance');

  await page.setViewportSize({width: 390, height: 844});
  await page.goto(`${base}/#/overview`);
  await page.waitForFunction(() => document.querySelector('#chart-status')?.dataset.values, null, {timeout: 10000});
  await page.waitForTimeout(400);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check('phone width (390 px): no horizontal scrolling of the page', overflow <= 0, `${overflow} px`);
  await shot(page, '10-overview-phone');
  await shot(page, '11-overview-phone-full', {fullPage: true});
  await page.goto(`${base}/#/project/${pid}`);
  await page.waitForSelector('.history[data-verified-all="true"]', {timeout: 20000});
  await page.evaluate(() => document.querySelector('#project-history').scrollIntoView());
  await shot(page, '12-project-phone');

  check('no script errors in the page', pageErrors.length === 0, pageErrors.slice(0, 3).join(' | '));
  check('nothing loaded from outside the machine', external.length === 0, external.slice(0, 3).join(' '));
  api.close();
}

try {
  await main();
} catch (e) {
  failures++;
  console.log(`FAIL ${e.stack || e}`);
}
clearTimeout(watchdog);
await cleanup();
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`${results.length - results.filter((r) => !r.ok).length}/${results.length} checks passed in ${seconds} s; screenshots in ${artifacts}`);
process.exit(failures ? 1 : 0);
