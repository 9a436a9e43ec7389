// Live: the latest decisions as they are recorded, with a filter by family
// and body; the connection resumes from the last sequence seen.

import {conn, store, on} from '../store.js';
import {esc, count, throttle} from '../format.js';
import {t, nameOf} from '../i18n.js';
import {renderFeed} from './feed.js';

export function liveView(root) {
  root.innerHTML = `<section class="card">
    <div class="live-head">
      <h2>${esc(t('latest'))}</h2>
      <div class="filters inline">
        <label><span>${esc(t('type'))}</span><select id="family">
          <option value="">${esc(t('any'))}</option>
          <option value="project.">project.*</option><option value="funding.">funding.*</option>
          <option value="partnership.">partnership.*</option><option value="governance.">governance.*</option>
        </select></label>
        <label><span>${esc(t('body'))}</span><select id="body"><option value="">${esc(t('any'))}</option></select></label>
        <button type="button" class="button small" id="drop" title="Close the WebSocket as a network failure would; the dashboard reconnects and resumes from the last sequence it saw">Reconnect</button>
      </div>
    </div>
    <p class="muted small" id="live-info"></p>
    <ul class="feed feed-wide" id="live-feed"></ul>
  </section>`;
  const family = root.querySelector('#family');
  const body = root.querySelector('#body');
  const ul = root.querySelector('#live-feed');
  const info = root.querySelector('#live-info');

  function fillBodies() {
    const selected = body.value;
    body.innerHTML = `<option value="">${esc(t('any'))}</option>` +
      [...store.bodies.values()].map((b) => `<option value="${esc(b.body_id)}"${b.body_id === selected ? ' selected' : ''}>${esc(nameOf(b.name))}</option>`).join('');
  }
  const draw = throttle(() => {
    renderFeed(ul, 100, (m) => (!family.value || m.event.decision.type.startsWith(family.value)) && (!body.value || m.event.decision.body === body.value));
    info.textContent = `${count(store.size)} ${t('events')} in the log · last seen #${conn.lastSequence ?? '—'} · connection ${conn.state}, ${conn.connects} connection(s) so far`;
  }, 100);
  family.addEventListener('change', draw);
  body.addEventListener('change', draw);
  root.querySelector('#drop').addEventListener('click', () => conn.dropConnection());
  store.ready.then(() => {
    fillBodies();
    draw();
  });
  const offs = [on('events', draw), on('directory', () => {
    fillBodies();
    draw();
  })];
  const offState = conn.onState(draw);
  return () => {
    offs.forEach((f) => f());
    offState();
  };
}
